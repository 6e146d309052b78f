"""The benchmark's usage file (deterministic, in the generic format the ingest accepts) and its DuckDB
reference query (the same findings as the product's engine)."""

import csv
import hashlib
from collections import Counter
from datetime import date, timedelta

import pytest

from bench.dataset import HISTORY_DAYS, UNKNOWN_ACCOUNTS, UNKNOWN_DOMAIN, usage_file_write
from licenses.ingest import usage_ingest_path
from licenses.models import Activity, IdentityReview, NameReview, UsageSource
from licenses.reconcile import reconcile_part
from saasmgr.core.choices import ImportMode
from saasmgr.inventory.choices import PersonStatus
from tests.factories import ApplicationFactory, PersonFactory
from tests.licenses.factories import ActivityFactory, AssignmentFactory, LicensePoolFactory, UsageSourceFactory

pytestmark = pytest.mark.django_db

TODAY = date(2024, 6, 30)
ROWS = 3000


def small_company() -> None:
    """12 people (one gone) holding the seats of three applications' pools, and one assignment ended."""
    people = [PersonFactory(email=f"user{n:02d}@example.com") for n in range(12)]
    people[3].status = PersonStatus.TERMINATED
    people[3].save()
    for name, holders in (("Slack", people[:10]), ("Figma, Inc.", people[4:12]), ("Jira", people[:6])):
        pool = LicensePoolFactory(application=ApplicationFactory(name=name), purchased_quantity=10)
        for person in holders:
            AssignmentFactory(pool=pool, person=person, assigned_on=TODAY - timedelta(days=300))
    AssignmentFactory(pool=pool, person=PersonFactory(email="left@example.com"), unassigned_on=TODAY - timedelta(1))


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_same_seed_writes_the_same_bytes_and_another_seed_does_not(tmp_path):
    small_company()

    first = usage_file_write(path=tmp_path / "a.csv", seed=7, today=TODAY, rows=ROWS)
    again = usage_file_write(path=tmp_path / "b.csv", seed=7, today=TODAY, rows=ROWS)
    other = usage_file_write(path=tmp_path / "c.csv", seed=8, today=TODAY, rows=ROWS)

    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert first.sha256 == again.sha256 == digest(tmp_path / "a.csv")
    assert first.bytes == (tmp_path / "a.csv").stat().st_size
    assert other.sha256 != first.sha256


def test_the_file_has_the_generic_columns_and_rows_within_the_history(tmp_path):
    small_company()

    made = usage_file_write(path=tmp_path / "usage.csv", seed=1, today=TODAY, rows=ROWS)

    with (tmp_path / "usage.csv").open(newline="") as source:
        rows = list(csv.DictReader(source))
    assert list(rows[0]) == ["email", "app", "timestamp", "events"]
    assert len(rows) == made.rows == ROWS
    days = [date.fromisoformat(row["timestamp"][:10]) for row in rows]
    assert min(days) >= TODAY - timedelta(days=HISTORY_DAYS) and max(days) <= TODAY
    assert days == sorted(days)  # an export is in time order
    assert all(row["timestamp"].endswith("Z") and 1 <= int(row["events"]) < 30 for row in rows)
    assert {row["app"] for row in rows} <= {"Slack", "Figma, Inc.", "Jira"}  # the comma is quoted
    accounts = Counter(row["email"].rpartition("@")[2] for row in rows)
    assert set(accounts) == {"example.com", UNKNOWN_DOMAIN}
    # Every unknown account has at least its newest day; the ended seat's holder has no usage drawn.
    assert len({row["email"] for row in rows if row["email"].endswith(UNKNOWN_DOMAIN)}) == UNKNOWN_ACCOUNTS
    assert "left@example.com" not in {row["email"] for row in rows}


def test_the_generic_importer_takes_the_whole_file(tmp_path):
    small_company()
    made = usage_file_write(path=tmp_path / "usage.csv", seed=1, today=TODAY, rows=ROWS)

    result = usage_ingest_path(tmp_path / "usage.csv", format="generic", mode=ImportMode.ALL_OR_NOTHING)

    assert (result.rows, result.error_total, result.written) == (ROWS, 0, True)
    assert result.created == Activity.objects.count() > 0
    # Every application name matched exactly; the unknown accounts wait for review.
    assert not NameReview.objects.exists()
    assert IdentityReview.objects.filter(identity__endswith=UNKNOWN_DOMAIN).count() == UNKNOWN_ACCOUNTS
    assert UsageSource.objects.count() == 3 - made.apps_without_usage


def test_too_few_rows_for_every_user_keeps_a_sample_of_users(tmp_path):
    small_company()

    made = usage_file_write(path=tmp_path / "usage.csv", seed=1, today=TODAY, rows=50)

    assert (made.rows, made.users) == (50, 50)
    assert len((tmp_path / "usage.csv").read_text().splitlines()) == 51


def test_no_seats_is_a_clear_error(tmp_path):
    PersonFactory()

    with pytest.raises(ValueError, match="run seed_demo first"):
        usage_file_write(path=tmp_path / "usage.csv", seed=1, today=TODAY, rows=10)


# The DuckDB reference


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def reconcile_world() -> list[int]:
    """One case of every finding kind (as of TODAY, default threshold 60 days); returns the application ids.

    Slack (usage exported, 5 seats bought, 6 held): ann uses it (no finding), bob has left (departed),
    cat never opened it (never used), dan last used it 100 days ago (inactive), eve holds two accounts
    and uses it (the later account is a duplicate), fay uses it without a seat (unlicensed), gus used
    it 90 days ago without a seat (nothing), hal's seat ended and ivy's starts tomorrow (neither counts):
    6 held of 5 is one over-assigned seat.
    Figma (no usage exported, 10 bought): cat never used it (no data, no finding), bob has left
    (departed): 8 unassigned seats.
    Miro (usage exported, purchase unknown, the pool's threshold 30 days): ann last used it 45 days ago
    (inactive by the pool's threshold); fay uses it without a seat (no known purchase: not unlicensed).
    """
    names = ("ann", "bob", "cat", "dan", "eve", "fay", "gus", "hal", "ivy")
    people = {name: PersonFactory(email=f"{name}@example.com") for name in names}
    people["bob"].status = PersonStatus.TERMINATED
    people["bob"].save()
    slack = LicensePoolFactory(application=ApplicationFactory(name="Slack"), purchased_quantity=5)
    figma = LicensePoolFactory(application=ApplicationFactory(name="Figma"), purchased_quantity=10)
    miro = LicensePoolFactory(application=ApplicationFactory(name="Miro"), purchased_quantity=None, inactivity_days=30)
    for pool in (slack, miro):
        UsageSourceFactory(application=pool.application)
    for name in ("ann", "bob", "cat", "dan", "eve"):
        AssignmentFactory(pool=slack, person=people[name], assigned_on=ago(200))
    AssignmentFactory(pool=slack, person=people["eve"], account="eve.admin@example.com", assigned_on=ago(100))
    AssignmentFactory(pool=slack, person=people["hal"], assigned_on=ago(200), unassigned_on=ago(10))
    AssignmentFactory(pool=slack, person=people["ivy"], assigned_on=TODAY + timedelta(days=1))
    for name in ("cat", "bob"):
        AssignmentFactory(pool=figma, person=people[name], assigned_on=ago(200))
    AssignmentFactory(pool=miro, person=people["ann"], assigned_on=ago(200))
    for name, days in (("ann", 2), ("dan", 100), ("eve", 1), ("fay", 10), ("gus", 90), ("bob", 70)):
        ActivityFactory(person=people[name], application=slack.application, day=ago(days))
    ActivityFactory(person=people["ann"], application=miro.application, day=ago(45))
    ActivityFactory(person=people["fay"], application=miro.application, day=ago(1))
    return [slack.application_id, figma.application_id, miro.application_id]


EXPECTED_FINDINGS = {
    "departed_holder": {"findings": 2, "seats": 2},
    "never_used": {"findings": 1, "seats": 1},
    "inactive": {"findings": 2, "seats": 2},
    "duplicate_account": {"findings": 1, "seats": 1},
    "unassigned_seat": {"findings": 1, "seats": 8},
    "over_assigned": {"findings": 1, "seats": 1},
    "unlicensed_user": {"findings": 1, "seats": 1},
}


def test_the_duckdb_query_finds_what_the_product_finds(tmp_path, settings):
    duckdb = pytest.importorskip(
        "duckdb", reason="duckdb is a benchmark-only dependency (bench/requirements.txt); `make bench` installs it"
    )
    from bench.reconcile import duckdb_findings, duckdb_load, tables_export_django

    settings.LICENSE_INACTIVITY_DAYS = 60
    application_ids = reconcile_world()

    product = reconcile_part(as_of=TODAY, application_ids=application_ids, default_days=60)
    tables_export_django(directory=tmp_path)
    con = duckdb.connect()
    duckdb_load(con, tmp_path)
    reference = duckdb_findings(con, as_of=TODAY, default_days=60)

    by_kind = product.groupby("kind")["quantity"].agg(["size", "sum"])
    assert {kind: {"findings": int(row["size"]), "seats": int(row["sum"])} for kind, row in by_kind.iterrows()} == (
        EXPECTED_FINDINGS
    )
    assert reference == EXPECTED_FINDINGS
