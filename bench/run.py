"""``python bench/run.py [--seed N] [--scale F] [--skip-workers] [--ingest-only] [--keep]``: the benchmarks of
DESIGN.md section 8, each figure beside its reference measured in the same run.

1. The database of BENCH_DATABASE_URL is created when missing, migrated, and seeded with
   ``seed_demo --size enterprise --seed N --today D`` (once: the seed and date are remembered in it).
2. The usage events are generated as a CSV in the generic format (``bench.dataset``).
3. Ingest: the product's ingest beside a raw COPY (``bench.ingest``).
4. Reconciliation: the product beside DuckDB and a naive ORM loop (``bench.reconcile``).
5. Celery: one worker process against two (``bench.workers``).

The figures are printed as a table and written to var/bench/results.json.
"""

import argparse
import json
import os
import platform
import shutil
import sys
from datetime import UTC, date, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

# Modules that import the product's models are imported once Django is set up.
from bench import database, ingest, reconcile, report, workers  # noqa: E402

OUT_DIR = REPO_ROOT / "var" / "bench"
NAIVE_FULL_SAMPLE = 2000


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], prog="bench/run.py")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("BENCH_SEED", 1)), help="default 1")
    parser.add_argument(
        "--scale",
        type=float,
        default=float(os.environ.get("BENCH_SCALE", 1.0)),
        help="share of the 20M usage events and of the naive sample (default 1.0; 0.05 for a quick run)",
    )
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="the seeded company's date and the as-of date (default: the one the database was seeded with, else today)",
    )
    parser.add_argument(
        "--size",
        choices=["enterprise", "small"],
        default=os.environ.get("BENCH_SIZE", "enterprise"),
        help="seed_demo size (default enterprise; small only to try the benchmark out)",
    )
    parser.add_argument("--skip-workers", action="store_true", help="leave out the Celery worker comparison")
    parser.add_argument(
        "--ingest-only",
        action="store_true",
        help="measure the usage ingest (and its raw COPY reference) only: no reconciliation, no workers",
    )
    parser.add_argument(
        "--fresh", action="store_true", help="drop and rebuild the benchmark's database (after the demo data changed)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="reuse the generated usage file when one was made with the same arguments"
    )
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 1:
        parser.error(f"--scale must be above 0 and at most 1, not {args.scale}.")
    if args.today and args.today > datetime.now(UTC).date():
        parser.error(f"--today {args.today} is in the future: the ingest refuses usage dated after today.")
    return args


def environment(url: str) -> dict[str, str]:
    """This process's and its children's environment: the benchmark's database and broker."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "saasmgr.settings",
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": workers.broker_url(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    os.environ.update(env)
    return env


def database_prepare(args: argparse.Namespace, url: str, env: dict[str, str]) -> date:
    """Create, migrate and seed the benchmark's database; returns the as-of date of its company."""
    created = database.database_ensure(url, recreate=args.fresh)
    seeded = None if created else database.seeded_read(url)
    today = args.today or (seeded.today if seeded else datetime.now(UTC).date())
    wanted = database.Seeded(args.size, args.seed, today)
    if seeded and seeded != wanted:
        print(f"The database holds {seeded}; rebuilding it for {wanted}.")
        database.database_ensure(url, recreate=True)
        seeded = None
    database.manage("migrate", "--noinput", env=env)
    # seed_demo is idempotent, but re-checking 500,000 seats takes minutes: the remembered seed says it was done.
    if seeded is None:
        print(f"Seeding: seed_demo --size {args.size} --seed {args.seed} --today {today} (idempotent) ...", flush=True)
        database.manage(
            "seed_demo", "--size", args.size, "--seed", str(args.seed), "--today", today.isoformat(), env=env
        )
        database.seeded_write(url, wanted)
    return today


def usage_file_prepare(args: argparse.Namespace, today: date) -> dict:
    """The generated usage file, written again unless --keep finds one made from the same arguments."""
    from bench import dataset

    rows = dataset.events_for_scale(args.scale)
    path = OUT_DIR / f"usage-{args.size}-seed{args.seed}-{today}-{rows}.csv"
    meta_path = path.with_suffix(".json")
    if args.keep and path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("bytes") == path.stat().st_size:
            print(f"Reusing {path.relative_to(REPO_ROOT)}.")
            return meta
    print(f"Generating {rows:,} usage events ...", flush=True)
    started = datetime.now()
    made = dataset.usage_file_write(path=path, seed=args.seed, today=today, rows=rows).as_dict()
    made["seconds"] = (datetime.now() - started).total_seconds()
    meta_path.write_text(json.dumps(made, indent=2))
    return made


def dataset_counts(url: str, today: date) -> dict:
    """What the database holds, counted."""
    queries = {
        "people": "SELECT count(*) FROM inventory_person",
        "applications": "SELECT count(*) FROM inventory_application",
        "contracts": "SELECT count(*) FROM renewals_contract",
        "license_pools": "SELECT count(*) FROM licenses_licensepool",
        "assignments": "SELECT count(*) FROM licenses_assignment",
        "active_assignments": "SELECT count(*) FROM licenses_assignment WHERE (assigned_on IS NULL OR assigned_on "
        "<= %(d)s) AND (unassigned_on IS NULL OR unassigned_on > %(d)s)",
        "activity_days": "SELECT count(*) FROM licenses_activity",
        "pending_activity_days": "SELECT count(*) FROM licenses_pendingactivity",
        "usage_sources": "SELECT count(*) FROM licenses_usagesource",
        "identities_to_review": "SELECT count(*) FROM licenses_identityreview",
    }
    with database.connect(url) as conn:
        return {name: conn.execute(query, {"d": today}).fetchone()[0] for name, query in queries.items()}


def machine(url: str) -> dict:
    import duckdb

    server = database.server_settings(url)
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "postgresql": server["server_version"],
        "autovacuum": server["autovacuum"],
        "duckdb": duckdb.__version__,
        "load_average": os.getloadavg(),
    }


def ingest_measure(url: str, path: Path) -> dict:
    print("Ingest: raw COPY ...", flush=True)
    figures = {"raw_copy": ingest.raw_copy_measure(url=url, path=path)}
    print("Ingest: product ...", flush=True)
    figures["product"] = ingest.product_ingest_measure(path=path)
    figures["ratio_to_raw_copy"] = figures["product"]["rows_per_second"] / figures["raw_copy"]["rows_per_second"]
    return figures


def reconciliation_measure(args: argparse.Namespace, url: str, env: dict[str, str], today: date) -> dict:
    from django.conf import settings

    from bench.naive import naive_measure

    default_days = settings.LICENSE_INACTIVITY_DAYS
    print("Reconciliation: product ...", flush=True)
    product = reconcile.product_measure(env=env, url=url, as_of=today)
    print("Reconciliation: DuckDB ...", flush=True)
    export_dir = OUT_DIR / "duckdb-input"
    export_seconds = reconcile.tables_export_postgres(url=url, directory=export_dir)
    duck = reconcile.duckdb_measure(env=env, directory=export_dir, as_of=today, default_days=default_days)
    duck["export_seconds"] = export_seconds
    shutil.rmtree(export_dir)  # hundreds of megabytes of CSV, written again by every run
    print("Reconciliation: naive ORM loop (sample) ...", flush=True)
    sample = max(100, round(NAIVE_FULL_SAMPLE * args.scale))
    naive = naive_measure(as_of=today, default_days=default_days, sample=sample, seed=args.seed, run_id=product["run"])
    return {"product": product, "duckdb": duck, "naive": naive}


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    url = database.database_url()
    env = environment(url)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    try:
        today = database_prepare(args, url, env)
    except database.BenchSetupError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2

    import django

    django.setup()
    results = {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "arguments": {"seed": args.seed, "scale": args.scale, "size": args.size, "as_of": today.isoformat()},
        "database": database.database_name(url),
        "machine": machine(url),
        "usage_file": usage_file_prepare(args, today),
    }
    database.run_tables_clear(url)
    results["ingest"] = ingest_measure(url, Path(results["usage_file"]["path"]))
    # Not timed: what autovacuum does on its own after a load (it may be off on a test server).
    results["ingest"]["analyze_seconds"] = database.analyze(url)
    results["dataset"] = dataset_counts(url, today)
    if not args.ingest_only:
        results["reconciliation"] = reconciliation_measure(args, url, env, today)
    if not (args.skip_workers or args.ingest_only):
        print("Celery workers: 1 then 2 ...", flush=True)
        results["workers"] = workers.workers_measure(env=env, url=url, as_of=today)
    results["targets"] = report.targets_judge(results)
    (OUT_DIR / "results.json").write_text(json.dumps(results, indent=2, default=str))
    print()
    print(report.results_table(results))
    print(f"\nEvery figure: {(OUT_DIR / 'results.json').relative_to(REPO_ROOT)}")
    return 0 if report.findings_agree(results) else 1


if __name__ == "__main__":
    sys.exit(main())
