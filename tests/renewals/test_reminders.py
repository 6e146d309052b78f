"""Renewal reminders: which stage is due, who gets it, and that each email goes out exactly once."""

import smtplib
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from renewals.choices import ContractStatus, DeliveryStatus, RenewalDecision, RenewalStage
from renewals.models import DigestDelivery, ReminderDelivery
from renewals.reminders import due_stage, renewal_reminders_send
from renewals.services import renewal_update
from renewals.tasks import renewal_reminders_send_task
from saasmgr.core.choices import Role
from saasmgr.core.services import fx_rate_upsert
from tests.conftest import database_url_is_postgres, free_port
from tests.factories import ApplicationFactory, PersonFactory, UserFactory, VendorFactory
from tests.renewals.reminder_factories import ReminderContractFactory, renewal_of

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 4)  # a Wednesday
DEFAULT_STAGES = [120, 90, 60, 30, 14, 7, 1]


@pytest.fixture(autouse=True)
def _reminder_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://saasmgr.example.com"
    settings.REPORTING_CURRENCY = "USD"
    settings.REMINDER_CLAIM_TIMEOUT_MINUTES = 15
    settings.RENEWAL_DIGEST_HORIZON_DAYS = 90


def reminders(messages) -> list:
    return [m for m in messages if "X-Saasmgr-Renewal" in m.extra_headers]


def digests(messages) -> list:
    return [m for m in messages if "X-Saasmgr-Renewal" not in m.extra_headers]


def stage_of(message) -> int:
    return int(message.extra_headers["X-Saasmgr-Stage"])


def run_days(first: date, last: date) -> list[tuple[date, object]]:
    """Run the daily job on every day from ``first`` to ``last``; returns (day, email) for each email sent."""
    log = []
    day = first
    while day <= last:
        before = len(mail.outbox)
        renewal_reminders_send(today=day)
        log.extend((day, message) for message in mail.outbox[before:])
        day += timedelta(days=1)
    return log


def owner_schedule(log, contract) -> list[tuple[int, int]]:
    """(days before cancel-by, stage) of every reminder the contract's owner got, in order."""
    renewal = renewal_of(contract)
    return [
        ((renewal.cancel_by - day).days, stage_of(m))
        for day, m in log
        if m.to == [contract.owner.email] and m.extra_headers["X-Saasmgr-Renewal"] == str(renewal.pk)
    ]


# Which stage is due


@pytest.mark.parametrize(
    ("days_left", "expected"),
    [
        (200, None),
        (121, None),
        (120, 120),
        (119, 120),
        (91, 120),
        (90, 90),
        (31, 60),
        (30, 30),
        (15, 30),
        (14, 14),
        (8, 14),
        (7, 7),
        (2, 7),
        (1, 1),
        (0, 1),
    ],
)
def test_due_stage_is_the_latest_stage_whose_day_has_come(days_left, expected):
    assert due_stage(DEFAULT_STAGES, days_left) == expected


def test_default_stages_are_120_90_60_30_14_7_1_days_before_cancel_by(settings):
    assert settings.RENEWAL_REMINDER_STAGES == DEFAULT_STAGES
    contract = ReminderContractFactory(cancel_by=TODAY + timedelta(days=125))

    log = run_days(TODAY, TODAY + timedelta(days=130))

    assert owner_schedule(log, contract) == [(stage, stage) for stage in DEFAULT_STAGES]


def test_a_contract_overrides_the_stages(settings):
    settings.RENEWAL_REMINDER_STAGES = DEFAULT_STAGES
    special = ReminderContractFactory(cancel_by=TODAY + timedelta(days=50), reminder_stages=[45, 10])
    ordinary = ReminderContractFactory(cancel_by=TODAY + timedelta(days=50))
    early = ReminderContractFactory(cancel_by=TODAY + timedelta(days=185), reminder_stages=[180])

    log = run_days(TODAY + timedelta(days=5), TODAY + timedelta(days=55))

    assert owner_schedule(log, special) == [(45, 45), (10, 10)]
    assert owner_schedule(log, ordinary) == [(45, 60), (30, 30), (14, 14), (7, 7), (1, 1)]
    # Further out than any global stage, yet its own stage is honoured.
    assert owner_schedule(log, early) == [(180, 180)]


def test_the_global_setting_changes_the_stages_of_contracts_without_their_own(settings):
    settings.RENEWAL_REMINDER_STAGES = [150, 21, 3]
    ordinary = ReminderContractFactory(cancel_by=TODAY + timedelta(days=160))
    special = ReminderContractFactory(cancel_by=TODAY + timedelta(days=160), reminder_stages=[100])

    log = run_days(TODAY, TODAY + timedelta(days=161))

    assert owner_schedule(log, ordinary) == [(150, 150), (21, 21), (3, 3)]
    assert owner_schedule(log, special) == [(100, 100)]


def test_an_unreadable_stage_override_falls_back_to_the_global_stages_without_stopping_the_run():
    broken = ReminderContractFactory(cancel_by=TODAY + timedelta(days=30))
    type(broken).objects.filter(pk=broken.pk).update(reminder_stages=["soon", 10])
    other = ReminderContractFactory(cancel_by=TODAY + timedelta(days=45), reminder_stages=[45])

    log = run_days(TODAY, TODAY)

    assert owner_schedule(log, broken) == [(30, 30)]
    assert owner_schedule(log, other) == [(45, 45)]


# Who gets it


def test_recipients_are_owner_app_owners_procurement_and_extra_emails_deduplicated_ignoring_case():
    owner = UserFactory(username="olivia", email="Olivia.Owner@Example.com")
    UserFactory(username="pat", email="pat@example.com", roles=[Role.PROCUREMENT])
    UserFactory(username="quinn", email="Quinn@Example.com", roles=[Role.PROCUREMENT])
    UserFactory(username="gone", email="gone@example.com", roles=[Role.PROCUREMENT], is_active=False)
    UserFactory(username="ivan", email="ivan@example.com", roles=[Role.IT])
    shared = PersonFactory(email="shared.owner@example.com")
    vendor = VendorFactory(name="Acme")
    apps = [
        ApplicationFactory(vendor=vendor, business_owner=shared, it_owner=PersonFactory(email="it.one@example.com")),
        ApplicationFactory(vendor=vendor, business_owner=PersonFactory(email="QUINN@example.com"), it_owner=shared),
    ]
    ReminderContractFactory(
        vendor=vendor,
        owner=owner,
        applications=apps,
        cancel_by=TODAY + timedelta(days=30),
        extra_recipients="olivia.owner@example.com; Extra.One@example.com,extra.two@example.com , ;",
    )

    renewal_reminders_send(today=TODAY)

    assert sorted(m.to[0] for m in reminders(mail.outbox)) == [
        "extra.one@example.com",
        "extra.two@example.com",
        "it.one@example.com",
        "olivia.owner@example.com",
        "pat@example.com",
        "quinn@example.com",
        "shared.owner@example.com",
    ]
    assert all(len(m.to) == 1 for m in mail.outbox)


def test_people_who_left_get_no_reminders_and_extra_emails_split_on_newlines():
    departed_owner = UserFactory(username="left", email="left@example.com", is_active=False)
    app = ApplicationFactory(
        business_owner=PersonFactory(email="gone.person@example.com", status="terminated", termination_date=TODAY),
        it_owner=PersonFactory(email="still.here@example.com"),
    )
    ReminderContractFactory(
        vendor=app.vendor,
        owner=departed_owner,
        applications=[app],
        cancel_by=TODAY + timedelta(days=30),
        extra_recipients="first@example.com\nsecond@example.com",
    )

    renewal_reminders_send(today=TODAY)

    assert sorted(m.to[0] for m in reminders(mail.outbox)) == [
        "first@example.com",
        "second@example.com",
        "still.here@example.com",
    ]


# Exactly once


def test_running_twice_on_the_same_day_sends_nothing_the_second_time():
    contract = ReminderContractFactory(cancel_by=TODAY + timedelta(days=30))

    first = renewal_reminders_send(today=TODAY)
    sent_after_first = len(mail.outbox)
    with CaptureQueriesContext(connection) as queries:
        second = renewal_reminders_send(today=TODAY)

    assert sent_after_first == 3 == len(first.sent)
    assert len(mail.outbox) == 3
    assert second.sent == [] and second.failed == []
    assert second.skipped_already_sent == 3
    # Work already done is recognised from the delivery rows, without trying to claim it again.
    assert not [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    rows = ReminderDelivery.objects.filter(renewal=renewal_of(contract))
    assert (
        sorted((r.stage_days, r.status, r.attempts, r.for_date) for r in rows)
        == [(30, DeliveryStatus.SENT, 1, TODAY)] * 3
    )


def test_the_next_days_of_the_same_stage_send_nothing_more():
    contract = ReminderContractFactory(cancel_by=TODAY + timedelta(days=30))

    log = run_days(TODAY, TODAY + timedelta(days=15))

    assert owner_schedule(log, contract) == [(30, 30)]


def test_a_claim_held_by_another_run_is_left_alone_until_it_goes_stale(settings):
    contract = ReminderContractFactory(cancel_by=TODAY + timedelta(days=30))
    renewal = renewal_of(contract)
    fresh = ReminderDelivery.objects.create(
        renewal=renewal,
        stage_days=30,
        recipient=contract.owner.email,
        status=DeliveryStatus.CLAIMED,
        for_date=TODAY,
        claimed_at=timezone.now() - timedelta(minutes=14),
        attempts=1,
    )

    renewal_reminders_send(today=TODAY)

    assert contract.owner.email not in [m.to[0] for m in mail.outbox]
    assert len(mail.outbox) == 2
    fresh.refresh_from_db()
    assert fresh.status == DeliveryStatus.CLAIMED and fresh.attempts == 1

    # The worker that claimed it died: after the timeout the next run sends it.
    ReminderDelivery.objects.filter(pk=fresh.pk).update(claimed_at=timezone.now() - timedelta(minutes=16))
    renewal_reminders_send(today=TODAY)

    assert [m.to[0] for m in mail.outbox[2:]] == [contract.owner.email]
    fresh.refresh_from_db()
    assert (fresh.status, fresh.attempts, fresh.error) == (DeliveryStatus.SENT, 2, "")


def test_a_failed_send_is_recorded_and_retried_on_the_next_run(settings):
    contract = ReminderContractFactory(cancel_by=TODAY + timedelta(days=30))
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens there
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False

    summary = renewal_reminders_send(today=TODAY)

    assert summary.sent == [] and len(summary.failed) == 3
    rows = list(ReminderDelivery.objects.filter(renewal=renewal_of(contract)))
    assert {(r.status, r.attempts) for r in rows} == {(DeliveryStatus.FAILED, 1)}
    assert all("ConnectionRefusedError" in r.error for r in rows)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    retry = renewal_reminders_send(today=TODAY + timedelta(days=1))

    assert len(retry.sent) == 3 and retry.failed == []
    assert sorted((stage_of(m), m.to[0]) for m in mail.outbox) == sorted((30, r.recipient) for r in rows)
    assert "in 29 days" in mail.outbox[0].subject
    assert {(r.status, r.attempts, r.error) for r in ReminderDelivery.objects.all()} == {(DeliveryStatus.SENT, 2, "")}


def test_an_email_that_cannot_be_built_is_recorded_as_failed_and_the_run_goes_on(monkeypatch):
    broken = ReminderContractFactory(cancel_by=TODAY + timedelta(days=30))
    fine = ReminderContractFactory(cancel_by=TODAY + timedelta(days=30))
    import renewals.reminders

    real_calendar = renewals.reminders.renewal_calendar

    def calendar_that_breaks_on(renewals):
        renewals = list(renewals)
        if renewals[0].contract_id == broken.pk:
            raise RuntimeError("calendar exploded")
        return real_calendar(renewals)

    monkeypatch.setattr(renewals.reminders, "renewal_calendar", calendar_that_breaks_on)

    summary = renewal_reminders_send(today=TODAY)

    assert sorted(m.extra_headers["X-Saasmgr-Renewal"] for m in mail.outbox) == [str(renewal_of(fine).pk)] * 3
    assert len(summary.failed) == 3
    failed = ReminderDelivery.objects.filter(renewal=renewal_of(broken))
    assert {(r.status, r.error) for r in failed} == {(DeliveryStatus.FAILED, "RuntimeError: calendar exploded")}

    monkeypatch.setattr(renewals.reminders, "renewal_calendar", real_calendar)
    renewal_reminders_send(today=TODAY)

    assert sorted(m.to[0] for m in mail.outbox[3:]) == sorted(r.recipient for r in failed)


class SlowLocmemBackend(locmem.EmailBackend):
    """Takes a little time per email, as SMTP does, so that two runs overlap."""

    def send_messages(self, messages):
        time.sleep(0.01)
        return super().send_messages(messages)


@pytest.mark.skipif(
    not database_url_is_postgres(),
    reason="two runs on separate connections at once need PostgreSQL (set DATABASE_URL=postgres://...)",
)
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_on_separate_connections_send_each_email_once(settings):
    settings.EMAIL_BACKEND = "tests.renewals.test_reminders.SlowLocmemBackend"
    # An earlier transactional test may have flushed the role groups that a migration made.
    Group.objects.get_or_create(name=Role.PROCUREMENT)
    UserFactory(username="pat", roles=[Role.PROCUREMENT])
    UserFactory(username="quinn", roles=[Role.PROCUREMENT])
    contracts = [ReminderContractFactory(cancel_by=TODAY + timedelta(days=30 + i % 2)) for i in range(6)]
    expected = 6 * 5  # owner, two application owners, two procurement users
    start = threading.Barrier(2)

    def run_in_own_connection(_):
        try:
            start.wait(timeout=10)
            return renewal_reminders_send(today=TODAY)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        summaries = list(pool.map(run_in_own_connection, range(2)))

    sent = Counter((m.extra_headers["X-Saasmgr-Renewal"], m.to[0]) for m in reminders(mail.outbox))
    assert len(sent) == expected and set(sent.values()) == {1}
    assert sum(len(s.sent) for s in summaries) == expected
    assert sum(s.skipped_already_sent for s in summaries) == expected
    assert Counter(m.to[0] for m in digests(mail.outbox)) == {"pat@example.com": 1, "quinn@example.com": 1}
    assert set(ReminderDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert ReminderDelivery.objects.count() == expected
    assert {renewal_of(c).pk for c in contracts} == {int(r) for r, _ in sent}


# Outages


def test_after_an_outage_only_the_latest_missed_stage_goes_out_and_later_stages_follow():
    early = ReminderContractFactory(cancel_by=TODAY + timedelta(days=90))
    late = ReminderContractFactory(cancel_by=TODAY + timedelta(days=69))

    before = run_days(TODAY, TODAY + timedelta(days=54))  # early: 90..36 days left; late: 69..15
    # The job is down for 10 days.
    back = TODAY + timedelta(days=65)  # early: 25 days left (missed 30); late: 4 (missed 14 and 7)
    after = run_days(back, TODAY + timedelta(days=91))

    assert owner_schedule(before, early) == [(90, 90), (60, 60)]
    assert owner_schedule(before, late) == [(69, 90), (60, 60), (30, 30)]
    assert owner_schedule(after, early) == [(25, 30), (14, 14), (7, 7), (1, 1)]
    assert owner_schedule(after, late) == [(4, 7), (1, 1)]
    assert len([m for day, m in after if day == back]) == 6  # one stage each, to their three recipients


def test_the_first_run_sends_the_latest_stage_only_not_every_stage_already_passed():
    contract = ReminderContractFactory(cancel_by=TODAY + timedelta(days=10))

    renewal_reminders_send(today=TODAY)

    assert [stage_of(m) for m in mail.outbox if m.to == [contract.owner.email]] == [14]
    assert "Cancel-by in 10 days" in mail.outbox[0].subject


# When reminders stop


def test_reminders_stop_once_the_renewal_is_decided():
    contract = ReminderContractFactory(cancel_by=TODAY + timedelta(days=60))
    log = run_days(TODAY, TODAY + timedelta(days=20))
    renewal_update(renewal=renewal_of(contract), user=None, stage=RenewalStage.DECIDED, decision=RenewalDecision.RENEW)

    later = run_days(TODAY + timedelta(days=21), TODAY + timedelta(days=61))

    assert owner_schedule(log, contract) == [(60, 60)]
    assert later == []


@pytest.mark.parametrize("stage", [RenewalStage.DECIDED, RenewalStage.CLOSED])
def test_no_reminder_for_a_decided_or_closed_renewal(stage):
    contract = ReminderContractFactory(cancel_by=TODAY + timedelta(days=30))
    type(renewal_of(contract)).objects.filter(contract=contract).update(stage=stage, decision=RenewalDecision.CANCEL)

    summary = renewal_reminders_send(today=TODAY)

    assert mail.outbox == [] and summary.sent == []


@pytest.mark.parametrize("status", [ContractStatus.DRAFT, ContractStatus.EXPIRED, ContractStatus.CANCELLED])
def test_no_reminder_for_a_contract_that_is_not_active(status):
    contract = ReminderContractFactory(cancel_by=TODAY + timedelta(days=30))
    type(contract).objects.filter(pk=contract.pk).update(status=status)

    renewal_reminders_send(today=TODAY)

    assert mail.outbox == []
    assert not ReminderDelivery.objects.exists()


def test_no_reminder_after_the_cancel_by_date():
    ReminderContractFactory(cancel_by=TODAY - timedelta(days=1))

    renewal_reminders_send(today=TODAY)

    assert mail.outbox == []


# The email


@pytest.fixture
def eur_contract():
    owner = UserFactory(username="olivia", email="olivia@example.com", first_name="Olivia", last_name="Owner")
    vendor = VendorFactory(name="Atlassian")
    apps = [
        ApplicationFactory(name="Jira", vendor=vendor, business_owner=PersonFactory(), it_owner=PersonFactory()),
        ApplicationFactory(name="Confluence", vendor=vendor),
    ]
    return ReminderContractFactory(
        number="ATL-2026",
        vendor=vendor,
        owner=owner,
        applications=apps,
        currency="EUR",
        auto_renew=True,
        notice_days=60,
        annual_price=Decimal("12000.00"),
        cancel_by=TODAY + timedelta(days=30),
    )


def test_the_email_has_every_fact_in_both_parts_and_a_calendar_attachment(eur_contract):
    fx_rate_upsert(currency="EUR", on_date=date(2020, 1, 1), rate=Decimal("1.1"))
    renewal = renewal_of(eur_contract)

    renewal_reminders_send(today=TODAY)

    message = next(m for m in mail.outbox if m.to == ["olivia@example.com"])
    assert message.subject == "Cancel-by in 30 days: Confluence, Jira (Atlassian), contract ATL-2026"
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    link = "https://saasmgr.example.com" + reverse("renewals:renewal_detail", args=[renewal.pk])
    for part in (message.body, html):
        assert "Confluence, Jira" in part
        assert "Atlassian" in part
        assert "ATL-2026" in part
        assert "12000.00 EUR" in part
        assert "13200.00 USD" in part
        assert "Fri 3 Apr 2026" in part  # cancel-by
        assert "30 days left" in part
        assert "Olivia Owner" in part and "olivia@example.com" in part
        assert link in part
    assert "Auto-renew:    YES" in message.body
    assert '<strong style="color:#b02a37">Yes</strong>' in html
    assert f'href="{link}"' in html

    ((filename, content, ics_type),) = message.attachments
    assert (filename, ics_type) == ("cancel-by-ATL-2026.ics", "text/calendar")
    events = {str(e["uid"]): e for e in Calendar.from_ical(content).walk("VEVENT")}
    assert events[f"cancel-by-{renewal.pk}@saasmgr"].decoded("dtstart") == date(2026, 4, 3)
    assert events[f"term-end-{renewal.pk}@saasmgr"].decoded("dtstart") == date(2026, 6, 2)


def test_a_contract_without_auto_renew_says_so():
    ReminderContractFactory(cancel_by=TODAY + timedelta(days=30), auto_renew=False)

    renewal_reminders_send(today=TODAY)

    assert "Auto-renew:    no" in mail.outbox[0].body
    assert '<th align="left">Auto-renew</th><td>No</td>' in mail.outbox[0].alternatives[0][0]


def test_a_missing_exchange_rate_is_said_plainly_never_shown_as_zero_or_one(eur_contract):
    # The email converts at the rate in force when the term started, as the contract pages do.
    term_start = renewal_of(eur_contract).term_start
    fx_rate_upsert(currency="EUR", on_date=term_start + timedelta(days=1), rate=Decimal("1.1"))  # not in force yet

    renewal_reminders_send(today=TODAY)

    message = mail.outbox[0]
    html = message.alternatives[0][0]
    for part in (message.body, html):
        assert f"No EUR→USD exchange rate on or before {term_start.isoformat()}" in part
        assert "12000.00 EUR" in part
        assert "USD)" not in part  # no converted figure at all
        assert "0.00 USD" not in part and "1.0" not in part


def test_a_contract_in_the_reporting_currency_shows_one_figure():
    ReminderContractFactory(cancel_by=TODAY + timedelta(days=30), currency="USD", annual_price=Decimal("5000"))

    renewal_reminders_send(today=TODAY)

    assert "Annual value:  5000.00 USD\n" in mail.outbox[0].body
    assert "exchange rate" not in mail.outbox[0].body


def test_on_the_cancel_by_day_the_subject_says_today():
    ReminderContractFactory(cancel_by=TODAY, reminder_stages=[0])

    renewal_reminders_send(today=TODAY)

    assert mail.outbox[0].subject.startswith("Cancel-by today: ")
    assert "Cancel-by is today" in mail.outbox[0].body
    assert "(0 days left)" in mail.outbox[0].body


# The weekly digest


@pytest.fixture
def procurement():
    return [
        UserFactory(username="pat", email="pat@example.com", roles=[Role.PROCUREMENT]),
        UserFactory(username="quinn", email="quinn@example.com", roles=[Role.PROCUREMENT]),
        UserFactory(username="gone", email="gone@example.com", roles=[Role.PROCUREMENT], is_active=False),
        UserFactory(username="fin", email="fin@example.com", roles=[Role.FINANCE]),
    ]


def test_the_digest_lists_every_open_renewal_with_cancel_by_in_the_next_90_days(procurement):
    soon = ReminderContractFactory(number="SOON", cancel_by=TODAY)
    edge = ReminderContractFactory(number="EDGE", cancel_by=TODAY + timedelta(days=90), auto_renew=True)
    ReminderContractFactory(number="BEYOND", cancel_by=TODAY + timedelta(days=91))
    ReminderContractFactory(number="PAST", cancel_by=TODAY - timedelta(days=1))
    decided = ReminderContractFactory(number="DECIDED", cancel_by=TODAY + timedelta(days=20))
    renewal_update(renewal=renewal_of(decided), user=None, stage=RenewalStage.DECIDED, decision=RenewalDecision.CANCEL)
    expired = ReminderContractFactory(number="EXPIRED", cancel_by=TODAY + timedelta(days=20))
    type(expired).objects.filter(pk=expired.pk).update(status=ContractStatus.EXPIRED)

    summary = renewal_reminders_send(today=TODAY)

    sent = digests(mail.outbox)
    assert sorted(m.to[0] for m in sent) == ["pat@example.com", "quinn@example.com"]
    assert sorted(summary.digests_sent) == ["pat@example.com", "quinn@example.com"]
    message = sent[0]
    assert message.subject == "Renewals digest: 2 cancel-by dates in the next 90 days"
    html = message.alternatives[0][0]
    for part in (message.body, html):
        assert "SOON" in part and "EDGE" in part
        for absent in ("BEYOND", "PAST", "DECIDED", "EXPIRED"):
            assert absent not in part
    assert part_order(message.body, "SOON", "EDGE")
    assert f"{renewal_of(edge).cancel_by.isoformat()} (90 d)" in message.body
    assert "AUTO-RENEW" in message.body.split("EDGE")[1].splitlines()[0]
    site = "https://saasmgr.example.com"
    assert f'href="{site}{reverse("renewals:renewal_detail", args=[renewal_of(soon).pk])}"' in html
    assert f"{site}{reverse('renewals:renewal_detail', args=[renewal_of(edge).pk])}" in message.body
    assert f"Pipeline: {site}{reverse('renewals:pipeline')}" in message.body
    assert f'href="{site}{reverse("renewals:pipeline")}"' in html


def part_order(text: str, first: str, second: str) -> bool:
    return text.index(first) < text.index(second)


def test_the_digest_goes_out_once_a_week_on_the_first_run_on_or_after_monday(procurement):
    ReminderContractFactory(cancel_by=TODAY + timedelta(days=40))
    wednesday = TODAY
    monday = date(2026, 3, 9)

    days_with_digest = []
    for day in [wednesday, wednesday, date(2026, 3, 5), monday, monday, date(2026, 3, 10), date(2026, 3, 18)]:
        before = len(mail.outbox)
        renewal_reminders_send(today=day)
        if digests(mail.outbox[before:]):
            days_with_digest.append((day, sorted(m.to[0] for m in digests(mail.outbox[before:]))))

    both = ["pat@example.com", "quinn@example.com"]
    # Wednesday the 4th: the week's first run. Monday the 9th: a new week. Wednesday the 18th: the job
    # did not run on Monday or Tuesday of that week, so its first run sends it.
    assert days_with_digest == [(wednesday, both), (monday, both), (date(2026, 3, 18), both)]
    assert sorted(DigestDelivery.objects.values_list("week_start", flat=True)) == [
        date(2026, 3, 2),
        date(2026, 3, 2),
        date(2026, 3, 9),
        date(2026, 3, 9),
        date(2026, 3, 16),
        date(2026, 3, 16),
    ]


def test_a_failed_digest_is_retried_on_the_next_run_of_the_week(procurement, settings):
    settings.EMAIL_BACKEND = "tests.renewals.test_reminders.RefusingBackend"
    RefusingBackend.refused = {"quinn@example.com"}

    first = renewal_reminders_send(today=TODAY)
    RefusingBackend.refused = set()
    second = renewal_reminders_send(today=TODAY + timedelta(days=1))

    assert first.digests_sent == ["pat@example.com"]
    assert [recipient for recipient, _ in first.digests_failed] == ["quinn@example.com"]
    assert second.digests_sent == ["quinn@example.com"]
    assert [m.to[0] for m in digests(mail.outbox)] == ["pat@example.com", "quinn@example.com"]
    row = DigestDelivery.objects.get(recipient="quinn@example.com")
    assert (row.status, row.attempts, row.error) == (DeliveryStatus.SENT, 2, "")


class RefusingBackend(locmem.EmailBackend):
    """Refuses mail to the addresses in ``refused``, as a mail server that rejects a mailbox does."""

    refused: set[str] = set()

    def send_messages(self, messages):
        for message in messages:
            if set(message.to) & self.refused:
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"5.1.1 mailbox unavailable")})
        return super().send_messages(messages)


def test_a_dry_run_sends_and_writes_nothing(procurement):
    contract = ReminderContractFactory(cancel_by=TODAY + timedelta(days=30))

    summary = renewal_reminders_send(today=TODAY, dry_run=True)

    assert mail.outbox == []
    assert not ReminderDelivery.objects.exists() and not DigestDelivery.objects.exists()
    renewal = renewal_of(contract)
    app = contract.applications.get()
    assert sorted(summary.planned) == sorted(
        (renewal.pk, 30, email)
        for email in [
            contract.owner.email,
            app.business_owner.email,
            app.it_owner.email,
            "pat@example.com",
            "quinn@example.com",
        ]
    )
    assert summary.digests_planned == ["pat@example.com", "quinn@example.com"]


# The daily task


def test_the_task_runs_for_the_given_day_and_returns_the_counts():
    ReminderContractFactory(cancel_by=TODAY + timedelta(days=30))

    result = renewal_reminders_send_task.apply(args=["2026-03-04"]).get()

    assert result == {
        "today": "2026-03-04",
        "sent": 3,
        "failed": 0,
        "already_sent": 0,
        "digests_sent": 0,
        "digests_failed": 0,
    }
    assert len(mail.outbox) == 3


def test_the_task_from_beat_runs_for_the_local_date(monkeypatch):
    ReminderContractFactory(cancel_by=TODAY + timedelta(days=30))
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: TODAY + timedelta(days=23))

    result = renewal_reminders_send_task.apply().get()

    assert (result["today"], result["sent"]) == ("2026-03-27", 3)
    assert {stage_of(m) for m in mail.outbox} == {7}
