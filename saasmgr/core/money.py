"""Every annualisation and currency conversion of the product goes through here.

Amounts are ``Decimal``; nothing multiplies prices inline elsewhere.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pycountry

from saasmgr.core.choices import BillingPeriod

CENT = Decimal("0.01")
UNIT_PLACES = Decimal("0.0001")
RATE_PLACES = Decimal("0.00000001")
AVERAGE_DAYS_PER_MONTH = Decimal("365.25") / 12
MONTHS_PER_PERIOD = {
    BillingPeriod.MONTHLY: 1,
    BillingPeriod.QUARTERLY: 3,
    BillingPeriod.SEMIANNUAL: 6,
    BillingPeriod.ANNUAL: 12,
}


class MoneyError(ValueError):
    """A money value that cannot be computed; the message says what is missing."""


class MissingFxRate(MoneyError):
    def __init__(self, currency: str, on_date: date, reporting_currency: str):
        self.currency, self.on_date, self.reporting_currency = currency, on_date, reporting_currency
        super().__init__(
            f"No {currency}→{reporting_currency} exchange rate on or before {on_date.isoformat()}. "
            f"Add one under Renewals → Exchange rates."
        )


def round_money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def round_unit_amount(amount: Decimal) -> Decimal:
    """Unit prices and unit costs keep four places, like LineItem.unit_price."""
    return amount.quantize(UNIT_PLACES, rounding=ROUND_HALF_UP)


def is_currency(code: str) -> bool:
    return bool(code) and len(code) == 3 and pycountry.currencies.get(alpha_3=code.upper()) is not None


def currency_choices() -> list[tuple[str, str]]:
    return sorted((c.alpha_3, f"{c.alpha_3} – {c.name}") for c in pycountry.currencies)


def annualise(amount: Decimal, period: str, *, term_months: int | None = None) -> Decimal:
    """Recurring amount per 12 months: monthly × 12, quarterly × 4, a prepaid term total ÷ term months × 12.

    One-time amounts are not recurring and annualise to 0.
    """
    if period == BillingPeriod.ONE_TIME:
        return Decimal("0")
    if period == BillingPeriod.TERM:
        if not term_months:
            raise MoneyError("A prepaid term amount needs the term length in months to be annualised.")
        return amount / Decimal(term_months) * 12
    return amount * Decimal(12 // MONTHS_PER_PERIOD[period])


def total_over_term(amount: Decimal, period: str, *, term_months: int) -> Decimal:
    """What a per-period amount costs over a whole term: amount × periods in the term; one-time and term once."""
    if period in (BillingPeriod.ONE_TIME, BillingPeriod.TERM):
        return amount
    return amount * Decimal(term_months) / Decimal(MONTHS_PER_PERIOD[period])


def months_between(start: date, end: date) -> int:
    """Length of a term that runs from ``start`` to ``end`` inclusive, in whole months (rounded).

    1 Jan–31 Dec is 12; 15 Jan 2025–14 Jan 2028 is 36; a leap day changes nothing.
    """
    if end < start:
        return 0
    days = (end - start).days + 1
    return max(1, round(Decimal(days) / AVERAGE_DAYS_PER_MONTH))


def convert(amount: Decimal, rate: Decimal) -> Decimal:
    """Amount in the reporting currency: amount × the rate in force, rounded to cents."""
    return round_money(amount * rate)
