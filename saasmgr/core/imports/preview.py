"""The preview of an uploaded file: how its headers match, and its first rows as parsed."""

from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice

from saasmgr.core.imports.columns import HeaderMatch
from saasmgr.core.imports.engine import header_match, parse_cells
from saasmgr.core.imports.reading import ImportFileError, open_table
from saasmgr.core.imports.registry import UnknownImporter, get_importer
from saasmgr.core.models import ImportJob

PREVIEW_ROWS = 10


@dataclass(frozen=True)
class PreviewCell:
    text: str
    shown: str
    error: str = ""


@dataclass
class Preview:
    match: HeaderMatch | None = None
    file_description: str = ""
    rows: list[tuple[int, list[PreviewCell]]] = field(default_factory=list)
    error: str = ""

    @property
    def columns(self):
        return self.match.matched if self.match else []


def import_job_preview(*, job: ImportJob, limit: int = PREVIEW_ROWS) -> Preview:
    try:
        importer = get_importer(job.kind, job.format)
        with job.file.open("rb") as fileobj, open_table(fileobj, name=job.original_name) as table:
            match = header_match(importer, table, job.column_mapping)
            preview = Preview(match=match, file_description=table.describe())
            for number, cells in islice(table.rows, limit):
                preview.rows.append((number, _preview_cells(match, number, cells)))
    except (ImportFileError, UnknownImporter) as exc:
        return Preview(error=str(exc))
    except FileNotFoundError:
        return Preview(error="The uploaded file is gone; upload it again.")
    return preview


def _preview_cells(match: HeaderMatch, number: int, cells: list[str]) -> list[PreviewCell]:
    row, problems = parse_cells(match, number, cells)
    errors = {problem.column: problem.message for problem in problems}
    return [
        PreviewCell(
            text=row.raw.get(column.name, ""),
            shown=_shown(row.values.get(column.name)),
            error=errors.get(column.name, ""),
        )
        for _, column in match.matched
    ]


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M %Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
