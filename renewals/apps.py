from django.apps import AppConfig


class RenewalsConfig(AppConfig):
    name = "renewals"
    verbose_name = "Renewals"

    def ready(self) -> None:
        from saasmgr.core.signals import fx_rates_changed

        fx_rates_changed.connect(_refresh_contract_values, dispatch_uid="renewals-fx-refresh")


def _refresh_contract_values(sender, currencies, **kwargs) -> None:
    from renewals.services import contracts_refresh_currency

    contracts_refresh_currency(currencies=currencies)
