"""IT settles the review queues in a real browser: an application name confirmed with one click on
its suggestion, and an account linked to a person found through the person picker."""

import json
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

LONG_ACCOUNT = (
    "svc-data-warehouse-nightly-export-runner+prod-eu-west-1@integrations.very-long-subsidiary-name.example.com"
)
LONG_NAME = "SALESFORCE_SALES_CLOUD_ENTERPRISE_EDITION_ANNUAL_COMMIT_2024_EMEA_REGION_PREMIER_SUCCESS_PLAN"

# The queues start empty (the review queues belong to this test in the e2e database); then the real
# matchers queue the names, so the suggestions and their scores are the ones imports produce:
# "Salesflow" scores 77.8 against Salesloft and 73.7 against Salesforce; "Sales Cloud Ent" 85.5 against
# Service Cloud Enterprise, 81.1 against Sales Cloud Enterprise and 80.4 against Sales Cloud Unlimited.
CLEAR_QUEUES = """
from licenses.models import IdentityReview, NameReview, PendingActivity
PendingActivity.objects.all().delete()
IdentityReview.objects.all().delete()
NameReview.objects.all().delete()
"""

SEED_QUEUES = f"""
import json
from datetime import date
from licenses.matching import (
    ApplicationMatcher, IdentityResolver, LicenseNameMatcher, Sighting, identity_reviews_record
)
from licenses.models import IdentityReview, LicensePool, NameReview, PendingActivity
from saasmgr.inventory.models import Application, Department, Person

sales, _ = Department.objects.get_or_create(name="Sales")
Person.objects.get_or_create(email="ann.lee@example.com", defaults={{"name": "Ann Lee", "department": sales}})
Person.objects.get_or_create(email="anna.berg@example.com", defaults={{"name": "Anna Berg"}})
for name in ("Salesforce", "Salesloft", "Slack"):
    Application.objects.get_or_create(name=name)

ApplicationMatcher(source="okta").match(["Salesflow", "Bamboo HR", {LONG_NAME!r}], counts={{"Salesflow": 40}})
salesforce = Application.objects.get(name="Salesforce")
for pool in ("Sales Cloud Enterprise", "Sales Cloud Unlimited", "Service Cloud Enterprise"):
    LicensePool.objects.get_or_create(application=salesforce, name=pool)
LicenseNameMatcher(application_id=salesforce.pk, source="salesforce").match(["Sales Cloud Ent", "SFDC_ENT"])
PendingActivity.objects.bulk_create(
    PendingActivity(identity="a.lee@corp.io", app_name="salesflow", day=date(2024, 6, day), events=2, source="okta")
    for day in range(3, 8)
)
resolver = IdentityResolver()
sightings = {{}}
for raw, count in (("A.Lee@Corp.io", 12), ("backup-bot", 300), ({LONG_ACCOUNT!r}, 5)):
    sighting = Sighting(raw=raw)
    sighting.add(count, date(2024, 6, 7), "Salesflow")
    sightings[resolver.normalise(raw)] = sighting
identity_reviews_record(sightings=sightings, source="okta")
print(json.dumps({{"account": IdentityReview.objects.get(identity="a.lee@corp.io").pk}}))
"""

CHECK = """
import json
from licenses.models import Activity, IdentityReview, NameReview, PendingActivity
from licenses.models import SkuAlias
from saasmgr.inventory.models import ApplicationAlias, PersonAlias
print(json.dumps({
    "sku_aliases": list(SkuAlias.objects.values_list("name", "pool__name")),
    "aliases": list(ApplicationAlias.objects.values_list("name", "application__name")),
    "person_aliases": list(PersonAlias.objects.values_list("value", "person__email")),
    "activity": Activity.objects.filter(person__email="ann.lee@example.com", application__name="Salesloft").count(),
    "pending": PendingActivity.objects.count(),
    "account": IdentityReview.objects.values_list("status", flat=True).get(identity="a.lee@corp.io"),
}))
"""


def _printed(live_app, code: str) -> dict:
    return json.loads(live_app.python(code).strip().splitlines()[-1])


def test_confirm_a_suggestion_and_link_an_account(page, live_app, log_in, screenshot):
    live_app.python(CLEAR_QUEUES)
    log_in("it")

    page.goto(live_app.url("/licenses/review/names/"))
    expect(page.get_by_text("Nothing waiting for review.")).to_be_visible()
    screenshot("review-names-empty")
    page.goto(live_app.url("/licenses/review/accounts/"))
    expect(page.get_by_text("Nothing waiting for review.")).to_be_visible()
    screenshot("review-accounts-empty")

    _printed(live_app, SEED_QUEUES)

    # Names: the best suggestion is one click.
    page.goto(live_app.url("/licenses/review/names/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("3 waiting")
    expect(page.get_by_role("link", name=LONG_NAME)).to_be_visible()
    row = page.locator("tr", has_text="Salesflow")
    expect(row.get_by_role("button", name=re.compile(r"^Confirm "))).to_have_text(
        ["Confirm Salesloft (78%)", "Confirm Salesforce (74%)"]
    )
    screenshot("review-names")
    row.get_by_role("button", name="Confirm Salesloft (78%)").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Confirmed “Salesflow” as Salesloft: 0 pending activity days moved into usage."
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text("2 waiting")

    # License names: matched among the pools of their application; any pool can be picked.
    page.get_by_role("link", name=re.compile("^License names")).click()
    row = page.locator("tr", has_text="SFDC_ENT")
    expect(row.get_by_text("No close match.")).to_be_visible()
    expect(
        page.locator("tr", has_text="Sales Cloud Ent").get_by_role("button", name=re.compile("^Confirm "))
    ).to_have_text(
        [
            "Confirm Service Cloud Enterprise (86%)",
            "Confirm Sales Cloud Enterprise (81%)",
            "Confirm Sales Cloud Unlimited (80%)",
        ]
    )
    screenshot("review-license-names")
    row.get_by_label("License of Salesforce for SFDC_ENT").select_option(label="Sales Cloud Enterprise")
    row.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Confirmed “SFDC_ENT” as the license “Sales Cloud Enterprise” of Salesforce."
    )

    # Accounts: the picker searches people as one types; linking attributes the waiting usage.
    page.goto(live_app.url("/licenses/review/accounts/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("3 waiting")
    row = page.locator("tr", has_text="A.Lee@Corp.io")
    picker = row.get_by_label("Person for A.Lee@Corp.io")
    picker.press_sequentially("ann", delay=30)
    options = row.locator("datalist option")
    expect(options).to_have_count(2)
    expect(options.first).to_have_attribute("value", "Ann Lee <ann.lee@example.com>")
    screenshot("review-accounts")
    picker.fill("Ann Lee <ann.lee@example.com>")
    row.get_by_role("button", name="Link", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Linked “A.Lee@Corp.io” to Ann Lee: 5 activity days and 0 assignments attributed."
    )
    page.locator("tr", has_text="backup-bot").get_by_role("button", name="Service account").click()
    expect(page.get_by_role("alert")).to_contain_text("Marked “backup-bot” as a service account")
    expect(page.get_by_role("heading", level=1)).to_contain_text("1 waiting")
    screenshot("review-accounts-after")

    state = _printed(live_app, CHECK)
    assert state["aliases"] == [["Salesflow", "Salesloft"]]
    assert state["sku_aliases"] == [["SFDC_ENT", "Sales Cloud Enterprise"]]
    assert state["person_aliases"] == [["a.lee@corp.io", "ann.lee@example.com"]]
    assert (state["activity"], state["pending"], state["account"]) == (5, 0, "linked")


def test_the_queues_on_a_phone(page, live_app, log_in, screenshot):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in("it")
    page.goto(live_app.url("/licenses/review/names/"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    screenshot("review-names-phone")
    page.goto(live_app.url("/licenses/review/accounts/"))
    screenshot("review-accounts-phone")
