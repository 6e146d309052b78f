"""Procurement in a real browser: a EUR contract with two line items, its value, its
cancel-by date on the calendar, and its renewal moved along the pipeline."""

import json
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

CONTRACT_NUMBER = "FIG-0042"
VENDOR = "Figma"
APPLICATION = "Figma Design"
DECOY_APPLICATION = "FigJam"
EUR_RATE = Decimal("1.085")

SEATS, SEAT_PRICE_MONTHLY = 25, Decimal("12.00")
PLATFORM_FEE_ANNUAL = Decimal("1500.00")
# Worked out by hand, not by the app's helpers: 25 seats × 12.00 a month × 12 months + the yearly fee.
ANNUAL_EUR = "5,100.00 EUR"
# 5,100.00 × 1.085 = 5,533.50
ANNUAL_USD = "5,533.50 USD"

# Creates what the contract form picks from, and a EUR rate in force before the term starts;
# prints the app's today, so that the dates below agree with the server's.
SEED_CONTRACT_INPUTS = """
import json
from datetime import date
from django.utils import timezone
from saasmgr.core.models import FxRate
from saasmgr.inventory.models import Application, Vendor
vendor, _ = Vendor.objects.get_or_create(name={vendor!r}, defaults={{"website": "https://www.figma.com"}})
for name in ({application!r}, {decoy!r}):
    Application.objects.get_or_create(name=name, defaults={{"vendor": vendor, "status": "sanctioned"}})
today = timezone.localdate()
FxRate.objects.update_or_create(
    currency="EUR", date=date(today.year - 2, 1, 1), defaults={{"rate": {rate!r}, "source": "e2e"}}
)
print(json.dumps({{"today": today.isoformat()}}))
"""


def _seed(live_app) -> date:
    code = SEED_CONTRACT_INPUTS.format(
        vendor=VENDOR, application=APPLICATION, decoy=DECOY_APPLICATION, rate=str(EUR_RATE)
    )
    printed = live_app.python(code).strip().splitlines()[-1]
    return date.fromisoformat(json.loads(printed)["today"])


def _fill_line(page, number: int, *, sku: str, model: str, quantity: str, unit_price: str, period: str) -> None:
    line = page.get_by_role("group", name=f"Line item {number}")
    line.get_by_label("SKU or license type").fill(sku)
    line.get_by_label("Pricing model").select_option(label=model)
    line.get_by_label("Billing period").select_option(label=period)
    line.get_by_label("Quantity", exact=True).fill(quantity)
    line.get_by_label("Unit price", exact=True).fill(unit_price)


def _move_card(page, stage_label: str) -> None:
    card = page.get_by_role("article", name=f"Renewal of {CONTRACT_NUMBER}")
    card.get_by_label(f"Move {CONTRACT_NUMBER} to").select_option(label=stage_label)
    with page.expect_navigation():  # the move posts, then comes back to the board
        card.get_by_role("button", name="Move").click()


def _column(page, stage_label: str):
    """A column of the board, named by its heading ("Negotiating 1")."""
    return page.get_by_role("listitem", name=re.compile(rf"^{stage_label} \d+$"))


def test_contract_with_two_line_items_from_form_to_calendar_to_pipeline(page, live_app, log_in, screenshot):
    today = _seed(live_app)
    end = today + relativedelta(months=2)
    start = end - relativedelta(years=1) + timedelta(days=1)
    cancel_by = end - timedelta(days=30)
    page.set_viewport_size(LAPTOP)
    log_in("procurement")

    # The contract form: contract fields, then one line per price.
    page.goto(live_app.url("/renewals/contracts/add/"))
    expect(page.get_by_role("heading", name="Add a contract")).to_be_visible()
    page.get_by_label("Contract number").fill(CONTRACT_NUMBER)
    page.get_by_label("Title").fill("Design seats and platform")
    page.get_by_label("Vendor").select_option(label=VENDOR)
    page.get_by_label("Applications").select_option(label=APPLICATION)
    page.get_by_label("Start date").fill(start.isoformat())
    page.get_by_label("End date").fill(end.isoformat())
    page.get_by_label("Currency").select_option("EUR")
    page.get_by_label("Renews automatically").check()
    page.get_by_label("Notice period (days)").fill("30")
    _fill_line(
        page,
        1,
        sku="Professional seat",
        model="Per seat",
        quantity=str(SEATS),
        unit_price=str(SEAT_PRICE_MONTHLY),
        period="Monthly",
    )
    _fill_line(
        page,
        2,
        sku="Platform fee",
        model="Platform fee",
        quantity="1",
        unit_price=str(PLATFORM_FEE_ANNUAL),
        period="Annually",
    )
    page.get_by_role("button", name="Save contract").click()

    # The contract page: the values computed from the line items, in EUR and in USD at the rate.
    page.wait_for_url(re.compile(r".*/renewals/contracts/\d+/$"))
    expect(page.get_by_role("alert").first).to_contain_text(
        f"Created contract {CONTRACT_NUMBER}: annual value {ANNUAL_EUR}"
    )
    expect(page.locator("#annual-value")).to_have_text(ANNUAL_EUR)
    expect(page.locator("#annual-value-reporting")).to_have_text(f"≈ {ANNUAL_USD}")
    expect(page.locator("#total-value")).to_have_text(ANNUAL_EUR)  # a 12-month term
    expect(page.get_by_text(f"Converted at 1 EUR = {EUR_RATE} USD")).to_be_visible()
    line_rows = page.locator("table tbody tr")
    expect(line_rows).to_have_count(2)
    expect(line_rows.nth(0)).to_contain_text("Professional seat")
    expect(line_rows.nth(0)).to_contain_text("3,600.00")  # 25 × 12.00 × 12
    expect(line_rows.nth(1)).to_contain_text("Platform fee")
    expect(line_rows.nth(1)).to_contain_text("1,500.00")
    expect(page.locator("tfoot")).to_contain_text("5,100.00")
    expect(page.locator("tfoot")).to_contain_text("5,533.50")
    expect(page.locator("dl.detail")).to_contain_text(cancel_by.isoformat())
    contract_url = page.url
    screenshot("contract-detail")

    # The calendar of the cancel-by month holds the deadline; it leads to the renewal.
    page.goto(live_app.url(f"/renewals/calendar/?month={cancel_by:%Y-%m}"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{cancel_by:%B %Y}")
    grid = page.get_by_role("table", name=f"{cancel_by:%B %Y}")
    deadline_cell = grid.locator("td:not(.other-month)").filter(
        has=page.locator(".day-number", has_text=re.compile(f"^{cancel_by.day}$"))
    )
    entry = deadline_cell.get_by_role("link", name=re.compile(f"^Cancel-by {APPLICATION}$"))
    expect(entry).to_have_count(1)
    expect(entry).to_have_attribute("title", f"Cancel-by: {CONTRACT_NUMBER} · {VENDOR}")
    screenshot("renewals-calendar")
    entry.click()
    page.wait_for_url(re.compile(r".*/renewals/renewal/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Renewal of {APPLICATION}")
    expect(page.get_by_role("link", name=CONTRACT_NUMBER).first).to_have_attribute(
        "href", contract_url.removeprefix(live_app.base_url)
    )
    expect(page.get_by_role("list", name="Stage").locator("[aria-current=step]")).to_have_text("Upcoming")

    # The pipeline: the card starts in Upcoming and moves to Negotiating.
    page.goto(live_app.url("/renewals/"))
    card = page.get_by_role("article", name=f"Renewal of {CONTRACT_NUMBER}")
    expect(_column(page, "Upcoming").get_by_role("article", name=f"Renewal of {CONTRACT_NUMBER}")).to_be_visible()
    expect(card).to_contain_text(f"{ANNUAL_EUR}/yr")
    expect(card).to_contain_text(f"≈ {ANNUAL_USD}")
    expect(card).to_contain_text("Auto-renews")
    _move_card(page, "Negotiating")
    expect(page.get_by_role("alert").first).to_contain_text(f"Moved {CONTRACT_NUMBER} to Negotiating.")
    negotiating = _column(page, "Negotiating")
    expect(negotiating.get_by_role("article", name=f"Renewal of {CONTRACT_NUMBER}")).to_be_visible()
    expect(negotiating.get_by_role("heading")).to_contain_text("1")
    expect(_column(page, "Upcoming").get_by_role("article", name=f"Renewal of {CONTRACT_NUMBER}")).to_have_count(0)

    # Negotiating cannot go back to Upcoming: the page says why, and the card stays.
    _move_card(page, "Upcoming")
    expect(page.get_by_role("alert").first).to_contain_text(
        f"{CONTRACT_NUMBER} was not moved: A renewal cannot move from Negotiating to Upcoming."
    )
    expect(negotiating.get_by_role("article", name=f"Renewal of {CONTRACT_NUMBER}")).to_be_visible()
    screenshot("renewals-pipeline")

    # On a phone the board scrolls sideways by itself; the page does not.
    page.set_viewport_size(PHONE)
    page.reload()
    card.scroll_into_view_if_needed()
    expect(card).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the page scrolls sideways"
    screenshot("renewals-pipeline-phone")

    # The renewal page agrees with the board.
    page.set_viewport_size(LAPTOP)
    card.get_by_role("link", name=CONTRACT_NUMBER).click()
    expect(page.get_by_role("list", name="Stage").locator("[aria-current=step]")).to_have_text("Negotiating")
    expect(page.locator("dl.detail").first).to_contain_text("Negotiating")
