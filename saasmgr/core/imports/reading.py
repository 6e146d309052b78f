"""Reading an uploaded table one row at a time: CSV with its encoding and delimiter
sniffed, or the first sheet of an XLSX workbook.

Every cell comes out as stripped text, so parsers see the same thing whichever
format the file had. Row numbers are the ones a spreadsheet shows: the header is
row 1 when it is the first line.
"""

import codecs
import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import BinaryIO

from django.conf import settings

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
SNIFF_BYTES = 64 * 1024
SNIFF_RECORDS = 50
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls format


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message says why and what to do instead."""


@dataclass
class Table:
    header: list[str]
    header_row: int
    rows: Iterator[tuple[int, list[str]]] = field(repr=False)
    file_type: str
    encoding: str = ""
    delimiter: str = ""
    sheet: str = ""
    # The binary file underneath, for a reader that parses the CSV itself (from the start of the file).
    fileobj: BinaryIO | None = field(default=None, repr=False)

    def describe(self) -> str:
        if self.file_type == "xlsx":
            return f"Excel workbook, sheet “{self.sheet}”"
        return f"CSV, {self.encoding}, {DELIMITER_NAMES.get(self.delimiter, self.delimiter)}-separated"


@contextmanager
def open_table(fileobj: BinaryIO, *, name: str, upload: bool = True) -> Iterator[Table]:
    """Open ``fileobj`` (binary, seekable) as a table; raises ImportFileError when it cannot be read.

    An upload may have at most IMPORT_MAX_UPLOAD_BYTES; ``upload=False`` (a local file) has no limit."""
    fileobj = _raw_file(fileobj)
    _check_size(fileobj, settings.IMPORT_MAX_UPLOAD_BYTES if upload else None)
    magic = fileobj.read(8)
    fileobj.seek(0)
    lowered = name.lower()
    if magic.startswith(OLE_MAGIC) or lowered.endswith(".xls"):
        raise ImportFileError("This is an old-style Excel workbook (.xls). Save it as .xlsx or CSV and upload that.")
    if magic.startswith(ZIP_MAGIC) or lowered.endswith((".xlsx", ".xlsm")):
        with _open_xlsx(fileobj) as table:
            yield table
    else:
        with _open_csv(fileobj) as table:
            yield table


def count_data_rows(table: Table) -> int:
    return sum(1 for _ in table.rows)


def _raw_file(fileobj):
    """Django's File and UploadedFile wrap the real file object, which io.TextIOWrapper needs."""
    while not isinstance(fileobj, io.IOBase) and hasattr(fileobj, "file"):
        fileobj = fileobj.file
    return fileobj


def _check_size(fileobj: BinaryIO, limit: int | None) -> None:
    fileobj.seek(0, io.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(0)
    if size == 0:
        raise ImportFileError("The file is empty.")
    if limit is not None and size > limit:
        raise ImportFileError(
            f"The file is {size / 1_048_576:.1f} MB; files of at most {limit / 1_048_576:.1f} MB can be imported. "
            "Split it into smaller files."
        )


# CSV


def sniff_encoding(fileobj: BinaryIO) -> str:
    """A byte-order mark decides; else UTF-8 if every byte decodes as UTF-8; else Windows-1252.

    The whole file is checked in chunks, because the first accented name can sit on the
    last row, and a wrong guess there would fail the import halfway.
    """
    start = fileobj.read(4)
    fileobj.seek(0)
    if start.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode text" export
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        while chunk := fileobj.read(1 << 20):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    finally:
        fileobj.seek(0)
    return "utf-8"


def sniff_delimiter(sample: str) -> str:
    """The delimiter that splits the header into the most columns and the rows into as many."""
    records = [r for r in _sample_records(sample) if any(cell.strip() for cell in r)]
    best, best_score = ",", (0.0, 1)
    for delimiter in DELIMITERS:
        rows = list(csv.reader(records, delimiter=delimiter))
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        consistency = sum(1 for row in rows if len(row) == width) / len(rows)
        score = (consistency, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _sample_records(sample: str) -> list[str]:
    lines = sample.splitlines()
    if len(lines) > 1:
        lines = lines[:-1]  # the last line of a sample may be cut off
    return lines[:SNIFF_RECORDS]


@contextmanager
def _open_csv(fileobj: BinaryIO) -> Iterator[Table]:
    encoding = sniff_encoding(fileobj)
    sample = fileobj.read(SNIFF_BYTES).decode(encoding, errors="ignore")
    fileobj.seek(0)
    delimiter = sniff_delimiter(sample)
    # Windows-1252 leaves five byte values undefined; they become U+FFFD, visible in the preview.
    text = io.TextIOWrapper(fileobj, encoding=encoding, errors="replace", newline="")
    try:
        records = _csv_records(csv.reader(text, delimiter=delimiter))
        header_row, header = _first_nonblank(records)
        yield Table(
            header=header,
            header_row=header_row,
            rows=_data_rows(records),
            file_type="csv",
            encoding=encoding,
            delimiter=delimiter,
            fileobj=fileobj,
        )
    finally:
        text.detach()  # the caller owns fileobj and closes it


def _csv_records(reader) -> Iterator[tuple[int, list[str]]]:
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportFileError(f"Row {number + 1} could not be read as CSV ({exc}).") from exc
        number += 1
        yield number, [_clean(cell) for cell in cells]


# XLSX


@contextmanager
def _open_xlsx(fileobj: BinaryIO) -> Iterator[Table]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(fileobj, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds of errors on a damaged file
        raise ImportFileError(
            "The file could not be read as an Excel workbook (.xlsx). Open it in Excel and save it again "
            f"as .xlsx or CSV. ({exc.__class__.__name__})"
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        records = _xlsx_records(sheet)
        header_row, header = _first_nonblank(records)
        yield Table(
            header=header,
            header_row=header_row,
            rows=_data_rows(records),
            file_type="xlsx",
            sheet=sheet.title,
            fileobj=fileobj,
        )
    finally:
        workbook.close()


def _xlsx_records(sheet) -> Iterator[tuple[int, list[str]]]:
    rows = sheet.iter_rows(values_only=True)
    number = 0
    while True:
        try:
            values = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # noqa: BLE001 - a damaged sheet fails while streaming, not on open
            raise ImportFileError(f"Row {number + 1} of the workbook could not be read ({exc}).") from exc
        number += 1
        yield number, [_cell_text(value) for value in values]


def _cell_text(value) -> str:
    """Excel's typed cells as the text a person would type: dates as ISO, 1001.0 as 1001."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _clean(str(value))


# Shared


def _clean(cell: str) -> str:
    return cell.replace("\xa0", " ").replace("\x00", "").strip()


def _first_nonblank(records: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str]]:
    for number, cells in records:
        if any(cells):
            return number, _trim_trailing_blanks(cells)
    raise ImportFileError("The file is empty: it has no header row and no data.")


def _trim_trailing_blanks(cells: list[str]) -> list[str]:
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return cells[:end]


def _data_rows(records: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
    """Blank rows are skipped, but still counted, so row numbers match the file."""
    for number, cells in records:
        if any(cells):
            yield number, cells
