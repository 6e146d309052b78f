"""The contracts import: one row per line item, grouped by contract number (renewals/importers.py)."""

import io
import json
import os
import re
import sqlite3
import subprocess
import sys
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from renewals.choices import PricingModel, RenewalStage
from renewals.models import Contract, LineItem, Renewal
from renewals.services import contract_refresh_values, renewal_ensure
from saasmgr.core.choices import BillingPeriod, ImportMode, Role
from saasmgr.core.imports.engine import import_file
from saasmgr.core.imports.registry import get_importer
from saasmgr.core.models import ImportJob
from saasmgr.inventory.choices import ApplicationStatus, DiscoverySource
from saasmgr.inventory.models import Application, Vendor
from tests.conftest import REPO_ROOT
from tests.core.test_import_views import count_on_page, text, uploaded_job
from tests.core.test_import_views import run as run_in_ui
from tests.factories import (
    ApplicationFactory,
    DepartmentFactory,
    ImportJobFactory,
    UserFactory,
    VendorAliasFactory,
    VendorFactory,
)
from tests.renewals.factories import ContractFactory, seat_line

pytestmark = pytest.mark.django_db

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "imports"
PAT = "pat.procurement@example.com"
SAM = "sam.it@example.com"

NUMBER_ACCEPTED = "(a point before the decimals, commas only between thousands)"
PRICE_ACCEPTED = (
    "a number of 0 or more such as 1,234.50 (a point before the decimals, commas only between thousands; "
    "a currency symbol or code only if it is the row's currency)"
)
GROUP_RULE = "a contract is imported with all its rows or not at all."

BAD_FILE_ERRORS = [
    {
        "row": 4,
        "column": "end_date",
        "value": "2024-02-29",
        "message": "The end date is before the start date (2025-03-01).",
    },
    {
        "row": 5,
        "column": "currency",
        "value": "EUX",
        "message": "Not an ISO 4217 currency code. "
        "Expected a three-letter ISO 4217 currency code such as USD, EUR or GBP.",
    },
    {
        "row": 6,
        "column": "quantity",
        "value": "-120",
        "message": f"Negative numbers are not accepted. Expected a number of 0 or more such as 25 {NUMBER_ACCEPTED}.",
    },
    {
        "row": 7,
        "column": "pricing_model",
        "value": "subscription",
        "message": "Unknown value. Expected one of: per_seat, usage, platform_fee, tiered, flat "
        "(or a label such as “Per seat” or “Usage-based”).",
    },
    {
        "row": 8,
        "column": "unit_price",
        "value": "-900",
        "message": f"Negative numbers are not accepted. Expected {PRICE_ACCEPTED}.",
    },
    {
        "row": 9,
        "column": "contract_number",
        "value": "CT-106",
        "message": f"Rows 10 and 11 of this contract have errors; {GROUP_RULE}",
    },
    {
        "row": 10,
        "column": "currency",
        "value": "EUR",
        "message": "Row 9 of contract CT-106 has “USD”: all rows of one contract must give the same currency.",
    },
    {
        "row": 10,
        "column": "notice_days",
        "value": "45",
        "message": "Row 9 of contract CT-106 has “30”: all rows of one contract must give the same notice days.",
    },
    {
        "row": 10,
        "column": "owner_email",
        "value": SAM,
        "message": f"Row 9 of contract CT-106 has “{PAT}”: all rows of one contract must give the same owner email.",
    },
    {
        "row": 11,
        "column": "vendor",
        "value": "Notion",
        "message": "Row 9 of contract CT-106 has “Notion Labs”: all rows of one contract must give the same vendor.",
    },
    {
        "row": 11,
        "column": "end_date",
        "value": "2026-12-31",
        "message": "Row 9 of contract CT-106 has “2025-12-31”: all rows of one contract must give the same end date.",
    },
    {
        "row": 11,
        "column": "auto_renew",
        "value": "no",
        "message": "Row 9 of contract CT-106 has “yes”: all rows of one contract must give the same auto renew.",
    },
    {
        "row": 12,
        "column": "start_date",
        "value": "2025-02-30",
        "message": "No such date. Expected a date as YYYY-MM-DD (e.g. 2024-04-17).",
    },
    {
        "row": 12,
        "column": "end_date",
        "value": "31/12/2025",
        "message": "Not a date. Expected a date as YYYY-MM-DD (e.g. 2024-04-17).",
    },
    {
        "row": 13,
        "column": "quantity",
        "value": "ten",
        "message": f"Not a number. Expected a number of 0 or more such as 25 {NUMBER_ACCEPTED}.",
    },
    {
        "row": 13,
        "column": "unit_price",
        "value": "12,5",
        "message": f"A comma is not read as a decimal point. Expected {PRICE_ACCEPTED}.",
    },
    {
        "row": 14,
        "column": "contract_number",
        "value": "CT-109",
        "message": f"Row 15 of this contract has errors; {GROUP_RULE}",
    },
    {
        "row": 15,
        "column": "sku",
        "value": "business seat",
        "message": "Row 14 has the same contract number and SKU: a contract lists each SKU once.",
    },
    {
        "row": 16,
        "column": "owner_email",
        "value": "nobody@example.com",
        "message": "No active user has this email. A contract owner must be a user who can sign in to saasmgr; "
        "leave the cell blank to keep the current owner.",
    },
    {
        "row": 17,
        "column": "auto_renew",
        "value": "maybe",
        "message": "Unknown value. Expected one of: Yes, No, 1, 0, true, false.",
    },
    {
        "row": 18,
        "column": "unit_price",
        "value": "€1,200.00",
        "message": "The amount's currency mark does not fit the row's currency USD: write the number alone, "
        "like 1,234.50.",
    },
    {
        "row": 19,
        "column": "tiers",
        "value": "",
        "message": "Tiered pricing needs its price bands, like 100:10.00; *:8.00.",
    },
]


@pytest.fixture
def people():
    """The owners the fixtures name, and Salesforce known through the alias SFDC with its Sales Cloud."""
    pat = UserFactory(username="pat", email=PAT, roles=[Role.PROCUREMENT])
    sam = UserFactory(username="sam", email=SAM, roles=[Role.IT])
    salesforce = VendorFactory(name="Salesforce")
    VendorAliasFactory(vendor=salesforce, alias="SFDC")
    ApplicationFactory(name="Sales Cloud", vendor=salesforce, status=ApplicationStatus.SANCTIONED)
    return {"pat": pat, "sam": sam, "salesforce": salesforce}


def import_data(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("import_data", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), str(exc)
    return 0, out.getvalue(), err.getvalue()


def run(fixture: str | None = None, *, data: bytes | None = None, mode=ImportMode.ALL_OR_NOTHING, user=None, name=None):
    content = data if data is not None else (FIXTURES / fixture).read_bytes()
    return import_file(
        importer=get_importer("contracts")(),
        fileobj=io.BytesIO(content),
        name=name or fixture or "contracts.csv",
        mode=mode,
        user=user,
    )


def counts(result) -> tuple[int, int, int, int]:
    return result.created, result.updated, result.unchanged, result.bad_rows


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def lines_of(number: str) -> list[tuple]:
    return list(
        LineItem.objects.filter(contract__number=number)
        .order_by("position")
        .values_list("position", "sku", "pricing_model", "quantity", "unit_price", "billing_period")
    )


def nothing_written() -> bool:
    return not (
        Contract.objects.exists()
        or LineItem.objects.exists()
        or Renewal.objects.exists()
        or Vendor.objects.exclude(name="Salesforce").exists()
        or Application.objects.exclude(name="Sales Cloud").exists()
    )


HEADER = "contract_number,vendor,start_date,end_date,currency,sku,pricing_model,quantity,unit_price,billing_period"


# The bad file


def test_dry_run_json_on_the_bad_file_lists_every_bad_row_and_writes_nothing(people):
    code, out, message = import_data("contracts", str(FIXTURES / "contracts_bad.csv"), "--dry-run", "--json")

    result = json.loads(out)
    assert code == 1
    assert message == "16 of 18 rows in contracts_bad.csv have errors."
    assert (result["rows"], result["created"], result["updated"], result["unchanged"]) == (18, 2, 0, 0)
    assert result["errors"] == BAD_FILE_ERRORS
    assert result["also_created"] == {"contract": 1, "vendor": 1, "application": 1}
    assert nothing_written()


def test_all_or_nothing_writes_nothing_and_valid_rows_writes_only_whole_good_contracts(people):
    code, out, _ = import_data("contracts", str(FIXTURES / "contracts_bad.csv"), "--json")
    assert (code, json.loads(out)["created"]) == (1, 0)
    assert nothing_written()

    code, out, _ = import_data("contracts", str(FIXTURES / "contracts_bad.csv"), "--valid-rows", "--json")

    assert (code, json.loads(out)["created"]) == (1, 2)
    assert list(Contract.objects.values_list("number", flat=True)) == ["CT-100"]
    assert [sku for _, sku, *_ in lines_of("CT-100")] == ["Business+ seat", "Enterprise Key Management"]
    # Row 9 of CT-106 and row 14 of CT-109 were valid on their own, but their contracts were not.
    assert not Contract.objects.filter(number__in=["CT-106", "CT-109"]).exists()


def test_a_real_process_dry_run_json_exits_1_lists_the_same_errors_and_writes_nothing(tmp_path):
    env = {
        key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "CACHE_URL", "CELERY_BROKER_URL")
    }
    env.update(SAASMGR_VAR_DIR=str(tmp_path / "var"), DJANGO_ENV="development")
    manage = [sys.executable, str(REPO_ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, cwd=REPO_ROOT, check=True, timeout=300)
    owners = f"from tests.factories import UserFactory; UserFactory(email='{PAT}'); UserFactory(email='{SAM}')"
    subprocess.run([*manage, "shell", "-c", owners], env=env, cwd=REPO_ROOT, check=True, timeout=120)

    process = subprocess.run(
        [*manage, "import_data", "contracts", str(FIXTURES / "contracts_bad.csv"), "--dry-run", "--json"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert process.returncode == 1, process.stderr
    result = json.loads(process.stdout)
    assert result["errors"] == BAD_FILE_ERRORS
    assert (result["rows"], result["created"], result["updated"], result["unchanged"]) == (18, 2, 0, 0)
    assert process.stderr.strip() == "CommandError: 16 of 18 rows in contracts_bad.csv have errors."
    with sqlite3.connect(tmp_path / "var" / "saasmgr.sqlite3") as db:
        for table in ("renewals_contract", "renewals_lineitem", "renewals_renewal", "inventory_vendor"):
            assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone() == (0,), table


# The fixed file


def test_the_fixed_file_imports_with_exact_values(people):
    result = run("contracts_fixed.csv", user=people["pat"])

    assert counts(result) == (18, 0, 0, 0)
    assert result.also_created == {"contract": 14, "vendor": 13, "application": 14}

    slack = Contract.objects.select_related("vendor", "owner").get(number="CT-100")
    # 250 seats at 12.50 a month, and a platform fee of 1,234.50 a year.
    annual = Decimal("250") * Decimal("12.50") * 12 + Decimal("1234.50")
    assert annual == Decimal("38734.50")
    assert (slack.vendor.name, slack.owner, slack.currency, slack.auto_renew, slack.notice_days) == (
        "Slack Technologies",
        people["pat"],
        "USD",
        True,
        60,
    )
    assert (slack.start_date, slack.end_date, slack.cancel_by) == (
        date(2025, 1, 1),
        date(2025, 12, 31),
        date(2025, 11, 1),
    )
    assert (slack.annual_value, slack.total_value, slack.annual_value_reporting) == (annual, annual, annual)
    assert [app.name for app in slack.applications.all()] == ["Slack"]
    assert lines_of("CT-100") == [
        (0, "Business+ seat", PricingModel.PER_SEAT, Decimal("250"), Decimal("12.50"), BillingPeriod.MONTHLY),
        (1, "Enterprise Key Management", PricingModel.PLATFORM_FEE, Decimal("1"), Decimal("1234.50"), "annual"),
    ]
    renewal = Renewal.objects.get(contract=slack)
    assert (renewal.term_start, renewal.term_end, renewal.cancel_by, renewal.baseline_annual) == (
        date(2025, 1, 1),
        date(2025, 12, 31),
        date(2025, 11, 1),
        annual,
    )
    assert (renewal.stage, renewal.owner) == (RenewalStage.UPCOMING, people["pat"])


def test_the_fixed_file_finds_vendors_by_alias_and_values_every_pricing_model(people):
    run("contracts_fixed.csv")

    by_number = {c.number: c for c in Contract.objects.select_related("vendor")}
    sales_cloud = by_number["CT-101"]
    assert sales_cloud.vendor == people["salesforce"]
    assert [app.status for app in sales_cloud.applications.all()] == [ApplicationStatus.SANCTIONED]
    # 36 months from 1 March 2025 to the leap day 2028; notice 90 days before it.
    assert (sales_cloud.term_months, sales_cloud.cancel_by) == (36, date(2027, 12, 1))
    assert (sales_cloud.annual_value, sales_cloud.total_value) == (Decimal("79200.00"), Decimal("237600.00"))
    values = {number: by_number[number].annual_value for number in ("CT-102", "CT-103", "CT-104", "CT-105")}
    assert values == {
        "CT-102": Decimal("360.00"),  # usage: 900 committed at 0.10 a quarter
        "CT-103": Decimal("930.00"),  # tiered: 100 at 8.00 and 20 at 6.50 a year
        "CT-104": Decimal("4000.00"),  # flat
        "CT-105": Decimal("4500.00"),  # 9,000 prepaid for 24 months
    }
    assert by_number["CT-105"].total_value == Decimal("9000.00")
    assert by_number["CT-102"].annual_value_reporting is None  # EUR, and no rate yet
    datadog = LineItem.objects.get(contract__number="CT-102")
    assert (datadog.committed_quantity, datadog.overage_price) == (Decimal("900.00"), Decimal("0.1500"))
    jira = LineItem.objects.get(contract__number="CT-103")
    assert jira.tiers == [{"up_to": "100", "unit_price": "8.00"}, {"up_to": None, "unit_price": "6.50"}]
    assert sorted(app.name for app in by_number["CT-103"].applications.all()) == ["Confluence", "Jira"]
    zoom = LineItem.objects.get(contract__number="CT-104")
    assert (zoom.quantity, zoom.unit_price, zoom.uplift_cap_pct) == (Decimal("1"), Decimal("4000"), Decimal("5"))


def test_stored_values_and_renewals_are_what_the_services_compute(people):
    run("contracts_fixed.csv")

    stored = {
        c.pk: (c.annual_value, c.total_value, c.annual_value_reporting, c.cancel_by) for c in Contract.objects.all()
    }
    renewals = {r.contract_id: (r.pk, r.term_end, r.cancel_by, r.baseline_annual) for r in Renewal.objects.all()}
    assert len(stored) == len(renewals) == 14
    for contract in Contract.objects.all():
        contract_refresh_values(contract=contract)
        contract.refresh_from_db()
        renewal = renewal_ensure(contract=contract)
        assert (contract.annual_value, contract.total_value, contract.annual_value_reporting, contract.cancel_by) == (
            stored[contract.pk]
        ), contract.number
        assert (renewal.pk, renewal.term_end, renewal.cancel_by, renewal.baseline_annual) == renewals[contract.pk]
    assert Renewal.objects.count() == 14


def test_new_applications_are_under_review_from_a_contract_with_its_vendor(people):
    run("contracts_fixed.csv")

    jira = Application.objects.select_related("vendor").get(name="Jira")
    assert (jira.vendor.name, jira.status, jira.discovery_source, jira.first_seen) == (
        "Atlassian",
        ApplicationStatus.UNDER_REVIEW,
        DiscoverySource.CONTRACT,
        timezone.localdate(),
    )


def test_history_names_the_file_and_the_user(people):
    run("contracts_fixed.csv", user=people["pat"])

    record = Contract.history.get(number="CT-100")
    item = LineItem.history.filter(sku="Business+ seat").get()
    assert (record.history_type, record.history_user, record.history_change_reason) == (
        "+",
        people["pat"],
        "Import of contracts_fixed.csv",
    )
    assert (item.history_user, item.history_change_reason) == (people["pat"], "Import of contracts_fixed.csv")


def test_importing_the_fixed_file_again_changes_nothing(people):
    first_code, first_out, _ = import_data("contracts", str(FIXTURES / "contracts_fixed.csv"), "--json")
    history = (Contract.history.count(), LineItem.history.count(), Renewal.history.count())
    updated_at = dict(Contract.objects.values_list("number", "updated_at"))

    second_code, second_out, _ = import_data("contracts", str(FIXTURES / "contracts_fixed.csv"), "--json")

    first, second = json.loads(first_out), json.loads(second_out)
    assert (first_code, first["created"], first["updated"], first["errors"]) == (0, 18, 0, [])
    assert (second_code, second["rows"], second["created"], second["updated"], second["unchanged"]) == (0, 18, 0, 0, 18)
    assert second["also_created"] == {"contract": 0, "vendor": 0, "application": 0}
    assert (Contract.history.count(), LineItem.history.count(), Renewal.history.count()) == history
    assert dict(Contract.objects.values_list("number", "updated_at")) == updated_at


# Updates


def test_a_contracts_line_items_become_exactly_its_rows(people):
    run("contracts_fixed.csv")
    removed = LineItem.objects.get(sku="Enterprise Key Management")

    result = run(
        data=csv_bytes(
            HEADER,
            "ct-100,Slack Technologies,2025-01-01,2025-12-31,USD,BUSINESS+ SEAT,per_seat,300,12.50,monthly",
        ),
        user=people["pat"],
        name="slack-seats.csv",
    )

    slack = Contract.objects.get(number="CT-100")
    assert counts(result) == (0, 1, 0, 0)
    assert result.also_created == {"contract": 0, "vendor": 0, "application": 0}
    assert lines_of("CT-100") == [
        (0, "BUSINESS+ SEAT", PricingModel.PER_SEAT, Decimal("300"), Decimal("12.50"), BillingPeriod.MONTHLY)
    ]
    assert slack.annual_value == Decimal("300") * Decimal("12.50") * 12
    assert Renewal.objects.get(contract=slack).baseline_annual == Decimal("45000.00")
    # Blank contract cells (auto-renew, notice, owner) kept their stored values; so did the applications.
    assert (slack.auto_renew, slack.notice_days, slack.owner, slack.number) == (True, 60, people["pat"], "CT-100")
    assert [app.name for app in slack.applications.all()] == ["Slack"]
    deletion = LineItem.history.get(id=removed.pk, history_type="-")
    assert (deletion.history_user, deletion.history_change_reason) == (people["pat"], "Import of slack-seats.csv")
    assert Contract.objects.count() == 14


def test_a_new_end_date_moves_cancel_by_and_its_open_renewal(people):
    run("contracts_fixed.csv")

    result = run(
        data=csv_bytes(
            HEADER + ",notice_days,application",
            "CT-107,Loom,2025-03-01,2026-08-31,USD,Business seat,per_seat,25,150,annual,14,Loom;Loom AI",
        )
    )

    loom = Contract.objects.get(number="CT-107")
    assert counts(result) == (0, 1, 0, 0)
    assert (loom.end_date, loom.notice_days, loom.cancel_by) == (date(2026, 8, 31), 14, date(2026, 8, 17))
    assert sorted(app.name for app in loom.applications.all()) == ["Loom", "Loom AI"]
    # The open renewal of the term follows its new dates; no second one appears.
    assert list(Renewal.objects.filter(contract=loom).values_list("term_end", "cancel_by")) == [
        (date(2026, 8, 31), date(2026, 8, 17)),
    ]
    # 18 months at 3,750 a year.
    assert (loom.annual_value, loom.total_value) == (Decimal("3750.00"), Decimal("5625.00"))


def test_contracts_are_matched_ignoring_case_and_an_existing_one_counts_its_rows(people):
    ContractFactory(number="ACME-7", vendor=people["salesforce"], line_items=[seat_line("Seat", "10", "100.00")])

    result = run(
        data=csv_bytes(
            HEADER,
            "acme-7,salesforce,2025-01-01,2025-12-31,USD,seat,per_seat,10,100,annual",
            "acme-7,salesforce,2025-01-01,2025-12-31,USD,Support,flat,,500,annual",
        )
    )

    contract = Contract.objects.get()
    assert counts(result) == (1, 1, 0, 0)  # the new line item, and the old one spelled anew
    assert (contract.number, contract.annual_value) == ("ACME-7", Decimal("1500.00"))
    assert [sku for _, sku, *_ in lines_of("ACME-7")] == ["seat", "Support"]


def many_contracts(first: int, count: int) -> bytes:
    rows = [
        f"BULK-{n},Vendor {n},2025-01-01,2025-12-31,USD,{sku},per_seat,{n + 1},10,annual,App {n}"
        for n in range(first, first + count)
        for sku in ("Seat", "Admin seat")
    ]
    return csv_bytes(HEADER + ",application", *rows)


def test_the_queries_do_not_grow_with_the_number_of_contracts(people, django_assert_max_num_queries):
    """New and unchanged contracts are written and valued in bulk: as many queries for 20 contracts as for 5
    (few enough that SQLite needs no second batch of inserts)."""
    with CaptureQueriesContext(connection) as five:
        run(data=many_contracts(0, 5))
    with CaptureQueriesContext(connection) as five_again:
        run(data=many_contracts(0, 5))

    with django_assert_max_num_queries(len(five.captured_queries)):
        result = run(data=many_contracts(100, 20))
    with django_assert_max_num_queries(len(five_again.captured_queries)):
        again = run(data=many_contracts(100, 20))

    assert (counts(result), counts(again)) == ((40, 0, 0, 0), (0, 0, 40, 0))
    assert (Contract.objects.count(), Renewal.objects.count(), LineItem.objects.count()) == (25, 25, 50)


# Checks


def test_an_owner_must_be_an_active_user_matched_ignoring_case(people):
    UserFactory(username="gone", email="gone@example.com", is_active=False)

    result = run(
        data=csv_bytes(
            HEADER + ",owner_email",
            "CT-1,Acme,2025-01-01,2025-12-31,USD,Seat,per_seat,1,10,annual,Pat.Procurement@EXAMPLE.com",
            "CT-2,Acme,2025-01-01,2025-12-31,USD,Seat,per_seat,1,10,annual,gone@example.com",
        ),
        mode=ImportMode.VALID_ROWS,
    )

    assert [(e.row, e.column, e.value) for e in result.errors] == [(3, "owner_email", "gone@example.com")]
    assert Contract.objects.get().owner == people["pat"]


def test_department_title_and_renewal_term_are_read_and_an_unknown_department_is_an_error(people):
    engineering = DepartmentFactory(name="Engineering")

    result = run(
        data=csv_bytes(
            HEADER + ",Contract Title,Dept,Renewal Term (months),Line Description",
            "CT-1,Acme,2025-01-01,2025-12-31,usd,Seat,per_seat,1,10,annual,Acme platform,engineering,24,Named users",
            "CT-2,Acme,2025-01-01,2025-12-31,USD,Seat,per_seat,1,10,annual,,Marketing,,",
        ),
        mode=ImportMode.VALID_ROWS,
    )

    contract = Contract.objects.get()
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (3, "Dept", "No department has this name. Add it under Departments first.")
    ]
    assert (contract.title, contract.department, contract.renewal_term_months, contract.currency) == (
        "Acme platform",
        engineering,
        24,
        "USD",
    )
    assert contract.line_items.get().description == "Named users"


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        ("per_seat,,10,annual,", "quantity", "Per seat pricing needs a quantity."),
        ("flat,,,annual,", "unit_price", "Flat pricing needs a unit price."),
        (
            "per_seat,5,10,annual,100:1",
            "tiers",
            "Price bands only apply to tiered pricing: clear them or choose tiered.",
        ),
        (
            "tiered,500,,annual,100:8; 200:7",
            "tiers",
            "The bands end at 200, below the quantity 500; leave the last band open-ended.",
        ),
        (
            "tiered,50,,annual,100 8",
            "tiers",
            "The band “100 8” has no “:”. Expected bands as “up to:unit price” separated by ;, "
            "with * for the open-ended last one (100:10.00; *:8.00).",
        ),
        (
            "tiered,50,,annual,*:8; 100:7",
            "tiers",
            "Only the last band may be open-ended. Expected bands as “up to:unit price” separated by ;, "
            "with * for the open-ended last one (100:10.00; *:8.00).",
        ),
        ("per_seat,5,USD 10,annual,", None, None),
        ("per_seat,5,10 EUR,annual,", "unit_price", None),
        ("usage-based,5,1.00001,annual,", "unit_price", "Too many decimal places: at most 4 are accepted."),
        ("Usage-Based,5,1,every 6 months,", None, None),
        ("per_seat,5,10,fortnightly,", "billing_period", None),
    ],
)
def test_what_each_pricing_model_needs(people, cells, column, message):
    result = run(
        data=csv_bytes(
            HEADER + ",tiers",
            f"CT-1,Acme,2025-01-01,2025-12-31,USD,Seat,{cells}",
        ),
        mode=ImportMode.DRY_RUN,
    )

    assert [e.column for e in result.errors] == ([column] if column else [])
    if message:
        assert result.errors[0].message == message


def test_one_contract_may_name_several_applications_over_its_rows(people):
    run(
        data=csv_bytes(
            HEADER + ",application",
            "CT-1,Google,2025-01-01,2025-12-31,USD,Workspace,per_seat,10,72,annual,Gmail; Google Drive",
            "CT-1,Google,2025-01-01,2025-12-31,USD,Gemini,per_seat,10,240,annual,GMAIL; Gemini",
        )
    )

    assert sorted(app.name for app in Contract.objects.get().applications.all()) == ["Gemini", "Gmail", "Google Drive"]


def test_the_cp1252_semicolon_variant_with_alias_headers(people):
    result = run("contracts_cp1252_semicolon.csv")

    assert counts(result) == (3, 0, 0, 0)
    assert result.file == "CSV, cp1252, semicolon-separated"
    crm = Contract.objects.select_related("vendor").get(number="SG-2025-01")
    assert (crm.vendor.name, crm.currency, crm.notice_days, crm.auto_renew) == (
        "Société Générale Logiciels",
        "EUR",
        90,
        True,
    )
    assert [app.name for app in crm.applications.all()] == ["Pléiade CRM"]
    assert lines_of("SG-2025-01") == [
        (0, "Utilisateur Pléiade", PricingModel.PER_SEAT, Decimal("1200"), Decimal("18.50"), BillingPeriod.MONTHLY),
        (1, "Überwachung – add-on", PricingModel.FLAT, Decimal("1"), Decimal("2400"), BillingPeriod.ANNUAL),
    ]
    # 1,200 seats at 18.50 a month, plus 2,400 a year.
    assert crm.annual_value == Decimal("1200") * Decimal("18.50") * 12 + Decimal("2400") == Decimal("268800.00")
    assert Contract.objects.get(number="SG-2025-02").annual_value == Decimal("1500.00")  # 500 × 0.75 a quarter


def test_an_xlsx_with_typed_date_and_number_cells(people):
    workbook = Workbook()
    workbook.active.append(["Contract #", "Vendor Name", "Start Date", "End Date", "Currency", "SKU", "Pricing"])
    workbook.active["H1"], workbook.active["I1"], workbook.active["J1"] = "Qty", "Unit Price", "Billing"
    workbook.active.append(["X-1", "Acme", date(2025, 1, 1), date(2025, 12, 31), "USD", "Seat", "Per seat", 12, 12.5])
    workbook.active["J2"] = "Monthly"
    out = io.BytesIO()
    workbook.save(out)

    result = run(data=out.getvalue(), name="contracts.xlsx")

    assert counts(result) == (1, 0, 0, 0)
    assert Contract.objects.get().annual_value == Decimal("1800.00")


# Pages and roles


@pytest.fixture
def private_cache(settings):
    """The pages report progress through the cache; this test gets an empty one of its own."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "contracts"}}


def test_procurement_imports_contracts_through_the_pages(people, client_for, private_cache):
    client = client_for(Role.PROCUREMENT)
    job = uploaded_job(client, "contracts_fixed.csv", "contracts:generic")

    dry = text(run_in_ui(client, job, ImportMode.DRY_RUN))
    assert "Dry run: nothing was written." in dry
    assert [count_on_page(dry, n) for n in ("rows", "created", "updated", "unchanged", "bad_rows")] == [18, 18, 0, 0, 0]
    also = re.search(r"and also create (.*?)\.", dry).group(1)
    # The stored result is JSON, whose key order PostgreSQL does not keep.
    assert sorted(also.split(", ")) == ["13 vendors", "14 applications", "14 contracts"]
    assert not Contract.objects.exists()

    imported = text(run_in_ui(client, job, ImportMode.ALL_OR_NOTHING))
    assert "Imported." in imported
    assert count_on_page(imported, "created") == 18
    assert Contract.objects.get(number="CT-100").annual_value == Decimal("38734.50")

    again = text(run_in_ui(client, job, ImportMode.ALL_OR_NOTHING))
    assert [count_on_page(again, n) for n in ("created", "updated", "unchanged")] == [0, 0, 18]


def test_it_may_not_import_contracts(client_for):
    client = client_for(Role.IT)
    job = ImportJobFactory(kind="contracts")

    page = text(client.get(reverse("core:import_new")))
    refused = client.post(
        reverse("core:import_new"),
        {"importer": "contracts:generic", "file": (FIXTURES / "contracts_fixed.csv").open("rb")},
    )

    assert "Contracts: Generic CSV or XLSX" not in page
    assert "Select a valid choice." in text(refused)
    assert client.get(reverse("core:import_detail", args=[job.pk])).status_code == 403
    assert client.get(reverse("core:import_template_csv", args=["contracts"])).status_code == 403
    assert ImportJob.objects.filter(kind="contracts").count() == 1


def test_the_contracts_template_lists_every_column(client_for):
    response = client_for(Role.PROCUREMENT).get(reverse("core:import_template_csv", args=["contracts"]))

    header = response.content.decode().splitlines()[0]
    assert header.startswith("contract_number,vendor,application,title,start_date,end_date,currency,auto_renew")
    assert header.endswith("committed_quantity,overage_price,tiers,uplift_cap_pct")
