"""The Savings Center's formulas (DESIGN.md section 3), as pure functions the tests pin with worked examples.

Amounts are ``Decimal`` in one currency; conversion is ``saasmgr.core.money.convert`` at the effective date.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal

from saasmgr.core.money import round_money

ZERO = Decimal("0")
ONE = Decimal("1")


def reclaim_annual_savings(seats: int, annual_unit_cost: Decimal) -> Decimal:
    """Reclaim or cancel N seats of a pool: N × annual unit cost (cost savings, annual recurring)."""
    return round_money(Decimal(seats) * annual_unit_cost)


@dataclass(frozen=True)
class RenewalSavings:
    cost_savings: Decimal
    cost_avoidance: Decimal


def renewal_outcome_savings(*, baseline: Decimal, quote: Decimal | None, final: Decimal) -> RenewalSavings:
    """Savings = max(0, B − F); avoidance = max(0, Q − max(F, B)). With no quote there is nothing avoided."""
    savings = max(ZERO, baseline - final)
    avoidance = max(ZERO, quote - max(final, baseline)) if quote is not None else ZERO
    return RenewalSavings(round_money(savings), round_money(avoidance))


def renegotiate_savings(*, quote: Decimal, baseline: Decimal, cap_pct: Decimal) -> Decimal:
    """The rise above the cap = quote − baseline × (1 + cap ÷ 100), never below 0."""
    return round_money(max(ZERO, quote - baseline * (1 + cap_pct / 100)))


def right_size_seats(active_90_days: int, *, buffer: Decimal) -> int:
    """Recommended seats = active users in the last 90 days × (1 + buffer), rounded up to whole seats."""
    return int((Decimal(active_90_days) * (ONE + buffer)).to_integral_value(rounding=ROUND_CEILING))


def priority(savings: Decimal | None, *, deadline: date | None, today: date, horizon_days: int) -> Decimal:
    """Priority = S × (1 + 2 × u), where u = (H − d) ÷ H clamped to [0, 1], d = days left to the deadline and
    H the horizon: the savings alone while the deadline is H days or more away (or there is none), rising
    linearly to triple the savings on the deadline and after it. No known value ranks 0."""
    if savings is None:
        return ZERO
    if deadline is None or horizon_days <= 0:
        return round_money(savings)
    days_left = (deadline - today).days
    urgency = min(ONE, max(ZERO, Decimal(horizon_days - days_left) / Decimal(horizon_days)))
    return round_money(savings * (ONE + 2 * urgency))


def utilisation(active_seats: int, purchased_seats: int | None) -> Decimal | None:
    """Active assigned seats ÷ purchased seats; None when the purchased count is unknown or zero."""
    if not purchased_seats:
        return None
    return Decimal(active_seats) / Decimal(purchased_seats)


def value_changed_materially(old: Decimal | None, new: Decimal | None, *, threshold: Decimal) -> bool:
    """A dismissed opportunity comes back when its value moved by at least ``threshold`` (a fraction) of the
    value it had when it was dismissed, either way."""
    if old is None or new is None:
        return old is not new
    if old == 0:
        return new != 0
    return abs(new - old) / abs(old) >= threshold
