"""Reading a matched table in chunks of DataFrames, so memory stays flat whatever the file's size.

A CSV is parsed by pandas' C reader straight from the file, with the encoding and delimiter the
core reader sniffed, only the columns the format needs, every cell as text. An XLSX sheet is read
row by row through the core reader and gathered into the same DataFrames. Each chunk knows the
row number of every row as a spreadsheet shows it (the header is row 1 when it is the first line).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice

import numpy as np
import pandas as pd

from saasmgr.core.imports.reading import ImportFileError, Table


@dataclass
class Chunk:
    """Some rows of the file: one text column per key the format reads, blank cells as ""."""

    frame: pd.DataFrame
    rows: np.ndarray  # the file's row number of each frame row
    labels: dict[str, str]  # key -> the header as the file spells it
    _present: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.frame)

    def text(self, key: str) -> pd.Series:
        """The cells of ``key``; all blank when the file has no such column."""
        if key in self.frame:
            return self.frame[key]
        return pd.Series("", index=self.frame.index, dtype=object)

    def present(self, key: str) -> np.ndarray:
        """Which cells of ``key`` are not blank (computed once per column)."""
        if key not in self._present:
            self._present[key] = self.text(key).to_numpy(dtype=object).astype(bool)
        return self._present[key]

    def has(self, key: str) -> bool:
        return key in self.frame


def table_chunks(table: Table, plan: dict[int, str], *, chunk_rows: int) -> Iterator[Chunk]:
    """The non-blank rows of ``table`` as chunks of at most ``chunk_rows`` rows; ``plan`` maps header
    index -> key of the columns to read."""
    labels = {key: table.header[index] for index, key in plan.items()}
    chunks = _csv_frames(table, plan, chunk_rows) if table.file_type == "csv" else _xlsx_frames(table, plan, chunk_rows)
    for frame, rows in chunks:
        columns = {key: _stripped(frame[key]) for key in frame.columns}
        blank = np.ones(len(frame), dtype=bool)
        for values in columns.values():
            blank[blank] = ~values[blank].astype(bool)  # a cell is blank when its text is empty
        if blank.any():
            columns = {key: values[~blank] for key, values in columns.items()}
            rows = rows[~blank]
        if len(rows):
            frame = pd.DataFrame({key: pd.Series(values, dtype=object) for key, values in columns.items()})
            yield Chunk(frame=frame, rows=rows, labels=labels)


_strip = np.frompyfunc(str.strip, 1, 1)


def _stripped(column: pd.Series) -> np.ndarray:
    """Cells without surrounding spaces, as Python strings (numpy's loop is twice as fast as ``.str.strip``)."""
    if column.hasnans:
        column = column.fillna("")
    return _strip(column.to_numpy(dtype=object)).astype(object)


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
        cells = [[row[index] if index < len(row) else "" for index in indices] for _, row in records]
        yield pd.DataFrame(cells, columns=keys, dtype=object), rows
