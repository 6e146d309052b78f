"""The usage ingest: the generic format end to end, review queues, modes, bad files, re-imports,
chunking, XLSX, and the ways in (the command, import jobs, usage_ingest_path)."""

import io
import json
from datetime import date
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from licenses.choices import IdentityStatus, NameKind, NameReviewStatus
from licenses.ingest import usage_ingest_path
from licenses.models import Activity, IdentityReview, NameReview, PendingActivity, UsageSource
from saasmgr.core.choices import ImportJobStatus, ImportMode
from saasmgr.core.imports.engine import import_file
from saasmgr.core.imports.reading import ImportFileError
from saasmgr.core.imports.registry import get_importer
from saasmgr.core.imports.services import import_job_create, import_job_start
from tests.factories import UserFactory
from tests.licenses.factories import ActivityFactory
from tests.licenses.ingest_world import (
    FIXTURES,
    activity_rows,
    coverage,
    pending_rows,
    run,
    snapshot,
    world,
)

pytestmark = pytest.mark.django_db

GENERIC_ACTIVITY = {
    # rows 2 and 10 are the same day: 3 + 2 events
    ("ann@example.com", "Salesforce", date(2024, 6, 3), 5),
    # 23:30 in New York is 04:30 UTC the next day; a blank count is 1; "ANN+crm@Example.com" is Ann
    ("ann@example.com", "Salesforce", date(2024, 6, 4), 1),
    ("bob@example.com", "Figma", date(2024, 6, 5), 2),  # 2024/06/05 09:00:00
    ("bob@example.com", "Figma", date(2024, 6, 6), 1),  # "Jun 6, 2024"
}
GENERIC_PENDING = {
    ("dave@example.com", "salesforce", date(2024, 6, 7), 4),  # an account nobody knows
    ("cara@example.com", "miro whiteboard", date(2024, 6, 8), 1),  # an application nobody knows
}


def ingest(text: str, mode: str = ImportMode.ALL_OR_NOTHING, name: str = "usage.csv"):
    importer = get_importer("usage", "generic")()
    return import_file(importer=importer, fileobj=io.BytesIO(text.encode()), name=name, mode=mode)


def test_generic_file_lands_in_activity_with_unmatched_rows_pending():
    world()

    result = run("usage", "generic", "generic.csv")

    assert result.errors == []
    assert (result.rows, result.written) == (8, True)  # the blank line is not a row
    assert activity_rows() == GENERIC_ACTIVITY
    assert pending_rows() == GENERIC_PENDING
    assert (result.created, result.updated, result.unchanged) == (4, 0, 0)
    assert result.also_created == {"unmatched usage day": 2, "unmatched account": 1}
    assert coverage("generic") == {
        "Salesforce": (date(2024, 6, 3), date(2024, 6, 7)),
        "Figma": (date(2024, 6, 5), date(2024, 6, 6)),
    }


def test_an_unmatched_account_waits_for_review_with_its_sightings():
    world()

    run("usage", "generic", "generic.csv")

    review = IdentityReview.objects.get(identity="dave@example.com")
    assert (review.raw, review.status, review.source) == ("dave@example.com", IdentityStatus.PENDING, "generic")
    assert (review.sightings, review.last_seen, review.applications) == (4, date(2024, 6, 7), "Salesforce")
    assert PendingActivity.objects.get(identity="dave@example.com").source == "generic"


def test_an_unknown_application_name_waits_for_review():
    world()

    run("usage", "generic", "generic.csv")

    review = NameReview.objects.get(normalised="miro whiteboard")
    assert (review.kind, review.raw, review.status) == (NameKind.APPLICATION, "Miro Whiteboard", "pending")


def test_a_service_account_is_not_attributed_nor_queued_again():
    world()

    run("usage", "generic", "generic.csv")

    assert not PendingActivity.objects.filter(identity="svc-backup@example.com").exists()
    review = IdentityReview.objects.get(identity="svc-backup@example.com")
    assert (review.status, review.sightings) == (IdentityStatus.SERVICE, 3)


def test_importing_the_same_file_again_creates_nothing_and_changes_nothing():
    world()
    run("usage", "generic", "generic.csv")
    before = snapshot()

    again = run("usage", "generic", "generic.csv")

    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert again.also_created == {"unmatched usage day": 0, "unmatched account": 0}
    assert snapshot() == before


def test_a_day_keeps_the_largest_count_any_import_reported():
    world()
    run("usage", "generic", "generic.csv")

    result = ingest(
        "email,app,timestamp,events\n"
        "ann@example.com,Salesforce,2024-06-03,9\n"  # more than the 5 stored: raised
        "bob@example.com,Figma,2024-06-05,1\n"  # fewer than the 2 stored: kept
        "bob@example.com,Figma,2024-06-09,1\n"  # a new day
    )

    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    rows = activity_rows()
    assert ("ann@example.com", "Salesforce", date(2024, 6, 3), 9) in rows
    assert ("bob@example.com", "Figma", date(2024, 6, 5), 2) in rows
    assert coverage("generic")["Figma"] == (date(2024, 6, 5), date(2024, 6, 9))


def test_a_missing_required_column_is_a_clear_error_and_nothing_is_written():
    world()

    with pytest.raises(ImportFileError) as caught:
        run("usage", "generic", "generic_missing_column.csv")

    message = str(caught.value)
    assert message.startswith("The file is missing 1 required column: timestamp: a header named “timestamp”")
    assert "The headers found are: “email”, “application”, “events”." in message
    assert not Activity.objects.exists() and not PendingActivity.objects.exists()
    assert not IdentityReview.objects.exclude(status=IdentityStatus.SERVICE).exists()


BAD_DATE_ERRORS = [
    (
        3,
        "timestamp",
        "06/31/2024",
        "Not a date. Expected a date or date and time such as 2024-04-17, 2024-04-17T09:30:00Z, "
        "2024/04/17 09:30:00, Apr 17, 2024 or 17 Apr 2024.",
    ),
    (4, "events", "zero", "Not a count of events. Expected a whole number of at least 1, e.g. 12."),
]


def test_an_unparseable_date_in_all_or_nothing_writes_nothing():
    world()

    result = run("usage", "generic", "generic_bad_date.csv")

    assert [(e.row, e.column, e.value, e.message) for e in result.errors] == BAD_DATE_ERRORS
    assert (result.written, result.bad_rows, result.created) == (False, 2, 0)
    assert not Activity.objects.exists() and not UsageSource.objects.exists()


def test_valid_rows_mode_writes_the_good_rows_and_reports_the_bad():
    world()

    result = run("usage", "generic", "generic_bad_date.csv", mode=ImportMode.VALID_ROWS)

    assert [(e.row, e.column) for e in result.errors] == [(3, "timestamp"), (4, "events")]
    assert (result.written, result.created) == (True, 1)
    assert activity_rows() == {("ann@example.com", "Salesforce", date(2024, 6, 3), 3)}


def test_a_dry_run_counts_exactly_and_writes_nothing():
    world()

    result = run("usage", "generic", "generic.csv", mode=ImportMode.DRY_RUN)

    assert (result.created, result.written) == (4, False)
    assert result.also_created == {"unmatched usage day": 2, "unmatched account": 1}
    assert not Activity.objects.exists() and not PendingActivity.objects.exists()
    assert not UsageSource.objects.exists()
    assert not IdentityReview.objects.filter(identity="dave@example.com").exists()
    assert not NameReview.objects.exists()


def test_a_day_in_the_future_is_refused():
    world()

    result = ingest("email,app,timestamp\nann@example.com,Salesforce,2999-01-01\n")

    assert [(e.row, e.value, e.message) for e in result.errors] == [
        (2, "2999-01-01", "The date is in the future; usage can only have happened by today.")
    ]


def test_blank_required_cells_are_row_errors():
    world()

    result = ingest("email,app,timestamp\n,Salesforce,2024-06-03\nann@example.com,,\n")

    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, "email", "A value is required: an email address or username."),
        (3, "app", "A value is required: the application's name."),
        (
            3,
            "timestamp",
            "A value is required: a date or date and time such as 2024-04-17, 2024-04-17T09:30:00Z, "
            "2024/04/17 09:30:00, Apr 17, 2024 or 17 Apr 2024.",
        ),
    ]


def test_chunks_give_the_same_result_as_one_pass(settings):
    """A day split over two chunks still adds up; row numbers stay those of the file."""
    settings.USAGE_INGEST_CHUNK_ROWS = 2
    world()
    seen = []

    path = FIXTURES / "generic.csv"
    with path.open("rb") as fileobj:
        import_file(
            importer=get_importer("usage", "generic")(),
            fileobj=fileobj,
            name=path.name,
            mode=ImportMode.ALL_OR_NOTHING,
            on_progress=lambda stage, processed, total: seen.append((stage, processed)),
        )

    assert activity_rows() == GENERIC_ACTIVITY
    assert pending_rows() == GENERIC_PENDING
    assert [processed for stage, processed in seen if stage == "reading"] == [0, 2, 4, 6, 7, 8]
    assert seen[-2:] == [("writing", 0), ("writing", 1)]

    bad = ingest("email,app,timestamp\n" + "ann@example.com,Salesforce,2024-06-03\n" * 4 + "x@example.com,Slack,nope\n")
    assert [error.row for error in bad.errors] == [6]


def test_a_day_spread_over_the_file_adds_up_beside_stored_days(settings):
    """Rows of one day far apart in the file (other chunks, another part of the spill) add up once;
    days within the days stored for an application keep the larger count, days after them are new."""
    settings.USAGE_INGEST_CHUNK_ROWS = 2
    w = world()
    ActivityFactory(person=w.ann, application=w.apps["Salesforce"], day=date(2024, 6, 3), events=6)
    ActivityFactory(person=w.bob, application=w.apps["Salesforce"], day=date(2024, 6, 5), events=1)
    text = (
        "email,app,timestamp,events\n"
        "ann@example.com,Salesforce,2024-06-03T08:00:00Z,2\n"  # with row 6: 2 + 3 = 5, fewer than the 6 stored
        "bob@example.com,Salesforce,2024-06-04 10:00:00,4\n"  # within the stored days, not stored: created
        "ann@example.com,Salesforce,2024-06-09,1\n"  # after the stored days: created, 1 + 4 (row 7)
        "bob@example.com,Figma,2024-06-05,2\n"  # nothing stored for Figma
        "bob@example.com,Salesforce,2024-06-05,3\n"  # more than the 1 stored: raised
        "ann@example.com,Salesforce,2024-06-03,3\n"
        "ann@example.com,Salesforce,2024-06-09T23:59:59Z,4\n"
        "bob@example.com,Figma,2024-06-05,5\n"  # 2 + 5
    )

    result = ingest(text)
    again = ingest(text)

    assert (result.created, result.updated, result.unchanged) == (3, 1, 1)
    assert activity_rows() == {
        ("ann@example.com", "Salesforce", date(2024, 6, 3), 6),
        ("bob@example.com", "Salesforce", date(2024, 6, 4), 4),
        ("ann@example.com", "Salesforce", date(2024, 6, 9), 5),
        ("bob@example.com", "Figma", date(2024, 6, 5), 7),
        ("bob@example.com", "Salesforce", date(2024, 6, 5), 3),
    }
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)


def test_an_xlsx_workbook_imports_like_the_csv():
    world()
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Email", "Application", "Date", "Events"])
    sheet.append(["ann@example.com", "Salesforce", date(2024, 6, 3), 5])
    sheet.append([None, None, None, None])
    sheet.append(["bob@example.com", "Figma", "2024-06-05T09:00:00Z", 2])
    sheet.append(["bob@example.com", "Figma", "31/06/2024", 1])
    buffer = io.BytesIO()
    workbook.save(buffer)

    result = import_file(
        importer=get_importer("usage", "generic")(),
        fileobj=io.BytesIO(buffer.getvalue()),
        name="usage.xlsx",
        mode=ImportMode.VALID_ROWS,
    )

    assert [(e.row, e.column, e.value) for e in result.errors] == [(5, "Date", "31/06/2024")]
    assert activity_rows() == {
        ("ann@example.com", "Salesforce", date(2024, 6, 3), 5),
        ("bob@example.com", "Figma", date(2024, 6, 5), 2),
    }


def test_a_confirmed_alias_and_a_reviewed_name_match_on_the_next_import():
    w = world()
    run("usage", "generic", "generic.csv")
    IdentityReview.objects.filter(identity="dave@example.com").update(status=IdentityStatus.LINKED, person=w.cara)
    NameReview.objects.filter(normalised="miro whiteboard").update(
        status=NameReviewStatus.CONFIRMED, confirmed_application=w.apps["Figma"]
    )
    PendingActivity.objects.all().delete()  # what the review pages move into Activity

    again = run("usage", "generic", "generic.csv")

    assert again.created == 2
    rows = activity_rows()
    assert ("cara@example.com", "Salesforce", date(2024, 6, 7), 4) in rows
    assert ("cara@example.com", "Figma", date(2024, 6, 8), 1) in rows
    assert not PendingActivity.objects.exists()


def test_stored_activity_from_another_source_keeps_its_larger_count():
    w = world()
    ActivityFactory(person=w.bob, application=w.apps["Figma"], day=date(2024, 6, 6), events=7)

    result = run("usage", "generic", "generic.csv")

    assert (result.created, result.unchanged) == (3, 1)
    assert ("bob@example.com", "Figma", date(2024, 6, 6), 7) in activity_rows()


# The ways in


def test_the_import_data_command_imports_usage_and_exits_0():
    world()
    out = StringIO()

    call_command(
        "import_data", "usage", str(FIXTURES / "okta_syslog.csv"), "--format", "okta-syslog", "--json", stdout=out
    )

    result = json.loads(out.getvalue())
    assert (result["rows"], result["created"], result["skipped"], result["errors"]) == (8, 3, 3, [])


def test_the_import_data_command_exits_1_on_bad_rows():
    world()

    with pytest.raises(CommandError) as caught:
        call_command("import_data", "usage", str(FIXTURES / "generic_bad_date.csv"), stdout=StringIO())

    assert caught.value.returncode == 1
    assert not Activity.objects.exists()


def test_an_import_job_runs_a_usage_file_and_stores_its_result(settings):
    settings.IMPORT_BACKGROUND_ROWS = 100
    world()
    upload = SimpleUploadedFile("okta.csv", (FIXTURES / "okta_syslog.csv").read_bytes(), content_type="text/csv")
    job = import_job_create(importer=get_importer("usage", "okta-syslog"), uploaded_file=upload, user=UserFactory())

    assert import_job_start(job=job, mode=ImportMode.ALL_OR_NOTHING) is True

    job.refresh_from_db()
    assert job.status == ImportJobStatus.DONE
    assert (job.result["rows"], job.result["created"], job.result["skipped"], job.result["written"]) == (8, 3, 3, True)
    assert Activity.objects.count() == 3


def test_usage_ingest_path_has_no_upload_limit(settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 100
    world()

    result = usage_ingest_path(FIXTURES / "generic.csv", format="generic")

    assert (result.created, result.written) == (4, True)
    with pytest.raises(ImportFileError, match="Unknown usage format"):
        usage_ingest_path(FIXTURES / "generic.csv", format="okta")
