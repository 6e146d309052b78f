"""The number, currency and whole-number cell parsers of the import framework."""

from decimal import Decimal

import pytest

from saasmgr.core.imports.parsers import CellError, CurrencyParser, DecimalParser, IntegerParser, currency_marked

PRICE = DecimalParser(places=4, max_digits=16, minimum=Decimal("0"), currency_marks=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.50", Decimal("1234.50")),
        ("1,234.50", Decimal("1234.50")),
        ("1,234,567", Decimal("1234567")),
        (".5", Decimal("0.5")),
        ("0", Decimal("0")),
        ("$1,234.50", Decimal("1234.50")),
        ("€ 99", Decimal("99")),
        ("EUR 99.90", Decimal("99.90")),
        ("99.90 eur", Decimal("99.90")),
        ("12.3456", Decimal("12.3456")),
    ],
)
def test_amounts(text, expected):
    assert PRICE(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,5", "A comma is not read as a decimal point."),
        ("1.234,50", "A comma is not read as a decimal point."),
        ("12,34", "A comma is not read as a decimal point."),
        ("ten", "Not a number."),
        ("1 234", "Not a number."),
        ("1,2345.00", "Not a number."),
        ("-5", "Negative numbers are not accepted."),
        ("-$5", "Negative numbers are not accepted."),
        ("1.23456", "Too many decimal places: at most 4 are accepted."),
        ("1234567890123", "Too large: at most 12 digits before the decimal point."),
    ],
)
def test_amounts_refused_with_the_reason(text, message):
    with pytest.raises(CellError) as error:
        PRICE(text)

    assert str(error.value).startswith(message)


def test_the_accepted_text_says_how_to_write_a_number():
    assert PRICE.accepted == (
        "a number of 0 or more such as 1,234.50 (a point before the decimals, commas only between thousands; "
        "a currency symbol or code only if it is the row's currency)"
    )


def test_a_currency_mark_is_refused_unless_the_parser_allows_marks():
    with pytest.raises(CellError, match=r"^Not a number\."):
        DecimalParser(places=2, max_digits=10)("$5")


def test_extra_decimals_are_rounded_half_up_when_asked_for():
    rate = DecimalParser(places=8, max_digits=20, round_places=True)

    assert rate("0.006712345678") == Decimal("0.00671235")
    assert rate("1.000000005") == Decimal("1.00000001")


def test_percent_and_bounds():
    cap = DecimalParser(places=2, max_digits=6, minimum=Decimal("0"), maximum=Decimal("1000"), percent=True)

    assert cap("5%") == cap("5") == Decimal("5")
    with pytest.raises(CellError) as error:
        cap("1001")
    assert str(error.value) == (
        "Above 1000. Expected a number from 0 to 1000 such as 1,234.50% "
        "(a point before the decimals, commas only between thousands)."
    )


@pytest.mark.parametrize(
    ("text", "currencies"),
    [
        ("1,234.50", None),
        ("$5", {"USD", "AUD", "CAD", "NZD", "SGD", "HKD", "MXN"}),
        ("US$5", {"USD"}),
        ("C$ 5", {"CAD"}),
        ("€5", {"EUR"}),
        ("£5", {"GBP"}),
        ("chf 5", {"CHF"}),
        ("5 GBP", {"GBP"}),
    ],
)
def test_currency_marked(text, currencies):
    assert currency_marked(text) == (None if currencies is None else frozenset(currencies))


def test_currency_codes_in_any_case():
    parser = CurrencyParser()

    assert parser(" eur ") == "EUR"
    with pytest.raises(CellError) as error:
        parser("EURO")
    assert str(error.value) == (
        "Not an ISO 4217 currency code. Expected a three-letter ISO 4217 currency code such as USD, EUR or GBP."
    )


def test_whole_numbers_in_range():
    parser = IntegerParser(minimum=0, maximum=3650, example="30")

    assert parser("30") == 30
    for text, reason in (("30.5", "Not a whole number"), ("-1", "Out of range"), ("3651", "Out of range")):
        with pytest.raises(CellError) as error:
            parser(text)
        assert str(error.value) == f"{reason}. Expected a whole number from 0 to 3650 such as 30."
