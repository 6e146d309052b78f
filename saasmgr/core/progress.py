"""Progress of long-running work, readable by every process while the work runs.

The database cannot carry it: a worker's writes stay invisible until its transaction
commits (and SQLite would block the reader). Django's cache is shared by the web and
worker processes (file-based in the embedded default, Redis in production), so a
worker reports here and the web process polls here. When the work finishes, its
final numbers go to the database and this entry is dropped.
"""

import time
from dataclasses import asdict, dataclass

from django.core.cache import cache

PROGRESS_TIMEOUT_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class ProgressSnapshot:
    stage: str
    processed: int
    total: int
    percent: int
    reported_at: float  # seconds since the epoch

    @property
    def age_seconds(self) -> float:
        return time.time() - self.reported_at


def progress_report(key: str, *, stage: str, processed: int, total: int, percent: int) -> None:
    snapshot = ProgressSnapshot(stage, processed, total, max(0, min(100, percent)), time.time())
    cache.set(key, asdict(snapshot), PROGRESS_TIMEOUT_SECONDS)


def progress_read(key: str) -> ProgressSnapshot | None:
    stored = cache.get(key)
    if not isinstance(stored, dict):
        return None
    try:
        return ProgressSnapshot(**stored)
    except TypeError:  # written by an older version with other fields
        return None


def progress_clear(key: str) -> None:
    cache.delete(key)
