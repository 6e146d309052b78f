import csv
import io
import re
from datetime import date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook

from saasmgr.core.choices import ImportJobStatus, ImportMode, Role
from saasmgr.core.imports.services import import_job_progress_key
from saasmgr.core.models import ImportJob
from saasmgr.core.progress import progress_report
from saasmgr.core.tasks import import_job_run_task
from saasmgr.inventory.models import Person
from tests.core.conftest import FIXTURES
from tests.factories import ImportJobFactory, PersonFactory

pytestmark = pytest.mark.django_db


def upload(
    client, fixture: str, importer: str = "people:generic", *, name: str | None = None, data: bytes | None = None
):
    content = data if data is not None else (FIXTURES / fixture).read_bytes()
    return client.post(
        reverse("core:import_new"), {"importer": importer, "file": SimpleUploadedFile(name or fixture, content)}
    )


def uploaded_job(client, fixture: str, importer: str = "people:generic", **kwargs) -> ImportJob:
    response = upload(client, fixture, importer, **kwargs)
    job = ImportJob.objects.latest("pk")
    assert response.status_code == 302
    assert response["Location"] == reverse("core:import_detail", args=[job.pk])
    return job


def run(client, job: ImportJob, mode: str, **mapping):
    return client.post(reverse("core:import_detail", args=[job.pk]), {"mode": mode, **mapping}, follow=True)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def count_on_page(html: str, name: str) -> int:
    return int(re.search(rf'data-count="{name}">([\d,]+)<', html).group(1).replace(",", ""))


# Access


def test_a_viewer_may_not_open_or_post_the_new_import_page(viewer_client):
    assert viewer_client.get(reverse("core:import_new")).status_code == 403
    assert upload(viewer_client, "people_generic.csv").status_code == 403
    assert ImportJob.objects.count() == 0


def test_procurement_may_import_applications_but_not_people(client_for):
    client = client_for(Role.PROCUREMENT)

    page = text(client.get(reverse("core:import_new")))
    refused = upload(client, "people_generic.csv", "people:generic")
    accepted = upload(client, "applications.csv", "applications:generic")

    assert "Applications: Generic CSV or XLSX" in page and "People" not in page.split("<main")[1].split("</form>")[0]
    assert refused.status_code == 200
    assert "Select a valid choice." in text(refused)
    assert accepted.status_code == 302
    assert list(ImportJob.objects.values_list("kind", flat=True)) == ["applications"]


def test_procurement_is_refused_the_pages_of_a_people_import(client_for):
    job = ImportJobFactory(kind="people")
    client = client_for(Role.PROCUREMENT)

    for name in ("core:import_detail", "core:import_progress", "core:import_errors_csv"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 403, name
    assert client.get(reverse("core:import_template_csv", args=["people"])).status_code == 403
    assert client.get(reverse("core:import_template_csv", args=["applications"])).status_code == 200


def test_the_list_shows_only_the_kinds_a_role_may_run(client_for):
    ImportJobFactory(kind="people", original_name="staff.csv", result={"created": 4, "updated": 1, "unchanged": 2})
    ImportJobFactory(kind="applications", original_name="apps.csv")

    it_page = text(client_for(Role.IT).get(reverse("core:import_list")))
    procurement_page = text(client_for(Role.PROCUREMENT).get(reverse("core:import_list")))

    assert "staff.csv" in it_page and "apps.csv" in it_page
    assert "staff.csv" not in procurement_page and "apps.csv" in procurement_page
    row = it_page.split("staff.csv")[1].split("</tr>")[0]
    assert re.findall(r'class="text-end">(\d*)</td>', row) == ["1", "4", "1", "2", ""]


def test_the_list_has_an_empty_state(it_client):
    page = text(it_client.get(reverse("core:import_list")))

    assert "No imports yet." in page
    assert f'href="{reverse("core:import_new")}"' in page


def test_the_inventory_menu_links_to_imports(it_client, viewer_client):
    assert f'href="{reverse("core:import_list")}">Imports</a>' in text(it_client.get(reverse("home")))
    assert ">Imports</a>" not in text(viewer_client.get(reverse("home")))


# Upload and preview


def test_upload_shows_the_preview_as_parsed_and_the_column_mapping(it_client):
    job = uploaded_job(it_client, "people_generic.csv")

    page = text(it_client.get(reverse("core:import_detail", args=[job.pk])))

    assert job.total_rows == 5
    assert "CSV, utf-8, comma-separated" in page
    preview = page.split('class="table table-sm table-bordered align-middle import-preview"')[1].split("</table>")[0]
    first_row = preview.split('<th scope="row" class="text-end fw-normal">2</th>')[1].split("</tr>")[0]
    cells = re.findall(r"<td>(.*?)</td>", first_row)
    assert cells == [
        "E100",
        "ada.lovelace@example.com",
        "Ada Lovelace",
        "Engineering",
        "grace.hopper@example.com",
        "active",
        "employee",
        "2021-03-01",
        "",
        "Staff Engineer, Platform",
    ]
    assert '<th scope="row" class="text-end fw-normal">7</th>' in preview  # the row after the blank line
    assert "Not run yet." in page


def test_an_xlsx_upload_is_previewed_and_imported(it_client):
    workbook = Workbook()
    workbook.active.append(["Email Address", "Full Name", "Hire Date"])
    workbook.active.append(["ada@example.com", "Ada Lovelace", datetime(2021, 3, 1)])
    out = io.BytesIO()
    workbook.save(out)
    job = uploaded_job(it_client, "people.xlsx", data=out.getvalue())

    page = text(run(it_client, job, ImportMode.ALL_OR_NOTHING))

    assert "Excel workbook, sheet “Sheet”" in page
    assert count_on_page(page, "created") == 1
    assert Person.objects.get().start_date == date(2021, 3, 1)


def test_a_cell_that_does_not_parse_is_marked_in_the_preview(it_client):
    job = uploaded_job(it_client, "people_bad.csv")

    page = text(it_client.get(reverse("core:import_detail", args=[job.pk])))

    assert (
        '<td class="table-danger"><code>2022-13-45</code><div class="small">No such date. '
        "Expected a date as YYYY-MM-DD (e.g. 2024-04-17).</div></td>"
    ) in page


def test_an_unreadable_upload_is_refused_with_the_reason(it_client):
    response = upload(it_client, "header_only.csv")

    assert response.status_code == 200
    assert "The file has a header row but no data rows." in text(response)
    assert ImportJob.objects.count() == 0


def test_a_too_big_upload_is_refused(it_client, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 100

    response = upload(it_client, "people_generic.csv")

    assert "The file is 0.0 MB; at most 0.0 MB can be imported." in text(response)
    assert ImportJob.objects.count() == 0


def test_an_unknown_header_can_be_mapped_to_a_missing_column(it_client):
    job = uploaded_job(it_client, "x.csv", data=b"Courriel,Full Name\nada@example.com,Ada Lovelace\n")
    page = text(it_client.get(reverse("core:import_detail", args=[job.pk])))
    assert "Missing required column: <strong>email</strong>" in page
    assert '<span class="badge text-bg-warning">Courriel</span>' in page
    assert '<label for="id_map_0">Courriel</label>' in page
    assert re.search(r'<button class="btn btn-primary" type="submit" name="mode" value="dry_run" disabled>', page)

    response = it_client.post(reverse("core:import_detail", args=[job.pk]), {"mode": "", "map_0": "email"}, follow=True)

    job.refresh_from_db()
    page = text(response)
    assert job.column_mapping == {"Courriel": "email"}
    assert "Saved the column mapping." in page
    assert "Missing required column" not in page
    assert '<option value="email" selected>email (required)</option>' in page

    page = text(run(it_client, job, ImportMode.ALL_OR_NOTHING, map_0="email"))

    assert count_on_page(page, "created") == 1
    assert Person.objects.get().email == "ada@example.com"


def test_running_without_a_required_column_is_refused(it_client):
    job = uploaded_job(it_client, "people_missing_email.csv")

    page = text(run(it_client, job, ImportMode.DRY_RUN))

    job.refresh_from_db()
    assert "Map every required column before running the import." in page
    assert job.status == ImportJobStatus.UPLOADED


# Running


def test_dry_run_then_import_then_import_again(it_client):
    job = uploaded_job(it_client, "people_generic.csv")

    dry = text(run(it_client, job, ImportMode.DRY_RUN))
    assert "Dry run: nothing was written." in dry
    assert [count_on_page(dry, n) for n in ("rows", "created", "updated", "unchanged", "bad_rows")] == [5, 5, 0, 0, 0]
    assert "also create 3 departments" in dry
    assert Person.objects.count() == 0

    imported = text(run(it_client, job, ImportMode.ALL_OR_NOTHING))
    assert "Imported." in imported
    assert count_on_page(imported, "created") == 5
    assert Person.objects.count() == 5

    again = text(run(it_client, job, ImportMode.ALL_OR_NOTHING))
    assert [count_on_page(again, n) for n in ("created", "updated", "unchanged")] == [0, 0, 5]


def test_bad_rows_block_the_import_and_are_listed_with_a_csv_download(it_client):
    job = uploaded_job(it_client, "people_bad.csv")

    page = text(run(it_client, job, ImportMode.ALL_OR_NOTHING))

    assert "<strong>Nothing was written</strong> because 10 rows have errors." in page
    assert Person.objects.count() == 0
    table = page.split('import-errors">')[1].split("</table>")[0]
    rows = re.findall(
        r'<tr> <td class="text-end">(\d+)</td><td>(.*?)</td><td><code>(.*?)</code></td><td>(.*?)</td>', table
    )
    assert [row[:2] for row in rows] == [
        ("3", "email"),
        ("4", "start_date"),
        ("5", "status"),
        ("7", "termination_date"),
        ("8", "termination_date"),
        ("9", "manager_email"),
        ("10", "manager_email"),
        ("11", "email"),
        ("12", "employee_id"),
        ("13", "name"),
    ]
    assert f'href="{reverse("core:import_errors_csv", args=[job.pk])}"' in page

    valid = text(run(it_client, job, ImportMode.VALID_ROWS))

    assert "10 rows with errors were skipped." in valid
    assert sorted(Person.objects.values_list("email", flat=True)) == ["ok.one@example.com", "ok.two@example.com"]


def test_the_errors_csv_neutralises_formulas(it_client):
    job = uploaded_job(it_client, "people_formula.csv")
    run(it_client, job, ImportMode.DRY_RUN)

    response = it_client.get(reverse("core:import_errors_csv", args=[job.pk]))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="import-{job.pk}-errors.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["row", "column", "value", "message"]
    assert [row[:3] for row in rows[1:]] == [
        ["2", "email", '\'=HYPERLINK("http://evil.example","x")'],
        ["3", "status", "'+CMD|' /C calc'!A0"],
        ["4", "start_date", "'-2024-01-01"],
        ["5", "email", "'@SUM(1+1)"],
    ]
    assert rows[3][3] == "Not a date. Expected a date as YYYY-MM-DD (e.g. 2024-04-17)."


def test_a_big_file_runs_in_the_background_with_a_polled_progress_bar(
    it_client, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_BACKGROUND_ROWS = 3
    job = uploaded_job(it_client, "people_generic.csv")
    progress_url = reverse("core:import_progress", args=[job.pk])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        page = text(run(it_client, job, ImportMode.ALL_OR_NOTHING))
    job.refresh_from_db()
    assert job.status == ImportJobStatus.QUEUED
    assert len(callbacks) == 1
    assert "The file has 5 rows, so it runs in the background." in page
    assert f'hx-get="{progress_url}" hx-trigger="every 500ms" hx-swap="outerHTML"' in page

    queued = text(it_client.get(progress_url))
    assert 'hx-trigger="every 500ms"' in queued and 'aria-valuenow="0"' in queued
    assert "Waiting for a background worker" in queued

    job.status = ImportJobStatus.RUNNING
    job.save()
    progress_report(import_job_progress_key(job.pk), stage="writing", processed=2, total=5, percent=70)
    running = text(it_client.get(progress_url))
    assert 'role="progressbar"' in running and 'aria-valuenow="70"' in running
    assert "Writing rows: 2 of 5" in running
    assert 'hx-trigger="every 500ms"' in running

    progress_report(import_job_progress_key(job.pk), stage="checking", processed=0, total=5, percent=45)
    checking = text(it_client.get(progress_url))
    assert "Checking references</p>" in checking and "0 of 5" not in checking
    assert 'aria-valuenow="45"' in checking

    job.status = ImportJobStatus.QUEUED
    job.save()
    import_job_run_task(job.pk)
    done_response = it_client.get(progress_url)
    done = text(done_response)
    assert "hx-trigger" not in done  # polling stops
    assert "Imported." in done and count_on_page(done, "created") == 5
    assert "HX-Refresh" not in done_response.headers  # a plain request is not told to reload
    # The poll that sees the end reloads the page, so its badge and buttons show the new state.
    assert it_client.get(progress_url, headers={"HX-Request": "true"}).headers["HX-Refresh"] == "true"


def test_a_running_job_cannot_be_started_twice(it_client):
    job = ImportJobFactory(kind="people", status=ImportJobStatus.RUNNING)

    page = text(run(it_client, job, ImportMode.ALL_OR_NOTHING))

    assert "This import is already queued or running; wait for it to finish." in page


def test_a_failed_job_shows_why(it_client):
    job = ImportJobFactory(kind="people", status=ImportJobStatus.FAILED, error_message="The worker stopped.")

    page = text(it_client.get(reverse("core:import_detail", args=[job.pk])))

    assert "<strong>The import failed.</strong> The worker stopped." in page


def test_the_owner_of_an_application_must_exist_when_imported_from_the_page(it_client):
    PersonFactory(email="ada@acme.example")
    job = uploaded_job(it_client, "applications_bad.csv", "applications:generic")

    page = text(run(it_client, job, ImportMode.DRY_RUN))

    assert "No person has this email or email alias." in page
    assert count_on_page(page, "bad_rows") == 5


# Templates


def test_the_csv_template_of_a_kind_has_its_columns(it_client):
    generic = it_client.get(reverse("core:import_template_csv", args=["people"]))
    google = it_client.get(reverse("core:import_template_csv", args=["people"]) + "?format=google-workspace")

    assert generic["Content-Disposition"] == 'attachment; filename="people-template.csv"'
    header = next(csv.reader(io.StringIO(generic.content.decode())))
    assert header == [
        "employee_id",
        "email",
        "name",
        "first_name",
        "last_name",
        "department",
        "manager_email",
        "status",
        "employment_type",
        "start_date",
        "termination_date",
        "job_title",
    ]
    assert next(csv.reader(io.StringIO(google.content.decode())))[:3] == [
        "First Name [Required]",
        "Last Name [Required]",
        "Email Address [Required]",
    ]
    assert it_client.get(reverse("core:import_template_csv", args=["nothing"])).status_code == 404


def test_the_new_import_page_documents_every_format_with_a_template_link(it_client):
    page = text(it_client.get(reverse("core:import_new")))

    for label in (
        "Google Workspace (Admin console user download)",
        "BambooHR (employee report)",
        "Workday (custom report)",
    ):
        assert label in page
    assert f'href="{reverse("core:import_template_csv", args=["people"])}?format=bamboohr"' in page
    assert (
        '<label class="form-label" for="id_file">File <span class="text-danger" title="required">*</span></label>'
        in page
    )


def test_the_list_page_queries_do_not_grow_with_the_number_of_imports(it_client, django_assert_num_queries):
    ImportJobFactory.create_batch(2, kind="people")
    it_client.get(reverse("core:import_list"))  # warm the session

    with CaptureQueriesContext(connection) as few:
        it_client.get(reverse("core:import_list"))
    ImportJobFactory.create_batch(20, kind="people")

    with django_assert_num_queries(len(few.captured_queries)):
        response = it_client.get(reverse("core:import_list"))

    assert text(response).count("people.csv</a>") == 22
