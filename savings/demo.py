"""Demo savings: a year of wins in the ledger and the open opportunities of today, for ``seed_demo``.

It runs after the licenses demo, reads the contracts, pools and seats from the database ordered by natural
keys (never by primary key), and draws from its own ``random.Random``, so the same seed and ``today`` give
the same Savings Center. Every win goes through the product's actions, as a person's would:

- seats reclaimed over the past year (mostly from people who left), in the contracts' currencies;
- the outcome of each renewal the renewals demo closed (what ``renewal_closed`` writes in the product);
- a card-paid team plan found in spend and cancelled; another one consolidated into the company's tool;
- holders moved to a cheaper license type of the same app;
- two wins entered by hand (a service credit, a purchase avoided), one of them entered twice by mistake and
  reversed with its reason.

Then a reconciliation runs as of ``today`` and the opportunities are refreshed from it. The first time, the
team has already worked on them, as a real team would have: the top idle seats were reclaimed in the last
days, the next few are in progress with an owner, and some are dismissed with the team's reason, leaving a
realistic share of the annual contract spend identified (drawn between TARGET_SHARE's bounds).

Loading is idempotent like the rest of ``seed_demo``: the history is written once (a database that holds any
action other than a renewal outcome already has its history, seeded or real, and gets none), a renewal gets
one outcome, the reconciliation runs once per day, and the refresh opens nothing twice.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q

from licenses.choices import AssignmentSource, RunStatus
from licenses.models import Assignment, LicensePool, ReconciliationRun
from licenses.runs import reconciliation_run_inline, reconciliation_run_start
from licenses.services import license_pool_save
from renewals.choices import ContractStatus, PricingModel, RenewalDecision, RenewalStage
from renewals.models import Contract, Renewal
from renewals.selectors import active_annual_value_reporting
from renewals.services import RenewalOutcome
from saasmgr.inventory.choices import ApplicationStatus, PersonStatus
from saasmgr.inventory.models import Application, Department, Person
from savings.actions import (
    app_cancel,
    apps_consolidate,
    manual_win_record,
    renewal_outcome_record,
    seats_downgrade,
    seats_reclaim,
)
from savings.choices import (
    RISK_OPPORTUNITY_KINDS,
    ActionKind,
    LedgerKind,
    OpportunityKind,
    OpportunityStatus,
    Recurrence,
    ReduceWhen,
)
from savings.models import LedgerEntry, Opportunity, SavingsAction
from savings.opportunities import opportunities_refresh, opportunity_assign, opportunity_status_change
from savings.selectors import ledger_totals, opportunity_totals
from savings.services import ledger_entry_reverse

HISTORY_DAYS = 350  # wins dated over the past year, the newest a week ago
RECLAIMS = 10
MIN_RECLAIMED, MAX_RECLAIMED = 3, 14  # top reclaim opportunities acted on in the last weeks
IN_PROGRESS = 3  # the next ones someone is already working on
TARGET_SHARE = (0.15, 0.2)  # of the annual contract spend, left identified after the team's triage
# Why the team let some go. Only kinds that cover no other opportunity are dismissed: dismissing a cancel or a
# right-size would uncover the reclaims it counts, and the refresh would open them.
DISMISS_REASONS = {
    OpportunityKind.CONSOLIDATE: "Reviewed with the teams: the two tools serve different workflows.",
    OpportunityKind.REDUCE_AT_RENEWAL: "Seats held for the hires planned next quarter.",
    OpportunityKind.RENEGOTIATE: "The increase buys a support tier we asked for.",
}
DISMISS_SKIP = 0.3  # the share of candidates the team keeps anyway
TRIAGE_ROUNDS = 3
SHADOW_PLAN = "Team plan (paid by card)"
SHADOW_UNIT_COSTS = (Decimal("96.0000"), Decimal("144.0000"), Decimal("180.0000"), Decimal("240.0000"))
EVIDENCE = "https://intranet.example.com/finance/credit-notes/"
# Who records which wins: IT reclaims and moves seats, procurement cancels and negotiates, finance books credits.
RECLAIMERS = ("it", "it", "procurement", "admin")


@dataclass(frozen=True)
class DemoSavingsFigures:
    """What the Savings Center shows after the demo, in the reporting currency."""

    currency: str
    entries: int
    realized: Decimal
    identified: Decimal
    opportunities: int
    annual_spend: int

    @property
    def share_of_spend(self) -> Decimal | None:
        if not self.annual_spend:
            return None
        return (self.identified / Decimal(self.annual_spend) * 100).quantize(Decimal("0.1"))

    def summary(self) -> str:
        share = self.share_of_spend
        money = f"{{:,.2f}} {self.currency}"
        text = (
            f"Savings Center: {self.entries} ledger entries, {money.format(self.realized)} realized, "
            f"{money.format(self.identified)} in {self.opportunities} open opportunities"
        )
        if share is not None:
            text += f" ({share}% of {self.annual_spend:,} {self.currency} annual contract spend)"
        return text + "."


def demo_savings_figures() -> DemoSavingsFigures:
    ledger, open_ = ledger_totals(), opportunity_totals()
    return DemoSavingsFigures(
        currency=settings.REPORTING_CURRENCY,
        entries=ledger.entries,
        realized=ledger.total,
        identified=open_.identified,
        opportunities=open_.open_count + open_.in_progress_count,
        annual_spend=active_annual_value_reporting(),
    )


def demo_savings_loaded() -> bool:
    """The history is there (seeded or real): a database with any action but a renewal outcome."""
    return SavingsAction.objects.exclude(kind=ActionKind.RENEWAL_OUTCOME).exists()


def demo_savings_load(
    *, seed: int, today: date, with_opportunities: bool = True, counted_from: dict[str, int] | None = None
) -> dict[str, int]:
    """Write the demo's savings history and today's opportunities; returns what was created since
    ``counted_from`` (``savings_row_counts()`` taken before the contracts were loaded, so that the outcomes
    ``renewal_closed`` wrote for the demo's closed renewals count too), else since this call.

    ``with_opportunities`` False (the enterprise size, whose usage the benchmark ingests later) leaves out the
    reconciliation and the refresh: with no usage yet every seat would look unused.
    """
    before = counted_from or savings_row_counts()
    rng = random.Random(f"{seed}:savings")
    first = not demo_savings_loaded()
    with transaction.atomic():
        if first:
            _History(rng, today).write()
        _renewal_outcomes_record()
    runs = 0
    if with_opportunities:
        runs = _reconcile(today)
        with transaction.atomic():
            opportunities_refresh(today=today)
            if first:
                _opportunities_triage(rng, today)
    after = savings_row_counts()
    created = {what: after[what] - before[what] for what in after}
    created["reconciliation runs"] = runs
    return created


def savings_row_counts() -> dict[str, int]:
    return {
        "savings actions": SavingsAction.objects.count(),
        "ledger entries": LedgerEntry.objects.count(),
        "opportunities": Opportunity.objects.count(),
    }


def _renewal_outcomes_record() -> None:
    """The outcome of every closed renewal, as ``renewal_closed`` writes it (it is sent on commit, so the demo's
    own closes may not have delivered it yet); a renewal with its outcome is left alone."""
    recorded = SavingsAction.objects.filter(kind=ActionKind.RENEWAL_OUTCOME).values("renewal_id")
    closed = (
        Renewal.objects.filter(stage=RenewalStage.CLOSED)
        .exclude(pk__in=recorded)
        .select_related("contract", "closed_by")
        .order_by("contract__number", "term_end")
    )
    for renewal in closed:
        outcome = RenewalOutcome(
            renewal=renewal,
            renewed=renewal.decision != RenewalDecision.CANCEL,
            baseline_annual=renewal.baseline_annual,
            quote_annual=renewal.quote_annual,
            final_annual=renewal.negotiated_annual or Decimal("0"),
        )
        renewal_outcome_record(outcome=outcome, user=renewal.closed_by)


def _reconcile(today: date) -> int:
    """One reconciliation of every application as of ``today``, run here; none when that day's is done."""
    if ReconciliationRun.objects.filter(as_of=today, application=None, status=RunStatus.DONE).exists():
        return 0
    run = reconciliation_run_start(as_of=today, parts=1, queue=False)  # a small company: one part is quickest
    reconciliation_run_inline(run=run)
    return 1


def _opportunities_triage(rng: random.Random, today: date) -> None:
    """What the team did with the refresh's findings this month: one consolidation pursued and the others let
    go, the top idle seats reclaimed (the first only in part) until what is left identified is the drawn share
    of the spend, the next few opportunities taken on by an owner, and, if still above the share, seats kept
    for hiring and price rises accepted.

    Refreshed before each round of dismissals and at the end: what was done changes what is left to find (a
    reclaimed seat leaves the right-sizing, a dismissed value that moves comes back), and a later run then finds
    it as it is. Reclaims are never dismissed: a dismissed reclaim goes back into its application's
    consolidation, which the refresh would then reopen.
    """
    users = {user.username: user for user in get_user_model().objects.filter(username__in=_USERNAMES)}
    target = Decimal(active_annual_value_reporting()) * Decimal(str(round(rng.uniform(*TARGET_SHARE), 3)))
    floor = target * Decimal("0.9")
    for opportunity in _ranked(OpportunityKind.CONSOLIDATE)[1:]:
        _dismiss(opportunity, user=users.get("it"))
    for number, opportunity in enumerate(_ranked(OpportunityKind.RECLAIM)[:MAX_RECLAIMED]):
        if number >= MIN_RECLAIMED and opportunity_totals().identified <= target:
            break
        _reclaim(rng, opportunity, today=today, part=number == 0, user=users.get(rng.choice(RECLAIMERS)))
    for opportunity in _ranked()[:IN_PROGRESS]:
        owner = users.get("procurement" if opportunity.renewal_id or opportunity.contract_id else "it")
        opportunity_assign(opportunity=opportunity, owner=owner, user=owner)
        opportunity_status_change(opportunity=opportunity, status=OpportunityStatus.IN_PROGRESS, user=owner)
    for _round in range(TRIAGE_ROUNDS):
        opportunities_refresh(today=today)
        identified = opportunity_totals().identified
        if identified <= target * Decimal("1.05"):
            return
        by_value = sorted(_ranked(*DISMISS_REASONS), key=lambda o: (-o.estimated_annual_savings, o.application.name))
        for opportunity in by_value:
            if identified <= target:
                break
            # Some are kept anyway, and one whose loss would take the total well below the share is too big to drop.
            if rng.random() < DISMISS_SKIP or identified - opportunity.estimated_annual_savings < floor:
                continue
            _dismiss(opportunity, user=users.get("it"))
            identified -= opportunity.estimated_annual_savings
    opportunities_refresh(today=today)


def _ranked(*kinds: str) -> list[Opportunity]:
    """The open priced opportunities (of these kinds), highest priority first."""
    rows = Opportunity.objects.filter(status=OpportunityStatus.OPEN, estimated_annual_savings__isnull=False)
    rows = rows.filter(kind__in=kinds) if kinds else rows.exclude(kind__in=sorted(RISK_OPPORTUNITY_KINDS))
    # Ties broken by natural keys, not by the ids inside ``key``: the same seed ranks alike in any database.
    return list(rows.select_related("pool", "application").order_by("-priority", "application__name", "title", "kind"))


def _dismiss(opportunity: Opportunity, *, user) -> None:
    opportunity_status_change(
        opportunity=opportunity, status=OpportunityStatus.DISMISSED, user=user, reason=DISMISS_REASONS[opportunity.kind]
    )


def _reclaim(rng: random.Random, opportunity: Opportunity, *, today: date, part: bool, user) -> None:
    """Reclaim the idle seats of an opportunity (half of them when ``part``: some holders asked to keep theirs)."""
    seats = list(
        Assignment.objects.filter(
            pk__in=opportunity.findings.values("assignment"), unassigned_on__isnull=True
        ).order_by("account")
    )
    keep = len(seats) // 2 if part else 0
    if len(seats) - keep < 1 or opportunity.pool_id is None:
        return
    seats_reclaim(
        pool=opportunity.pool,
        assignments=seats[keep:],
        reduce_when=ReduceWhen.NOW,
        user=user,
        opportunity=opportunity,
        effective_date=today - timedelta(days=rng.randint(1, 25)),
    )


class _History:
    """The year of wins, drawn in a fixed order so that each draw sees the same database."""

    def __init__(self, rng: random.Random, today: date):
        self.rng, self.today = rng, today
        users = {user.username: user for user in get_user_model().objects.filter(username__in=_USERNAMES)}
        self.users = {name: users.get(name) for name in _USERNAMES}
        self.teams = {dept.name: dept for dept in Department.objects.order_by("name")}

    def write(self) -> None:
        self.reclaims()
        self.downgrade()
        self.shadow_it_cancel()
        self.consolidation()
        self.manual_wins()

    def day(self, low: int, high: int, *, not_before: date | None = None) -> date:
        """A day between ``high`` and ``low`` days ago (never before ``not_before``)."""
        day = self.today - timedelta(days=self.rng.randint(low, high))
        return max(day, not_before) if not_before else day

    def team(self, *names: str) -> Department | None:
        present = [self.teams[name] for name in names if name in self.teams]
        return self.rng.choice(present) if present else None

    # Seats reclaimed

    def reclaims(self) -> None:
        ids = list(_contract_pools().filter(purchased_quantity__gte=10).values_list("pk", flat=True))
        self.rng.shuffle(ids)
        chosen = _contract_pools().in_bulk(ids[:RECLAIMS])
        days = sorted((self.day(7, HISTORY_DAYS) for _ in range(RECLAIMS)), reverse=True)
        for pool, day in zip([chosen[pk] for pk in ids[:RECLAIMS]], days, strict=False):
            contract = pool.line_item.contract
            on = max(day, contract.start_date + timedelta(days=14))
            if on >= self.today:
                continue
            seats = _holders(pool, on)
            departed = [a for a in seats if a.person and a.person.status == PersonStatus.TERMINATED]
            others = [a for a in seats if a not in departed]
            self.rng.shuffle(others)
            count = min(len(seats), max(2, round(pool.purchased_quantity * self.rng.uniform(0.04, 0.12))))
            picked = (departed + others)[:count]
            if not picked:
                continue
            user = self.users[self.rng.choice(RECLAIMERS)]
            seats_reclaim(
                pool=pool,
                assignments=picked,
                reduce_when=ReduceWhen.NOW,
                user=user,
                effective_date=on,
                credited_team=contract.department or self.team("IT"),
            )

    # Seats moved to a cheaper license type

    def downgrade(self) -> None:
        pair = _downgrade_pair()
        if pair is None:
            return
        dear, cheap = pair
        on = self.day(60, 200, not_before=dear.line_item.contract.start_date + timedelta(days=14))
        taken = set(
            Assignment.objects.filter(pool=cheap, unassigned_on__isnull=True).values_list("person_id", flat=True)
        )
        holders = [a for a in _holders(dear, on) if a.person_id not in taken]
        count = min(len(holders), max(2, round(len(holders) * 0.15)))
        if count:
            seats_downgrade(
                from_pool=dear,
                to_pool=cheap,
                assignments=self.rng.sample(holders, count),
                user=self.users["it"],
                effective_date=on,
                credited_team=self.team("IT", "Engineering"),
            )

    # Card-paid team plans found in spend

    def shadow_it_cancel(self) -> None:
        candidates = _shadow_candidates()
        if not candidates:
            return
        app = self.rng.choice(candidates)
        on = self.day(150, 260)
        team = self.team("Marketing", "Design", "Sales", "Customer Success")
        pool = self.shadow_plan(app, seats=self.rng.randint(12, 30), since=on - timedelta(days=400), team=team)
        app_cancel(
            application=app,
            user=self.users["procurement"],
            contracts=[],
            pools=[pool],
            effective_date=on,
            credited_team=team,
        )

    def consolidation(self) -> None:
        pair = _consolidation_pair(exclude=_retired_ids())
        if pair is None:
            return
        retired, kept_pool = pair
        on = self.day(240, HISTORY_DAYS)
        team = self.team("Engineering", "Product", "Customer Support")
        seats = self.rng.randint(15, 40)
        # Bought at about the kept app's price per seat, as overlapping tools usually are.
        unit_cost = (kept_pool.annual_unit_cost * Decimal(str(self.rng.uniform(0.7, 1.1)))).quantize(Decimal("1"))
        pool = self.shadow_plan(
            retired,
            seats=seats,
            since=on - timedelta(days=500),
            team=team,
            currency=kept_pool.currency,
            unit_cost=max(unit_cost, Decimal("12")),
        )
        # A third of the plan's users had no seat of the kept app yet: it buys that many more.
        added = (kept_pool.annual_unit_cost * Decimal(round(seats / 3))).quantize(Decimal("0.01"))
        apps_consolidate(
            applications=[retired],
            kept_application=kept_pool.application,
            added_annual_cost=added,
            user=self.users["procurement"],
            contracts=[],
            pools=[pool],
            effective_date=on,
            credited_team=team,
        )

    def shadow_plan(self, app: Application, *, seats: int, since: date, team, currency=None, unit_cost=None):
        """A team plan someone bought by card, entered by hand once spend showed it, with its holders."""
        currency = currency or self.rng.choice(_contract_currencies())
        unit_cost = unit_cost or self.rng.choice(SHADOW_UNIT_COSTS)
        pool = license_pool_save(
            pool=LicensePool(
                application=app,
                name=SHADOW_PLAN,
                purchased_quantity=seats,
                currency=currency,
                annual_unit_cost=unit_cost,
                notes="Found in card spend; bought by the team without a contract.",
            )
        )
        people = list(
            Person.objects.filter(department=team, status=PersonStatus.ACTIVE).order_by("email")
            if team is not None
            else Person.objects.none()
        ) or list(Person.objects.filter(status=PersonStatus.ACTIVE).order_by("email"))
        for person in self.rng.sample(people, min(seats, len(people))):
            Assignment.objects.create(
                pool=pool,
                person=person,
                account=person.email,
                assigned_on=since,
                source=AssignmentSource.IMPORT,
            )
        return pool

    # Wins entered by hand

    def manual_wins(self) -> None:
        currencies = _contract_currencies()
        finance = self.users["finance"] or self.users["procurement"]
        credit = manual_win_record(
            user=finance,
            ledger_kind=LedgerKind.COST_SAVINGS,
            recurrence=Recurrence.ONE_TIME,
            amount=Decimal(self.rng.randrange(1500, 6000, 250)),
            currency=self.rng.choice(currencies),
            effective_date=self.day(200, 320),
            description="Service credit for the vendor's outage (SLA breach)",
            evidence_url=f"{EVIDENCE}CN-{self.rng.randint(1000, 9999)}",
            application=_any_application(self.rng),
            credited_team=self.team("Finance"),
        )
        # Booked twice from the same credit note, then corrected by a reversal, as finance would.
        duplicate = manual_win_record(
            user=finance,
            ledger_kind=credit.entries.get().kind,
            recurrence=Recurrence.ONE_TIME,
            amount=credit.entries.get().amount,
            currency=credit.currency,
            effective_date=credit.effective_date,
            description=credit.description,
            evidence_url=credit.evidence_url,
            application=credit.application,
            credited_team=self.team("Finance"),
        )
        ledger_entry_reverse(
            entry=duplicate.entries.get(),
            user=finance,
            reason=f"Entered twice: credit note {credit.evidence_url.rsplit('/', 1)[-1]} was already booked.",
        )
        manual_win_record(
            user=self.users["procurement"],
            ledger_kind=LedgerKind.COST_AVOIDANCE,
            recurrence=Recurrence.ONE_TIME,
            amount=Decimal(self.rng.randrange(4000, 15000, 500)),
            currency=self.rng.choice(currencies),
            effective_date=self.day(20, 90),
            description="Declined the vendor's premium support upgrade: the standard tier covers our SLAs",
            evidence_url=f"{EVIDENCE}quote-declined-{self.rng.randint(100, 999)}",
            application=_any_application(self.rng),
            credited_team=self.team("IT"),
        )


_USERNAMES = ("admin", "it", "procurement", "finance")


def _contract_pools():
    """Per-seat pools of active contracts, with a price, in a fixed order."""
    return (
        LicensePool.objects.filter(
            line_item__pricing_model=PricingModel.PER_SEAT,
            line_item__contract__status=ContractStatus.ACTIVE,
            annual_unit_cost__gt=0,
        )
        .select_related("application", "line_item__contract__department")
        .order_by("application__name", "name")
    )


def _holders(pool: LicensePool, on: date) -> list[Assignment]:
    """The live seats of a pool that were already held on ``on``, in a fixed order."""
    return list(
        Assignment.objects.filter(pool=pool, unassigned_on__isnull=True)
        .filter(Q(assigned_on__isnull=True) | Q(assigned_on__lte=on))
        .select_related("person")
        .order_by("account")
    )


def _downgrade_pair() -> tuple[LicensePool, LicensePool] | None:
    """The dearer and the cheaper per-seat pool of one application on one contract, the dearer one with the most
    holders (at least five)."""
    groups: dict[tuple[int, int], list[tuple]] = {}
    for pk, contract_id, app_id, cost, app_name, name in _contract_pools().values_list(
        "pk", "line_item__contract_id", "application_id", "annual_unit_cost", "application__name", "name"
    ):
        groups.setdefault((contract_id, app_id), []).append((-cost, app_name, name, pk))
    pairs = []
    for pools in groups.values():
        pools.sort()
        if len(pools) >= 2 and pools[0][0] < pools[-1][0]:
            pairs.append((pools[0], pools[-1]))
    held = dict(
        Assignment.objects.filter(pool_id__in=[dear[3] for dear, _ in pairs], unassigned_on__isnull=True)
        .values_list("pool_id")
        .annotate(n=Count("pk"))
    )
    ranked = sorted(
        (
            (-held.get(dear[3], 0), dear[1], dear[2], dear[3], cheap[3])
            for dear, cheap in pairs
            if held.get(dear[3], 0) >= 5
        )
    )
    if not ranked:
        return None
    pools = LicensePool.objects.select_related("application", "line_item__contract")
    return pools.get(pk=ranked[0][3]), pools.get(pk=ranked[0][4])


def _shadow_candidates() -> list[Application]:
    """Applications people use without a contract or pool (found in spend or SSO), by name."""
    return list(
        Application.objects.filter(status__in=[ApplicationStatus.UNSANCTIONED, ApplicationStatus.UNDER_REVIEW])
        .filter(contracts__isnull=True, license_pools__isnull=True)
        .order_by("name")
    )


def _retired_ids() -> set[int]:
    return set(Application.objects.filter(status=ApplicationStatus.RETIRED).values_list("pk", flat=True))


def _consolidation_pair(*, exclude: set[int]) -> tuple[Application, LicensePool] | None:
    """An unsanctioned application and the priced pool of a sanctioned one in its category to move its users
    to; any sanctioned pool when no category matches."""
    candidates = [app for app in _shadow_candidates() if app.pk not in exclude]
    for app in candidates:
        same = _contract_pools().filter(application__category_id=app.category_id).first() if app.category_id else None
        if same is not None:
            return app, same
    anywhere = _contract_pools().first()
    return (candidates[0], anywhere) if candidates and anywhere else None


def _contract_currencies() -> list[str]:
    currencies = sorted(set(Contract.objects.filter(status=ContractStatus.ACTIVE).values_list("currency", flat=True)))
    return currencies or [settings.REPORTING_CURRENCY]


def _any_application(rng: random.Random) -> Application | None:
    apps = list(Application.objects.filter(status=ApplicationStatus.SANCTIONED, contracts__isnull=False).distinct())
    apps.sort(key=lambda app: app.name)
    return rng.choice(apps) if apps else None
