"""The benchmark's verdicts and table when only the ingest was measured (``--ingest-only``)."""

from bench import report
from bench.run import arguments

INGEST_ONLY = {
    "date": "2026-11-22T15:00:00+00:00",
    "arguments": {"seed": 1, "scale": 1.0, "size": "enterprise", "as_of": "2026-11-22"},
    "machine": {
        "cpu_count": 2,
        "platform": "Linux",
        "python": "3.11.7",
        "postgresql": "15.20",
        "autovacuum": "off",
        "duckdb": "2.0.0",
        "load_average": (1.5, 2.0, 2.5),
    },
    "usage_file": {
        "rows": 20_000_000,
        "bytes": 1_422_677_973,
        "users": 394_049,
        "apps_without_usage": 48,
        "sha256": "13170c33c4637ab9fd37",
    },
    "ingest": {
        "raw_copy": {"rows": 20_000_000, "seconds": 20.0, "rows_per_second": 1_000_000.0},
        "product": {
            "rows": 20_000_000,
            "seconds": 80.0,
            "rows_per_second": 250_000.0,
            "activity_created": 16_699_287,
            "peak_rss_bytes": 512 * 1024**2,
        },
        "ratio_to_raw_copy": 0.25,
        "analyze_seconds": 3.0,
    },
    "dataset": {
        "people": 50_000,
        "applications": 1_000,
        "contracts": 5_000,
        "assignments": 515_686,
        "license_pools": 5_493,
        "active_assignments": 515_686,
        "activity_days": 16_699_287,
        "pending_activity_days": 3_726,
        "usage_sources": 438,
    },
}


def test_ingest_only_is_an_option_that_leaves_out_the_workers_too():
    assert arguments(["--ingest-only"]).ingest_only is True
    assert arguments([]).ingest_only is False


def test_only_the_ingest_target_is_judged_and_the_findings_do_not_fail_the_run():
    assert report.targets_judge(INGEST_ONLY) == [
        {"target": "ingest ≥ 200,000 rows/s", "measured": "250,000 rows/s", "verdict": "PASS"}
    ]
    assert report.findings_agree(INGEST_ONLY) is True


def test_the_table_shows_the_ingest_beside_its_reference_and_says_what_was_skipped():
    table = report.results_table({**INGEST_ONLY, "targets": report.targets_judge(INGEST_ONLY)})

    assert "product speed is 0.25× the raw load; 16,699,287 activity days created" in table
    assert "Reconciliation: skipped (--ingest-only)." in table
    assert "Findings" not in table
    assert "Celery workers: skipped (--skip-workers or --ingest-only)." in table
    assert "ingest ≥ 200,000 rows/s                     250,000 rows/s   PASS" in table
