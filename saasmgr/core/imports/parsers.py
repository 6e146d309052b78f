"""Cell parsers: each turns the text of one cell into a value, or raises
``CellError`` with a message that says what would have been accepted.

A parser never sees a blank cell: the import engine treats blank as "no value".
"""

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email


class CellError(ValueError):
    """One cell's value is not acceptable; the message says what would be."""


def normalise_token(text: str) -> str:
    """Case, spacing and punctuation do not matter: "On Leave", "on_leave" and "ON-LEAVE" are equal."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


class Parser:
    accepted: str = "any text"

    def __call__(self, text: str) -> Any:
        raise NotImplementedError


class TextParser(Parser):
    def __init__(self, max_length: int | None = None):
        self.max_length = max_length
        self.accepted = f"text of at most {max_length} characters" if max_length else "any text"

    def __call__(self, text: str) -> str:
        if self.max_length and len(text) > self.max_length:
            raise CellError(f"Too long: {len(text)} characters; at most {self.max_length} are accepted.")
        return text


class EmailParser(Parser):
    accepted = "an email address such as name@example.com"

    def __call__(self, text: str) -> str:
        value = text.removeprefix("mailto:")
        try:
            validate_email(value)
        except ValidationError:
            raise CellError(f"Not an email address. Expected {self.accepted}.") from None
        return value


_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


class DateParser(Parser):
    """ISO dates (``2024-04-17``; a time or UTC offset after it, as Workday and Excel add, is
    ignored) and, when ``us`` is set, ``MM/DD/YYYY`` as US HR systems export them."""

    def __init__(self, *, us: bool = False, blanks: Iterable[str] = ()):
        self.us = us
        self.blanks = frozenset(blanks)
        self.accepted = "a date as YYYY-MM-DD (e.g. 2024-04-17)" + (" or MM/DD/YYYY (e.g. 04/17/2024)" if us else "")

    def __call__(self, text: str) -> date | None:
        if text in self.blanks:
            return None
        try:
            if match := _ISO_DATE.match(text):
                return date.fromisoformat(match.group(1))
            if self.us and (match := _US_DATE.match(text)):
                month, day, year = (int(part) for part in match.groups())
                return date(year, month, day)
        except ValueError:
            raise CellError(f"No such date. Expected {self.accepted}.") from None
        raise CellError(f"Not a date. Expected {self.accepted}.")


class DateTimeParser(Parser):
    """Timestamps in one of ``formats``; the export's time zone is ``timezone``."""

    def __init__(self, formats: tuple[str, ...], *, example: str, timezone: str = "UTC", blanks: Iterable[str] = ()):
        self.formats = formats
        self.timezone = ZoneInfo(timezone)
        self.blanks = {normalise_token(blank) for blank in blanks}
        self.accepted = f"a date and time like {example}" + "".join(f" or “{b}”" for b in blanks)

    def __call__(self, text: str) -> datetime | None:
        if normalise_token(text) in self.blanks:
            return None
        for fmt in self.formats:
            try:
                return datetime.strptime(text, fmt).replace(tzinfo=self.timezone)
            except ValueError:
                continue
        raise CellError(f"Not a date and time. Expected {self.accepted}.")


class ChoiceParser(Parser):
    """One of a fixed set of values, spelled in any case and spacing.

    ``synonyms`` maps each accepted spelling to the stored value; ``shown`` is how the
    accepted values are listed to a person.
    """

    def __init__(self, synonyms: dict[str, str], *, shown: Iterable[str]):
        self.values = {normalise_token(spelling): value for spelling, value in synonyms.items()}
        self.accepted = "one of: " + ", ".join(shown)

    def __call__(self, text: str) -> str:
        try:
            return self.values[normalise_token(text)]
        except KeyError:
            raise CellError(f"Unknown value. Expected {self.accepted}.") from None


class BooleanParser(ChoiceParser):
    def __init__(self):
        super().__init__(
            {"yes": "yes", "y": "yes", "true": "yes", "1": "yes", "no": "no", "n": "no", "false": "no", "0": "no"},
            shown=["Yes", "No", "1", "0", "true", "false"],
        )

    def __call__(self, text: str) -> bool:
        return super().__call__(text) == "yes"


class FunctionParser(Parser):
    """A parser from a plain function that never fails (for lenient mappings)."""

    def __init__(self, function: Callable[[str], Any], *, accepted: str):
        self.function = function
        self.accepted = accepted

    def __call__(self, text: str) -> Any:
        return self.function(text)


class URLParser(Parser):
    """Web addresses of at most ``max_length`` characters; a bare domain like ``slack.com``
    gets ``https://``."""

    accepted = "a web address such as https://example.com"
    _validate = URLValidator(schemes=["http", "https"])

    def __init__(self, max_length: int = 200):
        self.max_length = max_length

    def __call__(self, text: str) -> str:
        value = text if "://" in text else f"https://{text}"
        if len(value) > self.max_length:
            raise CellError(f"Too long: {len(value)} characters; at most {self.max_length} are accepted.")
        try:
            self._validate(value)
        except ValidationError:
            raise CellError(f"Not a web address. Expected {self.accepted}.") from None
        return value
