"""Renewal reminders end to end: real Celery workers on Redis, PostgreSQL, and a real SMTP server.

Seeded contracts are stepped through simulated days by sending the daily task to two worker
processes. What the SMTP server receives must be exactly the reminders (recipient, stage,
subject) and digests worked out below from the seeded data by hand, not by the engine's own functions.
Each day runs on both workers at the same moment, then once more: nothing may arrive twice.
"""

import os
import re
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from celery.backends.redis import RedisBackend
from celery.states import READY_STATES, SUCCESS
from django.contrib.auth.models import Group
from django.urls import reverse
from icalendar import Calendar

from renewals.choices import ContractStatus, DeliveryStatus, RenewalDecision, RenewalStage
from renewals.models import Contract, ReminderDelivery
from renewals.services import renewal_update
from renewals.tasks import renewal_reminders_send_task
from saasmgr.celery import app as celery_app
from saasmgr.core.choices import Role
from saasmgr.core.services import fx_rate_upsert
from tests.conftest import REPO_ROOT
from tests.factories import ApplicationFactory, PersonFactory, UserFactory, VendorFactory
from tests.integration.conftest import CeleryWorker, _stop, _wait_until_ready, postgres_test_database_url
from tests.integration.smtp import ReceivedEmail, SmtpSink
from tests.renewals.reminder_factories import ReminderContractFactory, renewal_of

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SITE_URL = "https://saasmgr.example.com"
TASK_TIMEOUT = 60
ACTIVE_PROCUREMENT = ["pam@procure.example.com", "piet.procure@example.com"]


# Two worker processes, each on its own queue so that a day can be given to both at the same moment.


@dataclass
class ReminderWorkers:
    workers: list[CeleryWorker]
    queues: list[str]
    redis_url: str
    results: RedisBackend
    runs: int = 0
    seconds: float = 0.0
    days_split: int = 0  # days whose emails were sent partly by one worker, partly by the other

    def run(self, day: date, *, queues: list[str]) -> list[dict]:
        """Send the daily task for ``day`` to each queue at once, and wait for every run's summary."""
        return self.run_all([(day, queue) for queue in queues])

    def run_all(self, runs: list[tuple[date, str]]) -> list[dict]:
        """Send the daily task for each (day, queue) without waiting in between, then wait for every summary."""
        started = time.monotonic()
        with celery_app.connection_for_write(self.redis_url) as conn:
            task_ids = [
                renewal_reminders_send_task.apply_async(
                    args=[day.isoformat()], queue=queue, ignore_result=False, connection=conn
                ).id
                for day, queue in runs
            ]
        summaries = [self.wait(task_id) for task_id in task_ids]
        self.runs += len(task_ids)
        self.seconds += time.monotonic() - started
        return summaries

    def wait(self, task_id: str) -> dict:
        deadline = time.monotonic() + TASK_TIMEOUT
        while time.monotonic() < deadline:
            meta = self.results.get_task_meta(task_id, cache=False)
            if meta["status"] in READY_STATES:
                if meta["status"] != SUCCESS:
                    pytest.fail(f"The reminder task failed: {meta.get('traceback')}\n{self.logs()}", pytrace=False)
                return meta["result"]
            time.sleep(0.01)
        pytest.fail(f"The reminder task did not finish in {TASK_TIMEOUT}s.\n{self.logs()}", pytrace=False)

    def logs(self) -> str:
        return "\n".join(f"--- {worker.node_name}\n{worker.log()[-4000:]}" for worker in self.workers)


@pytest.fixture(scope="module")
def smtp_sink():
    with SmtpSink() as sink:
        yield sink


def start_worker(*, name: str, queue: str, env: dict, var_dir: Path, redis_url: str, database_url: str):
    log_path = var_dir / f"{name}.log"
    command = [
        str(Path(sys.executable).parent / "celery"),
        "-A",
        "saasmgr",
        "worker",
        "--pool",
        "prefork",
        "--concurrency",
        "1",
        "--queues",
        queue,
        "-n",
        name,
        "-l",
        "INFO",
        "--without-mingle",
        "--without-gossip",
    ]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    return CeleryWorker(name, redis_url, database_url, log_path, process)


@pytest.fixture(scope="module")
def reminder_workers(django_db_setup, django_db_blocker, postgres_url, redis_url, smtp_sink, tmp_path_factory):
    with django_db_blocker.unblock():
        database_url = postgres_test_database_url()
    tag = uuid.uuid4().hex[:8]
    var_dir = tmp_path_factory.mktemp("reminder-workers")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "EMAIL_URL": smtp_sink.url,
        "SITE_URL": SITE_URL,
        "REPORTING_CURRENCY": "USD",
        "RENEWAL_REMINDER_STAGES": "120,90,60,30,14,7,1",
        "RENEWAL_DIGEST_HORIZON_DAYS": "90",
        "SAASMGR_VAR_DIR": str(var_dir),
        "MEDIA_ROOT": str(var_dir / "media"),
    }
    queues = [f"reminders-{tag}-a", f"reminders-{tag}-b"]
    workers = [
        start_worker(
            name=f"{queue}@localhost",
            queue=queue,
            env=env,
            var_dir=var_dir,
            redis_url=redis_url,
            database_url=database_url,
        )
        for queue in queues
    ]
    try:
        for worker in workers:
            _wait_until_ready(worker)
        yield ReminderWorkers(workers, queues, redis_url, RedisBackend(app=celery_app, url=redis_url))
    finally:
        for worker in workers:
            _stop(worker.process)


@pytest.fixture
def sink(smtp_sink):
    smtp_sink.clear()
    return smtp_sink


@pytest.fixture
def people(transactional_db):
    """Procurement (two active, one who left), someone in finance, and the owners of applications."""
    # A transactional test before this one may have flushed the role groups that a migration made.
    for role in Role:
        Group.objects.get_or_create(name=role)
    UserFactory(username="pam", email="pam@procure.example.com", roles=[Role.PROCUREMENT])
    UserFactory(username="piet", email="Piet.Procure@Example.com", roles=[Role.PROCUREMENT])
    UserFactory(username="old", email="old@procure.example.com", roles=[Role.PROCUREMENT], is_active=False)
    UserFactory(username="fiona", email="fiona@finance.example.com", roles=[Role.FINANCE])
    return {
        "anna": PersonFactory(email="anna.apps@example.com"),
        "ivo": PersonFactory(email="ivo.it@example.com"),
        "pam-as-person": PersonFactory(email="PAM@procure.example.com"),
        "bo": PersonFactory(email="bo.business@example.com"),
    }


# The seeded contracts and what must go out for each, worked out by hand.


@dataclass
class Seed:
    """A contract whose cancel-by is ``cancel_in`` days after the first simulated day.

    ``expected`` is the (stage, day) of every reminder it must get: a stage goes out on the day it
    comes due; on the first run, or after an outage, only the latest stage whose day has come.
    """

    number: str
    cancel_in: int
    expected: list[tuple[int, int]]
    notice_days: int = 30
    currency: str = "USD"
    auto_renew: bool = False
    extra_recipients: str = ""
    reminder_stages: list[int] | None = None
    active: bool = True
    decided_on: int | None = None  # decided before that day's run
    app_owners: list[tuple[str, str]] = field(default_factory=lambda: [("anna", "ivo")])
    contract: Contract | None = None

    def open_on(self, day: int) -> bool:
        return self.active and (self.decided_on is None or day < self.decided_on)


def seed(seeds: list[Seed], *, first_day: date, people: dict) -> None:
    for number, spec in enumerate(seeds):
        vendor = VendorFactory(name=f"Vendor of {spec.number}")
        apps = [
            ApplicationFactory(
                name=f"{spec.number} app {i + 1}", vendor=vendor, business_owner=people[bo], it_owner=people[it]
            )
            for i, (bo, it) in enumerate(spec.app_owners)
        ]
        spec.contract = ReminderContractFactory(
            number=spec.number,
            vendor=vendor,
            owner=UserFactory(username=f"owner{number}", email=f"Owner{number}@Example.com"),
            applications=apps,
            cancel_by=first_day + timedelta(days=spec.cancel_in),
            notice_days=spec.notice_days,
            currency=spec.currency,
            auto_renew=spec.auto_renew,
            extra_recipients=spec.extra_recipients,
            reminder_stages=spec.reminder_stages,
            annual_price=Decimal("24000.00"),
        )
        if not spec.active:
            Contract.objects.filter(pk=spec.contract.pk).update(status=ContractStatus.EXPIRED)


def recipients_of(spec: Seed) -> set[str]:
    contract = spec.contract
    emails = {contract.owner.email, *ACTIVE_PROCUREMENT}
    for app in contract.applications.all():
        emails |= {app.business_owner.email, app.it_owner.email}
    emails |= {e for e in re.split(r"[;,]", spec.extra_recipients) if e.strip()}
    return {e.strip().lower() for e in emails}


def reminder_subject(spec: Seed, days_left: int) -> str:
    when = "today" if days_left == 0 else f"in {days_left} day{'' if days_left == 1 else 's'}"
    apps = ", ".join(sorted(app.name for app in spec.contract.applications.all()))
    return f"Cancel-by {when}: {apps} ({spec.contract.vendor.name}), contract {spec.number}"


def expected_reminders(seeds: list[Seed], run_days: list[int]) -> Counter:
    """(day, recipient, stage, subject) of every reminder, from each seed's hand-worked schedule."""
    expected = Counter()
    for spec in seeds:
        for stage, day in spec.expected:
            assert day in run_days, f"{spec.number}: stage {stage} is expected on day {day}, when nothing runs"
            for recipient in recipients_of(spec):
                expected[(day, recipient, stage, reminder_subject(spec, spec.cancel_in - day))] += 1
    return expected


def expected_digests(seeds: list[Seed], run_days: list[int], first_day: date) -> Counter:
    """One digest per week to each active procurement user, on the week's first run, counting the open
    renewals with a cancel-by from that day to 90 days on."""
    expected = Counter()
    weeks_done = set()
    for day in run_days:
        week = (first_day + timedelta(days=day)).isocalendar()[:2]
        if week in weeks_done:
            continue
        weeks_done.add(week)
        count = sum(1 for s in seeds if s.open_on(day) and day <= s.cancel_in <= day + 90)
        subject = f"Renewals digest: {count} cancel-by date{'' if count == 1 else 's'} in the next 90 days"
        for recipient in ACTIVE_PROCUREMENT:
            expected[(day, recipient, "digest", subject)] += 1
    return expected


def received_as_keys(received: list[ReceivedEmail]) -> Counter:
    keys = Counter()
    for email in received:
        (recipient,) = email.rcpt_tos
        assert email.message["To"] == recipient
        stage = email.message["X-Saasmgr-Stage"]
        keys[(recipient, int(stage) if stage else "digest", str(email.message["Subject"]))] += 1
    return keys


def without_day(expected: Counter) -> Counter:
    keys = Counter()
    for (_day, *key), count in expected.items():
        keys[tuple(key)] += count
    return keys


def step_through(workers: ReminderWorkers, sink: SmtpSink, seeds: list[Seed], first_day: date, run_days: list[int]):
    """Run the job on each day: on both workers at the same moment, then once more. Each day's runs together
    must send exactly what is expected that day, and the repeat nothing."""
    reminders = expected_reminders(seeds, run_days)
    digests = expected_digests(seeds, run_days, first_day)
    for day in run_days:
        for spec in seeds:
            if spec.decided_on == day:
                renewal_update(
                    renewal=renewal_of(spec.contract),
                    user=None,
                    stage=RenewalStage.DECIDED,
                    decision=RenewalDecision.RENEGOTIATE,
                )
        today = first_day + timedelta(days=day)
        at_once = workers.run(today, queues=workers.queues)
        again = workers.run(today, queues=workers.queues[:1])
        due_today = sum(n for key, n in reminders.items() if key[0] == day)
        digests_today = sum(n for key, n in digests.items() if key[0] == day)
        assert [sum(s["sent"] for s in at_once), sum(s["digests_sent"] for s in at_once)] == [
            due_today,
            digests_today,
        ], f"day {day} ({today})"
        assert all(s["failed"] == 0 and s["digests_failed"] == 0 for s in [*at_once, *again])
        assert again[0]["sent"] == again[0]["digests_sent"] == 0, f"the re-run of day {day} sent something"
        workers.days_split += all(s["sent"] + s["digests_sent"] for s in at_once)
    total = reminders.total() + digests.total()
    received = sink.wait_for(total)
    assert received_as_keys(received) == without_day(reminders) + without_day(digests)
    return reminders, received


# The headline: 130 simulated days


FIRST_DAY = date(2026, 3, 2)  # a Monday

STEPPED_SEEDS = [
    # Every default stage falls inside the 130 days.
    Seed("BASE", cancel_in=125, expected=[(120, 5), (90, 35), (60, 65), (30, 95), (14, 111), (7, 118), (1, 124)]),
    # A long notice period; 40 days before cancel-by on the first day, so the 60-day stage is the latest due.
    Seed("LONG-NOTICE", cancel_in=40, notice_days=90, expected=[(60, 0), (30, 10), (14, 26), (7, 33), (1, 39)]),
    # Auto-renews, in euros, two applications whose owners overlap with others and with procurement.
    Seed(
        "AUTO-EUR",
        cancel_in=70,
        notice_days=60,
        currency="EUR",
        auto_renew=True,
        app_owners=[("anna", "ivo"), ("bo", "pam-as-person")],
        expected=[(90, 0), (60, 10), (30, 40), (14, 56), (7, 63), (1, 69)],
    ),
    # No notice; extra recipients, one of them already in procurement (in other case).
    Seed(
        "EXTRA",
        cancel_in=100,
        notice_days=0,
        extra_recipients="Legal@Example.com; finance-team@example.com, PAM@procure.example.com",
        expected=[(120, 0), (90, 10), (60, 40), (30, 70), (14, 86), (7, 93), (1, 99)],
    ),
    # Decided on day 45: the 60-day stage has gone out, the 30-day stage must not.
    Seed("DECIDED", cancel_in=90, decided_on=45, expected=[(90, 0), (60, 30)]),
    # Its own stages: nothing is due on the first day (80 days left, the first stage is 75).
    Seed("OWN-STAGES", cancel_in=80, reminder_stages=[75, 45, 5], expected=[(75, 5), (45, 35), (5, 75)]),
    # Far out: only its first two stages fall inside the 130 days.
    Seed("LATER", cancel_in=200, expected=[(120, 80), (90, 110)]),
    # Never: an expired contract, and a cancel-by that passed before the first day.
    Seed("EXPIRED", cancel_in=50, active=False, expected=[]),
    Seed("PASSED", cancel_in=-5, expected=[]),
]


def test_130_days_send_exactly_the_expected_reminders_once_even_when_run_twice_and_at_once(
    reminder_workers, sink, people
):
    seeds = [replace(s) for s in STEPPED_SEEDS]
    seed(seeds, first_day=FIRST_DAY, people=people)
    fx_rate_upsert(currency="EUR", on_date=date(2000, 1, 1), rate=Decimal("1.1"))
    run_days = list(range(130))

    started = time.monotonic()
    reminders, received = step_through(reminder_workers, sink, seeds, FIRST_DAY, run_days)
    stepping_seconds = time.monotonic() - started

    # The delivery rows agree: one per email, each sent on the first attempt.
    rows = list(ReminderDelivery.objects.values_list("status", "attempts"))
    assert len(rows) == reminders.total() and set(rows) == {(DeliveryStatus.SENT, 1)}

    # Running every past day again, on both workers at once, changes nothing.
    replay = reminder_workers.run_all(
        [(FIRST_DAY + timedelta(days=day), queue) for day in run_days for queue in reminder_workers.queues]
    )
    assert {(s["sent"], s["digests_sent"], s["failed"]) for s in replay} == {(0, 0, 0)}
    time.sleep(0.5)  # anything sent late would have arrived by now
    assert len(sink.received()) == len(received)

    assert_an_email_in_full(received, seeds)
    print(
        f"\n130 days: {reminder_workers.runs} task runs in {reminder_workers.seconds:.1f}s "
        f"(stepping {stepping_seconds:.1f}s), {len(received)} emails received; on {reminder_workers.days_split} "
        "days both workers sent part of the day's emails"
    )


def assert_an_email_in_full(received: list[ReceivedEmail], seeds: list[Seed]) -> None:
    """What went over the wire has both parts, the facts and a calendar file that parses."""
    auto_eur = next(s for s in seeds if s.number == "AUTO-EUR")
    email = next(
        e for e in received if e.rcpt_tos == ("ivo.it@example.com",) and "contract AUTO-EUR" in e.message["Subject"]
    )
    assert email.mail_from == "saasmgr@localhost"
    text = email.part("text/plain").get_content()
    html = email.part("text/html").get_content()
    renewal = renewal_of(auto_eur.contract)
    for part in (text, html):
        assert "24000.00 EUR" in part and "26400.00 USD" in part
        assert SITE_URL + reverse("renewals:renewal_detail", args=[renewal.pk]) in part
    assert "Auto-renew:    YES" in text
    ics = email.part("text/calendar")
    assert ics.get_filename() == "cancel-by-AUTO-EUR.ics"
    (cancel,) = [e for e in Calendar.from_ical(ics.get_content()).walk("VEVENT") if "cancel-by" in str(e["uid"])]
    assert cancel.decoded("dtstart") == renewal.cancel_by == FIRST_DAY + timedelta(days=70)


# A 10-day outage


OUTAGE_FIRST_DAY = date(2026, 9, 7)  # a Monday
# The job runs on days 0-4, is down on days 5-14, and runs again from day 15 to day 40.
OUTAGE_RUN_DAYS = [*range(0, 5), *range(15, 41)]

OUTAGE_SEEDS = [
    # Down while its 30-day stage came due (day 10): back on day 15 (25 days left) it gets that one.
    Seed("OUT-30", cancel_in=40, expected=[(60, 0), (30, 15), (14, 26), (7, 33), (1, 39)]),
    # Missed two stages, 14 (day 7) and 7 (day 14): back on day 15 only the 7-day one goes out.
    Seed("OUT-14-7", cancel_in=21, expected=[(30, 0), (7, 15), (1, 20)]),
    # Its last stages and its cancel-by date all fell in the outage: nothing late.
    Seed("OUT-GONE", cancel_in=14, expected=[(14, 0)]),
    # Missed its 90-day stage (day 10) and gets it on day 15; the 60-day stage follows on its day.
    Seed("OUT-90", cancel_in=100, expected=[(120, 0), (90, 15), (60, 40)]),
]


def test_after_a_10_day_outage_only_the_latest_missed_stage_goes_out(reminder_workers, sink, people):
    seeds = [replace(s) for s in OUTAGE_SEEDS]
    seed(seeds, first_day=OUTAGE_FIRST_DAY, people=people)

    reminders, received = step_through(reminder_workers, sink, seeds, OUTAGE_FIRST_DAY, OUTAGE_RUN_DAYS)

    # What arrived is what was expected (step_through asserts it); on the day the job came back, that is one
    # stage per renewal, never a burst.
    first_day_back = {
        (spec.number, stage)
        for (day, _recipient, stage, subject) in reminders
        for spec in seeds
        if day == 15 and subject.endswith(f"contract {spec.number}")
    }
    assert first_day_back == {("OUT-30", 30), ("OUT-14-7", 7), ("OUT-90", 90)}
    assert "Cancel-by in 6 days: OUT-14-7 app 1 (Vendor of OUT-14-7), contract OUT-14-7" in {
        str(e.message["Subject"]) for e in received
    }
    # Digests went out in the weeks the job ran: 0, 2 (on Tuesday, day 15), 3, 4 and 5.
    assert len(received) == reminders.total() + 5 * len(ACTIVE_PROCUREMENT)
