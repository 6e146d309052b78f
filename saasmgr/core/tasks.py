"""Background work of core. Tasks take ids and call one service."""

from celery import shared_task

from saasmgr.core.imports.services import import_job_run, import_jobs_expire_stale


@shared_task(name="saasmgr.core.tasks.import_job_run_task")
def import_job_run_task(job_id: int) -> None:
    import_job_run(job_id=job_id)


@shared_task(name="saasmgr.core.tasks.import_jobs_expire_stale_task")
def import_jobs_expire_stale_task() -> int:
    return import_jobs_expire_stale()
