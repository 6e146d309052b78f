"""Money and deadline formatting for the renewals pages."""

from datetime import date
from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.html import format_html

register = template.Library()


@register.filter
def money(value, currency: str = "") -> str:
    """12345.6 → "12,345.60", with the currency code after it when given; None → "—"."""
    if value is None or value == "":
        return "—"
    amount = f"{Decimal(value):,.2f}"
    return f"{amount} {currency}" if currency else amount


@register.filter
def price(value) -> str:
    """A unit price with two to four decimals: 61 → "61.00", 2.1250 → "2.125", 0.0125 → "0.0125"."""
    if value is None or value == "":
        return "—"
    text = f"{Decimal(value):,.4f}"
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.rstrip('0').ljust(2, '0')}"


@register.filter
def fx_rate(value) -> str:
    """An exchange rate without its trailing zeros: 1.08500000 → "1.085"."""
    if value is None:
        return "—"
    return f"{Decimal(value).normalize():f}"


@register.filter
def days_until(day: date | None, today: date | None = None) -> int | None:
    if day is None:
        return None
    return (day - (today or timezone.localdate())).days


def deadline_html(day: date | None, today: date, *, warn_within: int = 30, with_date: bool = True) -> str:
    """A cancel-by date with how far off it is: red when it is within ``warn_within`` days, "passed" after."""
    if day is None:
        return "—"
    days = (day - today).days
    if days < 0:
        hint, css = f"passed {-days} d ago", "text-bg-secondary"
    elif days == 0:
        hint, css = "today", "text-bg-danger"
    else:
        hint, css = f"{days} d left", "text-bg-danger" if days <= warn_within else "text-bg-light border"
    badge = format_html('<span class="badge {} deadline" data-days="{}">{}</span>', css, days, hint)
    if not with_date:
        return badge
    return format_html('<span class="text-nowrap">{}</span> {}', day.isoformat(), badge)


@register.simple_tag
def deadline(day: date | None, today: date | None = None) -> str:
    return deadline_html(day, today or timezone.localdate())


@register.simple_tag
def deadline_badge(day: date | None, today: date | None = None) -> str:
    return deadline_html(day, today or timezone.localdate(), with_date=False)
