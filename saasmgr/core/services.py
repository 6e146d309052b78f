from datetime import date
from decimal import Decimal

from django.db import transaction

from saasmgr.core.models import FxRate
from saasmgr.core.money import MoneyError, is_currency
from saasmgr.core.signals import fx_rates_changed


def _checked_fx(currency: str, rate: Decimal) -> str:
    currency = currency.strip().upper()
    if not is_currency(currency):
        raise MoneyError(f"{currency!r} is not an ISO 4217 currency code.")
    if rate <= 0:
        raise MoneyError("An exchange rate must be above 0.")
    return currency


def _announce(currencies: set[str]) -> None:
    transaction.on_commit(lambda: fx_rates_changed.send(sender=FxRate, currencies=currencies))


@transaction.atomic
def fx_rate_upsert(*, currency: str, on_date: date, rate: Decimal, source: str = "") -> tuple[FxRate, bool]:
    """Set the rate of one currency from one day on; returns (rate, created)."""
    currency = _checked_fx(currency, rate)
    fx, created = FxRate.objects.update_or_create(
        currency=currency, date=on_date, defaults={"rate": rate, "source": source}
    )
    _announce({currency})
    return fx, created


@transaction.atomic
def fx_rate_update(*, fx_rate: FxRate, **fields) -> FxRate:
    """Change a rate's currency, date, rate or source in place."""
    before = fx_rate.currency
    for name, value in fields.items():
        setattr(fx_rate, name, value)
    fx_rate.currency = _checked_fx(fx_rate.currency, fx_rate.rate)
    fx_rate.save()
    _announce({before, fx_rate.currency})
    return fx_rate


@transaction.atomic
def fx_rate_delete(*, fx_rate: FxRate) -> None:
    currency = fx_rate.currency
    fx_rate.delete()
    _announce({currency})
