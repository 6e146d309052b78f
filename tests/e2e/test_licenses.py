"""License reconciliation in a real browser: IT starts a run on the page, the Celery worker reconciles it
part by part while the progress bar moves to 100%, and the findings and utilisation pages show the
numbers worked out by hand below.

The scenario (seeded through the live app; D is the app's today, the threshold the global 60 days):

- 16 applications "E2E App 01".."E2E App 16", each with usage data and one pool "Standard" at 120.00 USD
  a seat, held by the same 500 people (department "E2E Licenses"). Person j was last seen in each app
  100 days before D when j % 10 == 0 (50 people: inactive) and 5 days before D otherwise; person j has
  left the company when j % 25 == 1 (20 people: departed holder, even though they were active).
  → per app 50 inactive + 20 departed; over 16 apps 800 inactive (96,000.00) + 320 departed (38,400.00):
  1,120 findings about people, 134,400.00 a year.
- App 01 bought 510 seats: 10 unassigned (1,200.00). App 16 bought 497: 3 over-assigned, a true-up
  risk of 360.00 (the run's only risk).
- An application with a very long name, a pool of 5 seats at 99.00 and nobody on it, and no usage
  data: 5 unassigned seats (495.00), and it is listed under "no usage data".
"""

import json
import re
import time
from datetime import date, timedelta

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PEOPLE, APPS = 500, 16
DEPARTMENT = "E2E Licenses"
LONG_NAME = (
    "Enterprise Customer Relationship Intelligence and Revenue Operations Forecasting Platform "
    "for Regulated Multinational Subsidiaries (EMEA, APAC and Americas)"
)
RUN_TIMEOUT_SECONDS = 180
SAMPLE_EVERY_MS = 150
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

SEED = """
import json
from datetime import timedelta
from decimal import Decimal
from django.utils import timezone
from licenses.models import Activity, Assignment, LicensePool, UsageSource
from saasmgr.inventory.models import Application, Department, Person, Vendor

today = timezone.localdate()
vendor, _ = Vendor.objects.get_or_create(name="E2E Licensing Vendor")
department, _ = Department.objects.get_or_create(name={department!r})
people = Person.objects.bulk_create(
    Person(
        name=f"E2E Holder {{j:03d}}",
        email=f"e2e.holder{{j:03d}}@example.com",
        department=department,
        status="terminated" if j % 25 == 1 else "active",
        termination_date=today - timedelta(days=30) if j % 25 == 1 else None,
    )
    for j in range({people})
)
pools = []
for number in range(1, {apps} + 1):
    app = Application.objects.create(name=f"E2E App {{number:02d}}", vendor=vendor, status="sanctioned")
    UsageSource.objects.create(application=app, source="generic", first_day=today - timedelta(days=180), last_day=today)
    purchased = {{1: 510, {apps}: 497}}.get(number, 500)
    pools.append(LicensePool.objects.create(
        application=app, name="Standard", purchased_quantity=purchased, currency="USD",
        annual_unit_cost=Decimal("120.0000"), annual_unit_cost_reporting=Decimal("120.0000"),
    ))
    Assignment.objects.bulk_create(
        Assignment(pool=pools[-1], person=person, account=person.email, assigned_on=today - timedelta(days=365))
        for person in people
    )
    Activity.objects.bulk_create(
        Activity(person=person, application=app, day=today - timedelta(days=100 if j % 10 == 0 else 5), events=4)
        for j, person in enumerate(people)
    )
long_app = Application.objects.create(name={long_name!r}, vendor=vendor, status="sanctioned")
long_pool = LicensePool.objects.create(
    application=long_app, name="Standard seat for every regional subsidiary and affiliated business unit",
    purchased_quantity=5, currency="USD", annual_unit_cost=Decimal("99.0000"),
    annual_unit_cost_reporting=Decimal("99.0000"),
)
print(json.dumps({{
    "today": today.isoformat(), "department": department.pk, "first_pool": pools[0].pk,
    "last_app": pools[-1].application_id, "long_pool": long_pool.pk, "long_app": long_app.pk,
}}))
"""

# What the page shows of the run, read in one go so that a sample is consistent.
READ_RUN = """() => {
  const status = document.querySelector('#run-status');
  if (!status) return null;
  const bar = status.querySelector('[role=progressbar]');
  const failure = status.querySelector('.alert-danger');
  const badge = document.querySelector('#run-status-badge');
  return {
    status: status.dataset.status,
    badge: badge ? badge.innerText : null,
    value: bar ? bar.getAttribute('aria-valuenow') : null,
    summary: document.querySelector('#run-summary') !== null,
    failure: failure ? failure.innerText : null,
  };
}"""


def _seed(live_app) -> dict:
    code = SEED.format(department=DEPARTMENT, people=PEOPLE, apps=APPS, long_name=LONG_NAME)
    return json.loads(live_app.python(code).strip().splitlines()[-1])


def _watch_run(page, *, on_first_sample, on_first_partial) -> list[tuple[str, int | None]]:
    """Samples the run page until the finished summary shows; returns the (status, bar value) seen, in order."""
    seen: list[tuple[str, int | None]] = []
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        try:
            state = page.evaluate(READ_RUN)
        except PlaywrightError:  # the page reloaded itself between two samples
            state = None
        if state and state["failure"]:
            pytest.fail(f"The run failed: {state['failure']}. Seen: {seen}")
        if state:
            value = int(state["value"]) if state["value"] is not None else None
            if not seen:
                on_first_sample()
            if on_first_partial and value is not None and 0 < value < 100:
                on_first_partial()
                on_first_partial = None
            if not seen or seen[-1] != (state["status"], value):
                seen.append((state["status"], value))
            # The heading's badge moves with the bar (it is swapped in with each poll).
            assert state["badge"] == state["status"].capitalize(), (
                f"badge {state['badge']!r} on a {state['status']} run"
            )
            if state["summary"]:
                return seen
        page.wait_for_timeout(SAMPLE_EVERY_MS)
    pytest.fail(f"The run did not finish in {RUN_TIMEOUT_SECONDS}s. Seen: {seen}")


def _no_sideways_scroll(page, what: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"{what}: the page is {width}px wide in a {viewport}px window"


def _table_fits(page, table_id: str) -> None:
    """At laptop width a table shows every column without scrolling inside its card."""
    sizes = page.evaluate(
        f"() => {{ const t = document.getElementById('{table_id}'); const box = t.parentElement;"
        " return [t.scrollWidth, box.clientWidth]; }"
    )
    assert sizes[0] <= sizes[1] + 1, f"#{table_id} is {sizes[0]}px wide in a {sizes[1]}px box"  # 1px: rounding


def test_pages_before_any_pool_or_run_say_what_to_do(page, live_app, log_in, screenshot):
    page.set_viewport_size(LAPTOP)
    log_in("it")

    page.goto(live_app.url("/licenses/findings/"))
    expect(page.get_by_text("No reconciliation has finished yet, so there are no findings.")).to_be_visible()
    screenshot("licenses-findings-empty")

    page.goto(live_app.url("/licenses/runs/"))
    expect(page.get_by_text("No reconciliation has run yet.")).to_be_visible()
    expect(page.get_by_role("button", name="Start run")).to_be_visible()
    screenshot("licenses-runs-empty")

    page.goto(live_app.url("/licenses/utilisation/"))
    expect(page.get_by_text("No license pools yet.")).to_be_visible()
    screenshot("licenses-utilisation-empty")


def test_it_runs_a_reconciliation_from_the_page_and_reads_the_findings(page, live_app, log_in, screenshot):
    seeded = _seed(live_app)
    page.set_viewport_size(LAPTOP)
    log_in("it")

    # Start a run of every application, as of today (the form's default).
    page.goto(live_app.url("/licenses/runs/"))
    expect(page.get_by_label("As of")).to_have_value(seeded["today"])
    page.get_by_role("button", name="Start run").click()
    page.wait_for_url(re.compile(r".*/licenses/runs/\d+/$"))
    run_url = page.url
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Reconciliation as of {seeded['today']}")

    # The worker takes the parts; the bar polls every second and the page reloads with the summary.
    seen = _watch_run(
        page,
        on_first_sample=lambda: screenshot("licenses-run-queued"),
        on_first_partial=lambda: screenshot("licenses-run-in-progress"),
    )
    print(f"Run progress seen: {seen}")
    values = [value for _, value in seen if value is not None]
    assert values[-1] == 100, seen
    assert values == sorted(values), f"the bar went back: {seen}"
    expect(page.locator("#run-status [role=progressbar]")).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("#run-status-badge")).to_have_text("Done")

    # Totals per kind; every person finding is ours (other tests' pools have no usage data or holders).
    def kind_row(kind):
        return page.locator(f"#run-summary tr[data-kind={kind}]")

    expect(kind_row("inactive").locator("[data-count]")).to_have_text("800")
    expect(kind_row("inactive").locator("[data-impact]")).to_have_text("96,000.00")
    expect(kind_row("departed_holder").locator("[data-count]")).to_have_text("320")
    expect(kind_row("departed_holder").locator("[data-impact]")).to_have_text("38,400.00")
    expect(kind_row("over_assigned").locator("[data-count]")).to_have_text("1")
    expect(page.locator("#run-risk")).to_contain_text("360.00 USD")  # risk, apart from savings
    no_usage = page.locator("#run-no-usage")
    expect(no_usage).to_contain_text("No usage data: no inactive or never-used findings")
    expect(no_usage).to_contain_text(LONG_NAME)
    expect(no_usage.get_by_role("link", name="Import usage data")).to_have_attribute(
        "href", "/imports/new/?importer=usage:generic"
    )
    screenshot("licenses-run-done")

    # The findings of the run, narrowed to our people: 1,120 findings, 134,400.00 a year.
    page.get_by_role("link", name="See the findings").click()
    page.wait_for_url(re.compile(r".*/licenses/findings/\?run=\d+$"))
    page.get_by_label("Department").select_option(label=DEPARTMENT)
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(rf".*department={seeded['department']}.*"))
    totals = page.locator("#finding-totals")
    expect(totals.locator("[data-total=findings]")).to_have_text("1,120")
    expect(totals.locator("[data-total=savings]")).to_have_text("134,400.00 USD")
    expect(totals.locator("[data-total=risk]")).to_have_text("0.00 USD")
    rows = page.locator("#finding-table tbody tr")
    expect(rows).to_have_count(50)  # the first page
    first = rows.first
    expect(first).to_contain_text("120.00")
    expect(page.locator("#finding-table tbody tr[data-kind=departed_holder]").first).to_contain_text("E2E Holder")
    _table_fits(page, "finding-table")
    screenshot("licenses-findings-1000", full_page=False)
    page.locator(".pagination").scroll_into_view_if_needed()
    screenshot("licenses-findings-1000-pages", full_page=False)

    # Only the inactive ones: each shows the day last seen and 100 days idle.
    page.goto(f"{page.url}&kind=inactive")
    expect(totals.locator("[data-total=findings]")).to_have_text("800")
    inactive = page.locator("#finding-table tbody tr").first
    expect(inactive).to_contain_text("Inactive")
    expect(inactive.locator("td").nth(4)).to_have_text("100")  # days idle

    # The true-up risk of App 16, marked as risk.
    page.goto(live_app.url(f"/licenses/findings/?kind=over_assigned&application={seeded['last_app']}"))
    [risk_row] = page.locator("#finding-table tbody tr").all()
    expect(risk_row).to_contain_text("E2E App 16")
    expect(risk_row.locator(".badge", has_text="Risk")).to_be_visible()
    expect(risk_row).to_contain_text("360.00")

    # Per application, with the long name wrapping inside its cell.
    page.goto(live_app.url("/licenses/findings/?view=applications"))
    long_row = page.locator(f"#finding-applications tr[data-application='{seeded['long_app']}']")
    expect(long_row).to_contain_text("495.00")
    app_01 = page.locator("#finding-applications tbody tr", has_text="E2E App 01")
    expect(app_01.locator(".savings-cell")).to_have_text("9,600.00")  # (50 + 20) × 120 + 10 × 120
    _no_sideways_scroll(page, "findings per application")
    _table_fits(page, "finding-applications")
    screenshot("licenses-findings-per-application")

    # Utilisation: App 01 uses 430 of 510 seats (500 held, 50 idle, 20 departed but active).
    page.goto(live_app.url("/licenses/utilisation/?sort=application"))
    row = page.locator(f"#utilisation-table tr[data-pool='{seeded['first_pool']}']")
    cells = row.locator("td")
    expect(cells.nth(0)).to_contain_text("E2E App 01")
    expect(cells.nth(1)).to_have_text("510")  # purchased
    expect(cells.nth(2)).to_have_text("500")  # assigned
    expect(cells.nth(3)).to_have_text("450")  # active: 500 − 50 idle
    expect(cells.nth(4)).to_contain_text("88.2%")  # 450 ÷ 510
    expect(cells.nth(5)).to_have_text("10")  # unassigned
    expect(cells.nth(7)).to_have_text("7,200.00")  # idle: (510 − 450) × 120
    _no_sideways_scroll(page, "utilisation")
    _table_fits(page, "utilisation-table")
    screenshot("licenses-utilisation", full_page=False)
    screenshot("licenses-utilisation-full")

    # The pool list and the assignments.
    page.goto(live_app.url("/licenses/?sort=application"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("License pools")
    _no_sideways_scroll(page, "pool list")
    screenshot("licenses-pool-list", full_page=False)
    page.goto(live_app.url(f"/licenses/assignments/?application={seeded['long_app']}"))
    expect(page.get_by_text("No assignments match these filters.")).to_be_visible()
    page.goto(live_app.url("/licenses/assignments/?sort=-last_seen"))
    recently = (date.fromisoformat(seeded["today"]) - timedelta(days=5)).isoformat()
    expect(page.locator("table tbody tr").first).to_contain_text(recently)  # the most recent use first
    screenshot("licenses-assignments", full_page=False)

    # A pool's page.
    page.goto(live_app.url(f"/licenses/pools/{seeded['first_pool']}/"))
    expect(page.locator("#pool-utilisation")).to_have_text("88.2%")
    expect(page.locator("#pool-threshold")).to_contain_text("60 days")
    expect(page.locator("#pool-findings")).to_contain_text("All 71 findings of this pool")  # 50 + 20 + 1
    screenshot("licenses-pool-detail", full_page=False)
    screenshot("licenses-pool-detail-full")

    page.goto(live_app.url(f"/licenses/pools/{seeded['long_pool']}/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Standard seat for every regional subsidiary")
    _no_sideways_scroll(page, "pool with a long name")
    screenshot("licenses-pool-detail-long-name")

    # A pool entered by hand: the form says what is wrong, then saves.
    page.goto(live_app.url("/licenses/pools/add/"))
    page.get_by_label("Application").select_option(label="E2E App 02")
    page.get_by_label("License type").fill("standard")
    page.get_by_label("Purchased seats").fill("20")
    page.get_by_label("Annual cost per seat").fill("-5")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Please correct the 2 fields marked below.")).to_be_visible()
    expect(page.locator("#id_name_errors")).to_have_text("E2E App 02 already has a license pool named “standard”.")
    expect(page.locator("#id_annual_unit_cost_errors")).to_contain_text("greater than or equal to 0")
    screenshot("licenses-pool-form-errors", full_page=False)
    page.get_by_label("License type").fill("Guest")
    page.get_by_label("Annual cost per seat").fill("30")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r".*/licenses/pools/\d+/$"))
    expect(page.get_by_role("alert").first).to_contain_text("Created license pool “E2E App 02: Guest”.")
    expect(page.locator("#pool-purchased")).to_have_text("20")
    expect(page.locator("#pool-idle-cost")).to_have_text("600.00")  # nobody holds a seat: 20 × 30.00

    # "Import usage data" opens the import page on the generic usage format.
    page.goto(run_url)
    page.get_by_role("link", name="Import usage data").click()
    page.wait_for_url(re.compile(r".*/imports/new/\?importer=usage:generic$"))
    expect(page.get_by_label("What the file holds")).to_have_value("usage:generic")

    # On a phone: the run summary and the findings stay inside the screen; wide tables scroll in their card.
    page.set_viewport_size(PHONE)
    page.goto(run_url)
    _no_sideways_scroll(page, "run page on a phone")
    screenshot("licenses-run-done-phone")
    page.goto(live_app.url(f"/licenses/findings/?department={seeded['department']}"))
    _no_sideways_scroll(page, "findings on a phone")
    screenshot("licenses-findings-phone")
