"""Annualisation, term totals, term lengths and conversion at the rate in force on a date."""

from datetime import date
from decimal import Decimal

import pytest

from saasmgr.core.choices import BillingPeriod
from saasmgr.core.money import (
    MissingFxRate,
    MoneyError,
    annualise,
    convert,
    currency_choices,
    is_currency,
    months_between,
    round_money,
    total_over_term,
)
from saasmgr.core.selectors import FxRateBook, fx_rate_on
from saasmgr.core.services import fx_rate_upsert


@pytest.mark.parametrize(
    ("period", "term_months", "expected"),
    [
        (BillingPeriod.MONTHLY, None, Decimal("1200")),
        (BillingPeriod.QUARTERLY, None, Decimal("400")),
        (BillingPeriod.SEMIANNUAL, None, Decimal("200")),
        (BillingPeriod.ANNUAL, None, Decimal("100")),
        (BillingPeriod.TERM, 12, Decimal("100")),
        (BillingPeriod.TERM, 36, Decimal("100") / 36 * 12),
        (BillingPeriod.TERM, 6, Decimal("200")),
        (BillingPeriod.ONE_TIME, 12, Decimal("0")),
    ],
)
def test_annualise_100_per_period(period, term_months, expected):
    assert annualise(Decimal("100"), period, term_months=term_months) == expected


def test_annualising_a_prepaid_term_needs_its_length():
    with pytest.raises(MoneyError, match="needs the term length in months"):
        annualise(Decimal("100"), BillingPeriod.TERM)


@pytest.mark.parametrize(
    ("period", "term_months", "expected"),
    [
        (BillingPeriod.MONTHLY, 36, Decimal("3600")),
        (BillingPeriod.QUARTERLY, 24, Decimal("800")),
        (BillingPeriod.SEMIANNUAL, 36, Decimal("600")),
        (BillingPeriod.ANNUAL, 36, Decimal("300")),
        (BillingPeriod.ANNUAL, 18, Decimal("150")),
        (BillingPeriod.TERM, 36, Decimal("100")),
        (BillingPeriod.ONE_TIME, 36, Decimal("100")),
    ],
)
def test_total_over_a_term_of_100_per_period(period, term_months, expected):
    assert total_over_term(Decimal("100"), period, term_months=term_months) == expected


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2025, 1, 1), date(2025, 12, 31), 12),
        (date(2025, 1, 15), date(2028, 1, 14), 36),
        (date(2024, 1, 1), date(2024, 12, 31), 12),  # a leap year is still 12 months
        (date(2024, 3, 1), date(2025, 2, 28), 12),
        (date(2025, 2, 1), date(2025, 2, 28), 1),
        (date(2025, 1, 1), date(2025, 6, 30), 6),
        (date(2025, 1, 1), date(2025, 1, 1), 1),  # a one-day term counts as a month, never 0
        (date(2025, 1, 2), date(2025, 1, 1), 0),
    ],
)
def test_months_between(start, end, months):
    assert months_between(start, end) == months


def test_rounding_is_half_up_to_cents():
    assert round_money(Decimal("10.005")) == Decimal("10.01")
    assert round_money(Decimal("10.004")) == Decimal("10.00")
    assert convert(Decimal("100.00"), Decimal("1.08555")) == Decimal("108.56")


@pytest.mark.parametrize(
    ("code", "valid"), [("EUR", True), ("usd", True), ("XYZ", False), ("EURO", False), ("", False)]
)
def test_is_currency(code, valid):
    assert is_currency(code) is valid


def test_currency_choices_are_sorted_codes_with_names():
    choices = currency_choices()
    assert ("EUR", "EUR – Euro") in choices
    assert [code for code, _ in choices] == sorted(code for code, _ in choices)


# The rate in force on a date


@pytest.fixture
def eur_rates(db):
    fx_rate_upsert(currency="EUR", on_date=date(2025, 1, 1), rate=Decimal("1.10"))
    fx_rate_upsert(currency="EUR", on_date=date(2025, 7, 1), rate=Decimal("1.20"))
    fx_rate_upsert(currency="GBP", on_date=date(2025, 3, 1), rate=Decimal("1.30"))


@pytest.mark.parametrize(
    ("on_date", "rate"),
    [
        (date(2025, 1, 1), Decimal("1.10")),  # the day it starts
        (date(2025, 6, 30), Decimal("1.10")),  # the day before the next one
        (date(2025, 7, 1), Decimal("1.20")),
        (date(2030, 1, 1), Decimal("1.20")),  # the latest holds until a newer one
    ],
)
def test_fx_rate_on_uses_the_latest_rate_on_or_before_the_date(eur_rates, on_date, rate):
    assert fx_rate_on("EUR", on_date) == rate
    assert fx_rate_on("eur", on_date) == rate
    assert FxRateBook({"EUR"}).rate_on("EUR", on_date) == rate


def test_a_missing_rate_raises_with_a_message_a_person_can_act_on(eur_rates):
    with pytest.raises(MissingFxRate) as raised:
        fx_rate_on("EUR", date(2024, 12, 31))
    assert str(raised.value) == (
        "No EUR→USD exchange rate on or before 2024-12-31. Add one under Renewals → Exchange rates."
    )
    assert (raised.value.currency, raised.value.on_date, raised.value.reporting_currency) == (
        "EUR",
        date(2024, 12, 31),
        "USD",
    )
    with pytest.raises(MissingFxRate, match="No CHF→USD exchange rate on or before 2025-05-01"):
        FxRateBook({"CHF"}).rate_on("CHF", date(2025, 5, 1))


def test_the_reporting_currency_converts_at_1_without_any_rate(db):
    assert fx_rate_on("USD", date(1990, 1, 1)) == Decimal("1")
    assert FxRateBook({"USD"}).rate_on("USD", date(1990, 1, 1)) == Decimal("1")


def test_converting_at_the_rate_in_force(eur_rates):
    assert convert(Decimal("1000.00"), fx_rate_on("EUR", date(2025, 3, 15))) == Decimal("1100.00")
    assert convert(Decimal("1000.00"), fx_rate_on("EUR", date(2025, 8, 15))) == Decimal("1200.00")


def test_a_rate_book_loads_once_and_answers_without_queries(eur_rates, django_assert_num_queries):
    with django_assert_num_queries(1):
        book = FxRateBook({"EUR", "GBP", "USD"})
    with django_assert_num_queries(0):
        assert book.rate_on("GBP", date(2025, 3, 1)) == Decimal("1.30")
        assert book.rate_on("EUR", date(2025, 12, 31)) == Decimal("1.20")


@pytest.mark.parametrize(
    ("currency", "rate", "message"),
    [("XYZ", Decimal("1"), "'XYZ' is not an ISO 4217 currency code."), ("EUR", Decimal("0"), "must be above 0")],
)
def test_fx_rate_upsert_refuses_bad_rates(db, currency, rate, message):
    with pytest.raises(MoneyError, match=message):
        fx_rate_upsert(currency=currency, on_date=date(2025, 1, 1), rate=rate)
