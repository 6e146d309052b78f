"""Reconciliation runs: start, fan out into parts, resume, finish.

A run covers every application with a license pool (or one application). It is split into
parts balanced by assignment count; each part is one Celery task
(``reconciliation_part_run_task``), queued once the run's rows are committed. A part
replaces its own findings in one transaction and marks itself done with a compare-and-set,
so a redelivered or resumed part never counts twice. The task that completes the last part
runs ``reconciliation_run_finish``, which a compare-and-set on the run's status lets through
exactly once, and which computes every total from the findings table.

A run whose worker died stops reporting (``heartbeat_at``). ``reconciliation_runs_expire_stale``
(every few minutes, by beat) marks it failed rather than resuming it by itself, so a part that
kills its worker every time does not loop forever; the message says that running it again
resumes it, and ``reconciliation_run_start`` with the same as-of date and application does so:
it queues the parts not done yet and keeps the findings of those done.
"""

import heapq
import logging
import time
from datetime import date, datetime, timedelta
from decimal import Decimal

import pandas as pd
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from licenses.choices import RISK_KINDS, SAVINGS_KINDS, FindingKind, PartStatus, RunStatus
from licenses.models import Assignment, Finding, LicensePool, ReconciliationPart, ReconciliationRun, UsageSource
from licenses.reconcile import findings_insert, reconcile_part
from licenses.signals import reconciliation_finished
from saasmgr.inventory.models import Application

logger = logging.getLogger(__name__)

UNFINISHED = (RunStatus.QUEUED, RunStatus.RUNNING)
RESUMABLE = (RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.FAILED)
ZERO = Decimal("0.00")


class RunNotResumable(Exception):
    """The run is done; start a new one instead."""


def stale_message(run: ReconciliationRun) -> str:
    return (
        f"The reconciliation stopped without finishing ({run.parts_done} of {run.parts_total} parts done): "
        "its worker was probably stopped or restarted. Run it again with the same as-of date to resume it; "
        "the parts already done are kept."
    )


def part_error_message(part: ReconciliationPart) -> str:
    return (
        f"Part {part.number + 1} stopped on an unexpected error; the error is in the worker's log. "
        "Run it again with the same as-of date to resume it; the parts already done are kept."
    )


# Reads the run pages and commands need


def latest_run(*, application=None, done_only: bool = True) -> ReconciliationRun | None:
    """The newest run of every application (or of one), finished ones only by default."""
    runs = ReconciliationRun.objects.filter(application=application)
    if done_only:
        runs = runs.filter(status=RunStatus.DONE)
    return runs.order_by("-created_at", "-pk").first()


def run_is_stale(run: ReconciliationRun, *, now: datetime | None = None) -> bool:
    """No part has reported for RECONCILE_STALE_MINUTES: the worker is taken to be dead."""
    last_sign = run.heartbeat_at or run.started_at or run.created_at
    return last_sign < (now or timezone.now()) - timedelta(minutes=settings.RECONCILE_STALE_MINUTES)


def _stale_runs(now: datetime):
    cutoff = now - timedelta(minutes=settings.RECONCILE_STALE_MINUTES)
    return (
        ReconciliationRun.objects.filter(status__in=UNFINISHED)
        .annotate(last_sign=Coalesce("heartbeat_at", "started_at", "created_at"))
        .filter(last_sign__lt=cutoff)
    )


# Splitting a run into parts


def split_applications(weights: dict[int, int], parts: int) -> list[list[int]]:
    """Applications in at most ``parts`` groups of about equal weight (greedy: heaviest first,
    each to the lightest group). Never an empty group, and at least one group."""
    count = max(1, min(parts, len(weights)))
    heap = [(0, number) for number in range(count)]
    groups: list[list[int]] = [[] for _ in range(count)]
    for application_id in sorted(weights, key=lambda pk: (-weights[pk], pk)):
        load, number = heapq.heappop(heap)
        groups[number].append(application_id)
        # +1: an application without assignments still costs a few queries and rows.
        heapq.heappush(heap, (load + weights[application_id] + 1, number))
    return [sorted(group) for group in groups]


def _application_weights(application: Application | None) -> dict[int, int]:
    """Assignment count of each application to reconcile: those with a license pool, or the one given."""
    if application is not None:
        application_ids = [application.pk]
    else:
        application_ids = list(LicensePool.objects.order_by().values_list("application_id", flat=True).distinct())
    counts = dict(
        Assignment.objects.filter(pool__application_id__in=application_ids)
        .order_by()
        .values("pool__application_id")
        .annotate(n=Count("pk"))
        .values_list("pool__application_id", "n")
    )
    return {pk: counts.get(pk, 0) for pk in application_ids}


# Services


def reconciliation_run_start(
    *,
    as_of: date,
    application: Application | None = None,
    user=None,
    parts: int | None = None,
    queue: bool = True,
) -> ReconciliationRun:
    """Start a run as of ``as_of``, or pick up the unfinished one for the same date and application.

    An unfinished run that is still reporting is returned as it is (it is being worked on); a
    stale or failed one is resumed. With ``queue`` (the default) every part goes to a worker
    once the transaction commits; without it the caller runs the parts (``reconciliation_run_inline``).
    """
    existing = (
        ReconciliationRun.objects.filter(as_of=as_of, application=application, status__in=RESUMABLE)
        .order_by("-created_at", "-pk")
        .first()
    )
    if existing is not None:
        if existing.status == RunStatus.FAILED or run_is_stale(existing):
            return reconciliation_run_resume(run=existing, queue=queue)
        return existing
    wanted = parts if parts is not None else settings.RECONCILE_PARTS
    if wanted < 1:
        raise ValueError(f"A run needs at least one part, not {wanted}.")
    groups = split_applications(_application_weights(application), wanted)
    try:
        return _run_create(as_of, application, user, wanted, groups, queue)
    except IntegrityError:
        # Someone else started the same run between our look and our insert: theirs is the run.
        return ReconciliationRun.objects.get(as_of=as_of, application=application, status__in=RESUMABLE)


def _run_create(as_of, application, user, wanted: int, groups: list[list[int]], queue: bool) -> ReconciliationRun:
    with transaction.atomic():
        run = ReconciliationRun.objects.create(
            as_of=as_of,
            application=application,
            triggered_by=user,
            parts_total=len(groups),
            parameters={
                "parts": wanted,
                "inactivity_days": settings.LICENSE_INACTIVITY_DAYS,
                "resumes": 0,
            },
        )
        ReconciliationPart.objects.bulk_create(
            ReconciliationPart(run=run, number=number, application_ids=group) for number, group in enumerate(groups)
        )
        if queue:
            _queue_parts(run.parts.values_list("pk", flat=True))
    return run


def reconciliation_run_resume(*, run: ReconciliationRun, queue: bool = True) -> ReconciliationRun:
    """Queue the parts of ``run`` not done yet (findings of done parts are kept), or finish it
    when every part is done already."""
    if run.status == RunStatus.DONE:
        raise RunNotResumable(f"Run #{run.pk} is done; start a new run instead.")
    with transaction.atomic():
        run = ReconciliationRun.objects.select_for_update().get(pk=run.pk)
        if run.status == RunStatus.DONE:
            raise RunNotResumable(f"Run #{run.pk} is done; start a new run instead.")
        parameters = {**run.parameters, "resumes": run.parameters.get("resumes", 0) + 1}
        now = timezone.now()
        ReconciliationRun.objects.filter(pk=run.pk).update(
            status=RunStatus.RUNNING,
            parameters=parameters,
            heartbeat_at=now,
            finished_at=None,
            error_message="",
            updated_at=now,
        )
        pending = list(run.parts.filter(status=PartStatus.QUEUED).values_list("pk", flat=True))
        if queue:
            _queue_parts(pending)
    logger.info("Resumed reconciliation run %s: %s part(s) to go.", run.pk, len(pending))
    if not pending:
        reconciliation_run_finish(run_id=run.pk)
    run.refresh_from_db()
    return run


def _queue_parts(part_ids) -> None:
    from licenses.tasks import reconciliation_part_run_task

    for part_id in list(part_ids):
        transaction.on_commit(lambda part_id=part_id: reconciliation_part_run_task.delay(part_id))


def reconciliation_run_inline(*, run: ReconciliationRun) -> ReconciliationRun:
    """Run every part not done yet in this process, one after the other (the CLI's --inline)."""
    for part_id in run.parts.filter(status=PartStatus.QUEUED).values_list("pk", flat=True):
        reconciliation_part_run(part_id=part_id)
    run.refresh_from_db()
    return run


def reconciliation_part_run(*, part_id: int) -> ReconciliationPart | None:
    """Compute one part and replace its findings; the part that completes the run finishes it.

    Safe to run any number of times: the findings of the part are replaced, and the part counts
    towards ``parts_done`` only the first time it is marked done.
    """
    part = ReconciliationPart.objects.select_related("run").filter(pk=part_id).first()
    if part is None:
        logger.warning("Reconciliation part %s does not exist (any more); nothing to do.", part_id)
        return None
    run = part.run
    if run.status not in UNFINISHED:
        logger.info("Run %s is %s; part %s not run (resume the run to continue).", run.pk, run.status, part.number)
        return part
    now = timezone.now()
    ReconciliationRun.objects.filter(pk=run.pk, status__in=UNFINISHED).update(
        status=RunStatus.RUNNING, started_at=Coalesce(F("started_at"), Value(now)), heartbeat_at=now, updated_at=now
    )
    _test_delay()
    try:
        # The run's own default threshold: every part judges alike, whatever its worker's settings.
        frame = reconcile_part(
            as_of=run.as_of,
            application_ids=part.application_ids,
            default_days=run.parameters.get("inactivity_days"),
        )
        _part_findings_replace(part, frame)
    except Exception:
        logger.exception("Reconciliation run %s, part %s failed", run.pk, part.number)
        _run_fail(run, part_error_message(part))
        return part
    run.refresh_from_db(fields=["parts_done", "parts_total"])
    if run.parts_done >= run.parts_total:
        reconciliation_run_finish(run_id=run.pk)
    part.refresh_from_db()
    return part


@transaction.atomic
def _part_findings_replace(part: ReconciliationPart, findings: pd.DataFrame) -> None:
    # The part's row lock makes a second copy of this part (a redelivered task) wait, then
    # replace these rows rather than add to them.
    ReconciliationPart.objects.select_for_update().filter(pk=part.pk).first()
    Finding.objects.filter(run_id=part.run_id, part=part.number).delete()
    findings_insert(findings, run_id=part.run_id, part=part.number)
    now = timezone.now()
    marked_done = ReconciliationPart.objects.filter(pk=part.pk, status=PartStatus.QUEUED).update(
        status=PartStatus.DONE, finished_at=now
    )
    progress = {"heartbeat_at": now, "updated_at": now}
    if marked_done:
        progress["parts_done"] = F("parts_done") + 1
    ReconciliationRun.objects.filter(pk=part.run_id).update(**progress)


def _run_fail(run: ReconciliationRun, message: str) -> None:
    now = timezone.now()
    ReconciliationRun.objects.filter(pk=run.pk, status__in=UNFINISHED).update(
        status=RunStatus.FAILED, error_message=message, finished_at=now, updated_at=now
    )


def _test_delay() -> None:
    """Integration tests only: seconds each part waits before computing, so a test can kill a
    worker mid-run (the RECONCILE_PART_DELAY_SECONDS setting; 0 by default)."""
    if settings.RECONCILE_PART_DELAY_SECONDS > 0:
        time.sleep(settings.RECONCILE_PART_DELAY_SECONDS)


def reconciliation_run_finish(*, run_id: int) -> bool:
    """The final step: totals from the findings table, then done. Runs once per run (the
    compare-and-set on the status lets one caller through); returns whether this call did it."""
    now = timezone.now()
    with transaction.atomic():
        claimed = ReconciliationRun.objects.filter(
            pk=run_id, status__in=UNFINISHED, parts_done__gte=F("parts_total")
        ).update(status=RunStatus.DONE, finished_at=now, heartbeat_at=now, updated_at=now)
        if not claimed:
            return False
        ReconciliationRun.objects.filter(pk=run_id).update(**_run_totals(run_id))
        transaction.on_commit(lambda: _announce_finished(run_id))
    logger.info("Reconciliation run %s finished.", run_id)
    return True


def _announce_finished(run_id: int) -> None:
    reconciliation_finished.send(sender=ReconciliationRun, run=ReconciliationRun.objects.get(pk=run_id))


def _run_totals(run_id: int) -> dict:
    """counts, impacts, totals, unpriced findings and applications without usage data, from SQL aggregates."""
    rows = (
        Finding.objects.filter(run_id=run_id)
        .order_by()
        .values("kind")
        .annotate(findings=Count("pk"), impact=Sum("annual_cost_impact"))
    )
    counts = dict.fromkeys(FindingKind.values, 0)
    sums = dict.fromkeys(FindingKind.values, ZERO)
    for row in rows:
        counts[row["kind"]] = row["findings"]
        sums[row["kind"]] = row["impact"] if row["impact"] is not None else ZERO
    unpriced = Finding.objects.filter(run_id=run_id, annual_cost_impact__isnull=True).count()
    application_ids = {
        pk
        for ids in ReconciliationPart.objects.filter(run_id=run_id).values_list("application_ids", flat=True)
        for pk in ids
    }
    with_usage = UsageSource.objects.filter(application_id__in=application_ids).values("application_id")
    apps_without_usage = [
        {"id": pk, "name": name}
        for pk, name in Application.objects.filter(pk__in=application_ids)
        .filter(pk__in=LicensePool.objects.values("application_id"))
        .exclude(pk__in=with_usage)
        .order_by("name")
        .values_list("pk", "name")
    ]
    return {
        "counts": counts,
        "impacts": {kind: f"{amount:.2f}" for kind, amount in sums.items()},
        "total_annual_savings": sum((sums[kind] for kind in SAVINGS_KINDS), start=ZERO),
        "total_annual_risk": sum((sums[kind] for kind in RISK_KINDS), start=ZERO),
        "unpriced_findings": unpriced,
        "apps_without_usage": apps_without_usage,
    }


def reconciliation_runs_expire_stale(*, now: datetime | None = None) -> int:
    """Mark failed the unfinished runs that stopped reporting (their worker died); returns how many.
    Their message says that running them again resumes them."""
    now = now or timezone.now()
    expired = 0
    for run in _stale_runs(now):
        # The same test again in the update: a part may have reported since the read.
        expired += (
            _stale_runs(now)
            .filter(pk=run.pk)
            .update(status=RunStatus.FAILED, error_message=stale_message(run), finished_at=now, updated_at=now)
        )
    if expired:
        logger.warning("Marked %s stale reconciliation run(s) as failed.", expired)
    return expired
