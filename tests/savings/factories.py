"""Factories of the savings app. Actions and ledger entries are written through ``savings_action_record`` (and
reversals through ``ledger_entry_reverse``), so every row is one the product could have written, and a
ledger row is never updated after it is made."""

import datetime
from datetime import date
from decimal import Decimal

import factory

from savings.choices import ActionKind, LedgerKind, OpportunityKind, OpportunityStatus, Recurrence
from savings.models import LedgerEntry, Opportunity, SavingsAction
from savings.services import EntrySpec, ledger_entry_reverse, savings_action_record
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


class OpportunityFactory(factory.django.DjangoModelFactory):
    """An open reclaim opportunity: 3 idle seats at 120.00 a year, 360.00 a year in USD."""

    class Meta:
        model = Opportunity

    kind = OpportunityKind.RECLAIM
    key = factory.Sequence(lambda n: f"reclaim:test:{n}")
    title = factory.Sequence(lambda n: f"Reclaim 3 idle seats ({n})")
    application = factory.SubFactory(ApplicationFactory)
    quantity = 3
    currency = "USD"
    estimated_annual_savings_local = Decimal("360.00")
    estimated_annual_savings = factory.LazyAttribute(lambda o: o.estimated_annual_savings_local)
    priority = factory.LazyAttribute(lambda o: o.estimated_annual_savings or Decimal("0"))
    status = OpportunityStatus.OPEN
    evidence = factory.LazyAttribute(lambda o: {"summary": f"{o.quantity} seats idle for more than 60 days."})


class SavingsActionFactory(factory.django.DjangoModelFactory):
    """A manual win with one ledger entry (``amount``, ``entry_kind``, ``recurrence``), recorded by the service."""

    class Meta:
        model = SavingsAction

    kind = ActionKind.MANUAL
    description = factory.Sequence(lambda n: f"Vendor credit {n}")
    currency = "USD"
    effective_date = datetime.date(2026, 3, 15)
    application = factory.SubFactory(ApplicationFactory)
    performed_by = factory.SubFactory(UserFactory)
    amount = Decimal("1200.00")
    entry_kind = LedgerKind.COST_SAVINGS
    recurrence = Recurrence.ANNUAL

    @classmethod
    def _create(cls, model_class, *args, performed_by, amount, entry_kind, recurrence, **kwargs):
        return savings_action_record(
            user=performed_by, entries=[EntrySpec(entry_kind, recurrence, Decimal(amount))], **kwargs
        )


class LedgerEntryFactory(factory.django.DjangoModelFactory):
    """One ledger entry with its (manual) action, recorded by ``savings_action_record``.

    ``LedgerEntryFactory(reverses=entry, reason="...")`` reverses ``entry`` through ``ledger_entry_reverse``
    instead. Other keywords (``credited_user``, ``credited_team``, ``contract``...) go to the service.
    """

    class Meta:
        model = LedgerEntry

    kind = LedgerKind.COST_SAVINGS
    recurrence = Recurrence.ANNUAL
    amount = Decimal("1200.00")
    currency = "USD"
    effective_date = datetime.date(2026, 3, 15)
    application = factory.SubFactory(ApplicationFactory)
    description = factory.Sequence(lambda n: f"Vendor credit {n}")
    created_by = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *args, reverses=None, reason="", **kwargs):
        user = kwargs.pop("created_by")
        if reverses is not None:
            return ledger_entry_reverse(entry=reverses, user=user, reason=reason or "Recorded twice")
        action = savings_action_record(
            kind=kwargs.pop("action_kind", ActionKind.MANUAL),
            user=user,
            entries=[EntrySpec(kwargs.pop("kind"), kwargs.pop("recurrence"), Decimal(kwargs.pop("amount")))],
            **kwargs,
        )
        return action.entries.get()


def sample_ledger():
    """A small ledger with worked figures: three currencies at two EUR rates, both kinds, one-time and annual
    entries over four months, two departments, two credited people, and one reversal.

    | # | kind      | recurrence | amount      | rate | USD       | effective  | app     | department  |
    |---|-----------|------------|-------------|------|-----------|------------|---------|-------------|
    | 1 | savings   | annual     | 1,200.00 USD| 1    | 1,200.00  | 2026-01-15 | Slack   | Engineering |
    | 2 | avoidance | annual     | 1,000.00 EUR| 1.20 | 1,200.00  | 2026-02-10 | Figma   | Sales       |
    | 3 | savings   | one-time   |   333.33 GBP| 1.25 |   416.66  | 2026-02-20 | Slack   | —           |
    | 4 | savings   | annual     |   500.00 EUR| 1.10 |   550.00  | 2025-12-05 | Figma   | Sales       |
    | 5 | avoidance | one-time   |   250.50 USD| 1    |   250.50  | 2026-03-03 | Slack   | Engineering |
    | 6 | reversal of #3, dated like it          |   −416.66 | 2026-02-20 |         |             |

    Total 3,200.50 = cost savings 1,750.00 + cost avoidance 1,450.50 = annual 2,950.00 + one-time 250.50.
    """
    from types import SimpleNamespace

    from tests.factories import CategoryFactory, DepartmentFactory, FxRateFactory
    from tests.renewals.factories import ContractFactory

    FxRateFactory(currency="EUR", date=date(2025, 1, 1), rate=Decimal("1.10"))
    FxRateFactory(currency="EUR", date=date(2026, 1, 1), rate=Decimal("1.20"))
    FxRateFactory(currency="GBP", date=date(2025, 1, 1), rate=Decimal("1.25"))
    engineering, sales = DepartmentFactory(name="Engineering"), DepartmentFactory(name="Sales")
    slack = ApplicationFactory(name="Slack", category=CategoryFactory(name="Collaboration"))
    figma = ApplicationFactory(name="Figma", category=CategoryFactory(name="Design"))
    alice = UserFactory(username="alice", first_name="Alice", last_name="Archer")
    bob = UserFactory(username="bob", first_name="Bob", last_name="Baker")
    eng_contract = ContractFactory(department=engineering, line_items=[], applications=[slack])
    sales_contract = ContractFactory(department=sales, line_items=[], applications=[figma])
    alice_credit = {"created_by": alice, "credited_user": alice, "credited_team": engineering}
    bob_credit = {"created_by": bob, "credited_user": bob, "credited_team": sales}
    entries = [
        LedgerEntryFactory(
            amount="1200.00",
            currency="USD",
            effective_date=date(2026, 1, 15),
            application=slack,
            contract=eng_contract,
            description="Slack: 10 idle seats reclaimed",
            **alice_credit,
        ),
        LedgerEntryFactory(
            kind=LedgerKind.COST_AVOIDANCE,
            amount="1000.00",
            currency="EUR",
            effective_date=date(2026, 2, 10),
            application=figma,
            contract=sales_contract,
            description="Figma: price rise avoided",
            **bob_credit,
        ),
        LedgerEntryFactory(
            recurrence=Recurrence.ONE_TIME,
            amount="333.33",
            currency="GBP",
            effective_date=date(2026, 2, 20),
            application=slack,
            description="Slack: outage credit",
            **alice_credit,
        ),
        LedgerEntryFactory(
            amount="500.00",
            currency="EUR",
            effective_date=date(2025, 12, 5),
            application=figma,
            contract=sales_contract,
            description="Figma: downgraded 5 editors",
            **bob_credit,
        ),
        LedgerEntryFactory(
            kind=LedgerKind.COST_AVOIDANCE,
            recurrence=Recurrence.ONE_TIME,
            amount="250.50",
            currency="USD",
            effective_date=date(2026, 3, 3),
            application=slack,
            contract=eng_contract,
            description="Slack: setup fee waived",
            **alice_credit,
        ),
    ]
    entries.append(LedgerEntryFactory(reverses=entries[2], reason="The credit was refused", created_by=alice))
    return SimpleNamespace(
        entries=entries,
        slack=slack,
        figma=figma,
        alice=alice,
        bob=bob,
        engineering=engineering,
        sales=sales,
        total=Decimal("3200.50"),
    )
