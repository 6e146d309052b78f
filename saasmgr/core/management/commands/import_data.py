"""python manage.py import_data KIND FILE [--format NAME] [--dry-run] [--valid-rows] [--json]

Runs in this process, whatever the file's size, so the exit status tells the outcome:
0 when no row is bad, 1 when some rows are bad, 2 when the file as a whole cannot be
imported (unknown kind or format, unreadable file, a required column missing).
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from saasmgr.core.choices import ImportMode
from saasmgr.core.imports.engine import import_file
from saasmgr.core.imports.reading import ImportFileError
from saasmgr.core.imports.registry import UnknownImporter, all_importers, get_importer
from saasmgr.core.imports.results import ImportResult, also_created_text, plural

EXIT_BAD_ROWS = 1
EXIT_FILE_ERROR = 2
VALUE_WIDTH = 40


class Command(BaseCommand):
    help = "Import people, applications, ... from a CSV or XLSX file. Exits 0 only when no row is bad."

    def add_arguments(self, parser):
        known = ", ".join(f"{i.kind} --format {i.format}" for i in all_importers())
        parser.add_argument("kind", help="What the file holds, e.g. people or applications.")
        parser.add_argument("file", help="A .csv or .xlsx file.")
        parser.add_argument("--format", default="generic", help=f"The file's source format. Known: {known}.")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--dry-run", action="store_true", help="Validate and count, write nothing.")
        mode.add_argument(
            "--valid-rows",
            action="store_true",
            help="Import the valid rows and skip the bad ones (default: all or nothing).",
        )
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args, **options):
        try:
            importer = get_importer(options["kind"], options["format"])
        except UnknownImporter as exc:
            raise CommandError(str(exc), returncode=EXIT_FILE_ERROR) from exc
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}", returncode=EXIT_FILE_ERROR)
        mode = (
            ImportMode.DRY_RUN
            if options["dry_run"]
            else ImportMode.VALID_ROWS
            if options["valid_rows"]
            else ImportMode.ALL_OR_NOTHING
        )
        try:
            with path.open("rb") as fileobj:
                result = import_file(importer=importer(), fileobj=fileobj, name=path.name, mode=mode, upload=False)
        except ImportFileError as exc:
            raise CommandError(f"{path.name}: {exc}", returncode=EXIT_FILE_ERROR) from exc

        if options["json"]:
            self.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, default=str))
        else:
            self.stdout.write(self._summary(result, importer.label(), path.name))
            if result.errors:
                self.stdout.write(self._error_table(result))
        if result.errors:
            raise CommandError(
                f"{result.bad_rows} of {result.rows} rows in {path.name} have errors.", returncode=EXIT_BAD_ROWS
            )

    def _summary(self, result: ImportResult, label: str, name: str) -> str:
        counts = f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged"
        lines = [f"{label} from {name} ({result.file}): {plural(result.rows, 'row')}, {result.bad_rows} with errors."]
        if result.mode == ImportMode.DRY_RUN:
            lines.append(f"Dry run, nothing was written. Importing the valid rows would give: {counts}.")
        elif not result.written and result.errors:
            lines.append("Nothing was written because some rows have errors. Fix them, or pass --valid-rows.")
        else:
            lines.append(f"Imported: {counts}.")
        if also := also_created_text(result.also_created):
            lines.append(f"{'Would also create' if result.mode == ImportMode.DRY_RUN else 'Also created'}: {also}.")
        return "\n".join(lines)

    def _error_table(self, result: ImportResult) -> str:
        rows = [("Row", "Column", "Value", "Message")] + [
            (str(e.row), e.column, _shorten(e.value), e.message) for e in result.errors
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        return "\n".join(
            "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)) + "  " + row[3]
            for row in rows
        )


def _shorten(value: str) -> str:
    return value if len(value) <= VALUE_WIDTH else value[: VALUE_WIDTH - 1] + "…"
