"""Celery workers: the same queued reconciliation with one worker process, then with two.

A real ``celery -A saasmgr worker`` is started on the benchmark's Redis broker for each count; the
run is started here (queued, as the nightly task does) and timed until its last part is done.
Reported: both times (wall, and the run's own from the database) and time(1) / time(2).
"""

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bench.database import REPO_ROOT, runs_clear
from bench.measure import launched, peak_read

DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/12"
START_TIMEOUT = 60
RUN_TIMEOUT = 3600
POLL_SECONDS = 0.1


@dataclass
class Worker:
    node: str
    process: subprocess.Popen
    log: Path
    peak_path: Path


def broker_url() -> str:
    return os.environ.get("BENCH_BROKER_URL", DEFAULT_BROKER_URL)


def worker_start(*, concurrency: int, env: dict[str, str]) -> Worker:
    """A prefork worker with ``concurrency`` processes, answering pings."""
    from saasmgr.celery import app

    node = f"bench-{concurrency}-{os.getpid()}@{socket.gethostname()}"
    log = REPO_ROOT / "var" / "bench" / f"worker-{concurrency}.log"
    peak_path = log.with_suffix(".peak")
    peak_path.unlink(missing_ok=True)
    command = [
        str(Path(sys.executable).parent / "celery"),
        "-A",
        "saasmgr",
        "worker",
        "--pool",
        "prefork",
        "--concurrency",
        str(concurrency),
        "--loglevel",
        "WARNING",
        "-n",
        node,
        "--without-mingle",
        "--without-gossip",
    ]
    with log.open("w") as out:
        process = subprocess.Popen(
            launched(command, peak_path=peak_path),
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = Worker(node, process, log, peak_path)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"The Celery worker exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        if app.control.ping(destination=[node], timeout=0.5):
            return worker
    worker_stop(worker)
    raise RuntimeError(f"The Celery worker did not answer a ping in {START_TIMEOUT} s:\n{log.read_text()[-4000:]}")


def worker_stop(worker: Worker) -> int | None:
    """Warm shutdown of the worker's process group (the worker and its launcher); returns the peak
    memory of the worker's largest process."""
    if worker.process.poll() is None:
        os.killpg(worker.process.pid, signal.SIGTERM)
        try:
            worker.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.process.pid, signal.SIGKILL)
            worker.process.wait(timeout=10)
    return peak_read(worker.peak_path)


def queued_run_measure(*, as_of: date) -> dict:
    """Start a queued run of every application and wait until it is done."""
    from licenses.choices import RunStatus
    from licenses.models import ReconciliationRun
    from licenses.runs import reconciliation_run_start

    started = time.perf_counter()
    run = reconciliation_run_start(as_of=as_of, queue=True)
    deadline = time.monotonic() + RUN_TIMEOUT
    while run.status not in (RunStatus.DONE, RunStatus.FAILED):
        if time.monotonic() > deadline:
            raise RuntimeError(f"Run #{run.pk} was not done after {RUN_TIMEOUT} s ({run.parts_done} parts done).")
        time.sleep(POLL_SECONDS)
        run = ReconciliationRun.objects.get(pk=run.pk)
    seconds = time.perf_counter() - started
    if run.status == RunStatus.FAILED:
        raise RuntimeError(f"Run #{run.pk} failed: {run.error_message}")
    return {
        "seconds": seconds,
        "run_seconds": (run.finished_at - run.created_at).total_seconds(),
        "parts": run.parts_total,
        "findings": sum(run.counts.values()),
    }


def workers_measure(*, env: dict[str, str], url: str, as_of: date, concurrencies=(1, 2)) -> dict:
    """The queued run's time with each worker count, and time(first) / time(last)."""
    from saasmgr.celery import app

    app.control.purge()  # nothing left on the benchmark's queue from an interrupted run
    results = {}
    for concurrency in concurrencies:
        runs_clear(url)
        worker = worker_start(concurrency=concurrency, env=env)
        try:
            results[concurrency] = queued_run_measure(as_of=as_of)
        finally:
            peak = worker_stop(worker)
        results[concurrency]["worker_peak_rss_bytes"] = peak
    first, last = concurrencies[0], concurrencies[-1]
    return {
        "broker": env["CELERY_BROKER_URL"],
        "by_concurrency": {str(count): figures for count, figures in results.items()},
        "speedup": results[first]["seconds"] / results[last]["seconds"],
    }
