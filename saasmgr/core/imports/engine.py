"""The import engine: read the file, match its headers, validate every row, and
write the valid rows atomically in the chosen mode.

Modes:
- dry run: the real writes run in a transaction that is rolled back, so the counts
  are exact and nothing stays written;
- all or nothing: one bad row and nothing is written;
- valid rows: the bad rows are skipped and reported, the others written.

A streaming importer (``Importer.streams``) takes over once the header is matched: it
reads, checks and writes the table in chunks itself, so memory does not grow with the file.

Every row is checked cell by cell and across its own cells. The checks against the
database and the other rows (a manager's email, an owner that must exist) run on the
rows that passed those first checks, so a row with a bad date is not also told that
its manager is unknown: it gets the rest of its reasons once the date is fixed.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from django.db import DatabaseError, transaction

from saasmgr.core.choices import ImportMode
from saasmgr.core.imports.base import Importer, ParsedRow, Problem, WriteContext
from saasmgr.core.imports.columns import HeaderMatch, match_headers
from saasmgr.core.imports.parsers import CellError
from saasmgr.core.imports.reading import ImportFileError, Table, open_table
from saasmgr.core.imports.results import ImportResult, RowError

PROGRESS_EVERY = 200

# Stages of a run, in order, as reported to ``on_progress(stage, processed, total)``.
READING = "reading"
CHECKING = "checking"
WRITING = "writing"

ProgressCallback = Callable[[str, int, int | None], None]


def _no_progress(stage: str, processed: int, total: int | None) -> None:
    return None


@dataclass
class _Validation:
    rows: list[ParsedRow] = field(default_factory=list)
    problems: dict[int, list[Problem]] = field(default_factory=dict)

    def add(self, problem: Problem) -> None:
        self.problems.setdefault(problem.row, []).append(problem)


def import_file(
    *,
    importer: Importer,
    fileobj: BinaryIO,
    name: str,
    mode: str,
    mapping: dict[str, str] | None = None,
    user=None,
    on_progress: ProgressCallback | None = None,
    total_rows: int | None = None,
    upload: bool = True,
) -> ImportResult:
    """Run one import. Raises ImportFileError when the file as a whole cannot be imported.
    ``upload=False`` (a local file, not an upload) lifts the upload size limit."""
    on_progress = on_progress or _no_progress
    with open_table(fileobj, name=name, upload=upload) as table:
        match = header_match(importer, table, mapping)
        if match.missing_required:
            raise ImportFileError(match.missing_message())
        if importer.streams:
            return importer.import_table(
                table=table,
                match=match,
                name=name,
                mode=mode,
                user=user,
                on_progress=on_progress,
                total_rows=total_rows,
            )
        validation = _parse_rows(importer, table, match, on_progress, total_rows)
        description = table.describe()
    if not validation.rows:
        raise ImportFileError("The file has a header row but no data rows.")
    valid = _check_references(importer, validation, on_progress)

    result = ImportResult(rows=len(validation.rows), mode=mode, file=description)
    result.errors = _row_errors(validation, match)
    if valid and not (mode == ImportMode.ALL_OR_NOTHING and result.errors):
        _write(importer, valid, result, user=user, name=name, on_progress=on_progress)
    return result


def header_match(importer: Importer, table: Table, mapping: dict[str, str] | None) -> HeaderMatch:
    return match_headers(table.header, importer.columns, ignored_headers=importer.ignored_headers, mapping=mapping)


def parse_cells(match: HeaderMatch, number: int, cells: list[str]) -> tuple[ParsedRow, list[Problem]]:
    """Parse each matched cell of one row; blank cells carry no value."""
    values, raw, problems = {}, {}, []
    for index, column in match.by_index.items():
        text = cells[index] if index < len(cells) else ""
        if not text:
            if column.value_required:
                problems.append(Problem(number, column.name, f"A value is required: {column.accepted}.", value=""))
            continue
        raw[column.name] = text
        try:
            value = column.parser(text)
        except CellError as exc:
            problems.append(Problem(number, column.name, str(exc)))
            continue
        if value is not None:
            values[column.name] = value
    return ParsedRow(number, values, raw), problems


def _parse_rows(importer, table, match, on_progress, total_rows) -> _Validation:
    validation = _Validation()
    first_row_with_key: dict[tuple[str, str], int] = {}
    width = len(table.header)
    for count, (number, cells) in enumerate(table.rows, start=1):
        row, problems = parse_cells(match, number, cells)
        if any(cells[width:]):
            problems.append(
                Problem(number, "", f"The row has values beyond the last of the {width} header columns.", value="")
            )
        problems.extend(importer.clean_row(row))
        for column, key in importer.natural_keys(row):
            first = first_row_with_key.setdefault((column, key), number)
            if first != number:
                problems.append(Problem(number, column, importer.duplicate_message(column, first)))
        validation.rows.append(row)
        for problem in problems:
            validation.add(problem)
        if count % PROGRESS_EVERY == 0:
            on_progress(READING, count, total_rows)
    on_progress(READING, len(validation.rows), total_rows)
    return validation


def _check_references(importer: Importer, validation: _Validation, on_progress) -> list[ParsedRow]:
    """Database and cross-row checks, repeated while they reject rows: a row that refers
    to a rejected row (a manager whose own row is bad) is rejected too."""
    valid = [row for row in validation.rows if row.number not in validation.problems]
    on_progress(CHECKING, 0, len(valid))
    while valid:
        rejected = [row for row in validation.rows if row.number in validation.problems]
        numbers = {row.number for row in valid}
        problems = [p for p in importer.check_references(valid, rejected=rejected) if p.row in numbers]
        if not problems:
            break
        for problem in problems:
            validation.add(problem)
        valid = [row for row in valid if row.number not in validation.problems]
    on_progress(CHECKING, len(valid), len(valid))
    return valid


def _row_errors(validation: _Validation, match: HeaderMatch) -> list[RowError]:
    raw_by_row = {row.number: row.raw for row in validation.rows}
    order = {column.name: index for index, column in enumerate(match.columns)}
    errors = []
    for number in sorted(validation.problems):
        for problem in sorted(validation.problems[number], key=lambda p: order.get(p.column, -1)):
            value = raw_by_row[number].get(problem.column, "") if problem.value is None else problem.value
            errors.append(
                RowError(number, match.label(problem.column) if problem.column else "", value, problem.message)
            )
    return errors


def _write(importer, valid, result: ImportResult, *, user, name: str, on_progress) -> None:
    context = WriteContext(
        user=user,
        change_reason=f"Import of {name}"[:100],
        on_progress=lambda processed: on_progress(WRITING, processed, len(valid)),
    )
    dry_run = result.mode == ImportMode.DRY_RUN
    try:
        with transaction.atomic():
            counts = importer.write(valid, context=context)
            if dry_run:
                transaction.set_rollback(True)
    except DatabaseError as exc:
        raise ImportFileError(
            f"The database refused the import, so nothing was written: {exc}. "
            "Please report this: the rows passed validation."
        ) from exc
    result.created, result.updated, result.unchanged = counts.created, counts.updated, counts.unchanged
    result.also_created = counts.also_created
    result.written = not dry_run
