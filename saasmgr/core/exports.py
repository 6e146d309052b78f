"""Exports as CSV or XLSX from one description: an exporter names its columns and yields its rows, and the
functions here render them.

Every text cell goes through ``neutralise_formula`` in both formats, so a value such as
``=HYPERLINK(...)`` typed into the product opens in a spreadsheet as text, never as a formula. Numbers stay
numbers: a CSV writes them as plain digits (a negative amount is not text to neutralise) and an XLSX
stores them as numbers with a number format, and dates as dates.
"""

import csv
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from saasmgr.core.imports.results import neutralise_formula

TEXT, MONEY, RATE, INTEGER, DATE, DATETIME = "text", "money", "rate", "integer", "date", "datetime"
XLSX_FORMATS = {
    MONEY: "#,##0.00",
    RATE: "0.00######",
    INTEGER: "0",
    DATE: "yyyy-mm-dd",
    DATETIME: "yyyy-mm-dd hh:mm",
}
XLSX_WIDTHS = {TEXT: 24, MONEY: 14, RATE: 12, INTEGER: 10, DATE: 12, DATETIME: 17}
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV, XLSX = "csv", "xlsx"
FORMATS = (CSV, XLSX)


@dataclass(frozen=True)
class Column:
    """One column of an export: its header and what its cells hold (TEXT, MONEY, RATE, INTEGER, DATE...)."""

    title: str
    kind: str = TEXT


class Exporter:
    """Name the columns and yield the rows (one value per column, None for empty); the base does the rest.

    ``filename_stem`` names the file: ``ledger`` → ``ledger-2026-03-31.csv``.
    """

    filename_stem = "export"
    sheet_title = "Export"
    columns: Sequence[Column] = ()

    def get_columns(self) -> list[Column]:
        return list(self.columns)

    def header(self) -> list[str]:
        return [column.title for column in self.get_columns()]

    def rows(self) -> Iterable[Sequence]:
        raise NotImplementedError

    def filename(self, extension: str, today: date | None = None) -> str:
        return f"{self.filename_stem}-{(today or timezone.localdate()).isoformat()}.{extension}"


def csv_cell(value) -> str:
    """A value as CSV text: numbers as plain digits, dates in ISO form, text formula-safe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise_formula(value)


class _Echo:
    """A file that hands back what is written to it, so csv.writer can feed a streamed response line by line."""

    def write(self, value: str) -> str:
        return value


def csv_lines(exporter: Exporter) -> Iterator[str]:
    """The export as CSV lines; the first starts with a byte-order mark so Excel reads UTF-8 accents right."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([csv_cell(title) for title in exporter.header()])
    for row in exporter.rows():
        yield writer.writerow([csv_cell(value) for value in row])


def as_csv_response(exporter: Exporter, *, today: date | None = None) -> StreamingHttpResponse:
    """The export as a streamed UTF-8 CSV download: memory does not grow with the number of rows."""
    response = StreamingHttpResponse(csv_lines(exporter), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{exporter.filename(CSV, today)}"'
    return response


def xlsx_cell(sheet, value, kind: str) -> WriteOnlyCell:
    if isinstance(value, str):
        value = neutralise_formula(value)
    elif isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.make_naive(value)  # Excel has no time zones: the local time, as on the pages
    elif isinstance(value, bool):
        value = "yes" if value else "no"
    cell = WriteOnlyCell(sheet, value=value)
    if kind in XLSX_FORMATS and not isinstance(value, str) and value is not None:
        cell.number_format = XLSX_FORMATS[kind]
    return cell


def xlsx_workbook(exporter: Exporter) -> Workbook:
    """The export as a write-only workbook (rows are written out as they come, not kept in memory)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=exporter.sheet_title[:31])
    columns = exporter.get_columns()
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(XLSX_WIDTHS[column.kind], len(column.title) + 2)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=neutralise_formula(column.title))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in exporter.rows():
        sheet.append([xlsx_cell(sheet, value, column.kind) for value, column in zip(row, columns, strict=True)])
    return workbook


def as_xlsx_response(exporter: Exporter, *, today: date | None = None) -> FileResponse:
    """The export as an XLSX download, built in a temporary file and sent from it in chunks."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse reads it and closes it when the download ends
    xlsx_workbook(exporter).save(spool)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=exporter.filename(XLSX, today), content_type=XLSX_CONTENT_TYPE
    )


def export_response(exporter: Exporter, export_format: str, *, today: date | None = None):
    """The export in ``export_format`` ("csv" or "xlsx"); anything else is a ValueError naming both."""
    if export_format == CSV:
        return as_csv_response(exporter, today=today)
    if export_format == XLSX:
        return as_xlsx_response(exporter, today=today)
    raise ValueError(f"Unknown export format {export_format!r}: use csv or xlsx.")
