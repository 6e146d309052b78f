"""Runs: fan-out into parts, idempotent parts, one final step, stale runs and resuming."""

import datetime
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from licenses import runs
from licenses.choices import FindingKind, PartStatus, RunStatus
from licenses.models import Activity, Finding, ReconciliationPart, ReconciliationRun
from licenses.runs import (
    RunNotResumable,
    latest_run,
    reconciliation_part_run,
    reconciliation_run_finish,
    reconciliation_run_inline,
    reconciliation_run_resume,
    reconciliation_run_start,
    reconciliation_runs_expire_stale,
)
from licenses.tasks import reconciliation_run_nightly_task, reconciliation_runs_expire_stale_task
from saasmgr.celery import app as celery_app
from tests.licenses.test_reconcile import AS_OF, EXPECTED_COUNTS, EXPECTED_IMPACTS, build_scenario, finding_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario(settings):
    settings.LICENSE_INACTIVITY_DAYS = 30
    return build_scenario()


@pytest.fixture
def queued(monkeypatch):
    """The part ids sent to the workers (nothing is sent anywhere)."""
    from licenses.tasks import reconciliation_part_run_task

    sent: list[int] = []
    monkeypatch.setattr(reconciliation_part_run_task, "delay", sent.append)
    return sent


@pytest.fixture
def committing(django_capture_on_commit_callbacks):
    """``with committing():`` runs the block's on-commit callbacks when it ends, as a commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def make_stale(run: ReconciliationRun, minutes: int = 11) -> None:
    ReconciliationRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=minutes))


def part_ids(run):
    return list(run.parts.order_by("number").values_list("pk", flat=True))


# Starting and fanning out


def test_start_splits_into_parts_and_queues_each_once_the_run_is_committed(
    scenario, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = reconciliation_run_start(as_of=AS_OF, parts=3)
        assert queued == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()

    assert (run.status, run.parts_total, run.parts_done, run.percent) == (RunStatus.QUEUED, 3, 0, 0)
    assert sorted(queued) == sorted(part_ids(run))
    groups = list(run.parts.order_by("number").values_list("application_ids", flat=True))
    s = scenario
    # Alpha has 10 assignments, the others 2, 1 and 1: Alpha alone, then the rest spread by weight.
    assert groups == [[s.alpha.pk], [s.beta.pk], sorted([s.gamma.pk, s.delta.pk])]
    assert run.parameters == {"parts": 3, "inactivity_days": 30, "resumes": 0}


def test_parts_default_to_the_setting_and_never_outnumber_the_applications(scenario, queued, settings):
    settings.RECONCILE_PARTS = 2
    assert reconciliation_run_start(as_of=AS_OF).parts_total == 2
    assert reconciliation_run_start(as_of=AS_OF - timedelta(days=1), parts=16).parts_total == 4
    assert reconciliation_run_start(as_of=AS_OF - timedelta(days=2), parts=1).parts_total == 1
    with pytest.raises(ValueError, match="at least one part"):
        reconciliation_run_start(as_of=AS_OF - timedelta(days=3), parts=0)


def test_progress_heartbeat_and_final_step(scenario, queued):
    run = reconciliation_run_start(as_of=AS_OF, parts=2)
    first, second = part_ids(run)

    reconciliation_part_run(part_id=first)
    run.refresh_from_db()
    assert (run.status, run.parts_done, run.percent) == (RunStatus.RUNNING, 1, 50)
    assert run.started_at is not None and run.heartbeat_at >= run.started_at
    assert run.counts == {} and run.finished_at is None

    reconciliation_part_run(part_id=second)
    run.refresh_from_db()
    assert (run.status, run.parts_done, run.percent) == (RunStatus.DONE, 2, 100)
    assert run.counts == EXPECTED_COUNTS and run.impacts == EXPECTED_IMPACTS
    assert set(run.parts.values_list("status", flat=True)) == {PartStatus.DONE}


# Idempotence


def test_running_a_part_twice_changes_nothing(scenario, queued):
    run = reconciliation_run_start(as_of=AS_OF, parts=2)
    first, second = part_ids(run)
    reconciliation_part_run(part_id=first)
    before = finding_rows(run)

    reconciliation_part_run(part_id=first)  # a redelivered task

    assert finding_rows(run) == before
    run.refresh_from_db()
    assert (run.parts_done, run.status) == (1, RunStatus.RUNNING)

    reconciliation_part_run(part_id=second)
    run.refresh_from_db()
    assert run.counts == EXPECTED_COUNTS and run.total_annual_savings == Decimal("735.50")
    assert run.parts_done == 2


def test_a_part_run_again_replaces_its_findings_rather_than_adding(scenario, queued):
    run = reconciliation_run_start(as_of=AS_OF, parts=3)
    alpha_part = run.parts.get(number=0)
    reconciliation_part_run(part_id=alpha_part.pk)
    assert Finding.objects.filter(run=run, kind=FindingKind.INACTIVE).count() == 1  # Ian

    Activity.objects.filter(person=scenario.ian, day=datetime.date(2024, 5, 30)).update(day=datetime.date(2024, 6, 20))
    reconciliation_part_run(part_id=alpha_part.pk)

    assert Finding.objects.filter(run=run, kind=FindingKind.INACTIVE).count() == 0
    assert Finding.objects.filter(run=run, part=0).count() == 6  # Alpha's 7 findings less Ian's


def test_a_part_of_a_finished_run_is_not_run_again(scenario, queued):
    run = reconciliation_run_inline(run=reconciliation_run_start(as_of=AS_OF, parts=2, queue=False))
    ids_before = sorted(Finding.objects.filter(run=run).values_list("pk", flat=True))

    reconciliation_part_run(part_id=part_ids(run)[0])

    assert sorted(Finding.objects.filter(run=run).values_list("pk", flat=True)) == ids_before


def test_two_runs_on_the_same_data_give_the_same_findings(scenario, queued):
    one = reconciliation_run_inline(run=reconciliation_run_start(as_of=AS_OF, parts=1, queue=False))
    two = reconciliation_run_inline(run=reconciliation_run_start(as_of=AS_OF, parts=4, queue=False))

    assert one.pk != two.pk
    assert finding_rows(one) == finding_rows(two)
    fields = ["counts", "impacts", "total_annual_savings", "total_annual_risk", "unpriced_findings"]
    assert [getattr(one, f) for f in fields] == [getattr(two, f) for f in fields]


def test_the_final_step_runs_once(scenario, queued):
    run = reconciliation_run_start(as_of=AS_OF, parts=2)
    first, second = part_ids(run)
    reconciliation_part_run(part_id=first)
    assert reconciliation_run_finish(run_id=run.pk) is False  # a part is not done yet

    reconciliation_part_run(part_id=second)  # finishes the run
    run.refresh_from_db()
    finished_at = run.finished_at
    Finding.objects.filter(run=run, kind=FindingKind.INACTIVE).delete()

    assert reconciliation_run_finish(run_id=run.pk) is False
    run.refresh_from_db()
    assert run.counts == EXPECTED_COUNTS and run.finished_at == finished_at


def test_a_part_that_fails_fails_the_run_with_an_actionable_message(scenario, queued, committing, monkeypatch):
    run = reconciliation_run_start(as_of=AS_OF, parts=2)
    first, second = part_ids(run)

    def broken(**kwargs):
        raise RuntimeError("boom")

    with monkeypatch.context() as patch:
        patch.setattr(runs, "reconcile_part", broken)
        reconciliation_part_run(part_id=first)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error_message.startswith("Part 1 stopped on an unexpected error")
    assert "Run it again with the same as-of date to resume it" in run.error_message
    assert not Finding.objects.filter(run=run).exists()

    reconciliation_part_run(part_id=second)  # the failed run takes no more parts
    assert not Finding.objects.filter(run=run).exists()

    queued.clear()
    with committing():
        resumed = reconciliation_run_start(as_of=AS_OF)
    assert resumed.pk == run.pk and resumed.status == RunStatus.RUNNING and resumed.error_message == ""
    assert sorted(queued) == sorted([first, second])
    for part_id in queued:
        reconciliation_part_run(part_id=part_id)
    resumed.refresh_from_db()
    assert resumed.status == RunStatus.DONE and resumed.counts == EXPECTED_COUNTS


# Stale runs and resuming


def test_starting_again_returns_the_unfinished_run_while_it_reports(scenario, queued, committing):
    with committing():
        run = reconciliation_run_start(as_of=AS_OF, parts=2)
    assert len(queued) == 2
    queued.clear()
    with committing():
        again = reconciliation_run_start(as_of=AS_OF, parts=2)
    assert again.pk == run.pk and queued == []
    assert ReconciliationRun.objects.count() == 1


def test_starting_again_resumes_a_stale_run_with_only_its_unfinished_parts(scenario, queued, committing, settings):
    run = reconciliation_run_start(as_of=AS_OF, parts=3)
    first, second, third = part_ids(run)
    reconciliation_part_run(part_id=second)
    kept = sorted(Finding.objects.filter(run=run).values_list("pk", flat=True))
    make_stale(run, minutes=settings.RECONCILE_STALE_MINUTES + 1)
    queued.clear()

    with committing():
        resumed = reconciliation_run_start(as_of=AS_OF, parts=3)

    assert resumed.pk == run.pk
    assert sorted(queued) == [first, third]
    assert resumed.parameters["resumes"] == 1
    assert resumed.status == RunStatus.RUNNING and resumed.parts_done == 1
    assert sorted(Finding.objects.filter(run=run).values_list("pk", flat=True)) == kept
    for part_id in queued:
        reconciliation_part_run(part_id=part_id)
    resumed.refresh_from_db()
    assert (resumed.status, resumed.parts_done, resumed.counts) == (RunStatus.DONE, 3, EXPECTED_COUNTS)


def test_two_starts_racing_for_the_same_date_share_one_run(scenario, queued, monkeypatch):
    # Given another start that inserts its run after ours looked for an unfinished one and found none
    rival = {}
    real_split = runs.split_applications

    def split_while_a_rival_starts(weights, parts):
        rival["run"] = ReconciliationRun.objects.create(as_of=AS_OF, parts_total=1)
        return real_split(weights, parts)

    monkeypatch.setattr(runs, "split_applications", split_while_a_rival_starts)
    # When ours inserts
    ours = reconciliation_run_start(as_of=AS_OF, parts=2)
    # Then the unique index turns it back and ours is the rival's run: one unfinished run per date and scope
    assert ours.pk == rival["run"].pk
    assert ReconciliationRun.objects.filter(as_of=AS_OF).count() == 1
    assert ReconciliationPart.objects.count() == 0 and queued == []


def test_a_finished_run_does_not_stop_a_new_one_for_the_same_date(scenario, queued):
    first = reconciliation_run_start(as_of=AS_OF, parts=1)
    runs.reconciliation_run_inline(run=first)
    second = reconciliation_run_start(as_of=AS_OF, parts=1)
    assert second.pk != first.pk and second.status == RunStatus.QUEUED


def test_another_scope_or_date_is_a_new_run(scenario, queued):
    everything = reconciliation_run_start(as_of=AS_OF)
    make_stale(everything, minutes=60)
    alpha = reconciliation_run_start(as_of=AS_OF, application=scenario.alpha)
    other_day = reconciliation_run_start(as_of=AS_OF - timedelta(days=1))
    assert len({everything.pk, alpha.pk, other_day.pk}) == 3
    assert alpha.application == scenario.alpha and alpha.parts_total == 1


def test_expire_stale_fails_dead_runs_and_running_again_resumes_them(scenario, queued, committing, settings):
    settings.RECONCILE_STALE_MINUTES = 10
    dead = reconciliation_run_start(as_of=AS_OF, parts=2)
    reconciliation_part_run(part_id=part_ids(dead)[0])
    make_stale(dead, minutes=11)
    alive = reconciliation_run_start(as_of=AS_OF - timedelta(days=1), parts=2)
    never_started = reconciliation_run_start(as_of=AS_OF - timedelta(days=2), parts=2)
    ReconciliationRun.objects.filter(pk=never_started.pk).update(created_at=timezone.now() - timedelta(minutes=30))

    assert reconciliation_runs_expire_stale() == 2
    assert reconciliation_runs_expire_stale() == 0

    dead.refresh_from_db()
    assert dead.status == RunStatus.FAILED
    assert dead.error_message == (
        "The reconciliation stopped without finishing (1 of 2 parts done): its worker was probably stopped or "
        "restarted. Run it again with the same as-of date to resume it; the parts already done are kept."
    )
    alive.refresh_from_db()
    assert alive.status == RunStatus.QUEUED
    assert ReconciliationRun.objects.get(pk=never_started.pk).status == RunStatus.FAILED

    queued.clear()
    with committing():
        resumed = reconciliation_run_start(as_of=AS_OF)
    assert resumed.pk == dead.pk and queued == [part_ids(dead)[1]]
    reconciliation_part_run(part_id=queued[0])
    resumed.refresh_from_db()
    assert resumed.status == RunStatus.DONE and resumed.counts == EXPECTED_COUNTS


def test_resuming_a_run_whose_parts_are_all_done_just_finishes_it(scenario, queued, committing):
    run = reconciliation_run_start(as_of=AS_OF, parts=2)
    for part_id in part_ids(run):
        reconciliation_part_run(part_id=part_id)
    # As if the worker died between its last part and the final step:
    ReconciliationRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, counts={})
    queued.clear()

    with committing():
        resumed = reconciliation_run_resume(run=run)

    assert queued == []
    assert resumed.status == RunStatus.DONE and resumed.counts == EXPECTED_COUNTS


def test_a_finished_run_cannot_be_resumed(scenario, queued):
    run = reconciliation_run_inline(run=reconciliation_run_start(as_of=AS_OF, queue=False))
    with pytest.raises(RunNotResumable, match=f"Run #{run.pk} is done"):
        reconciliation_run_resume(run=run)
    assert reconciliation_run_start(as_of=AS_OF, queue=False).pk != run.pk  # a new run instead


def test_latest_run_is_the_newest_finished_one_of_that_scope(scenario, queued):
    older = reconciliation_run_inline(run=reconciliation_run_start(as_of=AS_OF, queue=False))
    newer = reconciliation_run_inline(run=reconciliation_run_start(as_of=AS_OF, queue=False))
    reconciliation_run_start(as_of=AS_OF + timedelta(days=1))  # unfinished
    reconciliation_run_inline(run=reconciliation_run_start(as_of=AS_OF, application=scenario.beta, queue=False))
    assert latest_run() == newer != older
    assert latest_run(done_only=False).as_of == AS_OF + timedelta(days=1)
    assert latest_run(application=scenario.beta).application == scenario.beta


def test_the_test_only_part_delay_setting_sleeps_before_each_part(scenario, queued, settings, monkeypatch):
    slept = []
    monkeypatch.setattr(runs.time, "sleep", slept.append)
    settings.RECONCILE_PART_DELAY_SECONDS = 2
    reconciliation_run_inline(run=reconciliation_run_start(as_of=AS_OF, parts=2, queue=False))
    assert slept == [2.0, 2.0]


# Tasks and the beat schedule


def test_nightly_task_reconciles_everything_as_of_today(scenario, queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run_id = reconciliation_run_nightly_task()
    run = ReconciliationRun.objects.get(pk=run_id)
    assert run.as_of == timezone.localdate() and run.application is None
    assert sorted(queued) == sorted(part_ids(run))


def test_expire_task_counts_what_it_expired(scenario, queued):
    make_stale(reconciliation_run_start(as_of=AS_OF))
    assert reconciliation_runs_expire_stale_task() == 1


def test_beat_runs_reconciliation_nightly_and_expires_stale_runs():
    schedule = {entry["task"]: entry["schedule"] for entry in celery_app.conf.beat_schedule.values()}
    nightly = schedule["licenses.tasks.reconciliation_run_nightly_task"]
    assert (nightly.hour, nightly.minute) == ({2}, {30})
    assert schedule["licenses.tasks.reconciliation_runs_expire_stale_task"] == 5 * 60


def test_a_deleted_part_is_nothing_to_do(db):
    assert reconciliation_part_run(part_id=987654) is None
    assert not ReconciliationPart.objects.exists()
