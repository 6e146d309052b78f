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
    if day_format.formats[:1] == ("ISO8601",) and todo.any():
        quick, ok = _plain_iso_days(values)
        ok &= todo
        days[ok] = quick[ok]
        todo &= ~ok
    for fmt in day_format.formats:
        positions = np.flatnonzero(todo)
        if not len(positions):
            break
        parsed = pd.to_datetime(pd.Series(values[positions]), format=fmt, errors="coerce", utc=True)
        ok = parsed.notna().to_numpy()
        days[positions[ok]] = parsed[ok].dt.tz_convert(None).to_numpy().astype("datetime64[D]")
        todo[positions[ok]] = False
    return days, todo


# The forms of ISO 8601 that most exports write, read without pandas: "2024-04-17", and that day with a
# time of day and no offset or "Z" ("2024-04-17T09:30:00Z", "2024-04-17 09:30:00"), whose UTC day is the
# date as written. Anything else (offsets, fractions, other years) goes to pandas.
_ISO_WIDTH = 21  # one more than the longest form, so that a longer text shows as not one of them
_FIRST_YEAR, _LAST_YEAR = 1900, 2199
_DIGIT_AT = (0, 1, 2, 3, 5, 6, 8, 9)
_TIME_DIGIT_AT = (11, 12, 14, 15, 17, 18)


def _plain_iso_days(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(days, mask of the values in one of the plain ISO forms); the days are NaT elsewhere."""
    days = np.full(len(values), NO_DAY)
    try:
        encoded = values.astype(f"S{_ISO_WIDTH}")
    except (UnicodeError, TypeError, ValueError):
        return days, np.zeros(len(values), dtype=bool)
    raw = encoded.view(np.uint8).reshape(len(values), _ISO_WIDTH)
    length = np.strings.str_len(encoded)
    digit = (raw >= ord("0")) & (raw <= ord("9"))
    ok = digit[:, list(_DIGIT_AT)].all(axis=1) & (raw[:, 4] == ord("-")) & (raw[:, 7] == ord("-"))
    timed = (length == 19) | ((length == 20) & (raw[:, 19] == ord("Z")))
    timed &= ((raw[:, 10] == ord("T")) | (raw[:, 10] == ord(" "))) & digit[:, list(_TIME_DIGIT_AT)].all(axis=1)
    timed &= (raw[:, 13] == ord(":")) & (raw[:, 16] == ord(":"))
    number = raw.astype(np.int32) - ord("0")
    hour, minute, second = (number[:, at] * 10 + number[:, at + 1] for at in (11, 14, 17))
    timed &= (hour < 24) & (minute < 60) & (second < 60)
    ok &= (length == 10) | timed
    year = number[:, 0] * 1000 + number[:, 1] * 100 + number[:, 2] * 10 + number[:, 3]
    month = number[:, 5] * 10 + number[:, 6]
    day = number[:, 8] * 10 + number[:, 9]
    ok &= (year >= _FIRST_YEAR) & (year <= _LAST_YEAR) & (month >= 1) & (month <= 12) & (day >= 1)
    months = np.where(ok, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
    first = months.astype("datetime64[D]")
    found = first + np.where(ok, day - 1, 0).astype("timedelta64[D]")
    ok &= found < (months + 1).astype("datetime64[D]")  # no 30 February
    days[ok] = found[ok]
    return days, ok


def days_check(problems: Problems, key: str, day_format: DayFormat, *, future: bool = False, where=None) -> np.ndarray:
    """Parse column ``key`` of the chunk; unparsed cells (and, unless ``future``, days after tomorrow)
    are errors of the rows in ``where`` (default: all). Returns the days, NaT where blank or bad."""
    where = _all_or(where, len(problems.chunk))
    days, bad = _column_days(problems.chunk, key, day_format)
    problems.add(key, bad & where, f"Not a date. Expected {day_format.accepted}.")
    if not future:
        latest = np.datetime64(timezone.now().date() + timedelta(days=FUTURE_SLACK_DAYS), "D")
        late = ~np.isnat(days) & (days > latest)
        problems.add(key, late & where, "The date is in the future; usage can only have happened by today.")
        days[late] = NO_DAY
    days[bad] = NO_DAY
    return days


def _column_days(chunk: Chunk, key: str, day_format: DayFormat) -> tuple[np.ndarray, np.ndarray]:
    """``days_parse`` of a chunk's column: the plain ISO forms cell by cell (timestamps are mostly distinct),
    then each distinct other text once."""
    text = chunk.stripped(key)
    days = np.full(len(text), NO_DAY)
    bad = np.zeros(len(text), dtype=bool)
    rest = np.arange(len(text))
    if day_format.formats[:1] == ("ISO8601",) and len(text):
        quick, ok = _plain_iso_days(text)
        days[ok] = quick[ok]
        rest = np.flatnonzero(~ok & chunk.present(key))
    if len(rest):
        codes, distinct = pd.factorize(text[rest])
        distinct_days, distinct_bad = days_parse(pd.Series(distinct, dtype=object), day_format)
        days[rest], bad[rest] = distinct_days[codes], distinct_bad[codes]
    return days, bad


def counts_check(problems: Problems, key: str) -> np.ndarray:
    """Event counts: blank is 1; anything but a whole number of at least 1 is a row error."""
    # Counts repeat a lot: parse each distinct text once.
    coded = problems.chunk.coded(key)
    parsed = pd.to_numeric(pd.Series(coded.values, dtype=object).str.replace(",", "", regex=False), errors="coerce")
    distinct = parsed.to_numpy(dtype=float)
    distinct_blank = ~coded.values.astype(bool)
    distinct_valid = ~np.isnan(distinct) & (distinct >= 1) & (distinct == np.floor(distinct)) & (distinct < 2**31)
    blank, valid = distinct_blank[coded.codes], distinct_valid[coded.codes]
    problems.add(key, ~blank & ~valid, "Not a count of events. Expected a whole number of at least 1, e.g. 12.")
    return np.where(distinct_valid, distinct, 1).astype(np.int64)[coded.codes]


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
