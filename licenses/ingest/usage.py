"""The usage ingest: a usage export, chunk by chunk, into the Activity rollup.

Each chunk is parsed by its format into (identity, application name, day, events) rows and
resolved: identities to people (``IdentityResolver``: one load, then lookups, once per distinct
spelling in the whole file) and names to applications (``ApplicationMatcher``, once per distinct
name). Rows with a person and an application are rolled up per (person, application, day) and
staged for Activity; the others for PendingActivity, by their normalised keys, so nothing is lost
while a person reviews the account or the name. Accounts already settled as service or shared
accounts are not attributed to anyone. Days are UTC days (see ``parsing.days_parse``).

The matched rows wait on disk, grouped by application (``spill``), and are rolled up and written at
the end a group of applications at a time; the unmatched ones are staged and merged with one SQL
statement (``writer``). A day keeps the largest count any import reported, so importing the same
export again changes nothing.
The whole ingest is one transaction: a dry run rolls it back (its counts are exact), all or
nothing rolls it back at the first bad row (and stops staging, but goes on reporting errors),
valid rows leaves the bad rows out.
"""

from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from licenses.ingest.chunks import table_chunks
from licenses.ingest.formats import SourceFormat
from licenses.ingest.results import IngestResult
from licenses.ingest.spill import ActivitySpill
from licenses.ingest.writer import PendingStage, Stage, activity_parts_write
from licenses.matching import ApplicationMatcher, IdentityResolver, Sighting, identity_reviews_record
from licenses.models import UsageSource
from saasmgr.core.choices import ImportMode
from saasmgr.core.imports.columns import HeaderMatch
from saasmgr.core.imports.engine import READING, WRITING
from saasmgr.core.imports.reading import ImportFileError, Table
from saasmgr.inventory.models import Application
from saasmgr.inventory.names import normalise_name

UNMATCHED = -1  # no person or application (yet)
NOT_A_PERSON = -2  # a service or shared account
IDENTITY_MAX = 254
NAME_MAX = 200

ProgressCallback = Callable[[str, int, int | None], None]


def _no_progress(stage: str, processed: int, total: int | None) -> None:
    return None


def usage_import(
    *,
    source_format: SourceFormat,
    table: Table,
    match: HeaderMatch,
    mode: str,
    on_progress: ProgressCallback | None = None,
    total_rows: int | None = None,
    chunk_rows: int | None = None,
) -> IngestResult:
    """Ingest the usage in ``table`` (its header already matched). Raises ImportFileError when the file
    as a whole cannot be imported; row errors are in the result."""
    on_progress = on_progress or _no_progress
    plan = source_format.plan(match, kind="usage")
    chunk_rows = chunk_rows or settings.USAGE_INGEST_CHUNK_ROWS
    result = IngestResult(mode=mode, file=table.describe())
    stop_at_error = mode == ImportMode.ALL_OR_NOTHING
    on_progress(READING, 0, total_rows)
    try:
        with transaction.atomic():
            applications = Application.objects.order_by().values_list("pk", flat=True)
            with ActivitySpill(applications=list(applications)) as activity, PendingStage() as pending:
                sink = UsageSink(source=source_format.key, activity=activity, pending=pending)
                for chunk in table_chunks(table, plan, chunk_rows=chunk_rows):
                    part = source_format.usage(chunk)
                    result.add_rows(len(chunk), skipped=part.skipped)
                    result.add_errors(part.errors)
                    if not (stop_at_error and result.error_total):
                        sink.stage(part.events, distinct=part.distinct)
                    on_progress(READING, result.rows, total_rows)
                if not result.rows:
                    raise ImportFileError("The file has a header row but no data rows.")
                refused = stop_at_error and result.error_total
                if not refused:
                    on_progress(WRITING, 0, 1)
                    sink.finish(result)
                    on_progress(WRITING, 1, 1)
            result.written = not refused and mode != ImportMode.DRY_RUN
            if not result.written:
                transaction.set_rollback(True)
    except DatabaseError as exc:
        raise ImportFileError(
            f"The database refused the import, so nothing was written: {exc}. "
            "Please report this: the rows passed validation."
        ) from exc
    return result


class UsageSink:
    """Resolves the usage rows of one ingest and keeps them (matched rows in the spill, the others in
    the pending stage), then writes them and records what it saw.

    Identities and names are resolved once per distinct spelling for the whole ingest; a chunk then
    needs only array lookups (``pd.Index.get_indexer``) and a group-by on integers.
    """

    def __init__(self, *, source: str, activity: ActivitySpill, pending: Stage):
        self.source = source
        self.activity = activity
        self.pending = pending
        self.resolver = IdentityResolver()
        self.matcher = ApplicationMatcher(source=source)
        self.people = _Lookup()  # identity as written -> normalised, person id
        self.apps = _Lookup()  # name as written -> normalised, application id
        self.raw_identity: dict[str, str] = {}  # normalised -> first spelling seen
        self.sightings: dict[str, Sighting] = {}
        self.coverage: dict[int, tuple[pd.Timestamp, pd.Timestamp]] = {}

    def stage(self, events: pd.DataFrame, *, distinct: dict[str, np.ndarray] | None = None) -> None:
        """Resolve and stage usage rows; ``distinct`` as in ``UsagePart``."""
        if events.empty:
            return
        distinct = distinct or {}
        identity_codes, identities = _factorized(events["identity"], distinct.get("identity"))
        app_codes, names = _factorized(events["app"], distinct.get("app"))
        counts = events["events"].to_numpy(dtype=np.int64)
        identity_normalised, person_of = self._people(identities)
        name_counts = np.bincount(app_codes, weights=counts, minlength=len(names)).astype(np.int64)
        name_normalised, application_of = self._apps(names, name_counts)

        person = person_of[identity_codes]
        application = application_of[app_codes]
        days = events["day"].to_numpy()
        matched = (person > 0) & (application > 0)
        self.activity.append(application[matched], person[matched], days[matched], counts[matched])
        waiting = ~matched & (person != NOT_A_PERSON)
        waiting &= (identity_normalised != "")[identity_codes] & (name_normalised != "")[app_codes]
        if waiting.any():
            pending = _rolled(
                {"identity": identity_codes[waiting], "app": app_codes[waiting], "day": days[waiting]}, counts[waiting]
            )
            self.pending.append(
                pd.DataFrame(
                    {
                        "identity": identity_normalised[pending["identity"].to_numpy()],
                        "app_name": name_normalised[pending["app"].to_numpy()],
                        "day": pending["day"],
                        "events": pending["events"],
                        "source": self.source,
                    }
                )
            )
        unknown = person == UNMATCHED
        if unknown.any():
            self._sight(
                identity_normalised, names, identity_codes[unknown], app_codes[unknown], days[unknown], counts[unknown]
            )
        self._cover(application_of, app_codes, days)

    def _people(self, identities: pd.Index) -> tuple[np.ndarray, np.ndarray]:
        def resolve(raw: str) -> tuple[str, int]:
            normalised = self.resolver.normalise(raw)[:IDENTITY_MAX]
            person_id = self.resolver.person_id(normalised)
            if person_id is None:
                person_id = NOT_A_PERSON if self.resolver.is_known_non_person(normalised) else UNMATCHED
            self.raw_identity.setdefault(normalised, raw)
            return normalised, person_id

        return self.people.find(identities, resolve)

    def _apps(self, names: pd.Index, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        count_of = dict(zip(names, counts, strict=True))

        def resolve(raw: str) -> tuple[str, int]:
            application_id = self.matcher.match_one(raw.strip(), count=int(count_of[raw]))
            return normalise_name(raw)[:NAME_MAX], application_id or UNMATCHED

        return self.apps.find(names, resolve)

    def _sight(self, identity_normalised, names, identity_codes, app_codes, days, counts) -> None:
        frame = pd.DataFrame({"identity": identity_codes, "app": app_codes, "day": days, "events": counts})
        grouped = frame.groupby(["identity", "app"], sort=False).agg(events=("events", "sum"), day=("day", "max"))
        for (identity_code, app_code), events, day in zip(
            grouped.index, grouped["events"], grouped["day"], strict=True
        ):
            identity = identity_normalised[identity_code]
            sighting = self.sightings.setdefault(identity, Sighting(raw=self.raw_identity.get(identity, identity)))
            sighting.add(int(events), day.date(), str(names[app_code]).strip())

    def _cover(self, application_of: np.ndarray, app_codes: np.ndarray, days: np.ndarray) -> None:
        """Widen the span of days seen per application (from the rows of applications that matched)."""
        seen = application_of[app_codes] > 0
        if not seen.any():
            return
        codes, epoch_days = app_codes[seen], days[seen].astype("datetime64[D]").astype(np.int64)
        first = np.full(len(application_of), np.iinfo(np.int64).max)
        last = np.full(len(application_of), np.iinfo(np.int64).min)
        np.minimum.at(first, codes, epoch_days)
        np.maximum.at(last, codes, epoch_days)
        for code in np.flatnonzero(last > np.iinfo(np.int64).min):
            application_id = int(application_of[code])
            span = (pd.Timestamp(first[code], unit="D"), pd.Timestamp(last[code], unit="D"))
            known = self.coverage.get(application_id)
            self.coverage[application_id] = (min(span[0], known[0]), max(span[1], known[1])) if known else span

    def finish(self, result: IngestResult) -> None:
        # Pending rows first: a review that moves pending rows holds them while it waits to write Activity.
        pending_created, _, _ = self.pending.merge()
        result.created, result.updated, result.unchanged = activity_parts_write(
            self.activity.parts(), applications=list(self.coverage)
        )
        queued = identity_reviews_record_in_batches(sightings=self.sightings, source=self.source)
        usage_sources_cover(
            coverage={app: (first.date(), last.date()) for app, (first, last) in self.coverage.items()},
            source=self.source,
        )
        result.also_created = {"unmatched usage day": pending_created, "unmatched account": queued}


class _Lookup:
    """Distinct raw values and what each resolved to, grown chunk by chunk, looked up in bulk."""

    def __init__(self):
        # Kept between chunks: pandas keeps the hash table of an Index, so a lookup hashes only the new values.
        self.index = pd.Index([], dtype=object)
        self.normalised = np.array([], dtype=object)
        self.ids = np.array([], dtype=np.int64)

    def find(self, values: pd.Index, resolve) -> tuple[np.ndarray, np.ndarray]:
        """(normalised, id) of each value; ``resolve(raw) -> (normalised, id)`` runs once per new value."""
        positions = self.index.get_indexer(values)
        new = np.flatnonzero(positions < 0)
        if len(new):
            raws = values[new]
            resolved = [resolve(raw) for raw in raws]
            positions[new] = len(self.index) + np.arange(len(new))
            self.index = self.index.append(pd.Index(raws, dtype=object))
            self.normalised = np.concatenate([self.normalised, np.array([n for n, _ in resolved], dtype=object)])
            self.ids = np.concatenate([self.ids, np.array([i for _, i in resolved], dtype=np.int64)])
        return self.normalised[positions], self.ids[positions]


def _factorized(column: pd.Series, distinct: np.ndarray | None) -> tuple[np.ndarray, pd.Index]:
    """(codes, distinct values) of a column of text, or of codes into ``distinct`` (only the values in use)."""
    if distinct is None:
        return pd.factorize(column)
    codes, used = pd.factorize(column.to_numpy())
    return codes, pd.Index(distinct[used], dtype=object)


def _rolled(keys: dict[str, np.ndarray], counts: np.ndarray) -> pd.DataFrame:
    """Rows with the same keys in one chunk are one row with their counts added up."""
    frame = pd.DataFrame({**keys, "events": counts})
    if frame.empty:
        return frame
    return frame.groupby(list(keys), sort=False)["events"].sum().reset_index()


def identity_reviews_record_in_batches(*, sightings: dict[str, Sighting], source: str, batch: int = 5000) -> int:
    """``identity_reviews_record`` a few thousand at a time: it looks the identities up in one IN (...) list,
    and SQLite allows some 32,000 parameters in a statement."""
    items = list(sightings.items())
    return sum(
        identity_reviews_record(sightings=dict(items[start : start + batch]), source=source)
        for start in range(0, len(items), batch)
    )


def usage_sources_cover(*, coverage: dict[int, tuple[date, date]], source: str) -> None:
    """Record that these applications have usage data from ``source`` over these days (widening what
    earlier imports covered), imported now: one upsert."""
    if not coverage:
        return
    now = timezone.now()
    stored = UsageSource.objects.filter(source=source, application_id__in=list(coverage)).values_list(
        "application_id", "first_day", "last_day"
    )
    spans = dict(coverage)
    for application_id, first, last in stored:
        new_first, new_last = spans[application_id]
        spans[application_id] = (min(filter(None, (first, new_first))), max(filter(None, (last, new_last))))
    UsageSource.objects.bulk_create(
        [
            UsageSource(
                application_id=application_id,
                source=source,
                first_day=first,
                last_day=last,
                last_imported_at=now,
                created_at=now,
                updated_at=now,
            )
            for application_id, (first, last) in spans.items()
        ],
        update_conflicts=True,
        unique_fields=["application", "source"],
        update_fields=["first_day", "last_day", "last_imported_at", "updated_at"],
        batch_size=500,
    )
