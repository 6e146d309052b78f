"""The Savings tiles of the home dashboard; ``register_tiles`` is called from SavingsConfig.ready()."""

from decimal import ROUND_HALF_UP, Decimal


def _whole(amount: Decimal) -> int:
    return int(amount.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def active_opportunity_count() -> int:
    from savings.selectors import opportunity_totals

    totals = opportunity_totals()
    return totals.open_count + totals.in_progress_count


def identified_savings() -> int:
    """Estimated annual savings of the open opportunities, in whole units of the reporting currency."""
    from savings.selectors import opportunity_totals

    return _whole(opportunity_totals().open)


def realized_savings() -> int:
    """The ledger's total, in whole units of the reporting currency."""
    from savings.selectors import ledger_totals

    return _whole(ledger_totals().total)


def register_tiles() -> None:
    from django.conf import settings

    from saasmgr.core.dashboard import Tile, register_tile

    currency = settings.REPORTING_CURRENCY
    for tile in (
        Tile("Savings", "Opportunities to act on", active_opportunity_count, "savings:opportunity_list", order=50),
        Tile(
            "Savings",
            f"Identified savings ({currency}/yr)",
            identified_savings,
            "savings:opportunity_list",
            "status=open&impact=savings",
            order=51,
        ),
        Tile("Savings", f"Realized savings ({currency})", realized_savings, "savings:ledger_list", order=52),
    ):
        register_tile(tile)
