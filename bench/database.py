"""The benchmark's own PostgreSQL database: create it, migrate and seed it, and clear what a run writes.

Only the database named in BENCH_DATABASE_URL is ever created, dropped or written. The size, seed
and as-of date it was seeded with are kept in a table of its own (``bench_dataset``), so a later run
knows whether the company in it is the one it asked for.
"""

import os
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from bench.measure import child_run

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/saasmgr_bench"
REPO_ROOT = Path(__file__).resolve().parent.parent
# What a benchmark run writes: emptied before each run so that every run starts alike.
RUN_TABLES = (
    "licenses_activity",
    "licenses_pendingactivity",
    "licenses_usagesource",
    "licenses_identityreview",
    "licenses_namereview",
    "licenses_reconciliationrun",
    "licenses_reconciliationpart",
    "licenses_finding",
)


class BenchSetupError(Exception):
    """The database cannot be prepared; the message says what to do."""


@dataclass(frozen=True)
class Seeded:
    size: str
    seed: int
    today: date


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)


def database_name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not name:
        raise BenchSetupError(f"BENCH_DATABASE_URL {url!r} names no database.")
    return name


def connect(url: str, **kwargs) -> psycopg.Connection:
    return psycopg.connect(url, **kwargs)


def _server_url(url: str) -> str:
    """The same server's maintenance database, to create or drop the benchmark's."""
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def database_ensure(url: str, *, recreate: bool = False) -> bool:
    """Create the database of ``url`` when it is missing (drop it first with ``recreate``); returns
    whether it was created."""
    name = database_name(url)
    try:
        server = connect(_server_url(url), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise BenchSetupError(
            f"PostgreSQL does not answer at {_server_url(url)}: {exc}. Start it, or point BENCH_DATABASE_URL at one."
        ) from exc
    with server:
        exists = server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and recreate:
            server.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if exists:
            return False
        server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def seeded_read(url: str) -> Seeded | None:
    """The seed and as-of date the database was seeded with by the benchmark, if it was."""
    with connect(url) as conn:
        table = conn.execute("SELECT to_regclass('bench_dataset')").fetchone()[0]
        if table is None:
            return None
        row = conn.execute("SELECT size, seed, today FROM bench_dataset").fetchone()
    return Seeded(*row) if row else None


def seeded_write(url: str, seeded: Seeded) -> None:
    with connect(url) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_dataset (size text NOT NULL, seed integer NOT NULL, today date NOT NULL)"
        )
        conn.execute("DELETE FROM bench_dataset")
        conn.execute(
            "INSERT INTO bench_dataset (size, seed, today) VALUES (%s, %s, %s)",
            [seeded.size, seeded.seed, seeded.today],
        )


def manage(*args: str, env: dict[str, str]) -> None:
    """``manage.py`` with ``args`` in a process of its own (its memory is not this process's); its
    output goes to this process's output."""
    log = REPO_ROOT / "var" / "bench" / f"manage-{args[0]}.out"
    run = child_run([sys.executable, "manage.py", *args], env=env, cwd=REPO_ROOT, log=log)
    sys.stdout.write(run.stdout)
    if run.returncode != 0:
        raise BenchSetupError(f"manage.py {' '.join(args)} failed ({run.returncode}):\n{run.stderr[-4000:]}")


def run_tables_clear(url: str) -> None:
    """Empty what ingests and reconciliations write, leaving the seeded company."""
    with connect(url) as conn:
        tables = sql.SQL(", ").join(sql.Identifier(table) for table in RUN_TABLES)
        conn.execute(sql.SQL("TRUNCATE {} CASCADE").format(tables))


def runs_clear(url: str) -> None:
    """Empty the reconciliation runs and their findings, so each timed run writes into the same empty tables."""
    with connect(url) as conn:
        conn.execute("TRUNCATE licenses_reconciliationrun, licenses_reconciliationpart, licenses_finding CASCADE")


def server_settings(url: str) -> dict[str, str]:
    with connect(url) as conn:
        return {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in ("server_version", "autovacuum")}


def analyze(url: str) -> float:
    """ANALYZE the database, as autovacuum does after a large load; returns the seconds taken. Without
    statistics the planner takes a table of millions of rows for an empty one."""
    started = time.perf_counter()
    with connect(url) as conn:
        conn.execute("ANALYZE")
    return time.perf_counter() - started
