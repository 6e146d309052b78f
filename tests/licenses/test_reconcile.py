"""The reconciliation engine on a scenario computed by hand, and its rules one at a time.

The scenario (``build_scenario``), as of D = 2024-06-30, global threshold 30 days:

Applications
    Alpha   usage source            threshold 30 (global)
    Beta    NO usage source         threshold 30
    Gamma   usage source            threshold 35 (its own)
    Delta   usage source            threshold 30

FX      EUR -> USD 1.085 from 2024-01-01

Pools   app    purchased  currency  annual unit cost  reporting (USD)
    P1  Alpha  6          USD       120.0000          120.0000
    P2  Alpha  3          EUR       100.0000          108.5000  (100 × 1.085)
    P3  Beta   2          USD        50.0000           50.0000
    P4  Gamma  1          USD       (none)            (none)     unpriced
    P5  Delta  (unknown)  USD        10.0000           10.0000

People: Tom is active by status but his termination date 2024-06-15 is <= D; Dan and Terry
are terminated. Everyone else is active.

Assignments (account = person's email unless said)
    P1 Dan     assigned 2024-01-01  last seen Alpha 2024-04-01     departed (and 90 days idle): departed only
    P1 Nora    assigned 2024-05-01  never seen                     60 days > 30: never_used
    P1 Nell    assigned 2024-05-31  never seen                     30 days, not > 30: nothing
    P1 Ian     assigned 2024-01-01  seen 2024-05-30 (+ 2024-07-02 after D, ignored)  31 idle: inactive
    P1 Ivy     assigned 2024-01-01  seen 2024-05-31                30 idle: nothing
    P1 Dora    "dora@…" assigned 2024-01-01  seen 2024-06-29       kept account
    P2 Dora    "dora.alt@…" assigned 2024-03-01                     duplicate_account
    P1 (none)  "svc-alpha" assigned unknown, not matched to anyone   holds a seat, no findings
    P1 Eve     assigned 2024-01-01, unassigned 2024-06-01          not active on D
    P1 Fay     assigned 2024-07-05                                 not active on D
    P3 Bob     assigned 2023-01-01  never seen                     Beta has no usage data: nothing
    P3 Tom     assigned 2023-01-01                                 departed (needs no usage data)
    P4 Gus     assigned 2024-01-01  seen Gamma 2024-05-25          36 idle > 35: inactive, unpriced
    P5 Dell    assigned 2024-01-01  seen Delta 2024-06-30          nothing

Activity without an assignment
    Uma    Alpha 2024-06-25   5 days <= 30: unlicensed_user, priced by the cheapest pool P2
    Ursula Alpha 2024-05-15   46 days > 30: nothing
    Terry  Alpha 2024-06-28   terminated: nothing
    Ulf    Gamma 2024-06-30   0 days <= 35: unlicensed_user, Gamma has no priced pool: unpriced
    Dee    Delta 2024-06-29   Delta's only pool has no known purchased quantity: nothing

Seat counts: P1 holds Dan, Nora, Nell, Ian, Ivy, Dora, svc-alpha = 7 > 6: over_assigned 1.
P2 holds 1 of 3: unassigned_seat 2. P3 2 of 2, P4 1 of 1: nothing. P5: purchased unknown.

Expected (reporting currency USD; local in the pool's currency)
    departed_holder    2   Dan 120.00 + Tom 50.00                 = 170.00
    never_used         1   Nora                                   = 120.00
    inactive           2   Ian 120.00 + Gus (unpriced)            = 120.00
    duplicate_account  1   dora.alt@ on P2: EUR 100.00 → 108.50   = 108.50
    unassigned_seat    1   P2 × 2: EUR 200.00 → 217.00            = 217.00
    over_assigned      1   P1 × 1                                 = 120.00  (risk)
    unlicensed_user    2   Uma (P2: EUR 100.00 → 108.50) + Ulf (unpriced) = 108.50 (risk)
    savings 170.00 + 120.00 + 120.00 + 108.50 + 217.00 = 735.50
    risk    120.00 + 108.50 = 228.50
    unpriced findings: Gus, Ulf = 2; applications without usage data: Beta.
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pandas as pd
import pytest

from licenses.choices import FindingKind, RunStatus
from licenses.models import Finding
from licenses.reconcile import (
    FINDING_COLUMNS,
    findings_build,
    part_frames_load,
    reconcile_frames,
    reconcile_part,
)
from licenses.runs import reconciliation_run_inline, reconciliation_run_start, split_applications
from saasmgr.inventory.choices import PersonStatus
from tests.factories import ApplicationFactory, FxRateFactory, PersonFactory
from tests.licenses.factories import ActivityFactory, AssignmentFactory, LicensePoolFactory, UsageSourceFactory

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2024, 6, 30)
D = datetime.date


def build_scenario() -> SimpleNamespace:
    """The scenario of the module docstring. Call with settings.LICENSE_INACTIVITY_DAYS = 30."""
    s = SimpleNamespace()
    s.alpha = ApplicationFactory(name="Alpha")
    s.beta = ApplicationFactory(name="Beta")
    s.gamma = ApplicationFactory(name="Gamma", inactivity_days=35)
    s.delta = ApplicationFactory(name="Delta")
    for app in (s.alpha, s.gamma, s.delta):
        UsageSourceFactory(application=app)
    rate = FxRateFactory(date=D(2024, 1, 1), currency="EUR", rate=Decimal("1.085")).rate

    s.p1 = LicensePoolFactory(application=s.alpha, name="Alpha Pro", purchased_quantity=6)
    s.p2 = LicensePoolFactory(
        application=s.alpha,
        name="Alpha Lite",
        purchased_quantity=3,
        currency="EUR",
        annual_unit_cost=Decimal("100.0000"),
        annual_unit_cost_reporting=Decimal("100.0000") * rate,
    )
    s.p3 = LicensePoolFactory(application=s.beta, name="Beta Standard", purchased_quantity=2, annual_unit_cost=50)
    s.p4 = LicensePoolFactory(application=s.gamma, name="Gamma Seat", purchased_quantity=1, annual_unit_cost=None)
    s.p5 = LicensePoolFactory(application=s.delta, name="Delta Seat", purchased_quantity=None, annual_unit_cost=10)

    holders = ("dan", "nora", "nell", "ian", "ivy", "dora", "bob", "tom", "gus", "dell", "eve", "fay")
    unlicensed = ("uma", "ursula", "terry", "ulf", "dee")
    for name in holders + unlicensed:
        setattr(s, name, PersonFactory(name=name.title(), email=f"{name}@example.com"))
    s.dan.status, s.dan.termination_date = PersonStatus.TERMINATED, D(2024, 5, 1)
    s.terry.status, s.terry.termination_date = PersonStatus.TERMINATED, D(2024, 6, 1)
    s.tom.termination_date = D(2024, 6, 15)  # HR has not set the status yet
    for person in (s.dan, s.terry, s.tom):
        person.save()

    def seat(pool, person, assigned_on=D(2024, 1, 1), **kwargs):
        return AssignmentFactory(pool=pool, person=person, assigned_on=assigned_on, **kwargs)

    s.a_dan = seat(s.p1, s.dan)
    s.a_nora = seat(s.p1, s.nora, D(2024, 5, 1))
    s.a_nell = seat(s.p1, s.nell, D(2024, 5, 31))
    s.a_ian = seat(s.p1, s.ian)
    s.a_ivy = seat(s.p1, s.ivy)
    s.a_dora = seat(s.p1, s.dora, account="dora@example.com")
    s.a_dora_alt = seat(s.p2, s.dora, D(2024, 3, 1), account="Dora.Alt@example.com")
    s.a_svc = seat(s.p1, None, None, account="svc-alpha")
    seat(s.p1, s.eve, unassigned_on=D(2024, 6, 1))
    seat(s.p1, s.fay, D(2024, 7, 5))
    s.a_bob = seat(s.p3, s.bob, D(2023, 1, 1))
    s.a_tom = seat(s.p3, s.tom, D(2023, 1, 1))
    s.a_gus = seat(s.p4, s.gus)
    s.a_dell = seat(s.p5, s.dell)

    for person, app, day in [
        (s.dan, s.alpha, D(2024, 4, 1)),
        (s.ian, s.alpha, D(2024, 5, 30)),
        (s.ian, s.alpha, D(2024, 7, 2)),
        (s.ian, s.alpha, D(2024, 3, 1)),
        (s.ivy, s.alpha, D(2024, 5, 31)),
        (s.dora, s.alpha, D(2024, 6, 29)),
        (s.gus, s.gamma, D(2024, 5, 25)),
        (s.dell, s.delta, D(2024, 6, 30)),
        (s.uma, s.alpha, D(2024, 6, 25)),
        (s.ursula, s.alpha, D(2024, 5, 15)),
        (s.terry, s.alpha, D(2024, 6, 28)),
        (s.ulf, s.gamma, D(2024, 6, 30)),
        (s.dee, s.delta, D(2024, 6, 29)),
    ]:
        ActivityFactory(person=person, application=app, day=day, events=3)
    return s


EXPECTED_COUNTS = {
    "departed_holder": 2,
    "never_used": 1,
    "inactive": 2,
    "duplicate_account": 1,
    "unassigned_seat": 1,
    "over_assigned": 1,
    "unlicensed_user": 2,
}
EXPECTED_IMPACTS = {
    "departed_holder": "170.00",
    "never_used": "120.00",
    "inactive": "120.00",
    "duplicate_account": "108.50",
    "unassigned_seat": "217.00",
    "over_assigned": "120.00",
    "unlicensed_user": "108.50",
}


@pytest.fixture
def scenario(settings):
    settings.LICENSE_INACTIVITY_DAYS = 30
    return build_scenario()


def run_inline(as_of=AS_OF, **kwargs):
    run = reconciliation_run_start(as_of=as_of, queue=False, **kwargs)
    return reconciliation_run_inline(run=run)


def finding_rows(run):
    """(kind, pool, person, assignment, quantity, local impact, impact) of every finding of ``run``, sorted."""
    return sorted(
        Finding.objects.filter(run=run).values_list(
            "kind",
            "pool_id",
            "person_id",
            "assignment_id",
            "quantity",
            "annual_cost_impact_local",
            "annual_cost_impact",
        ),
        key=repr,
    )


# The whole scenario


def test_scenario_counts_impacts_and_totals_match_the_hand_computation(scenario):
    run = run_inline(parts=3)

    assert run.status == RunStatus.DONE
    assert (run.parts_total, run.parts_done, run.percent) == (3, 3, 100)
    assert run.counts == EXPECTED_COUNTS
    assert run.impacts == EXPECTED_IMPACTS
    assert run.total_annual_savings == Decimal("735.50")
    assert run.total_annual_risk == Decimal("228.50")
    assert run.unpriced_findings == 2
    assert run.apps_without_usage == [{"id": scenario.beta.pk, "name": "Beta"}]
    assert run.started_at is not None and run.finished_at >= run.started_at


def test_scenario_findings_one_by_one(scenario):
    s = scenario
    run = run_inline(parts=2)

    usd, eur = "USD", "EUR"
    m = Decimal
    expected = [
        ("departed_holder", s.p1.pk, s.dan.pk, s.a_dan.pk, 1, usd, m("120.00"), m("120.00")),
        ("departed_holder", s.p3.pk, s.tom.pk, s.a_tom.pk, 1, usd, m("50.00"), m("50.00")),
        ("never_used", s.p1.pk, s.nora.pk, s.a_nora.pk, 1, usd, m("120.00"), m("120.00")),
        ("inactive", s.p1.pk, s.ian.pk, s.a_ian.pk, 1, usd, m("120.00"), m("120.00")),
        ("inactive", s.p4.pk, s.gus.pk, s.a_gus.pk, 1, usd, None, None),
        ("duplicate_account", s.p2.pk, s.dora.pk, s.a_dora_alt.pk, 1, eur, m("100.00"), m("108.50")),
        ("unassigned_seat", s.p2.pk, None, None, 2, eur, m("200.00"), m("217.00")),
        ("over_assigned", s.p1.pk, None, None, 1, usd, m("120.00"), m("120.00")),
        ("unlicensed_user", s.p2.pk, s.uma.pk, None, 1, eur, m("100.00"), m("108.50")),
        ("unlicensed_user", None, s.ulf.pk, None, 1, "", None, None),
    ]
    actual = list(
        Finding.objects.filter(run=run).values_list(
            "kind",
            "pool_id",
            "person_id",
            "assignment_id",
            "quantity",
            "currency",
            "annual_cost_impact_local",
            "annual_cost_impact",
        )
    )
    assert sorted(actual, key=repr) == sorted(expected, key=repr)


def test_evidence_says_why(scenario):
    s = scenario
    run = run_inline()
    by_assignment = {f.assignment_id: f for f in Finding.objects.filter(run=run, assignment__isnull=False)}

    dan = by_assignment[s.a_dan.pk]
    assert (dan.termination_date, dan.last_seen, dan.days_idle) == (D(2024, 5, 1), D(2024, 4, 1), 90)
    assert dan.evidence == {"termination_date": "2024-05-01", "last_seen": "2024-04-01", "days_idle": 90}

    nora = by_assignment[s.a_nora.pk]
    assert nora.evidence == {"assigned_on": "2024-05-01", "days_since_assigned": 60, "threshold_days": 30}
    assert (nora.assigned_on, nora.last_seen) == (D(2024, 5, 1), None)

    ian = by_assignment[s.a_ian.pk]
    assert (ian.last_seen, ian.days_idle) == (D(2024, 5, 30), 31)  # the 2024-07-02 activity is after D
    assert ian.evidence == {"last_seen": "2024-05-30", "days_idle": 31, "threshold_days": 30}

    gus = by_assignment[s.a_gus.pk]
    assert gus.evidence == {"last_seen": "2024-05-25", "days_idle": 36, "threshold_days": 35}

    dup = by_assignment[s.a_dora_alt.pk]
    assert dup.account == "Dora.Alt@example.com"
    assert dup.evidence == {
        "kept_account": "dora@example.com",
        "kept_assignment": s.a_dora.pk,
        "accounts": 2,
        "last_seen": "2024-06-29",
    }

    spare = Finding.objects.get(run=run, kind=FindingKind.UNASSIGNED_SEAT)
    assert spare.evidence == {"purchased": 3, "assigned": 1}
    over = Finding.objects.get(run=run, kind=FindingKind.OVER_ASSIGNED)
    assert over.evidence == {"purchased": 6, "assigned": 7}

    uma = Finding.objects.get(run=run, kind=FindingKind.UNLICENSED_USER, person=s.uma)
    assert uma.application_id == s.alpha.pk
    assert uma.evidence == {"last_seen": "2024-06-25", "days_idle": 5, "threshold_days": 30, "priced_by_pool": s.p2.pk}
    ulf = Finding.objects.get(run=run, kind=FindingKind.UNLICENSED_USER, person=s.ulf)
    assert (ulf.application_id, ulf.pool_id, ulf.annual_cost_impact) == (s.gamma.pk, None, None)


# The rules one at a time (on the scenario's data)


def test_a_departed_holder_who_is_also_idle_is_counted_once_as_departed(scenario):
    run = run_inline()
    assert list(Finding.objects.filter(run=run, person=scenario.dan).values_list("kind", flat=True)) == [
        "departed_holder"
    ]


def test_idle_exactly_the_threshold_is_not_inactive_one_more_day_is(scenario):
    run = run_inline()
    flagged = set(Finding.objects.filter(run=run, kind=FindingKind.INACTIVE).values_list("person_id", flat=True))
    assert scenario.ivy.pk not in flagged  # 30 days idle
    assert scenario.ian.pk in flagged  # 31 days idle
    never = set(Finding.objects.filter(run=run, kind=FindingKind.NEVER_USED).values_list("person_id", flat=True))
    assert never == {scenario.nora.pk}  # Nell: assigned exactly 30 days ago


def test_an_application_without_usage_data_gets_no_inactive_or_never_used_findings(scenario):
    run = run_inline()
    beta_kinds = set(Finding.objects.filter(run=run, application=scenario.beta).values_list("kind", flat=True))
    assert beta_kinds == {"departed_holder"}  # Bob, never seen in 18 months, is not flagged
    assert run.apps_without_usage == [{"id": scenario.beta.pk, "name": "Beta"}]


def test_ended_future_and_unmatched_assignments_hold_no_findings_of_their_own(scenario):
    s = scenario
    run = run_inline()
    people = set(Finding.objects.filter(run=run).values_list("person_id", flat=True))
    assert not people & {s.eve.pk, s.fay.pk, s.nell.pk, s.ivy.pk, s.bob.pk, s.ursula.pk, s.terry.pk, s.dee.pk}
    assert not Finding.objects.filter(run=run, assignment=s.a_svc).exists()


def test_an_unknown_assigned_on_counts_as_long_enough_for_never_used(scenario):
    s = scenario
    s.a_nell.assigned_on = None
    s.a_nell.save()
    run = run_inline()
    never = Finding.objects.get(run=run, assignment=s.a_nell)
    assert never.kind == FindingKind.NEVER_USED
    assert never.evidence == {"assigned_on": None, "days_since_assigned": None, "threshold_days": 30}


def test_the_pool_threshold_overrides_the_applications(scenario):
    s = scenario
    s.p1.inactivity_days = 31
    s.p1.save()
    run = run_inline()
    assert not Finding.objects.filter(run=run, assignment=s.a_ian).exists()  # 31 idle, not > 31


def test_a_duplicate_whose_seat_is_already_found_is_not_counted_again(settings):
    settings.LICENSE_INACTIVITY_DAYS = 30
    app = ApplicationFactory()
    UsageSourceFactory(application=app)
    pool = LicensePoolFactory(application=app, purchased_quantity=None)
    person = PersonFactory()
    first = AssignmentFactory(pool=pool, person=person, account="a@example.com", assigned_on=D(2024, 1, 1))
    second = AssignmentFactory(pool=pool, person=person, account="b@example.com", assigned_on=D(2024, 2, 1))
    ActivityFactory(person=person, application=app, day=D(2024, 3, 1))  # 121 days idle: both seats inactive

    run = run_inline()

    kinds = dict(Finding.objects.filter(run=run).values_list("assignment_id", "kind"))
    assert kinds == {first.pk: "inactive", second.pk: "inactive"}


def test_same_account_in_two_pools_of_one_application_is_not_a_duplicate(settings):
    app = ApplicationFactory()
    person = PersonFactory()
    for name in ("Base", "Add-on"):
        pool = LicensePoolFactory(application=app, name=name, purchased_quantity=None)
        AssignmentFactory(
            pool=pool, person=person, account="Same@example.com" if name == "Base" else "same@example.com"
        )
    run = run_inline()
    assert not Finding.objects.filter(run=run).exists()


def test_duplicate_keeps_the_earliest_assigned_then_the_lowest_id(settings):
    app = ApplicationFactory()
    pool = LicensePoolFactory(application=app, purchased_quantity=None)
    person = PersonFactory()
    unknown = AssignmentFactory(pool=pool, person=person, account="x1", assigned_on=None)
    tie_low = AssignmentFactory(pool=pool, person=person, account="x2", assigned_on=D(2024, 2, 1))
    tie_high = AssignmentFactory(pool=pool, person=person, account="x3", assigned_on=D(2024, 2, 1))
    run = run_inline()
    duplicates = set(
        Finding.objects.filter(run=run, kind=FindingKind.DUPLICATE_ACCOUNT).values_list("assignment_id", flat=True)
    )
    assert duplicates == {unknown.pk, tie_high.pk}
    assert Finding.objects.filter(run=run, assignment=unknown).get().evidence["kept_assignment"] == tie_low.pk


def test_a_pool_without_a_price_or_fx_rate_gives_unpriced_findings_outside_the_totals(settings):
    app = ApplicationFactory()
    priced_no_rate = LicensePoolFactory(
        application=app, name="GBP", purchased_quantity=4, currency="GBP", annual_unit_cost=Decimal("80")
    )
    assert priced_no_rate.annual_unit_cost_reporting is None  # no GBP rate
    run = run_inline()
    spare = Finding.objects.get(run=run)
    assert (spare.kind, spare.quantity, spare.currency) == ("unassigned_seat", 4, "GBP")
    assert (spare.annual_cost_impact_local, spare.annual_cost_impact) == (Decimal("320.00"), None)
    assert run.unpriced_findings == 1
    assert run.impacts["unassigned_seat"] == "0.00"
    assert run.counts["unassigned_seat"] == 1
    assert run.total_annual_savings == Decimal("0.00")


def test_impact_is_rounded_to_cents_after_multiplying(settings):
    app = ApplicationFactory()
    LicensePoolFactory(application=app, purchased_quantity=3, annual_unit_cost=Decimal("33.3350"))
    run = run_inline()
    # 3 × 33.3350 = 100.0050 → 100.01 (half up); 3 × round(33.3350) would be 100.02.
    assert Finding.objects.get(run=run).annual_cost_impact == Decimal("100.01")


def test_a_run_with_no_pools_finishes_with_zero_counts(db):
    run = run_inline()
    assert run.status == RunStatus.DONE
    assert run.counts == dict.fromkeys(FindingKind.values, 0)
    assert run.impacts == dict.fromkeys(FindingKind.values, "0.00")
    assert (run.total_annual_savings, run.total_annual_risk, run.unpriced_findings) == (0, 0, 0)


def test_an_application_without_pools_is_not_listed_as_missing_usage_data(db):
    app = ApplicationFactory(name="No pools")
    run = run_inline(application=app)
    assert (run.status, run.parts_total, run.apps_without_usage) == (RunStatus.DONE, 1, [])
    assert run.counts == dict.fromkeys(FindingKind.values, 0)


def test_one_application_runs_only_that_application(scenario):
    run = run_inline(application=scenario.alpha)
    assert set(Finding.objects.filter(run=run).values_list("application_id", flat=True)) == {scenario.alpha.pk}
    assert run.counts["departed_holder"] == 1  # Dan; Tom's seat is in Beta
    assert run.apps_without_usage == []


# The engine as plain functions


def test_reconcile_frames_from_plain_dataframes():
    """The benchmark's entry point: no database, just frames."""
    pools = pd.DataFrame(
        {
            "pool_id": [1],
            "application_id": [10],
            "purchased_quantity": pd.array([1], dtype="Int64"),
            "currency": ["USD"],
            "annual_unit_cost": [Decimal("12.5000")],
            "annual_unit_cost_reporting": [Decimal("12.5000")],
            "threshold_days": [30],
        }
    )
    applications = pd.DataFrame({"application_id": [10], "name": ["X"], "threshold_days": [30], "has_usage": [True]})
    assignments = pd.DataFrame(
        {
            "assignment_id": [100, 101],
            "pool_id": [1, 1],
            "person_id": pd.array([7, 8], dtype="Int64"),
            "account": ["p7", "p8"],
            "assigned_on": pd.to_datetime(["2024-01-01", "2024-06-01"]),
        }
    )
    last_activity = pd.DataFrame(
        {"person_id": pd.array([7], dtype="Int64"), "application_id": [10], "last_seen": pd.to_datetime(["2024-05-01"])}
    )
    departed = pd.DataFrame(
        {"person_id": pd.array([], dtype="Int64"), "termination_date": pd.to_datetime(pd.Series([], dtype=object))}
    )

    findings = reconcile_frames(
        as_of=AS_OF,
        pools=pools,
        applications=applications,
        assignments=assignments,
        last_activity=last_activity,
        departed=departed,
    )

    assert list(findings.columns) == list(FINDING_COLUMNS)
    rows = findings[["kind", "assignment_id", "quantity", "annual_cost_impact"]].astype(object).values.tolist()
    # Person 7: 60 days idle → inactive. Person 8: assigned 29 days ago, never seen → nothing yet.
    # Pool: 2 held of 1 bought → over-assigned 1.
    assert rows == [["inactive", 100, 1, Decimal("12.50")], ["over_assigned", pd.NA, 1, Decimal("12.50")]]


def test_findings_of_a_part_match_the_rows_written(scenario):
    frame = reconcile_part(as_of=AS_OF, application_ids=[scenario.alpha.pk, scenario.beta.pk])
    built = findings_build(frame, run_id=1, part=0)
    assert [f.kind for f in built] == list(frame["kind"])
    assert sum(1 for f in built if f.application_id == scenario.beta.pk) == 1


def test_loading_a_part_takes_the_same_few_queries_however_big_it_is(settings, django_assert_num_queries):
    settings.LICENSE_INACTIVITY_DAYS = 30

    def build(apps):
        ids = []
        for _ in range(apps):
            app = ApplicationFactory()
            UsageSourceFactory(application=app)
            pool = LicensePoolFactory(application=app)
            for _ in range(3):
                assignment = AssignmentFactory(pool=pool)
                ActivityFactory(person=assignment.person, application=app, day=D(2024, 6, 1))
            ids.append(app.pk)
        return ids

    small, big = build(1), build(5)
    # pools, applications, assignments, last activity (one GROUP BY), departed people
    with django_assert_num_queries(5):
        part_frames_load(as_of=AS_OF, application_ids=small)
    with django_assert_num_queries(5) as captured:
        frames = part_frames_load(as_of=AS_OF, application_ids=big)
    assert len(frames.assignments) == 15 and len(frames.last_activity) == 15
    group_by = [q["sql"] for q in captured.captured_queries if "GROUP BY" in q["sql"].upper()]
    assert len(group_by) == 1 and "MAX(" in group_by[0].upper()


def test_split_applications_balances_assignment_counts():
    weights = {1: 100, 2: 60, 3: 50, 4: 10, 5: 0}
    groups = split_applications(weights, 2)
    # heaviest first, each to the lighter part: 1→A (101), 2→B (61), 3→B (112), 4→A (112), 5→A (tie: first)
    assert groups == [[1, 4, 5], [2, 3]]
    assert split_applications(weights, 10) == [[1], [2], [3], [4], [5]]
    assert split_applications({}, 4) == [[]]
    assert split_applications({1: 0, 2: 0}, 16) == [[1], [2]]
    assert split_applications({1: 5, 2: 5}, 1) == [[1, 2]]
