"""Reconciliation: the product's run over the whole dataset, beside the same computation as one
DuckDB query and beside a naive per-row ORM loop.

- Product: ``manage.py reconcile --as-of D --inline --json`` in a process of its own, so that its
  wall time and peak memory are its own (startup included).
- DuckDB: the input tables are copied out of PostgreSQL (COPY ... TO STDOUT, as CSV) and loaded
  into an in-memory DuckDB by a child process (``python -m bench.reconcile duckdb DIR AS_OF DAYS``);
  only the query is timed. It applies the rules of ``licenses/reconcile.py``, and its finding
  counts per kind must equal the product's.
- Naive (``bench.naive``): what the engine replaces, one ORM query after another for each seat,
  pool and user, on a sample, extrapolated to the whole dataset.
"""

import csv
import json
import sys
import time
from datetime import date
from pathlib import Path

from bench.database import REPO_ROOT, connect
from bench.measure import child_run, peak_rss_reset, rss_bytes

# The input tables, as read from the product's database, and their DuckDB types.
INPUT_TABLES = {
    "person": (
        "SELECT id, status, termination_date FROM inventory_person",
        {"id": "BIGINT", "status": "VARCHAR", "termination_date": "DATE"},
    ),
    "application": (
        "SELECT id, inactivity_days FROM inventory_application",
        {"id": "BIGINT", "inactivity_days": "INTEGER"},
    ),
    "pool": (
        "SELECT id, application_id, purchased_quantity, inactivity_days FROM licenses_licensepool",
        {"id": "BIGINT", "application_id": "BIGINT", "purchased_quantity": "INTEGER", "inactivity_days": "INTEGER"},
    ),
    "assignment": (
        "SELECT id, pool_id, person_id, account, assigned_on, unassigned_on FROM licenses_assignment",
        {
            "id": "BIGINT",
            "pool_id": "BIGINT",
            "person_id": "BIGINT",
            "account": "VARCHAR",
            "assigned_on": "DATE",
            "unassigned_on": "DATE",
        },
    ),
    "activity": (
        "SELECT person_id, application_id, day FROM licenses_activity",
        {"person_id": "BIGINT", "application_id": "BIGINT", "day": "DATE"},
    ),
    "usage_source": (
        "SELECT DISTINCT application_id FROM licenses_usagesource",
        {"application_id": "BIGINT"},
    ),
}

# The rules of licenses/reconcile.py (see its docstring), as one query: finding counts and seats per kind.
FINDINGS_QUERY = """
WITH
apps AS (
    SELECT a.id AS application_id,
           coalesce(a.inactivity_days, $default_days) AS threshold_days,
           a.id IN (SELECT application_id FROM usage_source) AS has_usage
    FROM application a
    WHERE a.id IN (SELECT application_id FROM pool)
),
pools AS (
    SELECT p.id AS pool_id, p.application_id, p.purchased_quantity,
           coalesce(p.inactivity_days, a.inactivity_days, $default_days) AS threshold_days
    FROM pool p JOIN application a ON a.id = p.application_id
),
departed AS (
    SELECT id AS person_id FROM person WHERE status = 'terminated' OR termination_date <= $as_of
),
last_seen AS (
    SELECT person_id, application_id, max(day) AS last_seen
    FROM activity WHERE day <= $as_of
    GROUP BY person_id, application_id
),
seats AS (
    SELECT s.id AS assignment_id, s.pool_id, s.person_id, lower(s.account) AS account_key, s.assigned_on,
           p.application_id, p.threshold_days, apps.has_usage, l.last_seen,
           d.person_id IS NOT NULL AS departed
    FROM assignment s
    JOIN pools p ON p.pool_id = s.pool_id
    JOIN apps ON apps.application_id = p.application_id
    LEFT JOIN last_seen l ON l.person_id = s.person_id AND l.application_id = p.application_id
    LEFT JOIN departed d ON d.person_id = s.person_id
    WHERE (s.assigned_on IS NULL OR s.assigned_on <= $as_of)
      AND (s.unassigned_on IS NULL OR s.unassigned_on > $as_of)
),
judged AS (
    SELECT *,
           CASE
               WHEN person_id IS NULL THEN NULL
               WHEN departed THEN 'departed_holder'
               WHEN has_usage AND last_seen IS NULL
                    AND (assigned_on IS NULL OR $as_of - assigned_on > threshold_days) THEN 'never_used'
               WHEN has_usage AND $as_of - last_seen > threshold_days THEN 'inactive'
           END AS reason
    FROM seats
),
several AS (
    SELECT application_id, person_id
    FROM judged WHERE person_id IS NOT NULL
    GROUP BY application_id, person_id
    HAVING count(DISTINCT account_key) > 1
),
duplicates AS (
    SELECT j.account_key, j.reason,
           first_value(j.account_key) OVER (
               PARTITION BY j.application_id, j.person_id
               ORDER BY j.last_seen DESC NULLS LAST, j.assigned_on ASC NULLS LAST, j.assignment_id
           ) AS kept_key
    FROM judged j JOIN several USING (application_id, person_id)
),
pool_counts AS (
    SELECT p.pool_id, p.purchased_quantity - count(j.assignment_id) AS spare
    FROM pools p LEFT JOIN judged j ON j.pool_id = p.pool_id
    WHERE p.purchased_quantity IS NOT NULL
    GROUP BY p.pool_id, p.purchased_quantity
),
findings AS (
    SELECT reason AS kind, 1 AS quantity FROM judged WHERE reason IS NOT NULL
    UNION ALL
    SELECT 'duplicate_account', 1 FROM duplicates WHERE account_key <> kept_key AND reason IS NULL
    UNION ALL
    SELECT CASE WHEN spare > 0 THEN 'unassigned_seat' ELSE 'over_assigned' END, abs(spare)
    FROM pool_counts WHERE spare <> 0
    UNION ALL
    SELECT 'unlicensed_user', 1
    FROM last_seen l JOIN apps ON apps.application_id = l.application_id
    WHERE l.application_id IN (SELECT application_id FROM pools WHERE purchased_quantity IS NOT NULL)
      AND $as_of - l.last_seen <= apps.threshold_days
      AND l.person_id NOT IN (SELECT person_id FROM departed)
      AND NOT EXISTS (
          SELECT 1 FROM judged j
          WHERE j.person_id = l.person_id AND j.application_id = l.application_id
      )
)
SELECT kind, count(*) AS findings, sum(quantity) AS seats FROM findings GROUP BY kind ORDER BY kind
"""


# The product


def product_measure(*, env: dict[str, str], url: str, as_of: date) -> dict:
    """The product's inline run of every application: wall time and peak memory of the command,
    and its findings per kind (count and seats) read back from the findings table."""
    command = [sys.executable, "manage.py", "reconcile", "--as-of", as_of.isoformat(), "--inline", "--json"]
    run = child_run(command, env=env, cwd=REPO_ROOT, log=REPO_ROOT / "var" / "bench" / "reconcile-product.out")
    if run.returncode != 0:
        raise RuntimeError(f"manage.py reconcile failed ({run.returncode}):\n{run.stderr[-4000:]}")
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    return {
        "seconds": run.seconds,
        "peak_rss_bytes": run.peak_rss_bytes,
        "run": summary["run"],
        "parts": summary["parts_total"],
        "run_seconds": run_seconds(url, summary["run"]),
        "findings": product_findings(url, summary["run"]),
    }


def run_seconds(url: str, run_id: int) -> float:
    """From the run's creation to its end, by the database's clock."""
    with connect(url) as conn:
        seconds = conn.execute(
            "SELECT extract(epoch FROM finished_at - created_at) FROM licenses_reconciliationrun WHERE id = %s",
            [run_id],
        ).fetchone()[0]
    return float(seconds)


def product_findings(url: str, run_id: int) -> dict[str, dict[str, int]]:
    with connect(url) as conn:
        rows = conn.execute(
            "SELECT kind, count(*), sum(quantity) FROM licenses_finding WHERE run_id = %s GROUP BY kind",
            [run_id],
        ).fetchall()
    return {kind: {"findings": count, "seats": int(seats)} for kind, count, seats in rows}


# DuckDB


def tables_export_postgres(*, url: str, directory: Path) -> float:
    """Each input table to ``directory/<table>.csv`` with COPY ... TO STDOUT; returns the seconds taken."""
    directory.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with connect(url) as conn, conn.cursor() as cursor:
        for table, (select, _) in INPUT_TABLES.items():
            with (
                (directory / f"{table}.csv").open("wb") as out,
                cursor.copy(f"COPY ({select}) TO STDOUT (FORMAT csv)") as copy,
            ):
                for block in copy:
                    out.write(block)
    return time.perf_counter() - started


def tables_export_django(*, directory: Path) -> None:
    """The same files through Django's connection (any database; for small datasets and tests)."""
    from django.db import connection

    directory.mkdir(parents=True, exist_ok=True)
    with connection.cursor() as cursor:
        for table, (select, _) in INPUT_TABLES.items():
            cursor.execute(select)
            with (directory / f"{table}.csv").open("w", newline="") as out:
                csv.writer(out).writerows(cursor.fetchall())


def duckdb_load(con, directory: Path) -> None:
    for table, (_, columns) in INPUT_TABLES.items():
        types = ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items())
        con.execute(
            f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM read_csv(?, header = false, columns = {{{types}}})",
            [str(directory / f"{table}.csv")],
        )


def duckdb_findings(con, *, as_of: date, default_days: int) -> dict[str, dict[str, int]]:
    rows = con.execute(FINDINGS_QUERY, {"as_of": as_of, "default_days": default_days}).fetchall()
    return {kind: {"findings": count, "seats": int(seats)} for kind, count, seats in rows}


def duckdb_measure(*, env: dict[str, str], directory: Path, as_of: date, default_days: int) -> dict:
    """Load the exported tables into DuckDB and run the query, in a child process; the query's time,
    the process's memory once loaded and its peak during the query, and the findings."""
    command = [sys.executable, "-m", "bench.reconcile", "duckdb", str(directory), as_of.isoformat(), str(default_days)]
    run = child_run(command, env=env, cwd=REPO_ROOT, log=REPO_ROOT / "var" / "bench" / "reconcile-duckdb.out")
    if run.returncode != 0:
        raise RuntimeError(f"The DuckDB query failed ({run.returncode}):\n{run.stderr[-4000:]}")
    result = json.loads(run.stdout.strip().splitlines()[-1])
    result["process_peak_rss_bytes"] = run.peak_rss_bytes
    return result


def _duckdb_child(directory: str, as_of: str, default_days: str) -> None:
    import duckdb

    con = duckdb.connect()
    started = time.perf_counter()
    duckdb_load(con, Path(directory))
    load_seconds = time.perf_counter() - started
    loaded_rss = rss_bytes()
    peak_known = peak_rss_reset()
    started = time.perf_counter()
    findings = duckdb_findings(con, as_of=date.fromisoformat(as_of), default_days=int(default_days))
    seconds = time.perf_counter() - started
    result = {
        "seconds": seconds,
        "load_seconds": load_seconds,
        "loaded_rss_bytes": loaded_rss,
        "query_peak_rss_bytes": rss_bytes("VmHWM") if peak_known else None,
        "threads": con.execute("SELECT current_setting('threads')").fetchone()[0],
        "version": duckdb.__version__,
        "findings": findings,
    }
    print(json.dumps(result))


if __name__ == "__main__" and sys.argv[1:2] == ["duckdb"]:
    _duckdb_child(*sys.argv[2:5])
