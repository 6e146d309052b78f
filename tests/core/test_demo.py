"""Demo exchange rates: monthly, plausible, the same for the same seed and month, and never overwriting."""

from collections import Counter
from datetime import date
from decimal import Decimal

import pytest

from renewals.services import contract_refresh_values
from saasmgr.core.demo import FX_HISTORY_MONTHS, FX_SOURCE, DemoFxRate, demo_fx_rates_build, demo_fx_rates_load
from saasmgr.core.models import FxRate
from tests.renewals.factories import ContractFactory

TODAY = date(2026, 3, 15)
# The bands the brief for the demo names (US dollars per unit); the generator must stay inside them.
PLAUSIBLE_USD_PER_UNIT = {
    "EUR": (Decimal("1.05"), Decimal("1.12")),
    "GBP": (Decimal("1.22"), Decimal("1.32")),
    "CAD": (Decimal("0.72"), Decimal("0.76")),
    "AUD": (Decimal("0.63"), Decimal("0.69")),
    "JPY": (Decimal("0.0064"), Decimal("0.0072")),
}


def rates_by_key(rates) -> dict[tuple[str, date], Decimal]:
    return {(rate.currency, rate.date): rate.rate for rate in rates}


def test_every_demo_currency_has_a_rate_on_the_first_of_each_month_up_to_today():
    rates = demo_fx_rates_build(seed=1, today=TODAY, reporting_currency="USD")
    months = Counter(rate.currency for rate in rates)
    dates = sorted({rate.date for rate in rates})

    assert months == dict.fromkeys(PLAUSIBLE_USD_PER_UNIT, FX_HISTORY_MONTHS + 1)
    assert dates[0] == date(2022, 11, 1)  # 40 months before March 2026
    assert dates[-1] == date(2026, 3, 1)
    assert all(day.day == 1 for day in dates)
    assert len(dates) == FX_HISTORY_MONTHS + 1


@pytest.mark.parametrize("seed", [1, 2, 3, 42])
def test_rates_stay_in_their_plausible_band_and_move(seed):
    rates = demo_fx_rates_build(seed=seed, today=TODAY, reporting_currency="USD")

    for currency, (low, high) in PLAUSIBLE_USD_PER_UNIT.items():
        series = [rate.rate for rate in rates if rate.currency == currency]
        assert all(low <= value <= high for value in series), (currency, min(series), max(series))
        assert len(set(series)) > len(series) / 2, f"{currency} hardly moves"


def test_the_same_seed_gives_the_same_rates_and_another_seed_other_ones():
    first = demo_fx_rates_build(seed=1, today=TODAY, reporting_currency="USD")

    assert demo_fx_rates_build(seed=1, today=TODAY, reporting_currency="USD") == first
    assert rates_by_key(demo_fx_rates_build(seed=2, today=TODAY, reporting_currency="USD")) != rates_by_key(first)


def test_a_month_has_the_same_rate_whatever_today_is():
    now = rates_by_key(demo_fx_rates_build(seed=1, today=TODAY, reporting_currency="USD"))
    later = rates_by_key(demo_fx_rates_build(seed=1, today=date(2026, 7, 2), reporting_currency="USD"))

    shared = set(now) & set(later)
    assert len(shared) == 5 * (FX_HISTORY_MONTHS + 1 - 4)
    assert {key: now[key] for key in shared} == {key: later[key] for key in shared}
    assert ("EUR", date(2026, 7, 1)) in later


def test_another_reporting_currency_gets_cross_rates_including_the_dollar():
    in_usd = rates_by_key(demo_fx_rates_build(seed=1, today=TODAY, reporting_currency="USD"))
    in_eur = rates_by_key(demo_fx_rates_build(seed=1, today=TODAY, reporting_currency="EUR"))
    march = date(2026, 3, 1)

    assert {currency for currency, _day in in_eur} == {"USD", "GBP", "CAD", "AUD", "JPY"}
    assert in_eur[("USD", march)] == (1 / in_usd[("EUR", march)]).quantize(Decimal("0.00000001"))
    assert in_eur[("GBP", march)] == (in_usd[("GBP", march)] / in_usd[("EUR", march)]).quantize(Decimal("0.00000001"))


def test_a_reporting_currency_without_demo_rates_gets_none():
    assert demo_fx_rates_build(seed=1, today=TODAY, reporting_currency="CHF") == ()


@pytest.mark.django_db
def test_loading_inserts_the_missing_rates_only_and_never_changes_an_existing_one():
    rates = demo_fx_rates_build(seed=1, today=TODAY, reporting_currency="USD")
    real = FxRate.objects.create(currency="EUR", date=date(2026, 3, 1), rate=Decimal("1.23456789"), source="ECB")

    created = demo_fx_rates_load(rates=rates)

    assert created == len(rates) - 1
    real.refresh_from_db()
    assert (real.rate, real.source) == (Decimal("1.23456789"), "ECB")
    stored = rates_by_key(FxRate.objects.exclude(pk=real.pk))
    assert stored == {key: value for key, value in rates_by_key(rates).items() if key != ("EUR", date(2026, 3, 1))}
    assert set(FxRate.objects.exclude(pk=real.pk).values_list("source", flat=True)) == {FX_SOURCE}
    assert demo_fx_rates_load(rates=rates) == 0


@pytest.mark.django_db
def test_loading_refreshes_the_reporting_value_of_contracts_that_had_no_rate():
    contract = ContractFactory(currency="GBP", start_date=date(2025, 6, 10), end_date=date(2026, 6, 9))
    assert contract.annual_value_reporting is None  # 10 seats at 100.00 a year, no GBP rate yet

    demo_fx_rates_load(rates=(DemoFxRate("GBP", date(2025, 6, 1), Decimal("1.27000000")),))

    contract.refresh_from_db()
    assert contract.annual_value_reporting == Decimal("1270.00")
    assert contract_refresh_values(contract=contract).annual_value_reporting == Decimal("1270.00")
