"""Demo logins: one user per role, named after the role, with a documented password.

The user ``admin`` holds the role admin with the password ``demo-admin``, and
likewise ``it``, ``procurement``, ``finance`` and ``viewer``. ``admin`` is also
staff, so it can open the Django admin site (with its role's permissions, not
as a superuser). An existing user of that name is left exactly as it is: a
changed password or group is a person's decision, not something a re-run undoes.

Demo exchange rates: a month's rate of EUR, GBP, CAD, AUD and JPY, inside a plausible
band, so that every demo contract converts into the reporting currency.
"""

import math
import random
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import Group
from django.db import transaction

from saasmgr.core.choices import Role
from saasmgr.core.models import FxRate
from saasmgr.core.signals import fx_rates_changed


class DemoDataInProductionError(Exception):
    """Demo logins have published passwords; production needs an explicit opt-in."""


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str
    created: bool
    password_works: bool  # False when someone has changed the demo password since


def demo_password(username: str) -> str:
    return f"demo-{username}"


def demo_production_guard(*, allow_production: bool) -> None:
    """Raise unless this is not production or the caller opted in."""
    if settings.PRODUCTION and not allow_production:
        raise DemoDataInProductionError(
            "Refusing to create demo data and demo logins with published passwords in production "
            "(DJANGO_ENV=production). Pass --allow-production if you really mean it."
        )


@transaction.atomic
def demo_users_ensure(*, allow_production: bool = False) -> list[DemoLogin]:
    """Create the missing demo users, one per role; leave existing ones untouched."""
    demo_production_guard(allow_production=allow_production)
    return [_demo_user_ensure(Role(role)) for role in Role.values]


def _demo_user_ensure(role: Role) -> DemoLogin:
    username, password = role.value, demo_password(role.value)
    user = get_user_model().objects.filter(username=username).first()
    if user is not None:
        # check_password from the hashers module never re-saves the user (the model method may).
        works = check_password(password, user.password)
        return DemoLogin(role.value, username, password, created=False, password_works=works)
    user = get_user_model().objects.create_user(
        username=username,
        password=password,
        first_name="Demo",
        last_name=str(role.label),
        is_staff=role == Role.ADMIN,
    )
    group, _ = Group.objects.get_or_create(name=role.value)
    user.groups.add(group)
    return DemoLogin(role.value, username, password, created=True, password_works=True)


# --- Exchange rates ---------------------------------------------------------

FX_SOURCE = "seed_demo (demo rates)"
FX_HISTORY_MONTHS = 40  # back past the start of a 36-month term ending soon, so every demo contract has a rate
# Where each currency trades against the US dollar (USD per unit): (centre, half-width of the band).
FX_USD_BANDS: dict[str, tuple[Decimal, Decimal]] = {
    "EUR": (Decimal("1.085"), Decimal("0.035")),
    "GBP": (Decimal("1.27"), Decimal("0.05")),
    "CAD": (Decimal("0.74"), Decimal("0.02")),
    "AUD": (Decimal("0.66"), Decimal("0.03")),
    "JPY": (Decimal("0.0068"), Decimal("0.0004")),
}
FX_CYCLE_MONTHS = 29  # the slow swing of each rate, so a chart of it looks like a market, not noise
RATE_QUANTUM = Decimal("0.00000001")


@dataclass(frozen=True)
class DemoFxRate:
    currency: str
    date: date
    rate: Decimal  # units of the reporting currency per unit of ``currency``


def demo_fx_rates_build(*, seed: int, today: date, reporting_currency: str) -> tuple[DemoFxRate, ...]:
    """Monthly rates, on the 1st, of every demo currency over the past FX_HISTORY_MONTHS months up to ``today``.

    A month's rate depends only on the seed, the currency and the month, never on ``today``: a later run
    adds the new months and agrees with the rates already stored. Rates are quoted against the US dollar
    and crossed into the reporting currency; a reporting currency the demo does not know gets no rates.
    """
    usd_per_unit = {"USD": lambda _month: Decimal("1")}
    for currency in FX_USD_BANDS:
        usd_per_unit[currency] = _usd_rate_path(seed, currency)
    if reporting_currency not in usd_per_unit:
        return ()
    months = _months_back(today, FX_HISTORY_MONTHS)
    rates = []
    for currency, path in usd_per_unit.items():
        if currency == reporting_currency:
            continue
        for month in months:
            cross = path(month) / usd_per_unit[reporting_currency](month)
            rates.append(DemoFxRate(currency, month, cross.quantize(RATE_QUANTUM, rounding=ROUND_HALF_UP)))
    return tuple(rates)


def _months_back(today: date, count: int) -> list[date]:
    """The 1st of this month and of the ``count`` months before it, oldest first."""
    index = today.year * 12 + today.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - count, index + 1)]


def _usd_rate_path(seed: int, currency: str):
    centre, half_width = FX_USD_BANDS[currency]
    # Seeding with a string is stable across processes (it is hashed with SHA-512, not hash()).
    phase = random.Random(f"{seed}:fx:{currency}").uniform(0, 2 * math.pi)
    places = Decimal("0.000001") if centre < 1 else Decimal("0.0001")

    def rate_in(month: date) -> Decimal:
        index = month.year * 12 + month.month
        swing = 0.7 * math.sin(2 * math.pi * index / FX_CYCLE_MONTHS + phase)
        noise = random.Random(f"{seed}:fx:{currency}:{month.isoformat()}").uniform(-0.3, 0.3)
        return (centre + half_width * Decimal(str(round(swing + noise, 6)))).quantize(places)

    return rate_in


@transaction.atomic
def demo_fx_rates_load(*, rates: tuple[DemoFxRate, ...]) -> int:
    """Insert the rates whose (currency, date) has none yet; an existing rate, demo or real, is never changed."""
    taken = set(FxRate.objects.values_list("currency", "date"))
    new = [
        FxRate(currency=r.currency, date=r.date, rate=r.rate, source=FX_SOURCE)
        for r in rates
        if (r.currency, r.date) not in taken
    ]
    FxRate.objects.bulk_create(new, batch_size=1000)
    if new:
        # Sent now rather than on commit: only contracts that exist before the demo contracts need the
        # refresh, and the demo contracts created later in this transaction already use these rates.
        fx_rates_changed.send(sender=FxRate, currencies={rate.currency for rate in new})
    return len(new)
