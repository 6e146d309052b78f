"""The iCalendar output of cancel-by and end dates (feeds and email attachments)."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from icalendar import Calendar

from renewals.calendar import renewal_calendar
from tests.factories import VendorFactory
from tests.renewals.reminder_factories import ReminderContractFactory, renewal_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "https://saasmgr.example.com/"


def events_by_uid(ics: bytes) -> dict:
    return {str(event["uid"]): event for event in Calendar.from_ical(ics).walk("VEVENT")}


def test_each_renewal_has_an_all_day_cancel_by_event_and_an_end_event():
    auto = ReminderContractFactory(
        number="AUTO-1", vendor=VendorFactory(name="Slack"), auto_renew=True, notice_days=45, end_date=date(2028, 2, 29)
    )
    manual = ReminderContractFactory(number="MAN-2", vendor=VendorFactory(name="Zoom"), cancel_by=date(2026, 12, 31))
    renewals = [renewal_of(auto), renewal_of(manual)]

    calendar = Calendar.from_ical(renewal_calendar(renewals, name="Team renewals"))
    events = events_by_uid(renewal_calendar(renewals))

    assert str(calendar["x-wr-calname"]) == "Team renewals"
    assert str(calendar["version"]) == "2.0"
    assert sorted(events) == sorted(
        f"{kind}-{renewal.pk}@saasmgr" for renewal in renewals for kind in ("cancel-by", "term-end")
    )
    cancel = events[f"cancel-by-{renewals[0].pk}@saasmgr"]
    # 29 Feb 2028 minus 45 days of notice
    assert cancel.decoded("dtstart") == date(2028, 1, 15)
    assert cancel.decoded("dtend") == date(2028, 1, 16)
    assert str(cancel["summary"]) == "Cancel-by: Slack · AUTO-1"
    assert "renews automatically" in str(cancel["description"])
    url = "https://saasmgr.example.com" + reverse("renewals:renewal_detail", args=[renewals[0].pk])
    assert str(cancel["url"]) == url
    assert url in str(cancel["description"])
    (alarm,) = cancel.walk("VALARM")
    assert alarm.decoded("trigger") == timedelta(days=-7)

    end = events[f"term-end-{renewals[0].pk}@saasmgr"]
    assert end.decoded("dtstart") == date(2028, 2, 29)
    assert str(end["summary"]) == "Contract ends: Slack · AUTO-1"

    manual_cancel = events[f"cancel-by-{renewals[1].pk}@saasmgr"]
    assert manual_cancel.decoded("dtstart") == date(2026, 12, 31)
    assert "does not renew automatically" in str(manual_cancel["description"])


def test_an_empty_calendar_is_still_a_valid_calendar():
    calendar = Calendar.from_ical(renewal_calendar([]))

    assert calendar.walk("VEVENT") == []
    assert str(calendar["prodid"]) == "-//saasmgr//renewals//EN"


def test_names_with_ical_special_characters_survive_the_round_trip():
    contract = ReminderContractFactory(number="X;1,2", vendor=VendorFactory(name="Acme, Inc; \\ Ltd"))

    renewal = renewal_of(contract)

    cancel = events_by_uid(renewal_calendar([renewal]))[f"cancel-by-{renewal.pk}@saasmgr"]

    assert str(cancel["summary"]) == "Cancel-by: Acme, Inc; \\ Ltd · X;1,2"
