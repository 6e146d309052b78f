"""The Savings Center's pages: the center's totals (worked out by hand below) and their drill-down links, the
opportunity list and page, the reclaim form and the other action forms going through the real services, the
action pages; what a viewer may not do; and no list page runs a query per row.

The worked example (``center``), in USD, D = today:
- opportunities: a reclaim of 3 seats, open, 360.00 a year (priority 360); a cancel, open, 1,200.00 (priority
  1,500); a right-size, in progress, 500.00; a true-up risk, open, 240.00; a dismissed one worth 999.00.
  → identified (open) 1,560.00 in 2 opportunities, in progress 500.00, risk 240.00 apart.
- the ledger: 1,200.00 cost savings (annual) and 300.00 cost avoidance (one-time, credited to Alice of
  Engineering) effective D; 1,000.00 cost savings effective two years before D.
  → realized 2,500.00 = 2,200.00 cost savings + 300.00 cost avoidance; 1,500.00 in the last 12 months.
"""

import re
from datetime import date, timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from licenses.models import Assignment, LicensePool
from licenses.services import assignment_end
from saasmgr.core.choices import Role
from saasmgr.inventory.choices import ApplicationStatus
from savings import dashboard, selectors
from savings.choices import ActionKind, LedgerKind, OpportunityKind, OpportunityStatus, Recurrence
from savings.models import LedgerEntry, Opportunity, SavingsAction
from tests.factories import ApplicationFactory, CategoryFactory, DepartmentFactory, PersonFactory, UserFactory
from tests.licenses.factories import AssignmentFactory, FindingFactory, LicensePoolFactory, ReconciliationRunFactory
from tests.savings.factories import OpportunityFactory, ledger_win

pytestmark = pytest.mark.django_db
D = Decimal


def today() -> date:
    return timezone.localdate()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def figure(html: str, name: str) -> tuple[str, str]:
    """(href, text) of the link in the element marked ``data-total=name``."""
    match = re.search(rf'data-total="{name}"[^>]*>\s*<a [^>]*href="([^"]+)"[^>]*>([^<]+)</a>', html)
    assert match, f"no linked figure {name!r}"
    return unescape(match.group(1)), match.group(2).strip()


def page_html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


@pytest.fixture
def center():
    application = ApplicationFactory(name="Acme CRM")
    pool = LicensePoolFactory(application=application, purchased_quantity=10)
    alice = UserFactory(username="alice", first_name="Alice", last_name="Archer")
    engineering = DepartmentFactory(name="Engineering")
    reclaim = OpportunityFactory(
        application=application, pool=pool, estimated_annual_savings_local=D("360.00"), priority=D("360.00")
    )
    cancel = OpportunityFactory(
        kind=OpportunityKind.CANCEL_APP,
        title="Cancel Acme CRM",
        application=application,
        estimated_annual_savings_local=D("1200.00"),
        priority=D("1500.00"),
    )
    right_size = OpportunityFactory(
        kind=OpportunityKind.RIGHT_SIZE, status=OpportunityStatus.IN_PROGRESS, estimated_annual_savings_local=D("500")
    )
    OpportunityFactory(kind=OpportunityKind.TRUE_UP_RISK, estimated_annual_savings_local=D("240.00"))
    OpportunityFactory(status=OpportunityStatus.DISMISSED, estimated_annual_savings_local=D("999.00"))
    ledger_win(amount="1200.00", effective_date=today(), application=application)
    ledger_win(
        amount="300.00",
        kind=LedgerKind.COST_AVOIDANCE,
        recurrence=Recurrence.ONE_TIME,
        effective_date=today(),
        credited_user=alice,
        credited_team=engineering,
        description="Avoided the add-on",
    )
    ledger_win(amount="1000.00", effective_date=today() - timedelta(days=730))
    return {
        "reclaim": reclaim,
        "cancel": cancel,
        "right_size": right_size,
        "alice": alice,
        "engineering": engineering,
        "pool": pool,
    }


# The Savings Center


def test_the_center_shows_the_worked_example(it_client, center, settings):
    settings.SAVINGS_PROGRAM_ANNUAL_COST = D("1000")
    response = it_client.get("/savings/")
    assert response.status_code == 200
    context = response.context
    assert (context["opportunities"].open, context["opportunities"].open_count) == (D("1560.00"), 2)
    assert (context["opportunities"].in_progress, context["opportunities"].risk) == (D("500.00"), D("240.00"))
    realized = context["realized"]
    assert (realized.total, realized.cost_savings, realized.cost_avoidance) == (D("2500.00"), D("2200.00"), D("300"))
    assert context["realized_12"].total == D("1500.00")
    assert context["roi"] == D("1.50")  # 1,500.00 in the last 12 months ÷ 1,000.00 a year

    html = response.content.decode()
    assert figure(html, "identified") == ("/savings/opportunities/?status=open&impact=savings", "1,560.00 USD")
    assert figure(html, "in_progress") == ("/savings/opportunities/?status=in_progress&impact=savings", "500.00 USD")
    assert figure(html, "realized") == ("/savings/ledger/", "2,500.00 USD")
    assert figure(html, "cost_savings") == ("/savings/ledger/?kind=cost_savings", "2,200.00")
    assert figure(html, "cost_avoidance") == ("/savings/ledger/?kind=cost_avoidance", "300.00")
    assert figure(html, "realized_12") == ("/savings/ledger/?period=last_12_months", "1,500.00")
    assert figure(html, "risk") == ("/savings/opportunities/?status=active&impact=risk", "240.00 USD a year")
    assert "1.50×" in html

    # The top opportunities: savings only (no risk, nothing dismissed), by priority, each with its one-click
    # action: the cancel form, the opportunity's page (a right-size is done at renewal; it has none), reclaim.
    top = [(item["opportunity"], item["action"].url) for item in context["top"]]
    assert top == [
        (center["cancel"], f"/savings/actions/cancel-app/?opportunity={center['cancel'].pk}"),
        (center["right_size"], center["right_size"].get_absolute_url()),
        (center["reclaim"], f"/savings/opportunities/{center['reclaim'].pk}/reclaim/"),
    ]
    assert 'class="btn btn-sm btn-primary top-action"' in html

    # The wins of each person and team, each linking to its ledger rows.
    people = {item["row"].label: (item["row"].total, item["url"]) for item in context["people"]}
    assert people["Alice Archer"] == (D("300.00"), f"/savings/ledger/?credited_user={center['alice'].pk}")
    teams = {item["row"].label: (item["row"].total, item["url"]) for item in context["teams"]}
    assert teams["Engineering"] == (D("300.00"), f"/savings/ledger/?credited_team={center['engineering'].pk}")


def test_every_total_of_the_center_drills_down_to_the_rows_that_make_it(it_client, center):
    html = page_html(it_client, "/savings/")
    for name in ("identified", "in_progress", "realized", "cost_savings", "cost_avoidance", "realized_12", "risk"):
        url, text = figure(html, name)
        shown = D(text.split(" ")[0].replace(",", ""))
        response = it_client.get(url)
        assert response.status_code == 200, url
        totals = response.context["totals"]
        if url.startswith("/savings/ledger/"):
            behind = {"cost_savings": totals.cost_savings, "cost_avoidance": totals.cost_avoidance}.get(
                name, totals.total
            )
        else:
            behind = {"identified": totals.open, "in_progress": totals.in_progress, "risk": totals.risk}[name]
        assert behind == shown, f"{name}: {shown} shown, {behind} behind {url}"

    # This month's row of the monthly table: 1,500.00 realized, and its link lists exactly those entries.
    month = today().strftime("%Y-%m")
    row = re.search(rf'<tr data-month="{month}">(.*?)</tr>', html, re.S).group(1)
    realized = re.search(r'data-realized><a href="([^"]+)">([^<]+)</a>', row)
    assert realized.group(2) == "1,500.00"
    assert it_client.get(unescape(realized.group(1))).context["totals"].total == D("1500.00")
    identified = re.findall(r'<a href="(/savings/opportunities/[^"]+)">([^<]+)</a>', row)[0]
    assert identified[1] == "1,560.00"
    assert it_client.get(unescape(identified[0])).context["totals"].open == D("1560.00")


def test_the_center_says_how_to_set_the_program_cost_when_it_is_not_set(it_client, center, settings):
    settings.SAVINGS_PROGRAM_ANNUAL_COST = D("0")
    response = it_client.get("/savings/")
    assert response.context["roi"] is None
    assert "The program's annual cost is not set" in response.content.decode()
    assert "SAVINGS_PROGRAM_ANNUAL_COST" in response.content.decode()


def test_the_center_draws_twelve_months_for_the_chart_and_its_table(it_client, center):
    response = it_client.get("/savings/")
    chart = response.context["chart"]
    labels = chart["data"][0]["x"]
    assert len(labels) == 12 and labels[-1] == today().strftime("%Y-%m")
    by_name = {trace["name"]: trace["y"] for trace in chart["data"]}
    assert by_name["Realized: cost savings"][-1] == 1200.0
    assert by_name["Realized: cost avoidance"][-1] == 300.0
    assert by_name["Identified (open)"][-1] == 1560.0
    assert by_name["In progress"][-1] == 500.0
    html = response.content.decode()
    assert 'id="savings-chart-data"' in html and "vendor/plotly/plotly.min.js" in html
    assert len(re.findall(r"<tr data-month=", html)) == 12


def test_an_empty_center_says_where_savings_come_from(it_client):
    response = it_client.get("/savings/")
    html = response.content.decode()
    assert response.context["empty"] is True
    assert "Nothing saved or found yet." in html
    assert figure(html, "realized") == ("/savings/ledger/", "0.00 USD")
    assert "savings-chart" not in html and "plotly" not in html  # no chart of twelve empty months


def test_a_viewer_sees_the_center_without_action_buttons(viewer_client, center):
    html = page_html(viewer_client, "/savings/")
    assert "top-action" not in html
    assert "Record a win" not in html


# Opportunities


def test_the_opportunity_list_shows_what_is_left_to_act_on_by_priority(viewer_client, center):
    response = viewer_client.get("/savings/opportunities/")
    rows = [row.record for row in response.context["table"].page.object_list]
    assert [o.priority for o in rows] == sorted((o.priority for o in rows), reverse=True)
    assert rows[0] == center["cancel"]
    assert {o.status for o in rows} == {"open", "in_progress"}  # with no filter: the active ones
    assert len(rows) == 4
    totals = response.context["totals"]
    assert (totals.open, totals.in_progress, totals.risk) == (D("1560.00"), D("500.00"), D("240.00"))


def test_the_opportunity_list_filters_and_shows_local_currency_and_due_dates(viewer_client):
    OpportunityFactory(
        title="Reclaim Figma editors",
        currency="EUR",
        estimated_annual_savings_local=D("1000.00"),
        estimated_annual_savings=D("1085.00"),
        due_date=today() - timedelta(days=3),
    )
    OpportunityFactory(title="Other one", due_date=today() + timedelta(days=12))
    OpportunityFactory(title="Done one", status=OpportunityStatus.DONE)

    html = page_html(viewer_client, "/savings/opportunities/?q=figma")
    assert "Reclaim Figma editors" in html and "Other one" not in html
    assert "1,085.00" in html and "1,000.00 EUR" in html
    assert "overdue 3 d" in html
    assert "in 12 days" in page_html(viewer_client, "/savings/opportunities/?q=other")
    done = page_html(viewer_client, "/savings/opportunities/?status=done")
    assert "Done one" in done and "Other one" not in done


def test_an_empty_opportunity_list_says_where_opportunities_come_from(viewer_client):
    html = page_html(viewer_client, "/savings/opportunities/")
    assert "No opportunities yet." in html


def test_a_thousand_opportunities_are_listed_fifty_a_page(viewer_client):
    application = ApplicationFactory()
    Opportunity.objects.bulk_create(
        Opportunity(
            kind=OpportunityKind.RECLAIM,
            key=f"reclaim:bulk:{n}",
            title=f"Bulk opportunity {n:04d}",
            application=application,
            currency="USD",
            estimated_annual_savings_local=D(n),
            estimated_annual_savings=D(n),
            priority=D(n),
        )
        for n in range(1, 1001)
    )
    response = viewer_client.get("/savings/opportunities/")
    table = response.context["table"]
    assert table.paginator.count == 1000 and table.paginator.num_pages == 20
    assert [row.record.title for row in table.page.object_list][:2] == [
        "Bulk opportunity 1000",
        "Bulk opportunity 0999",
    ]
    last = viewer_client.get("/savings/opportunities/?page=20")
    assert [row.record.title for row in last.context["table"].page.object_list][-1] == "Bulk opportunity 0001"
    assert response.context["totals"].open == D(sum(range(1, 1001)))  # 500,500.00


@pytest.fixture
def reclaim_case():
    """A hand-entered pool of 10 seats at 120.00; 5 idle holders behind one open reclaim opportunity."""
    application = ApplicationFactory(name="Acme CRM")
    pool = LicensePoolFactory(application=application, name="Business", purchased_quantity=10)
    run = ReconciliationRunFactory(status="done")
    department = DepartmentFactory(name="Sales")
    opportunity = OpportunityFactory(
        application=application, pool=pool, run=run, quantity=5, estimated_annual_savings_local=D("600.00")
    )
    holders = []
    for n in range(5):
        person = PersonFactory(name=f"Holder {n}", department=department)
        assignment = AssignmentFactory(pool=pool, person=person)
        finding = FindingFactory(
            run=run, pool=pool, person=person, assignment=assignment, account=assignment.account, days_idle=90 + n
        )
        opportunity.findings.add(finding)
        holders.append(assignment)
    return {"pool": pool, "opportunity": opportunity, "holders": holders, "run": run}


def test_the_opportunity_page_shows_evidence_findings_history_and_status_buttons(it_client, reclaim_case):
    opportunity = reclaim_case["opportunity"]
    response = it_client.get(f"/savings/opportunities/{opportunity.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["findings_count"] == 5
    assert len(response.context["findings_table"].page.object_list) == 5
    links = {link["url"] for link in response.context["evidence_links"]}
    assert f"/licenses/findings/?run={reclaim_case['run'].pk}&pool={reclaim_case['pool'].pk}" in links
    assert reclaim_case["pool"].get_absolute_url() in links
    assert [b[0] for b in response.context["buttons"]] == ["in_progress", "done"]
    assert 'id="dismiss-form"' in html and 'id="owner-form"' in html
    assert f'href="/savings/opportunities/{opportunity.pk}/reclaim/"' in html
    assert "Created" in html  # the history


def test_an_opportunity_moves_open_in_progress_done_and_dismissing_needs_a_reason(it_client, reclaim_case):
    opportunity = reclaim_case["opportunity"]
    url = f"/savings/opportunities/{opportunity.pk}/status/"

    response = it_client.post(url, {"status": "in_progress"})
    assert response.status_code == 302 and response["Location"] == opportunity.get_absolute_url()
    opportunity.refresh_from_db()
    assert opportunity.status == OpportunityStatus.IN_PROGRESS

    response = it_client.post(url, {"status": "dismissed", "reason": "  "})
    assert response.status_code == 400
    assert "the reason is required" in response.content.decode()
    opportunity.refresh_from_db()
    assert opportunity.status == OpportunityStatus.IN_PROGRESS

    it_client.post(url, {"status": "dismissed", "reason": "The vendor will not take seats back mid-term."})
    opportunity.refresh_from_db()
    assert (opportunity.status, opportunity.dismissed_value) == (OpportunityStatus.DISMISSED, D("600.00"))
    html = page_html(it_client, opportunity.get_absolute_url())
    assert "The vendor will not take seats back mid-term." in html
    assert [b[0] for b in it_client.get(opportunity.get_absolute_url()).context["buttons"]] == ["open"]

    response = it_client.post(url, {"status": "done"})
    assert response.status_code == 400
    assert response.context["status_form"].non_field_errors() == [
        "An opportunity that is Dismissed can move to Open, not to Done."
    ]


def test_an_opportunity_is_given_to_another_owner(it_client, reclaim_case):
    opportunity = reclaim_case["opportunity"]
    owner = UserFactory(username="olga", first_name="Olga", last_name="Owner")
    response = it_client.post(f"/savings/opportunities/{opportunity.pk}/status/", {"assign": "1", "owner": owner.pk})
    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert opportunity.owner == owner
    assert "is now owned by Olga Owner" in messages_of(it_client.get(opportunity.get_absolute_url()))[0]


def test_a_viewer_sees_no_buttons_and_may_not_post(viewer_client, reclaim_case):
    opportunity = reclaim_case["opportunity"]
    html = page_html(viewer_client, opportunity.get_absolute_url())
    assert 'id="dismiss-form"' not in html and 'id="owner-form"' not in html
    assert 'id="opportunity-action"' not in html and "/status/" not in html
    assert viewer_client.post(f"/savings/opportunities/{opportunity.pk}/status/", {"status": "done"}).status_code == 403
    assert viewer_client.get(f"/savings/opportunities/{opportunity.pk}/reclaim/").status_code == 403
    holder = reclaim_case["holders"][0]
    assert (
        viewer_client.post(
            f"/savings/opportunities/{opportunity.pk}/reclaim/", {"assignments": [holder.pk]}
        ).status_code
        == 403
    )
    assert viewer_client.post("/savings/actions/manual/", {}).status_code == 403
    assert viewer_client.get("/savings/actions/cancel-app/").status_code == 403
    opportunity.refresh_from_db()
    assert opportunity.status == OpportunityStatus.OPEN and LedgerEntry.objects.count() == 0


# Reclaiming seats


def reclaim_post(client, case, assignments, **overrides):
    user = get_user_model().objects.get(username="it-user")
    data = {
        "assignments": [a.pk for a in assignments],
        "reduce_when": "now",
        "effective_date": today().isoformat(),
        "credited_user": user.pk,
        "credited_team": "",
        **overrides,
    }
    return client.post(f"/savings/opportunities/{case['opportunity'].pk}/reclaim/", data)


def test_the_reclaim_form_lists_the_holders_and_defaults_to_me_and_my_team(it_client, reclaim_case):
    me = get_user_model().objects.get(username="it-user")
    PersonFactory(email=me.email, department=DepartmentFactory(name="IT Operations"))
    response = it_client.get(f"/savings/opportunities/{reclaim_case['opportunity'].pk}/reclaim/")
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row["finding"].person.name for row in rows] == [f"Holder {n}" for n in (4, 3, 2, 1, 0)]  # most idle first
    form = response.context["form"]
    assert form["credited_user"].value() == me.pk
    assert form["credited_team"].value() == me_department_pk(me)
    assert form["reduce_when"].value() == "now"
    html = response.content.decode()
    assert html.count('name="assignments"') == 5 and 'id="select-all"' in html


def me_department_pk(user) -> int:
    from savings.services import team_of

    return team_of(user).pk


def test_reclaiming_three_of_five_holders_writes_the_ledger_and_shows_the_action(it_client, reclaim_case):
    picked = reclaim_case["holders"][:3]
    response = reclaim_post(it_client, reclaim_case, picked)
    action = SavingsAction.objects.get()
    assert response.status_code == 302 and response["Location"] == action.get_absolute_url()

    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.recurrence, entry.amount, entry.amount_reporting) == (
        LedgerKind.COST_SAVINGS,
        Recurrence.ANNUAL,
        D("360.00"),  # 3 × 120.00
        D("360.00"),
    )
    assert all(a.unassigned_on == today() for a in Assignment.objects.filter(pk__in=[a.pk for a in picked]))
    assert LicensePool.objects.get(pk=reclaim_case["pool"].pk).purchased_quantity == 7
    opportunity = Opportunity.objects.get(pk=reclaim_case["opportunity"].pk)
    assert (opportunity.status, opportunity.quantity) == (OpportunityStatus.IN_PROGRESS, 2)

    page = it_client.get(response["Location"])
    assert messages_of(page) == ["Recorded: Reclaimed 3 seats of Acme CRM: Business. 1 ledger entry, 360.00 USD."]
    assert [row.record for row in page.context["entries_table"].rows] == [entry]
    assert page.context["totals"].total == D("360.00")
    assert page.context["ledger_url"] == f"/savings/ledger/?action={action.pk}"
    html = page.content.decode()
    assert "Holder 0" in html and "Holder 2" in html and "Holder 3" not in html  # the seats ended


def test_reclaiming_with_nobody_picked_is_refused_and_writes_nothing(it_client, reclaim_case):
    response = reclaim_post(it_client, reclaim_case, [])
    assert response.status_code == 400
    assert response.context["form"].errors["assignments"] == ["Pick at least one holder whose seat to reclaim."]
    assert LedgerEntry.objects.count() == 0 and SavingsAction.objects.count() == 0
    assert Assignment.objects.filter(unassigned_on__isnull=False).count() == 0


def test_reclaiming_a_seat_that_already_ended_is_refused_and_writes_nothing(it_client, reclaim_case):
    holders = reclaim_case["holders"]
    assignment_end(assignments=[holders[1]], on=today() - timedelta(days=2))
    response = reclaim_post(it_client, reclaim_case, holders[:3])
    assert response.status_code == 400
    ended = (today() - timedelta(days=2)).isoformat()
    assert response.context["form"].errors["assignments"] == [
        f"The seat of Holder 1 already ended on {ended}; untick it."
    ]
    html = response.content.decode()
    assert f"ended {ended}" in html  # its row says so, with its box disabled
    assert LedgerEntry.objects.count() == 0
    assert Assignment.objects.filter(unassigned_on__isnull=False).count() == 1


def test_a_refusal_of_the_service_is_shown_in_the_form(it_client, reclaim_case):
    # At renewal needs a contract: the hand-entered pool has none, so the service refuses and nothing is written.
    response = reclaim_post(it_client, reclaim_case, reclaim_case["holders"][:1], reduce_when="at_renewal")
    assert response.status_code == 400
    assert "reduce its seats now instead" in " ".join(response.context["form"].non_field_errors())
    assert LedgerEntry.objects.count() == 0 and Assignment.objects.filter(unassigned_on__isnull=False).count() == 0


def test_an_opportunity_without_holders_has_no_reclaim_form(it_client, center):
    response = it_client.get(f"/savings/opportunities/{center['cancel'].pk}/reclaim/")
    assert response.status_code == 302 and response["Location"] == center["cancel"].get_absolute_url()


# Other actions


def test_a_win_recorded_by_hand_keeps_its_evidence_file(client_for):
    finance = client_for(Role.FINANCE)
    form = {
        "description": "Service credit for the March outage",
        "kind": "cost_savings",
        "recurrence": "one_time",
        "amount": "450.50",
        "currency": "USD",
        "effective_date": "2026-03-31",
        "credited_user": get_user_model().objects.get(username="finance-user").pk,
    }
    response = finance.post("/savings/actions/manual/", form)
    assert response.status_code == 400
    assert response.context["form"].errors["evidence_url"] == ["Give the evidence: a link, or attach a file below."]
    assert LedgerEntry.objects.count() == 0

    upload = SimpleUploadedFile("credit-note.pdf", b"%PDF-1.4 credit", content_type="application/pdf")
    response = finance.post("/savings/actions/manual/", {**form, "evidence_file": upload})
    action = SavingsAction.objects.get()
    assert response.status_code == 302 and response["Location"] == action.get_absolute_url()
    entry = action.entries.get()
    assert (entry.kind, entry.recurrence, entry.amount, entry.effective_date) == (
        LedgerKind.COST_SAVINGS,
        Recurrence.ONE_TIME,
        D("450.50"),
        date(2026, 3, 31),
    )
    html = page_html(finance, action.get_absolute_url())
    assert "credit-note" in html and "?download=evidence" in html
    download = finance.get(action.get_absolute_url() + "?download=evidence")
    assert b"".join(download.streaming_content) == b"%PDF-1.4 credit"


def test_the_manual_form_is_multipart(client_for):
    html = page_html(client_for(Role.FINANCE), "/savings/actions/manual/")
    assert 'enctype="multipart/form-data"' in html


def test_cancelling_an_app_stops_its_pool_and_records_its_cost(it_client):
    application = ApplicationFactory(name="Old Wiki")
    pool = LicensePoolFactory(application=application, purchased_quantity=10)  # 10 × 120.00, by hand
    opportunity = OpportunityFactory(kind=OpportunityKind.CANCEL_APP, application=application)
    url = f"/savings/actions/cancel-app/?opportunity={opportunity.pk}"
    page = it_client.get(url)
    assert page.status_code == 200
    assert list(page.context["form"].fields["pools"].queryset) == [pool]
    user = get_user_model().objects.get(username="it-user")
    response = it_client.post(
        url,
        {
            "opportunity": opportunity.pk,
            "application": application.pk,
            "pools": [pool.pk],
            "effective_date": today().isoformat(),
            "credited_user": user.pk,
        },
    )
    action = SavingsAction.objects.get()
    assert response.status_code == 302 and action.kind == ActionKind.CANCEL_APP
    assert action.entries.get().amount == D("1200.00")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.RETIRED
    assert Opportunity.objects.get(pk=opportunity.pk).status == OpportunityStatus.DONE


def test_the_cancel_page_asks_for_the_application_first(it_client):
    ApplicationFactory(name="Some App")
    response = it_client.get("/savings/actions/cancel-app/")
    assert response.status_code == 200 and response.context["scope_form"] is not None
    assert 'id="scope-form"' in response.content.decode()


def test_downgrading_moves_holders_to_the_cheaper_license(it_client):
    application = ApplicationFactory(name="Design Tool")
    full = LicensePoolFactory(application=application, name="Full", purchased_quantity=5)  # 120.00
    view = LicensePoolFactory(application=application, name="View", purchased_quantity=5, annual_unit_cost=D("30"))
    holders = [AssignmentFactory(pool=full) for _ in range(3)]
    user = get_user_model().objects.get(username="it-user")
    url = f"/savings/actions/downgrade/?from_pool={full.pk}"
    assert list(it_client.get(url).context["form"].fields["to_pool"].queryset) == [view]
    response = it_client.post(
        url,
        {
            "from_pool": full.pk,
            "to_pool": view.pk,
            "assignments": [holders[0].pk, holders[1].pk],
            "effective_date": today().isoformat(),
            "credited_user": user.pk,
        },
    )
    assert response.status_code == 302
    assert SavingsAction.objects.get().entries.get().amount == D("180.00")  # 2 × (120.00 − 30.00)


def test_consolidating_retires_an_app_into_another(it_client):
    category = CategoryFactory(name="Chat")
    kept = ApplicationFactory(name="Chat A", category=category)
    retired = ApplicationFactory(name="Chat B", category=category)
    LicensePoolFactory(application=retired, purchased_quantity=5)  # 600.00 a year
    user = get_user_model().objects.get(username="it-user")
    response = it_client.post(
        "/savings/actions/consolidate/",
        {
            "applications": [retired.pk],
            "kept_application": kept.pk,
            "added_annual_cost": "100.00",
            "added_cost_currency": "USD",
            "effective_date": today().isoformat(),
            "credited_user": user.pk,
        },
    )
    assert response.status_code == 302
    assert SavingsAction.objects.get().entries.get().amount == D("500.00")  # 600.00 − 100.00

    response = it_client.post(
        "/savings/actions/consolidate/",
        {"applications": [kept.pk], "kept_application": kept.pk, "added_annual_cost": "0", "credited_user": user.pk},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["kept_application"] == ["Chat A cannot be both kept and retired."]


def test_the_action_list_and_an_empty_one(viewer_client, center):
    response = viewer_client.get("/savings/actions/")
    assert response.context["table"].paginator.count == 3
    assert "Record a win" not in response.content.decode()
    assert viewer_client.get("/savings/actions/?kind=renewal_outcome").context["table"].paginator.count == 0


def test_an_empty_action_list_says_how_actions_come(viewer_client):
    assert "No actions yet." in page_html(viewer_client, "/savings/actions/")


# Navigation and the dashboard


def test_the_savings_menu_shows_record_a_win_to_ledger_keepers_only(client_for):
    viewer = page_html(client_for(Role.VIEWER), "/savings/")
    finance = page_html(client_for(Role.FINANCE), "/savings/")
    menu = re.compile(r'class="dropdown-item" href="(/savings/[^"]*)"')
    assert menu.findall(viewer) == ["/savings/", "/savings/opportunities/", "/savings/ledger/"]
    assert menu.findall(finance) == [
        "/savings/",
        "/savings/opportunities/",
        "/savings/ledger/",
        "/savings/actions/manual/",
    ]


def test_the_home_page_has_the_savings_tiles(viewer_client, center):
    sections = dict(viewer_client.get("/").context["sections"])
    tiles = {tile["title"]: (tile["count"], tile["url"]) for tile in sections["Savings"]}
    assert tiles == {
        "Opportunities to act on": (3, "/savings/opportunities/"),
        "Identified savings (USD/yr)": (1560, "/savings/opportunities/?status=open&impact=savings"),
        "Realized savings (USD)": (2500, "/savings/ledger/"),
    }


def test_the_dashboard_tiles_count_from_the_selectors(center):
    assert dashboard.active_opportunity_count() == 3  # 2 open, 1 in progress; the risk is not savings
    assert dashboard.identified_savings() == 1560
    assert dashboard.realized_savings() == int(selectors.ledger_totals().total) == 2500


# Query counts


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


def _grow(n: int) -> None:
    for _ in range(n):
        pool = LicensePoolFactory()
        owner = UserFactory()
        OpportunityFactory(application=pool.application, pool=pool, owner=owner)
        ledger_win(application=pool.application, effective_date=today(), credited_user=owner)


@pytest.mark.parametrize("url", ["/savings/", "/savings/opportunities/", "/savings/actions/"])
def test_list_pages_take_the_same_queries_for_5_and_50_rows(viewer_client, url):
    _grow(5)
    few = _queries(viewer_client, url)
    _grow(45)
    assert _queries(viewer_client, url) == few


def test_the_opportunity_page_takes_the_same_queries_for_5_and_25_findings(viewer_client, reclaim_case):
    url = reclaim_case["opportunity"].get_absolute_url()
    few = _queries(viewer_client, url)
    for _ in range(20):
        reclaim_case["opportunity"].findings.add(FindingFactory(run=reclaim_case["run"], pool=reclaim_case["pool"]))
    assert _queries(viewer_client, url) == few
