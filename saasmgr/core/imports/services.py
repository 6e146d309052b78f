"""Import jobs: an uploaded file on its way through preview, validation and import."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from saasmgr.core.choices import ImportJobStatus, ImportMode
from saasmgr.core.imports.base import Importer
from saasmgr.core.imports.engine import CHECKING, READING, WRITING, import_file
from saasmgr.core.imports.reading import ImportFileError, count_data_rows, open_table
from saasmgr.core.imports.registry import UnknownImporter, get_importer
from saasmgr.core.models import ImportJob
from saasmgr.core.progress import progress_clear, progress_read, progress_report

logger = logging.getLogger(__name__)

# A job keeps at most this many row errors; the counts still cover every error.
STORED_ERROR_LIMIT = 5000
STALE_AFTER = timedelta(hours=1)
STALE_MESSAGE = (
    "The import stopped without finishing: its worker was probably stopped or restarted. "
    "Its transaction was rolled back, so nothing was written. Run it again."
)
# Each stage's share of the progress bar, in percent.
STAGE_SPANS = {READING: (0, 45), CHECKING: (45, 50), WRITING: (50, 100)}
STARTABLE = (ImportJobStatus.UPLOADED, ImportJobStatus.DONE, ImportJobStatus.FAILED)


class ImportJobBusy(Exception):
    """The job is already queued or running."""


def import_job_progress_key(job_id: int) -> str:
    return f"saasmgr:import-job:{job_id}:progress"


def import_job_create(*, importer: type[Importer], uploaded_file: UploadedFile, user) -> ImportJob:
    """Store the upload once it is known to be a readable table with data rows."""
    name = uploaded_file.name or "upload"
    # Read outside any transaction: on SQLite a transaction holds the write lock.
    with open_table(uploaded_file, name=name) as table:
        total_rows = count_data_rows(table)
    if not total_rows:
        raise ImportFileError("The file has a header row but no data rows.")
    uploaded_file.seek(0)
    with transaction.atomic():
        return ImportJob.objects.create(
            kind=importer.kind,
            format=importer.format,
            file=uploaded_file,
            original_name=name[:255],
            total_rows=total_rows,
            created_by=user,
        )


@transaction.atomic
def import_job_set_mapping(*, job: ImportJob, mapping: dict[str, str]) -> ImportJob:
    job.column_mapping = mapping
    job.save(update_fields=["column_mapping", "updated_at"])
    return job


def import_job_start(*, job: ImportJob, mode: str) -> bool:
    """Run a small file at once; queue a big one (more than IMPORT_BACKGROUND_ROWS rows) for
    a worker. Returns True when the job already ran."""
    background = job.total_rows > settings.IMPORT_BACKGROUND_ROWS
    with transaction.atomic():
        import_job_queue(job=job, mode=mode, background=background)
    if background:
        return False
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    return True


def import_job_queue(*, job: ImportJob, mode: str, background: bool = True) -> None:
    """Mark the job queued (compare-and-set, so one job never runs twice at once) and, with
    ``background``, send it to a worker once the transaction commits."""
    if mode not in ImportMode.values:
        raise ValueError(f"unknown import mode {mode!r}")
    queued = ImportJob.objects.filter(pk=job.pk, status__in=STARTABLE).update(
        status=ImportJobStatus.QUEUED, mode=mode, updated_at=timezone.now()
    )
    if not queued:
        raise ImportJobBusy("This import is already queued or running; wait for it to finish.")
    job.refresh_from_db()
    if background:
        from saasmgr.core.tasks import import_job_run_task

        transaction.on_commit(lambda: import_job_run_task.delay(job.pk))


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Run a queued job. The rows are written in one transaction, so a worker that dies
    leaves nothing behind; ``import_jobs_expire_stale`` then marks the job failed."""
    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJobStatus.QUEUED).update(
        status=ImportJobStatus.RUNNING,
        started_at=now,
        finished_at=None,
        processed_rows=0,
        error_message="",
        result={},
        updated_at=now,
    )
    if not claimed:
        logger.info("Import job %s is not queued (any more); not running it.", job_id)
        return None
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    key = import_job_progress_key(job.pk)
    try:
        result = _run(job, key)
    except (ImportFileError, UnknownImporter) as exc:
        _finish(job, status=ImportJobStatus.FAILED, error_message=str(exc))
    except FileNotFoundError:
        _finish(job, status=ImportJobStatus.FAILED, error_message="The uploaded file is gone; upload it again.")
    except Exception:
        logger.exception("Import job %s failed", job_id)
        _finish(
            job,
            status=ImportJobStatus.FAILED,
            error_message="The import stopped on an unexpected error and nothing was written. "
            "The error is in the server log; run it again, or report it.",
        )
    else:
        _finish(
            job,
            status=ImportJobStatus.DONE,
            result=result.to_dict(error_limit=STORED_ERROR_LIMIT),
            processed_rows=result.rows,
            total_rows=result.rows,
        )
    finally:
        progress_clear(key)
    job.refresh_from_db()
    return job


def _run(job: ImportJob, key: str):
    importer = get_importer(job.kind, job.format)()

    def on_progress(stage: str, processed: int, total: int | None) -> None:
        start, end = STAGE_SPANS[stage]
        fraction = processed / total if total else 0
        progress_report(
            key, stage=stage, processed=processed, total=total or 0, percent=int(start + (end - start) * fraction)
        )

    on_progress(READING, 0, job.total_rows)
    with job.file.open("rb") as fileobj:
        return import_file(
            importer=importer,
            fileobj=fileobj,
            name=job.original_name,
            mode=job.mode,
            mapping=job.column_mapping,
            user=job.created_by,
            on_progress=on_progress,
            total_rows=job.total_rows,
        )


def _finish(job: ImportJob, *, status: str, **fields) -> None:
    now = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(status=status, finished_at=now, updated_at=now, **fields)


def import_jobs_expire_stale(*, now: datetime | None = None, stale_after: timedelta = STALE_AFTER) -> int:
    """Fail the jobs stuck in "running" for longer than ``stale_after`` that stopped
    reporting progress (their worker died); returns how many."""
    now = now or timezone.now()
    cutoff = now - stale_after
    stuck = ImportJob.objects.filter(status=ImportJobStatus.RUNNING).filter(
        Q(started_at__lt=cutoff) | Q(started_at__isnull=True, updated_at__lt=cutoff)
    )
    expired = 0
    for job_id in stuck.values_list("pk", flat=True):
        key = import_job_progress_key(job_id)
        snapshot = progress_read(key)
        if snapshot is not None and snapshot.reported_at > cutoff.timestamp():
            continue  # still reporting: slow, not dead
        expired += ImportJob.objects.filter(pk=job_id, status=ImportJobStatus.RUNNING).update(
            status=ImportJobStatus.FAILED, finished_at=now, updated_at=now, error_message=STALE_MESSAGE
        )
        progress_clear(key)
    if expired:
        logger.warning("Marked %s stale import job(s) as failed.", expired)
    return expired
