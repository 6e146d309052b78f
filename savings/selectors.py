"""Reads of the Savings Center: every total the product shows comes from here.

The Savings Center page, the ledger page, the API summary and the exports all call these functions, so a
figure on one can never disagree with the same figure on another. Totals are SQL aggregates over
``LedgerEntry.amount_reporting`` (reversals included: they carry negative amounts), in the reporting currency,
and ``Decimal`` throughout. Each function runs a fixed number of queries whatever the number of rows.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from saasmgr.core.dates import month_start
from saasmgr.core.money import round_money
from savings.choices import RISK_OPPORTUNITY_KINDS, LedgerKind, OpportunityStatus, Recurrence
from savings.filtersets import LedgerEntryFilterSet, OpportunityFilterSet
from savings.models import LedgerEntry, Opportunity

ZERO = Decimal("0.00")
MONEY_FIELD = DecimalField(max_digits=20, decimal_places=2)
RATIO = Decimal("0.01")
ONE_DAY = timedelta(days=1)

# Every related row the ledger table, detail and export show, fetched with the entry in one query.
LEDGER_RELATED = (
    "action",
    "application",
    "category",
    "department",
    "credited_user",
    "credited_team",
    "reverses",
    "reversed_by",
    "created_by",
)


def _sum(condition: Q | None = None) -> Coalesce:
    return Coalesce(Sum("amount_reporting", filter=condition), Value(ZERO), output_field=MONEY_FIELD)


def _money(value) -> Decimal:
    # SQLite sums decimals as floating point; two places give back the exact cents (PostgreSQL is exact already).
    return round_money(Decimal(value if value is not None else 0))


# The ledger


def ledger_filterset(data: Mapping | None = None, *, request=None, queryset: QuerySet | None = None):
    """The ledger's filterset bound to ``data`` (a QueryDict or dict), over the rows the ledger pages show."""
    return LedgerEntryFilterSet(
        data or None, queryset=queryset if queryset is not None else ledger_rows(), request=request
    )


def ledger_rows() -> QuerySet:
    """Every ledger row with what its table row, detail page and export line need, newest first."""
    return LedgerEntry.objects.select_related(*LEDGER_RELATED).order_by("-effective_date", "-pk")


def ledger_queryset(filters: Mapping | None = None, *, request=None) -> QuerySet:
    """The ledger rows under the ledger filters (see ``LedgerEntryFilterSet``); no filter: every row.

    Invalid filters raise ``ValidationError`` with the filterset's errors per field: a mistyped filter never
    silently shows (and totals) the whole ledger.
    """
    filterset = ledger_filterset(filters, request=request)
    if not filterset.is_bound:
        return filterset.queryset
    if not filterset.is_valid():
        raise filter_errors(filterset)
    return filterset.qs


def filter_errors(filterset) -> ValidationError:
    """The filterset's errors as one ValidationError, per filter: {"date_from": ["Enter a valid date."]}."""
    return ValidationError(
        {name: [error["message"] for error in errors] for name, errors in filterset.errors.get_json_data().items()}
    )


@dataclass(frozen=True)
class LedgerTotals:
    """The sums of some ledger rows in the reporting currency. ``total`` = cost savings + cost avoidance
    = one-time + annual recurring; reversals are in every figure (negative), so a reversed win counts 0."""

    currency: str
    cost_savings: Decimal
    cost_avoidance: Decimal
    total: Decimal
    one_time: Decimal
    annual: Decimal
    entries: int
    reversals: int

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def ledger_totals(qs: QuerySet | None = None) -> LedgerTotals:
    """Cost savings, cost avoidance, their total, and one-time vs annual recurring, of ``qs`` (one query)."""
    qs = LedgerEntry.objects.all() if qs is None else qs
    row = qs.order_by().aggregate(
        total=_sum(),
        cost_savings=_sum(Q(kind=LedgerKind.COST_SAVINGS)),
        cost_avoidance=_sum(Q(kind=LedgerKind.COST_AVOIDANCE)),
        one_time=_sum(Q(recurrence=Recurrence.ONE_TIME)),
        annual=_sum(Q(recurrence=Recurrence.ANNUAL)),
        entries=Count("pk"),
        reversals=Count("pk", filter=Q(reverses__isnull=False)),
    )
    return LedgerTotals(
        currency=settings.REPORTING_CURRENCY,
        cost_savings=_money(row["cost_savings"]),
        cost_avoidance=_money(row["cost_avoidance"]),
        total=_money(row["total"]),
        one_time=_money(row["one_time"]),
        annual=_money(row["annual"]),
        entries=row["entries"],
        reversals=row["reversals"],
    )


@dataclass(frozen=True)
class SummaryRow:
    """One group of ledger rows: its key (a choice value, an id, or the month's first day), a label, its sums,
    and ``params``: the ledger filters that list exactly these rows (the drill-down)."""

    key: object
    label: str
    total: Decimal
    cost_savings: Decimal
    cost_avoidance: Decimal
    entries: int
    params: dict = field(default_factory=dict)


# by -> (the columns grouped on, the filter parameter the key drills down with)
SUMMARY_GROUPS = {
    "kind": (("kind",), "kind"),
    "recurrence": (("recurrence",), "recurrence"),
    "category": (("category_id", "category__name"), "category"),
    "department": (("department_id", "department__name"), "department"),
    "credited_team": (("credited_team_id", "credited_team__name"), "credited_team"),
    "credited_user": (
        ("credited_user_id", "credited_user__first_name", "credited_user__last_name", "credited_user__username"),
        "credited_user",
    ),
    "application": (("application_id", "application__name"), "application"),
    "month": (("month",), None),
}
SUMMARY_BY = tuple(SUMMARY_GROUPS)
CHOICE_LABELS = {"kind": dict(LedgerKind.choices), "recurrence": dict(Recurrence.choices)}
NONE_LABELS = {
    "category": "No category",
    "department": "No department",
    "credited_team": "No team",
    "credited_user": "Nobody",
    "application": "No application",
}


def ledger_summary(qs: QuerySet | None = None, *, by: str) -> list[SummaryRow]:
    """The totals of ``qs`` grouped by kind, recurrence, category, department (of the spend), credited team,
    credited person, application or month (of the effective date), in one query.

    Months come oldest first; every other grouping largest total first.
    """
    if by not in SUMMARY_GROUPS:
        raise ValueError(f"Unknown grouping {by!r}; use one of {', '.join(SUMMARY_BY)}.")
    columns, param = SUMMARY_GROUPS[by]
    qs = (LedgerEntry.objects.all() if qs is None else qs).order_by()
    if by == "month":
        qs = qs.annotate(month=TruncMonth("effective_date"))
    grouped = qs.values(*columns).annotate(
        total=_sum(),
        cost_savings=_sum(Q(kind=LedgerKind.COST_SAVINGS)),
        cost_avoidance=_sum(Q(kind=LedgerKind.COST_AVOIDANCE)),
        entries=Count("pk"),
    )
    rows = [_summary_row(by, columns, param, values) for values in grouped]
    if by == "month":
        return sorted(rows, key=lambda row: row.key)
    return sorted(rows, key=lambda row: (-row.total, row.label.lower()))


def _summary_row(by: str, columns: tuple[str, ...], param: str | None, values: dict) -> SummaryRow:
    key = values[columns[0]]
    if by == "month":
        key = key.date() if hasattr(key, "date") else key
        label = key.strftime("%Y-%m")
        params = {"date_from": key.isoformat(), "date_to": (month_start(key, 1) - ONE_DAY).isoformat()}
    else:
        if by in CHOICE_LABELS:
            label = CHOICE_LABELS[by].get(key, key)
        elif key is None:
            label = NONE_LABELS[by]
        elif by == "credited_user":
            first, last, username = (values[column] for column in columns[1:])
            label = f"{first} {last}".strip() or username
        else:
            label = values[columns[1]]
        params = {param: key} if key is not None else {}
    return SummaryRow(
        key=key,
        label=label,
        total=_money(values["total"]),
        cost_savings=_money(values["cost_savings"]),
        cost_avoidance=_money(values["cost_avoidance"]),
        entries=values["entries"],
        params=params,
    )


def wins_by_person(qs: QuerySet | None = None) -> list[SummaryRow]:
    """The ledger total credited to each person, largest first."""
    return ledger_summary(qs, by="credited_user")


def wins_by_team(qs: QuerySet | None = None) -> list[SummaryRow]:
    """The ledger total credited to each team (a department), largest first."""
    return ledger_summary(qs, by="credited_team")


def roi(realized: Decimal, program_cost: Decimal | None = None) -> Decimal | None:
    """ROI = realized savings ÷ program cost (SAVINGS_PROGRAM_ANNUAL_COST), to two places; None with no cost."""
    cost = settings.SAVINGS_PROGRAM_ANNUAL_COST if program_cost is None else Decimal(program_cost)
    if not cost:
        return None
    return (Decimal(realized) / cost).quantize(RATIO)


# Opportunities


def opportunity_queryset(filters: Mapping | None = None, *, request=None) -> QuerySet:
    """Opportunities under the opportunity filters, highest priority first; invalid filters raise ValidationError."""
    rows = Opportunity.objects.select_related("application", "owner").order_by("-priority", "pk")
    filterset = OpportunityFilterSet(filters or None, queryset=rows, request=request)
    if not filterset.is_bound:
        return rows
    if not filterset.is_valid():
        raise filter_errors(filterset)
    return filterset.qs


@dataclass(frozen=True)
class OpportunityTotals:
    """Estimated annual savings still to act on, in the reporting currency.

    ``identified`` = ``open`` + ``in_progress``; true-up ``risk`` (money that may be owed) is never in them.
    Opportunities without a reporting-currency value are counted in ``unpriced`` and in no sum.
    """

    currency: str
    open: Decimal
    in_progress: Decimal
    identified: Decimal
    risk: Decimal
    open_count: int
    in_progress_count: int
    risk_count: int
    unpriced: int

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _opportunity_sum(condition: Q) -> Coalesce:
    return Coalesce(Sum("estimated_annual_savings", filter=condition), Value(ZERO), output_field=MONEY_FIELD)


def opportunity_totals(qs: QuerySet | None = None) -> OpportunityTotals:
    """The open, in-progress and risk sums of the active opportunities in ``qs`` (one query)."""
    qs = Opportunity.objects.all() if qs is None else qs
    savings = ~Q(kind__in=sorted(RISK_OPPORTUNITY_KINDS))
    is_open = savings & Q(status=OpportunityStatus.OPEN)
    in_progress = savings & Q(status=OpportunityStatus.IN_PROGRESS)
    risk = Q(
        kind__in=sorted(RISK_OPPORTUNITY_KINDS), status__in=[OpportunityStatus.OPEN, OpportunityStatus.IN_PROGRESS]
    )
    active = Q(status__in=[OpportunityStatus.OPEN, OpportunityStatus.IN_PROGRESS])
    row = qs.order_by().aggregate(
        open=_opportunity_sum(is_open),
        in_progress=_opportunity_sum(in_progress),
        risk=_opportunity_sum(risk),
        open_count=Count("pk", filter=is_open),
        in_progress_count=Count("pk", filter=in_progress),
        risk_count=Count("pk", filter=risk),
        unpriced=Count("pk", filter=active & Q(estimated_annual_savings__isnull=True)),
    )
    open_sum, in_progress_sum = _money(row["open"]), _money(row["in_progress"])
    return OpportunityTotals(
        currency=settings.REPORTING_CURRENCY,
        open=open_sum,
        in_progress=in_progress_sum,
        identified=open_sum + in_progress_sum,
        risk=_money(row["risk"]),
        open_count=row["open_count"],
        in_progress_count=row["in_progress_count"],
        risk_count=row["risk_count"],
        unpriced=row["unpriced"],
    )


@dataclass(frozen=True)
class MonthTotals:
    """One month of the Savings Center chart: opportunities first seen that month still open or in progress
    (their estimated annual savings), and the ledger total effective that month (realized)."""

    month: date
    identified: Decimal
    in_progress: Decimal
    realized: Decimal

    @property
    def label(self) -> str:
        return self.month.strftime("%Y-%m")

    @property
    def ledger_params(self) -> dict:
        """The ledger filters listing the realized rows of this month."""
        return {"date_from": self.month.isoformat(), "date_to": (month_start(self.month, 1) - ONE_DAY).isoformat()}


def savings_by_month(
    *,
    months: int = 12,
    today: date | None = None,
    ledger: QuerySet | None = None,
    opportunities: QuerySet | None = None,
) -> list[MonthTotals]:
    """The last ``months`` months, oldest first, this month included, each with identified (open), in progress
    and realized totals; months without any are zeros (two queries).

    Identified and in progress group the savings opportunities by the month they were first seen; realized
    groups the ledger by effective date.
    """
    today = today or timezone.localdate()
    first = month_start(today, -(months - 1))
    end = month_start(today, 1)
    ledger = LedgerEntry.objects.all() if ledger is None else ledger
    realized = {
        _as_date(row["month"]): _money(row["total"])
        for row in ledger.order_by()
        .filter(effective_date__gte=first, effective_date__lt=end)
        .annotate(month=TruncMonth("effective_date"))
        .values("month")
        .annotate(total=_sum())
    }
    opportunities = Opportunity.objects.all() if opportunities is None else opportunities
    seen = (
        opportunities.order_by()
        .exclude(kind__in=sorted(RISK_OPPORTUNITY_KINDS))
        .filter(first_seen_at__date__gte=first, first_seen_at__date__lt=end)
        .annotate(month=TruncMonth("first_seen_at"))
        .values("month")
        .annotate(
            identified=_opportunity_sum(Q(status=OpportunityStatus.OPEN)),
            in_progress=_opportunity_sum(Q(status=OpportunityStatus.IN_PROGRESS)),
        )
    )
    pipeline = {_as_date(row["month"]): (_money(row["identified"]), _money(row["in_progress"])) for row in seen}
    series = []
    for offset in range(months):
        month = month_start(first, offset)
        identified, in_progress = pipeline.get(month, (ZERO, ZERO))
        series.append(MonthTotals(month, identified, in_progress, realized.get(month, ZERO)))
    return series


def _as_date(value) -> date:
    """TruncMonth gives a date for a date column and an aware datetime for a datetime column."""
    if hasattr(value, "tzinfo") and hasattr(value, "date"):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value
