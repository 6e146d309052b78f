"""Every total the product shows is the ledger's SUM: the ledger page, the API summary, the CSV and XLSX
exports and the Savings Center all agree, to the cent, with ``SUM(amount_reporting)`` read with raw SQL."""

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from savings.choices import LedgerKind, Recurrence
from tests.savings.factories import LedgerEntryFactory, sample_ledger

pytestmark = pytest.mark.django_db
CENT = Decimal("0.01")


def as_money(value) -> Decimal:
    """A SUM as the database returns it (Decimal on PostgreSQL, float on SQLite), or a shown figure, in cents."""
    if isinstance(value, str):
        value = value.replace(",", "").split()[0]
    return Decimal(str(value)).quantize(CENT)


def raw_sum(where: str = "") -> Decimal:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(SUM(amount_reporting), 0) FROM savings_ledgerentry {where}")
        return as_money(cursor.fetchone()[0])


def shown(html: str, name: str) -> Decimal:
    """The figure a page shows in its ``data-total="name"`` element (directly or inside its link)."""
    match = re.search(rf'data-total="{name}">(?:<a [^>]*>)?([^<]+)<', html)
    assert match, f'no data-total="{name}" on the page'
    return as_money(match.group(1))


@pytest.fixture
def ledger():
    """The worked example plus awkward cents in every currency, so a float sum would show its error."""
    world = sample_ledger()
    for n in range(40):
        LedgerEntryFactory(
            kind=LedgerKind.COST_AVOIDANCE if n % 3 else LedgerKind.COST_SAVINGS,
            recurrence=Recurrence.ONE_TIME if n % 2 else Recurrence.ANNUAL,
            amount=f"{n}.{(n * 7) % 100:02d}" if n else "0.01",
            currency=("USD", "EUR", "GBP")[n % 3],
            effective_date=date(2026, 1 + n % 3, 1 + n % 28),
            application=(world.slack, world.figma)[n % 2],
        )
    LedgerEntryFactory(reverses=world.entries[0], reason="Seats were reassigned the next week")
    return world


def test_the_ledger_sum_equals_every_total_shown(ledger, client_for):
    client = client_for("finance")
    expected = raw_sum()
    savings = raw_sum(f"WHERE kind = '{LedgerKind.COST_SAVINGS}'")
    avoidance = raw_sum(f"WHERE kind = '{LedgerKind.COST_AVOIDANCE}'")
    annual = raw_sum(f"WHERE recurrence = '{Recurrence.ANNUAL}'")
    assert expected == savings + avoidance
    assert expected != 0 and raw_sum("WHERE reverses_id IS NOT NULL") < 0

    # The ledger page
    html = client.get(reverse("savings:ledger_list")).content.decode()
    assert shown(html, "total") == expected
    assert (shown(html, "cost_savings"), shown(html, "cost_avoidance")) == (savings, avoidance)
    assert shown(html, "annual") == annual

    # The API summary, and each of its groupings
    summary = client.get("/api/ledger/summary/").json()
    assert as_money(summary["totals"]["total"]) == expected
    assert as_money(summary["totals"]["cost_savings"]) == savings
    assert as_money(summary["totals"]["annual"]) == annual
    for name, rows in summary.items():
        if name.startswith("by_"):
            assert sum(as_money(row["total"]) for row in rows) == expected, name

    # The CSV export
    response = client.get(reverse("savings:ledger_export") + "?format=csv")
    header, *rows = csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    column = header.index("Amount (USD)")
    assert sum(Decimal(row[column]) for row in rows) == expected

    # The XLSX export
    response = client.get(reverse("savings:ledger_export") + "?format=xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    lines = sheet.iter_rows(values_only=True)
    column = next(lines).index("Amount (USD)")
    assert sum(as_money(line[column]) for line in lines) == expected

    # The Savings Center
    html = client.get(reverse("savings:center")).content.decode()
    assert shown(html, "realized") == expected
    assert (shown(html, "cost_savings"), shown(html, "cost_avoidance")) == (savings, avoidance)


def test_filtered_totals_agree_too(ledger, client_for):
    client = client_for("viewer")
    query = f"application={ledger.slack.pk}&date_from=2026-02-01&date_to=2026-02-28"
    expected = raw_sum(
        f"WHERE application_id = {ledger.slack.pk} AND effective_date BETWEEN '2026-02-01' AND '2026-02-28'"
    )
    html = client.get(reverse("savings:ledger_list") + f"?{query}").content.decode()
    assert shown(html, "total") == expected
    assert as_money(client.get(f"/api/ledger/summary/?{query}").json()["totals"]["total"]) == expected
    response = client.get(reverse("savings:ledger_export") + f"?{query}&format=csv")
    header, *rows = csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    assert sum(Decimal(row[header.index("Amount (USD)")]) for row in rows) == expected
