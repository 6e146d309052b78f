"""The benchmark's verdicts and its printed table, both from the results dictionary of ``run.py``."""

FINDING_KINDS = (
    "departed_holder",
    "never_used",
    "inactive",
    "duplicate_account",
    "unassigned_seat",
    "over_assigned",
    "unlicensed_user",
)
# DESIGN.md section 8.
DESIGN_DATASET = {
    "people": 50_000,
    "applications": 1_000,
    "assignments": 500_000,
    "usage_events": 20_000_000,
    "contracts": 5_000,
    "spend_transactions": 200_000,
}
INGEST_ROWS_PER_SECOND = 200_000
RECONCILE_SECONDS = 60
RECONCILE_PEAK_BYTES = 2 * 1024**3
NOISE = (
    "The machine has {cpus} CPU cores, shared by PostgreSQL, the workers and this process, and other work "
    "runs on it: figures vary from run to run, the speedup most."
)
NO_SPEND = "not generated: saasmgr has no spend-transaction model yet"


def targets_judge(results: dict) -> list[dict]:
    """Each target of DESIGN.md section 8 with the measured value and PASS or MISS."""
    ingest = results["ingest"]["product"]["rows_per_second"]
    verdicts = [_verdict("ingest ≥ 200,000 rows/s", f"{ingest:,.0f} rows/s", ingest >= INGEST_ROWS_PER_SECOND)]
    if "reconciliation" not in results:
        return verdicts
    product = results["reconciliation"]["product"]
    return verdicts + [
        _verdict("reconciliation ≤ 60 s", f"{product['seconds']:.1f} s", product["seconds"] <= RECONCILE_SECONDS),
        _verdict(
            "reconciliation peak memory ≤ 2 GB",
            _gb(product["peak_rss_bytes"]),
            product["peak_rss_bytes"] is not None and product["peak_rss_bytes"] <= RECONCILE_PEAK_BYTES,
        ),
    ]


def _verdict(target: str, value: str, passed: bool) -> dict:
    return {"target": target, "measured": value, "verdict": "PASS" if passed else "MISS"}


def findings_compared(results: dict) -> list[tuple[str, dict, dict, bool]]:
    if "reconciliation" not in results:
        return []
    product = results["reconciliation"]["product"]["findings"]
    duck = results["reconciliation"]["duckdb"]["findings"]
    empty = {"findings": 0, "seats": 0}
    rows = []
    for kind in (*FINDING_KINDS, *sorted((set(product) | set(duck)) - set(FINDING_KINDS))):
        mine, theirs = product.get(kind, empty), duck.get(kind, empty)
        rows.append((kind, mine, theirs, mine == theirs))
    return rows


def findings_agree(results: dict) -> bool:
    return all(agree for *_, agree in findings_compared(results))


def results_table(results: dict) -> str:
    sections = [
        _heading(results),
        _dataset(results),
        _ingest(results),
        _reconciliation(results),
        _findings(results),
        _workers(results),
        _targets(results),
    ]
    return "\n\n".join(section for section in sections if section)


def _heading(results: dict) -> str:
    args, box = results["arguments"], results["machine"]
    rows = results["usage_file"]["rows"]
    lines = [
        f"saasmgr benchmark, {results['date']}: seed {args['seed']}, scale {args['scale']:g} "
        f"({rows:,} usage events), {args['size']} company as of {args['as_of']}",
        f"Machine: {box['cpu_count']} CPUs, {box['platform']}, Python {box['python']}, "
        f"PostgreSQL {box['postgresql']} (autovacuum {box['autovacuum']}), DuckDB {box['duckdb']}; "
        "load average before: " + ", ".join(f"{value:.2f}" for value in box["load_average"]),
        NOISE.format(cpus=box["cpu_count"]),
    ]
    return "\n".join(lines)


def _dataset(results: dict) -> str:
    counts = results["dataset"]
    measured = {
        "people": counts["people"],
        "applications": counts["applications"],
        "assignments": counts["assignments"],
        "usage_events": results["usage_file"]["rows"],
        "contracts": counts["contracts"],
    }
    lines = [f"{'Dataset (counted in the database)':<44}{'measured':>14}{'DESIGN.md §8':>16}"]
    for name, target in DESIGN_DATASET.items():
        value = f"{measured[name]:,}" if name in measured else "—"
        note = f"   {NO_SPEND}" if name == "spend_transactions" else ""
        lines.append(f"  {name.replace('_', ' '):<42}{value:>14}{target:>16,}{note}")
    for name in ("license_pools", "active_assignments", "activity_days", "pending_activity_days", "usage_sources"):
        lines.append(f"  {name.replace('_', ' '):<42}{counts[name]:>14,}")
    made = results["usage_file"]
    lines.append(
        f"  usage file: {made['bytes'] / 1024**3:.2f} GB, {made['users']:,} (account, application) pairs, "
        f"{made['apps_without_usage']} applications without usage; sha256 {made['sha256'][:16]}…"
    )
    return "\n".join(lines)


def _ingest(results: dict) -> str:
    product, raw = results["ingest"]["product"], results["ingest"]["raw_copy"]
    lines = [
        f"{'Ingest of ' + format(product['rows'], ',') + ' usage events':<52}{'seconds':>9}{'rows/s':>12}"
        f"{'peak memory':>13}",
        f"  {'product: usage_ingest_path, generic, all or nothing':<50}{product['seconds']:>9.1f}"
        f"{product['rows_per_second']:>12,.0f}{_gb(product['peak_rss_bytes']):>13}",
        f"  {'reference: COPY into an UNLOGGED table, no processing':<50}{raw['seconds']:>9.1f}"
        f"{raw['rows_per_second']:>12,.0f}",
        f"  product speed is {product['rows_per_second'] / raw['rows_per_second']:.2f}× the raw load; "
        f"{product['activity_created']:,} activity days created",
        f"  then ANALYZE, as autovacuum would ({results['ingest']['analyze_seconds']:.1f} s, not timed above)",
    ]
    return "\n".join(lines)


def _reconciliation(results: dict) -> str:
    if "reconciliation" not in results:
        return "Reconciliation: skipped (--ingest-only)."
    recon = results["reconciliation"]
    product, duck, naive = recon["product"], recon["duckdb"], recon["naive"]
    counts = results["dataset"]
    loops = naive["loops"]
    lines = [
        f"{'Reconciliation of every application':<52}{'seconds':>9}{'peak memory':>13}",
        f"  {'product: manage.py reconcile --inline (' + str(product['parts']) + ' parts)':<50}"
        f"{product['seconds']:>9.1f}{_gb(product['peak_rss_bytes']):>13}   "
        f"(run itself {product['run_seconds']:.1f} s)",
        f"  {'reference: DuckDB, one query (' + str(duck['threads']) + ' threads)':<50}{duck['seconds']:>9.1f}"
        f"{_gb(duck['query_peak_rss_bytes']):>13}   (process, tables loaded: {_gb(duck['loaded_rss_bytes'])})",
        f"  {'reference: naive ORM loop, EXTRAPOLATED':<50}{naive['extrapolated_seconds']:>9,.0f}{'—':>13}",
        f"  input: {counts['active_assignments']:,} active seats, {counts['activity_days']:,} activity days; "
        f"DuckDB export {duck['export_seconds']:.1f} s + load {duck['load_seconds']:.1f} s, not timed above",
        "  naive sample: "
        + "; ".join(
            f"{loop['sampled']:,} {name} at {loop['per_item_ms']:.1f} ms each × {loop['population']:,}"
            for name, loop in loops.items()
        ),
    ]
    if all("agree" in loop for loop in loops.values()):
        lines.append(
            "  naive verdicts agreeing with the product's findings: "
            + ", ".join(f"{loop['agree']:,}/{loop['sampled']:,} {name}" for name, loop in loops.items())
        )
    return "\n".join(lines)


def _findings(results: dict) -> str:
    if "reconciliation" not in results:
        return ""
    lines = [f"{'Findings (count / seats)':<26}{'product':>24}{'DuckDB':>24}   agree"]
    for kind, mine, theirs, agree in findings_compared(results):
        lines.append(f"  {kind:<24}{_pair(mine):>24}{_pair(theirs):>24}   {'yes' if agree else 'NO'}")
    lines.append("  every kind agrees" if findings_agree(results) else "  THE PRODUCT AND DUCKDB DISAGREE")
    return "\n".join(lines)


def _pair(figures: dict) -> str:
    return f"{figures['findings']:,} / {figures['seats']:,}"


def _workers(results: dict) -> str:
    if "workers" not in results:
        return "Celery workers: skipped (--skip-workers or --ingest-only)."
    figures = results["workers"]
    lines = [
        f"{'Celery workers: a queued run of every application':<52}{'seconds':>9}{'run itself':>12}{'worker peak':>13}"
    ]
    for count, run in figures["by_concurrency"].items():
        label = f"{count} worker process{'es' if count != '1' else ''} (prefork)"
        lines.append(
            f"  {label:<50}{run['seconds']:>9.1f}{run['run_seconds']:>12.1f}{_gb(run['worker_peak_rss_bytes']):>13}"
        )
    lines.append(
        f"  speedup time(1) / time(2): {figures['speedup']:.2f}×, with {results['machine']['cpu_count']} CPU cores "
        "shared with PostgreSQL: a noisy figure"
    )
    return "\n".join(lines)


def _targets(results: dict) -> str:
    lines = ["Targets (DESIGN.md section 8)"]
    for verdict in results["targets"]:
        lines.append(f"  {verdict['target']:<40}{verdict['measured']:>18}   {verdict['verdict']}")
    if results["arguments"]["scale"] < 1 or results["arguments"]["size"] != "enterprise":
        lines.append("  Not the full dataset (--scale below 1 or a small company): these verdicts are indicative only.")
    lines.append(f"  Spend transactions: {NO_SPEND}.")
    return "\n".join(lines)


def _gb(value: int | None) -> str:
    return "n/a" if value is None else f"{value / 1024**3:.2f} GB"
