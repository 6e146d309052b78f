"""The assignment ingest: pools found by license name or made from the file, people resolved or
queued, upserts that never erase, unknown applications, and re-imports."""

import io
from datetime import date

import pytest

from licenses.choices import AssignmentSource, IdentityStatus, NameKind
from licenses.models import Assignment, IdentityReview, LicensePool, NameReview, SkuAlias
from saasmgr.core.choices import ImportMode
from saasmgr.core.imports.engine import import_file
from saasmgr.core.imports.registry import get_importer
from tests.factories import UserFactory
from tests.licenses.factories import AssignmentFactory, LicensePoolFactory
from tests.licenses.ingest_world import run, seats, snapshot, world

pytestmark = pytest.mark.django_db

HEADER = "email,app,account,license,assigned_on,unassigned_on\n"


def assign(text: str, mode: str = ImportMode.ALL_OR_NOTHING, format: str = "generic", user=None):
    importer = get_importer("assignments", format)()
    return import_file(importer=importer, fileobj=io.BytesIO(text.encode()), name="seats.csv", mode=mode, user=user)


def test_importing_the_same_file_again_creates_nothing_and_changes_nothing():
    world()
    run("assignments", "generic", "assignments_generic.csv")
    before = snapshot()

    again = run("assignments", "generic", "assignments_generic.csv")

    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert again.also_created == {"license pool": 0, "unmatched account": 0}
    assert snapshot() == before


def test_seats_are_written_with_history_and_the_import_as_source():
    world()
    user = UserFactory()

    assign(HEADER + "ann@example.com,Salesforce,,Enterprise,2024-01-15,\n", user=user)

    seat = Assignment.objects.get()
    assert seat.source == AssignmentSource.IMPORT
    record = seat.history.get()
    assert (record.history_user, record.history_change_reason) == (user, "Import of seats.csv")


def test_license_names_match_existing_pools_by_name_and_sku_alias():
    w = world()
    enterprise = LicensePoolFactory(application=w.apps["Salesforce"], name="Sales Cloud Enterprise")
    LicensePoolFactory(application=w.apps["Salesforce"], name="Platform")

    SkuAlias.objects.create(pool=enterprise, name="SFDC_ENT")

    result = assign(
        HEADER + "ann@example.com,Salesforce,,sales-cloud  ENTERPRISE,,\nbob@example.com,Salesforce,,SFDC_ENT,,\n"
    )

    assert result.errors == []
    assert set(Assignment.objects.values_list("account", "pool")) == {
        ("ann@example.com", enterprise.pk),
        ("bob@example.com", enterprise.pk),
    }
    assert result.also_created["license pool"] == 0


def test_an_unknown_license_name_is_a_row_error_and_waits_for_review():
    w = world()
    LicensePoolFactory(application=w.apps["Salesforce"], name="Sales Cloud Enterprise")
    LicensePoolFactory(application=w.apps["Salesforce"], name="Platform")

    result = assign(HEADER + "ann@example.com,Salesforce,,Marketing Cloud,,\n", mode=ImportMode.VALID_ROWS)

    ((row, column, value, message),) = [(e.row, e.column, e.value, e.message) for e in result.errors]
    assert (row, column, value) == (2, "license", "Marketing Cloud")
    assert message.startswith(
        "The license type “Marketing Cloud” is not one of Salesforce's license pools (Platform, Sales Cloud "
        "Enterprise). It was queued for review on the name review page"
    )
    review = NameReview.objects.get(kind=NameKind.LICENSE)
    assert (review.raw, review.application) == ("Marketing Cloud", w.apps["Salesforce"])
    assert not Assignment.objects.exists()

    # All or nothing rolls the rows back, but the name still waits for review, as the error says.
    refused = assign(HEADER + "ann@example.com,Salesforce,,Service Cloud,,\nbob@example.com,Salesforce,,Platform,,\n")
    assert (refused.written, [e.row for e in refused.errors]) == (False, [2])
    assert NameReview.objects.filter(kind=NameKind.LICENSE, raw="Service Cloud").exists()
    assert not Assignment.objects.exists()


def test_no_license_name_uses_the_only_pool_and_is_an_error_with_several():
    w = world()
    only = LicensePoolFactory(application=w.apps["Figma"], name="Professional")
    LicensePoolFactory(application=w.apps["Salesforce"], name="Enterprise")
    LicensePoolFactory(application=w.apps["Salesforce"], name="Platform")

    result = assign(HEADER + "cara@example.com,Figma,,,,\nann@example.com,Salesforce,,,,\n", mode=ImportMode.VALID_ROWS)

    assert Assignment.objects.get().pool == only
    assert [(e.row, e.message) for e in result.errors] == [
        (
            3,
            "The file names no license type that Salesforce has, and Salesforce has 2 license pools "
            "(Enterprise, Platform); add a license type column that names one.",
        )
    ]


def test_an_unknown_application_in_all_or_nothing_writes_nothing_but_its_name_waits_for_review():
    world()

    result = run("assignments", "okta-assignments", "okta_assignments_unknown_app.csv")

    assert [(e.row, e.column, e.value) for e in result.errors] == [
        (3, "Application name", "Lucidchart Enterprise Suite")
    ]
    assert result.errors[0].message.startswith(
        "The application “Lucidchart Enterprise Suite” is not known. Its name was queued for review on "
        "the name review page"
    )
    assert not result.written
    assert not Assignment.objects.exists() and not LicensePool.objects.exists()
    review = NameReview.objects.get(kind=NameKind.APPLICATION)
    assert (review.raw, review.sightings, review.source) == ("Lucidchart Enterprise Suite", 1, "okta-assignments")


def test_an_unknown_application_in_a_dry_run_says_its_name_will_wait():
    world()

    result = run("assignments", "okta-assignments", "okta_assignments_unknown_app.csv", mode=ImportMode.DRY_RUN)

    assert "Its name will wait for review" in result.errors[0].message
    assert (result.created, result.written) == (1, False)
    assert not NameReview.objects.exists() and not Assignment.objects.exists()


def test_valid_rows_mode_writes_the_seats_of_known_applications():
    world()

    result = run("assignments", "okta-assignments", "okta_assignments_unknown_app.csv", mode=ImportMode.VALID_ROWS)

    assert (result.created, result.bad_rows) == (1, 1)
    assert seats() == {("Salesforce", "Standard", "ann.lee@acme-sfdc.com", "ann@example.com", date(2024, 1, 15), None)}


def test_an_unknown_person_gets_the_seat_and_waits_for_review():
    world()

    run("assignments", "generic", "assignments_generic.csv")

    seat = Assignment.objects.get(account="dave@example.com")
    assert seat.person is None
    review = IdentityReview.objects.get(identity="dave@example.com")
    assert (review.status, review.sightings, review.applications) == (IdentityStatus.PENDING, 1, "Figma")


def test_a_blank_cell_never_erases_and_a_later_file_fills_the_person():
    w = world()
    pool = LicensePoolFactory(application=w.apps["Figma"], name="Professional")
    AssignmentFactory(
        pool=pool, person=None, account="CARA@example.com", assigned_on=date(2024, 3, 4), unassigned_on=None
    )

    result = assign(HEADER + "cara@example.com,Figma,,Professional,,\n")

    assert (result.created, result.updated) == (0, 1)
    assert seats() == {("Figma", "Professional", "CARA@example.com", "cara@example.com", date(2024, 3, 4), None)}


def test_an_end_date_ends_the_seat_and_one_before_the_start_is_refused():
    w = world()
    pool = LicensePoolFactory(application=w.apps["Figma"], name="Professional")
    AssignmentFactory(pool=pool, person=w.cara, account="cara@example.com", assigned_on=date(2024, 3, 4))

    refused = assign(HEADER + "cara@example.com,Figma,,Professional,,2024-01-31\n")
    assert [(e.row, e.value, e.message) for e in refused.errors] == [
        (2, "2024-01-31", "The seat would end (2024-01-31) before it started (2024-03-04).")
    ]
    inverted = assign(HEADER + "bob@example.com,Figma,,Professional,2024-05-01,2024-04-01\n")
    assert [e.message for e in inverted.errors] == ["The seat ends (2024-04-01) before it starts (2024-05-01)."]

    ended = assign(HEADER + "cara@example.com,Figma,,Professional,,2024-06-30\n")

    assert (ended.errors, ended.updated) == ([], 1)
    assert Assignment.objects.get().unassigned_on == date(2024, 6, 30)


def test_a_seat_missing_from_a_full_snapshot_is_not_ended():
    world()
    run("assignments", "okta-assignments", "okta_assignments.csv")

    assign(HEADER + "ann@example.com,Salesforce,ann.lee@acme-sfdc.com,,,\n")

    assert Assignment.objects.filter(unassigned_on__isnull=True).count() == 3


def test_a_deactivated_slack_member_without_a_seat_type_ends_their_open_seats():
    w = world()
    member = LicensePoolFactory(application=w.apps["Slack"], name="Member")
    LicensePoolFactory(application=w.apps["Slack"], name="Multi-Channel Guest")
    AssignmentFactory(pool=member, person=w.bob, account="bob@example.com", assigned_on=date(2023, 2, 1))
    text = (
        "\ufeffName,Email,Account type,Account created (UTC),Deactivated date (UTC),Last active (UTC)\n"
        'Bob Stone,bob@example.com,Deactivated,"Feb 1, 2023","Jan 10, 2025","Jan 9, 2025"\n'
        'Cara Diaz,cara@example.com,Deactivated,"Feb 1, 2023",,"Jan 9, 2025"\n'
    )

    result = assign(text, format="slack-members")

    assert (result.errors, result.updated, result.skipped) == ([], 1, 1)  # Cara: no date, nothing to end
    assert Assignment.objects.get().unassigned_on == date(2025, 1, 10)
