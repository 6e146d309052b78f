import io

import pytest
from django.contrib.auth.models import Group

from saasmgr.core.choices import ImportMode
from saasmgr.core.imports.engine import import_file
from saasmgr.core.imports.reading import ImportFileError
from saasmgr.core.imports.results import RowError
from tests.core.importers_for_tests import GroupImporter

pytestmark = pytest.mark.django_db

GOOD = "Group name,Colour\nalpha,red\nbeta,BLUE\n"
WITH_BAD_ROWS = "Group name,Colour,Parent group\nalpha,red,\nbeta,green,\n,red,\nALPHA,blue,\ngamma,red,beta\n"


def run(text: str, mode: str = ImportMode.ALL_OR_NOTHING, **options):
    return import_file(
        importer=GroupImporter(), fileobj=io.BytesIO(text.encode()), name="groups.csv", mode=mode, **options
    )


def group_names() -> list[str]:
    return sorted(
        Group.objects.exclude(name__in=["admin", "it", "procurement", "finance", "viewer"]).values_list(
            "name", flat=True
        )
    )


def test_dry_run_reports_exact_counts_and_writes_nothing():
    Group.objects.create(name="alpha")

    result = run(GOOD, ImportMode.DRY_RUN)

    assert (result.rows, result.created, result.updated, result.unchanged) == (2, 1, 0, 1)
    assert result.written is False
    assert group_names() == ["alpha"]


def test_import_writes_and_a_second_import_changes_nothing():
    first = run(GOOD)
    second = run(GOOD)

    assert (first.created, first.unchanged, first.written) == (2, 0, True)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    assert group_names() == ["alpha", "beta"]


def test_every_bad_row_is_reported_with_row_column_value_and_reason():
    result = run(WITH_BAD_ROWS, ImportMode.DRY_RUN)

    assert result.errors == [
        RowError(3, "Colour", "green", "Unknown value. Expected one of: red, blue."),
        RowError(4, "Group name", "", "A value is required: text of at most 150 characters."),
        RowError(5, "Group name", "ALPHA", "Row 2 has the same name."),
        RowError(6, "Parent group", "beta", "No such group (row 3 has errors)."),
    ]
    assert result.bad_rows == 4


def test_all_or_nothing_writes_nothing_when_a_row_is_bad():
    result = run(WITH_BAD_ROWS, ImportMode.ALL_OR_NOTHING)

    assert (result.created, result.updated, result.unchanged, result.written) == (0, 0, 0, False)
    assert result.bad_rows == 4
    assert group_names() == []


def test_valid_rows_mode_writes_only_the_good_rows():
    result = run(WITH_BAD_ROWS, ImportMode.VALID_ROWS)

    assert (result.rows, result.created, result.written, result.bad_rows) == (5, 1, True, 4)
    assert group_names() == ["alpha"]


def test_values_beyond_the_header_are_a_row_error():
    result = run("Group name\nalpha\nbeta,surprise\n", ImportMode.DRY_RUN)

    assert result.errors == [RowError(3, "", "", "The row has values beyond the last of the 1 header columns.")]


def test_a_missing_required_column_is_a_file_error():
    with pytest.raises(ImportFileError, match=r"^The file is missing 1 required column: name: a header named"):
        run("Colour\nred\n")


def test_a_header_without_rows_is_a_file_error():
    with pytest.raises(ImportFileError, match=r"^The file has a header row but no data rows\.$"):
        run("Group name,Colour\n\n")


def test_a_mapping_chosen_by_a_person_is_applied():
    result = run("Team,Colour\nalpha,red\n", ImportMode.VALID_ROWS, mapping={"Team": "name"})

    assert result.created == 1
    assert group_names() == ["alpha"]


def test_a_database_error_during_the_write_rolls_everything_back():
    with pytest.raises(ImportFileError, match="^The database refused the import, so nothing was written"):
        run("Group name\nalpha\nexplode\n")

    assert group_names() == []


def test_progress_is_reported_in_steps_through_each_stage():
    calls = []
    text = "Group name\n" + "".join(f"group {n}\n" for n in range(1000))

    run(text, ImportMode.DRY_RUN, on_progress=lambda *call: calls.append(call), total_rows=1000)

    reading = [processed for stage, processed, _ in calls if stage == "reading"]
    writing = [processed for stage, processed, _ in calls if stage == "writing"]
    assert reading == [200, 400, 600, 800, 1000, 1000]
    assert writing == [200, 400, 600, 800, 1000, 1000]
    assert [stage for stage, _, _ in calls if stage == "checking"] == ["checking", "checking"]
    assert {total for stage, _, total in calls if stage != "checking"} == {1000}
