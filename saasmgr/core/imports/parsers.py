"""Cell parsers: each turns the text of one cell into a value, or raises
``CellError`` with a message that says what would have been accepted.

A parser never sees a blank cell: the import engine treats blank as "no value".
"""

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

from saasmgr.core.money import is_currency


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


class CurrencyParser(Parser):
    """An ISO 4217 code in any case (``usd`` -> ``USD``)."""

    accepted = "a three-letter ISO 4217 currency code such as USD, EUR or GBP"

    def __call__(self, text: str) -> str:
        code = text.strip().upper()
        if not is_currency(code):
            raise CellError(f"Not an ISO 4217 currency code. Expected {self.accepted}.")
        return code


# Symbols that may lead an amount, and the currencies that use each. "$" stands for several
# currencies, so a symbol is only taken as a mark of the row's currency, never to pick one.
CURRENCY_SYMBOLS: dict[str, frozenset[str]] = {
    "US$": frozenset({"USD"}),
    "A$": frozenset({"AUD"}),
    "C$": frozenset({"CAD"}),
    "NZ$": frozenset({"NZD"}),
    "S$": frozenset({"SGD"}),
    "HK$": frozenset({"HKD"}),
    "R$": frozenset({"BRL"}),
    "$": frozenset({"USD", "AUD", "CAD", "NZD", "SGD", "HKD", "MXN"}),
    "€": frozenset({"EUR"}),
    "£": frozenset({"GBP"}),
    "¥": frozenset({"JPY", "CNY"}),
    "₹": frozenset({"INR"}),
    "₩": frozenset({"KRW"}),
}
_SYMBOL_PREFIX = re.compile(
    r"^(?P<sign>[-−]?)\s*(?P<mark>" + "|".join(re.escape(s) for s in CURRENCY_SYMBOLS) + r")\s*(?P<rest>.*)$"
)
_CODE_MARK = re.compile(r"^(?:(?P<before>[A-Za-z]{3})\s+(?P<a>.+)|(?P<b>.+?)\s+(?P<after>[A-Za-z]{3}))$")
_NUMBER = re.compile(r"^(?P<sign>[-−]?)(?P<whole>\d{1,3}(?:,\d{3})+|\d*)(?:\.(?P<fraction>\d+))?$")
_COMMA_DECIMAL = re.compile(r"^[-−]?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+$")


def currency_marked(text: str) -> frozenset[str] | None:
    """The currencies that a leading symbol (``$1,234.50``) or an ISO code before or after the
    number (``EUR 99``, ``99 EUR``) allows; None when the amount carries no mark."""
    text = text.strip()
    if match := _SYMBOL_PREFIX.match(text):
        return CURRENCY_SYMBOLS[match["mark"]]
    if match := _CODE_MARK.match(text):
        return frozenset({(match["before"] or match["after"]).upper()})
    return None


def _strip_currency_mark(text: str) -> str:
    if match := _SYMBOL_PREFIX.match(text):
        return match["sign"] + match["rest"]
    if match := _CODE_MARK.match(text):
        return match["a"] or match["b"]
    return text


class DecimalParser(Parser):
    """A number with a point before its decimals and, optionally, commas between thousands:
    ``1234.5``, ``1,234.50``. A comma is never read as a decimal point (``1,5`` is refused, not
    guessed). With ``currency_marks`` a leading symbol or an ISO code may mark the amount
    (``$1,234.50``, ``EUR 99``): the mark is dropped here, and ``currency_marked`` tells the
    importer which currencies it allows, to check against the row's currency.

    At most ``places`` decimals are accepted, or, with ``round_places``, more are rounded half up
    (exchange rates come with more digits than are stored); at most ``max_digits`` digits in all.
    """

    def __init__(
        self,
        *,
        places: int,
        max_digits: int,
        minimum: Decimal | None = None,
        maximum: Decimal | None = None,
        round_places: bool = False,
        percent: bool = False,
        currency_marks: bool = False,
        example: str = "1,234.50",
    ):
        self.places, self.max_digits, self.round_places = places, max_digits, round_places
        self.minimum, self.maximum = minimum, maximum
        self.percent, self.currency_marks = percent, currency_marks
        bounds = ""
        if minimum is not None and maximum is not None:
            bounds = f" from {minimum} to {maximum}"
        elif minimum is not None:
            bounds = f" of {minimum} or more"
        marks = "; a currency symbol or code only if it is the row's currency" if currency_marks else ""
        self.accepted = (
            f"a number{bounds} such as {example}{'%' if percent else ''} "
            f"(a point before the decimals, commas only between thousands{marks})"
        )

    def __call__(self, text: str) -> Decimal:
        body = text.strip()
        if self.currency_marks:
            body = _strip_currency_mark(body).strip()
        if self.percent:
            body = body.removesuffix("%").strip()
        match = _NUMBER.match(body)
        if not match or not (match["whole"] or match["fraction"]):
            if _COMMA_DECIMAL.match(body):
                raise CellError(f"A comma is not read as a decimal point. Expected {self.accepted}.")
            raise CellError(f"Not a number. Expected {self.accepted}.")
        fraction = f".{match['fraction']}" if match["fraction"] else ""
        value = Decimal(f"{'-' if match['sign'] else ''}{match['whole'].replace(',', '') or '0'}{fraction}")
        return self._checked(value, len(match["fraction"] or ""))

    def _checked(self, value: Decimal, decimals: int) -> Decimal:
        if decimals > self.places:
            if not self.round_places:
                raise CellError(f"Too many decimal places: at most {self.places} are accepted.")
            value = value.quantize(Decimal(1).scaleb(-self.places), rounding=ROUND_HALF_UP)
        whole_digits = len(str(abs(int(value)))) if abs(value) >= 1 else 0
        if whole_digits > self.max_digits - self.places:
            raise CellError(f"Too large: at most {self.max_digits - self.places} digits before the decimal point.")
        if self.minimum is not None and value < self.minimum:
            reason = "Negative numbers are not accepted" if self.minimum == 0 else f"Below {self.minimum}"
            raise CellError(f"{reason}. Expected {self.accepted}.")
        if self.maximum is not None and value > self.maximum:
            raise CellError(f"Above {self.maximum}. Expected {self.accepted}.")
        return value


class IntegerParser(Parser):
    """A whole number from ``minimum`` to ``maximum``."""

    def __init__(self, *, minimum: int, maximum: int, example: str):
        self.minimum, self.maximum = minimum, maximum
        self.accepted = f"a whole number from {minimum} to {maximum} such as {example}"

    def __call__(self, text: str) -> int:
        body = text.strip()
        if not re.fullmatch(r"-?\d+", body):
            raise CellError(f"Not a whole number. Expected {self.accepted}.")
        value = int(body)
        if not self.minimum <= value <= self.maximum:
            raise CellError(f"Out of range. Expected {self.accepted}.")
        return value
