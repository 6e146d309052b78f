"""Bulk loading of usage rollups: rows are staged in a temporary table, then merged into
Activity (or PendingActivity) with one SQL statement.

PostgreSQL stages with COPY; SQLite with batched inserts. The merge keeps, for each
(person, application, day), the largest count any import reported, so importing the same
export twice, or two overlapping exports, never counts a day twice. Rows of one call (or of
one staging table) that share a key are parts of the same report, so their counts add up.

An ingest writes its rolled-up days a group of applications at a time (``activity_parts_write``):
on PostgreSQL, days that cannot meet a stored row (outside the days already stored for their
application) are copied straight into Activity, and only the others go through the staged merge.
Every writer of Activity here holds one transaction-level advisory lock while it writes, so that
no other import can store one of those days in between.
"""

import itertools
import queue
import threading
import uuid
from collections.abc import Iterable

import numpy as np
import pandas as pd
from django.db import connection, transaction

from licenses.ingest.spill import ActivityPart
from licenses.models import Activity, PendingActivity

# Positive integer columns are 32-bit; a sum above this is stored as this.
MAX_EVENTS = 2_147_483_647
SQLITE_BATCH = 5_000
MERGE_WORK_MEM = "256MB"
# pg_advisory_xact_lock key held by every writer of Activity in this module until its transaction ends.
ACTIVITY_WRITE_LOCK = 7_310_412_915

ACTIVITY_COLUMNS = ("person_id", "application_id", "day", "events")
PENDING_COLUMNS = ("identity", "app_name", "day", "events", "source")


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


# Every statement here is built from our own table and column names; values go through COPY or
# query parameters, never into the SQL text.


class Stage:
    """A temporary table on this connection that collects rows chunk by chunk.

    Use it inside a transaction, as a context manager that drops it on the way out;
    ``merge`` sends its rolled-up rows to the target table and returns (created, updated, unchanged).
    """

    columns: tuple[str, ...]
    kind: str
    # Stage with PostgreSQL's binary COPY, built straight from the numeric columns.
    binary = False

    def __init__(self):
        self.name = f"usage_stage_{self.kind}_{uuid.uuid4().hex[:12]}"
        self.rows = 0
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE {self.name} ({self._column_types()})")

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, traceback):
        # After an error the transaction is rolled back, and the table (created in it) with it; on
        # PostgreSQL a failed transaction would refuse the DROP anyway.
        if exc_type is None:
            self.drop()

    def drop(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.name}")

    def _column_types(self) -> str:
        raise NotImplementedError

    def append(self, frame: pd.DataFrame) -> None:
        """Stage the rows of ``frame`` (the stage's columns; ``day`` as dates, datetimes or ISO text)."""
        if frame.empty:
            return
        missing = [column for column in self.columns if column not in frame.columns]
        if missing:
            raise ValueError(f"the frame lacks the columns {missing}; it needs {list(self.columns)}")
        if is_postgres():
            payload = _binary_copy(frame) if self.binary else [_csv(frame, self.columns)]
            with connection.cursor() as cursor, cursor.copy(self.copy_statement()) as copy:
                for block in payload:
                    copy.write(block)
        else:
            staged = _as_stage_frame(frame, self.columns)
            placeholders = ", ".join(["%s"] * len(self.columns))
            values = zip(*(staged[column].tolist() for column in self.columns), strict=True)
            with connection.cursor() as cursor:
                while batch := list(itertools.islice(values, SQLITE_BATCH)):
                    cursor.executemany(f"INSERT INTO {self.name} VALUES ({placeholders})", batch)  # noqa: S608
        self.rows += len(frame)

    def copy_statement(self) -> str:
        return f"COPY {self.name} FROM STDIN WITH (FORMAT {'binary' if self.binary else 'csv'})"

    def merge(self) -> tuple[int, int, int]:
        if not self.rows:
            return 0, 0, 0
        with connection.cursor() as cursor:
            if is_postgres():
                if self.locked:
                    activity_write_lock()
                # The rollup is a hash aggregate of the whole stage: give it room, for this transaction only.
                cursor.execute(f"SET LOCAL work_mem = '{MERGE_WORK_MEM}'")
                cursor.execute(self._postgres_merge_sql())
                created, updated, total = cursor.fetchone()
                return created, updated, total - created - updated
            rolled = f"{self.name}_rolled"
            cursor.execute(f"DROP TABLE IF EXISTS {rolled}")
            cursor.execute(f"CREATE TEMP TABLE {rolled} AS {self._rollup_sql()}")
            cursor.execute(self._sqlite_count_sql(rolled))
            created, updated, unchanged = (int(count or 0) for count in cursor.fetchone())
            cursor.execute(self._sqlite_merge_sql(rolled))
            cursor.execute(f"DROP TABLE {rolled}")
        return created, updated, unchanged

    # The SQL of each target.
    key: tuple[str, ...]
    table: str
    # The key in the order of the target's unique index: rows inserted in this order touch its pages in order.
    index_order: tuple[str, ...]
    locked = False

    def _rollup_sql(self) -> str:
        keys = ", ".join(self.key)
        others = [column for column in self.columns if column not in (*self.key, "events")]
        extra = "".join(f", MIN({column}) AS {column}" for column in others)
        return f"SELECT {keys}, SUM(events) AS events{extra} FROM {self.name} GROUP BY {keys}"  # noqa: S608

    def _target_columns(self) -> str:
        return ", ".join(self.columns)

    def _join(self, left: str, right: str) -> str:
        return " AND ".join(f"{left}.{column} = {right}.{column}" for column in self.key)

    def _postgres_merge_sql(self) -> str:
        # xmax = 0 marks a row this statement inserted (rather than updated): one pass gives both counts.
        columns = self._target_columns()
        select = columns.replace("events", f"LEAST(events, {MAX_EVENTS})")
        return f"""
            WITH rolled AS ({self._rollup_sql()}),
            merged AS (
                INSERT INTO {self.table} ({columns})
                SELECT {select} FROM rolled ORDER BY {", ".join(self.index_order)}
                ON CONFLICT ({", ".join(self.key)}) DO UPDATE
                    SET events = GREATEST({self.table}.events, EXCLUDED.events)
                    WHERE {self.table}.events < EXCLUDED.events
                RETURNING (xmax = 0) AS inserted
            )
            SELECT COUNT(*) FILTER (WHERE inserted), COUNT(*) FILTER (WHERE NOT inserted), (SELECT COUNT(*) FROM rolled)
            FROM merged
        """  # noqa: S608

    def _sqlite_count_sql(self, rolled: str) -> str:
        target = self.table
        return f"""
            SELECT SUM(CASE WHEN {target}.id IS NULL THEN 1 ELSE 0 END),
                   SUM(CASE WHEN {target}.events < MIN(r.events, {MAX_EVENTS}) THEN 1 ELSE 0 END),
                   SUM(CASE WHEN {target}.events >= MIN(r.events, {MAX_EVENTS}) THEN 1 ELSE 0 END)
            FROM {rolled} AS r LEFT JOIN {target} ON {self._join("r", target)}
        """  # noqa: S608

    def _sqlite_merge_sql(self, rolled: str) -> str:
        columns = self._target_columns()
        select = columns.replace("events", f"MIN(events, {MAX_EVENTS})")
        # "WHERE true" tells SQLite's parser that ON CONFLICT belongs to the INSERT.
        return f"""
            INSERT INTO {self.table} ({columns})
            SELECT {select} FROM {rolled} WHERE true
            ON CONFLICT ({", ".join(self.key)}) DO UPDATE
                SET events = MAX({self.table}.events, excluded.events)
                WHERE {self.table}.events < excluded.events
        """  # noqa: S608


class ActivityStage(Stage):
    kind = "activity"
    binary = True
    columns = ACTIVITY_COLUMNS
    key = ("person_id", "application_id", "day")
    index_order = ("application_id", "person_id", "day")
    table = Activity._meta.db_table
    locked = True

    def _column_types(self) -> str:
        day = "date" if is_postgres() else "text"
        return f"person_id bigint NOT NULL, application_id bigint NOT NULL, day {day} NOT NULL, events bigint NOT NULL"


class PendingStage(Stage):
    kind = "pending"
    columns = PENDING_COLUMNS
    key = ("identity", "app_name", "day")
    index_order = key
    table = PendingActivity._meta.db_table

    def _column_types(self) -> str:
        day = "date" if is_postgres() else "text"
        return (
            f"identity varchar(254) NOT NULL, app_name varchar(200) NOT NULL, day {day} NOT NULL, "
            "events bigint NOT NULL, source varchar(40) NOT NULL"
        )


def activity_rows_merge(frame: pd.DataFrame) -> tuple[int, int, int]:
    """Merge rows (person_id, application_id, day, events) into Activity; returns (created, updated, unchanged).

    A stored day keeps the larger of its count and the new one. Rows of ``frame`` with the same
    (person_id, application_id, day) are added up first.
    """
    return _merge(ActivityStage, frame)


def pending_rows_merge(frame: pd.DataFrame) -> tuple[int, int, int]:
    """Merge rows (identity, app_name, day, events, source) into PendingActivity, like activity_rows_merge."""
    return _merge(PendingStage, frame)


def activity_write_lock() -> None:
    """Wait for, then hold until the transaction ends, the right to write Activity (PostgreSQL only)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ACTIVITY_WRITE_LOCK])


def activity_parts_write(parts: Iterable[ActivityPart], *, applications: Iterable[int]) -> tuple[int, int, int]:
    """Write rolled-up parts (see ``spill``) of the applications ``applications`` into Activity, like
    ``activity_rows_merge``; returns (created, updated, unchanged). Call it inside a transaction.

    On PostgreSQL, the days stored before for each application span a range: rows outside it are new
    for certain and are copied straight into Activity, sorted as its index; the rest are staged and
    merged. The copies run in a thread of their own, so that the database loads one part while this
    thread reads and rolls up the next.
    """
    if not is_postgres():
        with ActivityStage() as overlap:
            for part in parts:
                overlap.append(_part_frame(part))
            return overlap.merge()
    created = 0
    activity_write_lock()
    spans = _stored_spans(sorted(set(applications)))
    with ActivityStage() as overlap:
        with _CopyThread() as copies:
            for part in parts:
                stored = spans.covers(part)
                fresh = part.take(~stored)
                if len(fresh):
                    copies.put(_ACTIVITY_COPY, _activity_payload(fresh))
                    created += len(fresh)
                if stored.any():
                    copies.put(overlap.copy_statement(), _binary_copy(_part_frame(part.take(stored))))
                    overlap.rows += int(stored.sum())
        merged_created, updated, unchanged = overlap.merge()
    return created + merged_created, updated, unchanged


def _part_frame(part: ActivityPart) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_id": part.person_id,
            "application_id": part.application_id,
            "day": part.day.astype("datetime64[D]"),
            "events": part.events,
        }
    )


class _CopyThread:
    """COPY payloads into tables on this thread's database connection, one after the other, from a
    thread of its own. The caller's thread must not use the connection until the block ends; the
    block waits for the last copy and re-raises the first error."""

    def __init__(self, depth: int = 1):
        connection.ensure_connection()
        self._wrapper = connection
        self._raw = connection.connection
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="activity-copy", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def put(self, statement: str, payload: list) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put((statement, payload))

    def __exit__(self, exc_type, exc, traceback):
        self._queue.put(None)
        self._thread.join()
        if self._error is not None and exc_type is None:
            raise self._error

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is not None:
                continue  # drain: the caller stops at its next put
            statement, payload = item
            try:
                with self._wrapper.wrap_database_errors, self._raw.cursor() as cursor, cursor.copy(statement) as copy:
                    for block in payload:
                        copy.write(block)
            except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
                self._error = error


class _Spans:
    """The first and last stored day (days since 1970) of each application that has any."""

    def __init__(self, rows: list[tuple[int, int, int]]):
        rows = sorted(rows)
        self.applications = np.array([row[0] for row in rows], dtype=np.int64)
        self.first = np.array([row[1] for row in rows], dtype=np.int64)
        self.last = np.array([row[2] for row in rows], dtype=np.int64)

    def covers(self, part: ActivityPart) -> np.ndarray:
        """Which rows of ``part`` fall within their application's stored days."""
        if not len(self.applications):
            return np.zeros(len(part), dtype=bool)
        at = np.minimum(np.searchsorted(self.applications, part.application_id), len(self.applications) - 1)
        known = self.applications[at] == part.application_id
        return known & (part.day >= self.first[at]) & (part.day <= self.last[at])


def _stored_spans(applications: list[int]) -> _Spans:
    if not applications:
        return _Spans([])
    table = Activity._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT application_id, MIN(day) - DATE '1970-01-01', MAX(day) - DATE '1970-01-01' FROM {table} "  # noqa: S608
            "WHERE application_id = ANY(%s) GROUP BY application_id",
            [applications],
        )
        return _Spans(cursor.fetchall())


_ACTIVITY_COPY = f"COPY {Activity._meta.db_table} ({', '.join(ACTIVITY_COLUMNS)}) FROM STDIN WITH (FORMAT binary)"


def _activity_payload(part: ActivityPart) -> list:
    """Rows that are new for certain, as a binary COPY payload for Activity itself (events as its integer)."""
    return _binary_rows(
        part.person_id, part.application_id, part.day, np.minimum(part.events, MAX_EVENTS), row=_ACTIVITY_TABLE_ROW
    )


def _merge(stage_class: type[Stage], frame: pd.DataFrame) -> tuple[int, int, int]:
    if frame.empty:
        return 0, 0, 0
    with transaction.atomic(), stage_class() as stage:
        stage.append(frame)
        return stage.merge()


def _as_stage_frame(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    staged = frame.loc[:, list(columns)].copy()
    staged["day"] = day_text(staged["day"])
    for column in ("person_id", "application_id", "events"):
        if column in staged:
            staged[column] = staged[column].astype("int64")
    return staged


def _csv(frame: pd.DataFrame, columns: tuple[str, ...]) -> str:
    return _as_stage_frame(frame, columns).to_csv(index=False, header=False)


def day_text(days: pd.Series) -> pd.Series:
    """Dates, datetimes or ISO text as ``YYYY-MM-DD`` text (vectorised for datetime64 columns)."""
    if pd.api.types.is_datetime64_any_dtype(days):
        return pd.Series(days.to_numpy().astype("datetime64[D]").astype(str), index=days.index)
    return days.map(lambda value: value.isoformat()[:10] if hasattr(value, "isoformat") else str(value)[:10])


# PostgreSQL's binary COPY: a signature, then per row a field count and each field as (length, big-endian value).
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_COPY_TRAILER = (-1).to_bytes(2, "big", signed=True)


def _row_type(events: str) -> np.dtype:
    return np.dtype(
        [
            ("fields", ">i2"),
            ("person_size", ">i4"),
            ("person_id", ">i8"),
            ("application_size", ">i4"),
            ("application_id", ">i8"),
            ("day_size", ">i4"),
            ("day", ">i4"),  # days since 2000-01-01
            ("events_size", ">i4"),
            ("events", events),
        ]
    )


_ACTIVITY_ROW = _row_type(">i8")  # the staging table's bigint
_ACTIVITY_TABLE_ROW = _row_type(">i4")  # Activity's integer
_DAYS_1970_TO_2000 = 10_957


def _binary_copy(frame: pd.DataFrame) -> list:
    """Activity rows as a binary COPY payload (blocks to write in turn), built by numpy without a Python loop."""
    return _binary_rows(
        frame["person_id"].to_numpy(dtype=np.int64),
        frame["application_id"].to_numpy(dtype=np.int64),
        _epoch_days(frame["day"]),
        frame["events"].to_numpy(dtype=np.int64),
        row=_ACTIVITY_ROW,
    )


def _binary_rows(person_id, application_id, epoch_day, events, *, row: np.dtype) -> list:
    rows = np.empty(len(epoch_day), dtype=row)
    rows["fields"] = 4
    rows["person_size"] = rows["application_size"] = 8
    rows["day_size"] = 4
    rows["events_size"] = row["events"].itemsize
    rows["person_id"] = person_id
    rows["application_id"] = application_id
    rows["events"] = events
    rows["day"] = np.asarray(epoch_day, dtype=np.int64) - _DAYS_1970_TO_2000
    return [_COPY_HEADER, memoryview(rows).cast("B"), _COPY_TRAILER]


def _epoch_days(days: pd.Series) -> np.ndarray:
    if not pd.api.types.is_datetime64_any_dtype(days):
        days = pd.to_datetime(day_text(days), format="%Y-%m-%d")
    elif getattr(days.dtype, "tz", None) is not None:
        days = days.dt.tz_convert(None)
    return days.to_numpy().astype("datetime64[D]").astype(np.int64)
