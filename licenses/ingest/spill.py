"""The matched usage rows of one ingest, kept on disk until the end of the file, grouped by application.

A day's count is the sum of all the file's rows for it, wherever they are in the file, so nothing can
be written to Activity before the whole file is read. Rather than staging every row in the database
(where the rollup is a hash aggregate and a sort of the whole file), the rows are appended to a few
dozen files, each holding the rows of a range of application ids. At the end each file is read back
alone, in the order of the ranges, rolled up (one row per person, application and day) and sorted in
the order of Activity's index (application, person, day): the parts reach the database as one run in
the index's order, which is what keeps the index inserts cheap (into an empty stretch of the index,
they fill its pages one after the other). Memory holds one part at a time: a part larger than
``PART_ROWS`` is split again by (application, person) before it is rolled up.
"""

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SPILL_FILES = 64
PART_ROWS = 2_000_000  # at most this many rows in memory at once (a few copies of about 30 bytes each)
_ROW = np.dtype([("application_id", "<i8"), ("person_id", "<i8"), ("day", "<i4"), ("events", "<i8")])


@dataclass
class ActivityPart:
    """Rolled-up rows, sorted by (application_id, person_id, day); ``day`` in days since 1970-01-01."""

    application_id: np.ndarray
    person_id: np.ndarray
    day: np.ndarray
    events: np.ndarray

    def __len__(self) -> int:
        return len(self.day)

    def take(self, keep: np.ndarray) -> "ActivityPart":
        return ActivityPart(self.application_id[keep], self.person_id[keep], self.day[keep], self.events[keep])


class ActivitySpill:
    """Append matched rows chunk by chunk; then ``parts()`` yields them rolled up, a group of applications
    at a time. Use as a context manager: the files are removed on the way out."""

    def __init__(self, *, applications=(), files: int = SPILL_FILES, part_rows: int = PART_ROWS):
        """``applications``: the application ids there are (the files split them into ranges of as many ids)."""
        ids = np.unique(np.asarray(applications, dtype=np.int64))
        files = max(1, min(files, len(ids)))
        # The first id of each file's range; ids below the first go to the first file, above the last to the last.
        self.starts = ids[(np.arange(files) * len(ids)) // files] if len(ids) else np.zeros(1, dtype=np.int64)
        self.files = len(self.starts)
        self.part_rows = part_rows
        self.rows = 0
        self._directory = tempfile.TemporaryDirectory(prefix="usage-ingest-")
        self._paths = [Path(self._directory.name) / f"{index:03d}.rows" for index in range(self.files)]
        self._handles = [path.open("ab") for path in self._paths]

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self) -> None:
        for handle in self._handles:
            handle.close()
        self._handles = []
        self._directory.cleanup()

    def append(self, application_id: np.ndarray, person_id: np.ndarray, day: np.ndarray, events: np.ndarray) -> None:
        """Rows with aligned arrays: ids, days (datetime64[D]) and counts."""
        if not len(day):
            return
        rows = np.empty(len(day), dtype=_ROW)
        rows["application_id"] = application_id
        rows["person_id"] = person_id
        rows["day"] = np.asarray(day, dtype="datetime64[D]").astype(np.int64)
        rows["events"] = events
        target = np.maximum(np.searchsorted(self.starts, rows["application_id"], side="right") - 1, 0)
        self._spread(rows, target, self._handles)
        self.rows += len(rows)

    @staticmethod
    def _spread(rows: np.ndarray, target: np.ndarray, handles: list) -> None:
        # Few files: a stable sort of 16-bit file numbers is a radix sort.
        order = np.argsort(target.astype(np.int16 if len(handles) < 2**15 else np.int64), kind="stable")
        rows, target = rows[order], target[order]
        bounds = np.searchsorted(target, np.arange(len(handles) + 1))
        for index, handle in enumerate(handles):
            start, end = bounds[index], bounds[index + 1]
            if end > start:
                rows[start:end].tofile(handle)

    def parts(self) -> Iterator[ActivityPart]:
        """Every row, rolled up and sorted, one group of applications at a time."""
        for handle in self._handles:
            handle.flush()
        for path in self._paths:
            yield from self._parts_of(path, level=0)

    def _parts_of(self, path: Path, *, level: int) -> Iterator[ActivityPart]:
        size = path.stat().st_size // _ROW.itemsize
        if not size:
            return
        if size <= self.part_rows or level >= _MAX_LEVEL:
            # (Past a few levels the rows are all one person's use of one application: read them whole.)
            yield rolled_sorted(np.fromfile(path, dtype=_ROW))
            return
        # Too many rows for memory: split this file again by (application, person), a slice at a time.
        pieces = -(-size // self.part_rows) * 2
        paths = [path.with_name(f"{path.stem}-{index:03d}.rows") for index in range(pieces)]
        handles = [piece.open("wb") for piece in paths]
        try:
            with path.open("rb") as source:
                while len(rows := np.fromfile(source, dtype=_ROW, count=self.part_rows)):
                    self._spread(rows, _mixed(rows, level) % pieces, handles)
        finally:
            for handle in handles:
                handle.close()
        path.unlink()
        for piece in paths:
            yield from self._parts_of(piece, level=level + 1)
            piece.unlink()


_MAX_LEVEL = 4


def _mixed(rows: np.ndarray, level: int) -> np.ndarray:
    """A hash of (application, person), different at each level of splitting."""
    key = rows["application_id"].astype(np.uint64) * np.uint64(1_000_003) + rows["person_id"].astype(np.uint64)
    return (key * np.uint64(0x9E3779B97F4A7C15 + 2 * level)) >> np.uint64(33)


def rolled_sorted(rows: np.ndarray) -> ActivityPart:
    """The rows with one per (application, person, day), counts added up, in that order."""
    order = np.lexsort((rows["day"], rows["person_id"], rows["application_id"]))
    rows = rows[order]
    application_id, person_id, day = rows["application_id"], rows["person_id"], rows["day"]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (application_id[1:] != application_id[:-1]) | (person_id[1:] != person_id[:-1]) | (day[1:] != day[:-1])
    starts = np.flatnonzero(first)
    return ActivityPart(application_id[starts], person_id[starts], day[starts], np.add.reduceat(rows["events"], starts))
