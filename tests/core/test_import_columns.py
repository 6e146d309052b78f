import pytest

from saasmgr.core.imports.columns import Column, match_headers, normalise_header

COLUMNS = (
    Column("email", ("Email Address", "Work Email"), required=True),
    Column("name", ("Full Name",), required=True, satisfied_by=("first_name", "last_name")),
    Column("first_name", ("First Name",)),
    Column("last_name", ("Last Name",)),
    Column("employee_id", ("Employee #", "Employee ID")),
    Column("department", ("Department",)),
)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Email Address [Required]", "emailaddress"),
        ("  EMAIL_ADDRESS ", "emailaddress"),
        ("email-address", "emailaddress"),
        ("Employee #", "employeenumber"),
        ("Recovery Phone [MUST BE IN THE E.164 FORMAT]", "recoveryphone"),
        ("Département", "département"),
    ],
)
def test_normalise_header(header, expected):
    assert normalise_header(header) == expected


def test_headers_match_by_alias_ignoring_case_spacing_and_notes_never_by_position():
    match = match_headers(["Department", "EMPLOYEE #", "email address [Required]", "Shoe size", "First Name"], COLUMNS)

    assert [(header, column.name) for header, column in match.matched] == [
        ("Department", "department"),
        ("EMPLOYEE #", "employee_id"),
        ("email address [Required]", "email"),
        ("First Name", "first_name"),
    ]
    assert match.unknown == ["Shoe size"]
    assert [column.name for column in match.missing_required] == ["name"]
    assert match.label("email") == "email address [Required]"


def test_first_and_last_name_satisfy_the_name_column():
    match = match_headers(["email", "First Name", "Last Name"], COLUMNS)

    assert match.missing_required == []


def test_a_second_header_for_the_same_column_is_reported_not_used():
    match = match_headers(["Work Email", "Email Address", "name"], COLUMNS)

    assert match.header_for["email"] == "Work Email"
    assert match.duplicates == {"Email Address": "email"}


def test_ignored_headers_are_not_reported_as_unknown():
    match = match_headers(["email", "name", "Password [Required]", "Hobby"], COLUMNS, ignored_headers=("Password",))

    assert match.ignored == ["Password [Required]"]
    assert match.unknown == ["Hobby"]


def test_mapping_by_hand_wins_over_aliases_and_can_ignore_a_header():
    mapping = {"Mail": "email", "Department": "", "Team": "department"}

    match = match_headers(["Mail", "name", "Department", "Team"], COLUMNS, mapping=mapping)

    assert match.header_for == {"email": "Mail", "name": "name", "department": "Team"}
    assert match.ignored == ["Department"]
    assert match.unknown == []
    assert match.mapped_by_hand == mapping


def test_a_mapping_to_a_column_that_does_not_exist_is_ignored():
    match = match_headers(["Mail", "name"], COLUMNS, mapping={"Mail": "no_such_column"})

    assert match.unknown == ["Mail"]


def test_missing_message_names_what_was_expected_and_what_was_found():
    match = match_headers(["Mail", "Dept"], COLUMNS)

    assert match.missing_message() == (
        "The file is missing 2 required columns: email: a header named “email”, “Email Address”, “Work Email”; "
        "name (or both first_name and last_name): a header named “name”, “Full Name”. "
        "The headers found are: “Mail”, “Dept”. Rename a header, or map it to the column on the import page."
    )
