"""The licenses REST API: pools and assignments are listed, filtered and written by the roles that may,
with errors that name the field; findings are read-only; a run is started by IT with a POST."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from licenses.choices import FindingKind, RunStatus
from licenses.models import Assignment, Finding, LicensePool, ReconciliationRun
from saasmgr.core.services import fx_rate_upsert
from tests.factories import ApplicationFactory, PersonFactory, UserFactory
from tests.licenses.factories import AssignmentFactory, FindingFactory, LicensePoolFactory, ReconciliationRunFactory
from tests.renewals.factories import ContractFactory, seat_line

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    """``api("it")``: a client that authenticates with a token, as a script would (no session, CSRF enforced)."""

    def make(role: str) -> Client:
        token = Token.objects.create(user=UserFactory(username=f"api-{role}", roles=[role]))
        return Client(HTTP_AUTHORIZATION=f"Token {token.key}", enforce_csrf_checks=True)

    return make


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


def patch(client, url, body):
    return client.patch(url, body, content_type="application/json")


# License pools


def test_pools_are_listed_and_filtered_by_application(api):
    app = ApplicationFactory(name="Slack")
    LicensePoolFactory(application=app, name="Pro", purchased_quantity=40, inactivity_days=15)
    LicensePoolFactory(name="Other")

    response = api("viewer").get(f"/api/license-pools/?application={app.pk}")

    assert response.status_code == 200
    [pool] = response.json()["results"]
    assert (pool["name"], pool["application_name"], pool["purchased_quantity"]) == ("Pro", "Slack", 40)
    assert (pool["annual_unit_cost"], pool["threshold_days"], pool["contract"]) == ("120.0000", 15, None)


def test_a_pool_from_a_contract_names_its_contract(api):
    contract = ContractFactory(line_items=[seat_line(quantity="7")])
    [pool] = api("viewer").get("/api/license-pools/").json()["results"]
    assert (pool["contract"], pool["purchased_quantity"]) == (contract.pk, 7)
    assert pool["line_item"] == contract.line_items.get().pk


def test_it_creates_a_pool_with_its_reporting_cost(api):
    fx_rate_upsert(currency="EUR", on_date=date(2020, 1, 1), rate=Decimal("1.20"))
    app = ApplicationFactory()
    body = {"application": app.pk, "name": "Team", "purchased_quantity": 5, "currency": "eur", "annual_unit_cost": "60"}

    response = post(api("it"), "/api/license-pools/", body)

    assert response.status_code == 201, response.json()
    assert response.json()["annual_unit_cost_reporting"] == "72.0000"
    pool = LicensePool.objects.get()
    assert (pool.currency, pool.annual_unit_cost, pool.annual_unit_cost_reporting) == (
        "EUR",
        Decimal("60.0000"),
        Decimal("72.0000"),
    )


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"currency": "XYZ"}, "currency", "'XYZ' is not an ISO 4217 currency code"),
        ({"currency": "EURO"}, "currency", "no more than 3 characters"),
        ({"annual_unit_cost": "-5"}, "annual_unit_cost", "Must not be negative."),
        ({"inactivity_days": 0}, "inactivity_days", "At least 1 day"),
        ({"name": "existing"}, "name", "already has a pool named 'existing'"),
        ({"purchased_quantity": -1}, "purchased_quantity", "greater than or equal to 0"),
    ],
)
def test_a_bad_pool_is_refused_with_the_field_and_why(api, body, field, message):
    app = ApplicationFactory()
    LicensePoolFactory(application=app, name="Existing")
    payload = {"application": app.pk, "name": "New", "currency": "USD", **body}

    response = post(api("it"), "/api/license-pools/", payload)

    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert LicensePool.objects.count() == 1


def test_a_contracts_pool_keeps_its_seats_but_takes_a_threshold(api):
    ContractFactory(line_items=[seat_line(quantity="10")])
    pool = LicensePool.objects.get()
    url = f"/api/license-pools/{pool.pk}/"

    refused = patch(api("it"), url, {"purchased_quantity": 99})
    accepted = patch(api("procurement"), url, {"inactivity_days": 45, "notes": "Checked."})

    assert refused.status_code == 400
    assert "change the contract" in refused.json()["purchased_quantity"][0]
    assert accepted.status_code == 200
    pool.refresh_from_db()
    assert (pool.purchased_quantity, pool.inactivity_days, pool.notes) == (10, 45, "Checked.")


def test_viewers_and_finance_may_not_write_pools(api):
    app = ApplicationFactory()
    for role in ("viewer", "finance"):
        assert post(api(role), "/api/license-pools/", {"application": app.pk, "name": "X"}).status_code == 403
    assert LicensePool.objects.count() == 0


# Assignments


def test_it_creates_and_ends_an_assignment(api):
    pool, person = LicensePoolFactory(), PersonFactory()
    client = api("it")

    created = post(
        client,
        "/api/assignments/",
        {"pool": pool.pk, "person": person.pk, "account": " ada@example.com ", "assigned_on": "2024-02-01"},
    )
    assert created.status_code == 201, created.json()
    assert (created.json()["source"], created.json()["application"]) == ("api", pool.application_id)

    ended = patch(client, created.json()["url"], {"unassigned_on": "2024-06-30"})
    assert ended.status_code == 200
    assignment = Assignment.objects.get()
    assert (assignment.account, assignment.unassigned_on) == ("ada@example.com", date(2024, 6, 30))


def test_an_assignment_is_refused_when_it_ends_before_it_starts_or_repeats_an_account(api):
    existing = AssignmentFactory(account="Bob@example.com")
    client = api("it")

    backwards = post(
        client,
        "/api/assignments/",
        {
            "pool": existing.pool_id,
            "account": "new@example.com",
            "assigned_on": "2024-05-01",
            "unassigned_on": "2024-04-01",
        },
    )
    repeated = post(client, "/api/assignments/", {"pool": existing.pool_id, "account": "bob@EXAMPLE.com"})

    assert backwards.status_code == 400
    assert backwards.json() == {"unassigned_on": ["The end date is before the assigned date."]}
    assert repeated.status_code == 400
    assert "already has an assignment for 'bob@EXAMPLE.com'" in repeated.json()["account"][0]
    assert Assignment.objects.count() == 1


def test_assignments_filter_by_pool_and_holder(api):
    pool = LicensePoolFactory()
    mine = AssignmentFactory(pool=pool)
    orphan = AssignmentFactory(pool=pool, person=None, account="svc")
    AssignmentFactory()

    client = api("viewer")
    assert {a["id"] for a in client.get(f"/api/assignments/?pool={pool.pk}").json()["results"]} == {
        mine.pk,
        orphan.pk,
    }
    assert [a["id"] for a in client.get("/api/assignments/?unmatched=true").json()["results"]] == [orphan.pk]


def test_procurement_may_not_write_assignments(api):
    pool = LicensePoolFactory()
    assert post(api("procurement"), "/api/assignments/", {"pool": pool.pk, "account": "a"}).status_code == 403


# Findings


def test_findings_are_those_of_the_latest_run_or_the_one_asked_for_with_the_pages_filters(api):
    older, latest = ReconciliationRunFactory(), ReconciliationRunFactory()
    pool = LicensePoolFactory()
    idle = FindingFactory(run=latest, pool=pool, kind=FindingKind.INACTIVE, annual_cost_impact=Decimal("120.00"))
    over = FindingFactory(run=latest, pool=pool, kind=FindingKind.OVER_ASSIGNED, annual_cost_impact=Decimal("240"))
    old = FindingFactory(run=older, pool=pool)
    client = api("viewer")

    default = client.get("/api/findings/").json()
    assert [f["id"] for f in default["results"]] == [over.pk, idle.pk]
    assert default["results"][0]["is_risk"] is True
    assert default["results"][0]["kind_label"] == "Over-assigned"
    assert [f["id"] for f in client.get("/api/findings/?impact=savings").json()["results"]] == [idle.pk]
    assert [f["id"] for f in client.get("/api/findings/?min_impact=200").json()["results"]] == [over.pk]
    assert [f["id"] for f in client.get(f"/api/findings/?run={older.pk}").json()["results"]] == [old.pk]
    assert client.get(f"/api/findings/{old.pk}/").json()["run"] == older.pk


@pytest.mark.parametrize("role", ["it", "admin"])
def test_findings_are_read_only_even_for_it(api, role):
    finding = FindingFactory()
    client = api(role)
    # The access table lets nobody write findings (403) before the viewset, which has no create (405), is asked.
    assert post(client, "/api/findings/", {"kind": "inactive"}).status_code in (403, 405)
    assert patch(client, f"/api/findings/{finding.pk}/", {"quantity": 9}).status_code in (403, 405)
    assert client.delete(f"/api/findings/{finding.pk}/").status_code in (403, 405)
    finding.refresh_from_db()
    assert finding.quantity == 1
    assert Finding.objects.count() == 1


# Reconciliation runs


def test_it_starts_a_run_with_a_post(api, django_capture_on_commit_callbacks):
    app = ApplicationFactory()
    LicensePoolFactory(application=app)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = post(api("it"), "/api/reconciliation-runs/", {"as_of": "2024-06-30", "application": app.pk})

    assert response.status_code == 201, response.json()
    body = response.json()
    run = ReconciliationRun.objects.get()
    assert (body["id"], body["status"], body["as_of"], body["application"]) == (run.pk, "queued", "2024-06-30", app.pk)
    assert run.triggered_by.username == "api-it"
    assert len(queued) == run.parts_total == 1


def test_a_run_posted_without_a_date_is_as_of_today(api):
    from django.utils import timezone

    assert post(api("it"), "/api/reconciliation-runs/", {}).status_code == 201
    assert ReconciliationRun.objects.get().as_of == timezone.localdate()


@pytest.mark.parametrize("role", ["viewer", "finance", "procurement"])
def test_other_roles_may_read_runs_but_not_start_them(api, role):
    run = ReconciliationRunFactory(status=RunStatus.DONE, counts={"inactive": 3})
    client = api(role)

    assert post(client, "/api/reconciliation-runs/", {"as_of": "2024-06-30"}).status_code == 403
    assert client.get("/api/reconciliation-runs/").json()["results"][0]["counts"] == {"inactive": 3}
    assert client.get(f"/api/reconciliation-runs/{run.pk}/").json()["percent"] == 100
    assert ReconciliationRun.objects.count() == 1


def test_a_run_in_the_future_is_refused(api):
    response = post(api("it"), "/api/reconciliation-runs/", {"as_of": "2999-01-01"})
    assert response.status_code == 400
    assert "is in the future" in response.json()["as_of"][0]
    assert ReconciliationRun.objects.count() == 0


def test_a_run_cannot_be_changed_through_the_api(api):
    run = ReconciliationRunFactory(status=RunStatus.DONE)
    assert patch(api("it"), f"/api/reconciliation-runs/{run.pk}/", {"status": "failed"}).status_code in (403, 405)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE


def test_the_schema_lists_the_licenses_resources(viewer_client):
    schema = viewer_client.get("/api/schema/?format=json").json()
    assert set(schema["paths"]["/api/license-pools/"]) == {"get", "post"}
    assert set(schema["paths"]["/api/assignments/"]) == {"get", "post"}
    assert set(schema["paths"]["/api/findings/"]) == {"get"}
    assert set(schema["paths"]["/api/reconciliation-runs/"]) == {"get", "post"}
    assert set(schema["paths"]["/api/reconciliation-runs/{id}/"]) == {"get"}


@pytest.mark.parametrize(
    "url", ["/api/license-pools/", "/api/assignments/", "/api/findings/", "/api/reconciliation-runs/"]
)
def test_api_lists_take_the_same_queries_for_5_and_50_rows(api, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api("viewer")
    run = ReconciliationRunFactory()

    def grow(n):
        for _ in range(n):
            contract = ContractFactory(line_items=[seat_line()])
            assignment = AssignmentFactory(pool=LicensePool.objects.get(line_item__contract=contract))
            FindingFactory(run=run, pool=assignment.pool, person=assignment.person)
            ReconciliationRunFactory(status=RunStatus.DONE, application=assignment.pool.application)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, {"run": run.pk}).status_code == 200
        return len(captured.captured_queries)

    grow(5)
    few = queries()
    grow(45)
    assert queries() == few
