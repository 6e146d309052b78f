"""Ingest: the product's usage ingest of the generated file, beside a raw bulk load of the same rows.

The product path is ``licenses.ingest.usage_ingest_path`` (what ``import_data usage FILE --format
generic`` and the import pages run, minus the upload), all or nothing, in this process. The
reference is PostgreSQL's COPY of the same CSV into an UNLOGGED table with the same four columns:
no identity or name matching, no rollup, no merge, no WAL. It is the floor no ingest can beat.
"""

import time
from pathlib import Path

from bench.database import connect
from bench.measure import peak_rss_reset, rss_bytes

RAW_TABLE = "bench_raw_usage"
COPY_BLOCK = 1 << 20


def raw_copy_measure(*, url: str, path: Path) -> dict:
    """Seconds and rows/s of COPY ... FROM STDIN of the file into an UNLOGGED table."""
    with connect(url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {RAW_TABLE}")
        conn.execute(f"CREATE UNLOGGED TABLE {RAW_TABLE} (email text, app text, timestamp timestamptz, events integer)")
        started = time.perf_counter()
        with (
            path.open("rb") as source,
            conn.cursor() as cursor,
            cursor.copy(f"COPY {RAW_TABLE} FROM STDIN (FORMAT csv, HEADER true)") as copy,
        ):
            while block := source.read(COPY_BLOCK):
                copy.write(block)
        seconds = time.perf_counter() - started
        rows = conn.execute(f"SELECT count(*) FROM {RAW_TABLE}").fetchone()[0]
        conn.execute(f"DROP TABLE {RAW_TABLE}")
    return {"rows": rows, "seconds": seconds, "rows_per_second": rows / seconds}


def product_ingest_measure(*, path: Path) -> dict:
    """Seconds, rows/s and peak memory of the product's usage ingest of the file (all or nothing)."""
    from licenses.ingest import usage_ingest_path
    from saasmgr.core.choices import ImportMode

    peak_known = peak_rss_reset()
    started = time.perf_counter()
    result = usage_ingest_path(path, format="generic", mode=ImportMode.ALL_OR_NOTHING)
    seconds = time.perf_counter() - started
    if not result.written or result.error_total:
        first = "; ".join(f"row {error.row} {error.column}: {error.message}" for error in result.errors[:3])
        raise RuntimeError(f"The product refused the generated file ({result.error_total} errors): {first}")
    return {
        "rows": result.rows,
        "seconds": seconds,
        "rows_per_second": result.rows / seconds,
        "activity_created": result.created,
        "activity_updated": result.updated,
        "also_created": result.also_created,
        "peak_rss_bytes": rss_bytes("VmHWM") if peak_known else None,
    }
