from datetime import UTC, date, datetime

import pytest

from saasmgr.core.imports.parsers import (
    BooleanParser,
    CellError,
    ChoiceParser,
    DateParser,
    DateTimeParser,
    EmailParser,
    TextParser,
    URLParser,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-04-17", date(2024, 4, 17)),
        ("2024-04-17 00:00:00", date(2024, 4, 17)),
        ("2023-04-17-07:00", date(2023, 4, 17)),
        ("2023-04-17T10:00:00Z", date(2023, 4, 17)),
    ],
)
def test_iso_dates(text, expected):
    assert DateParser()(text) == expected


def test_us_dates_only_when_asked_for():
    assert DateParser(us=True)("04/17/2023") == date(2023, 4, 17)
    with pytest.raises(CellError, match=r"^Not a date\. Expected a date as YYYY-MM-DD \(e\.g\. 2024-04-17\)\.$"):
        DateParser()("04/17/2023")


@pytest.mark.parametrize("text", ["2024-02-30", "13/01/2024"])
def test_impossible_dates_say_so(text):
    with pytest.raises(
        CellError, match=r"^No such date\. Expected a date as YYYY-MM-DD \(e\.g\. 2024-04-17\) or MM/DD/YYYY"
    ):
        DateParser(us=True)(text)


def test_date_blanks_mean_no_date():
    assert DateParser(us=True, blanks=("0000-00-00",))("0000-00-00") is None


def test_datetime_parser_reads_google_last_sign_in():
    parser = DateTimeParser(("%Y/%m/%d %H:%M:%S",), example="2024/04/04 00:24:13", blanks=("Never logged in",))

    assert parser("2024/04/04 00:24:13") == datetime(2024, 4, 4, 0, 24, 13, tzinfo=UTC)
    assert parser("never LOGGED in") is None
    with pytest.raises(CellError) as error:
        parser("yesterday")
    assert str(error.value) == (
        "Not a date and time. Expected a date and time like 2024/04/04 00:24:13 or “Never logged in”."
    )


def test_choice_parser_ignores_case_spacing_and_punctuation():
    parser = ChoiceParser({"on leave": "on_leave", "active": "active"}, shown=["active", "on leave"])

    assert parser("On Leave") == parser("ON_LEAVE") == parser(" on-leave") == "on_leave"
    with pytest.raises(CellError) as error:
        parser("retired")
    assert str(error.value) == "Unknown value. Expected one of: active, on leave."


def test_boolean_parser():
    parser = BooleanParser()

    assert [parser(text) for text in ("Yes", "1", "TRUE", "no", "0", "False")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]


def test_email_parser():
    assert EmailParser()("mailto:ada@example.com") == "ada@example.com"
    with pytest.raises(CellError, match="^Not an email address"):
        EmailParser()("ada at example.com")


def test_url_parser_adds_https_to_a_bare_domain():
    assert URLParser()("slack.com") == "https://slack.com"
    assert URLParser()("http://example.com/x") == "http://example.com/x"
    with pytest.raises(CellError, match="^Not a web address"):
        URLParser()("not a url")
    with pytest.raises(CellError, match=r"^Too long: 201 characters; at most 200 are accepted\.$"):
        URLParser()("example.com/" + "x" * 181)


def test_text_parser_limits_length():
    assert TextParser(3)("abc") == "abc"
    with pytest.raises(CellError, match=r"^Too long: 4 characters; at most 3 are accepted\.$"):
        TextParser(3)("abcd")
