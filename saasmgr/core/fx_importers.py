"""The import of exchange rates. Registered in CoreConfig.ready.

A row says how many units of the reporting currency one unit of ``currency`` buys from
``date`` on, as FxRate stores it. Rows are matched on (currency, date): a new pair is
created, a known one updated when its rate or source differs. Once the import commits,
``fx_rates_changed`` is sent once with every currency whose rates changed, so stored
reporting-currency figures (a contract's annual value) are recomputed.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from saasmgr.core.access import FX_KEEPERS
from saasmgr.core.imports.base import Importer, ParsedRow, Problem, WriteContext, WriteCounts
from saasmgr.core.imports.columns import Column
from saasmgr.core.imports.parsers import CurrencyParser, DateParser, DecimalParser, TextParser
from saasmgr.core.imports.registry import register_importer
from saasmgr.core.models import FxRate
from saasmgr.core.signals import fx_rates_changed

# FxRate.rate: 20 digits, 8 of them decimals. Rates often come with more decimals (an inverted
# rate has 15); they are rounded half up to the 8 that are stored.
RATE = DecimalParser(places=8, max_digits=20, round_places=True, example="1.0845")


@register_importer
class FxRatesImporter(Importer):
    """Exchange rates, matched on (currency, date). A blank source leaves the stored one alone."""

    kind = "fx-rates"
    kind_label = "Exchange rates"
    roles = FX_KEEPERS
    description = (
        "One rate per row: how many units of the reporting currency one unit of the currency buys from the "
        "date on (e.g. EUR 1.0845 when the reporting currency is USD). Dates as YYYY-MM-DD; rates with more "
        "than 8 decimals are rounded. Rows for the reporting currency itself are refused: its rate is always 1."
    )
    natural_key_help = "currency and date"
    columns = (
        Column(
            "date",
            ("Rate Date", "Effective Date", "Valid From", "As Of", "Day"),
            required=True,
            parser=DateParser(),
            example="2025-01-01",
        ),
        Column(
            "currency",
            ("Currency Code", "CCY", "From Currency", "Code"),
            required=True,
            parser=CurrencyParser(),
            example="EUR",
        ),
        Column(
            "rate",
            ("Exchange Rate", "FX Rate", "Conversion Rate", "Rate to Reporting Currency"),
            required=True,
            parser=RATE,
            example="1.0845",
        ),
        Column("source", ("Provider", "Rate Source"), parser=TextParser(100), example="ECB"),
    )

    def clean_row(self, row: ParsedRow) -> Iterator[Problem]:
        currency, rate = row.get("currency"), row.get("rate")
        reporting = settings.REPORTING_CURRENCY
        if currency == reporting:
            yield Problem(
                row.number,
                "currency",
                f"{reporting} is the reporting currency: its rate is always 1 and is not stored. Remove this row.",
            )
        if rate is not None and rate <= 0:
            yield Problem(
                row.number,
                "rate",
                f"A rate must be above 0: it is how many {reporting} one unit of the currency buys.",
            )

    def natural_keys(self, row: ParsedRow) -> Iterator[tuple[str, str]]:
        if "currency" in row.values and "date" in row.values:
            yield "date", f"{row.values['currency']} {row.values['date'].isoformat()}"

    def duplicate_message(self, column: str, first_row: int) -> str:
        return f"Row {first_row} has the same currency and date."

    def write(self, rows: list[ParsedRow], *, context: WriteContext) -> WriteCounts:
        return fx_rates_upsert(
            records=[
                FxRateRecord(row.values["currency"], row.values["date"], row.values["rate"], row.get("source"))
                for row in rows
            ],
            on_progress=context.on_progress,
            chunk_size=context.chunk_size,
        )


@dataclass(frozen=True)
class FxRateRecord:
    currency: str
    date: date
    rate: Decimal
    source: str | None = None


@transaction.atomic
def fx_rates_upsert(*, records: list[FxRateRecord], on_progress=None, chunk_size: int = 200) -> WriteCounts:
    """Create or update one rate per (currency, date); once committed, announce the changed
    currencies in one ``fx_rates_changed`` (a rolled-back dry run announces nothing)."""
    counts = WriteCounts()
    existing = {
        (fx.currency, fx.date): fx
        for fx in FxRate.objects.filter(currency__in={r.currency for r in records}, date__in={r.date for r in records})
    }
    changed_currencies: set[str] = set()
    to_create, to_update = [], []
    for record in records:
        target = existing.get((record.currency, record.date))
        if target is None:
            to_create.append(
                FxRate(currency=record.currency, date=record.date, rate=record.rate, source=record.source or "")
            )
            changed_currencies.add(record.currency)
            continue
        desired = {"rate": record.rate, **({"source": record.source} if record.source is not None else {})}
        if all(getattr(target, name) == value for name, value in desired.items()):
            counts.unchanged += 1
            continue
        for name, value in desired.items():
            setattr(target, name, value)
        target.updated_at = timezone.now()
        to_update.append(target)
        changed_currencies.add(record.currency)
    FxRate.objects.bulk_create(to_create, batch_size=chunk_size)
    FxRate.objects.bulk_update(to_update, ["rate", "source", "updated_at"], batch_size=chunk_size)
    counts.created, counts.updated = len(to_create), len(to_update)
    if on_progress:
        on_progress(len(records))
    if changed_currencies:
        transaction.on_commit(lambda: fx_rates_changed.send(sender=FxRate, currencies=changed_currencies))
    return counts
