"""Background work of licenses. Tasks take ids and call one service."""

from celery import shared_task
from django.utils import timezone

from licenses.runs import reconciliation_part_run, reconciliation_run_start, reconciliation_runs_expire_stale


# acks_late + reject_on_worker_lost: a part whose worker dies goes back to the queue; running
# a part again replaces its findings, so a second delivery is harmless.
@shared_task(name="licenses.tasks.reconciliation_part_run_task", acks_late=True, reject_on_worker_lost=True)
def reconciliation_part_run_task(part_id: int) -> None:
    reconciliation_part_run(part_id=part_id)


@shared_task(name="licenses.tasks.reconciliation_run_nightly_task")
def reconciliation_run_nightly_task() -> int:
    """Reconcile every application as of today; picks up today's run if one is unfinished."""
    return reconciliation_run_start(as_of=timezone.localdate()).pk


@shared_task(name="licenses.tasks.reconciliation_runs_expire_stale_task")
def reconciliation_runs_expire_stale_task() -> int:
    return reconciliation_runs_expire_stale()
