from django.apps import AppConfig


class RenewalsConfig(AppConfig):
    name = "renewals"
    verbose_name = "Renewals"

    def ready(self) -> None:
        from renewals import importers  # noqa: F401 - importing registers the importer
        from saasmgr.core.signals import fx_rates_changed

        fx_rates_changed.connect(_refresh_contract_values, dispatch_uid="renewals-fx-refresh")
        _register_tiles()


def _register_tiles() -> None:
    from django.conf import settings

    from renewals import selectors
    from saasmgr.core.dashboard import Tile, register_tile

    for tile in (
        Tile(
            "Renewals",
            "Active contracts",
            selectors.active_contract_count,
            "renewals:contract_list",
            "status=active",
            order=30,
        ),
        Tile(
            "Renewals",
            "Cancel-by in 30 days",
            selectors.cancel_by_soon_count,
            "renewals:pipeline",
            "view=table&sort=cancel_by",
            order=31,
        ),
        Tile("Renewals", "At risk", selectors.at_risk_count, "renewals:at_risk", order=32),
        Tile(
            "Renewals",
            f"Annual contract value ({settings.REPORTING_CURRENCY})",
            selectors.active_annual_value_reporting,
            "renewals:contract_list",
            "status=active&sort=-annual_value_reporting",
            order=33,
        ),
    ):
        register_tile(tile)


def _refresh_contract_values(sender, currencies, **kwargs) -> None:
    from renewals.services import contracts_refresh_currency

    contracts_refresh_currency(currencies=currencies)
