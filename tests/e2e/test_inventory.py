"""A person in a real browser: logs in, adds an application, finds it in the filtered list."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

LONG_NAME = "Atlassian Jira Service Management Enterprise Cloud for Global IT Operations and Customer Support"
DECOY_NAME = "Jira Service Management Sandbox (retired pilot)"

SEED_INVENTORY = f"""
from saasmgr.inventory.models import Application, Category, Vendor
vendor, _ = Vendor.objects.get_or_create(name="Atlassian", defaults={{"website": "https://www.atlassian.com"}})
Category.objects.get_or_create(name="IT service management")
Application.objects.get_or_create(name={DECOY_NAME!r}, defaults={{"vendor": vendor, "status": "retired"}})
"""


def test_create_application_and_find_it(page, live_app, log_in, screenshot):
    live_app.python(SEED_INVENTORY)
    log_in("it")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    screenshot("home-dashboard")

    # A first try with mistakes: the form says what to fix, next to each field.
    page.goto(live_app.url("/inventory/applications/add/"))
    page.get_by_label("Business owner").fill("nobody@example.com")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Please correct the 2 fields marked below.")).to_be_visible()
    expect(page.locator("#id_name_errors")).to_have_text("This field is required.")
    expect(page.locator("#id_business_owner_errors")).to_contain_text("No person has this email.")
    screenshot("application-form-errors")

    page.get_by_label("Name").fill(LONG_NAME)
    page.get_by_label("Vendor").select_option(label="Atlassian")
    page.get_by_label("Category").select_option(label="IT service management")
    page.get_by_label("Status").select_option(label="Sanctioned")
    page.get_by_label("Business owner").fill("")
    page.get_by_label("Website").fill("https://www.atlassian.com/software/jira/service-management")
    page.get_by_role("button", name="Save").click()

    page.wait_for_url(re.compile(r".*/inventory/applications/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(LONG_NAME)
    expect(page.get_by_role("alert")).to_contain_text(f"Created application “{LONG_NAME}”.")
    expect(page.locator("dl.detail")).to_contain_text("Sanctioned")
    expect(page.get_by_text("Created", exact=True)).to_be_visible()
    screenshot("application-detail")

    page.goto(live_app.url("/inventory/applications/"))
    expect(page.locator("table tbody tr")).to_have_count(2)
    page.get_by_label("Search").fill("service management")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table tbody tr")).to_have_count(2)
    page.get_by_label("Status", exact=True).select_option(["sanctioned"])
    page.get_by_role("button", name="Filter").click()

    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(LONG_NAME)
    expect(rows.first).to_contain_text("Atlassian")
    expect(page.get_by_role("heading", level=1)).to_contain_text("1 of 2")
    assert "q=service+management" in page.url and "status=sanctioned" in page.url
    screenshot("applications-list-filtered")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator("table tbody tr")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways on a phone"
    screenshot("applications-list-phone")


def test_viewer_can_read_but_not_add(page, live_app, log_in, screenshot):
    log_in("viewer")
    page.goto(live_app.url("/inventory/applications/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Applications")
    expect(page.get_by_role("link", name="Add application")).to_have_count(0)

    response = page.goto(live_app.url("/inventory/applications/add/"))
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.get_by_text("Your role may not open this page.")).to_be_visible()
    screenshot("viewer-forbidden")


def test_anonymous_visitor_is_sent_to_the_login_page(page, live_app):
    page.goto(live_app.url("/inventory/applications/"))
    assert page.url == live_app.url("/login/?next=/inventory/applications/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
