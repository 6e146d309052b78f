"""Vectorised cell parsing for the ingest: whole columns of text to days, integers and flags.

A cell that is not blank but does not parse is an error of its row, named by row number, the
column's header as the file spells it, the value, and what would have been accepted. The same
functions back the per-cell parsers that the import preview shows.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
from django.utils import timezone

from licenses.ingest.chunks import Chunk
from saasmgr.core.imports.parsers import CellError, Parser
from saasmgr.core.imports.results import RowError

NO_DAY = np.datetime64("NaT", "D")
# A usage day later than this many days after today is taken to be a typing or export error.
FUTURE_SLACK_DAYS = 1


@dataclass(frozen=True)
class DayFormat:
    """How a column writes its dates: strptime formats (or "ISO8601") tried in order, texts that mean
    "no date" (compared ignoring case), and how a person is told what is accepted."""

    formats: tuple[str, ...]
    accepted: str
    blanks: tuple[str, ...] = ()

    def with_blanks(self, *blanks: str) -> "DayFormat":
        shown = "".join(f" or “{blank}”" for blank in blanks)
        return DayFormat(self.formats, self.accepted + shown, self.blanks + blanks)


ISO = DayFormat(("ISO8601",), "a date or date and time in ISO 8601, e.g. 2024-04-17 or 2024-04-17T09:30:00Z")
# The generic format's timestamps: ISO first (the common case costs one pass), then a few common forms.
GENERIC = DayFormat(
    ("ISO8601", "%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y"),
    "a date or date and time such as 2024-04-17, 2024-04-17T09:30:00Z, 2024/04/17 09:30:00, "
    "Apr 17, 2024 or 17 Apr 2024",
)


@dataclass
class Problems:
    """The row errors of one chunk, and which of its rows they rule out."""

    chunk: Chunk
    errors: list[RowError] = field(default_factory=list)
    bad: np.ndarray = field(init=False)

    def __post_init__(self):
        self.bad = np.zeros(len(self.chunk), dtype=bool)

    def add(self, key: str, mask, message: str) -> None:
        """Rows where ``mask`` holds get ``message`` about their cell in column ``key``."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        self.bad |= mask
        label = self.chunk.labels.get(key, key)
        values = self.chunk.text(key).to_numpy()[mask]
        for row, value in zip(self.chunk.rows[mask], values, strict=True):
            self.errors.append(RowError(int(row), label, str(value), message))

    def add_rows(self, mask, message: str) -> None:
        """Rows where ``mask`` holds get ``message`` about the row as a whole."""
        mask = np.asarray(mask, dtype=bool)
        self.bad |= mask
        self.errors.extend(RowError(int(row), "", "", message) for row in self.chunk.rows[mask])

    def required(self, key: str, accepted: str, *, where=None) -> np.ndarray:
        """Rows (of ``where``) with a blank ``key`` are errors; returns the mask of the rows that have a value."""
        present = self.chunk.present(key)
        self.add(key, ~present & _all_or(where, len(present)), f"A value is required: {accepted}.")
        return present


def _all_or(where, length: int) -> np.ndarray:
    return np.ones(length, dtype=bool) if where is None else np.asarray(where, dtype=bool)


def folded(text: pd.Series) -> pd.Series:
    """The cells in lower case for comparing (``str.casefold``), worked out once per distinct value: the
    columns compared this way (event types, statuses, account types) repeat a handful of values."""
    codes, uniques = pd.factorize(text)
    lowered = np.array([value.casefold() for value in uniques], dtype=object)
    return pd.Series(lowered[codes] if len(codes) else lowered[:0], index=text.index, dtype=object)


def days_parse(text: pd.Series, day_format: DayFormat) -> tuple[np.ndarray, np.ndarray]:
    """Text -> (UTC days as datetime64[D], NaT where blank or unparsed; mask of the unparsed cells).

    A timestamp with a UTC offset counts on its UTC day; one without is taken to be UTC, as the
    usage exports write them.
    """
    values = text.to_numpy(dtype=object)
    days = np.full(len(values), NO_DAY)
    todo = values.astype(bool)  # not blank
    if day_format.blanks:
        todo &= ~folded(text).isin([blank.casefold() for blank in day_format.blanks]).to_numpy()
    for fmt in day_format.formats:
        positions = np.flatnonzero(todo)
        if not len(positions):
            break
        parsed = pd.to_datetime(pd.Series(values[positions]), format=fmt, errors="coerce", utc=True)
        ok = parsed.notna().to_numpy()
        days[positions[ok]] = parsed[ok].dt.tz_convert(None).to_numpy().astype("datetime64[D]")
        todo[positions[ok]] = False
    return days, todo


def days_check(problems: Problems, key: str, day_format: DayFormat, *, future: bool = False, where=None) -> np.ndarray:
    """Parse column ``key`` of the chunk; unparsed cells (and, unless ``future``, days after tomorrow)
    are errors of the rows in ``where`` (default: all). Returns the days, NaT where blank or bad."""
    where = _all_or(where, len(problems.chunk))
    days, bad = days_parse(problems.chunk.text(key), day_format)
    problems.add(key, bad & where, f"Not a date. Expected {day_format.accepted}.")
    if not future:
        latest = np.datetime64(timezone.now().date() + timedelta(days=FUTURE_SLACK_DAYS), "D")
        late = ~np.isnat(days) & (days > latest)
        problems.add(key, late & where, "The date is in the future; usage can only have happened by today.")
        days[late] = NO_DAY
    days[bad] = NO_DAY
    return days


def counts_check(problems: Problems, key: str) -> np.ndarray:
    """Event counts: blank is 1; anything but a whole number of at least 1 is a row error."""
    text = problems.chunk.text(key)
    # Counts repeat a lot: parse each distinct text once.
    codes, uniques = pd.factorize(text)
    parsed = pd.to_numeric(pd.Series(uniques, dtype=object).str.replace(",", "", regex=False), errors="coerce")
    numbers = parsed.to_numpy(dtype=float)[codes]
    blank = ~text.to_numpy(dtype=object).astype(bool)
    valid = ~np.isnan(numbers) & (numbers >= 1) & (numbers == np.floor(numbers)) & (numbers < 2**31)
    problems.add(key, ~blank & ~valid, "Not a count of events. Expected a whole number of at least 1, e.g. 12.")
    return np.where(valid, numbers, 1).astype(np.int64)


TRUE_WORDS = ("true", "yes", "y", "1")
FALSE_WORDS = ("false", "no", "n", "0")


def flags_check(problems: Problems, key: str) -> np.ndarray:
    """True/False cells; blank is False; anything else is a row error."""
    lowered = folded(problems.chunk.text(key))
    true = lowered.isin(TRUE_WORDS).to_numpy()
    known = true | lowered.isin(FALSE_WORDS).to_numpy() | ~problems.chunk.present(key)
    problems.add(key, ~known, "Not a yes/no value. Expected True or False.")
    return true


def as_date(day: np.datetime64) -> date | None:
    return None if np.isnat(day) else day.astype(object)


class DayParser(Parser):
    """The per-cell parser of a day column, for the import preview; the ingest parses whole columns."""

    def __init__(self, day_format: DayFormat):
        self.day_format = day_format
        self.accepted = day_format.accepted

    def __call__(self, text: str) -> date | None:
        days, bad = days_parse(pd.Series([text], dtype=object), self.day_format)
        if bad[0]:
            raise CellError(f"Not a date. Expected {self.accepted}.")
        return as_date(days[0])
