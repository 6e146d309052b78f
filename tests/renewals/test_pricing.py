"""What each pricing model costs per billing period, per year and over a term."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from renewals.choices import PricingModel
from renewals.pricing import (
    PricingError,
    contract_values,
    line_item_annual_value,
    line_item_term_value,
    parse_tiers,
    period_amount,
    tiered_amount,
)
from saasmgr.core.choices import BillingPeriod

BANDS = [
    {"up_to": 100, "unit_price": "10.00"},
    {"up_to": 500, "unit_price": "8.00"},
    {"up_to": None, "unit_price": "5"},
]


def item(pricing_model=PricingModel.PER_SEAT, *, quantity="10", unit_price="12.00", period=BillingPeriod.MONTHLY, **kw):
    return SimpleNamespace(
        pricing_model=pricing_model,
        quantity=Decimal(quantity),
        unit_price=Decimal(unit_price),
        billing_period=period,
        committed_quantity=kw.get("committed_quantity"),
        tiers=kw.get("tiers", []),
    )


@pytest.mark.parametrize(
    ("line", "per_period"),
    [
        (item(PricingModel.PER_SEAT, quantity="10", unit_price="12.00"), Decimal("120.00")),
        # Usage-based: the committed quantity is what is owed; overage is billed as used.
        (
            item(PricingModel.USAGE, quantity="9000", unit_price="0.02", committed_quantity=Decimal("5000")),
            Decimal("100"),
        ),
        (item(PricingModel.USAGE, quantity="5000", unit_price="0.02"), Decimal("100")),
        (item(PricingModel.PLATFORM_FEE, quantity="3", unit_price="2500.00"), Decimal("2500.00")),
        (item(PricingModel.FLAT, quantity="7", unit_price="999.00"), Decimal("999.00")),
        (item(PricingModel.TIERED, quantity="600", unit_price="0", tiers=BANDS), Decimal("4700")),
    ],
    ids=["per-seat", "usage-committed", "usage-without-commitment", "platform-fee", "flat", "tiered"],
)
def test_period_amount_of_each_pricing_model(line, per_period):
    assert (
        period_amount(
            pricing_model=line.pricing_model,
            quantity=line.quantity,
            unit_price=line.unit_price,
            committed_quantity=line.committed_quantity,
            tiers=line.tiers,
        )
        == per_period
    )


PERIODS_PER_YEAR = {
    BillingPeriod.MONTHLY: 12,
    BillingPeriod.QUARTERLY: 4,
    BillingPeriod.SEMIANNUAL: 2,
    BillingPeriod.ANNUAL: 1,
}


@pytest.mark.parametrize("pricing_model", PricingModel.values)
@pytest.mark.parametrize("period", list(PERIODS_PER_YEAR))
def test_annual_value_of_every_pricing_model_and_recurring_period(pricing_model, period):
    line = item(pricing_model, quantity="150", unit_price="4.00", period=period, tiers=BANDS)
    per_period = {
        PricingModel.PER_SEAT: Decimal("600.00"),  # 150 × 4.00
        PricingModel.USAGE: Decimal("600.00"),  # committed = quantity when not given
        PricingModel.TIERED: Decimal("1400.00"),  # 100 × 10 + 50 × 8
        PricingModel.PLATFORM_FEE: Decimal("4.00"),
        PricingModel.FLAT: Decimal("4.00"),
    }[pricing_model]

    assert line_item_annual_value(line, term_months=12) == per_period * PERIODS_PER_YEAR[period]
    assert line_item_term_value(line, term_months=24) == per_period * PERIODS_PER_YEAR[period] * 2


@pytest.mark.parametrize("pricing_model", PricingModel.values)
def test_a_term_prepaid_amount_is_spread_over_the_term(pricing_model):
    line = item(pricing_model, quantity="1", unit_price="36000.00", period=BillingPeriod.TERM, tiers=[BANDS[-1]])
    per_term = Decimal("5") if pricing_model == PricingModel.TIERED else Decimal("36000.00")

    assert line_item_annual_value(line, term_months=36) == per_term / 36 * 12
    assert line_item_term_value(line, term_months=36) == per_term


def test_a_one_time_fee_has_no_annual_value_but_counts_in_the_total():
    line = item(PricingModel.FLAT, unit_price="5000.00", period=BillingPeriod.ONE_TIME)
    assert line_item_annual_value(line, term_months=12) == Decimal("0")
    assert line_item_term_value(line, term_months=12) == Decimal("5000.00")


def test_contract_values_of_a_three_year_term_with_a_prepaid_line():
    lines = [
        item(PricingModel.PER_SEAT, quantity="50", unit_price="20.00", period=BillingPeriod.MONTHLY),
        item(PricingModel.FLAT, unit_price="90000.00", period=BillingPeriod.TERM),
        item(PricingModel.PLATFORM_FEE, unit_price="1000.00", period=BillingPeriod.QUARTERLY),
        item(PricingModel.FLAT, unit_price="2500.00", period=BillingPeriod.ONE_TIME),
    ]
    annual, total = contract_values(lines, term_months=36)
    # 50 × 20 × 12 + 90,000 / 36 × 12 + 1,000 × 4 + 0
    assert annual == Decimal("46000.00")
    # 50 × 20 × 36 + 90,000 + 1,000 × 12 + 2,500
    assert total == Decimal("140500.00")


def test_contract_values_round_to_cents():
    annual, total = contract_values(
        [item(PricingModel.FLAT, unit_price="100.00", period=BillingPeriod.TERM)], term_months=7
    )
    assert annual == Decimal("171.43")  # 100 / 7 × 12 = 171.428…
    assert total == Decimal("100.00")


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [("0", "0"), ("1", "10.00"), ("100", "1000.00"), ("101", "1008.00"), ("500", "4200.00"), ("501", "4205")],
)
def test_tiered_pricing_is_graduated(quantity, expected):
    assert tiered_amount(Decimal(quantity), BANDS) == Decimal(expected)


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ([], "A tiered line item needs at least one band."),
        ([{"up_to": 100}], "Band 1 needs 'up_to'"),
        ([{"up_to": "abc", "unit_price": "1"}], "Band 1 needs 'up_to'"),
        ([{"up_to": 100, "unit_price": "-1"}], "Band 1 has a negative price."),
        (
            [{"up_to": None, "unit_price": "1"}, {"up_to": 10, "unit_price": "1"}],
            "Only the last band may be open-ended.",
        ),
        ([{"up_to": 100, "unit_price": "1"}, {"up_to": 100, "unit_price": "1"}], "Band 2 must end above 100."),
        (["not a band"], "Band 1 needs 'up_to'"),
    ],
)
def test_bad_tiers_are_refused_with_the_reason(tiers, message):
    with pytest.raises(PricingError, match=message):
        parse_tiers(tiers)


def test_a_quantity_beyond_closed_bands_is_refused():
    with pytest.raises(PricingError, match="The bands end at 100, below the quantity 150"):
        tiered_amount(Decimal("150"), [{"up_to": 100, "unit_price": "1"}])


def test_an_unknown_pricing_model_is_refused():
    with pytest.raises(PricingError, match="Unknown pricing model 'per_banana'"):
        period_amount(pricing_model="per_banana", quantity=Decimal("1"), unit_price=Decimal("1"))
