from datetime import date
from decimal import Decimal

from savings.choices import ActionKind, LedgerKind, Recurrence
from savings.services import EntrySpec, savings_action_record
from tests.factories import ApplicationFactory, UserFactory


def ledger_win(
    *,
    amount="1200.00",
    kind=LedgerKind.COST_SAVINGS,
    recurrence=Recurrence.ANNUAL,
    currency="USD",
    effective_date=date(2026, 3, 15),
    application=None,
    user=None,
    action_kind=ActionKind.MANUAL,
    description="Vendor credit",
    **extra,
):
    """Records one action with one ledger entry through the service, and returns the entry."""
    action = savings_action_record(
        kind=action_kind,
        user=user or UserFactory(),
        description=description,
        currency=currency,
        effective_date=effective_date,
        entries=[EntrySpec(kind, recurrence, Decimal(amount))],
        application=application if application is not None else ApplicationFactory(),
        **extra,
    )
    return action.entries.get()
