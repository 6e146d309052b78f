"""The ledger: append-only at every level, amounts in both currencies at the effective date, reversals."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from savings.choices import LedgerKind, Recurrence
from savings.models import LedgerEntry, SavingsAction
from savings.services import EntrySpec, SavingsError, ledger_entry_reverse, savings_action_record
from tests.factories import (
    ApplicationFactory,
    CategoryFactory,
    DepartmentFactory,
    FxRateFactory,
    PersonFactory,
    UserFactory,
)
from tests.savings.factories import ledger_win

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE savings_ledgerentry SET amount = amount + 1",
        "UPDATE savings_ledgerentry SET description = 'edited'",
        "DELETE FROM savings_ledgerentry",
    ],
)
def test_raw_sql_cannot_change_or_remove_a_ledger_row(statement):
    entry = ledger_win(amount="500.00")
    with pytest.raises((IntegrityError, DatabaseError)) as error, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert "append-only" in str(error.value)
    stored = LedgerEntry.objects.get(pk=entry.pk)
    assert (stored.amount, stored.description) == (D("500.00"), "Vendor credit")


def test_the_model_and_queryset_refuse_before_the_database_does():
    entry = ledger_win()
    entry.amount = D("1")
    with pytest.raises(LedgerEntry.AppendOnly):
        entry.save()
    with pytest.raises(LedgerEntry.AppendOnly):
        entry.delete()
    with pytest.raises(LedgerEntry.AppendOnly):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=D("1"))
    with pytest.raises(LedgerEntry.AppendOnly):
        LedgerEntry.objects.all().delete()
    assert LedgerEntry.objects.get(pk=entry.pk).amount == D("1200.00")


def test_an_application_with_ledger_history_cannot_be_deleted():
    entry = ledger_win()
    with pytest.raises(Exception) as error:
        entry.application.delete()
    assert "protected" in str(error.value).lower()
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


def test_amounts_convert_at_the_rate_in_force_on_the_effective_date():
    FxRateFactory(currency="EUR", date=date(2026, 1, 1), rate=D("1.05"))
    FxRateFactory(currency="EUR", date=date(2026, 3, 1), rate=D("1.085"))
    FxRateFactory(currency="EUR", date=date(2026, 6, 1), rate=D("1.12"))
    entry = ledger_win(amount="5100.00", currency="EUR", effective_date=date(2026, 5, 31))
    assert (entry.fx_rate, entry.amount_reporting, entry.reporting_currency) == (D("1.085"), D("5533.50"), "USD")
    february = ledger_win(amount="1000.00", currency="EUR", effective_date=date(2026, 2, 28))
    assert (february.fx_rate, february.amount_reporting) == (D("1.05"), D("1050.00"))


def test_an_unknown_rate_or_currency_writes_nothing():
    with pytest.raises(SavingsError, match="No GBP→USD exchange rate on or before 2026-03-15"):
        ledger_win(currency="GBP")
    with pytest.raises(SavingsError, match="'XYZ' is not an ISO 4217 currency"):
        ledger_win(currency="XYZ")
    assert (SavingsAction.objects.count(), LedgerEntry.objects.count()) == (0, 0)


def test_an_action_credits_the_doer_and_their_team_and_keeps_the_category():
    team = DepartmentFactory(name="IT Operations")
    user = UserFactory(email="ana@example.com")
    PersonFactory(email="Ana@Example.com", department=team)
    app = ApplicationFactory(category=CategoryFactory(name="Design"))
    entry = ledger_win(user=user, application=app)
    assert (entry.credited_user, entry.credited_team, entry.category, entry.created_by) == (
        user,
        team,
        app.category,
        user,
    )


def test_one_action_writes_all_its_entries_and_skips_zero_amounts():
    action = savings_action_record(
        kind="renewal_outcome",
        user=UserFactory(),
        description="Renewed Figma",
        currency="USD",
        effective_date=date(2026, 4, 1),
        entries=[
            EntrySpec(LedgerKind.COST_SAVINGS, Recurrence.ANNUAL, D("0")),
            EntrySpec(LedgerKind.COST_AVOIDANCE, Recurrence.ANNUAL, D("7000")),
        ],
    )
    assert list(action.entries.values_list("kind", "amount")) == [("cost_avoidance", D("7000.00"))]


def test_a_reversal_cancels_exactly_and_links_to_what_it_reverses():
    FxRateFactory(currency="EUR", date=date(2026, 1, 1), rate=D("1.085"))
    entry = ledger_win(amount="999.99", currency="EUR")
    FxRateFactory(currency="EUR", date=date(2026, 3, 10), rate=D("1.5"))  # a later rate changes nothing
    reversal = ledger_entry_reverse(entry=entry, user=UserFactory(), reason="Counted twice")
    assert (reversal.amount, reversal.amount_reporting, reversal.fx_rate) == (D("-999.99"), D("-1084.99"), D("1.085"))
    assert reversal.reverses == entry and entry.reversed_by == reversal
    assert (reversal.effective_date, reversal.kind, reversal.recurrence) == (
        entry.effective_date,
        entry.kind,
        entry.recurrence,
    )
    totals = LedgerEntry.objects.filter(pk__in=[entry.pk, reversal.pk]).values_list("amount", "amount_reporting")
    assert sum(a for a, _ in totals) == 0 and sum(r for _, r in totals) == 0


def test_an_entry_is_reversed_once_with_a_reason_and_a_reversal_is_not_reversed():
    entry = ledger_win()
    with pytest.raises(SavingsError, match="reason is required"):
        ledger_entry_reverse(entry=entry, user=None, reason="  ")
    reversal = ledger_entry_reverse(entry=entry, user=None, reason="Wrong app")
    with pytest.raises(SavingsError, match="already been reversed"):
        ledger_entry_reverse(entry=entry, user=None, reason="Again")
    with pytest.raises(SavingsError, match="itself a reversal"):
        ledger_entry_reverse(entry=reversal, user=None, reason="Undo")
    assert LedgerEntry.objects.count() == 2


def test_the_database_refuses_an_unsigned_reversal_or_a_negative_entry():
    entry = ledger_win()
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            **{f.attname: getattr(entry, f.attname) for f in LedgerEntry._meta.concrete_fields if f.attname != "id"}
            | {"amount": D("-5"), "reverses_id": None}
        )
