"""A real Celery worker process on Redis, sharing the PostgreSQL test database.

``celery_worker_process`` is what an integration test asks for: the worker is
started once per session, and for the duration of the test this process's
Celery app publishes to the same Redis broker. Tests that use it need
``transaction=True`` (the fixture pulls in ``transactional_db``) so the worker
sees committed rows.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.db import connection

from saasmgr.celery import app as celery_app
from tests.conftest import REPO_ROOT, service_unavailable

WORKER_START_TIMEOUT = 60


def postgres_test_database_url() -> str:
    """The URL of the database pytest-django created for this session."""
    config = connection.settings_dict
    if config["ENGINE"] != "django.db.backends.postgresql":
        service_unavailable(
            "PostgreSQL",
            "this run's test database is SQLite in memory, which a worker process cannot share",
            "run the suite with DATABASE_URL=postgres://postgres@127.0.0.1:5432/saasmgr",
        )
    credentials = quote(config["USER"] or "", safe="")
    if config.get("PASSWORD"):
        credentials += ":" + quote(config["PASSWORD"], safe="")
    host = config.get("HOST") or "127.0.0.1"
    port = config.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{config['NAME']}"


@dataclass
class CeleryWorker:
    node_name: str
    broker_url: str
    database_url: str
    log_path: Path
    process: subprocess.Popen

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def ping(self, timeout: float = 1.0) -> list[dict]:
        with celery_app_publishing_to(self.broker_url):
            return celery_app.control.ping(destination=[self.node_name], timeout=timeout)

    def wait_idle(self, timeout: float = 60) -> None:
        """Until nothing is queued, reserved or running: work a test set off (a finished run queues the
        opportunities refresh) must end before the test database is flushed, or the flush deadlocks with it."""
        import redis

        queue = redis.Redis.from_url(self.broker_url)
        deadline = time.monotonic() + timeout
        quiet = 0
        while time.monotonic() < deadline:
            busy = queue.llen("celery") or self.inspect("active") or self.inspect("reserved")
            quiet = 0 if busy else quiet + 1
            if quiet == 2:
                return
            time.sleep(0.2)
        pytest.fail(f"The Celery worker was still busy after {timeout}s:\n{self.log()}", pytrace=False)

    def inspect(self, method: str):
        """One ``celery inspect`` call (stats, registered, active, ...): this worker's reply."""
        with celery_app_publishing_to(self.broker_url):
            replies = getattr(celery_app.control.inspect(destination=[self.node_name], timeout=5), method)()
        return (replies or {}).get(self.node_name)


def _reset_celery_pools() -> None:
    # Only forget them: kombu keeps one pool per broker URL in a registry, and reuses it next time.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def celery_app_publishing_to(broker_url: str):
    """Points this process's Celery app (tasks, control commands) at ``broker_url`` for a while."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.broker_transport_options
    # Celery reads CELERY_BROKER_URL from the environment before its own setting, so a
    # CELERY_BROKER_URL in the test run's environment would otherwise win.
    saved_env = os.environ.get("CELERY_BROKER_URL")
    _reset_celery_pools()
    conf.broker_url, conf.broker_transport_options = broker_url, {}
    if saved_env is not None:
        os.environ["CELERY_BROKER_URL"] = broker_url
    try:
        yield
    finally:
        _reset_celery_pools()
        if saved_env is not None:
            os.environ["CELERY_BROKER_URL"] = saved_env
        conf.broker_url, conf.broker_transport_options = saved


def _wait_until_ready(worker: CeleryWorker) -> None:
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            pytest.fail(f"The Celery worker exited with {worker.process.returncode}:\n{worker.log()}", pytrace=False)
        if worker.ping(timeout=0.5):
            return
    pytest.fail(f"The Celery worker did not answer a ping in {WORKER_START_TIMEOUT}s:\n{worker.log()}", pytrace=False)


def _stop(process: subprocess.Popen) -> None:
    """Warm shutdown first (finish the task at hand), then kill the worker's process group."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def celery_worker_start(
    *, broker_url: str, database_url: str, var_dir: Path, concurrency: int = 2, extra_env: dict | None = None
) -> CeleryWorker:
    """A prefork worker process of the project on ``broker_url``, answering pings. ``extra_env``
    is added to its environment (e.g. a test-only setting)."""
    log_path = var_dir / "worker.log"
    node_name = f"integration-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "CACHE_URL": broker_url,
        "SAASMGR_VAR_DIR": str(var_dir),
        "MEDIA_ROOT": str(var_dir / "media"),
        **(extra_env or {}),
    }
    command = [
        str(Path(sys.executable).parent / "celery"),
        "-A",
        "saasmgr",
        "worker",
        "--pool",
        "prefork",
        "--concurrency",
        str(concurrency),
        "-l",
        "INFO",
        "-n",
        node_name,
        "--without-mingle",
        "--without-gossip",
    ]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    worker = CeleryWorker(node_name, broker_url, database_url, log_path, process)
    try:
        _wait_until_ready(worker)
    except BaseException:
        _stop(process)
        raise
    return worker


@pytest.fixture(scope="session")
def _celery_worker_session(django_db_setup, django_db_blocker, postgres_url, redis_url, tmp_path_factory):
    import redis

    with django_db_blocker.unblock():
        database_url = postgres_test_database_url()
    redis.Redis.from_url(redis_url).flushdb()  # the test Redis database: no messages left from an earlier run
    worker = celery_worker_start(
        broker_url=redis_url, database_url=database_url, var_dir=tmp_path_factory.mktemp("worker-var")
    )
    try:
        yield worker
    finally:
        _stop(worker.process)


def sibling_redis_url(redis_url: str) -> str:
    """Another database of the same Redis server: a broker of its own for workers started by one test."""
    parts = urlsplit(redis_url)
    db = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{db + 1 if db < 15 else db - 1}"))


@pytest.fixture
def celery_worker_factory(_celery_worker_session, transactional_db, tmp_path_factory):
    """``start(concurrency=1, extra_env={...})`` starts a worker of this test's own, on a broker no
    other worker listens to (``sibling_redis_url``), so the test may kill it; every worker it
    started is stopped after the test. Publish to it with ``celery_app_publishing_to(worker.broker_url)``."""
    import redis

    broker_url = sibling_redis_url(_celery_worker_session.broker_url)
    redis.Redis.from_url(broker_url).flushdb()
    started: list[CeleryWorker] = []

    def start(*, concurrency: int = 2, extra_env: dict | None = None) -> CeleryWorker:
        worker = celery_worker_start(
            broker_url=broker_url,
            database_url=_celery_worker_session.database_url,
            var_dir=tmp_path_factory.mktemp("worker-var"),
            concurrency=concurrency,
            extra_env=extra_env,
        )
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            _stop(worker.process)
        redis.Redis.from_url(broker_url).flushdb()


@pytest.fixture
def celery_worker_process(_celery_worker_session, transactional_db, settings):
    """The running worker; while the test runs, tasks queued here go to its broker."""
    worker = _celery_worker_session
    if worker.process.poll() is not None:
        pytest.fail(f"The Celery worker died earlier in the session:\n{worker.log()}", pytrace=False)
    settings.CELERY_BROKER_URL = worker.broker_url
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    with celery_app_publishing_to(worker.broker_url):
        yield worker
    worker.wait_idle()
