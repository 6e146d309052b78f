"""The usage and assignment exports saasmgr reads, one class per source format.

A format names its columns (matched by header name and alias, never by position, so exports
that reorder or add columns still import), finds the columns whose names carry data (a product,
a target index) by pattern, and turns a chunk of text cells into:

- usage: rows of (identity as written, application name as written, UTC day, events);
- assignments: rows of (row, application, identity, account, license name, assigned on, unassigned on).

Matching identities to people and names to applications, and writing, are the engines' job
(``licenses.ingest.usage`` and ``licenses.ingest.assignments``). What each export carries and
how it is read is listed in tests/fixtures/usage/README.md.
"""

import re
from dataclasses import dataclass, field, replace
from typing import ClassVar

import numpy as np
import pandas as pd

from licenses.ingest.chunks import Chunk
from licenses.ingest.parsing import (
    GENERIC,
    ISO,
    NO_DAY,
    DayFormat,
    DayParser,
    Problems,
    counts_check,
    days_check,
    flags_check,
    folded,
)
from saasmgr.core.imports.columns import Column, HeaderMatch
from saasmgr.core.imports.reading import ImportFileError
from saasmgr.core.imports.results import RowError

EVENT_COLUMNS = ["identity", "app", "day", "events"]
SEAT_COLUMNS = ["row", "app", "identity", "account", "license", "assigned_on", "unassigned_on"]


@dataclass
class UsagePart:
    """Usage found in one chunk: ``events`` has EVENT_COLUMNS (day as datetime64[D]). A column named in
    ``distinct`` holds codes into those distinct values instead of the text itself."""

    events: pd.DataFrame
    errors: list[RowError] = field(default_factory=list)
    skipped: int = 0
    distinct: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class SeatPart:
    """Assignments found in one chunk: ``seats`` has SEAT_COLUMNS (dates as datetime64[D], NaT when none;
    license None when the file names none)."""

    seats: pd.DataFrame
    errors: list[RowError] = field(default_factory=list)
    skipped: int = 0


def events_frame(identity, app, days, counts, keep) -> pd.DataFrame:
    """Usage rows of the ``keep`` rows that have a day; the arrays are aligned with the chunk."""
    keep = np.asarray(keep, dtype=bool) & ~np.isnat(days)
    app_values = app if np.ndim(app) == 0 else _kept(app, keep)
    return pd.DataFrame(
        {
            "identity": _kept(identity, keep),
            "app": app_values,
            "day": days[keep],
            "events": np.broadcast_to(np.asarray(counts, dtype=np.int64), keep.shape)[keep],
        },
        columns=EVENT_COLUMNS,
    )


def _kept(values, keep: np.ndarray) -> np.ndarray:
    values = np.asarray(values)
    return values[keep] if values.dtype.kind in "iu" else values.astype(object)[keep]  # codes stay integers


def seats_frame(chunk: Chunk, keep, *, app, identity, account, license=None, assigned_on=None, unassigned_on=None):
    """Seat rows of the ``keep`` rows; each value is an array aligned with the chunk, one value for
    every row (an application's own export), or None (no such data)."""
    keep = np.asarray(keep, dtype=bool)
    size = int(keep.sum())

    def take(values, default):
        if values is None:
            return np.full(size, default, dtype=object if default is None else "datetime64[D]")
        if np.ndim(values) == 0:
            return np.full(size, values, dtype=object)
        return np.asarray(values)[keep]

    return pd.DataFrame(
        {
            "row": chunk.rows[keep],
            "app": take(app, None),
            "identity": take(identity, None),
            "account": take(account, None),
            "license": take(license, None),
            "assigned_on": take(assigned_on, NO_DAY),
            "unassigned_on": take(unassigned_on, NO_DAY),
        },
        columns=SEAT_COLUMNS,
    )


def _text(name: str, *aliases: str, **options) -> Column:
    return Column(name, aliases, **options)


def _day(name: str, day_format: DayFormat, *aliases: str, example: str = "2024-04-17", **options) -> Column:
    return Column(name, aliases, parser=DayParser(day_format), example=example, **options)


def _values(series: pd.Series) -> np.ndarray:
    return series.to_numpy(dtype=object)


class SourceFormat:
    """One export format. Subclasses set the class attributes and implement ``usage`` and/or ``seats``."""

    key: ClassVar[str]
    label: ClassVar[str]
    description: ClassVar[str] = ""
    columns: ClassVar[tuple[Column, ...]]
    ignored_headers: ClassVar[tuple[str, ...]] = ()
    # The columns each kind of import needs (by column name).
    usage_required: ClassVar[frozenset[str]] = frozenset()
    seats_required: ClassVar[frozenset[str]] = frozenset()
    # The application, for the exports of one application's own admin console.
    app_name: ClassVar[str | None] = None
    # A license column that lists several names joined by this (Microsoft's "E3+TEAMS").
    license_separator: ClassVar[str | None] = None

    @classmethod
    def columns_for(cls, kind: str) -> tuple[Column, ...]:
        required = cls.usage_required if kind == "usage" else cls.seats_required
        return tuple(replace(column, required=column.name in required) for column in cls.columns)

    def plan(self, match: HeaderMatch, *, kind: str) -> dict[int, str]:
        """Header index -> key of every column to read; raises ImportFileError when the file lacks
        what this format needs beyond its required columns."""
        return {index: column.name for index, column in match.by_index.items()}

    def usage(self, chunk: Chunk) -> UsagePart:
        raise NotImplementedError

    def seats(self, chunk: Chunk) -> SeatPart:
        raise NotImplementedError


def _pattern_columns(match: HeaderMatch, pattern: re.Pattern) -> list[tuple[int, re.Match]]:
    """The headers that no column took and that match ``pattern``, with their index."""
    taken = set(match.by_index)
    found = []
    for index, header in enumerate(match.headers):
        if index not in taken and (hit := pattern.match(header.strip())):
            found.append((index, hit))
    return found


# Generic


class GenericUsage(SourceFormat):
    key = "generic"
    label = "Generic CSV or XLSX"
    description = (
        "One row per person, application and time they used it: email (or username), app, timestamp "
        "(a date or a date and time) and, optionally, events (how many uses that row stands for; 1 when blank)."
    )
    columns = (
        _text(
            "email",
            "Email",
            "Email Address",
            "User",
            "Username",
            "User Name",
            "Login",
            "Account",
            "Identity",
            "User Principal Name",
            "UPN",
            example="ada@example.com",
        ),
        _text("app", "Application", "Application Name", "App Name", "Service", example="Slack"),
        _day("timestamp", GENERIC, "Date", "Day", "Time", "Event Time", "Last Seen", "Last Activity", "Used On"),
        Column(
            "events", ("Events", "Event Count", "Count", "Uses", "Logins", "Sign-ins"), example="3", help="At least 1"
        ),
    )
    usage_required = frozenset({"email", "app", "timestamp"})

    def usage(self, chunk: Chunk) -> UsagePart:
        problems = Problems(chunk)
        problems.required("email", "an email address or username")
        problems.required("app", "the application's name")
        problems.required("timestamp", GENERIC.accepted)
        days = days_check(problems, "timestamp", GENERIC)
        counts = counts_check(problems, "events")
        keep = ~problems.bad
        # Accounts and names repeat: the engine gets them as codes into their distinct values.
        email, app = chunk.coded("email"), chunk.coded("app")
        events = events_frame(email.codes, app.codes, days, counts, keep)
        return UsagePart(events, problems.errors, distinct={"identity": email.values, "app": app.values})


class GenericAssignments(SourceFormat):
    key = "generic"
    label = "Generic CSV or XLSX"
    description = (
        "One row per seat: email (the person), app, and optionally account (as the application knows it; "
        "the email when blank), license (the license type), assigned_on and unassigned_on (YYYY-MM-DD)."
    )
    columns = (
        _text("email", "Email", "Email Address", "User", "Username", "Login", "User Principal Name", "UPN"),
        _text("app", "Application", "Application Name", "App Name", "Service", example="Slack"),
        _text("account", "Account", "Account Name", "App Login", "Application Login", "Application Username"),
        _text("license", "License", "License Type", "License Name", "SKU", "Plan", "Seat Type", example="Business+"),
        _day("assigned_on", ISO, "Assigned On", "Assigned", "Start Date", "Granted On", "Since"),
        _day("unassigned_on", ISO, "Unassigned On", "Unassigned", "End Date", "Removed On", "Revoked On"),
    )
    seats_required = frozenset({"email", "app"})

    def seats(self, chunk: Chunk) -> SeatPart:
        problems = Problems(chunk)
        problems.required("email", "an email address or username")
        problems.required("app", "the application's name")
        assigned = days_check(problems, "assigned_on", ISO)
        unassigned = days_check(problems, "unassigned_on", ISO)
        email = _values(chunk.text("email"))
        account = np.where(chunk.present("account"), _values(chunk.text("account")), email)
        license = np.where(chunk.present("license"), _values(chunk.text("license")), None)
        keep = ~problems.bad
        seats = seats_frame(
            chunk,
            keep,
            app=_values(chunk.text("app")),
            identity=email,
            account=account,
            license=license,
            assigned_on=assigned,
            unassigned_on=unassigned,
        )
        return SeatPart(seats, problems.errors)


# Okta


class OktaSyslog(SourceFormat):
    """The System Log's CSV download. Each row is one event; only successful single sign-ons of a
    user into an application (eventType user.authentication.sso) are usage; other rows are skipped.
    Targets are flattened as target.0.type, target.0.displayName, target.1.type, ...; the
    application is the display name of the target whose type is AppInstance."""

    key = "okta-syslog"
    label = "Okta System Log (CSV)"
    description = (
        "The Okta System Log downloaded as CSV. Successful user.authentication.sso events count as usage of "
        "the target application; other events and failed sign-ons are skipped."
    )
    columns = (
        _day("published", ISO, "published", example="2024-12-31T22:08:59.019Z"),
        _text("event_type", "eventType", example="user.authentication.sso"),
        _text("actor", "actor.alternateId", example="ada@example.com"),
        _text("actor_type", "actor.type", example="User"),
        _text("outcome", "outcome.result", example="SUCCESS"),
    )
    ignored_headers = (
        "uuid",
        "version",
        "severity",
        "legacyEventType",
        "displayMessage",
        "actor.id",
        "actor.displayName",
        "outcome.reason",
        "transaction.id",
        "transaction.type",
    )
    usage_required = frozenset({"published", "event_type", "actor"})
    # target.0.type, target[0].displayName, target0.type ...; also a lone target.type.
    target_pattern = re.compile(r"^target\W*(\d*)\W*(type|displayname)$", re.IGNORECASE)
    sso_event = "user.authentication.sso"
    app_target_type = "appinstance"

    def plan(self, match: HeaderMatch, *, kind: str) -> dict[int, str]:
        plan = super().plan(match, kind=kind)
        targets: dict[str, dict[str, int]] = {}
        for index, hit in _pattern_columns(match, self.target_pattern):
            targets.setdefault(hit.group(1) or "0", {}).setdefault(hit.group(2).lower(), index)
        self.targets = []
        for number in sorted(targets, key=int):
            found = targets[number]
            if "type" in found and "displayname" in found:
                plan[found["type"]] = f"target{number}.type"
                plan[found["displayname"]] = f"target{number}.displayName"
                self.targets.append(number)
        if not self.targets:
            raise ImportFileError(
                "The file has no target columns, so the application of a sign-on cannot be told. Download the "
                "System Log as CSV from the Okta Admin Console (Reports > System Log > Download CSV): it has "
                "headers such as “target.0.type” and “target.0.displayName”."
            )
        return plan

    def usage(self, chunk: Chunk) -> UsagePart:
        problems = Problems(chunk)
        sso = (folded(chunk.text("event_type")) == self.sso_event).to_numpy()
        outcome = folded(chunk.text("outcome"))
        succeeded = ~outcome.isin(["failure", "deny", "denied"]).to_numpy()
        actor_type = folded(chunk.text("actor_type"))
        by_user = ((actor_type == "") | (actor_type == "user")).to_numpy()
        counted = sso & succeeded & by_user

        app = np.full(len(chunk), "", dtype=object)
        for number in self.targets:
            is_app = (folded(chunk.text(f"target{number}.type")) == self.app_target_type).to_numpy()
            take = is_app & (app == "")
            app[take] = _values(chunk.text(f"target{number}.displayName"))[take]
        problems.add_rows(
            counted & (app == ""),
            "This sign-on has no target of type AppInstance, so its application is not known.",
        )
        problems.required("actor", "the user's login (actor.alternateId)", where=counted)
        problems.required("published", ISO.accepted, where=counted)
        days = days_check(problems, "published", ISO, where=counted)
        keep = counted & ~problems.bad
        events = events_frame(_values(chunk.text("actor")), app, days, 1, keep)
        return UsagePart(events, problems.errors, skipped=int((~counted).sum()))


OKTA_TIMESTAMP = ISO.with_blanks("Never")


class OktaAssignments(SourceFormat):
    """The Current Assignments report (Reports > Application Access Audit): one row per user and
    application, with ISO 8601 timestamps."""

    key = "okta-assignments"
    label = "Okta Current Assignments report"
    description = (
        "Okta's Current Assignments report: who is assigned to which application, since when, and their last "
        "login. As usage, each row's last login counts; as assignments, each row is a seat."
    )
    columns = (
        _text("user", "User", example="Ada Lovelace"),
        _text("login", "Login", example="ada@example.com"),
        _text("app", "Application name", "Application", example="Salesforce"),
        _text("instance", "Application instance", example="Salesforce - Sales"),
        _text("app_login", "Application login", example="ada@example.com"),
        _day("assigned_on", OKTA_TIMESTAMP, "Assigned on", example="2024-01-15T10:22:11.000Z"),
        _day("unassigned_on", OKTA_TIMESTAMP, "Unassigned on", example=""),
        _day("last_login", OKTA_TIMESTAMP, "Last login", example="2024-06-28T08:01:44.000Z"),
    )
    usage_required = frozenset({"login", "app", "last_login"})
    seats_required = frozenset({"login", "app"})

    def usage(self, chunk: Chunk) -> UsagePart:
        problems = Problems(chunk)
        problems.required("login", "the user's Okta login")
        problems.required("app", "the application's name")
        days = days_check(problems, "last_login", OKTA_TIMESTAMP)
        keep = ~problems.bad
        events = events_frame(_values(chunk.text("login")), _values(chunk.text("app")), days, 1, keep)
        return UsagePart(events, problems.errors)

    def seats(self, chunk: Chunk) -> SeatPart:
        problems = Problems(chunk)
        problems.required("login", "the user's Okta login")
        problems.required("app", "the application's name")
        assigned = days_check(problems, "assigned_on", OKTA_TIMESTAMP)
        unassigned = days_check(problems, "unassigned_on", OKTA_TIMESTAMP)
        login = _values(chunk.text("login"))
        account = np.where(chunk.present("app_login"), _values(chunk.text("app_login")), login)
        seats = seats_frame(
            chunk,
            ~problems.bad,
            app=_values(chunk.text("app")),
            identity=login,
            account=account,
            assigned_on=assigned,
            unassigned_on=unassigned,
        )
        return SeatPart(seats, problems.errors)


# Google Workspace

GOOGLE_SIGN_IN = DayFormat(("%Y/%m/%d %H:%M:%S", "ISO8601"), "a date and time like 2024/03/12 14:05:33").with_blanks(
    "Never logged in"
)


class GoogleWorkspaceUsers(SourceFormat):
    """The Admin console's "Download users" CSV. Headers carry notes in brackets ("[Required]",
    "[READ ONLY]"), which the header matcher ignores. A suspended user still holds a seat (Google
    bills suspended users), and the file names no license type, so seats go to the application's
    only pool."""

    key = "google-workspace"
    label = "Google Workspace users download"
    app_name = "Google Workspace"
    description = (
        "The Google Admin console's user list (Directory > Users > Download users). Each user's last sign-in is "
        "usage of Google Workspace; each user holds a Google Workspace seat."
    )
    columns = (
        _text("email", "Email Address [Required]", "Email Address", "Email", example="ada@example.com"),
        _text("status", "Status [READ ONLY]", "Status", example="Active"),
        _day("last_sign_in", GOOGLE_SIGN_IN, "Last Sign In [READ ONLY]", "Last Sign In", example="2024/03/12 14:05:33"),
    )
    ignored_headers = (
        "First Name [Required]",
        "Last Name [Required]",
        "Password [Required]",
        "Password Hash Function [UPLOAD ONLY]",
        "Org Unit Path [Required]",
        "New Primary Email [UPLOAD ONLY]",
        "Email Usage [READ ONLY]",
        "Drive Usage [READ ONLY]",
        "Total Storage [READ ONLY]",
        "2sv Enrolled [READ ONLY]",
        "2sv Enforced [READ ONLY]",
    )
    usage_required = frozenset({"email", "last_sign_in"})
    seats_required = frozenset({"email"})

    def usage(self, chunk: Chunk) -> UsagePart:
        problems = Problems(chunk)
        problems.required("email", "the user's email address")
        days = days_check(problems, "last_sign_in", GOOGLE_SIGN_IN)
        events = events_frame(_values(chunk.text("email")), self.app_name, days, 1, ~problems.bad)
        return UsagePart(events, problems.errors)

    def seats(self, chunk: Chunk) -> SeatPart:
        problems = Problems(chunk)
        problems.required("email", "the user's email address")
        email = _values(chunk.text("email"))
        seats = seats_frame(chunk, ~problems.bad, app=self.app_name, identity=email, account=email)
        return SeatPart(seats, problems.errors)


# Microsoft 365

M365_DATE = DayFormat(("ISO8601",), "a date like 2024-06-28")
# A report with "concealed names" on lists each user as a 32-digit hexadecimal hash.
CONCEALED_NAME = re.compile(r"^[0-9A-F]{32}$", re.IGNORECASE)


class M365ActiveUsers(SourceFormat):
    """The Microsoft 365 admin center's Active users detail report (Reports > Usage > Active users >
    Export). Each product has its own "Has <Product> License", "<Product> Last Activity Date" and
    "<Product> License Assign Date" columns; products are found from the headers, so products
    Microsoft adds later import too. Each product is the application "Microsoft <Product>"."""

    key = "m365-active-users"
    label = "Microsoft 365 active users report"
    description = (
        "Microsoft 365's Active users detail report. Each product (Exchange, OneDrive, SharePoint, Teams, ...) "
        "is the application “Microsoft <product>”: its last activity date is usage, and “Has <product> License” "
        "= True is a seat, in the license pool whose name is one of the Assigned Products."
    )
    columns = (
        _text("upn", "User Principal Name", "UPN", example="ada@example.com"),
        _text("display_name", "Display Name", example="Ada Lovelace"),
        _day("refresh", M365_DATE, "Report Refresh Date", example="2024-06-30"),
        _text("deleted", "Is Deleted", example="False"),
        _day("deleted_on", M365_DATE, "Deleted Date", example=""),
        _text("products", "Assigned Products", example="OFFICE 365 E3+MICROSOFT TEAMS"),
    )
    ignored_headers = ("Report Period",)
    usage_required = frozenset({"upn"})
    seats_required = frozenset({"upn"})
    license_separator = "+"
    product_patterns = (
        ("has", re.compile(r"^Has (.+?) License$", re.IGNORECASE)),
        ("last", re.compile(r"^(.+?) Last Activity Date$", re.IGNORECASE)),
        ("since", re.compile(r"^(.+?) License Assign Date$", re.IGNORECASE)),
    )

    def plan(self, match: HeaderMatch, *, kind: str) -> dict[int, str]:
        plan = super().plan(match, kind=kind)
        self.products: dict[str, str] = {}  # normalised product -> product as the header spells it
        for role, pattern in self.product_patterns:
            for index, hit in _pattern_columns(match, pattern):
                product = hit.group(1).strip()
                key = " ".join(product.lower().split())
                self.products.setdefault(key, product)
                plan[index] = f"{role}:{key}"
        needed = "last" if kind == "usage" else "has"
        if not any(key.startswith(f"{needed}:") for key in plan.values()):
            example = "“Teams Last Activity Date”" if kind == "usage" else "“Has Teams License”"
            raise ImportFileError(
                f"The file has no product columns such as {example}. Export the Active users report from the "
                "Microsoft 365 admin center (Reports > Usage > Active users > Export)."
            )
        return plan

    @staticmethod
    def app_of(product: str) -> str:
        return product if product.lower().startswith("microsoft") else f"Microsoft {product}"

    def _identity(self, problems: Problems) -> np.ndarray:
        upn = problems.chunk.text("upn")
        problems.required("upn", "the user's principal name")
        problems.add(
            "upn",
            upn.str.match(CONCEALED_NAME).to_numpy(dtype=bool),
            "The report conceals user names (it lists hashes). In the Microsoft 365 admin center, turn off "
            "Settings > Org settings > Reports > “Display concealed user, group, and site names in all "
            "reports”, then export the report again.",
        )
        return _values(upn)

    def usage(self, chunk: Chunk) -> UsagePart:
        problems = Problems(chunk)
        upn = self._identity(problems)
        parts = []
        for key, product in self.products.items():
            if chunk.has(f"last:{key}"):
                days = days_check(problems, f"last:{key}", M365_DATE)
                parts.append((self.app_of(product), days))
        keep = ~problems.bad
        frames = [events_frame(upn, app, days, 1, keep) for app, days in parts]
        return UsagePart(pd.concat(frames, ignore_index=True), problems.errors)

    def seats(self, chunk: Chunk) -> SeatPart:
        problems = Problems(chunk)
        upn = self._identity(problems)
        deleted = flags_check(problems, "deleted")
        deleted_on = days_check(problems, "deleted_on", M365_DATE)
        ended = np.where(deleted, deleted_on, NO_DAY)
        products = np.where(chunk.present("products"), _values(chunk.text("products")), None)
        parts = []
        for key, product in self.products.items():
            if chunk.has(f"has:{key}"):
                holds = flags_check(problems, f"has:{key}")
                since = days_check(problems, f"since:{key}", M365_DATE)
                parts.append((self.app_of(product), holds, since))
        frames = [
            seats_frame(
                chunk,
                holds & ~problems.bad,
                app=app,
                identity=upn,
                account=upn,
                license=products,
                assigned_on=since,
                unassigned_on=ended,
            )
            for app, holds, since in parts
        ]
        return SeatPart(pd.concat(frames, ignore_index=True), problems.errors)


# Entra ID


class EntraSignIns(SourceFormat):
    """The Entra ID sign-in log downloaded as CSV from the admin center. Every value is quoted, some
    headers end in a space ("Application ID "), one has a double space ("Autonomous system  number")
    and "Incoming token type" appears twice; the header matcher ignores spacing and takes the first
    of a repeated header."""

    key = "entra-signins"
    label = "Microsoft Entra ID sign-in log (CSV)"
    description = (
        "The Entra ID (Azure AD) sign-in log downloaded as CSV. Each successful sign-in counts as usage of its "
        "application; failed and interrupted sign-ins are skipped."
    )
    columns = (
        _day("date", ISO, "Date (UTC)", "Date", example="2025-01-14T08:19:41Z"),
        _text("username", "Username", "User principal name", example="ada@example.com"),
        _text("app", "Application", example="Salesforce"),
        _text("status", "Status", example="Success"),
    )
    ignored_headers = (
        "Request ID",
        "User agent",
        "Correlation ID",
        "User ID",
        "User",
        "User type",
        "Cross tenant access type",
        "Incoming token type",
        "Authentication Protocol",
        "Unique token identifier",
        "Application ID",
        "Resource",
        "Resource ID",
        "IP address",
        "Location",
        "Sign-in error code",
        "Failure reason",
        "Client app",
        "Autonomous system number",
    )
    usage_required = frozenset({"date", "username", "app"})
    not_activity = ("failure", "interrupted")

    def usage(self, chunk: Chunk) -> UsagePart:
        problems = Problems(chunk)
        counted = ~folded(chunk.text("status")).isin(self.not_activity).to_numpy()
        problems.required("username", "the user's sign-in name", where=counted)
        problems.required("app", "the application's name", where=counted)
        problems.required("date", ISO.accepted, where=counted)
        days = days_check(problems, "date", ISO, where=counted)
        keep = counted & ~problems.bad
        events = events_frame(_values(chunk.text("username")), _values(chunk.text("app")), days, 1, keep)
        return UsagePart(events, problems.errors, skipped=int((~counted).sum()))


# Slack

SLACK_DATE = DayFormat(("%b %d, %Y", "ISO8601"), "a date like Mar 17, 2025")
# Slack bills members (whatever their role) and multi-channel guests; single-channel guests are free.
SLACK_SEATS = {
    "primary owner": "Member",
    "owner": "Member",
    "workspace primary owner": "Member",
    "workspace owner": "Member",
    "workspace admin": "Member",
    "org primary owner": "Member",
    "org owner": "Member",
    "org admin": "Member",
    "admin": "Member",
    "member": "Member",
    "full member": "Member",
    "multi-channel guest": "Multi-Channel Guest",
    "single-channel guest": None,
}


class SlackMembers(SourceFormat):
    """Slack's member analytics export (Analytics > Members > Export CSV): UTF-8 with a byte-order
    mark, dates like "Mar 17, 2025". The person is the Email column when the export has it (owners
    and admins see it), else the Slack username."""

    key = "slack-members"
    label = "Slack member analytics (CSV)"
    app_name = "Slack"
    description = (
        "Slack's member analytics export. Each member's last active day is usage of Slack. As assignments: "
        "members, admins and owners hold a “Member” seat, multi-channel guests a “Multi-Channel Guest” seat; "
        "single-channel guests are free and hold none; a deactivated member's seat ended on the deactivation date."
    )
    columns = (
        _text("name", "Name", example="Ada Lovelace"),
        _text("email", "Email", "Email address", example="ada@example.com"),
        _text("username", "Username", example="ada"),
        _text("account_type", "Account type", example="Member"),
        _day("created", SLACK_DATE, "Account created (UTC)", example="Jan 9, 2023"),
        _day("claimed", SLACK_DATE, "Claimed Date (UTC)", example="Jan 9, 2023"),
        _day("deactivated", SLACK_DATE, "Deactivated date (UTC)", example=""),
        _day("last_active", SLACK_DATE, "Last active (UTC)", example="Mar 17, 2025"),
    )
    ignored_headers = (
        "What I Do",
        "User ID",
        "Display name",
        "Days active",
        "Days active (Desktop)",
        "Days active (Android)",
        "Days active (iOS)",
        "Messages posted",
        "Messages posted in channels",
        "Reactions added",
        "Last active (Desktop) (UTC)",
        "Last active (Android) (UTC)",
        "Last active (iOS) (UTC)",
    )
    usage_required = frozenset({"last_active"})

    def plan(self, match: HeaderMatch, *, kind: str) -> dict[int, str]:
        plan = super().plan(match, kind=kind)
        if not {"email", "username"} & set(plan.values()):
            raise ImportFileError(
                "The file has neither an “Email” nor a “Username” column, so its members cannot be told apart. "
                "Export the member analytics again as a workspace owner or admin, so that emails are included."
            )
        return plan

    def _identity(self, problems: Problems) -> np.ndarray:
        chunk = problems.chunk
        identity = np.where(chunk.present("email"), _values(chunk.text("email")), _values(chunk.text("username")))
        key = "email" if chunk.has("email") else "username"
        problems.add(key, identity == "", "A value is required: the member's email (or Slack username).")
        return identity

    def usage(self, chunk: Chunk) -> UsagePart:
        problems = Problems(chunk)
        identity = self._identity(problems)
        days = days_check(problems, "last_active", SLACK_DATE)
        return UsagePart(events_frame(identity, self.app_name, days, 1, ~problems.bad), problems.errors)

    def seats(self, chunk: Chunk) -> SeatPart:
        problems = Problems(chunk)
        identity = self._identity(problems)
        created = days_check(problems, "created", SLACK_DATE)
        claimed = days_check(problems, "claimed", SLACK_DATE)
        deactivated = days_check(problems, "deactivated", SLACK_DATE)
        types = folded(chunk.text("account_type")).to_numpy(dtype=object)
        written = _values(chunk.text("account_type"))
        # An account type Slack adds later is its own license type; "Deactivated" names none (its seat is found
        # among the member's assignments).
        license = np.array(
            [
                None if kind == "deactivated" else SLACK_SEATS.get(kind, text or "Member")
                for kind, text in zip(types, written, strict=True)
            ],
            dtype=object,
        )
        free = types == "single-channel guest"
        # A deactivated member whose date the export leaves out held a seat that ended on an unknown day.
        undated = (types == "deactivated") & np.isnat(deactivated)
        keep = ~problems.bad & ~free & ~undated
        seats = seats_frame(
            chunk,
            keep,
            app=self.app_name,
            identity=identity,
            account=identity,
            license=license,
            assigned_on=np.where(np.isnat(created), claimed, created),
            unassigned_on=deactivated,
        )
        return SeatPart(seats, problems.errors, skipped=int((~problems.bad & (free | undated)).sum()))


# Zoom

ZOOM_TIME = DayFormat(("%Y-%m-%d %H:%M:%S", "ISO8601"), "a date and time like 2024-06-28 14:05:33")


class ZoomUsers(SourceFormat):
    """The Zoom web portal's user list export (User Management > Users > Export)."""

    key = "zoom-users"
    label = "Zoom users export"
    app_name = "Zoom"
    description = (
        "Zoom's user list export. Each user's last login is usage of Zoom. As assignments, the User Type is the "
        "license type; Basic users are free and hold no paid seat."
    )
    columns = (
        _text("email", "Email", example="ada@example.com"),
        _text("user_type", "User Type", "License Type", "LicenseType", example="Licensed"),
        _day("last_login", ZOOM_TIME, "Last Login(UTC)", "Last Login", example="2024-06-28 14:05:33"),
        _day("created", ZOOM_TIME, "Creation Date", "Join Date", example="2023-02-01"),
    )
    ignored_headers = (
        "First Name",
        "Last Name",
        "Department",
        "User Group",
        "IM Group",
        "Last Client Version",
        "Role",
        "Login Type",
        "User Status",
        "PMI",
        "Job Title",
        "Location",
        "Employee ID",
        "Manager",
    )
    usage_required = frozenset({"email", "last_login"})
    seats_required = frozenset({"email", "user_type"})
    free_types = ("basic",)

    def usage(self, chunk: Chunk) -> UsagePart:
        problems = Problems(chunk)
        problems.required("email", "the user's email address")
        days = days_check(problems, "last_login", ZOOM_TIME)
        return UsagePart(
            events_frame(_values(chunk.text("email")), self.app_name, days, 1, ~problems.bad), problems.errors
        )

    def seats(self, chunk: Chunk) -> SeatPart:
        problems = Problems(chunk)
        problems.required("email", "the user's email address")
        problems.required("user_type", "the user's type, such as Licensed or Basic")
        created = days_check(problems, "created", ZOOM_TIME)
        free = folded(chunk.text("user_type")).isin(self.free_types).to_numpy()
        email = _values(chunk.text("email"))
        keep = ~problems.bad & ~free
        seats = seats_frame(
            chunk,
            keep,
            app=self.app_name,
            identity=email,
            account=email,
            license=_values(chunk.text("user_type")),
            assigned_on=created,
        )
        return SeatPart(seats, problems.errors, skipped=int((~problems.bad & free).sum()))


# Atlassian

ATLASSIAN_DATE = DayFormat(("%d %b %Y", "%d %B %Y", "ISO8601"), "a date like 3 Jan 2024").with_blanks(
    "Never accessed", "Never logged in"
)


class AtlassianUsers(SourceFormat):
    """The Atlassian Administration user export (Directory > Users > Export users). Each product on
    each site has a "Last seen in <Product> - <site>" column: a date, "Never accessed" (access, no
    use yet), or blank (no access to that product). The application is the product ("Jira",
    "Confluence", "Jira Service Management"); the site is not part of its name, so two sites of one
    product are one application."""

    key = "atlassian-users"
    label = "Atlassian user export"
    description = (
        "Atlassian Administration's user export. Each “Last seen in <product> - <site>” date is usage of the "
        "product; a non-blank cell (a date or “Never accessed”) means the user has access to it: a seat."
    )
    columns = (
        _text("user_id", "User id", "User ID"),
        _text("user_name", "User name", example="Ada Lovelace"),
        _text("email", "email", "Email", example="ada@example.com"),
        _text("status", "User status", example="Active"),
        _day("added", ATLASSIAN_DATE, "Added to org", example="3 Jan 2024"),
    )
    ignored_headers = ("Org role", "Group name", "Days since Account Created")
    usage_required = frozenset({"email"})
    seats_required = frozenset({"email"})
    seen_pattern = re.compile(r"^Last seen in (.+?)(?: - (.+))?$", re.IGNORECASE)

    def plan(self, match: HeaderMatch, *, kind: str) -> dict[int, str]:
        plan = super().plan(match, kind=kind)
        self.seen: list[tuple[str, str]] = []  # (key, product)
        for index, hit in _pattern_columns(match, self.seen_pattern):
            key = f"seen:{index}"
            plan[index] = key
            self.seen.append((key, hit.group(1).strip()))
        if not self.seen:
            raise ImportFileError(
                "The file has no “Last seen in <product> - <site>” columns. Export the users from Atlassian "
                "Administration (Directory > Users > Export users) with product access included."
            )
        return plan

    def usage(self, chunk: Chunk) -> UsagePart:
        problems = Problems(chunk)
        problems.required("email", "the user's email address")
        parsed = [(product, days_check(problems, key, ATLASSIAN_DATE)) for key, product in self.seen]
        email, keep = _values(chunk.text("email")), ~problems.bad
        frames = [events_frame(email, product, days, 1, keep) for product, days in parsed]
        return UsagePart(pd.concat(frames, ignore_index=True), problems.errors)

    def seats(self, chunk: Chunk) -> SeatPart:
        problems = Problems(chunk)
        problems.required("email", "the user's email address")
        added = days_check(problems, "added", ATLASSIAN_DATE)
        for key, _ in self.seen:
            days_check(problems, key, ATLASSIAN_DATE)
        email = _values(chunk.text("email"))
        frames = [
            seats_frame(
                chunk,
                chunk.present(key) & ~problems.bad,
                app=product,
                identity=email,
                account=email,
                assigned_on=added,
            )
            for key, product in self.seen
        ]
        return SeatPart(pd.concat(frames, ignore_index=True), problems.errors)


# GitHub Copilot

COPILOT_TIME = ISO.with_blanks("None")


class GitHubCopilot(SourceFormat):
    """The Copilot seat activity report (organization Settings > Copilot > Access > Get report):
    one row per seat, "None" when the seat was never used. Logins are GitHub usernames, matched
    to people through their username aliases."""

    key = "github-copilot"
    label = "GitHub Copilot seat activity (CSV)"
    app_name = "GitHub Copilot"
    description = (
        "GitHub Copilot's seat activity report. Last Activity At is usage of GitHub Copilot (Last Authenticated "
        "At is not: signing in is not using it); each row is a seat held by the GitHub login."
    )
    columns = (
        _day("report_time", COPILOT_TIME, "Report Time", example="2025-01-15T00:00:00Z"),
        _text("login", "Login", example="ada-lovelace"),
        _day("last_authenticated", COPILOT_TIME, "Last Authenticated At", example="2025-01-14T16:02:11Z"),
        _day("last_activity", COPILOT_TIME, "Last Activity At", example="2025-01-14T16:05:40Z"),
        _text("surface", "Last Surface Used", example="vscode/1.96.2/copilot/1.254.0"),
    )
    ignored_headers = ("Organization",)
    usage_required = frozenset({"login", "last_activity"})
    seats_required = frozenset({"login"})

    def usage(self, chunk: Chunk) -> UsagePart:
        problems = Problems(chunk)
        problems.required("login", "the GitHub login")
        days = days_check(problems, "last_activity", COPILOT_TIME)
        days_check(problems, "report_time", COPILOT_TIME)
        return UsagePart(
            events_frame(_values(chunk.text("login")), self.app_name, days, 1, ~problems.bad), problems.errors
        )

    def seats(self, chunk: Chunk) -> SeatPart:
        problems = Problems(chunk)
        problems.required("login", "the GitHub login")
        login = _values(chunk.text("login"))
        return SeatPart(
            seats_frame(chunk, ~problems.bad, app=self.app_name, identity=login, account=login), problems.errors
        )


USAGE_FORMATS: dict[str, type[SourceFormat]] = {
    cls.key: cls
    for cls in (
        GenericUsage,
        OktaSyslog,
        OktaAssignments,
        GoogleWorkspaceUsers,
        M365ActiveUsers,
        EntraSignIns,
        SlackMembers,
        ZoomUsers,
        AtlassianUsers,
        GitHubCopilot,
    )
}
ASSIGNMENT_FORMATS: dict[str, type[SourceFormat]] = {
    cls.key: cls
    for cls in (
        GenericAssignments,
        OktaAssignments,
        GoogleWorkspaceUsers,
        M365ActiveUsers,
        SlackMembers,
        ZoomUsers,
        AtlassianUsers,
        GitHubCopilot,
    )
}
