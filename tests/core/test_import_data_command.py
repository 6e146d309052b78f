import json
import os
import sqlite3
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from saasmgr.inventory.models import Person
from tests.conftest import REPO_ROOT
from tests.core.conftest import FIXTURES

pytestmark = pytest.mark.django_db

BAD_ROWS_JSON_ERRORS = [
    {
        "row": 3,
        "column": "email",
        "value": "not-an-email",
        "message": "Not an email address. Expected an email address such as name@example.com.",
    },
    {
        "row": 4,
        "column": "start_date",
        "value": "2022-13-45",
        "message": "No such date. Expected a date as YYYY-MM-DD (e.g. 2024-04-17).",
    },
    {
        "row": 5,
        "column": "status",
        "value": "retired",
        "message": "Unknown value. Expected one of: active, on leave, terminated.",
    },
    {"row": 7, "column": "termination_date", "value": "", "message": "A terminated person needs a termination date."},
    {
        "row": 8,
        "column": "termination_date",
        "value": "2022-04-30",
        "message": "The termination date is before the start date (2022-05-01).",
    },
    {
        "row": 9,
        "column": "manager_email",
        "value": "self.manager@example.com",
        "message": "A person cannot be their own manager.",
    },
    {
        "row": 10,
        "column": "manager_email",
        "value": "nobody@example.com",
        "message": "No person has this email, in this file or in saasmgr.",
    },
    {"row": 11, "column": "email", "value": "OK.ONE@example.com", "message": "Row 2 has the same email."},
    {"row": 12, "column": "employee_id", "value": "E200", "message": "Row 2 has the same employee id."},
    {"row": 13, "column": "name", "value": "", "message": "A name is required (a name, or a first and last name)."},
]


def import_data(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("import_data", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), str(exc)
    return 0, out.getvalue(), err.getvalue()


def test_dry_run_json_on_bad_rows_exits_1_lists_every_bad_row_and_writes_nothing():
    code, out, message = import_data("people", str(FIXTURES / "people_bad.csv"), "--dry-run", "--json")

    result = json.loads(out)
    assert code == 1
    assert message == "10 of 12 rows in people_bad.csv have errors."
    assert list(result)[:5] == ["rows", "created", "updated", "unchanged", "errors"]
    assert (result["rows"], result["created"], result["updated"], result["unchanged"]) == (12, 2, 0, 0)
    assert result["errors"] == BAD_ROWS_JSON_ERRORS
    assert Person.objects.count() == 0


def test_all_or_nothing_writes_nothing_and_valid_rows_writes_the_good_ones():
    code, out, _ = import_data("people", str(FIXTURES / "people_bad.csv"), "--json")
    assert (code, json.loads(out)["created"], Person.objects.count()) == (1, 0, 0)

    code, out, _ = import_data("people", str(FIXTURES / "people_bad.csv"), "--valid-rows", "--json")

    assert (code, json.loads(out)["created"]) == (1, 2)
    assert sorted(Person.objects.values_list("email", flat=True)) == ["ok.one@example.com", "ok.two@example.com"]


def test_the_fixed_file_imports_and_importing_it_again_changes_nothing():
    first_code, first_out, _ = import_data("people", str(FIXTURES / "people_fixed.csv"), "--json")
    second_code, second_out, _ = import_data("people", str(FIXTURES / "people_fixed.csv"), "--json")

    first, second = json.loads(first_out), json.loads(second_out)
    assert (first_code, first["created"], first["updated"], first["errors"]) == (0, 12, 0, [])
    assert (second_code, second["created"], second["updated"], second["unchanged"]) == (0, 0, 0, 12)
    assert Person.objects.count() == 12


def test_human_output_has_a_summary_and_an_error_table():
    code, out, _ = import_data("applications", str(FIXTURES / "applications_bad.csv"), "--dry-run")

    assert code == 1
    assert out.splitlines() == [
        "Applications: Generic CSV or XLSX from applications_bad.csv (CSV, utf-8, comma-separated): "
        "6 rows, 5 with errors.",
        "Dry run, nothing was written. Importing the valid rows would give: 1 created, 0 updated, 0 unchanged.",
        "Would also create: 1 vendor.",
        "Row  Column                Value                Message",
        "2    business_owner_email  nobody@acme.example  "
        "No person has this email or email alias. Add them under People, or import people first.",
        "3    status                approved             "
        "Unknown value. Expected one of: sanctioned, unsanctioned, under review, retired.",
        "4    first_seen            01/02/2023           Not a date. Expected a date as YYYY-MM-DD (e.g. 2024-04-17).",
        "5    website               not a url            Not a web address. Expected a web address such as https://example.com.",
        "6    name                  zoom                 Row 2 has the same name.",
    ]


def test_a_clean_import_exits_0_with_a_summary():
    code, out, _ = import_data("people", str(FIXTURES / "people_google_workspace.csv"), "--format", "google-workspace")

    assert code == 0
    assert out.splitlines()[1:] == [
        "Imported: 4 created, 0 updated, 0 unchanged.",
        "Also created: 2 departments, 2 email aliases.",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["gadgets", "people_generic.csv"],
            "Unknown import kind “gadgets”. Known kinds: "
            "applications, assignments, contracts, fx-rates, people, usage.",
        ),
        (
            ["people", "people_generic.csv", "--format", "okta"],
            "Unknown format “okta” for people. Known formats: generic, bamboohr, google-workspace, workday.",
        ),
        (["people", "no_such_file.csv"], f"No such file: {FIXTURES / 'no_such_file.csv'}"),
        (["people", "header_only.csv"], "header_only.csv: The file has a header row but no data rows."),
    ],
)
def test_file_level_errors_exit_2_with_a_clear_message(args, message):
    args[1] = str(FIXTURES / args[1])

    code, out, error = import_data(*args, "--json")

    assert (code, out, error) == (2, "", message)


def test_a_missing_required_column_exits_2_and_names_the_column_and_the_headers_found():
    code, _, error = import_data("people", str(FIXTURES / "people_missing_email.csv"))

    assert code == 2
    assert error.startswith(
        "people_missing_email.csv: The file is missing 1 required column: email: a header named “email”"
    )
    assert "The headers found are: “employee_id”, “Full Name”, “Dept”." in error


def test_a_real_process_dry_run_json_exits_1_and_writes_nothing(tmp_path):
    env = {
        key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "CACHE_URL", "CELERY_BROKER_URL")
    }
    env.update(SAASMGR_VAR_DIR=str(tmp_path / "var"), DJANGO_ENV="development")
    manage = [sys.executable, str(REPO_ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, cwd=REPO_ROOT, check=True, timeout=300)

    process = subprocess.run(
        [*manage, "import_data", "people", str(FIXTURES / "people_bad.csv"), "--dry-run", "--json"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert process.returncode == 1, process.stderr
    result = json.loads(process.stdout)
    assert result["errors"] == BAD_ROWS_JSON_ERRORS
    assert (result["rows"], result["created"], result["updated"], result["unchanged"]) == (12, 2, 0, 0)
    assert process.stderr.strip() == "CommandError: 10 of 12 rows in people_bad.csv have errors."
    with sqlite3.connect(tmp_path / "var" / "saasmgr.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM inventory_person").fetchone() == (0,)
        assert db.execute("SELECT COUNT(*) FROM inventory_department").fetchone() == (0,)
