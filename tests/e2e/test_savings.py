"""The Savings Center in a real browser: IT opens the top opportunity found by a real reconciliation, reclaims
exactly 3 idle seats, sees the new ledger entry on the action's page and in the ledger, and the Savings Center's
realized total moves by exactly 3 × the seat's annual cost.

The scenario (seeded through the live app; D is the app's today): an application with a long name and usage
data, one pool entered by hand, 10 seats bought at 2,400.00 USD a seat a year, held by 10 people. Six were
last seen 100 days before D (idle: the pool's threshold is the global 60 days), four 5 days before D (so the
application is 40% used, above the 30% below which it would be a "cancel" opportunity instead).
→ one reclaim opportunity: 6 seats, 6 × 2,400.00 = 14,400.00 USD a year. Reclaiming 3 writes one ledger entry of
3 × 2,400.00 = 7,200.00 USD, cost savings, annual recurring, and leaves 3 seats (7,200.00) in progress.
"""

import json
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

UNIT_COST = Decimal("2400.00")
HOLDERS, IDLE, RECLAIMED = 10, 6, 3
APP_NAME = (
    "E2E Savings Analytics Workspace for Regional Finance, Procurement and Revenue Operations Teams "
    "(EMEA, APAC and the Americas)"
)
POOL_NAME = "Enterprise analyst seat with unlimited dashboards"
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

SEED = """
import json
from datetime import timedelta
from decimal import Decimal
from django.utils import timezone
from licenses.models import Activity, Assignment, LicensePool, UsageSource
from licenses.runs import reconciliation_run_inline, reconciliation_run_start
from saasmgr.inventory.models import Application, Department, Person, Vendor
from savings.opportunities import opportunities_refresh

today = timezone.localdate()
vendor, _ = Vendor.objects.get_or_create(name="E2E Savings Vendor")
department, _ = Department.objects.get_or_create(name="E2E Savings Department of Shared Financial Services")
app = Application.objects.create(name={app_name!r}, vendor=vendor, status="sanctioned")
UsageSource.objects.create(application=app, source="generic", first_day=today - timedelta(days=180), last_day=today)
pool = LicensePool.objects.create(
    application=app, name={pool_name!r}, purchased_quantity={holders}, currency="USD",
    annual_unit_cost=Decimal({unit_cost!r}), annual_unit_cost_reporting=Decimal({unit_cost!r}),
)
for j in range({holders}):
    name = f"E2E Saver {{j:02d}} " + ("Maximiliana Wolfeschlegelsteinhausen-Bergerdorff" if j == 0 else "Holder")
    person = Person.objects.create(name=name, email=f"e2e.saver{{j:02d}}@example.com", department=department)
    Assignment.objects.create(pool=pool, person=person, account=person.email, assigned_on=today - timedelta(days=365))
    idle = j < {idle}
    Activity.objects.create(person=person, application=app, day=today - timedelta(days=100 if idle else 5), events=3)
run = reconciliation_run_start(as_of=today, application=app, queue=False)
run = reconciliation_run_inline(run=run)
counts = opportunities_refresh(today=today)
print(json.dumps({{"today": today.isoformat(), "app": app.pk, "pool": pool.pk, "run": run.pk, "status": run.status,
                  "refresh": counts}}))
"""


def _seed(live_app) -> dict:
    code = SEED.format(app_name=APP_NAME, pool_name=POOL_NAME, holders=HOLDERS, idle=IDLE, unit_cost=str(UNIT_COST))
    return json.loads(live_app.python(code).strip().splitlines()[-1])


def _amount(text: str) -> Decimal:
    """ "21,600.00 USD" → Decimal("21600.00")."""
    return Decimal(re.sub(r"[^0-9.\-]", "", text.split(" ")[0]))


def _no_sideways_scroll(page, what: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"{what}: the page is {width}px wide in a {viewport}px window"


def test_the_savings_pages_before_anything_is_found(page, live_app, log_in, screenshot):
    """On a fresh app the center says where savings come from; with data from other tests, an empty filter."""
    page.set_viewport_size(LAPTOP)
    log_in("it")
    page.goto(live_app.url("/savings/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Savings Center")
    if page.locator("#center-empty").count():
        expect(page.locator("#center-empty")).to_contain_text("Nothing saved or found yet.")
        expect(page.locator("[data-total=realized]")).to_have_text("0.00 USD")
        screenshot("savings-center-empty")
        page.goto(live_app.url("/savings/opportunities/"))
        expect(page.locator("#opportunities-empty")).to_contain_text("No opportunities yet.")
    else:
        page.goto(live_app.url("/savings/opportunities/?q=no-such-opportunity-anywhere"))
        expect(page.get_by_text("No opportunities match these filters.")).to_be_visible()
    screenshot("savings-opportunities-empty")


def test_it_reclaims_three_idle_seats_and_the_realized_total_moves_by_three_seats(page, live_app, log_in, screenshot):
    seeded = _seed(live_app)
    assert seeded["status"] == "done", seeded
    page.set_viewport_size(LAPTOP)
    log_in("it")

    # The Savings Center: read the realized total before, and open the top opportunity, which is ours.
    page.goto(live_app.url("/savings/"))
    realized = page.locator("#center-totals [data-total=realized]")
    before = _amount(realized.inner_text())
    # plotly.js (a large file) drew the chart.
    expect(page.locator("#savings-chart .main-svg").first).to_be_attached(timeout=30_000)
    expect(page.locator("#month-table tbody tr")).to_have_count(12)
    top = page.locator("#top-opportunities li").first
    expect(top).to_contain_text(APP_NAME)
    expect(top).to_contain_text("14,400.00")  # 6 idle seats × 2,400.00
    expect(top.get_by_role("link", name="Reclaim", exact=True)).to_be_visible()
    screenshot("savings-center")

    # The opportunity list, sorted by priority, ours first.
    page.goto(live_app.url("/savings/opportunities/"))
    first_row = page.locator("#opportunity-table tbody tr").first
    expect(first_row).to_contain_text(APP_NAME)
    expect(first_row).to_contain_text("14,400.00")
    _no_sideways_scroll(page, "opportunity list")
    screenshot("savings-opportunity-list")

    # The top opportunity: evidence, the six findings, and its one-click action.
    page.goto(live_app.url("/savings/"))
    page.locator("#top-opportunities li").first.locator("a.fw-medium").click()
    page.wait_for_url(re.compile(r".*/savings/opportunities/\d+/$"))
    opportunity_url = page.url
    expect(page.locator("#opportunity-savings")).to_have_text("14,400.00 USD")
    expect(page.locator("#opportunity-seats")).to_have_text("6")
    expect(page.locator("#opportunity-findings tbody tr")).to_have_count(IDLE)
    # The evidence links to the run's findings of this pool, once.
    expect(page.locator("#opportunity-evidence a[href^='/licenses/findings/?']")).to_have_count(1)
    _no_sideways_scroll(page, "opportunity detail")
    screenshot("savings-opportunity-detail")

    # The reclaim form lists the six idle holders; submitting none is refused and writes nothing.
    page.locator("#opportunity-action").click()
    page.wait_for_url(re.compile(r".*/savings/opportunities/\d+/reclaim/$"))
    holders = page.locator("#holder-table tbody input.holder")
    expect(holders).to_have_count(IDLE)
    expect(page.get_by_label("Credited person")).to_have_value(re.compile(r"\d+"))
    screenshot("savings-reclaim-form")
    page.get_by_role("button", name="Reclaim the selected seats").click()
    expect(page.locator("#id_assignments_errors")).to_contain_text("Pick at least one holder")
    screenshot("savings-reclaim-form-error", full_page=False)

    # "select all" ticks the six; untick three and reclaim the other three now.
    page.locator("#select-all").check()
    expect(page.locator("#reclaim-selected")).to_have_text(f"{IDLE} selected")
    for box in holders.all()[RECLAIMED:]:
        box.uncheck()
    expect(page.locator("#reclaim-selected")).to_have_text(f"{RECLAIMED} selected")
    expect(page.get_by_label("Now (the vendor takes the seats back mid-term)")).to_be_checked()
    page.get_by_role("button", name="Reclaim the selected seats").click()

    # The action's page: one new ledger entry of 3 × 2,400.00.
    page.wait_for_url(re.compile(r".*/savings/actions/\d+/$"))
    reclaimed = UNIT_COST * RECLAIMED
    expect(page.get_by_role("alert").first).to_contain_text(f"Recorded: Reclaimed {RECLAIMED} seats of")
    expect(page.locator("#action-total")).to_have_text(f"{reclaimed:,.2f} USD")
    expect(page.locator("#action-seats")).to_have_text(str(RECLAIMED))
    entry_rows = page.locator("#ledger-table tbody tr")
    expect(entry_rows).to_have_count(1)
    expect(entry_rows.first).to_contain_text(f"{reclaimed:,.2f}")
    expect(entry_rows.first).to_contain_text("Cost savings")
    entry_pk = entry_rows.first.get_attribute("data-pk")
    _no_sideways_scroll(page, "action detail")
    screenshot("savings-action-detail")

    # The same entry in the ledger, at the top.
    page.get_by_role("link", name="See them in the ledger").click()
    page.wait_for_url(re.compile(r".*/savings/ledger/\?action=\d+$"))
    expect(page.locator(f"#ledger-table tbody tr[data-pk='{entry_pk}']")).to_contain_text(f"{reclaimed:,.2f}")
    page.goto(live_app.url("/savings/ledger/"))
    newest = page.locator("#ledger-table tbody tr").first
    expect(newest).to_have_attribute("data-pk", entry_pk)
    expect(newest).to_contain_text(f"Reclaimed {RECLAIMED} seats of")
    screenshot("savings-ledger")

    # The Savings Center's realized total moved by exactly 3 × the seat's annual cost.
    page.goto(live_app.url("/savings/"))
    after = _amount(page.locator("#center-totals [data-total=realized]").inner_text())
    assert after - before == reclaimed, f"realized went from {before} to {after}, not up by {reclaimed}"
    # What is left of the opportunity is in progress: 3 seats, 7,200.00 a year.
    page.goto(opportunity_url)
    expect(page.locator("#opportunity-status [data-status]").first).to_have_attribute("data-status", "in_progress")
    expect(page.locator("#opportunity-seats")).to_have_text(str(IDLE - RECLAIMED))
    expect(page.locator("#opportunity-savings")).to_have_text(f"{UNIT_COST * (IDLE - RECLAIMED):,.2f} USD")
    expect(page.locator("#opportunity-actions")).to_contain_text(f"Reclaimed {RECLAIMED} seats of")
    page.goto(live_app.url("/savings/"))
    screenshot("savings-center-after")

    # Recording a win by hand: the form says what is missing.
    page.goto(live_app.url("/savings/actions/manual/"))
    expect(page.locator("#action-form")).to_have_attribute("enctype", "multipart/form-data")
    page.get_by_label("Description").fill("Service credit for the March outage")
    page.get_by_label("Amount").fill("500")
    page.get_by_role("button", name="Record the win").click()
    expect(page.locator("#id_evidence_url_errors")).to_contain_text("Give the evidence")
    screenshot("savings-manual-form")

    # On a phone: the center, the opportunity and the reclaim form stay inside the screen.
    page.set_viewport_size(PHONE)
    page.goto(live_app.url("/savings/"))
    _no_sideways_scroll(page, "Savings Center on a phone")
    screenshot("savings-center-phone")
    page.goto(opportunity_url)
    _no_sideways_scroll(page, "opportunity on a phone")
    screenshot("savings-opportunity-detail-phone")
    page.goto(opportunity_url + "reclaim/")
    _no_sideways_scroll(page, "reclaim form on a phone")
    screenshot("savings-reclaim-form-phone")
