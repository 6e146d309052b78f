"""The operator command: send_renewal_reminders [--today YYYY-MM-DD] [--dry-run]."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from renewals.choices import DeliveryStatus
from renewals.models import DigestDelivery, ReminderDelivery
from saasmgr.core.choices import Role
from tests.conftest import free_port
from tests.factories import UserFactory
from tests.renewals.reminder_factories import ReminderContractFactory, renewal_of

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 4)


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def contract():
    UserFactory(username="pat", email="pat@example.com", roles=[Role.PROCUREMENT])
    return ReminderContractFactory(cancel_by=TODAY + timedelta(days=30))


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("send_renewal_reminders", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def recipients_of(contract) -> list[str]:
    app = contract.applications.get()
    return sorted([contract.owner.email, app.business_owner.email, app.it_owner.email, "pat@example.com"])


def test_today_runs_the_job_for_that_date(contract):
    out, err = run("--today", "2026-03-04")

    renewal = renewal_of(contract)
    assert sorted(m.to[0] for m in mail.outbox if "X-Saasmgr-Renewal" in m.extra_headers) == recipients_of(contract)
    assert all("in 30 days" in m.subject for m in mail.outbox if "X-Saasmgr-Renewal" in m.extra_headers)
    for email in recipients_of(contract):
        assert f"sent: renewal {renewal.pk} · 30 days · {email}" in out
    assert "2026-03-04: 4 reminder(s) sent, 0 already sent, 0 failed, 1 digest(s) sent." in out
    assert err == ""


def test_a_second_run_reports_everything_already_sent(contract):
    run("--today", "2026-03-04")
    out, _ = run("--today", "2026-03-04")

    assert "2026-03-04: 0 reminder(s) sent, 4 already sent, 0 failed, 0 digest(s) sent." in out
    assert len(mail.outbox) == 5


def test_without_today_it_runs_for_the_local_date(contract, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: TODAY + timedelta(days=16))

    out, _ = run()

    assert "2026-03-20: 4 reminder(s) sent" in out
    assert {m.extra_headers.get("X-Saasmgr-Stage") for m in mail.outbox} == {"14", None}
    assert all("in 14 days" in m.subject for m in mail.outbox if "X-Saasmgr-Renewal" in m.extra_headers)


def test_a_dry_run_lists_what_would_go_out_and_writes_nothing(contract):
    out, _ = run("--today", "2026-03-04", "--dry-run")

    renewal = renewal_of(contract)
    for email in recipients_of(contract):
        assert f"would send: renewal {renewal.pk} · 30 days · {email}" in out
    assert "would send: weekly digest · pat@example.com" in out
    assert "4 reminder(s) and 1 digest(s) would be sent for 2026-03-04 (dry run)." in out
    assert mail.outbox == []
    assert not ReminderDelivery.objects.exists()
    assert not DigestDelivery.objects.exists()


def test_a_dry_run_leaves_out_what_was_already_sent(contract):
    run("--today", "2026-03-04")

    out, _ = run("--today", "2026-03-05", "--dry-run")

    assert "would send" not in out
    assert "0 reminder(s) and 0 digest(s) would be sent for 2026-03-05 (dry run)." in out


@pytest.mark.parametrize("bad", ["2026-02-30", "04/03/2026", "tomorrow", "2026-W10-3", ""])
def test_a_bad_date_is_refused_with_the_format_expected(contract, bad):
    with pytest.raises(CommandError, match=r"--today must be a date like 2026-03-31 \(YYYY-MM-DD\)"):
        run("--today", bad)

    assert mail.outbox == []
    assert not ReminderDelivery.objects.exists()


def test_failed_emails_are_reported_and_make_the_command_fail(contract, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens there
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError, match=r"5 email\(s\) failed; they are retried on the next run"):
        call_command("send_renewal_reminders", "--today", "2026-03-04", stdout=out, stderr=err)

    renewal = renewal_of(contract)
    for email in recipients_of(contract):
        assert f"FAILED: renewal {renewal.pk} · 30 days · {email}: ConnectionRefusedError" in err.getvalue()
    assert "FAILED: weekly digest · pat@example.com: ConnectionRefusedError" in err.getvalue()
    assert set(ReminderDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.FAILED}
