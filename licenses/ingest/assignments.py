"""The assignment ingest: who holds a seat of which license pool, from the same exports as usage.

Each seat row names an application, an identity (the person), an account (as the application
knows it) and maybe a license type and dates. It is placed:

- the application by ``ApplicationMatcher``; an unknown name is a row error, and the name waits
  in the name review queue, so that confirming it once makes the next import match;
- the person by ``IdentityResolver``; an unknown account still gets its seat (person empty) and
  waits in the identity review queue; linking it later fills the seat's person;
- the pool among the application's license pools: by license name (``LicenseNameMatcher``); with
  no name, the application's only pool. An application with no pool yet gets one per license
  type the file names ("Standard" when it names none), with the purchased quantity unknown.

Seats are upserted on (pool, account ignoring case). A blank cell never erases a stored value,
and a seat missing from the file is not ended: only an end date in the file (Okta's
"Unassigned on", Slack's deactivation date, Microsoft's deleted date) ends one. A row that ends a
seat without naming its license type ends the account's open seats in that application.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models.functions import Lower
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from licenses.choices import AssignmentSource
from licenses.ingest.chunks import table_chunks
from licenses.ingest.formats import SourceFormat
from licenses.ingest.results import IngestResult
from licenses.ingest.usage import identity_reviews_record_in_batches
from licenses.matching import (
    ApplicationMatcher,
    IdentityResolver,
    LicenseNameMatcher,
    Sighting,
)
from licenses.models import Assignment, LicensePool
from saasmgr.core.choices import ImportMode
from saasmgr.core.imports.columns import HeaderMatch
from saasmgr.core.imports.engine import CHECKING, READING, WRITING
from saasmgr.core.imports.reading import ImportFileError, Table
from saasmgr.core.imports.results import RowError
from saasmgr.inventory.names import normalise_name

DEFAULT_POOL_NAME = "Standard"
BATCH = 1000
POOL_NAME_MAX = 200
ACCOUNT_MAX = 254

ProgressCallback = Callable[[str, int, int | None], None]


def _no_progress(stage: str, processed: int, total: int | None) -> None:
    return None


def name_review_link() -> str:
    try:
        return f"the name review page ({reverse('licenses:name_review_list')})"
    except NoReverseMatch:
        return "the name review page"


@dataclass
class Seat:
    row: int
    pool_id: int
    account: str
    person_id: int | None
    assigned_on: date | None
    unassigned_on: date | None


@dataclass
class Ending:
    """A row that ends the account's open seats in an application without naming the pool."""

    row: int
    application_id: int
    account: str
    unassigned_on: date


@dataclass
class Placement:
    seats: dict[tuple[int, str], Seat] = field(default_factory=dict)
    endings: list[Ending] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    unknown_apps: dict[str, int] = field(default_factory=dict)  # name -> rows
    unknown_licenses: dict[int, dict[str, int]] = field(default_factory=dict)  # application -> name -> rows
    # What writing it does: the seats to create, and the fields to change by assignment id.
    new: list[Seat] = field(default_factory=list)
    changed: dict[int, dict] = field(default_factory=dict)


def assignments_import(
    *,
    source_format: SourceFormat,
    table: Table,
    match: HeaderMatch,
    mode: str,
    user=None,
    name: str = "",
    on_progress: ProgressCallback | None = None,
    total_rows: int | None = None,
) -> IngestResult:
    """Import the seats in ``table`` (its header already matched). Raises ImportFileError when the file
    as a whole cannot be imported; row errors are in the result."""
    on_progress = on_progress or _no_progress
    plan = source_format.plan(match, kind="assignments")
    labels = {key: table.header[index] for index, key in plan.items()}
    result = IngestResult(mode=mode, file=table.describe())
    frames = []
    on_progress(READING, 0, total_rows)
    for chunk in table_chunks(table, plan, chunk_rows=settings.USAGE_INGEST_CHUNK_ROWS):
        part = source_format.seats(chunk)
        result.add_rows(len(chunk), skipped=part.skipped)
        result.add_errors(part.errors)
        frames.append(part.seats)
        on_progress(READING, result.rows, total_rows)
    if not result.rows:
        raise ImportFileError("The file has a header row but no data rows.")
    seats = pd.concat(frames, ignore_index=True)
    writer = SeatWriter(
        source=source_format.key,
        separator=source_format.license_separator,
        app_label=labels.get("app", ""),
        license_label=labels.get("license") or labels.get("products") or labels.get("account_type") or "",
        mode=mode,
        user=user,
        change_reason=f"Import of {name}"[:100] if name else "Assignment import",
    )
    placement = None
    try:
        with transaction.atomic():
            on_progress(CHECKING, 0, len(seats))
            placement = writer.place(seats)
            result.add_errors(placement.errors)
            on_progress(CHECKING, len(seats), len(seats))
            if mode == ImportMode.ALL_OR_NOTHING and result.error_total:
                transaction.set_rollback(True)
            else:
                on_progress(WRITING, 0, 1)
                writer.write(placement, result)
                on_progress(WRITING, 1, 1)
                result.written = mode != ImportMode.DRY_RUN
                if not result.written:
                    transaction.set_rollback(True)
    except DatabaseError as exc:
        raise ImportFileError(
            f"The database refused the import, so nothing was written: {exc}. "
            "Please report this: the rows passed validation."
        ) from exc
    if not result.written and mode != ImportMode.DRY_RUN and placement:
        _queue_unknown_names(placement, source=source_format.key)
    result.errors.sort(key=lambda error: error.row)
    return result


def _queue_unknown_names(placement: Placement, *, source: str) -> None:
    """The rows were rolled back, but their errors promise that the unknown names wait for review."""
    with transaction.atomic():
        if placement.unknown_apps:
            ApplicationMatcher(source=source).match(placement.unknown_apps, counts=placement.unknown_apps)
        for application_id, names in placement.unknown_licenses.items():
            LicenseNameMatcher(application_id=application_id, source=source).match(names, counts=names)


class SeatWriter:
    def __init__(self, *, source, separator, app_label, license_label, mode, user, change_reason):
        self.source = source
        self.separator = separator
        self.app_label = app_label
        self.license_label = license_label
        self.mode = mode
        self.user = user
        self.change_reason = change_reason
        self.resolver = IdentityResolver()
        self.matcher = ApplicationMatcher(source=source)
        self.sightings: dict[str, Sighting] = {}
        self.pools: dict[int, dict[str, int]] = {}  # application -> normalised pool name -> pool id
        self.pool_labels: dict[int, list[str]] = {}
        self.had_pools: dict[int, bool] = {}
        self.license_matchers: dict[int, LicenseNameMatcher] = {}
        self.pools_created = 0

    # Placing rows

    def place(self, seats: pd.DataFrame) -> Placement:
        placement = Placement()
        if seats.empty:
            return placement
        name_counts = seats["app"].astype(str).value_counts()
        applications = self.matcher.match(list(name_counts.index), counts=name_counts.to_dict())
        people = self._people(seats)
        for row, app, identity, account, license, assigned, unassigned in seats.itertuples(index=False, name=None):
            application_id = applications.get(str(app))
            if application_id is None:
                placement.unknown_apps[app] = placement.unknown_apps.get(app, 0) + 1
                placement.errors.append(RowError(int(row), self.app_label, str(app), self._unknown_app(app)))
                continue
            normalised, person_id = people[identity]
            if person_id is None and normalised and not self.resolver.is_known_non_person(normalised):
                self.sightings.setdefault(normalised, Sighting(raw=identity)).add(1, None, str(app))
            seat = Seat(
                row=int(row),
                pool_id=0,
                account=str(account).strip()[:ACCOUNT_MAX],
                person_id=person_id,
                assigned_on=_date(assigned),
                unassigned_on=_date(unassigned),
            )
            if seat.assigned_on and seat.unassigned_on and seat.unassigned_on < seat.assigned_on:
                placement.errors.append(
                    RowError(
                        seat.row,
                        "",
                        str(seat.unassigned_on),
                        f"The seat ends ({seat.unassigned_on}) before it starts ({seat.assigned_on}).",
                    )
                )
                continue
            self._place_one(placement, seat, application_id, app, license)
        self._diff(placement)
        return placement

    def _people(self, seats: pd.DataFrame) -> dict[str, tuple[str, int | None]]:
        found = {}
        for identity in pd.unique(seats["identity"]):
            normalised = self.resolver.normalise(identity)
            found[identity] = (normalised, self.resolver.person_id(normalised))
        return found

    def _place_one(self, placement: Placement, seat: Seat, application_id: int, app: str, license) -> None:
        pools = self._pools_of(application_id)
        if license is None and seat.unassigned_on and len(pools) != 1:
            placement.endings.append(Ending(seat.row, application_id, seat.account, seat.unassigned_on))
            return
        pool_id, problem, unknown = self._pool(application_id, app, license)
        if pool_id is None:
            placement.errors.append(RowError(seat.row, self.license_label, str(license or ""), problem))
            if unknown:
                names = placement.unknown_licenses.setdefault(application_id, {})
                names[unknown] = names.get(unknown, 0) + 1
            return
        seat.pool_id = pool_id
        key = (pool_id, seat.account.lower())
        earlier = placement.seats.get(key)
        placement.seats[key] = _combined(earlier, seat) if earlier else seat

    def _pools_of(self, application_id: int) -> dict[str, int]:
        if application_id not in self.pools:
            pools = LicensePool.objects.filter(application_id=application_id).values_list("pk", "name")
            self.pools[application_id] = {normalise_name(name): pk for pk, name in pools}
            self.pool_labels[application_id] = sorted(name for _, name in pools)
            self.had_pools[application_id] = bool(self.pools[application_id])
        return self.pools[application_id]

    def _pool(self, application_id: int, app: str, license) -> tuple[int | None, str, str | None]:
        """The pool of a seat, or None, why not, and the license name that now waits for review.

        In a list of names (Microsoft's Assigned Products) the first that names a pool wins, so the
        same list finds the same pool on every import."""
        pools = self._pools_of(application_id)
        names = [name for name in (name.strip() for name in _license_names(license, self.separator)) if name]
        if not self.had_pools[application_id]:
            # The file brings the application's first pools: one per license type it names.
            for name in names:
                if (pool_id := pools.get(normalise_name(name))) is not None:
                    return pool_id, "", None
            return self._pool_create(application_id, names[0] if names else DEFAULT_POOL_NAME), "", None
        matcher = self._license_matcher(application_id)
        if names and not self.separator:
            if (pool_id := matcher.match_one(names[0])) is not None:
                return pool_id, "", None
            return (
                None,
                f"The license type “{names[0]}” is not one of {app}'s license pools "
                f"({', '.join(self.pool_labels[application_id])}). It {self._queued()} for review on "
                f"{name_review_link()}; confirm which pool it is, then import again.",
                names[0],
            )
        for name in names:
            if (pool_id := matcher.match_one_known(name)) is not None:
                return pool_id, "", None
        if len(pools) == 1:
            return next(iter(pools.values())), "", None
        return (
            None,
            f"The file names no license type that {app} has, and {app} has {len(pools)} license pools "
            f"({', '.join(self.pool_labels[application_id])}); add a license type column that names one.",
            None,
        )

    def _license_matcher(self, application_id: int) -> "KnownNameMatcher":
        if application_id not in self.license_matchers:
            self.license_matchers[application_id] = KnownNameMatcher(application_id=application_id, source=self.source)
        return self.license_matchers[application_id]

    def _pool_create(self, application_id: int, name: str) -> int:
        key = normalise_name(name) or normalise_name(DEFAULT_POOL_NAME)
        pools = self.pools[application_id]
        if key not in pools:
            (pool,) = bulk_create_with_history(
                [LicensePool(application_id=application_id, name=name[:POOL_NAME_MAX], purchased_quantity=None)],
                LicensePool,
                default_user=self.user,
                default_change_reason=self.change_reason,
            )
            if pool.pk is None:  # SQLite before 3.35 returns no ids from bulk inserts
                pool = LicensePool.objects.get(application_id=application_id, name=name[:POOL_NAME_MAX])
            pools[key] = pool.pk
            self.pools_created += 1
        return pools[key]

    def _queued(self) -> str:
        return "will wait" if self.mode == ImportMode.DRY_RUN else "was queued"

    def _unknown_app(self, app: str) -> str:
        return (
            f"The application “{app}” is not known. Its name {self._queued()} for review on {name_review_link()}: "
            "confirm which application it is (or add the application), then import again."
        )

    # Comparing with what is stored, then writing

    def _diff(self, placement: Placement) -> None:
        """Split the placed seats into new ones and changes to stored ones; a change that would end a
        seat before it starts is the row's error."""
        stored = self._stored({seat.pool_id for seat in placement.seats.values()})
        for seat in placement.seats.values():
            current = stored.get((seat.pool_id, seat.account.lower()))
            if current is None:
                placement.new.append(seat)
                continue
            fields = _changes(current, seat)
            start = fields.get("assigned_on", current["assigned_on"])
            end = fields.get("unassigned_on", current["unassigned_on"])
            if start and end and end < start:
                placement.errors.append(
                    RowError(seat.row, "", str(end), f"The seat would end ({end}) before it started ({start}).")
                )
            elif fields:
                placement.changed[current["pk"]] = fields
        for pk, fields in self._endings(placement.endings).items():
            placement.changed.setdefault(pk, {}).update(fields)

    def write(self, placement: Placement, result: IngestResult) -> None:
        new = [
            Assignment(
                pool_id=seat.pool_id,
                person_id=seat.person_id,
                account=seat.account,
                assigned_on=seat.assigned_on,
                unassigned_on=seat.unassigned_on,
                source=AssignmentSource.IMPORT,
            )
            for seat in placement.new
        ]
        bulk_create_with_history(
            new, Assignment, batch_size=BATCH, default_user=self.user, default_change_reason=self.change_reason
        )
        self._update(placement.changed, timezone.now())
        queued = identity_reviews_record_in_batches(sightings=self.sightings, source=self.source)
        result.created = len(new)
        result.updated = len(placement.changed)
        result.unchanged = max(0, len(placement.seats) + len(placement.endings) - len(new) - len(placement.changed))
        result.also_created = {"license pool": self.pools_created, "unmatched account": queued}

    def _stored(self, pool_ids: set[int]) -> dict[tuple[int, str], dict]:
        rows = (
            Assignment.objects.filter(pool_id__in=pool_ids)
            .annotate(account_key=Lower("account"))
            .values("pk", "pool_id", "account_key", "person_id", "assigned_on", "unassigned_on")
        )
        return {(row["pool_id"], row["account_key"]): row for row in rows.iterator(chunk_size=5000)}

    def _endings(self, endings: list[Ending]) -> dict[int, dict]:
        """Open seats of the accounts that ended without naming their pool -> the end date."""
        if not endings:
            return {}
        by_key = {(ending.application_id, ending.account.lower()): ending for ending in endings}
        open_seats = (
            Assignment.objects.filter(
                pool__application_id__in={ending.application_id for ending in endings}, unassigned_on__isnull=True
            )
            .annotate(account_key=Lower("account"))
            .values_list("pk", "pool__application_id", "account_key", "assigned_on")
        )
        ended = {}
        for pk, application_id, account_key, assigned_on in open_seats.iterator(chunk_size=5000):
            ending = by_key.get((application_id, account_key))
            if ending and not (assigned_on and ending.unassigned_on < assigned_on):
                ended[pk] = {"unassigned_on": ending.unassigned_on}
        return ended

    def _update(self, changed: dict[int, dict], now) -> None:
        if not changed:
            return
        names = sorted({name for fields in changed.values() for name in fields} | {"updated_at"})
        ids = list(changed)
        for start in range(0, len(ids), BATCH):
            batch = list(Assignment.objects.filter(pk__in=ids[start : start + BATCH]))
            for assignment in batch:
                for name, value in changed[assignment.pk].items():
                    setattr(assignment, name, value)
                assignment.updated_at = now
            bulk_update_with_history(
                batch, Assignment, names, default_user=self.user, default_change_reason=self.change_reason
            )


class KnownNameMatcher(LicenseNameMatcher):
    """A license matcher that can also only look (exact, aliases, reviewed names), for the names of a
    list where most entries belong to other applications (Microsoft's Assigned Products)."""

    def match_one_known(self, raw: str) -> int | None:
        return self._known.get(normalise_name(raw)[:POOL_NAME_MAX])


def _license_names(license, separator: str | None) -> list[str]:
    if not license:
        return []
    return license.split(separator) if separator else [license]


def _date(value) -> date | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


def _combined(earlier: Seat, later: Seat) -> Seat:
    """Two rows of one file for the same seat (two sites of one product): the earliest start, the
    person either names, and an end only if both rows end it."""
    starts = [day for day in (earlier.assigned_on, later.assigned_on) if day]
    ends = (earlier.unassigned_on, later.unassigned_on)
    return Seat(
        row=earlier.row,
        pool_id=earlier.pool_id,
        account=earlier.account,
        person_id=earlier.person_id or later.person_id,
        assigned_on=min(starts) if starts else None,
        unassigned_on=max(ends) if all(ends) else None,
    )


def _changes(current: dict, seat: Seat) -> dict:
    """The fields the row changes: only those it has a value for (a blank never erases)."""
    fields = {}
    if seat.person_id and seat.person_id != current["person_id"]:
        fields["person_id"] = seat.person_id
    if seat.assigned_on and seat.assigned_on != current["assigned_on"]:
        fields["assigned_on"] = seat.assigned_on
    if seat.unassigned_on and seat.unassigned_on != current["unassigned_on"]:
        fields["unassigned_on"] = seat.unassigned_on
    return fields
