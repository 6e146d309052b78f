"""Reconciliation on real workers: PostgreSQL, Redis and prefork Celery processes.

The run fans out into one task per part; a worker killed with SIGKILL in the middle of a
run loses the part it was computing, and starting the run again on another worker resumes
it to the same findings a clean run gives, none of them twice.
"""

import os
import signal
import time

import pytest
from django.db.models import Count

from licenses.choices import PartStatus, RunStatus
from licenses.models import Finding, ReconciliationRun
from licenses.runs import reconciliation_run_inline, reconciliation_run_start
from tests.integration.conftest import celery_app_publishing_to
from tests.licenses.test_reconcile import AS_OF, EXPECTED_COUNTS, EXPECTED_IMPACTS, build_scenario, finding_rows

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

RUN_TIMEOUT = 90
PART_DELAY_SECONDS = 2


@pytest.fixture
def scenario(settings):
    settings.LICENSE_INACTIVITY_DAYS = 30
    return build_scenario()


def wait_for(run: ReconciliationRun, condition, worker, what: str) -> ReconciliationRun:
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if condition(run):
            return run
        if run.status == RunStatus.FAILED:
            pytest.fail(f"Run {run.pk} failed: {run.error_message}\n{worker.log()}", pytrace=False)
        time.sleep(0.05)
    pytest.fail(
        f"Waited {RUN_TIMEOUT}s for {what}; run is {run.status}, {run.parts_done}/{run.parts_total}.\n{worker.log()}",
        pytrace=False,
    )


def reference_rows():
    """The findings of a clean run of the same data, computed in this process."""
    run = reconciliation_run_inline(run=reconciliation_run_start(as_of=AS_OF, parts=1, queue=False))
    assert run.status == RunStatus.DONE and run.counts == EXPECTED_COUNTS
    return finding_rows(run)


def duplicated_findings(run):
    return list(
        Finding.objects.filter(run=run)
        .values("kind", "pool_id", "person_id", "assignment_id")
        .annotate(copies=Count("pk"))
        .filter(copies__gt=1)
    )


def test_a_run_fans_out_into_tasks_that_the_worker_runs(scenario, settings, celery_worker_process):
    reference = reference_rows()
    tasks_before = celery_worker_process.log().count("reconciliation_part_run_task[")

    run = reconciliation_run_start(as_of=AS_OF, parts=3)
    assert run.parts_total == 3 and run.status == RunStatus.QUEUED

    run = wait_for(run, lambda r: r.status == RunStatus.DONE, celery_worker_process, "the run to finish")
    assert (run.parts_done, run.percent) == (3, 100)
    assert set(run.parts.values_list("status", flat=True)) == {PartStatus.DONE}
    assert (run.counts, run.impacts) == (EXPECTED_COUNTS, EXPECTED_IMPACTS)
    assert finding_rows(run) == reference
    log = celery_worker_process.log()
    succeeded = log.count("licenses.tasks.reconciliation_part_run_task[") - tasks_before
    assert succeeded >= 3 * 2, log  # "received" and "succeeded" lines of each of the three parts


def test_a_worker_killed_mid_run_is_resumed_to_the_same_findings(scenario, settings, celery_worker_factory):
    reference = reference_rows()
    # One part at a time, each waiting a while first: the kill lands while a part is in flight.
    slow = celery_worker_factory(concurrency=1, extra_env={"RECONCILE_PART_DELAY_SECONDS": str(PART_DELAY_SECONDS)})
    with celery_app_publishing_to(slow.broker_url):
        run = reconciliation_run_start(as_of=AS_OF, parts=3)
        assert run.parts_total == 3
        wait_for(run, lambda r: r.parts_done >= 1, slow, "the first part")
        wait_for(run, lambda r: slow.log().count("] received") >= 2, slow, "the worker to take the second part")
        os.killpg(slow.process.pid, signal.SIGKILL)
        slow.process.wait(timeout=10)

        run.refresh_from_db()
        assert (run.status, run.parts_done) == (RunStatus.RUNNING, 1), slow.log()
        assert run.parts.filter(status=PartStatus.DONE).count() == 1

        # Its heartbeat stopped: with a stale threshold of 0 minutes, starting the same date resumes it.
        settings.RECONCILE_STALE_MINUTES = 0
        resumed = reconciliation_run_start(as_of=AS_OF, parts=3)
        assert resumed.pk == run.pk and resumed.parameters["resumes"] == 1
        fresh = celery_worker_factory(concurrency=2)
        run = wait_for(run, lambda r: r.status == RunStatus.DONE, fresh, "the resumed run to finish")

    assert (run.parts_done, run.parts_total) == (3, 3)
    assert duplicated_findings(run) == []
    assert finding_rows(run) == reference
    assert (run.counts, run.impacts) == (EXPECTED_COUNTS, EXPECTED_IMPACTS)
    assert ReconciliationRun.objects.filter(as_of=AS_OF).count() == 2  # the reference and this one, no third
