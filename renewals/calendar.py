"""iCalendar (RFC 5545) output of cancel-by and end dates, for feeds and email attachments."""

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from icalendar import Alarm, Calendar, Event

from renewals.models import Renewal


def _all_day_event(uid: str, day, summary: str, description: str, url: str) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", summary)
    event.add("description", description)
    event.add("url", url)
    event.add("transp", "TRANSPARENT")
    return event


def renewal_calendar(renewals: Iterable[Renewal], *, name: str = "saasmgr renewals") -> bytes:
    """One all-day event for every cancel-by date (with a reminder a week before) and every end date."""
    calendar = Calendar()
    calendar.add("prodid", "-//saasmgr//renewals//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    site = settings.SITE_URL.rstrip("/")
    for renewal in renewals:
        contract = renewal.contract
        url = site + renewal.get_absolute_url()
        label = f"{contract.vendor.name} · {contract.number}"
        auto = "renews automatically" if contract.auto_renew else "does not renew automatically"
        cancel = _all_day_event(
            f"cancel-by-{renewal.pk}@saasmgr",
            renewal.cancel_by,
            f"Cancel-by: {label}",
            f"Last day to give notice for contract {contract.number} ({auto}). "
            f"Annual value {renewal.baseline_annual} {contract.currency}. {url}",
            url,
        )
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"Cancel-by in 7 days: {label}")
        alarm.add("trigger", timedelta(days=-7))
        cancel.add_component(alarm)
        calendar.add_component(cancel)
        calendar.add_component(
            _all_day_event(
                f"term-end-{renewal.pk}@saasmgr",
                renewal.term_end,
                f"Contract ends: {label}",
                f"Term end of contract {contract.number}. {url}",
                url,
            )
        )
    return calendar.to_ical()
