"""The ledger pages: the filtered list with its totals and reversal marks, an entry, its reversal, and the
CSV and XLSX exports (formula-safe, numbers as numbers)."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from savings.choices import LedgerKind, Recurrence
from savings.models import LedgerEntry
from tests.factories import ApplicationFactory, FxRateFactory, UserFactory
from tests.savings.factories import LedgerEntryFactory, SavingsActionFactory, sample_ledger

pytestmark = pytest.mark.django_db
D = Decimal
LIST_URL = reverse("savings:ledger_list")
EXPORT_URL = reverse("savings:ledger_export")


def page_text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


# The list


def test_the_list_shows_every_entry_with_totals_and_reversal_marks(viewer_client):
    ledger = sample_ledger()
    credit, reversal = ledger.entries[2], ledger.entries[5]

    html = page_text(viewer_client.get(LIST_URL))

    assert 'data-total="total">3,200.50<' in html
    assert 'data-total="cost_savings">1,750.00<' in html
    assert 'data-total="cost_avoidance">1,450.50<' in html
    assert 'data-total="annual">2,950.00<' in html and 'data-total="one_time">250.50<' in html
    assert "6 entries" in html and "1 reversal netted" in html
    assert f'reversed by <a href="/savings/ledger/{reversal.pk}/">#{reversal.pk}</a>' in html
    assert f'reverses <a href="/savings/ledger/{credit.pk}/">#{credit.pk}</a>' in html
    assert "1,000.00 EUR" in html and "1.2<" in html and "1,200.00" in html
    assert "333.33 GBP" in html and "-416.66" in html
    assert "Figma: price rise avoided" in html and "Bob Baker" in html and "Sales" in html


def test_filters_narrow_the_rows_and_the_totals_and_travel_to_the_exports(viewer_client):
    ledger = sample_ledger()
    query = f"application={ledger.figma.pk}&kind=cost_savings"

    html = page_text(viewer_client.get(f"{LIST_URL}?{query}"))

    assert 'data-total="total">550.00<' in html
    assert 'data-total="cost_avoidance">0.00<' in html
    assert "Figma: downgraded 5 editors" in html and "Slack: outage credit" not in html
    assert f'href="{EXPORT_URL}?{query.replace("&", "&amp;")}&amp;format=csv"' in html
    assert f'href="{EXPORT_URL}?{query.replace("&", "&amp;")}&amp;format=xlsx"' in html


def test_an_invalid_filter_is_shown_and_filters_nothing(viewer_client):
    sample_ledger()
    html = page_text(viewer_client.get(f"{LIST_URL}?date_from=soon"))
    assert "Enter a valid date." in html
    assert 'data-total="total">3,200.50<' in html


def test_the_empty_ledger_says_how_entries_are_made(client_for):
    html = page_text(client_for("finance").get(LIST_URL))
    assert "No savings recorded yet." in html
    assert reverse("savings:action_manual") in html
    assert "Download CSV" not in html
    assert (
        reverse("savings:action_manual") not in page_text(client_for("viewer").get(LIST_URL)).split("ledger-empty")[1]
    )


def test_a_filter_with_no_rows_says_so(viewer_client):
    sample_ledger()
    html = page_text(viewer_client.get(f"{LIST_URL}?date_from=2030-01-01"))
    assert "No ledger entries match these filters." in html
    assert 'data-total="total">0.00<' in html


def test_the_list_pages_1000_rows_with_a_fixed_number_of_queries(viewer_client):
    one = LedgerEntryFactory()
    with CaptureQueriesContext(connection) as few:
        page_text(viewer_client.get(LIST_URL))
    # A thousand more rows of the same action, written in one statement (inserts are what the ledger allows).
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            action=one.action,
            kind=LedgerKind.COST_SAVINGS,
            recurrence=Recurrence.ONE_TIME,
            amount=D("1.00"),
            currency="USD",
            fx_rate=D("1"),
            amount_reporting=D("1.00"),
            reporting_currency="USD",
            effective_date=date(2026, 1, 1),
            application=one.application,
            category=one.category,
            credited_user=one.credited_user,
            description=f"Row {n}",
        )
        for n in range(1000)
    )
    with CaptureQueriesContext(connection) as many:
        html = page_text(viewer_client.get(f"{LIST_URL}?page=3"))
    assert len(many.captured_queries) == len(few.captured_queries)
    assert 'data-total="total">2,200.00<' in html  # 1,200.00 + 1,000 × 1.00
    assert "1,001 entries" in html


# One entry


def test_the_detail_page_shows_the_amounts_the_action_and_its_evidence(client_for):
    FxRateFactory(currency="EUR", date=date(2026, 1, 1), rate=D("1.20"))
    action = SavingsActionFactory(
        amount="1000.00",
        currency="EUR",
        evidence_url="https://tickets.example.com/FIN-7",
        description="Refund of the unused add-on",
    )
    entry = action.entries.get()

    html = page_text(client_for("finance").get(entry.get_absolute_url()))

    assert "1,000.00 EUR" in html and "1,200.00 USD" in html and "1.2<" in html
    assert 'href="https://tickets.example.com/FIN-7"' in html
    assert reverse("savings:action_detail", args=[action.pk]) in html
    assert reverse("savings:ledger_reverse", args=[entry.pk]) in html
    assert reverse("savings:ledger_reverse", args=[entry.pk]) not in page_text(
        client_for("viewer").get(entry.get_absolute_url())
    )


def test_a_reversed_entry_and_its_reversal_point_at_each_other(client_for):
    entry = LedgerEntryFactory()
    reversal = LedgerEntryFactory(reverses=entry, reason="Wrong application")
    client = client_for("admin")
    html = page_text(client.get(entry.get_absolute_url()))
    assert f'Reversed by <a href="{reversal.get_absolute_url()}">#{reversal.pk}</a>' in html
    assert "Wrong application" in html
    assert reverse("savings:ledger_reverse", args=[entry.pk]) not in html
    html = page_text(client.get(reversal.get_absolute_url()))
    assert f'This entry reverses <a href="{entry.get_absolute_url()}">#{entry.pk}</a>' in html
    assert reverse("savings:ledger_reverse", args=[reversal.pk]) not in html


# Reversing


def test_reversing_needs_a_reason(client_for):
    entry = LedgerEntryFactory(amount="300.00")
    client = client_for("finance")
    url = reverse("savings:ledger_reverse", args=[entry.pk])
    assert "Why is this entry reversed?" in page_text(client.get(url))

    html = page_text(client.post(url, {"reason": "   "}))

    assert "This field is required." in html or "Say why" in html
    assert LedgerEntry.objects.count() == 1


def test_reversing_writes_the_negative_entry_and_shows_it(client_for):
    entry = LedgerEntryFactory(amount="300.00", effective_date=date(2026, 2, 1))
    client = client_for("finance")

    response = client.post(
        reverse("savings:ledger_reverse", args=[entry.pk]), {"reason": "Duplicate of #1", "effective_date": ""}
    )

    reversal = LedgerEntry.objects.get(reverses=entry)
    assert response.status_code == 302
    assert response["Location"] == reversal.get_absolute_url()
    assert (reversal.amount, reversal.amount_reporting, reversal.effective_date, reversal.reason) == (
        D("-300.00"),
        D("-300.00"),
        date(2026, 2, 1),
        "Duplicate of #1",
    )
    html = page_text(client.get(response["Location"]))
    assert f"Entry #{entry.pk} is reversed by #{reversal.pk}" in html


def test_an_entry_cannot_be_reversed_twice_from_the_page(client_for):
    entry = LedgerEntryFactory()
    LedgerEntryFactory(reverses=entry)
    client = client_for("finance")
    url = reverse("savings:ledger_reverse", args=[entry.pk])
    assert "has already been reversed" in page_text(client.get(url))
    html = page_text(client.post(url, {"reason": "again"}))
    assert "has already been reversed" in html
    assert LedgerEntry.objects.count() == 2


def test_a_viewer_cannot_reverse(client_for):
    entry = LedgerEntryFactory()
    client = client_for("viewer")
    url = reverse("savings:ledger_reverse", args=[entry.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "no"}).status_code == 403
    assert LedgerEntry.objects.count() == 1


# Exports


def test_the_csv_export_is_formula_safe_and_keeps_numbers_plain(viewer_client):
    app = ApplicationFactory(name="@Evil app")
    entry = LedgerEntryFactory(
        amount="99.50", application=app, description='=HYPERLINK("https://evil.example.com","Click")'
    )
    reversal = LedgerEntryFactory(reverses=entry, reason="+1 wrong")

    response = viewer_client.get(f"{EXPORT_URL}?format=csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="savings-ledger-{today}.csv"'
    header, *rows = csv_rows(response)
    assert header[:4] == ["Entry", "Effective date", "Kind", "Recurrence"] and "Amount (USD)" in header
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    original, negative = by_id[str(entry.pk)], by_id[str(reversal.pk)]
    assert original["Description"] == '\'=HYPERLINK("https://evil.example.com","Click")'
    assert original["Application"] == "'@Evil app"
    assert (original["Amount"], original["FX rate"], original["Amount (USD)"]) == ("99.50", "1.00000000", "99.50")
    assert (original["Reversed by entry"], original["Effective date"]) == (str(reversal.pk), "2026-03-15")
    assert (negative["Amount (USD)"], negative["Reverses entry"], negative["Reason"]) == (
        "-99.50",
        str(entry.pk),
        "'+1 wrong",
    )


def test_the_csv_export_follows_the_filters(viewer_client):
    ledger = sample_ledger()
    response = viewer_client.get(f"{EXPORT_URL}?format=csv&credited_user={ledger.alice.pk}&reversals=hide")
    header, *rows = csv_rows(response)
    column = header.index("Amount (USD)")
    assert sorted(D(row[column]) for row in rows) == [D("250.50"), D("1200.00")]


def test_the_xlsx_export_has_numbers_dates_and_neutralised_text(viewer_client):
    entry = LedgerEntryFactory(amount="1234.56", description="-2+3 cmd|' /C calc'!A0")
    response = viewer_client.get(f"{EXPORT_URL}?format=xlsx")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f"savings-ledger-{timezone.localdate().isoformat()}.xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header = [cell.value for cell in sheet[1]]
    row = dict(zip(header, sheet[2], strict=True))
    assert row["Entry"].value == entry.pk
    assert row["Amount (USD)"].value == 1234.56 and row["Amount (USD)"].number_format == "#,##0.00"
    assert row["FX rate"].value == 1
    assert isinstance(row["Effective date"].value, datetime) and row["Effective date"].value.date() == date(2026, 3, 15)
    assert row["Effective date"].number_format == "yyyy-mm-dd"
    assert row["Description"].data_type == "s" and row["Description"].value == "'-2+3 cmd|' /C calc'!A0"


def test_the_export_refuses_an_unknown_format_or_a_bad_filter(viewer_client):
    response = viewer_client.get(f"{EXPORT_URL}?format=pdf")
    assert response.status_code == 400 and "use csv or xlsx" in response.content.decode()
    response = viewer_client.get(f"{EXPORT_URL}?format=csv&date_to=later")
    assert response.status_code == 400 and "date_to: Enter a valid date." in response.content.decode()


def test_the_reversal_form_is_refused_to_anonymous_users(client):
    entry = LedgerEntryFactory(created_by=UserFactory())
    response = client.get(reverse("savings:ledger_reverse", args=[entry.pk]))
    assert response.status_code == 302
