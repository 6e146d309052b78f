"""Renewal reminders and the weekly procurement digest, each sent exactly once.

Every email is first claimed by inserting its delivery row; the unique constraint lets only one
worker win. The winner sends, then marks the row sent with a compare-and-set. A claim whose
worker died is retried after REMINDER_CLAIM_TIMEOUT_MINUTES; a failed send is retried on the
next run.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from renewals.calendar import renewal_calendar
from renewals.choices import ContractStatus, DeliveryStatus, RenewalStage
from renewals.models import DigestDelivery, ReminderDelivery, Renewal
from saasmgr.core.choices import Role
from saasmgr.core.money import MissingFxRate, convert
from saasmgr.core.selectors import FxRateBook

logger = logging.getLogger(__name__)

OPEN_STAGES = (RenewalStage.UPCOMING, RenewalStage.IN_REVIEW, RenewalStage.NEGOTIATING)


@dataclass
class ReminderRunSummary:
    today: date
    sent: list[tuple[int, int, str]] = field(default_factory=list)  # (renewal id, stage, recipient)
    failed: list[tuple[int, int, str, str]] = field(default_factory=list)
    skipped_already_sent: int = 0
    digests_sent: list[str] = field(default_factory=list)
    planned: list[tuple[int, int, str]] = field(default_factory=list)  # dry run only

    def as_dict(self) -> dict:
        return {
            "today": self.today.isoformat(),
            "sent": len(self.sent),
            "failed": len(self.failed),
            "already_sent": self.skipped_already_sent,
            "digests_sent": len(self.digests_sent),
        }


def reminder_stages_for(contract) -> list[int]:
    stages = contract.reminder_stages or settings.RENEWAL_REMINDER_STAGES
    return sorted({int(s) for s in stages if int(s) >= 0}, reverse=True)


def due_stage(stages: list[int], days_left: int) -> int | None:
    """The latest stage whose day has come: the smallest stage ≥ days left. After an outage only this
    one is sent, never the burst of stages that were missed."""
    due = [s for s in stages if s >= days_left]
    return min(due) if due else None


def procurement_emails() -> list[str]:
    emails = (
        get_user_model().objects.filter(is_active=True, groups__name=Role.PROCUREMENT).values_list("email", flat=True)
    )
    return sorted({e.strip().lower() for e in emails if e and e.strip()})


def reminder_recipients(renewal: Renewal, procurement: list[str]) -> list[str]:
    """The contract owner, the owners of its applications, the procurement group and the extra emails."""
    contract = renewal.contract
    emails = set(procurement)
    if contract.owner and contract.owner.email:
        emails.add(contract.owner.email)
    for app in contract.applications.all():
        for owner in (app.business_owner, app.it_owner):
            if owner and owner.email:
                emails.add(owner.email)
    emails.update(contract.reminder_recipient_list())
    return sorted({e.strip().lower() for e in emails if e.strip()})


def renewals_due(today: date) -> list[tuple[Renewal, int]]:
    """Open renewals of active contracts with a reminder stage due today, and that stage."""
    horizon = max([*settings.RENEWAL_REMINDER_STAGES, 0])
    candidates = (
        Renewal.objects.filter(stage__in=OPEN_STAGES, contract__status=ContractStatus.ACTIVE, cancel_by__gte=today)
        .select_related("contract__vendor", "contract__owner")
        .prefetch_related("contract__applications__business_owner", "contract__applications__it_owner")
        .order_by("cancel_by", "pk")
    )
    due = []
    for renewal in candidates:
        stages = reminder_stages_for(renewal.contract)
        if renewal.contract.reminder_stages is None and (renewal.cancel_by - today).days > horizon:
            continue
        stage = due_stage(stages, (renewal.cancel_by - today).days)
        if stage is not None:
            due.append((renewal, stage))
    return due


def _claim(model, lookup: dict, now, **on_create) -> object | None:
    """Claim one delivery row: insert it, or take over a failed or stale claim by compare-and-set."""
    stale_before = now - timedelta(minutes=settings.REMINDER_CLAIM_TIMEOUT_MINUTES)
    try:
        with transaction.atomic():
            return model.objects.create(
                **lookup, **on_create, status=DeliveryStatus.CLAIMED, claimed_at=now, attempts=1
            )
    except IntegrityError:
        pass
    row = model.objects.filter(**lookup).first()
    if row is None or row.status == DeliveryStatus.SENT:
        return None
    retryable = Q(status=DeliveryStatus.FAILED) | Q(status=DeliveryStatus.CLAIMED, claimed_at__lt=stale_before)
    won = model.objects.filter(retryable, pk=row.pk, claimed_at=row.claimed_at).update(
        status=DeliveryStatus.CLAIMED, claimed_at=now, attempts=row.attempts + 1
    )
    if won != 1:
        return None
    row.claimed_at = now
    return row


def _finish(model, row, *, error: str = "") -> None:
    status = DeliveryStatus.FAILED if error else DeliveryStatus.SENT
    model.objects.filter(pk=row.pk, status=DeliveryStatus.CLAIMED, claimed_at=row.claimed_at).update(
        status=status, sent_at=None if error else timezone.now(), error=error[:2000]
    )


def reminder_context(renewal: Renewal, stage: int, today: date, rates: FxRateBook) -> dict:
    contract = renewal.contract
    try:
        rate = rates.rate_on(contract.currency, today)
        reporting_value, fx_error = convert(renewal.baseline_annual, rate), ""
    except MissingFxRate as exc:
        reporting_value, fx_error = None, str(exc)
    apps = list(contract.applications.all())
    return {
        "renewal": renewal,
        "contract": contract,
        "stage": stage,
        "days_left": (renewal.cancel_by - today).days,
        "applications": apps,
        "app_names": ", ".join(a.name for a in apps) or contract.title or contract.vendor.name,
        "annual_value": renewal.baseline_annual,
        "reporting_value": reporting_value,
        "reporting_currency": settings.REPORTING_CURRENCY,
        "fx_error": fx_error,
        "url": settings.SITE_URL.rstrip("/") + renewal.get_absolute_url(),
        "today": today,
    }


def reminder_subject(context: dict) -> str:
    days = context["days_left"]
    when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
    contract = context["contract"]
    return f"Cancel-by {when}: {context['app_names']} ({contract.vendor.name}), contract {contract.number}"


def reminder_email(
    renewal: Renewal, stage: int, today: date, recipient: str, rates: FxRateBook
) -> EmailMultiAlternatives:
    context = reminder_context(renewal, stage, today, rates)
    message = EmailMultiAlternatives(
        subject=reminder_subject(context),
        body=render_to_string("renewals/email/reminder.txt", context),
        to=[recipient],
        headers={"X-Saasmgr-Renewal": str(renewal.pk), "X-Saasmgr-Stage": str(stage)},
    )
    message.attach_alternative(render_to_string("renewals/email/reminder.html", context), "text/html")
    message.attach(f"cancel-by-{renewal.contract.number}.ics", renewal_calendar([renewal]), "text/calendar")
    return message


def renewal_reminders_send(*, today: date, dry_run: bool = False) -> ReminderRunSummary:
    """Send every reminder due on ``today`` that has not gone out yet, and the weekly digest."""
    summary = ReminderRunSummary(today=today)
    due = renewals_due(today)
    procurement = procurement_emails()
    rates = FxRateBook({r.contract.currency for r, _ in due})
    for renewal, stage in due:
        for recipient in reminder_recipients(renewal, procurement):
            if dry_run:
                if not ReminderDelivery.objects.filter(
                    renewal=renewal, stage_days=stage, recipient=recipient, status=DeliveryStatus.SENT
                ).exists():
                    summary.planned.append((renewal.pk, stage, recipient))
                continue
            lookup = {"renewal": renewal, "stage_days": stage, "recipient": recipient}
            row = _claim(ReminderDelivery, lookup, timezone.now(), for_date=today)
            if row is None:
                summary.skipped_already_sent += 1
                continue
            key = (renewal.pk, stage, recipient)
            error = _send(ReminderDelivery, row, reminder_email(renewal, stage, today, recipient, rates))
            if error:
                summary.failed.append((*key, error))
            else:
                summary.sent.append(key)
    if not dry_run:
        digest_send(today=today, summary=summary, procurement=procurement)
    return summary


def _send(model, row, message) -> str:
    """Send a claimed email and record the outcome; returns the error, or "" when it went out."""
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - any transport failure is recorded and retried next run
        error = f"{exc.__class__.__name__}: {exc}"
        logger.warning("email %s to %s failed: %s", message.subject, message.to, error)
        _finish(model, row, error=error)
        return error
    _finish(model, row)
    return ""


def digest_send(*, today: date, summary: ReminderRunSummary, procurement: list[str]) -> None:
    """The weekly digest for procurement: every open renewal with a cancel-by in the coming days.
    Sent on the first run of each week (Monday, or later if the job was down)."""
    week_start = today - timedelta(days=today.weekday())
    horizon = today + timedelta(days=settings.RENEWAL_DIGEST_HORIZON_DAYS)
    renewals = list(
        Renewal.objects.filter(
            stage__in=OPEN_STAGES, contract__status=ContractStatus.ACTIVE, cancel_by__gte=today, cancel_by__lte=horizon
        )
        .select_related("contract__vendor", "owner")
        .prefetch_related("contract__applications")
        .order_by("cancel_by", "pk")
    )
    rates = FxRateBook({r.contract.currency for r in renewals})
    rows = [reminder_context(r, 0, today, rates) for r in renewals]
    context = {
        "rows": rows,
        "today": today,
        "horizon_days": settings.RENEWAL_DIGEST_HORIZON_DAYS,
        "site_url": settings.SITE_URL,
    }
    for recipient in procurement:
        row = _claim(DigestDelivery, {"week_start": week_start, "recipient": recipient}, timezone.now())
        if row is None:
            continue
        message = EmailMultiAlternatives(
            subject=f"Renewals digest: {len(rows)} cancel-by date{'s' if len(rows) != 1 else ''} in the next "
            f"{settings.RENEWAL_DIGEST_HORIZON_DAYS} days",
            body=render_to_string("renewals/email/digest.txt", context),
            to=[recipient],
        )
        message.attach_alternative(render_to_string("renewals/email/digest.html", context), "text/html")
        error = _send(DigestDelivery, row, message)
        if error:
            summary.failed.append((0, -1, recipient, error))
        else:
            summary.digests_sent.append(recipient)
