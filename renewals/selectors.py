"""Reads of contracts and renewals for the pages, the dashboard and the calendar feed."""

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from renewals.choices import ContractStatus, RenewalStage
from renewals.models import Contract, Renewal
from renewals.pricing import PricingError, line_item_annual_value
from saasmgr.core.money import MissingFxRate, convert, round_money
from saasmgr.core.selectors import fx_rate_on
from saasmgr.inventory.models import Application

OPEN_STAGES = (RenewalStage.UPCOMING, RenewalStage.IN_REVIEW, RenewalStage.NEGOTIATING)
PIPELINE_STAGES = (*OPEN_STAGES, RenewalStage.DECIDED)
AT_RISK_WINDOW_DAYS = 30
RECENTLY_CLOSED_DAYS = 30
DEADLINE_WARNING_DAYS = 30


def _applications_by_name() -> Prefetch:
    return Prefetch("applications", queryset=Application.objects.order_by("name").only("id", "name"))


def contract_queryset() -> QuerySet[Contract]:
    """Contracts with everything a list row shows, in a fixed number of queries."""
    return Contract.objects.select_related("vendor", "owner", "department").prefetch_related(_applications_by_name())


def renewal_queryset() -> QuerySet[Renewal]:
    """Renewals with their contract and everything a card or row shows, in a fixed number of queries."""
    return Renewal.objects.select_related(
        "contract__vendor", "contract__owner", "contract__department", "owner"
    ).prefetch_related(Prefetch("contract__applications", queryset=Application.objects.order_by("name")))


def active_renewals() -> QuerySet[Renewal]:
    """Renewals that still matter: not closed, of contracts that are active."""
    return renewal_queryset().filter(contract__status=ContractStatus.ACTIVE).exclude(stage=RenewalStage.CLOSED)


def pipeline_renewals() -> QuerySet[Renewal]:
    """The pipeline's renewals: every one still in play, and those closed in the last few weeks."""
    recently = timezone.now() - timedelta(days=RECENTLY_CLOSED_DAYS)
    in_play = Q(stage__in=PIPELINE_STAGES, contract__status=ContractStatus.ACTIVE)
    closed_recently = Q(stage=RenewalStage.CLOSED, closed_at__gte=recently)
    return renewal_queryset().filter(in_play | closed_recently).order_by("cancel_by", "pk")


@dataclass
class PipelineColumn:
    stage: str
    label: str
    cards: list[Renewal] = field(default_factory=list)
    count: int = 0
    reporting_total: Decimal = Decimal("0")
    missing_rates: int = 0


def pipeline_columns(renewals, *, card_limit: int) -> list[PipelineColumn]:
    """Group renewals by stage, keeping the first ``card_limit`` cards of each column (the rest are counted)."""
    columns = {stage: PipelineColumn(stage, RenewalStage(stage).label) for stage in (*PIPELINE_STAGES, "closed")}
    columns[RenewalStage.CLOSED].label = "Closed (last 30 days)"
    for renewal in renewals:
        column = columns[renewal.stage]
        column.count += 1
        value = renewal.contract.annual_value_reporting
        if value is None:
            column.missing_rates += 1
        else:
            column.reporting_total += value
        if len(column.cards) < card_limit:
            column.cards.append(renewal)
    return list(columns.values())


def at_risk_renewals(*, today: date) -> QuerySet[Renewal]:
    """Open renewals of active contracts whose cancel-by is within 30 days with no decision yet, or that renew
    automatically and whose cancel-by has already passed."""
    soon = Q(cancel_by__gte=today, cancel_by__lte=today + timedelta(days=AT_RISK_WINDOW_DAYS), decision="")
    lapsed = Q(cancel_by__lt=today, contract__auto_renew=True)
    return (
        renewal_queryset()
        .filter(contract__status=ContractStatus.ACTIVE, stage__in=OPEN_STAGES)
        .filter(soon | lapsed)
        .order_by("cancel_by", "pk")
    )


def at_risk_reason(renewal: Renewal, *, today: date) -> str:
    days = (renewal.cancel_by - today).days
    if days < 0:
        return f"Auto-renews: cancel-by passed {-days} day{'s' if days != -1 else ''} ago, still open"
    when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
    return f"Cancel-by {when}, no decision yet"


def at_risk_count(*, today: date | None = None) -> int:
    return at_risk_renewals(today=today or timezone.localdate()).count()


def cancel_by_soon_count(*, today: date | None = None, days: int = DEADLINE_WARNING_DAYS) -> int:
    today = today or timezone.localdate()
    return (
        Renewal.objects.filter(contract__status=ContractStatus.ACTIVE, stage__in=PIPELINE_STAGES)
        .filter(cancel_by__gte=today, cancel_by__lte=today + timedelta(days=days))
        .count()
    )


def active_contract_count() -> int:
    return Contract.objects.filter(status=ContractStatus.ACTIVE).count()


def active_annual_value_reporting() -> int:
    """Annual value of the active contracts in the reporting currency, whole units (contracts without a rate
    are left out; the contract list shows them)."""
    total = Contract.objects.filter(status=ContractStatus.ACTIVE).aggregate(total=Sum("annual_value_reporting"))
    return int(total["total"] or 0)


# The calendar


@dataclass(frozen=True)
class CalendarEvent:
    day: date
    kind: str  # "cancel_by" or "end"
    renewal: Renewal

    @property
    def label(self) -> str:
        return "Cancel-by" if self.kind == "cancel_by" else "Ends"


@dataclass
class CalendarDay:
    day: date
    in_month: bool
    is_today: bool
    events: list[CalendarEvent] = field(default_factory=list)


def calendar_weeks(*, year: int, month: int, today: date) -> list[list[CalendarDay]]:
    """The month's weeks (Monday first), each day holding the cancel-by and end dates that fall on it."""
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    first, last = weeks[0][0], weeks[-1][-1]
    days = {d: CalendarDay(d, d.month == month, d == today) for week in weeks for d in week}
    renewals = (
        active_renewals()
        .filter(Q(cancel_by__range=(first, last)) | Q(term_end__range=(first, last)))
        .order_by("cancel_by", "pk")
    )
    for renewal in renewals:
        for kind, day in (("cancel_by", renewal.cancel_by), ("end", renewal.term_end)):
            if first <= day <= last:
                days[day].events.append(CalendarEvent(day, kind, renewal))
    return [[days[d] for d in week] for week in weeks]


def calendar_feed_renewals() -> QuerySet[Renewal]:
    """What a subscribed calendar shows: every renewal still in play, with its cancel-by and end dates."""
    return active_renewals().order_by("cancel_by", "pk")


# A contract's figures in the reporting currency


@dataclass(frozen=True)
class ReportingValues:
    currency: str
    rate: Decimal | None
    rate_date: date
    annual: Decimal | None
    total: Decimal | None
    missing: MissingFxRate | None


def contract_reporting_values(contract: Contract) -> ReportingValues:
    """Annual value and TCV in the reporting currency, at the rate in force on the term's start date."""
    reporting = settings.REPORTING_CURRENCY
    try:
        rate = fx_rate_on(contract.currency, contract.start_date)
    except MissingFxRate as exc:
        return ReportingValues(reporting, None, contract.start_date, None, None, exc)
    return ReportingValues(
        reporting,
        rate,
        contract.start_date,
        convert(contract.annual_value, rate),
        convert(contract.total_value, rate),
        None,
    )


@dataclass(frozen=True)
class LineItemRow:
    item: object
    annual_value: Decimal | None
    annual_reporting: Decimal | None
    error: str


def line_item_rows(contract: Contract, *, rate: Decimal | None) -> list[LineItemRow]:
    """Each line item with its own annual value (contract and reporting currency)."""
    term_months = contract.term_months
    rows = []
    for item in contract.line_items.all():
        try:
            annual = line_item_annual_value(item, term_months=term_months)
        except PricingError as exc:
            rows.append(LineItemRow(item, None, None, str(exc)))
            continue
        reporting = convert(annual, rate) if rate is not None else None
        rows.append(LineItemRow(item, round_money(annual), reporting, ""))
    return rows
