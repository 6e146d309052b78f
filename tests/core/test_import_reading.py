import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from saasmgr.core.imports.reading import ImportFileError, count_data_rows, open_table, sniff_delimiter
from tests.core.conftest import FIXTURES


def read_all(data: bytes, name: str = "file.csv") -> tuple[list[str], list[tuple[int, list[str]]], str]:
    with open_table(io.BytesIO(data), name=name) as table:
        return table.header, list(table.rows), table.describe()


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Users"
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_utf8_comma_csv_keeps_quoted_commas_and_numbers_rows_like_a_spreadsheet():
    header, rows, described = read_all((FIXTURES / "people_generic.csv").read_bytes())

    assert header[:3] == ["employee_id", "email", "name"]
    assert described == "CSV, utf-8, comma-separated"
    assert rows[0][1][9] == "Staff Engineer, Platform"
    # A blank line sits between the fifth and sixth record: it is skipped but still counted.
    assert [number for number, _ in rows] == [2, 3, 4, 5, 7]


def test_cp1252_file_is_decoded_as_windows_1252():
    header, rows, described = read_all((FIXTURES / "people_cp1252.csv").read_bytes())

    assert described == "CSV, cp1252, comma-separated"
    assert rows[0][1] == ["jose.muller@example.com", "José Müller", "Vertrieb", "Leiter Vertrieb – DACH"]
    assert rows[1][1][1] == "Zoë Ørsted"


def test_a_cp1252_byte_on_the_last_row_still_selects_cp1252():
    data = b"email,name\n" + b"a@example.com,Ada\n" * 5000 + "b@example.com,Bjørn\n".encode("cp1252")

    _, rows, described = read_all(data)

    assert described == "CSV, cp1252, comma-separated"
    assert rows[-1][1] == ["b@example.com", "Bjørn"]


def test_utf8_bom_does_not_stick_to_the_first_header():
    header, rows, described = read_all((FIXTURES / "people_bom.csv").read_bytes())

    assert header == ["Email", "Name", "Employee ID"]
    assert described == "CSV, utf-8-sig, comma-separated"
    assert rows == [(2, ["bo.m@example.com", "Bo Marks", "B-1"])]


def test_utf16_text_export_is_read():
    data = "email\tname\r\nada@example.com\tAda Ø\r\n".encode("utf-16")

    header, rows, described = read_all(data, "export.txt")

    assert header == ["email", "name"]
    assert rows == [(2, ["ada@example.com", "Ada Ø"])]
    assert described == "CSV, utf-16, tab-separated"


def test_semicolon_file_with_commas_in_values_is_split_on_semicolons():
    header, rows, described = read_all((FIXTURES / "people_semicolon.csv").read_bytes())

    assert described == "CSV, utf-8, semicolon-separated"
    assert header == ["Full Name", "Email Address", "Department", "Hire Date", "Status"]
    assert rows[0][1][2] == "Sales, DACH"


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("a,b,c\n1,2,3\n4,5,6\n", ","),
        ("a;b;c\n1;2,5;3\n4;5;6\n", ";"),
        ("a\tb\tc\n1\t2\t3\n", "\t"),
        ("a|b|c\n1|2|3\n", "|"),
        ('name,title\n"Doe; John","VP; Sales"\n', ","),
        ("single\nvalue\n", ","),
    ],
)
def test_sniff_delimiter(sample, expected):
    assert sniff_delimiter(sample) == expected


def test_cells_are_stripped_including_non_breaking_spaces():
    _, rows, _ = read_all("email,name\n  ada@example.com\xa0, Ada \n".encode())

    assert rows == [(2, ["ada@example.com", "Ada"])]


def test_xlsx_typed_cells_become_the_text_a_person_would_type():
    data = xlsx_bytes(
        [
            ["Employee_ID", "Hire_Date", "Last seen", "Active", "Score"],
            [21001, datetime(2021, 3, 1), datetime(2024, 4, 4, 0, 24, 13), True, 2.5],
            [None, None, None, None, None],
            [21002.0, date(2018, 6, 15), None, False, None],
        ]
    )

    header, rows, described = read_all(data, "report.xlsx")

    assert header == ["Employee_ID", "Hire_Date", "Last seen", "Active", "Score"]
    assert described == "Excel workbook, sheet “Users”"
    assert rows == [
        (2, ["21001", "2021-03-01", "2024-04-04 00:24:13", "true", "2.5"]),
        (4, ["21002", "2018-06-15", "", "false", ""]),
    ]


def test_xlsx_is_recognised_by_content_whatever_its_name():
    data = xlsx_bytes([["email"], ["ada@example.com"]])

    _, rows, described = read_all(data, "upload")

    assert described.startswith("Excel workbook")
    assert rows == [(2, ["ada@example.com"])]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.csv", "The file is empty."),
        (b"\n\n , \n", "blank.csv", "The file is empty: it has no header row and no data."),
        (b"PK\x03\x04 this is not a workbook", "broken.xlsx", "could not be read as an Excel workbook (.xlsx)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old excel", "old.xls", "old-style Excel workbook (.xls)"),
    ],
)
def test_unreadable_files_raise_a_clear_file_error(data, name, message):
    with pytest.raises(ImportFileError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        read_all(data, name)


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1_048_576

    with pytest.raises(ImportFileError, match=r"The file is 2\.0 MB; files of at most 1\.0 MB can be imported"):
        read_all(b"email\n" + b"a" * 2 * 1_048_576)


def test_an_unclosed_quote_gives_a_row_numbered_error():
    data = b'email,name\nada@example.com,Ada\nbob@example.com,"Bob\n' + b"x" * 200_000 + b"\n"

    with pytest.raises(ImportFileError, match=r"^Row 3 could not be read as CSV \(field larger than field limit"):
        read_all(data)


def test_nul_characters_are_dropped():
    _, rows, _ = read_all(b"email,name\nada@example.com,A\x00da\n")

    assert rows == [(2, ["ada@example.com", "Ada"])]


def test_count_data_rows_skips_blank_rows():
    with open_table(io.BytesIO(b"email\n\na@example.com\n,\nb@example.com\n"), name="x.csv") as table:
        assert count_data_rows(table) == 2
