"""Reading a matched table in chunks, so memory stays flat whatever the file's size.

A CSV is parsed by pandas' C reader straight from the file, with the encoding and delimiter the
core reader sniffed, only the columns the format needs, every cell as text. An XLSX sheet is read
row by row through the core reader and gathered into the same DataFrames. Each chunk knows the
row number of every row as a spreadsheet shows it (the header is row 1 when it is the first line).

Usage exports repeat a few values a lot (accounts, application names, counts), so each column is
kept as codes into its distinct values: the values are stripped of surrounding spaces once each,
and the engines can resolve them once each. A column's cells as text are built only when asked for.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice

import numpy as np
import pandas as pd

from saasmgr.core.imports.reading import ImportFileError, Table


@dataclass
class Coded:
    """A column as ``values[codes]``: ``values`` distinct, stripped text (``""`` for a blank cell)."""

    codes: np.ndarray  # intp, one per row
    values: np.ndarray  # object

    def take(self, keep: np.ndarray) -> "Coded":
        return Coded(self.codes[keep], self.values)

    def text(self) -> np.ndarray:
        return self.values[self.codes] if len(self.codes) else np.array([], dtype=object)


@dataclass
class Chunk:
    """Some rows of the file: one text column per key the format reads, blank cells as ""."""

    raw: dict[str, np.ndarray]  # key -> the cells as read (object), surrounding spaces and all
    rows: np.ndarray  # the file's row number of each row
    labels: dict[str, str]  # key -> the header as the file spells it
    _coded: dict[str, Coded] = field(default_factory=dict, repr=False)
    _stripped: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _text: dict[str, pd.Series] = field(default_factory=dict, repr=False)
    _present: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.rows)

    def coded(self, key: str) -> Coded:
        """The column ``key`` as codes into its distinct values; all blank when the file has no such column."""
        if key not in self._coded:
            if key in self.raw:
                self._coded[key] = _coded(self.raw[key])
            else:
                self._coded[key] = Coded(np.zeros(len(self.rows), dtype=np.intp), np.array([""], dtype=object))
        return self._coded[key]

    def stripped(self, key: str) -> np.ndarray:
        """The cells of ``key`` without surrounding spaces (object); for a column of mostly distinct values,
        where stripping each cell costs less than finding the distinct ones."""
        if key not in self._stripped:
            if key in self._coded or key not in self.raw:
                self._stripped[key] = self.coded(key).text()
            else:
                self._stripped[key] = _stripped(self.raw[key])
        return self._stripped[key]

    def text(self, key: str) -> pd.Series:
        """The cells of ``key``; all blank when the file has no such column."""
        if key not in self._text:
            values = self.coded(key).text() if key in self._coded else self.stripped(key)
            self._text[key] = pd.Series(values, dtype=object)
        return self._text[key]

    def present(self, key: str) -> np.ndarray:
        """Which cells of ``key`` are not blank (computed once per column)."""
        if key not in self._present:
            if key in self._coded:
                coded = self._coded[key]
                self._present[key] = coded.values.astype(bool)[coded.codes]
            else:
                self._present[key] = self.stripped(key).astype(bool)
        return self._present[key]

    def has(self, key: str) -> bool:
        return key in self.raw


def table_chunks(table: Table, plan: dict[int, str], *, chunk_rows: int) -> Iterator[Chunk]:
    """The non-blank rows of ``table`` as chunks of at most ``chunk_rows`` rows; ``plan`` maps header
    index -> key of the columns to read."""
    labels = {key: table.header[index] for index, key in plan.items()}
    chunks = _csv_frames(table, plan, chunk_rows) if table.file_type == "csv" else _xlsx_frames(table, plan, chunk_rows)
    for frame, rows in chunks:
        columns = {key: _filled(frame[key]) for key in frame.columns}
        # A row is blank when every cell's text is empty. The first column is coded whole (the formats read
        # their columns coded, but for timestamps); the others are looked at only in the rows blank so far.
        first = next(iter(columns))
        coded = _coded(columns[first])
        blank = ~coded.values.astype(bool)[coded.codes]
        for values in list(columns.values())[1:]:
            maybe = np.flatnonzero(blank)
            if not len(maybe):
                break
            blank[maybe] = ~_stripped(values[maybe]).astype(bool)
        if blank.any():
            columns = {key: values[~blank] for key, values in columns.items()}
            coded, rows = coded.take(~blank), rows[~blank]
        if len(rows):
            yield Chunk(raw=columns, rows=rows, labels=labels, _coded={first: coded})


_strip = np.frompyfunc(str.strip, 1, 1)


def _filled(column: pd.Series) -> np.ndarray:
    # Text cells: the CSV reader runs with na_filter off, the XLSX rows come as text with "" for empty cells.
    return column.to_numpy(dtype=object)


def _stripped(values: np.ndarray) -> np.ndarray:
    """Cells without surrounding spaces, as Python strings (numpy's loop is twice as fast as ``.str.strip``)."""
    return _strip(values).astype(object) if len(values) else np.array([], dtype=object)


def _coded(values: np.ndarray) -> Coded:
    """The cells as codes into their distinct values without surrounding spaces: each distinct cell is
    stripped once, and cells that differ only by those spaces share a code."""
    codes, raw = pd.factorize(values)
    raw = np.asarray(raw, dtype=object)
    if not len(raw):
        return Coded(np.zeros(len(codes), dtype=np.intp), np.array([""], dtype=object))
    stripped = _stripped(raw)
    if (stripped != raw).any():
        merged, distinct = pd.factorize(stripped)
        if len(distinct) < len(stripped):
            codes, stripped = merged[codes], np.asarray(distinct, dtype=object)
    return Coded(codes.astype(np.intp, copy=False), stripped)


def _csv_frames(table: Table, plan: dict[int, str], chunk_rows: int) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
    fileobj = table.fileobj
    fileobj.seek(0)
    indices = sorted(plan)
    keys = [plan[index] for index in indices]
    reader = pd.read_csv(
        fileobj,
        encoding=table.encoding,
        encoding_errors="replace",
        sep=table.delimiter,
        header=0,
        skiprows=table.header_row - 1,
        usecols=indices,
        dtype=object,
        na_filter=False,
        skip_blank_lines=False,
        chunksize=chunk_rows,
    )
    first = table.header_row + 1
    try:
        for frame in reader:
            frame.columns = keys
            yield frame, np.arange(first, first + len(frame))
            first += len(frame)
    except (pd.errors.ParserError, ValueError, UnicodeError) as exc:
        raise ImportFileError(
            f"The file could not be read as CSV from row {first} on ({exc}). Check that every row has as "
            "many values as the header, and that quotes are closed."
        ) from exc
    finally:
        reader.close()


def _xlsx_frames(table: Table, plan: dict[int, str], chunk_rows: int) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
    indices = sorted(plan)
    keys = [plan[index] for index in indices]
    while records := list(islice(table.rows, chunk_rows)):
        rows = np.fromiter((number for number, _ in records), dtype=np.int64, count=len(records))
        cells = [[(row[index] or "") if index < len(row) else "" for index in indices] for _, row in records]
        yield pd.DataFrame(cells, columns=keys, dtype=object), rows
