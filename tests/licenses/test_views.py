"""The licenses pages: pools are listed, shown, added, edited and deleted by the roles that may; a
reconciliation run is started by IT only and shows its progress, then its totals; findings filter, sort and
export (formula-safe) under the same filters; utilisation is right on a case computed by hand; and no list
runs a query per row."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from licenses.choices import FindingKind, RunStatus
from licenses.models import Finding, LicensePool, ReconciliationRun
from licenses.runs import reconciliation_run_inline
from saasmgr.core.choices import Role
from saasmgr.core.services import fx_rate_upsert
from saasmgr.inventory.choices import PersonStatus
from tests.factories import ApplicationFactory, DepartmentFactory, PersonFactory
from tests.licenses.factories import (
    ActivityFactory,
    AssignmentFactory,
    FindingFactory,
    LicensePoolFactory,
    ReconciliationRunFactory,
    UsageSourceFactory,
)
from tests.renewals.factories import ContractFactory, seat_line

pytestmark = pytest.mark.django_db

AS_OF = date(2024, 6, 30)


@pytest.fixture
def procurement_client(client_for):
    return client_for(Role.PROCUREMENT)


@pytest.fixture
def finance_client(client_for):
    return client_for(Role.FINANCE)


def table_records(response) -> list:
    assert response.status_code == 200, response.status_code
    return [row.record for row in response.context["table"].page.object_list]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def pool_form(application, **overrides) -> dict:
    data = {
        "application": application.pk,
        "name": "Business",
        "purchased_quantity": "12",
        "currency": "EUR",
        "annual_unit_cost": "150.00",
        "inactivity_days": "",
        "notes": "Bought through the reseller.",
    }
    data.update(overrides)
    return data


# Pools


def test_pool_list_shows_pools_with_their_seats_assigned_today(viewer_client):
    pool = LicensePoolFactory(name="Enterprise", purchased_quantity=2)
    AssignmentFactory.create_batch(3, pool=pool, assigned_on=date(2020, 1, 1))
    AssignmentFactory(pool=pool, assigned_on=date(2020, 1, 1), unassigned_on=date(2021, 1, 1))
    LicensePoolFactory(name="Basic")

    response = viewer_client.get("/licenses/")

    records = {record.name: record for record in table_records(response)}
    assert set(records) == {"Enterprise", "Basic"}
    assert records["Enterprise"].assigned == 3
    html = response.content.decode()
    assert 'title="More assigned than purchased">3</span>' in html
    assert "Add license pool" not in html  # a viewer may not add


def test_pool_list_filters_by_application_and_source(it_client):
    app = ApplicationFactory(name="Miro")
    hand = LicensePoolFactory(application=app, name="By hand")
    contract = ContractFactory(applications=[app], line_items=[seat_line(sku="From contract")])
    LicensePoolFactory(name="Elsewhere")

    assert {p.name for p in table_records(it_client.get(f"/licenses/?application={app.pk}"))} == {
        "By hand",
        "From contract",
    }
    from_contract = table_records(it_client.get(f"/licenses/?application={app.pk}&from_contract=true"))
    assert [p.line_item.contract for p in from_contract] == [contract]
    assert table_records(it_client.get(f"/licenses/?application={app.pk}&from_contract=false")) == [hand]


def test_pool_detail_shows_seats_utilisation_cost_threshold_and_latest_findings(viewer_client, settings):
    settings.LICENSE_INACTIVITY_DAYS = 60
    today = timezone.localdate()
    app = ApplicationFactory(name="Notion", inactivity_days=20)
    pool = LicensePoolFactory(
        application=app,
        name="Plus",
        purchased_quantity=4,
        currency="EUR",
        annual_unit_cost=Decimal("96.0000"),
        annual_unit_cost_reporting=Decimal("104.1600"),
    )
    active, idle = PersonFactory(name="Ada Active"), PersonFactory(name="Ian Idle")
    AssignmentFactory(pool=pool, person=active, assigned_on=today - timedelta(days=100))
    AssignmentFactory(pool=pool, person=idle, assigned_on=today - timedelta(days=100))
    ActivityFactory(person=active, application=app, day=today - timedelta(days=3))
    ActivityFactory(person=idle, application=app, day=today - timedelta(days=21))
    run = ReconciliationRunFactory(as_of=today)
    FindingFactory(run=run, pool=pool, kind=FindingKind.INACTIVE, person=idle, account=idle.email, days_idle=21)

    response = viewer_client.get(f"/licenses/pools/{pool.pk}/")

    assert response.status_code == 200
    usage = response.context["usage"]
    assert (usage.purchased, usage.assigned, usage.active, usage.utilisation) == (4, 2, 1, Decimal("25.0"))
    assert usage.idle_cost == Decimal("312.48")  # 3 idle seats × 104.16
    html = response.content.decode()
    assert '<div class="figure" id="pool-utilisation">25.0%</div>' in html
    assert '20 days <span class="text-muted">(set on the application)</span>' in html
    assert '96.00 <span class="fs-6">EUR</span>' in html
    assert "≈ 104.16 USD" in html
    assert "Ada Active" in html and "Ian Idle" in html
    assert f"run #{run.pk}</a> as of {today.isoformat()}" in html
    assert "idle 21 d" in html
    assert response.context["can_write"] is False


def test_it_adds_a_pool_by_hand_with_its_reporting_cost(it_client):
    fx_rate_upsert(currency="EUR", on_date=date(2020, 1, 1), rate=Decimal("1.10"))
    app = ApplicationFactory(name="Loom")

    response = it_client.post("/licenses/pools/add/", pool_form(app))

    pool = LicensePool.objects.get(application=app)
    assert response.status_code == 302
    assert response["Location"] == f"/licenses/pools/{pool.pk}/"
    assert (pool.name, pool.purchased_quantity, pool.currency) == ("Business", 12, "EUR")
    assert pool.annual_unit_cost == Decimal("150.0000")
    assert pool.annual_unit_cost_reporting == Decimal("165.0000")
    assert pool.notes == "Bought through the reseller."


def test_procurement_may_add_pools_too(procurement_client):
    app = ApplicationFactory()
    assert procurement_client.post("/licenses/pools/add/", pool_form(app)).status_code == 302
    assert LicensePool.objects.filter(application=app).count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"purchased_quantity": "-3"}, "purchased_quantity", "greater than or equal to 0"),
        ({"annual_unit_cost": "-1"}, "annual_unit_cost", "greater than or equal to 0"),
        ({"currency": "XXY"}, "currency", "Select a valid choice"),
        ({"inactivity_days": "0"}, "inactivity_days", "greater than or equal to 1"),
        ({"name": ""}, "name", "This field is required"),
        ({"name": "enterprise"}, "name", "already has a license pool named “enterprise”"),
    ],
)
def test_an_invalid_pool_form_says_which_field_and_writes_nothing(it_client, overrides, field, message):
    app = ApplicationFactory(name="Asana")
    LicensePoolFactory(application=app, name="Enterprise")

    response = it_client.post("/licenses/pools/add/", pool_form(app, **overrides))

    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert "Please correct the 1 field marked below." in response.content.decode()
    assert LicensePool.objects.filter(application=app).count() == 1


def test_editing_a_contracts_pool_keeps_its_seats_and_price_and_links_to_the_contract(it_client):
    contract = ContractFactory(line_items=[seat_line(quantity="10", unit_price="100.00")])
    pool = LicensePool.objects.get(line_item__contract=contract)

    page = it_client.get(f"/licenses/pools/{pool.pk}/edit/")
    assert f'href="/renewals/contracts/{contract.pk}/edit/">Edit the contract</a>' in page.content.decode()
    assert page.context["form"].fields["purchased_quantity"].disabled

    data = pool_form(pool.application, name=pool.name, purchased_quantity="999", annual_unit_cost="1", currency="EUR")
    data.update(inactivity_days="14", notes="Renewed in March.")
    response = it_client.post(f"/licenses/pools/{pool.pk}/edit/", data)

    assert response.status_code == 302
    pool.refresh_from_db()
    assert (pool.purchased_quantity, pool.annual_unit_cost, pool.currency) == (10, Decimal("100.0000"), "USD")
    assert (pool.inactivity_days, pool.notes) == (14, "Renewed in March.")


def test_it_deletes_a_pool_entered_by_hand(it_client):
    pool = LicensePoolFactory()
    response = it_client.post(f"/licenses/pools/{pool.pk}/delete/")
    assert response.status_code == 302
    assert response["Location"] == "/licenses/"
    assert not LicensePool.objects.filter(pk=pool.pk).exists()


def test_a_pool_from_a_contract_is_not_deleted_by_hand(it_client):
    contract = ContractFactory(number="CT-KEEP")
    pool = LicensePool.objects.get(line_item__contract=contract)

    response = it_client.post(f"/licenses/pools/{pool.pk}/delete/", follow=True)

    assert LicensePool.objects.filter(pk=pool.pk).exists()
    assert any("comes from contract CT-KEEP" in m for m in messages_of(response))


@pytest.mark.parametrize("role", [Role.VIEWER, Role.FINANCE])
def test_roles_that_only_read_may_not_change_pools(client_for, role):
    client = client_for(role)
    pool = LicensePoolFactory(name="Untouched")
    app = ApplicationFactory()

    assert client.get("/licenses/pools/add/").status_code == 403
    assert client.post("/licenses/pools/add/", pool_form(app)).status_code == 403
    assert (
        client.post(f"/licenses/pools/{pool.pk}/edit/", pool_form(pool.application, name="Changed")).status_code == 403
    )
    assert client.post(f"/licenses/pools/{pool.pk}/delete/").status_code == 403
    pool.refresh_from_db()
    assert pool.name == "Untouched"
    assert LicensePool.objects.count() == 1


# Assignments


def test_assignment_list_filters_by_application_department_and_status(viewer_client):
    sales = DepartmentFactory(name="Sales")
    app = ApplicationFactory(name="HubSpot")
    pool = LicensePoolFactory(application=app)
    seller = AssignmentFactory(pool=pool, person=PersonFactory(department=sales))
    ended = AssignmentFactory(pool=pool, unassigned_on=date(2024, 5, 1))
    unmatched = AssignmentFactory(pool=pool, person=None, account="shared@example.com")
    AssignmentFactory()  # another application's
    ActivityFactory(person=seller.person, application=app, day=date(2024, 6, 1))

    assert set(table_records(viewer_client.get(f"/licenses/assignments/?application={app.pk}"))) == {
        seller,
        ended,
        unmatched,
    }
    [row] = table_records(viewer_client.get(f"/licenses/assignments/?department={sales.pk}"))
    assert row == seller and row.last_seen == date(2024, 6, 1)
    assert table_records(viewer_client.get(f"/licenses/assignments/?application={app.pk}&ended=true")) == [ended]
    assert table_records(viewer_client.get("/licenses/assignments/?unmatched=true")) == [unmatched]


# Utilisation


def test_utilisation_page_numbers_for_a_case_computed_by_hand(viewer_client, settings):
    """Pool X: 4 purchased at 50.00; 3 held today: one used 2 days ago, one 40 days ago (threshold 30),
    one never → assigned 3, active 1, 25.0%, unassigned 1, idle 3 seats = 150.00.
    Pool Y: 1 purchased at 10.00, 2 held and both used yesterday → 200.0%, over-assigned 1, idle 0.
    Totals count at most the purchased seats of a pool as active: 1 + 1 = 2 of 5."""
    settings.LICENSE_INACTIVITY_DAYS = 30
    today = timezone.localdate()
    app = ApplicationFactory(name="Canva")
    x = LicensePoolFactory(application=app, name="X", purchased_quantity=4, annual_unit_cost=Decimal("50"))
    y = LicensePoolFactory(application=app, name="Y", purchased_quantity=1, annual_unit_cost=Decimal("10"))
    people = PersonFactory.create_batch(5)
    for person, pool, last_used in [
        (people[0], x, 2),
        (people[1], x, 40),
        (people[2], x, None),
        (people[3], y, 1),
        (people[4], y, 1),
    ]:
        AssignmentFactory(pool=pool, person=person, assigned_on=today - timedelta(days=200))
        if last_used is not None:
            ActivityFactory(person=person, application=app, day=today - timedelta(days=last_used))

    response = viewer_client.get("/licenses/utilisation/?sort=pool")

    rows = table_records(response)
    assert [
        (r.pool.name, r.assigned, r.active, r.utilisation, r.unassigned, r.over_assigned, r.idle_cost) for r in rows
    ] == [
        ("X", 3, 1, Decimal("25.0"), 1, 0, Decimal("150.00")),
        ("Y", 2, 2, Decimal("200.0"), 0, 1, Decimal("0.00")),
    ]
    totals = response.context["totals"]
    assert (totals.purchased, totals.active, totals.idle_seats, totals.idle_cost) == (5, 2, 3, Decimal("150.00"))
    html = response.content.decode()
    assert '<div class="figure savings" data-total="idle_cost">150.00 USD</div>' in html
    assert 'style="width: 25.0%"' in html
    # Sorted by utilisation (the default), the emptiest pool comes first.
    assert [r.pool.name for r in table_records(viewer_client.get("/licenses/utilisation/"))] == ["X", "Y"]
    assert [r.pool.name for r in table_records(viewer_client.get("/licenses/utilisation/?sort=-utilisation"))] == [
        "Y",
        "X",
    ]


def test_utilisation_filters_by_vendor(viewer_client):
    pool = LicensePoolFactory(name="Kept")
    LicensePoolFactory(name="Other")
    rows = table_records(viewer_client.get(f"/licenses/utilisation/?vendor={pool.application.vendor_id}"))
    assert [r.pool.name for r in rows] == ["Kept"]


def test_utilisation_without_pools_says_where_pools_come_from(it_client):
    html = it_client.get("/licenses/utilisation/").content.decode()
    assert "No license pools yet." in html
    assert 'href="/licenses/pools/add/">add one by hand</a>' in html


# Reconciliation runs


def test_it_starts_a_run_and_its_parts_are_queued_for_the_workers(it_client, django_capture_on_commit_callbacks):
    app = ApplicationFactory()
    LicensePoolFactory(application=app)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = it_client.post("/licenses/runs/", {"as_of": "2024-06-30", "application": app.pk})

    run = ReconciliationRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/licenses/runs/{run.pk}/"
    assert (run.as_of, run.application, run.status) == (AS_OF, app, RunStatus.QUEUED)
    assert run.triggered_by.username == "it-user"
    assert len(queued) == run.parts_total == 1  # one Celery task per part, sent once the run is committed


def test_the_as_of_date_defaults_to_today(it_client):
    form = it_client.get("/licenses/runs/").context["form"]
    assert form["as_of"].value() == timezone.localdate()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.FINANCE, Role.PROCUREMENT])
def test_other_roles_may_read_runs_but_not_start_one(client_for, role):
    client = client_for(role)
    page = client.get("/licenses/runs/")
    assert page.status_code == 200
    assert 'id="run-start"' not in page.content.decode()

    assert client.post("/licenses/runs/", {"as_of": "2024-06-30"}).status_code == 403
    assert ReconciliationRun.objects.count() == 0


def test_a_run_in_the_future_is_refused_with_the_reason(it_client):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = it_client.post("/licenses/runs/", {"as_of": tomorrow.isoformat()})
    assert response.status_code == 400
    assert "is in the future" in response.context["form"].errors["as_of"][0]
    assert ReconciliationRun.objects.count() == 0


def test_starting_the_same_day_again_while_it_runs_returns_that_run(it_client):
    LicensePoolFactory()
    it_client.post("/licenses/runs/", {"as_of": "2024-06-30"})
    response = it_client.post("/licenses/runs/", {"as_of": "2024-06-30"}, follow=True)
    assert ReconciliationRun.objects.count() == 1
    assert any("had not finished" in m for m in messages_of(response))


def test_a_queued_run_polls_its_progress_every_second(viewer_client):
    run = ReconciliationRunFactory(status=RunStatus.QUEUED, parts_total=4)
    html = viewer_client.get(f"/licenses/runs/{run.pk}/").content.decode()
    assert f'hx-get="/licenses/runs/{run.pk}/progress/" hx-trigger="every 1s"' in html
    assert 'aria-valuenow="0"' in html
    assert "Waiting for a background worker" in html


def test_a_running_runs_progress_shows_parts_done(viewer_client):
    run = ReconciliationRunFactory(status=RunStatus.RUNNING, parts_total=4, parts_done=1, heartbeat_at=timezone.now())
    response = viewer_client.get(f"/licenses/runs/{run.pk}/progress/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'role="progressbar"' in html and 'aria-valuenow="25"' in html
    assert "1 of 4 parts done" in html
    # The heading's status badge follows, swapped in out of band.
    assert 'id="run-status-badge" hx-swap-oob="true">Running</span>' in html
    assert "HX-Refresh" not in response.headers
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_finished_runs_progress_tells_the_page_to_reload(viewer_client):
    run = ReconciliationRunFactory(status=RunStatus.DONE, parts_total=2, parts_done=2)
    response = viewer_client.get(f"/licenses/runs/{run.pk}/progress/", HTTP_HX_REQUEST="true")
    assert response["HX-Refresh"] == "true"
    assert 'aria-valuenow="100"' in response.content.decode()


def test_a_failed_run_shows_why_and_offers_it_a_resume(it_client, viewer_client):
    run = ReconciliationRunFactory(status=RunStatus.FAILED, error_message="Part 2 stopped on an unexpected error.")
    html = it_client.get(f"/licenses/runs/{run.pk}/").content.decode()
    assert "The run failed.</strong> Part 2 stopped on an unexpected error." in html
    assert "Run it again (resume)" in html
    assert "Run it again (resume)" not in viewer_client.get(f"/licenses/runs/{run.pk}/").content.decode()


@pytest.fixture
def scenario(settings):
    """As of 2024-06-30, threshold 30. Alpha has usage data, Beta has none.

    Alpha pool (3 seats at 120.00): Dan departed, Ian last seen 2024-05-01 (60 days: inactive), Ivy seen
    2024-06-25 → departed 120.00 + inactive 120.00. Beta pool (4 seats, no price): Bob never seen (no usage
    data: nothing) → 3 unassigned seats, unpriced. Uma uses Alpha without a seat: unlicensed, 120.00 risk.
    """
    settings.LICENSE_INACTIVITY_DAYS = 30
    alpha, beta = ApplicationFactory(name="Alpha"), ApplicationFactory(name="Beta")
    UsageSourceFactory(application=alpha)
    pa = LicensePoolFactory(application=alpha, name="Alpha Pro", purchased_quantity=3, annual_unit_cost=Decimal("120"))
    pb = LicensePoolFactory(application=beta, name="Beta Seat", purchased_quantity=4, annual_unit_cost=None)
    dan = PersonFactory(name="Dan", status=PersonStatus.TERMINATED, termination_date=date(2024, 5, 1))
    ian, ivy, bob, uma = (PersonFactory(name=name) for name in ("Ian", "Ivy", "Bob", "Uma"))
    for person, pool in [(dan, pa), (ian, pa), (ivy, pa), (bob, pb)]:
        AssignmentFactory(pool=pool, person=person, assigned_on=date(2024, 1, 1))
    for person, day in [(ian, date(2024, 5, 1)), (ivy, date(2024, 6, 25)), (uma, date(2024, 6, 20))]:
        ActivityFactory(person=person, application=alpha, day=day)
    return {"alpha": alpha, "beta": beta, "pa": pa, "pb": pb}


def test_a_run_started_on_the_page_ends_with_its_totals_and_what_it_could_not_judge(it_client, scenario):
    it_client.post("/licenses/runs/", {"as_of": "2024-06-30"})
    run = reconciliation_run_inline(run=ReconciliationRun.objects.get())  # what the workers do

    assert run.status == RunStatus.DONE
    response = it_client.get(f"/licenses/runs/{run.pk}/")
    html = response.content.decode()
    assert '<div class="figure savings" id="run-savings">240.00 USD' in html
    assert '<div class="figure risk" id="run-risk">120.00 USD' in html
    savings = {t.kind: (t.count, t.impact) for t in response.context["savings_kinds"]}
    assert savings["departed_holder"] == (1, Decimal("120.00"))
    assert savings["inactive"] == (1, Decimal("120.00"))
    assert savings["unassigned_seat"] == (1, Decimal("0.00"))
    assert {t.kind: t.count for t in response.context["risk_kinds"]} == {"over_assigned": 0, "unlicensed_user": 1}
    assert "<strong>1 finding without a price</strong>" in html
    assert "No usage data: no inactive or never-used findings</strong> for 1 application" in html
    assert ">Beta</span>" in html
    assert 'href="/imports/new/?importer=usage:generic">Import usage data</a>' in html
    assert f'href="/licenses/findings/?run={run.pk}" id="run-findings-link"' in html

    findings = it_client.get(f"/licenses/findings/?run={run.pk}")
    rows = table_records(findings)
    # 120.00 each (ties by kind), then the unpriced one.
    assert [(f.kind, f.person.name if f.person else None, f.annual_cost_impact) for f in rows] == [
        ("departed_holder", "Dan", Decimal("120.00")),
        ("inactive", "Ian", Decimal("120.00")),
        ("unlicensed_user", "Uma", Decimal("120.00")),
        ("unassigned_seat", None, None),
    ]
    assert findings.context["totals"].savings == Decimal("240.00")
    assert findings.context["totals"].risk == Decimal("120.00")


# Findings


@pytest.fixture
def findings():
    """Run 'latest': five findings in two applications and two departments; an older run with one."""
    older = ReconciliationRunFactory()
    run = ReconciliationRunFactory()
    sales, legal = DepartmentFactory(name="Sales"), DepartmentFactory(name="Legal")
    alpha, beta = ApplicationFactory(name="Alpha"), ApplicationFactory(name="Beta")
    pa, pb = LicensePoolFactory(application=alpha), LicensePoolFactory(application=beta)

    def finding(key, pool, kind, impact, department=None, **extra):
        person = PersonFactory(name=key.title(), department=department) if department else None
        made[key] = FindingFactory(
            run=run,
            pool=pool,
            kind=kind,
            person=person,
            account=person.email if person else "",
            annual_cost_impact=None if impact is None else Decimal(impact),
            **extra,
        )

    made = {}
    finding("ian", pa, FindingKind.INACTIVE, "120.00", sales, days_idle=45, last_seen=date(2024, 5, 16))
    finding("dan", pa, FindingKind.DEPARTED_HOLDER, "120.00", legal, termination_date=date(2024, 4, 1))
    finding("seats", pb, FindingKind.UNASSIGNED_SEAT, "300.00", quantity=3)
    finding("over", pa, FindingKind.OVER_ASSIGNED, "240.00", quantity=2)
    finding("uma", pb, FindingKind.UNLICENSED_USER, None, sales)
    FindingFactory(run=older, pool=pa, kind=FindingKind.NEVER_USED)
    return {"run": run, "older": older, "alpha": alpha, "beta": beta, "pa": pa, "sales": sales, **made}


def test_findings_default_to_the_latest_run_biggest_impact_first(viewer_client, findings):
    response = viewer_client.get("/licenses/findings/")
    assert response.context["run"] == findings["run"]
    assert [f.pk for f in table_records(response)] == [
        findings[key].pk
        for key in ("seats", "over", "dan", "ian", "uma")  # 120.00 ties go by kind
    ]
    totals = response.context["totals"]
    assert (totals.findings, totals.savings, totals.risk, totals.unpriced) == (
        5,
        Decimal("540.00"),
        Decimal("240.00"),
        1,
    )
    html = response.content.decode()
    assert 'Over-assigned <span class="badge text-bg-danger"' in html  # risk is marked as risk
    assert "(the latest finished run)" in html


def test_an_older_run_is_shown_by_its_id(viewer_client, findings):
    response = viewer_client.get(f"/licenses/findings/?run={findings['older'].pk}")
    assert [f.kind for f in table_records(response)] == ["never_used"]
    assert viewer_client.get("/licenses/findings/?run=999999").status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=inactive&kind=departed_holder", {"ian", "dan"}),
        ("kind=", {"ian", "dan", "seats", "over", "uma"}),  # the drop-down's "Any kind"
        ("impact=risk", {"over", "uma"}),
        ("impact=savings", {"ian", "dan", "seats"}),
        ("min_impact=200", {"seats", "over"}),
        ("q=uma", {"uma"}),
    ],
)
def test_finding_filters(viewer_client, findings, query, expected):
    response = viewer_client.get(f"/licenses/findings/?{query}")
    by_pk = {findings[key].pk: key for key in ("ian", "dan", "seats", "over", "uma")}
    assert {by_pk[f.pk] for f in table_records(response)} == expected
    assert response.context["totals"].findings == len(expected)


def test_finding_filters_by_application_department_and_pool(viewer_client, findings):
    def keys(query):
        by_pk = {findings[key].pk: key for key in ("ian", "dan", "seats", "over", "uma")}
        return {by_pk[f.pk] for f in table_records(viewer_client.get(f"/licenses/findings/?{query}"))}

    assert keys(f"application={findings['beta'].pk}") == {"seats", "uma"}
    assert keys(f"department={findings['sales'].pk}") == {"ian", "uma"}
    assert keys(f"pool={findings['pa'].pk}&impact=savings") == {"ian", "dan"}
    response = viewer_client.get(f"/licenses/findings/?department={findings['sales'].pk}")
    assert response.context["totals"].savings == Decimal("120.00")


def test_findings_sort_by_impact_with_unpriced_last_both_ways(viewer_client, findings):
    ascending = [
        f.annual_cost_impact for f in table_records(viewer_client.get("/licenses/findings/?sort=annual_cost_impact"))
    ]
    assert ascending == [Decimal("120.00"), Decimal("120.00"), Decimal("240.00"), Decimal("300.00"), None]


def test_findings_per_application(viewer_client, findings):
    response = viewer_client.get("/licenses/findings/?view=applications")
    rows = {row["application__name"]: row for row in response.context["applications"]}
    assert (rows["Alpha"]["savings"], rows["Alpha"]["risk"]) == (Decimal("240.00"), Decimal("240.00"))
    assert (rows["Beta"]["savings"], rows["Beta"]["unpriced"]) == (Decimal("300.00"), 1)
    html = response.content.decode()
    assert f'href="?application={findings["alpha"].pk}">Alpha</a>' in html


def test_findings_page_before_any_run(viewer_client):
    html = viewer_client.get("/licenses/findings/").content.decode()
    assert "No reconciliation has finished yet, so there are no findings." in html


def test_finding_csv_has_the_same_rows_and_neutralises_formulas(viewer_client, findings):
    Finding.objects.filter(pk=findings["ian"].pk).update(account='=HYPERLINK("http://evil")')
    findings["ian"].person.name = "@SUM(A1)"
    findings["ian"].person.save()

    response = viewer_client.get(f"/licenses/findings.csv?department={findings['sales'].pk}")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="findings-run-{findings["run"].pk}-2024-06-30.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [(r["kind"], r["risk"]) for r in rows] == [("inactive", "no"), ("unlicensed_user", "yes")]
    ian = rows[0]
    assert ian["account"] == '\'=HYPERLINK("http://evil")'
    assert ian["person"] == "'@SUM(A1)"
    assert (ian["department"], ian["last_seen"], ian["days_idle"]) == ("Sales", "2024-05-16", "45")
    assert (ian["annual_cost_impact_local"], ian["annual_cost_impact_usd"]) == ("120.00", "120.00")
    assert rows[1]["annual_cost_impact_usd"] == ""


# Query counts


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def _grow(n: int, run) -> None:
    department = DepartmentFactory()
    for _ in range(n):
        pool = LicensePoolFactory(application=ApplicationFactory(), purchased_quantity=3)
        person = PersonFactory(department=department)
        assignment = AssignmentFactory(pool=pool, person=person)
        ActivityFactory(person=person, application=pool.application, day=date(2024, 6, 1))
        FindingFactory(run=run, pool=pool, person=person, assignment=assignment, account=assignment.account)
        ReconciliationRunFactory(status=RunStatus.DONE)


@pytest.mark.parametrize(
    "url",
    [
        "/licenses/",
        "/licenses/assignments/",
        "/licenses/utilisation/",
        "/licenses/findings/?run={run}",
        "/licenses/findings/?run={run}&view=applications",
        "/licenses/runs/",
    ],
)
def test_list_pages_take_the_same_queries_for_5_and_50_rows(viewer_client, url):
    run = ReconciliationRunFactory(status=RunStatus.DONE)
    url = url.format(run=run.pk)
    _grow(5, run)
    few = _queries(viewer_client, url)
    _grow(45, run)
    assert _queries(viewer_client, url) == few


def test_pool_detail_takes_the_same_queries_for_5_and_50_assignments(viewer_client):
    pool = LicensePoolFactory(purchased_quantity=100)
    run = ReconciliationRunFactory()
    for n in range(5):
        FindingFactory(run=run, pool=pool, person=AssignmentFactory(pool=pool).person)
    few = _queries(viewer_client, f"/licenses/pools/{pool.pk}/")
    for n in range(45):
        FindingFactory(run=run, pool=pool, person=AssignmentFactory(pool=pool).person)
    assert _queries(viewer_client, f"/licenses/pools/{pool.pk}/") == few


# Navigation


def test_the_licenses_menu_lists_what_the_role_may_open(client_for):
    viewer_menu = client_for(Role.VIEWER).get("/licenses/").context["nav_licenses"]
    it_menu = client_for(Role.IT).get("/licenses/").context["nav_licenses"]

    assert [label for label, _ in viewer_menu] == [
        "Pools",
        "Assignments",
        "Utilisation",
        "Reconciliation runs",
        "Findings",
    ]
    assert [label for label, _ in it_menu][-2:] == ["Identity review", "Name review"]
    assert dict(it_menu)["Identity review"] == "licenses:identity_review_list"
