"""The people and applications the usage fixtures (tests/fixtures/usage/) talk about, and helpers to
run an import and read back what it stored."""

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from licenses.choices import IdentityStatus
from licenses.models import Activity, Assignment, PendingActivity, UsageSource
from saasmgr.core.choices import ImportMode
from saasmgr.core.imports.engine import import_file
from saasmgr.core.imports.registry import get_importer
from saasmgr.inventory.choices import AliasKind
from tests.factories import ApplicationFactory, PersonAliasFactory, PersonFactory
from tests.licenses.factories import IdentityReviewFactory

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "usage"

APP_NAMES = (
    "Salesforce",
    "Figma",
    "Google Workspace",
    "Microsoft Exchange",
    "Microsoft OneDrive",
    "Microsoft SharePoint",
    "Microsoft Teams",
    "Slack",
    "Zoom",
    "Jira",
    "Confluence",
    "GitHub Copilot",
)


@dataclass
class World:
    ann: object
    bob: object
    cara: object
    apps: dict


def world() -> World:
    """Ann, Bob and Cara work here (Ann is also "annlee-gh" on GitHub); svc-backup@example.com is a
    service account someone already settled; dave@example.com is nobody saasmgr knows."""
    ann = PersonFactory(name="Ann Lee", email="ann@example.com")
    bob = PersonFactory(name="Bob Stone", email="bob@example.com")
    cara = PersonFactory(name="Cara Diaz", email="cara@example.com")
    PersonAliasFactory(person=ann, kind=AliasKind.USERNAME, value="annlee-gh")
    PersonAliasFactory(person=bob, kind=AliasKind.USERNAME, value="bobstone")
    IdentityReviewFactory(identity="svc-backup@example.com", status=IdentityStatus.SERVICE, sightings=3)
    apps = {name: ApplicationFactory(name=name) for name in APP_NAMES}
    return World(ann=ann, bob=bob, cara=cara, apps=apps)


def run(kind: str, format: str, filename: str, mode: str = ImportMode.ALL_OR_NOTHING, user=None):
    path = FIXTURES / filename
    with path.open("rb") as fileobj:
        return import_file(importer=get_importer(kind, format)(), fileobj=fileobj, name=path.name, mode=mode, user=user)


def last_seen() -> dict[tuple[str, str], date]:
    """(person's email, application) -> the last day they used it."""
    found: dict[tuple[str, str], date] = {}
    for email, app, day in Activity.objects.values_list("person__email", "application__name", "day"):
        found[(email, app)] = max(day, found.get((email, app), day))
    return found


def activity_rows() -> set[tuple[str, str, date, int]]:
    return set(Activity.objects.values_list("person__email", "application__name", "day", "events"))


def pending_rows() -> set[tuple[str, str, date, int]]:
    return set(PendingActivity.objects.values_list("identity", "app_name", "day", "events"))


def seats() -> set[tuple]:
    """(application, pool, account, person's email, assigned on, unassigned on) of every assignment."""
    return set(
        Assignment.objects.values_list(
            "pool__application__name", "pool__name", "account", "person__email", "assigned_on", "unassigned_on"
        )
    )


def coverage(source: str) -> dict[str, tuple[date, date]]:
    return {
        name: (first, last)
        for name, first, last in UsageSource.objects.filter(source=source).values_list(
            "application__name", "first_day", "last_day"
        )
    }


def snapshot() -> dict:
    """Everything an import writes, to compare before and after importing a file again."""
    return {
        "activity": sorted(Activity.objects.values_list("person_id", "application_id", "day", "events")),
        "pending": sorted(PendingActivity.objects.values_list("identity", "app_name", "day", "events", "source")),
        "sources": sorted(UsageSource.objects.values_list("application_id", "source", "first_day", "last_day")),
        "assignments": sorted(
            Assignment.objects.values_list("pool_id", "account", "person_id", "assigned_on", "unassigned_on")
        ),
    }
