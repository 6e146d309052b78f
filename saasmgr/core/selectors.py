from bisect import bisect_right
from datetime import date
from decimal import Decimal

from django.conf import settings

from saasmgr.core.models import FxRate
from saasmgr.core.money import MissingFxRate


def fx_rate_on(currency: str, on_date: date) -> Decimal:
    """The rate in force on ``on_date``: the latest one dated on or before it."""
    currency = currency.upper()
    if currency == settings.REPORTING_CURRENCY:
        return Decimal("1")
    rate = (
        FxRate.objects.filter(currency=currency, date__lte=on_date)
        .order_by("-date")
        .values_list("rate", flat=True)
        .first()
    )
    if rate is None:
        raise MissingFxRate(currency, on_date, settings.REPORTING_CURRENCY)
    return rate


class FxRateBook:
    """Every rate of some currencies loaded once, for pages that convert many figures."""

    def __init__(self, currencies):
        self.reporting = settings.REPORTING_CURRENCY
        wanted = {c.upper() for c in currencies} - {self.reporting}
        self._rates: dict[str, list[tuple[date, Decimal]]] = {c: [] for c in wanted}
        for currency, day, rate in (
            FxRate.objects.filter(currency__in=wanted)
            .order_by("currency", "date")
            .values_list("currency", "date", "rate")
        ):
            self._rates[currency].append((day, rate))

    def rate_on(self, currency: str, on_date: date) -> Decimal:
        currency = currency.upper()
        if currency == self.reporting:
            return Decimal("1")
        history = self._rates.get(currency, [])
        index = bisect_right(history, on_date, key=lambda entry: entry[0])
        if index == 0:
            raise MissingFxRate(currency, on_date, self.reporting)
        return history[index - 1][1]
