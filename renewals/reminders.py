"""Renewal reminders and the weekly procurement digest, each sent exactly once.

Every email is first claimed by inserting its delivery row; the unique constraint lets only one
worker win. The winner sends, then marks the row sent with a compare-and-set. A claim whose
worker died is retried after REMINDER_CLAIM_TIMEOUT_MINUTES; a failed send is retried on the
next run.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from renewals.calendar import renewal_calendar
from renewals.choices import ContractStatus, DeliveryStatus, RenewalStage
from renewals.models import DigestDelivery, ReminderDelivery, Renewal
from saasmgr.core.choices import Role
from saasmgr.core.money import MissingFxRate, convert
from saasmgr.core.selectors import FxRateBook
from saasmgr.inventory.choices import PersonStatus

logger = logging.getLogger(__name__)

OPEN_STAGES = (RenewalStage.UPCOMING, RenewalStage.IN_REVIEW, RenewalStage.NEGOTIATING)


@dataclass
class ReminderRunSummary:
    today: date
    sent: list[tuple[int, int, str]] = field(default_factory=list)  # (renewal id, stage, recipient)
    failed: list[tuple[int, int, str, str]] = field(default_factory=list)  # ... and the error
    skipped_already_sent: int = 0
    digests_sent: list[str] = field(default_factory=list)
    digests_failed: list[tuple[str, str]] = field(default_factory=list)  # (recipient, error)
    planned: list[tuple[int, int, str]] = field(default_factory=list)  # dry run only
    digests_planned: list[str] = field(default_factory=list)  # dry run only

    def as_dict(self) -> dict:
        return {
            "today": self.today.isoformat(),
            "sent": len(self.sent),
            "failed": len(self.failed),
            "already_sent": self.skipped_already_sent,
            "digests_sent": len(self.digests_sent),
            "digests_failed": len(self.digests_failed),
        }


def reminder_stages_for(contract) -> list[int]:
    """The contract's own stages (days before cancel-by), else the global ones, latest first."""
    stages = contract.reminder_stages or settings.RENEWAL_REMINDER_STAGES
    try:
        return sorted({int(s) for s in stages if int(s) >= 0}, reverse=True)
    except (TypeError, ValueError):
        # One unreadable override must not stop the run for every other contract.
        logger.warning("contract %s has unreadable reminder stages %r; the global ones apply", contract, stages)
        return sorted(set(settings.RENEWAL_REMINDER_STAGES), reverse=True)


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
    """The contract owner, the owners of its applications, the procurement group and the extra emails.
    People who left (an inactive login, a terminated person) get nothing."""
    contract = renewal.contract
    emails = set(procurement)
    if contract.owner and contract.owner.is_active and contract.owner.email:
        emails.add(contract.owner.email)
    for app in contract.applications.all():
        for owner in (app.business_owner, app.it_owner):
            if owner and owner.email and owner.status != PersonStatus.TERMINATED:
                emails.add(owner.email)
    emails.update(contract.reminder_recipient_list())
    return sorted({e.strip().lower() for e in emails if e.strip()})


def renewals_due(today: date) -> list[tuple[Renewal, int]]:
    """Open renewals of active contracts with a reminder stage due today, and that stage."""
    # Contracts on the global stages are only candidates within reach of the earliest of them.
    horizon = today + timedelta(days=max([*settings.RENEWAL_REMINDER_STAGES, 0]))
    candidates = (
        Renewal.objects.filter(stage__in=OPEN_STAGES, contract__status=ContractStatus.ACTIVE, cancel_by__gte=today)
        .filter(Q(cancel_by__lte=horizon) | Q(contract__reminder_stages__isnull=False))
        .select_related("contract__vendor", "contract__owner")
        .prefetch_related("contract__applications__business_owner", "contract__applications__it_owner")
        .order_by("cancel_by", "pk")
    )
    due = []
    for renewal in candidates:
        stage = due_stage(reminder_stages_for(renewal.contract), (renewal.cancel_by - today).days)
        if stage is not None:
            due.append((renewal, stage))
    return due


def _claim(model, lookup: dict, now, **fields) -> object | None:
    """Claim one delivery row: insert it, or take over a failed or stale claim by compare-and-set.

    ``fields`` are written on the insert and on a takeover alike.
    """
    stale_before = now - timedelta(minutes=settings.REMINDER_CLAIM_TIMEOUT_MINUTES)
    try:
        with transaction.atomic():
            return model.objects.create(**lookup, **fields, status=DeliveryStatus.CLAIMED, claimed_at=now, attempts=1)
    except IntegrityError:
        pass
    row = model.objects.filter(**lookup).first()
    if row is None or row.status == DeliveryStatus.SENT:
        return None
    retryable = Q(status=DeliveryStatus.FAILED) | Q(status=DeliveryStatus.CLAIMED, claimed_at__lt=stale_before)
    won = model.objects.filter(retryable, pk=row.pk, claimed_at=row.claimed_at).update(
        **fields, status=DeliveryStatus.CLAIMED, claimed_at=now, attempts=row.attempts + 1
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


def _send(model, row, build_message: Callable[[], EmailMultiAlternatives]) -> str:
    """Build and send a claimed email and record the outcome; returns the error, or "" when it went out.

    Building happens after the claim so that only the winner renders, and a failure to build is recorded
    and retried like a failure to send, instead of stopping the run with the claim left behind.
    """
    try:
        build_message().send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried on the next run
        error = f"{exc.__class__.__name__}: {exc}"
        logger.warning("%s failed: %s", row, error)
        _finish(model, row, error=error)
        return error
    _finish(model, row)
    return ""


def reminder_context(renewal: Renewal, stage: int, today: date, rates: FxRateBook) -> dict:
    contract = renewal.contract
    # The same rate as the contract pages: the one in force when the term started.
    try:
        rate = rates.rate_on(contract.currency, renewal.term_start)
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


def reminders_already_sent(due: list[tuple[Renewal, int]]) -> set[tuple[int, int, str]]:
    """(renewal id, stage, recipient) of the due reminders that went out on an earlier run.

    One query; a re-run of the day then skips them without trying to claim each one again (every such
    attempt would be a unique violation in the database's log).
    """
    stage_of = {renewal.pk: stage for renewal, stage in due}
    rows = ReminderDelivery.objects.filter(renewal_id__in=stage_of, status=DeliveryStatus.SENT).values_list(
        "renewal_id", "stage_days", "recipient"
    )
    return {row for row in rows if stage_of[row[0]] == row[1]}


def renewal_reminders_send(*, today: date, dry_run: bool = False) -> ReminderRunSummary:
    """Send every reminder due on ``today`` that has not gone out yet, and the weekly digest.

    Deliberately not one transaction: each claim must be committed before its email goes out, so that
    other workers see it.
    """
    summary = ReminderRunSummary(today=today)
    due = renewals_due(today)
    procurement = procurement_emails()
    already_sent = reminders_already_sent(due)
    rates = FxRateBook({r.contract.currency for r, _ in due})
    for renewal, stage in due:
        for recipient in reminder_recipients(renewal, procurement):
            key = (renewal.pk, stage, recipient)
            if key in already_sent:
                summary.skipped_already_sent += 1
            elif dry_run:
                summary.planned.append(key)
            else:
                _reminder_deliver(renewal=renewal, stage=stage, recipient=recipient, rates=rates, summary=summary)
    digest_send(today=today, summary=summary, procurement=procurement, dry_run=dry_run)
    return summary


def _reminder_deliver(
    *, renewal: Renewal, stage: int, recipient: str, rates: FxRateBook, summary: ReminderRunSummary
) -> None:
    key = (renewal.pk, stage, recipient)
    lookup = {"renewal": renewal, "stage_days": stage, "recipient": recipient}
    row = _claim(ReminderDelivery, lookup, timezone.now(), for_date=summary.today)
    if row is None:
        summary.skipped_already_sent += 1
        return
    error = _send(ReminderDelivery, row, partial(reminder_email, renewal, stage, summary.today, recipient, rates))
    if error:
        summary.failed.append((*key, error))
    else:
        summary.sent.append(key)


def digest_context(today: date) -> dict:
    """Every open renewal of an active contract with a cancel-by date from today to the horizon."""
    horizon = today + timedelta(days=settings.RENEWAL_DIGEST_HORIZON_DAYS)
    renewals = list(
        Renewal.objects.filter(
            stage__in=OPEN_STAGES, contract__status=ContractStatus.ACTIVE, cancel_by__gte=today, cancel_by__lte=horizon
        )
        .select_related("contract__vendor")
        .prefetch_related("contract__applications")
        .order_by("cancel_by", "pk")
    )
    rates = FxRateBook({r.contract.currency for r in renewals})
    return {
        "rows": [reminder_context(r, 0, today, rates) for r in renewals],
        "today": today,
        "horizon_days": settings.RENEWAL_DIGEST_HORIZON_DAYS,
        "pipeline_url": settings.SITE_URL.rstrip("/") + reverse("renewals:pipeline"),
    }


def digest_email(context: dict, recipient: str) -> EmailMultiAlternatives:
    count = len(context["rows"])
    message = EmailMultiAlternatives(
        subject=f"Renewals digest: {count} cancel-by date{'s' if count != 1 else ''} in the next "
        f"{context['horizon_days']} days",
        body=render_to_string("renewals/email/digest.txt", context),
        to=[recipient],
    )
    message.attach_alternative(render_to_string("renewals/email/digest.html", context), "text/html")
    return message


def digest_send(*, today: date, summary: ReminderRunSummary, procurement: list[str], dry_run: bool = False) -> None:
    """The weekly digest for procurement, sent on the first run of each week (Monday, or later if the job
    was down)."""
    week_start = today - timedelta(days=today.weekday())
    done = set(
        DigestDelivery.objects.filter(
            week_start=week_start, recipient__in=procurement, status=DeliveryStatus.SENT
        ).values_list("recipient", flat=True)
    )
    pending = [recipient for recipient in procurement if recipient not in done]
    if dry_run:
        summary.digests_planned.extend(pending)
        return
    if not pending:
        return
    context = digest_context(today)
    for recipient in pending:
        row = _claim(DigestDelivery, {"week_start": week_start, "recipient": recipient}, timezone.now())
        if row is None:
            continue
        error = _send(DigestDelivery, row, partial(digest_email, context, recipient))
        if error:
            summary.digests_failed.append((recipient, error))
        else:
            summary.digests_sent.append(recipient)
