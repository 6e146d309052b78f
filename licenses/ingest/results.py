"""What an ingest found and did: the core import result, plus the rows it skipped on purpose, with
its row errors capped so that a file of millions of bad rows does not fill the memory."""

from dataclasses import dataclass

from saasmgr.core.imports.results import ImportResult, RowError

# Row errors kept for the report; the counts still cover every error.
ERROR_LIMIT = 10_000


@dataclass
class IngestResult(ImportResult):
    # Rows that are not usage or not a seat by design (other event types, failed sign-ins, free users).
    skipped: int = 0
    error_total: int = 0
    bad_row_total: int = 0

    @property
    def bad_rows(self) -> int:
        return self.bad_row_total

    def add_rows(self, count: int, *, skipped: int = 0) -> None:
        self.rows += count
        self.skipped += skipped

    def add_errors(self, errors: list[RowError]) -> None:
        if not errors:
            return
        errors = sorted(errors, key=lambda error: error.row)
        self.error_total += len(errors)
        self.bad_row_total += len({error.row for error in errors})
        room = ERROR_LIMIT - len(self.errors)
        if room > 0:
            self.errors.extend(errors[:room])

    def to_dict(self, *, error_limit: int | None = None) -> dict:
        data = super().to_dict(error_limit=error_limit)
        data["error_count"] = self.error_total
        data["skipped"] = self.skipped
        return data
