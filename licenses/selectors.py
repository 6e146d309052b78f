"""Reads of license pools, assignments, reconciliation runs and findings, for the pages, the API and
the dashboard. Every read here takes a fixed number of queries, however many rows it returns."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from licenses.choices import RISK_KINDS, SAVINGS_KINDS, FindingKind, IdentityStatus, RunStatus
from licenses.models import Activity, Assignment, Finding, IdentityReview, LicensePool, ReconciliationRun
from saasmgr.core.money import round_money

ZERO = Decimal("0.00")
HUNDRED = Decimal("100")
# Findings about seats that are paid for and not needed: each one is a seat that could be reclaimed.
IDLE_SEAT_KINDS = tuple(kind for kind in FindingKind.values if kind in SAVINGS_KINDS)


# Assignments and thresholds


def active_on(day: date, prefix: str = "") -> Q:
    """An assignment holds its seat on ``day``: assigned by then (or when unknown) and not ended by then."""
    return (Q(**{f"{prefix}assigned_on__isnull": True}) | Q(**{f"{prefix}assigned_on__lte": day})) & (
        Q(**{f"{prefix}unassigned_on__isnull": True}) | Q(**{f"{prefix}unassigned_on__gt": day})
    )


def threshold_expression(prefix: str = "") -> Coalesce:
    """The inactivity threshold in SQL: the pool's own, else its application's, else the global default."""
    return Coalesce(
        f"{prefix}inactivity_days",
        f"{prefix}application__inactivity_days",
        Value(settings.LICENSE_INACTIVITY_DAYS),
        output_field=IntegerField(),
    )


def threshold_source(pool: LicensePool) -> str:
    """Where a pool's threshold comes from, for the pages."""
    if pool.inactivity_days is not None:
        return "set on this pool"
    if pool.application.inactivity_days is not None:
        return "set on the application"
    return "the global default (LICENSE_INACTIVITY_DAYS)"


def last_seen_subquery(day: date) -> Subquery:
    """An assignment's holder's last activity in the pool's application on or before ``day``."""
    return Subquery(
        Activity.objects.filter(
            person_id=OuterRef("person_id"), application_id=OuterRef("pool__application_id"), day__lte=day
        )
        .order_by()
        .values("person_id")
        .annotate(last=Max("day"))
        .values("last")[:1],
        output_field=DateField(),
    )


def assignment_queryset(*, today: date) -> QuerySet[Assignment]:
    """Assignments with what a row shows: pool, application, person, department and last seen."""
    return (
        Assignment.objects.select_related("pool__application", "person__department")
        .annotate(last_seen=last_seen_subquery(today))
        .order_by("pool__application__name", "pool__name", "account")
    )


# Pools and their utilisation


def pool_queryset() -> QuerySet[LicensePool]:
    """Pools with their application, vendor, category and contract, for lists and details."""
    return LicensePool.objects.select_related(
        "application__vendor", "application__category", "line_item__contract"
    ).order_by("application__name", "name")


def pool_list_queryset(*, today: date) -> QuerySet[LicensePool]:
    """The pool list's rows, with the number of seats assigned today (one subquery, no query per row)."""
    assigned = (
        Assignment.objects.filter(active_on(today), pool_id=OuterRef("pk"))
        .order_by()
        .values("pool_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return pool_queryset().annotate(
        assigned=Coalesce(Subquery(assigned, output_field=IntegerField()), 0),
        threshold=threshold_expression(),
    )


@dataclass
class PoolUsage:
    """One pool's seats on a day. ``active``: assigned seats whose holder used the application within the
    pool's threshold; utilisation = active assigned seats ÷ purchased seats (DESIGN.md section 3)."""

    pool: LicensePool
    assigned: int = 0
    active: int = 0

    @property
    def threshold_days(self) -> int:
        return self.pool.threshold_days

    @property
    def purchased(self) -> int | None:
        return self.pool.purchased_quantity

    @property
    def utilisation(self) -> Decimal | None:
        """Percent, one decimal (above 100 when more holders are active than seats were bought); None when the
        purchased quantity is unknown or 0."""
        if not self.purchased:
            return None
        return (HUNDRED * self.active / self.purchased).quantize(Decimal("0.1"))

    @property
    def unassigned(self) -> int | None:
        return None if self.purchased is None else max(0, self.purchased - self.assigned)

    @property
    def over_assigned(self) -> int | None:
        return None if self.purchased is None else max(0, self.assigned - self.purchased)

    @property
    def idle_seats(self) -> int | None:
        """Purchased seats nobody uses: unassigned, or assigned to someone idle."""
        return None if self.purchased is None else max(0, self.purchased - self.active)

    @property
    def unit_cost_reporting(self) -> Decimal | None:
        return self.pool.annual_unit_cost_reporting

    @property
    def idle_cost(self) -> Decimal | None:
        """Annual cost of the idle seats in the reporting currency; None when unknown."""
        if self.idle_seats is None or self.unit_cost_reporting is None:
            return None
        return round_money(self.idle_seats * self.unit_cost_reporting)


def pool_usage(pools: QuerySet[LicensePool], *, today: date) -> list[PoolUsage]:
    """Every pool of ``pools`` with its assigned and active seats on ``today``, in two queries."""
    rows = [PoolUsage(pool) for pool in pools.select_related("application__vendor", "application__category")]
    if not rows:
        return rows
    counts = seat_counts(
        pool_ids=[row.pool.pk for row in rows], today=today, thresholds={r.threshold_days for r in rows}
    )
    for row in rows:
        row.assigned, row.active = counts.get(row.pool.pk, (0, 0))
    return rows


def seat_counts(*, pool_ids: list[int], today: date, thresholds: set[int]) -> dict[int, tuple[int, int]]:
    """{pool id: (seats assigned on ``today``, of those whose holder was active within the pool's threshold)}.

    One query: the threshold varies per pool, so the cut-off date is a CASE over the few thresholds in use.
    """
    cutoff = Case(
        *[When(threshold_days=days, then=Value(today - timedelta(days=days))) for days in sorted(thresholds)],
        output_field=DateField(),
    )
    recent = Activity.objects.filter(
        person_id=OuterRef("person_id"),
        application_id=OuterRef("pool__application_id"),
        day__lte=today,
        day__gte=OuterRef("cutoff"),
    )
    rows = (
        Assignment.objects.filter(active_on(today), pool_id__in=pool_ids)
        .annotate(threshold_days=threshold_expression("pool__"))
        .annotate(cutoff=cutoff)
        .annotate(recent=Exists(recent))
        .order_by()
        .values("pool_id")
        .annotate(assigned=Count("pk"), active=Count("pk", filter=Q(recent=True)))
        .values_list("pool_id", "assigned", "active")
    )
    return {pool_id: (assigned, active) for pool_id, assigned, active in rows}


@dataclass
class UsageTotals:
    pools: int = 0
    purchased: int = 0
    assigned: int = 0
    active: int = 0
    idle_seats: int = 0
    idle_cost: Decimal = ZERO
    unpriced_pools: int = 0

    @property
    def utilisation(self) -> Decimal | None:
        return (HUNDRED * self.active / self.purchased).quantize(Decimal("0.1")) if self.purchased else None


def usage_totals(rows: list[PoolUsage]) -> UsageTotals:
    """Totals over pools whose purchased quantity is known (the others cannot be judged)."""
    totals = UsageTotals(pools=len(rows))
    for row in rows:
        if row.purchased is None:
            continue
        totals.purchased += row.purchased
        totals.assigned += row.assigned
        # An over-assigned pool's extra active seats do not make up for another pool's idle ones.
        totals.active += min(row.active, row.purchased)
        totals.idle_seats += row.idle_seats
        if row.idle_cost is None:
            totals.unpriced_pools += 1 if row.idle_seats else 0
        else:
            totals.idle_cost += row.idle_cost
    return totals


def application_active_users(pool: LicensePool, *, today: date) -> int:
    """People who used the pool's application within the pool's threshold, holding a seat or not."""
    since = today - timedelta(days=pool.threshold_days)
    return (
        Activity.objects.filter(application_id=pool.application_id, day__gte=since, day__lte=today)
        .values("person_id")
        .distinct()
        .count()
    )


# Runs and findings


def latest_done_run(*, application_id: int | None = None) -> ReconciliationRun | None:
    """The newest finished run: of every application when there is one, else of any single application.
    With ``application_id``, the newest finished run that covered that application."""
    runs = ReconciliationRun.objects.filter(status=RunStatus.DONE).order_by("-created_at", "-pk")
    if application_id is not None:
        return runs.filter(Q(application__isnull=True) | Q(application_id=application_id)).first()
    return runs.filter(application__isnull=True).first() or runs.first()


def run_queryset() -> QuerySet[ReconciliationRun]:
    return ReconciliationRun.objects.select_related("application", "triggered_by").order_by("-created_at", "-pk")


def finding_queryset(run: ReconciliationRun | None) -> QuerySet[Finding]:
    """The findings of ``run`` (none without a run), biggest impact first, unpriced last."""
    if run is None:
        return Finding.objects.none()
    return (
        Finding.objects.filter(run=run)
        .select_related("application", "pool", "person__department")
        .order_by(F("annual_cost_impact").desc(nulls_last=True), "kind", "pk")
    )


def _impact_sum(kinds) -> Coalesce:
    return Coalesce(Sum("annual_cost_impact", filter=Q(kind__in=kinds)), Value(ZERO))


@dataclass
class FindingTotals:
    findings: int = 0
    seats: int = 0
    savings: Decimal = ZERO
    risk: Decimal = ZERO
    unpriced: int = 0
    savings_findings: int = 0
    risk_findings: int = 0


def finding_totals(findings: QuerySet[Finding]) -> FindingTotals:
    """Count, seats, savings and true-up risk (reporting currency) and unpriced findings, in one query."""
    totals = findings.order_by().aggregate(
        findings=Count("pk"),
        seats=Coalesce(Sum("quantity"), 0),
        savings=_impact_sum(SAVINGS_KINDS),
        risk=_impact_sum(RISK_KINDS),
        unpriced=Count("pk", filter=Q(annual_cost_impact__isnull=True)),
        savings_findings=Count("pk", filter=Q(kind__in=SAVINGS_KINDS)),
        risk_findings=Count("pk", filter=Q(kind__in=RISK_KINDS)),
    )
    return FindingTotals(**totals)


def findings_by_application(findings: QuerySet[Finding]) -> list[dict]:
    """Per application: findings of each kind, savings, risk and unpriced findings; biggest savings first."""
    per_kind = {kind: Count("pk", filter=Q(kind=kind)) for kind in FindingKind.values}
    rows = list(
        findings.order_by()
        .values("application_id", "application__name")
        .annotate(
            findings=Count("pk"),
            savings=_impact_sum(SAVINGS_KINDS),
            risk=_impact_sum(RISK_KINDS),
            unpriced=Count("pk", filter=Q(annual_cost_impact__isnull=True)),
            **per_kind,
        )
        .order_by("-savings", "-risk", "application__name")
    )
    for row in rows:
        row["by_kind"] = [row[kind] for kind in FindingKind.values]
    return rows


@dataclass
class KindTotal:
    kind: str
    label: str
    count: int
    impact: Decimal
    is_risk: bool


def run_kind_totals(run: ReconciliationRun) -> tuple[list[KindTotal], list[KindTotal]]:
    """The run's stored totals per kind, split into (savings, risk), in the order of FindingKind."""
    savings, risk = [], []
    for kind in FindingKind:
        total = KindTotal(
            kind=kind.value,
            label=kind.label,
            count=int(run.counts.get(kind.value, 0)),
            impact=Decimal(run.impacts.get(kind.value, "0")),
            is_risk=kind in RISK_KINDS,
        )
        (risk if total.is_risk else savings).append(total)
    return savings, risk


# The dashboard's figures


def idle_seats_latest() -> int:
    """Seats that could be reclaimed according to the latest run."""
    run = latest_done_run()
    if run is None:
        return 0
    return Finding.objects.filter(run=run, kind__in=IDLE_SEAT_KINDS).aggregate(n=Coalesce(Sum("quantity"), 0))["n"]


def _whole(amount: Decimal | None) -> int:
    return int((amount or ZERO).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def idle_cost_latest() -> int:
    """Annual cost of the latest run's savings findings in the reporting currency, in whole units."""
    run = latest_done_run()
    return _whole(run.total_annual_savings) if run else 0


def true_up_risk_latest() -> int:
    run = latest_done_run()
    return _whole(run.total_annual_risk) if run else 0


def identities_to_review_count() -> int:
    return IdentityReview.objects.filter(status=IdentityStatus.PENDING).count()


# One pool's page


@dataclass
class PoolOverview:
    usage: PoolUsage
    active_users: int
    assignments: list[Assignment]
    assignment_total: int
    run: ReconciliationRun | None
    findings: list[Finding]
    finding_totals: FindingTotals | None


def pool_overview(pool: LicensePool, *, today: date, assignments_shown: int, findings_shown: int) -> PoolOverview:
    """What a pool's page shows: its seats today, its first assignments (current ones first) and the findings of
    the latest finished run that covered its application; the same few queries however big the pool is."""
    assignments = assignment_queryset(today=today).filter(pool=pool)
    run = latest_done_run(application_id=pool.application_id)
    findings = finding_queryset(run).filter(pool=pool)
    return PoolOverview(
        usage=pool_usage(LicensePool.objects.filter(pk=pool.pk), today=today)[0],
        active_users=application_active_users(pool, today=today),
        assignments=list(assignments.order_by(F("unassigned_on").asc(nulls_first=True), "account")[:assignments_shown]),
        assignment_total=assignments.count(),
        run=run,
        findings=list(findings[:findings_shown]),
        finding_totals=finding_totals(findings) if run else None,
    )
