"""The production shape of the background side: Redis as the broker and a real prefork worker."""

import pytest
from django.test import Client

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_worker_answers_a_ping_over_redis(celery_worker_process):
    replies = celery_worker_process.ping(timeout=5)
    assert replies == [{celery_worker_process.node_name: {"ok": "pong"}}]


def test_worker_runs_a_prefork_pool_of_two_on_the_redis_broker(celery_worker_process):
    stats = celery_worker_process.inspect("stats")
    assert stats["pool"]["implementation"] == "celery.concurrency.prefork:TaskPool"
    assert stats["pool"]["max-concurrency"] == 2
    assert len(stats["pool"]["processes"]) == 2
    assert stats["broker"]["transport"] == "redis"


def test_worker_knows_the_project_tasks(celery_worker_process):
    from saasmgr.celery import app

    registered = set(celery_worker_process.inspect("registered"))
    beat_tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert beat_tasks, "the beat schedule is empty"
    assert beat_tasks <= registered, f"beat tasks the worker does not know: {sorted(beat_tasks - registered)}"


def test_health_reports_the_real_redis_broker(celery_worker_process):
    response = Client().get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_health_reports_a_broker_that_does_not_answer(celery_worker_process, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = Client().get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["database"]) == ("error", "ok")
    assert body["broker"].startswith("error: ")
