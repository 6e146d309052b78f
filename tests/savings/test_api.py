"""The savings REST API: opportunities are read and moved (status, owner) through the service; savings actions
and ledger entries are created, never changed; the ledger summary totals exactly the filtered rows.

Every 400 names the field and why; the roles come from the access table.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from licenses.models import Assignment
from savings.choices import ActionKind, LedgerKind, OpportunityKind, OpportunityStatus, Recurrence
from savings.models import LedgerEntry, Opportunity, SavingsAction
from tests.factories import ApplicationFactory, FxRateFactory, UserFactory
from tests.licenses.factories import AssignmentFactory, LicensePoolFactory
from tests.savings.factories import LedgerEntryFactory, OpportunityFactory, SavingsActionFactory, sample_ledger

pytestmark = pytest.mark.django_db
D = Decimal
EVIDENCE = "https://tickets.example.com/FIN-42"


@pytest.fixture
def api():
    """``api("finance")``: a client that authenticates with a token, as a script would (CSRF enforced)."""

    def make(role: str) -> Client:
        user = UserFactory(username=f"api-{role}", roles=[role])
        client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}", enforce_csrf_checks=True)
        client.user = user
        return client

    return make


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


def patch(client, url, body):
    return client.patch(url, body, content_type="application/json")


def manual_win(**overrides):
    body = {
        "kind": LedgerKind.COST_SAVINGS,
        "recurrence": Recurrence.ONE_TIME,
        "amount": "1000.00",
        "currency": "EUR",
        "effective_date": "2026-02-10",
        "description": "Service credit for the January outage",
        "evidence_url": EVIDENCE,
    }
    return {**body, **overrides}


# The ledger: reading


def test_the_ledger_is_listed_with_both_currencies_and_reversal_links(api):
    ledger = sample_ledger()
    response = api("viewer").get("/api/ledger/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 6
    by_id = {row["id"]: row for row in body["results"]}
    euro = by_id[ledger.entries[1].pk]
    assert (euro["amount"], euro["currency"], euro["fx_rate"], euro["amount_reporting"]) == (
        "1000.00",
        "EUR",
        "1.20000000",
        "1200.00",
    )
    assert (euro["kind"], euro["recurrence"], euro["application_name"]) == ("cost_avoidance", "annual", "Figma")
    credit, reversal = by_id[ledger.entries[2].pk], by_id[ledger.entries[5].pk]
    assert (credit["reversed_by"], credit["reverses"]) == (reversal["id"], None)
    assert (reversal["reverses"], reversal["amount_reporting"], reversal["reason"]) == (
        credit["id"],
        "-416.66",
        "The credit was refused",
    )


def test_the_ledger_list_takes_the_ledger_page_filters(api):
    ledger = sample_ledger()
    client = api("viewer")

    def ids(query):
        response = client.get(f"/api/ledger/?{query}")
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    e = [entry.pk for entry in ledger.entries]
    assert ids("kind=cost_avoidance") == {e[1], e[4]}
    assert ids(f"application={ledger.figma.pk}") == {e[1], e[3]}
    assert ids("date_from=2026-02-01&date_to=2026-02-28") == {e[1], e[2], e[5]}
    assert ids("reversals=only") == {e[5]}
    assert ids(f"credited_user={ledger.bob.pk}&recurrence=annual") == {e[1], e[3]}
    response = client.get("/api/ledger/?date_from=yesterday")
    assert response.status_code == 400
    assert response.json() == {"date_from": ["Enter a valid date."]}


def test_the_ledger_list_runs_the_same_queries_for_more_rows(api):
    client = api("viewer")
    for _ in range(3):
        LedgerEntryFactory()
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/ledger/").status_code == 200
    for _ in range(20):
        LedgerEntryFactory(reverses=LedgerEntryFactory())
    with CaptureQueriesContext(connection) as many:
        assert client.get("/api/ledger/").json()["count"] == 43
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_ledger_entries_cannot_be_changed_or_deleted(api, method):
    entry = LedgerEntryFactory(amount="500.00")
    response = getattr(api("admin"), method)(
        f"/api/ledger/{entry.pk}/", {"amount": "1.00"}, content_type="application/json"
    )
    assert response.status_code == 405
    assert "append-only" in response.json()["detail"]
    assert "reverses" in response.json()["detail"]
    assert LedgerEntry.objects.get(pk=entry.pk).amount == D("500.00")
    assert LedgerEntry.objects.count() == 1


# The ledger: a manual win


def test_finance_posts_a_manual_win_converted_at_the_effective_date(api):
    FxRateFactory(currency="EUR", date=date(2025, 1, 1), rate=D("1.10"))
    FxRateFactory(currency="EUR", date=date(2026, 1, 1), rate=D("1.20"))
    app = ApplicationFactory(name="Zoom")
    client = api("finance")

    response = post(client, "/api/ledger/", manual_win(application=app.pk))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["amount"], body["fx_rate"], body["amount_reporting"], body["reporting_currency"]) == (
        "1000.00",
        "1.20000000",
        "1200.00",
        "USD",
    )
    assert (body["kind"], body["recurrence"], body["effective_date"]) == ("cost_savings", "one_time", "2026-02-10")
    assert (body["credited_user"], body["created_by"], body["application"]) == (client.user.pk, client.user.pk, app.pk)
    action = SavingsAction.objects.get(pk=body["action"])
    assert (action.kind, action.evidence_url, action.performed_by) == (ActionKind.MANUAL, EVIDENCE, client.user)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"amount": None}, "amount", "required"),
        ({"kind": "windfall"}, "kind", "not a valid choice"),
        ({"amount": "-5.00"}, "amount", "greater than or equal to 0.01"),
        ({"currency": "EURO"}, "currency", "no more than 3"),
        ({"currency": "XYZ"}, "currency", "ISO 4217"),
        ({"currency": "GBP"}, "currency", "No GBP→USD exchange rate"),
        ({"evidence_url": ""}, "evidence_url", "Give the evidence"),
        ({"evidence_url": "not a link"}, "evidence_url", "valid URL"),
        ({"description": "   "}, "description", "Say what was won"),
        ({"reason": "because"}, "reason", "goes with"),
    ],
)
def test_a_refused_win_names_the_field_and_why(api, change, field, words):
    FxRateFactory(currency="EUR", date=date(2025, 1, 1), rate=D("1.10"))
    body = {key: value for key, value in manual_win(**change).items() if value is not None}
    response = post(api("finance"), "/api/ledger/", body)
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert words in " ".join(response.json()[field])
    assert not LedgerEntry.objects.exists()


# The ledger: a reversal


def test_a_reversal_is_a_post_naming_the_entry_and_why(api):
    entry = LedgerEntryFactory(amount="750.00", effective_date=date(2026, 1, 20))
    client = api("finance")

    response = post(client, "/api/ledger/", {"reverses": entry.pk, "reason": "Counted twice"})

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["reverses"], body["amount"], body["amount_reporting"], body["effective_date"]) == (
        entry.pk,
        "-750.00",
        "-750.00",
        "2026-01-20",
    )
    assert (body["reason"], body["created_by"], body["kind"]) == ("Counted twice", client.user.pk, entry.kind)
    assert client.get(f"/api/ledger/{entry.pk}/").json()["reversed_by"] == body["id"]
    total = client.get("/api/ledger/summary/").json()["totals"]["total"]
    assert total == "0.00"


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"reason": ""}, "reason", "reason is required"),
        ({"reason": "x", "amount": "10.00"}, "amount", "Not used in a reversal"),
        ({"reason": "x", "reverses": 999999}, "reverses", "does not exist"),
    ],
)
def test_a_refused_reversal_names_the_field(api, body, field, words):
    entry = LedgerEntryFactory()
    response = post(api("finance"), "/api/ledger/", {"reverses": entry.pk, **body})
    assert response.status_code == 400
    assert field in response.json()
    assert words in " ".join(response.json()[field])
    assert LedgerEntry.objects.count() == 1


def test_an_entry_is_reversed_once_and_a_reversal_never(api):
    entry = LedgerEntryFactory()
    reversal = LedgerEntryFactory(reverses=entry)
    client = api("finance")
    again = post(client, "/api/ledger/", {"reverses": entry.pk, "reason": "again"})
    assert again.status_code == 400
    assert again.json() == {"reverses": [f"Entry #{entry.pk} has already been reversed."]}
    undo = post(client, "/api/ledger/", {"reverses": reversal.pk, "reason": "undo"})
    assert undo.status_code == 400
    assert "itself a reversal" in undo.json()["reverses"][0]
    assert LedgerEntry.objects.count() == 2


# Who may


def test_a_viewer_reads_but_cannot_write(api):
    entry = LedgerEntryFactory()
    opportunity = OpportunityFactory()
    viewer = api("viewer")
    assert viewer.get("/api/ledger/").status_code == 200
    assert viewer.get(f"/api/ledger/{entry.pk}/").status_code == 200
    assert viewer.get("/api/ledger/summary/").status_code == 200
    assert viewer.get("/api/opportunities/").status_code == 200
    assert viewer.get("/api/savings-actions/").status_code == 200
    assert post(viewer, "/api/ledger/", manual_win(currency="USD")).status_code == 403
    assert post(viewer, "/api/ledger/", {"reverses": entry.pk, "reason": "x"}).status_code == 403
    assert post(viewer, "/api/savings-actions/", manual_win(currency="USD")).status_code == 403
    assert patch(viewer, f"/api/opportunities/{opportunity.pk}/", {"status": "in_progress"}).status_code == 403
    assert LedgerEntry.objects.count() == 1
    assert Opportunity.objects.get().status == OpportunityStatus.OPEN


def test_anonymous_calls_are_refused(db):
    assert Client().get("/api/ledger/").status_code == 401


# The summary


def test_the_summary_totals_the_filtered_rows_by_every_grouping(api):
    ledger = sample_ledger()
    client = api("viewer")

    body = client.get("/api/ledger/summary/").json()

    assert body["totals"] == {
        "currency": "USD",
        "cost_savings": "1750.00",
        "cost_avoidance": "1450.50",
        "total": "3200.50",
        "one_time": "250.50",
        "annual": "2950.00",
        "entries": 6,
        "reversals": 1,
    }
    assert [(row["key"], row["total"]) for row in body["by_kind"]] == [
        ("cost_savings", "1750.00"),
        ("cost_avoidance", "1450.50"),
    ]
    assert [(row["label"], row["total"]) for row in body["by_month"]] == [
        ("2025-12", "550.00"),
        ("2026-01", "1200.00"),
        ("2026-02", "1200.00"),
        ("2026-03", "250.50"),
    ]
    assert body["by_month"][0]["key"] == "2025-12-01"
    assert body["by_month"][0]["params"] == {"date_from": "2025-12-01", "date_to": "2025-12-31"}
    assert [(row["key"], row["label"], row["total"]) for row in body["by_application"]] == [
        (ledger.figma.pk, "Figma", "1750.00"),
        (ledger.slack.pk, "Slack", "1450.50"),
    ]
    assert [(row["label"], row["total"]) for row in body["by_department"]] == [
        ("Sales", "1750.00"),
        ("Engineering", "1450.50"),
        ("No department", "0.00"),
    ]
    assert [(row["label"], row["total"]) for row in body["by_category"]] == [
        ("Design", "1750.00"),
        ("Collaboration", "1450.50"),
    ]
    assert [row["label"] for row in body["by_credited_team"]] == ["Sales", "Engineering"]
    assert [row["label"] for row in body["by_credited_user"]] == ["Bob Baker", "Alice Archer"]
    assert [row["total"] for row in body["by_recurrence"]] == ["2950.00", "250.50"]

    slack = client.get(f"/api/ledger/summary/?application={ledger.slack.pk}&kind=cost_savings").json()
    assert (slack["totals"]["total"], slack["totals"]["entries"]) == ("1200.00", 3)
    assert [row["label"] for row in slack["by_application"]] == ["Slack"]


def test_the_summary_refuses_bad_filters_and_writes(api):
    response = api("viewer").get("/api/ledger/summary/?kind=windfall&date_to=never")
    assert response.status_code == 400
    assert set(response.json()) == {"kind", "date_to"}
    assert post(api("admin"), "/api/ledger/summary/", {}).status_code == 403


def test_the_summary_runs_a_fixed_number_of_queries(api):
    client = api("viewer")
    LedgerEntryFactory()
    with CaptureQueriesContext(connection) as few:
        client.get("/api/ledger/summary/")
    sample_ledger()
    for _ in range(10):
        LedgerEntryFactory()
    with CaptureQueriesContext(connection) as many:
        assert client.get("/api/ledger/summary/").json()["totals"]["entries"] == 17
    assert len(many.captured_queries) == len(few.captured_queries)


# Opportunities


def test_opportunities_are_listed_by_priority_with_filters(api):
    low = OpportunityFactory(priority=D("100.00"))
    high = OpportunityFactory(priority=D("900.00"), kind=OpportunityKind.RIGHT_SIZE)
    risk = OpportunityFactory(kind=OpportunityKind.TRUE_UP_RISK, priority=D("500.00"))
    OpportunityFactory(status=OpportunityStatus.DISMISSED)
    client = api("viewer")

    def ids(query=""):
        response = client.get(f"/api/opportunities/?{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids("status=active") == [high.pk, risk.pk, low.pk]
    assert ids("status=active&impact=savings") == [high.pk, low.pk]
    assert ids("kind=true_up_risk") == [risk.pk]
    first = client.get(f"/api/opportunities/{high.pk}/").json()
    assert (first["estimated_annual_savings"], first["status"], first["is_risk"]) == ("360.00", "open", False)


def test_a_patch_moves_the_status_through_the_service(api):
    opportunity = OpportunityFactory()
    client = api("it")

    response = patch(client, f"/api/opportunities/{opportunity.pk}/", {"status": "in_progress"})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "in_progress"

    refused = patch(client, f"/api/opportunities/{opportunity.pk}/", {"status": "dismissed"})
    assert refused.status_code == 400
    assert list(refused.json()) == ["status"]
    assert "reason" in refused.json()["status"][0].lower()

    dismissed = patch(client, f"/api/opportunities/{opportunity.pk}/", {"status": "dismissed", "reason": "In use"})
    assert dismissed.status_code == 200, dismissed.json()
    opportunity.refresh_from_db()
    assert (opportunity.status, opportunity.dismissed_reason) == (OpportunityStatus.DISMISSED, "In use")


def test_a_move_the_flow_does_not_allow_is_a_400_with_the_message(api):
    opportunity = OpportunityFactory(status=OpportunityStatus.DONE)
    response = patch(api("it"), f"/api/opportunities/{opportunity.pk}/", {"status": "open"})
    assert response.status_code == 400
    assert list(response.json()) == ["status"]
    assert Opportunity.objects.get().status == OpportunityStatus.DONE


def test_a_patch_assigns_the_owner_and_refuses_other_fields(api):
    opportunity = OpportunityFactory()
    owner = UserFactory(username="olga")
    client = api("procurement")

    response = patch(client, f"/api/opportunities/{opportunity.pk}/", {"owner": owner.pk})
    assert response.status_code == 200, response.json()
    assert Opportunity.objects.get().owner == owner

    refused = patch(client, f"/api/opportunities/{opportunity.pk}/", {"title": "Mine", "priority": "1"})
    assert refused.status_code == 400
    assert set(refused.json()) == {"title", "priority"}
    assert "Cannot be changed" in refused.json()["title"][0]


def test_opportunities_are_not_created_replaced_or_deleted_by_hand(api):
    opportunity = OpportunityFactory()
    client = api("admin")
    assert post(client, "/api/opportunities/", {"title": "x"}).status_code == 405
    assert client.put(f"/api/opportunities/{opportunity.pk}/", {}, content_type="application/json").status_code == 405
    assert client.delete(f"/api/opportunities/{opportunity.pk}/").status_code == 405
    assert patch(api("finance"), f"/api/opportunities/{opportunity.pk}/", {"status": "in_progress"}).status_code == 403


# Savings actions


def test_a_manual_win_posted_as_an_action(api):
    FxRateFactory(currency="EUR", date=date(2026, 1, 1), rate=D("1.20"))
    response = post(api("finance"), "/api/savings-actions/", manual_win(kind="cost_avoidance"))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["description"], body["evidence_url"]) == (
        "manual",
        "Service credit for the January outage",
        EVIDENCE,
    )
    [entry] = body["entries"]
    assert (entry["kind"], entry["amount"], entry["amount_reporting"]) == ("cost_avoidance", "1000.00", "1200.00")


def test_a_reclaim_posted_as_an_action_ends_the_seats_and_writes_the_saving(api):
    pool = LicensePoolFactory(purchased_quantity=10, annual_unit_cost=D("120.0000"))
    idle = [AssignmentFactory(pool=pool) for _ in range(3)]
    kept = AssignmentFactory(pool=pool)
    opportunity = OpportunityFactory(pool=pool, application=pool.application, quantity=2)
    client = api("it")

    response = post(
        client,
        "/api/savings-actions/",
        {
            "kind": "reclaim",
            "pool": pool.pk,
            "assignments": [idle[0].pk, idle[1].pk],
            "reduce_when": "now",
            "opportunity": opportunity.pk,
            "effective_date": "2026-03-02",
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["quantity"], body["pool"]) == ("reclaim", 2, pool.pk)
    [entry] = body["entries"]
    # 2 seats × 120.00 a year
    assert (entry["kind"], entry["recurrence"], entry["amount"]) == ("cost_savings", "annual", "240.00")
    assert set(Assignment.objects.filter(unassigned_on__isnull=False).values_list("pk", flat=True)) == {
        idle[0].pk,
        idle[1].pk,
    }
    assert Assignment.objects.get(pk=kept.pk).unassigned_on is None
    assert Opportunity.objects.get().status == OpportunityStatus.DONE


def test_a_refused_reclaim_names_the_field(api):
    pool = LicensePoolFactory()
    other = AssignmentFactory()
    client = api("it")
    response = post(
        client,
        "/api/savings-actions/",
        {"kind": "reclaim", "pool": pool.pk, "assignments": [other.pk], "reduce_when": "now"},
    )
    assert response.status_code == 400
    assert list(response.json()) == ["assignments"]
    missing = post(client, "/api/savings-actions/", {"kind": "reclaim"})
    assert set(missing.json()) == {"pool", "reduce_when", "assignments"}
    mixed = post(client, "/api/savings-actions/", {"kind": "reclaim", "pool": pool.pk, "amount": "10"})
    assert list(mixed.json()) == ["amount"]
    assert not SavingsAction.objects.exists()


def test_reclaiming_is_for_the_savers_not_finance(api):
    pool = LicensePoolFactory()
    seat = AssignmentFactory(pool=pool)
    response = post(
        api("finance"),
        "/api/savings-actions/",
        {"kind": "reclaim", "pool": pool.pk, "assignments": [seat.pk], "reduce_when": "now"},
    )
    assert response.status_code == 403
    assert Assignment.objects.get().unassigned_on is None


def test_actions_are_not_changed_or_deleted(api):
    action = SavingsActionFactory()
    client = api("admin")
    for method in ("put", "patch", "delete"):
        response = getattr(client, method)(f"/api/savings-actions/{action.pk}/", {}, content_type="application/json")
        assert response.status_code == 405, method
    assert client.get(f"/api/savings-actions/{action.pk}/").json()["entries"][0]["amount"] == "1200.00"


def test_action_and_opportunity_lists_run_the_same_queries_for_more_rows(api):
    client = api("viewer")
    SavingsActionFactory()
    OpportunityFactory()
    with CaptureQueriesContext(connection) as few:
        client.get("/api/savings-actions/")
        client.get("/api/opportunities/")
    for _ in range(8):
        LedgerEntryFactory(reverses=SavingsActionFactory().entries.get())
        OpportunityFactory(owner=UserFactory())
    with CaptureQueriesContext(connection) as many:
        assert client.get("/api/savings-actions/").json()["count"] == 9
        assert client.get("/api/opportunities/").json()["count"] == 9
    assert len(many.captured_queries) == len(few.captured_queries)
