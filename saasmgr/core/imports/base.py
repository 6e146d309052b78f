"""The contract of an importer: one class per (kind, format), registered in the registry.

core knows nothing about what is imported. An app declares the columns, the roles
that may run the import, the natural keys that must be unique in the file, the
checks against the database, and the upsert; the engine does the rest.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from saasmgr.core.imports.columns import Column
from saasmgr.core.roles import roles_of


@dataclass(slots=True)
class ParsedRow:
    """One data row: ``values`` holds the parsed, non-blank cells by column name;
    ``raw`` the text of the cells, for error messages."""

    number: int
    values: dict[str, Any]
    raw: dict[str, str]

    def get(self, column: str, default=None):
        return self.values.get(column, default)


@dataclass(frozen=True)
class Problem:
    """A row error before its column is given the name of the file's header."""

    row: int
    column: str
    message: str
    value: str | None = None  # None: the cell's own text


@dataclass
class WriteCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    also_created: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class WriteContext:
    user: Any
    change_reason: str
    # Called with the number of rows written so far, after every chunk.
    on_progress: Callable[[int], None] = lambda processed: None
    chunk_size: int = 200


class Importer:
    # Templates get importer classes; they must not instantiate them.
    do_not_call_in_templates: ClassVar[bool] = True
    kind: ClassVar[str]
    format: ClassVar[str] = "generic"
    kind_label: ClassVar[str]
    format_label: ClassVar[str] = "Generic CSV or XLSX"
    description: ClassVar[str] = ""
    roles: ClassVar[frozenset[str]]
    columns: ClassVar[tuple[Column, ...]]
    # Headers the source always has that this importer does not use: not reported as unknown.
    ignored_headers: ClassVar[tuple[str, ...]] = ()
    natural_key_help: ClassVar[str] = ""
    # A streaming importer reads and writes the table itself, chunk by chunk, once its header is
    # matched (see ``import_table``): for files too big to hold as parsed rows, such as usage logs.
    streams: ClassVar[bool] = False

    @classmethod
    def key(cls) -> str:
        return f"{cls.kind}:{cls.format}"

    @classmethod
    def label(cls) -> str:
        return f"{cls.kind_label}: {cls.format_label}"

    @classmethod
    def column(cls, name: str) -> Column:
        return next(column for column in cls.columns if column.name == name)

    @classmethod
    def may_run(cls, user) -> bool:
        return bool(roles_of(user) & cls.roles)

    @classmethod
    def template_headers(cls) -> list[str]:
        """The generic format uses the column names; a named format the headers of its source."""
        if cls.format == "generic":
            return [column.name for column in cls.columns]
        return [column.aliases[0] if column.aliases else column.name for column in cls.columns]

    # Hooks, in the order the engine calls them.

    def clean_row(self, row: ParsedRow) -> Iterable[Problem]:
        """Checks across the cells of one row; may add derived values to ``row.values``."""
        return ()

    def natural_keys(self, row: ParsedRow) -> Iterable[tuple[str, str]]:
        """(column, normalised value) pairs that no two rows of one file may share."""
        return ()

    def duplicate_message(self, column: str, first_row: int) -> str:
        """What a row is told when row ``first_row`` already has its natural key in ``column``."""
        return f"Row {first_row} has the same {column.replace('_', ' ')}."

    def check_references(self, rows: list[ParsedRow], *, rejected: list[ParsedRow]) -> Iterable[Problem]:
        """Checks against the database and across rows, for the rows still valid; ``rejected``
        are the rows already in error, so a message can point at them."""
        return ()

    def write(self, rows: list[ParsedRow], *, context: WriteContext) -> WriteCounts:
        """Upsert the valid rows; runs inside the import's transaction."""
        raise NotImplementedError

    # The streaming alternative to the hooks above.

    def import_table(self, *, table, match, name: str, mode: str, user, on_progress, total_rows: int | None):
        """Import ``table`` (a ``reading.Table`` whose header ``match`` has every required column) and
        return its ``ImportResult``. Only called when ``streams`` is set; the importer then owns the
        modes (dry run, all or nothing, valid rows), its transaction and progress reports
        (``on_progress(stage, processed, total)``), and raises ``ImportFileError`` for a file that
        cannot be imported as a whole."""
        raise NotImplementedError
