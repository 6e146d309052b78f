from django.apps import AppConfig


class LicensesConfig(AppConfig):
    name = "licenses"
    verbose_name = "Licenses"

    def ready(self) -> None:
        from licenses import importers  # noqa: F401 - importing registers the importers
        from licenses.dashboard import register_tiles
        from renewals.signals import contract_terms_changed
        from saasmgr.core.signals import fx_rates_changed

        contract_terms_changed.connect(_sync_pools, dispatch_uid="licenses-pool-sync")
        fx_rates_changed.connect(_refresh_pool_costs, dispatch_uid="licenses-fx-refresh")
        register_tiles()


def _sync_pools(sender, contract_ids, **kwargs) -> None:
    from licenses.services import license_pools_sync

    license_pools_sync(contract_ids=contract_ids)


def _refresh_pool_costs(sender, currencies, **kwargs) -> None:
    from licenses.services import license_pools_refresh_currency

    license_pools_refresh_currency(currencies=currencies)
