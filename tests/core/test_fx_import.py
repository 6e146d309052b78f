"""The exchange-rate import (saasmgr/core/fx_importers.py)."""

import io
import json
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from saasmgr.core.choices import ImportMode, Role
from saasmgr.core.imports.engine import import_file
from saasmgr.core.imports.registry import get_importer, importers_for
from saasmgr.core.models import FxRate
from saasmgr.core.signals import fx_rates_changed
from tests.core.conftest import FIXTURES
from tests.core.test_import_views import count_on_page, text, uploaded_job
from tests.core.test_import_views import run as run_in_ui
from tests.factories import FxRateFactory, UserFactory
from tests.renewals.factories import ContractFactory, seat_line

pytestmark = pytest.mark.django_db

RATE_ACCEPTED = "a number such as 1.0845 (a point before the decimals, commas only between thousands)"

BAD_FILE_ERRORS = [
    {
        "row": 3,
        "column": "currency",
        "value": "XYZ",
        "message": "Not an ISO 4217 currency code. "
        "Expected a three-letter ISO 4217 currency code such as USD, EUR or GBP.",
    },
    {
        "row": 4,
        "column": "rate",
        "value": "0",
        "message": "A rate must be above 0: it is how many USD one unit of the currency buys.",
    },
    {
        "row": 5,
        "column": "rate",
        "value": "-1.1305",
        "message": "A rate must be above 0: it is how many USD one unit of the currency buys.",
    },
    {
        "row": 6,
        "column": "date",
        "value": "2025-13-01",
        "message": "No such date. Expected a date as YYYY-MM-DD (e.g. 2024-04-17).",
    },
    {
        "row": 7,
        "column": "currency",
        "value": "USD",
        "message": "USD is the reporting currency: its rate is always 1 and is not stored. Remove this row.",
    },
    {"row": 8, "column": "date", "value": "2025-01-01", "message": "Row 2 has the same currency and date."},
    {
        "row": 9,
        "column": "rate",
        "value": "0,0921",
        "message": f"A comma is not read as a decimal point. Expected {RATE_ACCEPTED}.",
    },
]

FIXED_RATES = [
    ("AUD", date(2025, 1, 1), Decimal("0.66210000"), "RBA"),
    ("CAD", date(2025, 1, 1), Decimal("0.74120000"), ""),
    ("CHF", date(2025, 1, 1), Decimal("1.13050000"), "SNB"),
    ("EUR", date(2025, 1, 1), Decimal("1.08450000"), "ECB"),
    ("EUR", date(2025, 2, 1), Decimal("1.07900000"), "ECB"),
    ("GBP", date(2025, 1, 1), Decimal("1.27120000"), "ECB"),
    # 0.006712345678 has more decimals than are stored: rounded half up to 8.
    ("JPY", date(2025, 1, 1), Decimal("0.00671235"), "ECB"),
    ("SEK", date(2025, 2, 1), Decimal("0.09210000"), "Riksbank"),
]


@pytest.fixture(autouse=True)
def _reporting_currency(settings):
    settings.REPORTING_CURRENCY = "USD"


@pytest.fixture
def announcements():
    """Every fx_rates_changed sent during the test, as the set of currencies it named."""
    sent: list[set[str]] = []

    def receiver(sender, currencies, **kwargs):
        sent.append(set(currencies))

    fx_rates_changed.connect(receiver, dispatch_uid="test-fx-import")
    yield sent
    fx_rates_changed.disconnect(dispatch_uid="test-fx-import")


def import_data(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("import_data", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), str(exc)
    return 0, out.getvalue(), err.getvalue()


def run(fixture: str | None = None, *, data: bytes | None = None, mode=ImportMode.ALL_OR_NOTHING):
    content = data if data is not None else (FIXTURES / fixture).read_bytes()
    return import_file(
        importer=get_importer("fx-rates")(), fileobj=io.BytesIO(content), name=fixture or "rates.csv", mode=mode
    )


def stored_rates() -> list[tuple]:
    return list(FxRate.objects.order_by("currency", "date").values_list("currency", "date", "rate", "source"))


def test_dry_run_json_on_the_bad_file_lists_every_bad_row_and_writes_nothing(
    announcements, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        code, out, message = import_data("fx-rates", str(FIXTURES / "fx_rates_bad.csv"), "--dry-run", "--json")

    result = json.loads(out)
    assert code == 1
    assert message == "7 of 8 rows in fx_rates_bad.csv have errors."
    assert (result["rows"], result["created"], result["updated"], result["unchanged"]) == (8, 1, 0, 0)
    assert result["errors"] == BAD_FILE_ERRORS
    assert FxRate.objects.count() == 0
    assert (callbacks, announcements) == ([], [])


def test_the_fixed_file_imports_with_exact_values_and_announces_its_currencies_once(
    announcements, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        code, out, _ = import_data("fx-rates", str(FIXTURES / "fx_rates_fixed.csv"), "--json")

    result = json.loads(out)
    assert (code, result["rows"], result["created"], result["updated"], result["unchanged"]) == (0, 8, 8, 0, 0)
    assert stored_rates() == FIXED_RATES
    assert announcements == [{"AUD", "CAD", "CHF", "EUR", "GBP", "JPY", "SEK"}]


def test_importing_the_fixed_file_again_changes_nothing_and_announces_nothing(
    announcements, django_capture_on_commit_callbacks
):
    run("fx_rates_fixed.csv")
    updated_at = list(FxRate.objects.order_by("pk").values_list("updated_at", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        code, out, _ = import_data("fx-rates", str(FIXTURES / "fx_rates_fixed.csv"), "--json")

    result = json.loads(out)
    assert (code, result["created"], result["updated"], result["unchanged"]) == (0, 0, 0, 8)
    assert list(FxRate.objects.order_by("pk").values_list("updated_at", flat=True)) == updated_at
    assert announcements == []


def test_a_changed_rate_is_an_update_and_a_blank_source_keeps_the_stored_one(
    announcements, django_capture_on_commit_callbacks
):
    FxRateFactory(currency="EUR", date=date(2025, 1, 1), rate=Decimal("1.05"), source="ECB")
    FxRateFactory(currency="GBP", date=date(2025, 1, 1), rate=Decimal("1.25"), source="BoE")

    with django_capture_on_commit_callbacks(execute=True):
        result = run(data=b"date,currency,rate,source\n2025-01-01,eur,1.0845,\n2025-01-01,GBP,1.25,BoE\n")

    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    assert stored_rates() == [
        ("EUR", date(2025, 1, 1), Decimal("1.08450000"), "ECB"),
        ("GBP", date(2025, 1, 1), Decimal("1.25000000"), "BoE"),
    ]
    assert announcements == [{"EUR"}]


def test_a_contracts_reporting_value_appears_once_its_rate_is_imported(django_capture_on_commit_callbacks):
    contract = ContractFactory(currency="EUR", line_items=[seat_line(quantity="10", unit_price="100.00")])
    assert (contract.annual_value, contract.annual_value_reporting) == (Decimal("1000.00"), None)

    with django_capture_on_commit_callbacks(execute=True):
        run("fx_rates_fixed.csv")

    contract.refresh_from_db()
    # 1,000.00 EUR at the rate in force on the term's start, 1 January 2025.
    assert contract.annual_value_reporting == Decimal("1000.00") * Decimal("1.0845") == Decimal("1084.50")


def test_a_dry_run_leaves_reporting_values_alone(django_capture_on_commit_callbacks):
    contract = ContractFactory(currency="EUR")

    with django_capture_on_commit_callbacks(execute=True):
        run("fx_rates_fixed.csv", mode=ImportMode.DRY_RUN)

    contract.refresh_from_db()
    assert contract.annual_value_reporting is None


def test_the_cp1252_semicolon_variant_with_alias_headers():
    result = run("fx_rates_cp1252_semicolon.csv")

    assert (result.created, result.file) == (2, "CSV, cp1252, semicolon-separated")
    assert stored_rates() == [
        ("CHF", date(2025, 1, 1), Decimal("1.13050000"), "Zürich fixing"),
        ("EUR", date(2025, 1, 1), Decimal("1.08450000"), "Banque de France – référence"),
    ]


def test_rates_for_another_reporting_currency(settings):
    settings.REPORTING_CURRENCY = "EUR"

    result = run(data=b"date,currency,rate\n2025-01-01,USD,0.9221\n2025-01-01,EUR,1\n", mode=ImportMode.VALID_ROWS)

    assert [(e.row, e.column) for e in result.errors] == [(3, "currency")]
    assert stored_rates() == [("USD", date(2025, 1, 1), Decimal("0.92210000"), "")]


@pytest.mark.parametrize(
    ("role", "may"),
    [(Role.ADMIN, True), (Role.PROCUREMENT, True), (Role.FINANCE, True), (Role.IT, False), (Role.VIEWER, False)],
)
def test_admin_procurement_and_finance_may_import_rates(role, may):
    user = UserFactory(roles=[role])

    assert get_importer("fx-rates").may_run(user) is may
    assert ("fx-rates:generic" in [importer.key() for importer in importers_for(user)]) is may


def test_procurement_imports_rates_through_the_pages_and_it_may_not(client_for, django_capture_on_commit_callbacks):
    contract = ContractFactory(currency="GBP")
    client = client_for(Role.PROCUREMENT)
    job = uploaded_job(client, "fx_rates_fixed.csv", "fx-rates:generic")

    with django_capture_on_commit_callbacks(execute=True):
        page = text(run_in_ui(client, job, ImportMode.ALL_OR_NOTHING))

    contract.refresh_from_db()
    assert count_on_page(page, "created") == 8
    assert contract.annual_value_reporting == Decimal("1271.20")  # 1,000.00 GBP at 1.2712
    it_client = client_for(Role.IT)
    refused = it_client.post(
        reverse("core:import_new"),
        {"importer": "fx-rates:generic", "file": (FIXTURES / "fx_rates_fixed.csv").open("rb")},
    )
    assert "Select a valid choice." in text(refused)
    assert it_client.get(reverse("core:import_detail", args=[job.pk])).status_code == 403
