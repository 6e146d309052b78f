"""Every Savings Center formula of DESIGN.md section 3, pinned with worked examples."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from savings.formulas import (
    priority,
    reclaim_annual_savings,
    renegotiate_savings,
    renewal_outcome_savings,
    right_size_seats,
    utilisation,
    value_changed_materially,
)

D = Decimal


def test_reclaim_is_seats_times_annual_unit_cost():
    assert reclaim_annual_savings(3, D("1200.0000")) == D("3600.00")
    assert reclaim_annual_savings(7, D("143.8750")) == D("1007.13")  # 1007.125 rounds half up
    assert reclaim_annual_savings(0, D("99")) == D("0.00")


def test_renewal_outcome_first_design_example_is_all_avoidance():
    # B=100k, Q=112k, F=105k: we pay more than before (no savings) but 7k less than quoted.
    result = renewal_outcome_savings(baseline=D("100000"), quote=D("112000"), final=D("105000"))
    assert (result.cost_savings, result.cost_avoidance) == (D("0.00"), D("7000.00"))


def test_renewal_outcome_second_design_example_has_both():
    # F=95k: 5k less than before, and 12k less than the quote above the baseline.
    result = renewal_outcome_savings(baseline=D("100000"), quote=D("112000"), final=D("95000"))
    assert (result.cost_savings, result.cost_avoidance) == (D("5000.00"), D("12000.00"))


def test_renewal_outcome_without_a_quote_avoids_nothing_and_a_rise_saves_nothing():
    assert renewal_outcome_savings(baseline=D("100"), quote=None, final=D("80")).cost_avoidance == D("0.00")
    result = renewal_outcome_savings(baseline=D("100"), quote=D("100"), final=D("110"))
    assert (result.cost_savings, result.cost_avoidance) == (D("0.00"), D("0.00"))


def test_a_cancelled_renewal_saves_the_whole_baseline():
    result = renewal_outcome_savings(baseline=D("24000"), quote=D("26400"), final=D("0"))
    assert (result.cost_savings, result.cost_avoidance) == (D("24000.00"), D("2400.00"))


@pytest.mark.parametrize(
    ("active", "buffer", "seats"),
    [
        (80, D("0.10"), 88),  # 80 × 1.1 = 88 exactly
        (81, D("0.10"), 90),  # 89.1 rounds up: a seat is whole
        (0, D("0.10"), 0),
        (40, D("0.25"), 50),
    ],
)
def test_right_size_recommends_active_in_90_days_plus_the_buffer(active, buffer, seats):
    assert right_size_seats(active, buffer=buffer) == seats


def test_priority_is_the_savings_until_the_horizon_then_rises_to_triple():
    today = date(2026, 1, 1)
    savings = D("10000")
    assert priority(savings, deadline=None, today=today, horizon_days=90) == D("10000.00")
    assert priority(savings, deadline=today + timedelta(days=200), today=today, horizon_days=90) == D("10000.00")
    assert priority(savings, deadline=today + timedelta(days=90), today=today, horizon_days=90) == D("10000.00")
    assert priority(savings, deadline=today + timedelta(days=45), today=today, horizon_days=90) == D("20000.00")
    assert priority(savings, deadline=today + timedelta(days=30), today=today, horizon_days=90) == D("23333.33")
    assert priority(savings, deadline=today, today=today, horizon_days=90) == D("30000.00")
    assert priority(savings, deadline=today - timedelta(days=5), today=today, horizon_days=90) == D("30000.00")
    assert priority(None, deadline=today, today=today, horizon_days=90) == D("0")


def test_a_near_small_saving_can_outrank_a_far_bigger_one():
    today = date(2026, 1, 1)
    near = priority(D("6000"), deadline=today + timedelta(days=9), today=today, horizon_days=90)
    far = priority(D("15000"), deadline=today + timedelta(days=300), today=today, horizon_days=90)
    assert near == D("16800.00") and near > far


def test_utilisation_is_active_over_purchased():
    assert utilisation(25, 100) == D("0.25")
    assert utilisation(3, 0) is None
    assert utilisation(3, None) is None


def test_a_dismissed_value_comes_back_only_on_a_material_change():
    assert not value_changed_materially(D("1000"), D("1200"), threshold=D("0.25"))
    assert value_changed_materially(D("1000"), D("1250"), threshold=D("0.25"))
    assert value_changed_materially(D("1000"), D("700"), threshold=D("0.25"))
    assert value_changed_materially(None, D("10"), threshold=D("0.25"))


def test_renegotiate_counts_the_rise_above_the_cap():
    # baseline 100k, cap 5%: anything quoted above 105k is the rise to push back on
    assert renegotiate_savings(quote=D("112000"), baseline=D("100000"), cap_pct=D("5")) == D("7000.00")
    assert renegotiate_savings(quote=D("104000"), baseline=D("100000"), cap_pct=D("5")) == D("0.00")
    assert renegotiate_savings(quote=D("1033.33"), baseline=D("1000"), cap_pct=D("3")) == D("3.33")
