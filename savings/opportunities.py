"""Opportunities: found in the evidence, refreshed, closed when the evidence goes; and the moves people make.

**Evidence.** ``opportunities_refresh`` reads, for each application, the newest finished reconciliation run
that covered it (the newest full run, or a newer run of that application alone), plus the renewals, the
contracts and Activity:

- ``reclaim``: one per pool, its held seats found departed, never used, inactive or duplicate; savings = the
  findings' annual cost impacts.
- ``reduce_at_renewal``: one per pool, its unassigned seats (the unassigned_seat finding).
- ``cancel_app``: an application with usage data whose seat utilisation (active assigned ÷ purchased over its
  pools) is below SAVINGS_LOW_UTILISATION; savings = the annual cost of its seats.
- ``consolidate``: one per category. Among its sanctioned applications with contract spend, the one with the
  most spend is kept; each other one whose users overlap with it (people active in both in the last 90 days) by
  SAVINGS_CONSOLIDATE_MIN_OVERLAP or more is retired; savings = the annual cost of the retired ones. Only an
  active contract that lists one application counts as its spend: a bundle is not cut by dropping one of its apps.
- ``right_size``: one per renewal not closed whose term ends within SAVINGS_RIGHT_SIZE_HORIZON_DAYS; per per-seat
  pool of an application with usage data, recommended = right_size_seats(people active in the last 90 days,
  buffer); savings = the seats above it × the annual unit cost. The people are the application's users or, when
  the application has several pools, those of them who hold a seat of this pool. No usage data, no right-sizing.
- ``renegotiate``: a renewal not closed whose quote exceeds baseline × (1 + cap), cap = the smallest uplift cap
  of its line items, else SAVINGS_PRICE_CAP_PCT; savings = quote − baseline × (1 + cap).
- ``true_up_risk``: one per pool, its over-assigned seats: money at risk, never added to savings.

**The same money is counted once** across the open opportunities. "Counted" means open or in progress after the
refresh: a dismissed opportunity counts nothing, so it covers nothing either.

1. ``cancel_app`` covers its application's whole seat spend: that application gets no ``reclaim``,
   ``reduce_at_renewal``, ``right_size`` or ``consolidate`` opportunity.
2. ``right_size`` covers the pools it judged at that renewal: they get no ``reduce_at_renewal`` (even when no seat
   is above the recommendation: the spare seats are then the buffer). Its seats above the recommendation leave
   out the seats a counted ``reclaim`` of the same pool already counts.
3. ``consolidate`` counts each retired application's annual cost less what the counted ``reclaim``,
   ``reduce_at_renewal`` and ``right_size`` opportunities of that application already count.
4. Seats that a recorded reclaim takes off the next term (reduce_when = at_renewal, on a renewal not closed yet)
   are in the ledger already: ``reduce_at_renewal``, ``right_size``, ``cancel_app`` and ``consolidate`` leave them
   out; and a finding whose seat was reclaimed after the run (its assignment ended) no longer counts.
5. ``renegotiate`` (the price rise above the cap, avoided) overlaps none of these; ``true_up_risk`` is a risk.

**Refresh.** Each opportunity has a ``key`` naming its evidence ("reclaim:pool:12"). In one transaction: a key
with a live opportunity refreshes it (values, evidence, findings, deadline, due date, priority); a new key opens
one; an open or in-progress one whose key is gone is closed. A dismissed one stays dismissed unless its value
moved materially (SAVINGS_REOPEN_CHANGE) since it was dismissed, then it reopens (and it stays dismissed when its
evidence goes). Done and closed ones are
history: new evidence for the same key opens a new opportunity. Running it twice in a row changes nothing.

**Dates.** deadline = the cancel-by date of the contract it touches; due date = deadline − SAVINGS_DUE_LEAD_DAYS
(never after the deadline), else first seen + SAVINGS_DUE_DAYS; priority = ``savings.formulas.priority`` of the
reporting-currency value (0 when unknown) against the deadline.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pandas as pd
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from licenses.choices import FindingKind, RunStatus
from licenses.models import Activity, Assignment, Finding, LicensePool, ReconciliationRun, UsageSource
from licenses.runs import latest_run
from licenses.selectors import active_on, seat_counts, threshold_expression
from renewals.choices import ContractStatus, PricingModel, RenewalStage
from renewals.models import Contract, LineItem, Renewal
from saasmgr.core.money import MissingFxRate, convert, round_money
from saasmgr.core.selectors import FxRateBook
from saasmgr.inventory.choices import ApplicationStatus
from saasmgr.inventory.models import Application
from savings.choices import (
    ACTIVE_STATUSES,
    LIVE_STATUSES,
    STATUS_MOVES,
    OpportunityKind,
    OpportunityStatus,
    ReduceWhen,
)
from savings.formulas import (
    priority,
    reclaim_annual_savings,
    renegotiate_savings,
    right_size_seats,
    utilisation,
    value_changed_materially,
)
from savings.models import Opportunity, SavingsAction
from savings.services import SavingsError

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
HUNDRED = Decimal("100")
# DESIGN.md section 3: right-sizing and overlap look at the people active in the last 90 days.
ACTIVE_DAYS = 90
SEAT_FINDING_KINDS = (
    FindingKind.DEPARTED_HOLDER,
    FindingKind.NEVER_USED,
    FindingKind.INACTIVE,
    FindingKind.DUPLICATE_ACCOUNT,
)
# The opportunity each finding kind backs (and is linked to), in the order the evidence lists them.
FINDING_OPPORTUNITY_KIND = {
    **dict.fromkeys(SEAT_FINDING_KINDS, OpportunityKind.RECLAIM),
    FindingKind.UNASSIGNED_SEAT: OpportunityKind.REDUCE_AT_RENEWAL,
    FindingKind.OVER_ASSIGNED: OpportunityKind.TRUE_UP_RISK,
}
FINDING_ORDER = list(FINDING_OPPORTUNITY_KIND)
# Kinds whose opportunity takes the owner of the renewal first (the person negotiating it).
RENEWAL_KINDS = frozenset({OpportunityKind.RIGHT_SIZE, OpportunityKind.RENEGOTIATE})
# What the refresh writes from the evidence; a change in any of these but the run and evidence (or in the
# status) goes into the history.
REFRESHED_FIELDS = [
    "title",
    "application",
    "pool",
    "contract",
    "renewal",
    "run",
    "quantity",
    "currency",
    "estimated_annual_savings_local",
    "estimated_annual_savings",
    "evidence",
    "deadline",
    "due_date",
]
HISTORY_FIELDS = [name for name in REFRESHED_FIELDS if name not in ("run", "evidence")]
UPDATED_FIELDS = [
    *REFRESHED_FIELDS,
    "status",
    "closed_at",
    "dismissed_reason",
    "dismissed_value",
    "priority",
    "refreshed_at",
    "updated_at",
]
BATCH = 1000
# A PostgreSQL advisory lock id: two refreshes (the daily beat and a finished run) take turns.
REFRESH_LOCK = 5_260_401


def opportunity_key(kind: str, scope: str, pk: int) -> str:
    """The evidence an opportunity stands for: "reclaim:pool:12", "right_size:renewal:7"."""
    return f"{kind}:{scope}:{pk}"


def due_date_for(*, deadline: date | None, first_seen: date) -> date:
    """deadline − SAVINGS_DUE_LEAD_DAYS, never after the deadline; with no deadline, first seen + SAVINGS_DUE_DAYS."""
    if deadline is not None:
        return min(deadline, deadline - timedelta(days=settings.SAVINGS_DUE_LEAD_DAYS))
    return first_seen + timedelta(days=settings.SAVINGS_DUE_DAYS)


# The evidence, loaded once


@dataclass
class Candidate:
    """One opportunity as the evidence shows it today."""

    kind: str
    key: str
    title: str
    application_id: int
    currency: str
    local: Decimal | None
    reporting: Decimal | None
    evidence: dict
    quantity: int | None = None
    pool_id: int | None = None
    contract_id: int | None = None
    renewal_id: int | None = None
    run_id: int | None = None
    deadline: date | None = None
    owner_id: int | None = None


@dataclass
class _Pool:
    pk: int
    name: str
    application_id: int
    purchased: int | None
    currency: str
    unit_cost: Decimal | None
    unit_cost_reporting: Decimal | None
    threshold_days: int
    contract_id: int | None
    pricing_model: str | None

    def cost_of(self, seats: int) -> tuple[Decimal | None, Decimal | None]:
        """(local, reporting) annual cost of ``seats`` seats; None where the price or the rate is unknown."""
        local = reclaim_annual_savings(seats, self.unit_cost) if self.unit_cost is not None else None
        reporting = (
            reclaim_annual_savings(seats, self.unit_cost_reporting) if self.unit_cost_reporting is not None else None
        )
        return local, reporting


@dataclass
class _App:
    pk: int
    name: str
    status: str
    category_id: int | None
    category_name: str | None
    it_owner_email: str | None


@dataclass
class _Contract:
    pk: int
    number: str
    currency: str
    cancel_by: date
    owner_id: int | None
    status: str
    annual_value: Decimal
    annual_value_reporting: Decimal | None
    start_date: date
    application_ids: list[int] = field(default_factory=list)


@dataclass
class _Renewal:
    pk: int
    contract_id: int
    term_start: date
    term_end: date
    owner_id: int | None
    baseline: Decimal
    quote: Decimal | None


@dataclass
class _Amounts:
    """Amounts added up: in their currency when they share one, in the reporting currency when every rate is known."""

    currencies: set = field(default_factory=set)
    local: Decimal = ZERO
    reporting: Decimal = ZERO
    unpriced: int = 0
    no_rate: set = field(default_factory=set)

    def add(self, currency: str, local: Decimal | None, reporting: Decimal | None) -> None:
        if local is None:
            self.unpriced += 1
            return
        self.currencies.add(currency)
        self.local += local
        if reporting is None:
            self.no_rate.add(currency)
        else:
            self.reporting += reporting

    def result(self, fallback_currency: str, parts: str) -> tuple[str, Decimal | None, Decimal | None, list[str]]:
        """(currency, local, reporting, notes saying why an amount is unknown or something is left out)."""
        notes = []
        if self.unpriced:
            notes.append(f"Not counted, having no price: {self.unpriced} of the {parts}.")
        if not self.currencies:
            notes.append("Nothing here has a price, so its value is unknown and it ranks last.")
            return fallback_currency, None, None, notes
        reporting = round_money(self.reporting)
        if self.no_rate:
            notes.append(_no_rate_note(self.no_rate))
            reporting = None
        if len(self.currencies) > 1:
            notes.append(f"Amounts in {', '.join(sorted(self.currencies))}: shown in {settings.REPORTING_CURRENCY}.")
            return settings.REPORTING_CURRENCY, reporting, reporting, notes
        return next(iter(self.currencies)), round_money(self.local), reporting, notes


@dataclass
class _Counted:
    """What counted seat opportunities (and seats already in the ledger) save on one application."""

    reporting: Decimal = ZERO
    local: dict = field(default_factory=lambda: defaultdict(lambda: ZERO))

    def add(self, currency: str, local: Decimal | None, reporting: Decimal | None) -> None:
        if local is not None:
            self.local[currency] += local
        if reporting is not None:
            self.reporting += reporting


def _no_rate_note(currencies) -> str:
    reporting = settings.REPORTING_CURRENCY
    return (
        f"No {'/'.join(sorted(currencies))}→{reporting} exchange rate is known, so its value in {reporting} is "
        "unknown and it ranks last. Add the rate under Renewals → Exchange rates."
    )


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{round_money(amount)}"


def _link(label: str, url_name: str, *args, query=None) -> dict:
    url = reverse(url_name, args=args)
    return {"label": label, "url": f"{url}?{urlencode(query, doseq=True)}" if query else url}


def _contract_link(contract: _Contract) -> dict:
    return _link(f"Contract {contract.number}", "renewals:contract_detail", contract.pk)


def _seats(n: int) -> str:
    return f"{n} seat" if n == 1 else f"{n} seats"


def pool_label(application_name: str, pool_name: str) -> str:
    """The application and the license type ("Figma Professional"), without naming the app twice."""
    if pool_name.casefold().startswith(application_name.casefold()):
        return pool_name
    return f"{application_name} {pool_name}"


def seat_opportunity_title(kind: str, seats: int, label: str) -> str:
    """The title of a reclaim or reduce-at-renewal opportunity for ``seats`` seats (a partial reclaim retitles it)."""
    plural = "" if seats == 1 else "s"
    if kind == OpportunityKind.REDUCE_AT_RENEWAL:
        return f"Buy {seats} fewer {label} seat{plural} at renewal"
    return f"Reclaim {seats} idle {label} seat{plural}"


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _percent(fraction: Decimal) -> str:
    return f"{(fraction * HUNDRED).quantize(Decimal('0.1'))}"


class _Finder:
    """Loads the evidence in a fixed number of queries, then works out every candidate in memory."""

    def __init__(self, *, today: date, live: dict[str, Opportunity]):
        self.today = today
        self.live = live
        self.candidates: dict[str, Candidate] = {}
        self.cancelled_apps: set[int] = set()
        self.judged_pools: set[int] = set()
        self.reclaimed_seats: dict[int, int] = {}
        self.counted: dict[int, _Counted] = defaultdict(_Counted)
        self.active: dict[int, set] = {}
        self._load()

    # Loading

    def _load(self) -> None:
        self._load_runs()
        self.pools = {
            row[0]: _Pool(*row)
            for row in LicensePool.objects.annotate(threshold=threshold_expression())
            .order_by("pk")
            .values_list(
                "pk",
                "name",
                "application_id",
                "purchased_quantity",
                "currency",
                "annual_unit_cost",
                "annual_unit_cost_reporting",
                "threshold",
                "line_item__contract_id",
                "line_item__pricing_model",
            )
        }
        self.pools_of_app: dict[int, list[_Pool]] = defaultdict(list)
        self.pools_of_contract: dict[int, list[_Pool]] = defaultdict(list)
        for pool in self.pools.values():
            self.pools_of_app[pool.application_id].append(pool)
            if pool.contract_id is not None:
                self.pools_of_contract[pool.contract_id].append(pool)
        self.apps = {
            row[0]: _App(*row)
            for row in Application.objects.order_by("pk").values_list(
                "pk", "name", "status", "category_id", "category__name", "it_owner__email"
            )
        }
        self.contracts = {
            row[0]: _Contract(*row)
            for row in Contract.objects.order_by("pk").values_list(
                "pk",
                "number",
                "currency",
                "cancel_by",
                "owner_id",
                "status",
                "annual_value",
                "annual_value_reporting",
                "start_date",
            )
        }
        self.contracts_of_app: dict[int, list[_Contract]] = defaultdict(list)
        for contract_id, application_id in Contract.applications.through.objects.order_by("pk").values_list(
            "contract_id", "application_id"
        ):
            self.contracts[contract_id].application_ids.append(application_id)
            self.contracts_of_app[application_id].append(self.contracts[contract_id])
        # The renewals still to come: not closed, of active contracts, term not over.
        self.renewals = [
            _Renewal(*row)
            for row in Renewal.objects.exclude(stage=RenewalStage.CLOSED)
            .filter(contract__status=ContractStatus.ACTIVE, term_end__gte=self.today)
            .order_by("term_end", "pk")
            .values_list("pk", "contract_id", "term_start", "term_end", "owner_id", "baseline_annual", "quote_annual")
        ]
        self.renewal_of_contract: dict[int, _Renewal] = {}
        for renewal in self.renewals:
            self.renewal_of_contract.setdefault(renewal.contract_id, renewal)
        self.apps_with_usage = set(UsageSource.objects.order_by().values_list("application_id", flat=True).distinct())
        self._pending_reductions()
        for pool_id, seats in self.pending.items():
            pool = self.pools[pool_id]
            self.counted[pool.application_id].add(pool.currency, *pool.cost_of(seats))

    def _load_runs(self) -> None:
        """Per application, its newest finished run: the newest full run, or a newer run of that app alone."""
        self.full_run = full = latest_run()
        singles = ReconciliationRun.objects.filter(status=RunStatus.DONE, application__isnull=False)
        if full is not None:
            singles = singles.filter(Q(created_at__gt=full.created_at) | Q(created_at=full.created_at, pk__gt=full.pk))
        self.run_of_app: dict[int, int] = {}
        self.run_as_of: dict[int, date] = {}
        self.run_created: dict[int, datetime] = {}
        if full is not None:
            self.run_as_of[full.pk], self.run_created[full.pk] = full.as_of, full.created_at
        for application_id, run_id, as_of, created_at in singles.order_by(
            "application_id", "-created_at", "-pk"
        ).values_list("application_id", "pk", "as_of", "created_at"):
            if application_id not in self.run_of_app:
                self.run_of_app[application_id] = run_id
                self.run_as_of[run_id], self.run_created[run_id] = as_of, created_at

    def findings(self):
        """The findings opportunities stand on: of each application's newest run, of the kinds they use."""
        scope = Q(run_id__in=sorted(self.run_of_app.values()))
        if self.full_run is not None:
            scope |= Q(run_id=self.full_run.pk) & ~Q(application_id__in=sorted(self.run_of_app))
        # A seat whose assignment ended after the run (a reclaim) is no longer there to act on.
        held = Q(assignment__isnull=True) | Q(assignment__unassigned_on__isnull=True)
        return Finding.objects.filter(scope, held, kind__in=FINDING_ORDER, pool_id__isnull=False)

    def _finding_groups(self) -> dict[tuple[int, str], dict]:
        """{(pool, kind): seats, amounts, and how many are unpriced or lack a rate}, in one aggregate query."""
        rows = (
            self.findings()
            .order_by()
            .values("pool_id", "run_id", "kind")
            .annotate(
                findings=Count("pk"),
                seats=Sum("quantity"),
                local=Sum("annual_cost_impact_local"),
                reporting=Sum("annual_cost_impact"),
                unpriced=Count("pk", filter=Q(annual_cost_impact_local__isnull=True)),
                no_rate=Count("pk", filter=Q(annual_cost_impact_local__isnull=False, annual_cost_impact__isnull=True)),
            )
        )
        return {(row["pool_id"], row["kind"]): row for row in rows}

    def _pending_reductions(self) -> None:
        """Seats that recorded reclaims take off a pool at a renewal not closed yet: they are in the ledger, and
        the purchased quantity drops only when that renewal closes. ``pending_actions`` keeps when each was
        recorded: a reconciliation run started before it still counts those seats as held."""
        self.pending: dict[int, int] = defaultdict(int)
        self.pending_actions: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
        for pool_id, quantity, created_at in (
            SavingsAction.objects.filter(
                reduce_when=ReduceWhen.AT_RENEWAL, pool_id__isnull=False, quantity__isnull=False, renewal__isnull=False
            )
            .exclude(renewal__stage=RenewalStage.CLOSED)
            .values_list("pool_id", "quantity", "created_at")
        ):
            self.pending[pool_id] += quantity
            self.pending_actions[pool_id].append((quantity, created_at))

    def _load_active_people(self, application_ids: set[int]) -> None:
        """People who used each of these applications in the last 90 days, from Activity in one query."""
        if not application_ids:
            return
        rows = (
            Activity.objects.filter(
                application_id__in=sorted(application_ids),
                day__gte=self.today - timedelta(days=ACTIVE_DAYS),
                day__lte=self.today,
            )
            .order_by()
            .values_list("application_id", "person_id")
            .distinct()
        )
        frame = pd.DataFrame(list(rows), columns=["application_id", "person_id"])
        self.active = {int(app): set(people) for app, people in frame.groupby("application_id")["person_id"]}

    # Helpers

    def counts(self, candidate: Candidate) -> bool:
        """It will be open or in progress after the refresh: not dismissed, or dismissed and reopening."""
        live = self.live.get(candidate.key)
        if live is None or live.status != OpportunityStatus.DISMISSED:
            return True
        return value_changed_materially(
            live.dismissed_value, candidate.reporting, threshold=settings.SAVINGS_REOPEN_CHANGE
        )

    def add(self, candidate: Candidate) -> Candidate:
        self.candidates[candidate.key] = candidate
        return candidate

    def label(self, pool: _Pool) -> str:
        return pool_label(self.apps[pool.application_id].name, pool.name)

    def effective_purchased(self, pool: _Pool) -> int:
        """Seats bought for the next term: purchased less those already taken off it by recorded actions."""
        return max(0, (pool.purchased or 0) - self.pending.get(pool.pk, 0))

    def deadline_of(self, contract_id: int | None) -> date | None:
        return self.contracts[contract_id].cancel_by if contract_id is not None else None

    def renewal_id_of(self, contract_id: int | None) -> int | None:
        renewal = self.renewal_of_contract.get(contract_id)
        return renewal.pk if renewal else None

    def earliest_contract(self, contracts: list[_Contract]) -> int | None:
        """Of the contracts an opportunity touches, the one whose cancel-by date comes first (active ones first)."""
        chosen = [c for c in contracts if c.status == ContractStatus.ACTIVE] or contracts
        return min(chosen, key=lambda c: (c.cancel_by, c.pk)).pk if chosen else None

    # Finding

    def find(self) -> dict[str, Candidate]:
        groups = self._finding_groups()
        self.find_cancel_apps()
        window = self.right_size_window()
        consolidations = self.consolidate_groups()
        self._load_active_people(
            {p.application_id for renewal in window for p in self.right_size_pools(renewal)}
            | {pk for apps in consolidations.values() for pk in apps}
        )
        self.find_reclaims(groups)
        self.find_right_sizes(window)
        self.find_pool_findings(groups, FindingKind.UNASSIGNED_SEAT, self.reduction)
        self.find_pool_findings(groups, FindingKind.OVER_ASSIGNED, self.true_up_risk)
        self.find_renegotiations()
        for category_id, application_ids in consolidations.items():
            self.consolidation(category_id, application_ids)
        self.default_owners()
        return self.candidates

    # cancel_app

    def find_cancel_apps(self) -> None:
        judged = [
            pool
            for pool in self.pools.values()
            if pool.purchased
            and pool.application_id in self.apps_with_usage
            and self.apps[pool.application_id].status != ApplicationStatus.RETIRED
        ]
        if not judged:
            return
        counts = seat_counts(
            pool_ids=[pool.pk for pool in judged], today=self.today, thresholds={p.threshold_days for p in judged}
        )
        by_app: dict[int, list[_Pool]] = defaultdict(list)
        for pool in judged:
            by_app[pool.application_id].append(pool)
        for application_id, pools in by_app.items():
            purchased = sum(pool.purchased for pool in pools)
            # A pool's active holders beyond its seats do not make up for another pool's idle seats.
            active = sum(min(counts.get(pool.pk, (0, 0))[1], pool.purchased) for pool in pools)
            share = utilisation(active, purchased)
            if share is None or share >= settings.SAVINGS_LOW_UTILISATION:
                continue
            candidate = self.cancel_app(self.apps[application_id], pools, active, purchased, share)
            if self.counts(candidate):
                self.cancelled_apps.add(application_id)

    def cancel_app(self, app: _App, pools: list[_Pool], active: int, purchased: int, share: Decimal) -> Candidate:
        amounts, seats, breakdown = _Amounts(), 0, []
        for pool in pools:
            keep = self.effective_purchased(pool)
            local, reporting = pool.cost_of(keep)
            seats += keep
            amounts.add(pool.currency, local, reporting)
            breakdown.append(
                {
                    "pool": pool.pk,
                    "name": self.label(pool),
                    "purchased": pool.purchased,
                    "already_reduced_at_renewal": self.pending.get(pool.pk, 0),
                    "annual_cost": _text(local),
                    "currency": pool.currency,
                }
            )
        currency, local, reporting, notes = amounts.result(pools[0].currency, "license pools")
        contract_id = self.earliest_contract(
            [self.contracts[p.contract_id] for p in pools if p.contract_id] or self.contracts_of_app[app.pk]
        )
        links = [_link(f"Application {app.name}", "inventory:application_detail", app.pk)]
        links += [_link(f"License pool {self.label(p)}", "licenses:pool_detail", p.pk) for p in pools]
        if contract_id is not None:
            links.append(_contract_link(self.contracts[contract_id]))
        run_id = self.run_of_app.get(app.pk) or (self.full_run.pk if self.full_run else None)
        return self.add(
            Candidate(
                kind=OpportunityKind.CANCEL_APP,
                key=opportunity_key(OpportunityKind.CANCEL_APP, "application", app.pk),
                title=f"Cancel or downgrade {app.name}: {active} of {_seats(purchased)} in use ({_percent(share)}%)",
                application_id=app.pk,
                currency=currency,
                local=local,
                reporting=reporting,
                quantity=seats,
                contract_id=contract_id,
                renewal_id=self.renewal_id_of(contract_id),
                run_id=run_id,
                deadline=self.deadline_of(contract_id),
                evidence={
                    "summary": (
                        f"{active} of the {_seats(purchased)} bought are held by people who used {app.name} "
                        f"within the inactivity threshold: {_percent(share)}% utilisation, below "
                        f"{_percent(settings.SAVINGS_LOW_UTILISATION)}%."
                    ),
                    "active_seats": active,
                    "purchased_seats": purchased,
                    "utilisation": f"{share.quantize(Decimal('0.0001'))}",
                    "threshold": f"{settings.SAVINGS_LOW_UTILISATION}",
                    "pools": breakdown,
                    "notes": notes,
                    "links": links,
                },
            )
        )

    # Pool opportunities from findings: reclaim, reduce_at_renewal, true_up_risk

    def pool_candidate(self, kind: str, pool: _Pool, rows: list[dict]) -> Candidate:
        """A pool's opportunity from its findings of one or more kinds: their seats and amounts."""
        rows = sorted(rows, key=lambda row: FINDING_ORDER.index(row["kind"]))
        run_id = rows[0]["run_id"]
        seats = sum(row["seats"] for row in rows)
        priced = [row["local"] for row in rows if row["local"] is not None]
        local = round_money(sum(priced, start=ZERO)) if priced else None
        reporting = round_money(sum((row["reporting"] or ZERO for row in rows), start=ZERO)) if priced else None
        notes = []
        if unpriced := sum(row["unpriced"] for row in rows):
            notes.append(f"{unpriced} finding(s) without a price (the pool has no annual unit cost): not counted.")
        if sum(row["no_rate"] for row in rows):
            reporting = None
            notes.append(_no_rate_note({pool.currency}))
        kinds = {row["kind"]: row["findings"] for row in rows}
        query = [("run", run_id), ("pool", pool.pk), *(("kind", kind) for kind in kinds)]
        links = [
            _link("Findings", "licenses:finding_list", query=query),
            _link(f"License pool {self.label(pool)}", "licenses:pool_detail", pool.pk),
            _link(f"Reconciliation as of {self.run_as_of[run_id]:%Y-%m-%d}", "licenses:run_detail", run_id),
        ]
        if pool.contract_id is not None:
            links.append(_contract_link(self.contracts[pool.contract_id]))
        return self.add(
            Candidate(
                kind=kind,
                key=opportunity_key(kind, "pool", pool.pk),
                title="",
                application_id=pool.application_id,
                currency=pool.currency,
                local=local,
                reporting=reporting,
                quantity=seats,
                pool_id=pool.pk,
                contract_id=pool.contract_id,
                renewal_id=self.renewal_id_of(pool.contract_id),
                run_id=run_id,
                deadline=self.deadline_of(pool.contract_id),
                evidence={
                    "run": run_id,
                    "as_of": self.run_as_of[run_id].isoformat(),
                    "kinds": kinds,
                    "seats": seats,
                    "notes": notes,
                    "links": links,
                },
            )
        )

    def find_reclaims(self, groups: dict[tuple[int, str], dict]) -> None:
        by_pool: dict[int, list[dict]] = defaultdict(list)
        for (pool_id, kind), row in groups.items():
            if kind in SEAT_FINDING_KINDS:
                by_pool[pool_id].append(row)
        for pool_id, rows in sorted(by_pool.items()):
            pool = self.pools[pool_id]
            if pool.application_id in self.cancelled_apps:
                continue
            candidate = self.pool_candidate(OpportunityKind.RECLAIM, pool, rows)
            seats = candidate.quantity
            candidate.title = seat_opportunity_title(OpportunityKind.RECLAIM, seats, self.label(pool))
            reasons = ", ".join(
                f"{n} {FindingKind(kind).label.lower()}" for kind, n in candidate.evidence["kinds"].items()
            )
            candidate.evidence["summary"] = f"{_seats(seats)} of {self.label(pool)} paid for and not used: {reasons}."
            if self.counts(candidate):
                self.reclaimed_seats[pool_id] = seats
                self.counted[pool.application_id].add(candidate.currency, candidate.local, candidate.reporting)

    def find_pool_findings(self, groups, kind: str, build) -> None:
        for (pool_id, finding_kind), row in sorted(groups.items()):
            if finding_kind == kind:
                build(self.pools[pool_id], row)

    def reduction(self, pool: _Pool, row: dict) -> None:
        if pool.application_id in self.cancelled_apps or pool.pk in self.judged_pools:
            return
        # Seats reclaimed for the next term before the run are among its unassigned ones; later ones are not yet.
        started = self.run_created[row["run_id"]]
        pending = sum(seats for seats, created_at in self.pending_actions.get(pool.pk, []) if created_at <= started)
        seats = row["seats"] - pending
        if seats <= 0:
            return
        candidate = self.pool_candidate(OpportunityKind.REDUCE_AT_RENEWAL, pool, [row])
        if pending:
            # Part of the spare seats is already taken off the next term by a recorded action: the rest is priced.
            candidate.quantity = seats
            local, reporting = pool.cost_of(seats)
            candidate.local = local if candidate.local is not None else None
            candidate.reporting = reporting if candidate.reporting is not None else None
            candidate.evidence["already_reduced_at_renewal"] = pending
        candidate.title = seat_opportunity_title(OpportunityKind.REDUCE_AT_RENEWAL, seats, self.label(pool))
        candidate.evidence["summary"] = (
            f"{_seats(row['seats'])} of {self.label(pool)} bought and assigned to nobody"
            + (f"; {pending} of them already taken off the next term." if pending else ".")
        )
        if self.counts(candidate):
            self.counted[pool.application_id].add(candidate.currency, candidate.local, candidate.reporting)

    def true_up_risk(self, pool: _Pool, row: dict) -> None:
        candidate = self.pool_candidate(OpportunityKind.TRUE_UP_RISK, pool, [row])
        seats, bought = candidate.quantity, pool.purchased or 0
        candidate.title = f"True-up risk: {_seats(seats)} of {self.label(pool)} over the {bought} bought"
        candidate.evidence["summary"] = (
            f"{bought + seats} seats are assigned and {bought} bought: the vendor may bill the difference at the "
            "true-up. This is a risk, not a saving."
        )

    # right_size

    def right_size_window(self) -> list[_Renewal]:
        last_day = self.today + timedelta(days=settings.SAVINGS_RIGHT_SIZE_HORIZON_DAYS)
        return [renewal for renewal in self.renewals if renewal.term_end <= last_day]

    def right_size_pools(self, renewal: _Renewal) -> list[_Pool]:
        return [
            pool
            for pool in self.pools_of_contract.get(renewal.contract_id, [])
            if pool.pricing_model == PricingModel.PER_SEAT and pool.purchased is not None
        ]

    def find_right_sizes(self, window: list[_Renewal]) -> None:
        shared = [
            pool.pk
            for renewal in window
            for pool in self.right_size_pools(renewal)
            if len(self.pools_of_app[pool.application_id]) > 1
        ]
        holders: dict[int, set] = defaultdict(set)
        if shared:
            for pool_id, person_id in (
                Assignment.objects.filter(active_on(self.today), pool_id__in=shared, person_id__isnull=False)
                .order_by()
                .values_list("pool_id", "person_id")
            ):
                holders[pool_id].add(person_id)
        for renewal in window:
            self.right_size(renewal, holders)

    def right_size(self, renewal: _Renewal, holders: dict[int, set]) -> None:
        amounts, breakdown, not_judged, cuts = _Amounts(), [], [], []
        for pool in self.right_size_pools(renewal):
            if pool.application_id in self.cancelled_apps:
                continue
            if pool.application_id not in self.apps_with_usage:
                not_judged.append({"pool": pool.pk, "name": self.label(pool), "reason": "no usage data"})
                continue
            users = self.active.get(pool.application_id, set())
            if len(self.pools_of_app[pool.application_id]) > 1:
                users = users & holders.get(pool.pk, set())
            recommended = right_size_seats(len(users), buffer=settings.SAVINGS_RIGHT_SIZE_BUFFER)
            at_renewal = self.effective_purchased(pool)
            above = max(0, at_renewal - recommended)
            reclaimed = min(above, self.reclaimed_seats.get(pool.pk, 0))
            cut = above - reclaimed
            local, reporting = pool.cost_of(cut)
            if cut:
                amounts.add(pool.currency, local, reporting)
                cuts.append((pool, cut, local, reporting))
            breakdown.append(
                {
                    "pool": pool.pk,
                    "name": self.label(pool),
                    "purchased": pool.purchased,
                    "already_reduced_at_renewal": self.pending.get(pool.pk, 0),
                    "active_90_days": len(users),
                    "recommended": recommended,
                    "above_recommendation": above,
                    "counted_by_reclaim": reclaimed,
                    "cut": cut,
                    "annual_unit_cost": _text(pool.unit_cost),
                    "annual_savings": _text(local) if cut else "0.00",
                    "currency": pool.currency,
                }
            )
        judged = {row["pool"] for row in breakdown}
        self.judged_pools |= judged
        if not cuts:
            return
        contract = self.contracts[renewal.contract_id]
        currency, local, reporting, notes = amounts.result(contract.currency, "license pools")
        total = sum(cut for _, cut, _, _ in cuts)
        main = max(cuts, key=lambda part: (part[3] or ZERO, part[1], -part[0].pk))[0]
        if len(cuts) == 1:
            at_renewal = self.effective_purchased(main)
            title = f"Right-size {self.label(main)} at renewal: {at_renewal} → {at_renewal - total} seats"
        else:
            title = f"Right-size {contract.number} at renewal: {total} fewer seats over {len(cuts)} license types"
        candidate = self.add(
            Candidate(
                kind=OpportunityKind.RIGHT_SIZE,
                key=opportunity_key(OpportunityKind.RIGHT_SIZE, "renewal", renewal.pk),
                title=title,
                application_id=main.application_id,
                currency=currency,
                local=local,
                reporting=reporting,
                quantity=total,
                pool_id=main.pk if len(cuts) == 1 else None,
                contract_id=contract.pk,
                renewal_id=renewal.pk,
                deadline=contract.cancel_by,
                owner_id=renewal.owner_id,
                evidence={
                    "summary": (
                        f"The term ends on {renewal.term_end.isoformat()}: renew {total} fewer seats, keeping one for "
                        f"each person active in the last {ACTIVE_DAYS} days plus a "
                        f"{_percent(settings.SAVINGS_RIGHT_SIZE_BUFFER)}% buffer."
                    ),
                    "term_end": renewal.term_end.isoformat(),
                    "buffer": f"{settings.SAVINGS_RIGHT_SIZE_BUFFER}",
                    "pools": breakdown,
                    "not_judged": not_judged,
                    "notes": notes,
                    "links": [
                        _link("Renewal", "renewals:renewal_detail", renewal.pk),
                        _contract_link(contract),
                        *(
                            _link(f"License pool {self.label(pool)}", "licenses:pool_detail", pool.pk)
                            for pool, *_ in cuts
                        ),
                    ],
                },
            )
        )
        if self.counts(candidate):
            for pool, _, part_local, part_reporting in cuts:
                self.counted[pool.application_id].add(pool.currency, part_local, part_reporting)
        else:
            # Dismissed: it covers nothing, so the pools' spare seats may be proposed on their own.
            self.judged_pools -= judged

    # renegotiate

    def find_renegotiations(self) -> None:
        wanted = [r for r in self.renewals if r.quote is not None and r.baseline > 0]
        if not wanted:
            return
        caps = dict(
            LineItem.objects.filter(contract_id__in=[r.contract_id for r in wanted], uplift_cap_pct__isnull=False)
            .order_by()
            .values("contract_id")
            .annotate(cap=Min("uplift_cap_pct"))
            .values_list("contract_id", "cap")
        )
        rates = FxRateBook({self.contracts[r.contract_id].currency for r in wanted})
        for renewal in wanted:
            own_cap = caps.get(renewal.contract_id)
            cap = own_cap if own_cap is not None else settings.SAVINGS_PRICE_CAP_PCT
            excess = renegotiate_savings(quote=renewal.quote, baseline=renewal.baseline, cap_pct=cap)
            if excess > 0:
                self.renegotiation(renewal, cap, excess, rates, line_item_cap=own_cap is not None)

    def renegotiation(self, renewal: _Renewal, cap: Decimal, excess: Decimal, rates, *, line_item_cap: bool) -> None:
        contract = self.contracts[renewal.contract_id]
        application_id = self.application_of_contract(contract)
        if application_id is None:
            logger.warning("Contract %s lists no application: no renegotiate opportunity for it.", contract.number)
            return
        notes = []
        try:
            # The rate of the current term's start, like the contract's own reporting value.
            reporting = convert(excess, rates.rate_on(contract.currency, renewal.term_start))
        except MissingFxRate:
            reporting = None
            notes.append(_no_rate_note({contract.currency}))
        rise = _percent(renewal.quote / renewal.baseline - 1)
        cap_text = f"{cap.normalize():f}"
        capped = renewal.quote - excess
        self.add(
            Candidate(
                kind=OpportunityKind.RENEGOTIATE,
                key=opportunity_key(OpportunityKind.RENEGOTIATE, "renewal", renewal.pk),
                title=f"Renegotiate {self.apps[application_id].name}: quote up {rise}% against a {cap_text}% cap",
                application_id=application_id,
                currency=contract.currency,
                local=excess,
                reporting=reporting,
                contract_id=contract.pk,
                renewal_id=renewal.pk,
                deadline=contract.cancel_by,
                owner_id=renewal.owner_id,
                evidence={
                    "summary": (
                        f"The vendor quotes {renewal.quote} {contract.currency} a year against {renewal.baseline} now "
                        f"(+{rise}%); with a {cap_text}% cap the price would be {capped} at most."
                    ),
                    "baseline_annual": f"{renewal.baseline}",
                    "quote_annual": f"{renewal.quote}",
                    "capped_annual": f"{capped}",
                    "cap_pct": cap_text,
                    "cap_source": "the smallest uplift cap of its line items"
                    if line_item_cap
                    else "the default cap (SAVINGS_PRICE_CAP_PCT)",
                    "notes": notes,
                    "links": [_link("Renewal", "renewals:renewal_detail", renewal.pk), _contract_link(contract)],
                },
            )
        )

    def application_of_contract(self, contract: _Contract) -> int | None:
        """The application a contract-wide opportunity is filed under: that of its seats, else the first it lists."""
        pooled = sorted({pool.application_id for pool in self.pools_of_contract.get(contract.pk, [])})
        if pooled:
            return pooled[0]
        listed = [self.apps[pk] for pk in contract.application_ids]
        return min(listed, key=lambda app: (app.name.casefold(), app.pk)).pk if listed else None

    # consolidate

    def app_spend(self) -> dict[int, list[_Contract]]:
        """Active contracts that list one application only, per sanctioned application with a category."""
        spend: dict[int, list[_Contract]] = defaultdict(list)
        for contract in self.contracts.values():
            if contract.status != ContractStatus.ACTIVE or len(contract.application_ids) != 1:
                continue
            app = self.apps[contract.application_ids[0]]
            if app.status == ApplicationStatus.SANCTIONED and app.category_id is not None and contract.annual_value > 0:
                spend[app.pk].append(contract)
        return spend

    def consolidate_groups(self) -> dict[int, list[int]]:
        """{category: its applications with spend}, for categories with two or more (cancelled apps left out)."""
        self.spend = self.app_spend()
        groups: dict[int, list[int]] = defaultdict(list)
        for application_id in sorted(self.spend):
            if application_id not in self.cancelled_apps:
                groups[self.apps[application_id].category_id].append(application_id)
        return {category: apps for category, apps in groups.items() if len(apps) > 1}

    def app_cost(self, application_id: int) -> tuple[str, Decimal, Decimal | None]:
        """(currency, annual cost, in the reporting currency or None) of an app's contracts; several currencies
        are added up in the reporting currency."""
        amounts = _Amounts()
        for contract in self.spend[application_id]:
            amounts.add(contract.currency, contract.annual_value, contract.annual_value_reporting)
        currency, local, reporting, _ = amounts.result(settings.REPORTING_CURRENCY, "contracts")
        return currency, local, reporting

    def consolidation(self, category_id: int, application_ids: list[int]) -> None:
        costs = {pk: self.app_cost(pk) for pk in application_ids}
        kept = max(application_ids, key=lambda pk: (costs[pk][2] or ZERO, costs[pk][1] or ZERO, -pk))
        users = {pk: self.active.get(pk, set()) for pk in application_ids}
        overlap_min = settings.SAVINGS_CONSOLIDATE_MIN_OVERLAP
        retired = [pk for pk in application_ids if pk != kept and len(users[pk] & users[kept]) >= max(1, overlap_min)]
        if not retired:
            return
        retired.sort(key=lambda pk: (self.apps[pk].name.casefold(), pk))
        amounts, rows = _Amounts(), []
        for pk in retired:
            currency, local, reporting = costs[pk]
            counted = self.counted.get(pk, _Counted())
            net_reporting = max(ZERO, reporting - counted.reporting) if reporting is not None else None
            if currency == settings.REPORTING_CURRENCY and net_reporting is not None:
                net_local = net_reporting
            else:
                net_local = max(ZERO, local - counted.local.get(currency, ZERO)) if local is not None else None
            amounts.add(currency, net_local, net_reporting)
            rows.append(
                {
                    "application": pk,
                    "name": self.apps[pk].name,
                    "users_90_days": len(users[pk]),
                    "overlap": len(users[pk] & users[kept]),
                    "annual_cost": _text(local),
                    "annual_cost_reporting": _text(reporting),
                    "currency": currency,
                    "counted_elsewhere_reporting": _text(counted.reporting),
                }
            )
        contract_id = self.earliest_contract([c for pk in retired for c in self.spend[pk]])
        currency, local, reporting, notes = amounts.result(costs[retired[0]][0], "applications")
        if any(row["counted_elsewhere_reporting"] != "0.00" for row in rows):
            notes.append("Seats other open opportunities of these apps already count are left out.")
        overlap = len(set().union(*(users[pk] for pk in retired)) & users[kept])
        names = [self.apps[pk].name for pk in retired]
        keeper, category = self.apps[kept], self.apps[kept].category_name
        self.add(
            Candidate(
                kind=OpportunityKind.CONSOLIDATE,
                key=opportunity_key(OpportunityKind.CONSOLIDATE, "category", category_id),
                title=f"Consolidate {_and(names)} into {keeper.name} ({category})",
                application_id=kept,
                currency=currency,
                local=local,
                reporting=reporting,
                contract_id=contract_id,
                renewal_id=self.renewal_id_of(contract_id),
                deadline=self.deadline_of(contract_id),
                evidence={
                    "summary": (
                        f"{overlap} people used both {keeper.name} and {_and(names)} in the last {ACTIVE_DAYS} days: "
                        f"keep {keeper.name}, the {category} app with the most spend, and retire the others."
                    ),
                    "category": category,
                    "overlap": overlap,
                    "min_overlap": overlap_min,
                    "kept": {
                        "application": kept,
                        "name": keeper.name,
                        "users_90_days": len(users[kept]),
                        "annual_cost": _text(costs[kept][1]),
                        "annual_cost_reporting": _text(costs[kept][2]),
                        "currency": costs[kept][0],
                    },
                    "retired": rows,
                    "notes": notes,
                    "links": [
                        _link(f"Category {category}", "inventory:category_detail", category_id),
                        *(
                            _link(f"Application {self.apps[pk].name}", "inventory:application_detail", pk)
                            for pk in [kept, *retired]
                        ),
                    ],
                },
            )
        )

    # Owners

    def default_owners(self) -> None:
        """Who gets a new opportunity: the IT owner's user account (matched by email), else the contract's owner;
        right-size and renegotiate go to the renewal's owner first."""
        emails = {app.it_owner_email.lower() for app in self.apps.values() if app.it_owner_email}
        users: dict[str, int] = {}
        if emails:
            for email, pk in (
                get_user_model()
                .objects.filter(is_active=True)
                .annotate(email_lower=Lower("email"))
                .filter(email_lower__in=sorted(emails))
                .order_by("-pk")
                .values_list("email_lower", "pk")
            ):
                users[email] = pk
        for candidate in self.candidates.values():
            it_owner_email = self.apps[candidate.application_id].it_owner_email
            it_owner = users.get(it_owner_email.lower()) if it_owner_email else None
            contract_owner = self.contracts[candidate.contract_id].owner_id if candidate.contract_id else None
            if candidate.kind in RENEWAL_KINDS:
                candidate.owner_id = candidate.owner_id or contract_owner or it_owner
            else:
                candidate.owner_id = it_owner or contract_owner


# Refresh


def _take_refresh_lock() -> None:
    """Two refreshes take turns (SQLite already serialises writers)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK])


def _fill(opportunity: Opportunity, candidate: Candidate, *, today: date, now: datetime) -> None:
    opportunity.title = candidate.title[:300]
    opportunity.application_id = candidate.application_id
    opportunity.pool_id = candidate.pool_id
    opportunity.contract_id = candidate.contract_id
    opportunity.renewal_id = candidate.renewal_id
    opportunity.run_id = candidate.run_id
    opportunity.quantity = candidate.quantity
    opportunity.currency = candidate.currency
    opportunity.estimated_annual_savings_local = candidate.local
    opportunity.estimated_annual_savings = candidate.reporting
    opportunity.evidence = candidate.evidence
    opportunity.deadline = candidate.deadline
    opportunity.due_date = due_date_for(
        deadline=candidate.deadline, first_seen=timezone.localdate(opportunity.first_seen_at)
    )
    opportunity.priority = priority(
        candidate.reporting,
        deadline=candidate.deadline,
        today=today,
        horizon_days=settings.SAVINGS_PRIORITY_HORIZON_DAYS,
    )
    opportunity.refreshed_at = now


def _state(opportunity: Opportunity, names: list[str]) -> tuple:
    return (opportunity.status, *(getattr(opportunity, Opportunity._meta.get_field(name).attname) for name in names))


@transaction.atomic
def opportunities_refresh(*, today: date | None = None) -> dict[str, int]:
    """Open, refresh, close and reopen opportunities from the evidence (see the module docstring), in one
    transaction and a number of queries that does not grow with the findings. Returns the counts
    {"opened", "refreshed", "closed", "reopened"}."""
    today = today or timezone.localdate()
    _take_refresh_lock()
    # Locked: a person changing a status meanwhile waits rather than being overwritten.
    live = {o.key: o for o in Opportunity.objects.select_for_update().filter(status__in=sorted(LIVE_STATUSES))}
    finder = _Finder(today=today, live=live)
    candidates = finder.find()
    counts = _opportunities_write(candidates, live, today=today)
    _findings_link(finder)
    logger.info("Opportunities refreshed: %s", counts)
    return counts


def _opportunities_write(candidates: dict[str, Candidate], live: dict[str, Opportunity], *, today: date) -> dict:
    now = timezone.now()
    counts = dict.fromkeys(("opened", "refreshed", "closed", "reopened"), 0)
    created, changed, touched = [], [], []
    snapshots = {o.pk: _state(o, HISTORY_FIELDS) for o in live.values()}
    for key, candidate in candidates.items():
        opportunity = live.get(key)
        if opportunity is None:
            opportunity = Opportunity(
                kind=candidate.kind,
                key=key,
                status=OpportunityStatus.OPEN,
                owner_id=candidate.owner_id,
                first_seen_at=now,
            )
            _fill(opportunity, candidate, today=today, now=now)
            created.append(opportunity)
            counts["opened"] += 1
            continue
        before = _state(opportunity, REFRESHED_FIELDS)
        _fill(opportunity, candidate, today=today, now=now)
        if opportunity.status == OpportunityStatus.DISMISSED and value_changed_materially(
            opportunity.dismissed_value, candidate.reporting, threshold=settings.SAVINGS_REOPEN_CHANGE
        ):
            opportunity._change_reason = (
                f"Reopened: its value moved from {opportunity.dismissed_value} to {candidate.reporting} "
                f"{settings.REPORTING_CURRENCY} since it was dismissed ({opportunity.dismissed_reason})."
            )[:100]
            opportunity.status = OpportunityStatus.OPEN
            opportunity.dismissed_reason, opportunity.dismissed_value = "", None
            counts["reopened"] += 1
        else:
            counts["refreshed"] += 1
        (changed if _state(opportunity, REFRESHED_FIELDS) != before else touched).append(opportunity)
    for key, opportunity in live.items():
        if key not in candidates and opportunity.status in ACTIVE_STATUSES:
            opportunity.status, opportunity.closed_at = OpportunityStatus.CLOSED, now
            opportunity._change_reason = "Closed: its evidence is gone."
            changed.append(opportunity)
            counts["closed"] += 1
    for opportunity in changed:
        opportunity.updated_at = now
    if changed:
        _opportunities_update(changed, UPDATED_FIELDS)
        # A new run's id and links alone are not worth a history line every night; values, status and dates are.
        worth_it = [o for o in changed if _state(o, HISTORY_FIELDS) != snapshots.get(o.pk)]
        Opportunity.history.bulk_history_create(
            worth_it, batch_size=BATCH, update=True, default_change_reason="Refreshed from the evidence."
        )
    if touched:
        _opportunities_update(touched, ["priority", "refreshed_at"])
    if created:
        bulk_create_with_history(created, Opportunity, batch_size=BATCH, default_change_reason="Found in the evidence.")
    return counts


def _opportunities_update(opportunities: list[Opportunity], names: list[str]) -> None:
    """Write these fields of many opportunities, a batch per statement: UPDATE ... FROM (VALUES ...) is one pass
    over the batch, where bulk_update's CASE per field and row grows with the square of the batch."""
    if connection.vendor == "sqlite" and connection.Database.sqlite_version_info < (3, 33):
        Opportunity.objects.bulk_update(opportunities, names, batch_size=100)
        return
    quote = connection.ops.quote_name
    pk = Opportunity._meta.pk
    columns = [pk, *(Opportunity._meta.get_field(name) for name in names)]
    # PostgreSQL types a VALUES list from its text, so each value says its column's type; SQLite needs no cast.
    postgres = connection.vendor == "postgresql"
    row = "({})".format(", ".join(f"CAST(%s AS {f.db_type(connection)})" if postgres else "%s" for f in columns))
    table = quote(Opportunity._meta.db_table)
    statement = "WITH v ({columns}) AS (VALUES {rows}) UPDATE {table} SET {sets} FROM v WHERE {table}.{pk} = v.{pk}"
    per_batch = max(1, (BATCH * 10 if postgres else connection.features.max_query_params) // len(columns))
    with connection.cursor() as cursor:
        for start in range(0, len(opportunities), per_batch):
            batch = opportunities[start : start + per_batch]
            sql = statement.format(
                columns=", ".join(quote(f.column) for f in columns),
                rows=", ".join([row] * len(batch)),
                table=table,
                sets=", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in columns[1:]),
                pk=quote(pk.column),
            )
            cursor.execute(sql, [f.get_db_prep_save(getattr(o, f.attname), connection) for o in batch for f in columns])


def _findings_link(finder: _Finder) -> None:
    """Each live pool opportunity links exactly the findings behind it; only those whose set changed are rewritten."""
    through = Opportunity.findings.through
    kinds = sorted(set(FINDING_OPPORTUNITY_KIND.values()))
    ids = dict(Opportunity.objects.filter(status__in=sorted(LIVE_STATUSES), kind__in=kinds).values_list("key", "pk"))
    found = pd.DataFrame(
        list(finder.findings().values_list("pk", "pool_id", "kind")), columns=["finding_id", "pool_id", "kind"]
    )
    kind_of = {str(finding): str(kind) for finding, kind in FINDING_OPPORTUNITY_KIND.items()}
    found["opportunity_id"] = (found["kind"].map(kind_of) + ":pool:" + found["pool_id"].astype(str)).map(ids)
    wanted = found.dropna(subset=["opportunity_id"]).astype({"opportunity_id": "int64"})
    wanted = wanted[["opportunity_id", "finding_id"]]
    existing = pd.DataFrame(
        list(
            through.objects.filter(opportunity__status__in=sorted(LIVE_STATUSES), opportunity__kind__in=kinds)
            .order_by()
            .values_list("opportunity_id", "finding_id")
        ),
        columns=["opportunity_id", "finding_id"],
    ).astype("int64")
    merged = wanted.merge(existing, how="outer", indicator=True)
    stale = sorted(int(pk) for pk in merged.loc[merged["_merge"] != "both", "opportunity_id"].unique())
    for start in range(0, len(stale), BATCH):
        through.objects.filter(opportunity_id__in=stale[start : start + BATCH]).delete()
    _links_insert(wanted[wanted["opportunity_id"].isin(stale)])


def _links_insert(rows: pd.DataFrame) -> None:
    """(opportunity, finding) rows into the link table: COPY on PostgreSQL, batched INSERTs elsewhere."""
    through = Opportunity.findings.through
    pairs = ((int(o), int(f)) for o, f in rows[["opportunity_id", "finding_id"]].itertuples(index=False))
    if connection.vendor != "postgresql":
        through.objects.bulk_create((through(opportunity_id=o, finding_id=f) for o, f in pairs), batch_size=BATCH)
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(through._meta.get_field(name).column) for name in ("opportunity", "finding"))
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {quote(through._meta.db_table)} ({columns}) FROM STDIN") as copy,
    ):
        for pair in pairs:
            copy.write_row(pair)


def opportunities_reprioritise(*, today: date | None = None) -> int:
    """Recompute the priority of every live opportunity for ``today`` (priority rises as deadlines near);
    returns how many moved."""
    today = today or timezone.localdate()
    moved = []
    for pk, savings, deadline, old in Opportunity.objects.filter(status__in=sorted(LIVE_STATUSES)).values_list(
        "pk", "estimated_annual_savings", "deadline", "priority"
    ):
        new = priority(savings, deadline=deadline, today=today, horizon_days=settings.SAVINGS_PRIORITY_HORIZON_DAYS)
        if new != old:
            moved.append(Opportunity(pk=pk, priority=new))
    Opportunity.objects.bulk_update(moved, ["priority"], batch_size=BATCH)
    return len(moved)


# The moves people make


def _status_label(status: str) -> str:
    return OpportunityStatus(status).label


def _refusal(current: str, wanted: str) -> str:
    allowed = sorted(STATUS_MOVES[current], key=OpportunityStatus.values.index)
    if not allowed:
        return (
            f"This opportunity is {_status_label(current)}: it is history and cannot move any more. "
            "New evidence opens a new opportunity."
        )
    moves = _or([_status_label(status) for status in allowed])
    if wanted == OpportunityStatus.CLOSED:
        return (
            f"An opportunity that is {_status_label(current)} can move to {moves}. "
            "Only the refresh closes one, when its evidence goes."
        )
    return f"An opportunity that is {_status_label(current)} can move to {moves}, not to {_status_label(wanted)}."


def _or(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


@transaction.atomic
def opportunity_status_change(*, opportunity: Opportunity, status: str, user, reason: str = "") -> Opportunity:
    """Move an opportunity as STATUS_MOVES allows. Dismissing needs a reason and keeps the value it had, so it
    comes back only if that value changes materially; reopening a dismissed one clears both."""
    if status not in OpportunityStatus.values:
        raise SavingsError(f"{status!r} is not a status; use one of {', '.join(OpportunityStatus.values)}.")
    locked = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    if status == locked.status:
        return locked
    if status not in STATUS_MOVES[locked.status]:
        raise SavingsError(_refusal(locked.status, status))
    reason = (reason or "").strip()
    if status == OpportunityStatus.DISMISSED:
        if not reason:
            raise SavingsError(
                "Say why it is dismissed: the reason is required. It comes back only if its value changes materially."
            )
        locked.dismissed_reason = reason
        locked.dismissed_value = locked.estimated_annual_savings
    elif locked.status == OpportunityStatus.DISMISSED:
        locked.dismissed_reason, locked.dismissed_value = "", None
    locked.closed_at = timezone.now() if status == OpportunityStatus.DONE else None
    locked.status = status
    locked._history_user = user
    locked._change_reason = (reason or f"Moved to {_status_label(status)}.")[:100]
    locked.save()
    return locked


@transaction.atomic
def opportunity_assign(*, opportunity: Opportunity, owner, user=None) -> Opportunity:
    """Give a live opportunity to ``owner`` (None: nobody); ``user`` is who did it, for the history."""
    locked = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    if locked.status not in LIVE_STATUSES:
        raise SavingsError(
            f"This opportunity is {_status_label(locked.status)}: it is history, so it has no owner to change."
        )
    locked.owner = owner
    locked._history_user = user
    locked._change_reason = f"Assigned to {owner}." if owner is not None else "Unassigned."
    locked.save()
    return locked
