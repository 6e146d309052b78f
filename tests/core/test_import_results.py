import csv
import io

import pytest

from saasmgr.core.imports.results import (
    ImportResult,
    RowError,
    also_created_text,
    errors_csv,
    neutralise_formula,
    plural,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+41 79 000", "'+41 79 000"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=cmd", "'\t=cmd"),
        ("ada@example.com", "ada@example.com"),
        (7, "7"),
        (None, ""),
    ],
)
def test_neutralise_formula(value, expected):
    assert neutralise_formula(value) == expected


def test_errors_csv_neutralises_every_cell():
    errors = [{"row": 2, "column": "=col", "value": "+1", "message": "-bad"}]

    rows = list(csv.reader(io.StringIO(errors_csv(errors))))

    assert rows == [["row", "column", "value", "message"], ["2", "'=col", "'+1", "'-bad"]]


def test_plural_and_also_created_text():
    assert [plural(1, "category"), plural(2, "category"), plural(3, "email alias"), plural(0, "day")] == [
        "1 category",
        "2 categories",
        "3 email aliases",
        "0 days",
    ]
    assert also_created_text({"department": 1, "vendor": 0, "category": 2}) == "1 department, 2 categories"


def test_result_dict_starts_with_the_cli_keys_and_can_cap_the_errors():
    result = ImportResult(rows=3, created=1, errors=[RowError(2, "a", "x", "m"), RowError(3, "a", "y", "m")])

    capped = result.to_dict(error_limit=1)

    assert list(capped)[:5] == ["rows", "created", "updated", "unchanged", "errors"]
    assert capped["errors"] == [{"row": 2, "column": "a", "value": "x", "message": "m"}]
    assert (capped["error_count"], capped["bad_rows"]) == (2, 2)
