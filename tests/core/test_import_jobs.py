from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from saasmgr.core.choices import ImportJobStatus, ImportMode
from saasmgr.core.imports import registry
from saasmgr.core.imports import services as import_services
from saasmgr.core.imports.reading import ImportFileError
from saasmgr.core.imports.services import (
    STALE_MESSAGE,
    ImportJobBusy,
    import_job_create,
    import_job_progress_key,
    import_job_queue,
    import_job_run,
    import_job_start,
    import_jobs_expire_stale,
)
from saasmgr.core.models import ImportJob
from saasmgr.core.progress import progress_read, progress_report
from saasmgr.core.tasks import import_job_run_task, import_jobs_expire_stale_task
from tests.core.importers_for_tests import GroupImporter
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def group_importer():
    registry.register_importer(GroupImporter)
    yield GroupImporter
    registry._IMPORTERS.pop(GroupImporter.key(), None)


def groups_file(count: int, *, name: str = "groups.csv") -> SimpleUploadedFile:
    body = "Group name\n" + "".join(f"group {n:05d}\n" for n in range(count))
    return SimpleUploadedFile(name, body.encode(), content_type="text/csv")


def imported_groups() -> int:
    return Group.objects.filter(name__startswith="group ").count()


def new_job(count: int = 3, **fields) -> ImportJob:
    job = import_job_create(importer=GroupImporter, uploaded_file=groups_file(count), user=UserFactory())
    if fields:
        ImportJob.objects.filter(pk=job.pk).update(**fields)
        job.refresh_from_db()
    return job


def test_create_counts_the_rows_and_keeps_the_file():
    user = UserFactory()

    job = import_job_create(importer=GroupImporter, uploaded_file=groups_file(7), user=user)

    assert (job.kind, job.format, job.total_rows, job.status) == ("test-groups", "generic", 7, ImportJobStatus.UPLOADED)
    assert (job.original_name, job.created_by) == ("groups.csv", user)
    with job.file.open("rb") as stored:
        assert stored.read().decode().splitlines()[1] == "group 00000"


def test_create_refuses_a_file_without_data_rows():
    upload = SimpleUploadedFile("empty.csv", b"Group name\n")

    with pytest.raises(ImportFileError, match="no data rows"):
        import_job_create(importer=GroupImporter, uploaded_file=upload, user=UserFactory())
    assert ImportJob.objects.count() == 0


def test_a_small_file_runs_at_once(settings):
    settings.IMPORT_BACKGROUND_ROWS = 10
    job = new_job(3)

    ran = import_job_start(job=job, mode=ImportMode.ALL_OR_NOTHING)

    job.refresh_from_db()
    assert ran is True
    assert job.status == ImportJobStatus.DONE
    assert (job.result["rows"], job.result["created"], job.result["written"]) == (3, 3, True)
    assert (job.processed_rows, job.mode) == (3, ImportMode.ALL_OR_NOTHING)
    assert job.started_at <= job.finished_at
    assert imported_groups() == 3


def test_a_big_file_is_queued_for_a_worker_after_commit(settings, django_capture_on_commit_callbacks):
    settings.IMPORT_BACKGROUND_ROWS = 2
    job = new_job(3)

    with mock.patch.object(import_job_run_task, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            ran = import_job_start(job=job, mode=ImportMode.VALID_ROWS)
        delay.assert_not_called()  # not before the commit
        for callback in callbacks:
            callback()

    job.refresh_from_db()
    assert ran is False
    assert (job.status, job.mode) == (ImportJobStatus.QUEUED, ImportMode.VALID_ROWS)
    delay.assert_called_once_with(job.pk)
    assert imported_groups() == 0

    import_job_run_task(job.pk)  # what the worker runs

    job.refresh_from_db()
    assert job.status == ImportJobStatus.DONE
    assert (job.result["created"], job.result["unchanged"]) == (3, 0)
    assert imported_groups() == 3


def test_progress_moves_in_steps_and_is_readable_while_the_write_transaction_is_open():
    job = new_job(2000)
    import_job_queue(job=job, mode=ImportMode.ALL_OR_NOTHING, background=False)
    seen = []

    def report_and_read(key, **snapshot):
        progress_report(key, **snapshot)
        stored = progress_read(key)
        status = ImportJob.objects.values_list("status", flat=True).get(pk=job.pk)
        seen.append((stored.stage, stored.processed, stored.percent, connection.in_atomic_block, status))

    with mock.patch.object(import_services, "progress_report", side_effect=report_and_read):
        import_job_run(job_id=job.pk)

    writing = [entry for entry in seen if entry[0] == "writing"]
    assert [processed for _, processed, *_ in writing] == [200 * n for n in range(1, 11)] + [2000]
    assert [percent for _, _, percent, *_ in writing] == [55, 60, 65, 70, 75, 80, 85, 90, 95, 100, 100]
    assert all(in_transaction and status == ImportJobStatus.RUNNING for *_, in_transaction, status in writing)
    reading = [percent for stage, _, percent, *_ in seen if stage == "reading"]
    assert reading == sorted(reading) and len(set(reading)) >= 10
    # Finished: the numbers are in the database and the cache entry is gone.
    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.total_rows) == (ImportJobStatus.DONE, 2000, 2000)
    assert progress_read(import_job_progress_key(job.pk)) is None


def test_a_file_error_fails_the_job_with_the_message():
    job = new_job(3, column_mapping={"Group name": ""}, status=ImportJobStatus.QUEUED)

    import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED
    assert job.error_message.startswith("The file is missing 1 required column: name")
    assert job.finished_at is not None


def test_an_unknown_kind_fails_the_job():
    job = new_job(3, kind="retired-kind", status=ImportJobStatus.QUEUED)

    import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.error_message) == (
        ImportJobStatus.FAILED,
        f"Unknown import kind “retired-kind”. Known kinds: {', '.join(registry.kinds())}.",
    )


def test_an_unexpected_error_fails_the_job_and_writes_nothing(monkeypatch):
    def write_then_break(self, rows, *, context):
        Group.objects.create(name="group half-written")
        raise RuntimeError("bug")

    monkeypatch.setattr(GroupImporter, "write", write_then_break)
    job = new_job(3, status=ImportJobStatus.QUEUED)

    import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED
    assert job.error_message.startswith("The import stopped on an unexpected error and nothing was written.")
    assert imported_groups() == 0


def test_only_a_queued_job_runs():
    job = new_job(3)

    assert import_job_run(job_id=job.pk) is None

    job.refresh_from_db()
    assert job.status == ImportJobStatus.UPLOADED
    assert imported_groups() == 0


def test_a_queued_or_running_job_cannot_be_started_again():
    job = new_job(3, status=ImportJobStatus.RUNNING)

    with pytest.raises(ImportJobBusy):
        import_job_queue(job=job, mode=ImportMode.DRY_RUN)


def test_a_worker_killed_mid_import_leaves_nothing_and_the_job_expires_and_can_run_again(monkeypatch):
    original_write = GroupImporter.write

    def write_then_die(self, rows, *, context):
        Group.objects.create(name="group half-written")
        raise SystemExit("worker killed")  # not an Exception: nothing in the task catches it

    monkeypatch.setattr(GroupImporter, "write", write_then_die)
    job = new_job(3, status=ImportJobStatus.QUEUED)
    with pytest.raises(SystemExit):
        import_job_run(job_id=job.pk)
    assert imported_groups() == 0
    job.refresh_from_db()
    assert job.status == ImportJobStatus.RUNNING

    assert import_jobs_expire_stale(now=timezone.now() + timedelta(minutes=59)) == 0
    expired = import_jobs_expire_stale(now=timezone.now() + timedelta(hours=1, minutes=1))

    job.refresh_from_db()
    assert expired == 1
    assert (job.status, job.error_message) == (ImportJobStatus.FAILED, STALE_MESSAGE)
    monkeypatch.setattr(GroupImporter, "write", original_write)
    assert import_job_start(job=job, mode=ImportMode.ALL_OR_NOTHING) is True
    job.refresh_from_db()
    assert job.status == ImportJobStatus.DONE
    assert imported_groups() == 3


def test_the_expire_task_spares_running_jobs_that_still_report_progress():
    long_ago = timezone.now() - timedelta(hours=3)
    silent = new_job(3, status=ImportJobStatus.RUNNING, started_at=long_ago)
    busy = new_job(3, status=ImportJobStatus.RUNNING, started_at=long_ago)
    recent = new_job(3, status=ImportJobStatus.RUNNING, started_at=timezone.now() - timedelta(minutes=5))
    finished = new_job(3, status=ImportJobStatus.DONE, started_at=long_ago)
    progress_report(import_job_progress_key(busy.pk), stage="writing", processed=10, total=20, percent=75)

    assert import_jobs_expire_stale_task() == 1

    statuses = dict(ImportJob.objects.values_list("pk", "status"))
    assert statuses == {
        silent.pk: ImportJobStatus.FAILED,
        busy.pk: ImportJobStatus.RUNNING,
        recent.pk: ImportJobStatus.RUNNING,
        finished.pk: ImportJobStatus.DONE,
    }


def test_the_beat_schedule_names_the_expire_task():
    from saasmgr.celery import app

    assert app.conf.beat_schedule["import-jobs-expire-stale"]["task"] == import_jobs_expire_stale_task.name
    assert import_jobs_expire_stale_task.name == "saasmgr.core.tasks.import_jobs_expire_stale_task"
    assert import_job_run_task.name == "saasmgr.core.tasks.import_job_run_task"
