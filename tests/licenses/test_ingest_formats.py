"""Every source format imports its fixture (tests/fixtures/usage/) with the right people, applications,
days and seats. The expectations are worked out by hand from the fixture rows."""

from datetime import date

import pandas as pd
import pytest

from licenses.ingest.parsing import GENERIC, as_date, days_parse
from licenses.models import Activity, Assignment, LicensePool, PendingActivity
from saasmgr.core.imports.reading import ImportFileError
from tests.licenses.ingest_world import activity_rows, last_seen, pending_rows, run, seats, world

pytestmark = pytest.mark.django_db

ANN, BOB, CARA = "ann@example.com", "bob@example.com", "cara@example.com"


# Usage


def test_okta_syslog_counts_successful_sso_into_the_app_instance_target():
    world()

    result = run("usage", "okta-syslog", "okta_syslog.csv")

    assert result.errors == []
    # a session start, a failed sign-on and a password change are not usage
    assert (result.rows, result.skipped) == (8, 3)
    assert activity_rows() == {
        (ANN, "Salesforce", date(2024, 12, 30), 2),  # two sign-ons that day
        (BOB, "Figma", date(2024, 12, 31), 1),  # the AppInstance is target 1, after the AppUser
        (CARA, "Figma", date(2025, 1, 2), 1),  # "Cara@Example.com", after a failed try
    }
    assert pending_rows() == {("dave@example.com", "salesforce", date(2025, 1, 2), 1)}


def test_okta_syslog_without_target_columns_is_refused():
    world()

    with pytest.raises(ImportFileError, match="no target columns"):
        run("usage", "okta-syslog", "okta_syslog_no_targets.csv")
    assert not Activity.objects.exists()


def test_okta_assignments_report_last_login_is_usage():
    world()

    result = run("usage", "okta-assignments", "okta_assignments.csv")

    assert result.errors == []
    assert last_seen() == {(ANN, "Salesforce"): date(2024, 6, 28), (BOB, "Salesforce"): date(2024, 5, 30)}
    assert pending_rows() == {("dave@example.com", "figma", date(2024, 6, 20), 1)}  # Cara never logged in


def test_google_workspace_last_sign_in_is_usage_of_google_workspace():
    world()

    result = run("usage", "google-workspace", "google_workspace.csv")

    assert result.errors == []
    assert last_seen() == {(ANN, "Google Workspace"): date(2024, 3, 12), (BOB, "Google Workspace"): date(2024, 3, 11)}
    assert pending_rows() == {("dave@example.com", "google workspace", date(2024, 2, 29), 1)}


def test_m365_active_users_each_product_is_its_own_application():
    world()

    result = run("usage", "m365-active-users", "m365_active_users.csv")

    assert result.errors == []
    assert result.file == "CSV, utf-8-sig, comma-separated"  # the report starts with a byte-order mark
    assert last_seen() == {
        (ANN, "Microsoft Exchange"): date(2024, 6, 28),
        (ANN, "Microsoft OneDrive"): date(2024, 6, 11),
        (ANN, "Microsoft Teams"): date(2024, 6, 29),
        (BOB, "Microsoft Exchange"): date(2024, 6, 14),
        (BOB, "Microsoft Teams"): date(2024, 6, 10),
        (CARA, "Microsoft Teams"): date(2024, 6, 20),
    }


def test_m365_report_with_concealed_names_says_how_to_reveal_them():
    world()

    result = run("usage", "m365-active-users", "m365_concealed.csv")

    assert [(e.row, e.column, e.value) for e in result.errors] == [
        (2, "User Principal Name", "0F3C9B8E4D2A1B7C6E5F4A3B2C1D0E9F")
    ]
    assert "Display concealed user, group, and site names" in result.errors[0].message
    assert not result.written
    assert not Activity.objects.exists() and not PendingActivity.objects.exists()


def test_entra_signins_quoted_headers_with_odd_spacing_and_a_repeated_column():
    world()

    result = run("usage", "entra-signins", "entra_signins.csv")

    assert result.errors == []
    assert (result.rows, result.skipped) == (6, 2)  # a failure and an interrupted sign-in
    assert activity_rows() == {
        (ANN, "Salesforce", date(2025, 1, 14), 2),
        (BOB, "Microsoft Teams", date(2025, 1, 15), 1),
    }
    assert pending_rows() == {("dave@example.com", "figma", date(2025, 1, 16), 1)}


def test_slack_members_with_byte_order_mark_and_username_when_email_is_blank():
    world()

    result = run("usage", "slack-members", "slack_members.csv")

    assert result.errors == []
    assert last_seen() == {
        (ANN, "Slack"): date(2025, 3, 17),
        (BOB, "Slack"): date(2025, 3, 3),  # no email: his Slack username "bobstone" is his alias
        (CARA, "Slack"): date(2025, 2, 20),
    }
    assert pending_rows() == {
        ("dave@example.com", "slack", date(2024, 7, 2), 1),
        ("eve@example.com", "slack", date(2024, 12, 30), 1),
    }


def test_zoom_users_last_login():
    world()

    result = run("usage", "zoom-users", "zoom_users.csv")

    assert result.errors == []
    assert last_seen() == {(ANN, "Zoom"): date(2024, 6, 28), (BOB, "Zoom"): date(2024, 6, 21)}
    assert pending_rows() == {("dave@example.com", "zoom", date(2024, 6, 2), 1)}


def test_atlassian_users_last_seen_per_product_and_site():
    world()

    result = run("usage", "atlassian-users", "atlassian_users.csv")

    assert result.errors == []
    # Ann uses Jira on two sites: both days are kept, the later one is her last-seen date
    assert activity_rows() == {
        (ANN, "Jira", date(2024, 6, 14), 1),
        (ANN, "Jira", date(2024, 6, 20), 1),
        (ANN, "Confluence", date(2024, 5, 2), 1),
        (CARA, "Confluence", date(2024, 4, 18), 1),
    }
    assert last_seen()[(ANN, "Jira")] == date(2024, 6, 20)
    assert pending_rows() == {("dave@example.com", "jira", date(2024, 6, 1), 1)}  # Bob: "Never accessed"


def test_github_copilot_logins_match_username_aliases():
    world()

    result = run("usage", "github-copilot", "github_copilot.csv")

    assert result.errors == []
    assert activity_rows() == {(ANN, "GitHub Copilot", date(2025, 1, 14), 1)}  # "annlee-gh"; Bob's is "None"
    assert pending_rows() == {("octo-dave", "github copilot", date(2025, 1, 13), 1)}


# Assignments


def test_generic_assignments_create_pools_named_after_the_license_types():
    world()

    result = run("assignments", "generic", "assignments_generic.csv")

    assert result.errors == []
    assert (result.created, result.also_created) == (4, {"license pool": 2, "unmatched account": 1})
    assert seats() == {
        ("Salesforce", "Sales Cloud Enterprise", "ann.lee@acme-sfdc.com", ANN, date(2024, 1, 15), None),
        ("Salesforce", "Sales Cloud Enterprise", BOB, BOB, date(2023, 11, 2), date(2024, 5, 31)),
        ("Figma", "Professional", CARA, CARA, date(2024, 3, 4), None),
        ("Figma", "Professional", "dave@example.com", None, date(2024, 4, 1), None),
    }
    assert set(LicensePool.objects.values_list("name", "purchased_quantity", "annual_unit_cost")) == {
        ("Sales Cloud Enterprise", None, None),
        ("Professional", None, None),
    }


def test_okta_assignments_application_login_is_the_account():
    world()

    result = run("assignments", "okta-assignments", "okta_assignments.csv")

    assert result.errors == []
    assert seats() == {
        ("Salesforce", "Standard", "ann.lee@acme-sfdc.com", ANN, date(2024, 1, 15), None),
        ("Salesforce", "Standard", "bob.stone@acme-sfdc.com", BOB, date(2023, 11, 2), date(2024, 5, 31)),
        ("Figma", "Standard", CARA, CARA, date(2024, 3, 4), None),  # no application login: the Okta login
        ("Figma", "Standard", "dave@example.com", None, date(2024, 4, 1), None),
    }


def test_google_workspace_every_user_holds_a_seat():
    world()

    result = run("assignments", "google-workspace", "google_workspace.csv")

    assert result.errors == []
    assert seats() == {
        ("Google Workspace", "Standard", ANN, ANN, None, None),
        ("Google Workspace", "Standard", BOB, BOB, None, None),
        ("Google Workspace", "Standard", CARA, CARA, None, None),  # suspended users still hold a seat
        ("Google Workspace", "Standard", "dave@example.com", None, None, None),
    }


def test_m365_license_flags_are_seats_in_the_assigned_product_pool():
    world()

    result = run("assignments", "m365-active-users", "m365_active_users.csv")

    assert result.errors == []
    e3 = "OFFICE 365 E3"
    assert seats() == {
        ("Microsoft Exchange", e3, ANN, ANN, date(2023, 1, 9), None),
        ("Microsoft OneDrive", e3, ANN, ANN, date(2023, 1, 9), None),
        ("Microsoft Teams", e3, ANN, ANN, date(2023, 1, 9), None),
        # deleted on 2024-06-15: the seats ended then
        ("Microsoft Exchange", e3, BOB, BOB, date(2022, 5, 2), date(2024, 6, 15)),
        ("Microsoft Teams", e3, BOB, BOB, date(2022, 5, 2), date(2024, 6, 15)),
    }
    assert run("assignments", "m365-active-users", "m365_active_users.csv").created == 0


def test_slack_seat_types_guests_and_deactivated_members():
    world()

    result = run("assignments", "slack-members", "slack_members.csv")

    assert result.errors == []
    assert result.skipped == 1  # Dave is a single-channel guest: free
    assert seats() == {
        ("Slack", "Member", ANN, ANN, date(2023, 1, 9), None),  # a workspace owner holds a member seat
        ("Slack", "Member", "bobstone", BOB, date(2023, 2, 1), None),
        ("Slack", "Multi-Channel Guest", CARA, CARA, date(2024, 6, 5), None),
        ("Slack", "Member", "eve@example.com", None, date(2023, 3, 3), date(2024, 12, 31)),
    }


def test_zoom_basic_users_hold_no_paid_seat():
    world()

    result = run("assignments", "zoom-users", "zoom_users.csv")

    assert result.errors == []
    assert result.skipped == 1
    assert seats() == {
        ("Zoom", "Licensed", ANN, ANN, date(2022, 3, 1), None),
        ("Zoom", "Licensed", CARA, CARA, date(2024, 5, 10), None),
        ("Zoom", "Licensed", "dave@example.com", None, date(2024, 4, 1), None),
    }


def test_atlassian_product_access_is_a_seat_even_when_never_used():
    world()

    result = run("assignments", "atlassian-users", "atlassian_users.csv")

    assert result.errors == []
    assert seats() == {
        ("Jira", "Standard", ANN, ANN, date(2024, 1, 3), None),  # two sites, one seat
        ("Confluence", "Standard", ANN, ANN, date(2024, 1, 3), None),
        ("Jira", "Standard", BOB, BOB, date(2024, 2, 12), None),  # "Never accessed"
        ("Confluence", "Standard", CARA, CARA, date(2024, 3, 1), None),
        ("Jira", "Standard", "dave@example.com", None, date(2024, 4, 5), None),
    }


def test_github_copilot_each_row_is_a_seat_of_a_github_login():
    world()

    result = run("assignments", "github-copilot", "github_copilot.csv")

    assert result.errors == []
    assert seats() == {
        ("GitHub Copilot", "Standard", "annlee-gh", ANN, None, None),
        ("GitHub Copilot", "Standard", "BobStone", BOB, None, None),
        ("GitHub Copilot", "Standard", "octo-dave", None, None, None),
    }
    assert Assignment.objects.filter(person__isnull=True).count() == 1


# Day parsing: the plain ISO forms are read without pandas, with the same days and errors as pandas gives


PLAIN_AND_OTHER_DAYS = [
    ("2024-04-17", date(2024, 4, 17)),
    ("2024-04-17T09:30:00Z", date(2024, 4, 17)),
    ("2024-04-17T23:59:59", date(2024, 4, 17)),
    ("2024-04-17 00:00:00", date(2024, 4, 17)),
    ("2024-02-29", date(2024, 2, 29)),  # a leap day
    ("2024-04-17T23:30:00-02:00", date(2024, 4, 18)),  # an offset: its UTC day, through pandas
    ("2024-04-17T09:30:00.250Z", date(2024, 4, 17)),  # a fraction of a second, through pandas
    ("Apr 17, 2024", date(2024, 4, 17)),
    ("2023-02-29", None),  # no such day
    ("2024-04-31", None),
    ("2024-13-01", None),
    ("2024-04-17T24:00:00Z", None),
    ("2024-04-17T09:61:00Z", None),
    ("2024-04-17T09:30:00ZZ", None),
    ("2024-04-17X09:30:00Z", None),
    ("17/04/2024", None),
]


@pytest.mark.parametrize(("text", "day"), PLAIN_AND_OTHER_DAYS)
def test_generic_days_parse_the_plain_iso_forms_like_pandas(text, day):
    days, bad = days_parse(pd.Series([text, "", text], dtype=object), GENERIC)

    assert list(bad) == [day is None, False, day is None]
    assert [as_date(value) for value in days] == [day, None, day]


def test_a_non_ascii_cell_sends_the_whole_column_through_pandas():
    days, bad = days_parse(pd.Series(["2024-04-17", "2024-04-18T10:00:00Z", "١٢"], dtype=object), GENERIC)

    assert [as_date(value) for value in days] == [date(2024, 4, 17), date(2024, 4, 18), None]
    assert list(bad) == [False, False, True]
