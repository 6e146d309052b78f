"""Months and fiscal periods: the calendar arithmetic reports, filters and the ledger share."""

from datetime import date

from dateutil.relativedelta import relativedelta
from django.conf import settings


def month_start(day: date, months: int = 0) -> date:
    """The first day of the month ``months`` after (or before, when negative) the month of ``day``."""
    return day.replace(day=1) + relativedelta(months=months)


def fiscal_year_start(day: date, start_month: int | None = None) -> date:
    """The first day of the fiscal year ``day`` falls in (FISCAL_YEAR_START_MONTH=4: 2026-03-31 → 2025-04-01)."""
    start_month = start_month or settings.FISCAL_YEAR_START_MONTH
    return date(day.year if day.month >= start_month else day.year - 1, start_month, 1)
