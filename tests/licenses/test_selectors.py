"""Reads for the licenses pages: seat counts and utilisation on a case computed by hand, finding totals,
the run a page shows by default, the dashboard figures, and query counts that do not grow with the rows.

The utilisation case, on D = 2024-06-30 with a global threshold of 30 days:

    App A (threshold: global 30)         App B (threshold 10, its own)

    Pool A1  A, 5 purchased, 100.00 USD/seat
        p1  seen in A on D-5                         active
        p2  seen in A on D-30 (exactly 30 days)      active
        p3  seen in A on D-31                        idle
        p4  never seen (seen in A on D+1: after D)   idle
        "svc-a1" matched to nobody                   holds a seat, idle
        p5  ended on D-1                             not held on D
        p6  assigned on D+1                          not held on D
        → assigned 5, active 2, utilisation 40.0%, unassigned 0, idle 3 × 100.00 = 300.00
    Pool A2  A, 2 purchased, EUR without a rate, threshold 60 on the pool
        p3  seen in A on D-31 (within 60)            active
        p7  seen in B only                           idle
        → assigned 2, active 1, utilisation 50.0%, idle 1, cost unknown
    Pool B1  B, 1 purchased, 20.00 USD/seat
        p8  seen in B on D-10                        active
        p1  seen in B on D-11                        idle
        → assigned 2, active 1, utilisation 100.0%, over-assigned 1, idle 0, cost 0.00
    Pool B2  B, purchased unknown, 1 assigned        → utilisation, unassigned, idle unknown

    Totals over pools with a known purchase: purchased 8, active 2 + 1 + 1 = 4 (50.0%), idle 4,
    idle cost 300.00 (A2's idle seat is unpriced: 1 unpriced pool).
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from licenses.choices import FindingKind, IdentityStatus, RunStatus
from licenses.models import LicensePool
from licenses.selectors import (
    application_active_users,
    finding_queryset,
    finding_totals,
    findings_by_application,
    identities_to_review_count,
    idle_cost_latest,
    idle_seats_latest,
    latest_done_run,
    pool_usage,
    run_kind_totals,
    true_up_risk_latest,
    usage_totals,
)
from tests.factories import ApplicationFactory, DepartmentFactory, PersonFactory
from tests.licenses.factories import (
    ActivityFactory,
    AssignmentFactory,
    FindingFactory,
    IdentityReviewFactory,
    LicensePoolFactory,
    ReconciliationRunFactory,
)

pytestmark = pytest.mark.django_db

D = date(2024, 6, 30)


def days_before(n: int) -> date:
    return D - timedelta(days=n)


@pytest.fixture
def case(settings):
    settings.LICENSE_INACTIVITY_DAYS = 30
    app_a, app_b = ApplicationFactory(name="App A"), ApplicationFactory(name="App B", inactivity_days=10)
    a1 = LicensePoolFactory(application=app_a, name="A1", purchased_quantity=5, annual_unit_cost=Decimal("100"))
    a2 = LicensePoolFactory(
        application=app_a,
        name="A2",
        purchased_quantity=2,
        currency="EUR",
        annual_unit_cost=Decimal("80"),
        annual_unit_cost_reporting=None,
        inactivity_days=60,
    )
    b1 = LicensePoolFactory(application=app_b, name="B1", purchased_quantity=1, annual_unit_cost=Decimal("20"))
    b2 = LicensePoolFactory(application=app_b, name="B2", purchased_quantity=None)
    p = {n: PersonFactory(name=f"P{n}") for n in range(1, 9)}

    for person, pool in [(1, a1), (2, a1), (3, a1), (4, a1), (3, a2), (7, a2), (8, b1), (1, b1), (2, b2)]:
        AssignmentFactory(pool=pool, person=p[person], assigned_on=date(2024, 1, 1))
    AssignmentFactory(pool=a1, person=None, account="svc-a1", assigned_on=None)
    AssignmentFactory(pool=a1, person=p[5], assigned_on=date(2024, 1, 1), unassigned_on=days_before(1))
    AssignmentFactory(pool=a1, person=p[6], assigned_on=D + timedelta(days=1))

    for person, app, day in [
        (1, app_a, days_before(5)),
        (2, app_a, days_before(30)),
        (3, app_a, days_before(31)),
        (4, app_a, D + timedelta(days=1)),
        (7, app_b, days_before(1)),
        (8, app_b, days_before(10)),
        (1, app_b, days_before(11)),
        (5, app_a, days_before(1)),
        (6, app_a, days_before(1)),
    ]:
        ActivityFactory(person=p[person], application=app, day=day)
    return {"a1": a1, "a2": a2, "b1": b1, "b2": b2, "app_a": app_a, "app_b": app_b}


def usage_by_name(rows) -> dict:
    return {
        row.pool.name: (
            row.purchased,
            row.assigned,
            row.active,
            row.utilisation,
            row.unassigned,
            row.over_assigned,
            row.idle_seats,
            row.idle_cost,
        )
        for row in rows
    }


def test_utilisation_counts_only_seats_held_on_the_day_and_used_within_each_pools_threshold(case):
    rows = pool_usage(LicensePool.objects.all(), today=D)

    assert usage_by_name(rows) == {
        "A1": (5, 5, 2, Decimal("40.0"), 0, 0, 3, Decimal("300.00")),
        "A2": (2, 2, 1, Decimal("50.0"), 0, 0, 1, None),
        "B1": (1, 2, 1, Decimal("100.0"), 0, 1, 0, Decimal("0.00")),
        "B2": (None, 1, 0, None, None, None, None, None),
    }


def test_utilisation_totals_add_up_the_pools_with_a_known_purchase(case):
    totals = usage_totals(pool_usage(LicensePool.objects.all(), today=D))

    assert (totals.pools, totals.purchased, totals.assigned, totals.active) == (4, 8, 9, 4)
    assert totals.utilisation == Decimal("50.0")
    assert totals.idle_seats == 4
    assert totals.idle_cost == Decimal("300.00")
    assert totals.unpriced_pools == 1


def test_a_pool_without_assignments_is_all_idle():
    pool = LicensePoolFactory(purchased_quantity=3, annual_unit_cost=Decimal("12.5"))
    [row] = pool_usage(LicensePool.objects.filter(pk=pool.pk), today=D)
    assert (row.assigned, row.active, row.utilisation, row.unassigned, row.idle_cost) == (
        0,
        0,
        Decimal("0.0"),
        3,
        Decimal("37.50"),
    )


def test_utilisation_takes_two_queries_however_many_pools(case, django_assert_num_queries):
    with django_assert_num_queries(2):
        pool_usage(LicensePool.objects.all(), today=D)
    for n in range(50):
        LicensePoolFactory(application=case["app_a"], name=f"Extra {n}", inactivity_days=n % 7 + 1)
        AssignmentFactory(pool=LicensePool.objects.get(name=f"Extra {n}"))
    with django_assert_num_queries(2):
        rows = pool_usage(LicensePool.objects.all(), today=D)
    assert len(rows) == 54


def test_active_users_of_the_application_count_people_with_or_without_a_seat(case):
    # App A within 30 days of D: p1 (D-5), p2 (D-30), p5 and p6 (D-1); p3 (D-31) and p4 (after D) are not.
    assert application_active_users(case["a1"], today=D) == 4
    # Pool A2's own threshold is 60 days: p3 counts too.
    assert application_active_users(case["a2"], today=D) == 5


# Runs and findings


def test_the_default_run_is_the_newest_finished_run_of_every_application():
    whole = ReconciliationRunFactory(status=RunStatus.DONE)
    ReconciliationRunFactory(status=RunStatus.RUNNING)
    ReconciliationRunFactory(status=RunStatus.FAILED, as_of=date(2024, 5, 31))
    one_app = ReconciliationRunFactory(status=RunStatus.DONE, application=ApplicationFactory())

    assert latest_done_run() == whole
    assert latest_done_run(application_id=one_app.application_id) == one_app
    assert latest_done_run(application_id=ApplicationFactory().pk) == whole


def test_with_only_single_application_runs_the_newest_of_those_is_shown():
    ReconciliationRunFactory(status=RunStatus.DONE, application=ApplicationFactory())
    newest = ReconciliationRunFactory(status=RunStatus.DONE, application=ApplicationFactory())
    assert latest_done_run() == newest


def test_no_finished_run_means_no_findings():
    ReconciliationRunFactory(status=RunStatus.RUNNING)
    assert latest_done_run() is None
    assert list(finding_queryset(None)) == []


@pytest.fixture
def findings():
    older = ReconciliationRunFactory()
    run = ReconciliationRunFactory()
    sales = DepartmentFactory(name="Sales")
    alpha, beta = ApplicationFactory(name="Alpha"), ApplicationFactory(name="Beta")
    pa, pb = LicensePoolFactory(application=alpha), LicensePoolFactory(application=beta)
    made = {
        "inactive": FindingFactory(run=run, pool=pa, kind=FindingKind.INACTIVE, annual_cost_impact=Decimal("120.00")),
        "departed": FindingFactory(
            run=run,
            pool=pa,
            kind=FindingKind.DEPARTED_HOLDER,
            annual_cost_impact=Decimal("120.00"),
            person=PersonFactory(department=sales),
        ),
        "unassigned": FindingFactory(
            run=run, pool=pb, kind=FindingKind.UNASSIGNED_SEAT, quantity=3, annual_cost_impact=Decimal("150.00")
        ),
        "over": FindingFactory(
            run=run, pool=pa, kind=FindingKind.OVER_ASSIGNED, quantity=2, annual_cost_impact=Decimal("240.00")
        ),
        "unpriced": FindingFactory(run=run, pool=pb, kind=FindingKind.UNLICENSED_USER, annual_cost_impact=None),
    }
    FindingFactory(run=older, pool=pa, annual_cost_impact=Decimal("999.00"))  # another run's
    return run, made


def test_finding_totals_keep_savings_and_risk_apart(findings):
    run, _ = findings
    totals = finding_totals(finding_queryset(run))

    assert totals.findings == 5
    assert totals.seats == 1 + 1 + 3 + 2 + 1
    assert totals.savings == Decimal("390.00")  # 120 + 120 + 150
    assert totals.risk == Decimal("240.00")  # over-assigned; the unlicensed user is unpriced
    assert totals.unpriced == 1
    assert (totals.savings_findings, totals.risk_findings) == (3, 2)


def test_findings_are_listed_biggest_impact_first_and_unpriced_last(findings):
    run, made = findings
    order = list(finding_queryset(run))
    assert order[0] == made["over"]
    assert order[-1] == made["unpriced"]
    assert [f.annual_cost_impact for f in order[:4]] == [Decimal(v) for v in ("240", "150", "120", "120")]


def test_findings_per_application(findings):
    run, _ = findings
    rows = {row["application__name"]: row for row in findings_by_application(finding_queryset(run))}

    assert rows["Alpha"]["findings"] == 3
    assert rows["Alpha"]["savings"] == Decimal("240.00")
    assert rows["Alpha"]["risk"] == Decimal("240.00")
    assert rows["Alpha"]["by_kind"] == [1, 0, 1, 0, 0, 1, 0]  # in FindingKind's order
    assert rows["Beta"]["savings"] == Decimal("150.00")
    assert rows["Beta"]["risk"] == Decimal("0.00")
    assert rows["Beta"]["unpriced"] == 1
    assert list(rows) == ["Alpha", "Beta"]  # biggest savings first


def test_run_kind_totals_come_from_the_runs_stored_totals():
    run = ReconciliationRunFactory(
        counts={"inactive": 4, "over_assigned": 1},
        impacts={"inactive": "480.00", "over_assigned": "120.00"},
    )
    savings, risk = run_kind_totals(run)
    assert [(t.kind, t.count, t.impact) for t in savings] == [
        ("departed_holder", 0, Decimal("0")),
        ("never_used", 0, Decimal("0")),
        ("inactive", 4, Decimal("480.00")),
        ("duplicate_account", 0, Decimal("0")),
        ("unassigned_seat", 0, Decimal("0")),
    ]
    assert [(t.kind, t.count, t.impact) for t in risk] == [
        ("over_assigned", 1, Decimal("120.00")),
        ("unlicensed_user", 0, Decimal("0")),
    ]


# The dashboard


def test_dashboard_figures_come_from_the_latest_finished_run(findings):
    run, _ = findings
    run.total_annual_savings, run.total_annual_risk = Decimal("390.49"), Decimal("240.50")
    run.save()
    IdentityReviewFactory.create_batch(2)
    IdentityReviewFactory(status=IdentityStatus.LINKED)

    assert idle_seats_latest() == 5  # 1 inactive + 1 departed + 3 unassigned; risk is not idle seats
    assert idle_cost_latest() == 390
    assert true_up_risk_latest() == 241
    assert identities_to_review_count() == 2


def test_the_licenses_tiles_link_to_the_findings_and_the_review_queue(findings, user_with_role):
    from licenses.dashboard import register_tiles
    from saasmgr.core.dashboard import dashboard_sections

    register_tiles()
    register_tiles()  # registering twice (a second ready()) adds nothing

    tiles = {tile["title"]: tile for tile in dict(dashboard_sections(user_with_role("it")))["Licenses"]}
    assert tiles == {
        "Idle seats (latest run)": {
            "title": "Idle seats (latest run)",
            "count": 5,
            "url": "/licenses/findings/?impact=savings",
        },
        "Annual cost of idle seats (USD)": {
            "title": "Annual cost of idle seats (USD)",
            "count": 0,  # the run's stored total (this run has none stored)
            "url": "/licenses/findings/?impact=savings&sort=-annual_cost_impact",
        },
        "True-up risk (USD/yr)": {
            "title": "True-up risk (USD/yr)",
            "count": 0,
            "url": "/licenses/findings/?impact=risk",
        },
        "Identities to review": {
            "title": "Identities to review",
            "count": 0,
            "url": "/licenses/review/accounts/?status=pending",
        },
    }


def test_a_tile_is_shown_only_to_roles_that_may_open_its_page(findings, user_with_role):
    from saasmgr.core.dashboard import dashboard_sections

    viewer_tiles = {tile["title"] for tile in dict(dashboard_sections(user_with_role("viewer")))["Licenses"]}

    assert "Identities to review" not in viewer_tiles  # the review queue is for IT
    assert "Idle seats (latest run)" in viewer_tiles


def test_dashboard_figures_without_any_run_are_zero():
    assert (idle_seats_latest(), idle_cost_latest(), true_up_risk_latest()) == (0, 0, 0)


def test_finding_reads_do_not_grow_with_the_number_of_findings(findings):
    run, _ = findings
    with CaptureQueriesContext(connection) as few:
        list(finding_queryset(run))
        finding_totals(finding_queryset(run))
        findings_by_application(finding_queryset(run))
    FindingFactory.create_batch(40, run=run, person=PersonFactory(department=DepartmentFactory()))
    with CaptureQueriesContext(connection) as many:
        rows = list(finding_queryset(run))
        for finding in rows:
            finding.application.name, finding.pool.name, finding.person and finding.person.department
        finding_totals(finding_queryset(run))
        findings_by_application(finding_queryset(run))
    assert len(rows) == 45
    assert len(many.captured_queries) == len(few.captured_queries) == 3
