from datetime import date

from saasmgr.core.dates import fiscal_year_start, month_start


def test_month_start_moves_across_years_both_ways():
    assert month_start(date(2026, 1, 31)) == date(2026, 1, 1)
    assert month_start(date(2026, 1, 31), -1) == date(2025, 12, 1)
    assert month_start(date(2025, 11, 30), 2) == date(2026, 1, 1)
    assert month_start(date(2026, 3, 15), -12) == date(2025, 3, 1)


def test_fiscal_year_start_follows_the_start_month(settings):
    settings.FISCAL_YEAR_START_MONTH = 4
    assert fiscal_year_start(date(2026, 3, 31)) == date(2025, 4, 1)
    assert fiscal_year_start(date(2026, 4, 1)) == date(2026, 4, 1)
    assert fiscal_year_start(date(2026, 3, 31), start_month=1) == date(2026, 1, 1)
