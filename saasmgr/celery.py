"""The Celery app and the one beat schedule of the whole product."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saasmgr.settings")

app = Celery("saasmgr")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every periodic task of every app is listed here and nowhere else.
app.conf.beat_schedule = {
    "import-jobs-expire-stale": {
        "task": "saasmgr.core.tasks.import_jobs_expire_stale_task",
        "schedule": 15 * 60,
    },
    "renewal-reminders-daily": {
        "task": "renewals.tasks.renewal_reminders_send_task",
        "schedule": crontab(hour=7, minute=0),
    },
    "reconciliation-nightly": {
        "task": "licenses.tasks.reconciliation_run_nightly_task",
        "schedule": crontab(hour=2, minute=30),
    },
    "reconciliation-runs-expire-stale": {
        "task": "licenses.tasks.reconciliation_runs_expire_stale_task",
        "schedule": 5 * 60,
    },
    # Daily even without a new run: renewals enter the right-size window, deadlines near, usage moves.
    "opportunities-refresh-daily": {
        "task": "savings.tasks.opportunities_refresh_task",
        "schedule": crontab(hour=5, minute=0),
    },
}
