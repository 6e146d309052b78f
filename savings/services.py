"""Writes to the savings ledger: an action with its entries in one transaction, and reversals.

Every win goes through ``savings_action_record``; the action services in ``savings.actions`` work out the
amounts and call it. Nothing else writes ``LedgerEntry``.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from saasmgr.core.money import MoneyError, convert, is_currency, round_money
from saasmgr.core.selectors import fx_rate_on
from saasmgr.inventory.models import Department, Person
from savings.choices import ACTIVE_STATUSES, LedgerKind, OpportunityStatus, Recurrence
from savings.models import LedgerEntry, Opportunity, SavingsAction


class SavingsError(ValueError):
    """A savings action or ledger write that cannot be made; the message says what to change."""


@dataclass(frozen=True)
class EntrySpec:
    """One ledger amount an action writes, in the action's currency."""

    kind: str
    recurrence: str
    amount: Decimal


def team_of(user) -> Department | None:
    """The department of the person in the directory with the user's email: the team a win is credited to
    unless the form says otherwise."""
    if user is None or not getattr(user, "email", ""):
        return None
    person = Person.objects.filter(email__iexact=user.email).select_related("department").first()
    return person.department if person else None


def reporting_amount(amount: Decimal, currency: str, on_date: date) -> tuple[Decimal, Decimal]:
    """(rate, amount in the reporting currency) at the rate in force on ``on_date``; refuses when none is known."""
    try:
        rate = fx_rate_on(currency, on_date)
    except MoneyError as error:
        raise SavingsError(
            f"{error} The ledger keeps both amounts, so it cannot record this without a rate."
        ) from error
    return rate, convert(amount, rate)


def _validate(*, currency: str, effective_date, entries: list[EntrySpec]) -> None:
    if not is_currency(currency):
        raise SavingsError(f"{currency!r} is not an ISO 4217 currency code (e.g. USD, EUR, GBP).")
    if not isinstance(effective_date, date):
        raise SavingsError("The effective date must be a date like 2026-03-31.")
    for entry in entries:
        if entry.kind not in LedgerKind.values:
            raise SavingsError(f"{entry.kind!r} is not a ledger kind; use one of {', '.join(LedgerKind.values)}.")
        if entry.recurrence not in Recurrence.values:
            raise SavingsError(f"{entry.recurrence!r} is not a recurrence; use one of {', '.join(Recurrence.values)}.")
        if entry.amount < 0:
            raise SavingsError("A saving is a positive amount; correct an earlier entry by reversing it.")


@transaction.atomic
def savings_action_record(
    *,
    kind: str,
    user,
    description: str,
    currency: str,
    effective_date: date,
    entries: list[EntrySpec],
    credited_user=None,
    credited_team: Department | None = None,
    application=None,
    contract=None,
    renewal=None,
    pool=None,
    opportunity: Opportunity | None = None,
    opportunity_done: bool = True,
    baseline_annual: Decimal | None = None,
    new_annual: Decimal | None = None,
    quantity: int | None = None,
    reduce_when: str = "",
    evidence_url: str = "",
    evidence_file=None,
    details: dict | None = None,
) -> SavingsAction:
    """Record what someone did and write its ledger entries (zero amounts are skipped), both or neither.

    The win is credited to ``credited_user`` (default: who did it) and ``credited_team`` (default: that
    person's department). An opportunity it acts on is marked done, unless ``opportunity_done`` is False (a
    partial reclaim leaves the rest of the opportunity open).
    """
    description = (description or "").strip()
    if not description:
        raise SavingsError("Say what was done: the description is required.")
    currency = currency.upper()
    _validate(currency=currency, effective_date=effective_date, entries=entries)
    credited_user = credited_user or user
    if credited_team is None:
        credited_team = team_of(credited_user)
    entries = [e for e in entries if round_money(e.amount) > 0]
    rated = [(entry, *reporting_amount(round_money(entry.amount), currency, effective_date)) for entry in entries]
    action = SavingsAction.objects.create(
        kind=kind,
        opportunity=opportunity,
        application=application,
        contract=contract,
        renewal=renewal,
        pool=pool,
        description=description[:300],
        currency=currency,
        baseline_annual=baseline_annual,
        new_annual=new_annual,
        quantity=quantity,
        reduce_when=reduce_when,
        effective_date=effective_date,
        evidence_url=evidence_url,
        evidence_file=evidence_file,
        details=details or {},
        performed_by=user,
        credited_user=credited_user,
        credited_team=credited_team,
    )
    department = contract.department if contract is not None else None
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            action=action,
            kind=entry.kind,
            recurrence=entry.recurrence,
            amount=round_money(entry.amount),
            currency=currency,
            fx_rate=rate,
            amount_reporting=amount_reporting,
            reporting_currency=settings.REPORTING_CURRENCY,
            effective_date=effective_date,
            application=application,
            category=application.category if application is not None else None,
            department=department,
            credited_user=credited_user,
            credited_team=credited_team,
            description=description[:300],
            created_by=user,
        )
        for entry, rate, amount_reporting in rated
    )
    if opportunity is not None and opportunity_done:
        opportunity_mark_done(opportunity=opportunity)
    return action


def opportunity_mark_done(*, opportunity: Opportunity) -> None:
    """An action taken on it completes it; a done or closed one stays as it is."""
    Opportunity.objects.filter(pk=opportunity.pk, status__in=ACTIVE_STATUSES | {OpportunityStatus.DISMISSED}).update(
        status=OpportunityStatus.DONE, closed_at=timezone.now(), updated_at=timezone.now()
    )
    opportunity.refresh_from_db(fields=["status", "closed_at", "updated_at"])


@transaction.atomic
def ledger_entry_reverse(*, entry: LedgerEntry, user, reason: str, effective_date: date | None = None) -> LedgerEntry:
    """Cancel an entry with its negative, at the same rate, so both currencies net to exactly zero.

    It is dated like the entry it reverses unless told otherwise, so the month it was wrongly counted in
    comes right. An entry is reversed once; a reversal is not reversed (record the win again instead).
    """
    reason = (reason or "").strip()
    if not reason:
        raise SavingsError("Say why the entry is reversed: the reason is required.")
    entry = LedgerEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.reverses_id is not None:
        raise SavingsError(f"Entry #{entry.pk} is itself a reversal; record the win again instead of reversing it.")
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise SavingsError(f"Entry #{entry.pk} has already been reversed.")
    return LedgerEntry.objects.create(
        action=entry.action,
        kind=entry.kind,
        recurrence=entry.recurrence,
        amount=-entry.amount,
        currency=entry.currency,
        fx_rate=entry.fx_rate,
        amount_reporting=-entry.amount_reporting,
        reporting_currency=entry.reporting_currency,
        effective_date=effective_date or entry.effective_date,
        application_id=entry.application_id,
        category_id=entry.category_id,
        department_id=entry.department_id,
        credited_user_id=entry.credited_user_id,
        credited_team_id=entry.credited_team_id,
        description=f"Reversal of #{entry.pk}: {entry.description}"[:300],
        reverses=entry,
        reason=reason,
        created_by=user,
    )
