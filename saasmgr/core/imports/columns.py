"""Columns an importer accepts, and how a file's headers are matched to them:
by name and alias, ignoring case, spaces, punctuation and bracketed notes such as
``[Required]``; never by position."""

import re
from dataclasses import dataclass, field

from saasmgr.core.imports.parsers import Parser, TextParser, normalise_token

_BRACKETED_NOTE = re.compile(r"\[[^\]]*\]")

# A header mapped to this value in ImportJob.column_mapping is ignored on purpose.
IGNORE = ""


def normalise_header(header: str) -> str:
    """``"Email Address [Required]"`` -> ``"emailaddress"``; ``"Employee #"`` -> ``"employeenumber"``."""
    return normalise_token(_BRACKETED_NOTE.sub(" ", header).replace("#", " number "))


@dataclass(frozen=True)
class Column:
    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    parser: Parser = field(default_factory=TextParser)
    help: str = ""
    example: str = ""
    # A required column is also satisfied when all of these are present (name, or first and last name).
    satisfied_by: tuple[str, ...] = ()

    @property
    def match_keys(self) -> set[str]:
        return {normalise_header(self.name), *(normalise_header(alias) for alias in self.aliases)}

    @property
    def value_required(self) -> bool:
        """Every row needs a value; columns with alternatives check their rows themselves."""
        return self.required and not self.satisfied_by

    @property
    def accepted(self) -> str:
        return self.parser.accepted


@dataclass
class HeaderMatch:
    """How the headers of one file line up with an importer's columns."""

    headers: list[str]
    columns: tuple[Column, ...]
    by_index: dict[int, Column] = field(default_factory=dict)
    header_for: dict[str, str] = field(default_factory=dict)  # column name -> header in the file
    mapped_by_hand: dict[str, str] = field(default_factory=dict)  # header -> column name (or IGNORE)
    unknown: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    duplicates: dict[str, str] = field(default_factory=dict)  # header -> column it also matches

    @property
    def matched(self) -> list[tuple[str, Column]]:
        return [(self.headers[index], column) for index, column in sorted(self.by_index.items())]

    @property
    def unmatched_columns(self) -> list[Column]:
        return [column for column in self.columns if column.name not in self.header_for]

    @property
    def missing_required(self) -> list[Column]:
        present = set(self.header_for)
        return [
            column
            for column in self.columns
            if column.required
            and column.name not in present
            and not (column.satisfied_by and present.issuperset(column.satisfied_by))
        ]

    def label(self, column_name: str) -> str:
        """The header a person sees in their file for this column (or the column's own name)."""
        return self.header_for.get(column_name, column_name)

    def missing_message(self) -> str:
        parts = []
        for column in self.missing_required:
            names = ", ".join(f"“{name}”" for name in (column.name, *column.aliases))
            either = f" (or both {' and '.join(column.satisfied_by)})" if column.satisfied_by else ""
            parts.append(f"{column.name}{either}: a header named {names}")
        found = ", ".join(f"“{h}”" for h in self.headers if h.strip()) or "none"
        return (
            f"The file is missing {len(parts)} required column{'s' if len(parts) != 1 else ''}: "
            + "; ".join(parts)
            + f". The headers found are: {found}. Rename a header, or map it to the column on the import page."
        )


def match_headers(headers: list[str], columns: tuple[Column, ...], *, ignored_headers=(), mapping=None) -> HeaderMatch:
    """Match by the mapping a person chose first, then by name and alias; the first header wins."""
    match = HeaderMatch(headers=headers, columns=columns)
    by_name = {column.name: column for column in columns}
    by_key = {key: column for column in columns for key in column.match_keys}
    ignored_keys = {normalise_header(header) for header in ignored_headers}
    mapping = mapping or {}

    for index, header in enumerate(headers):
        if header in mapping and (mapping[header] == IGNORE or mapping[header] in by_name):
            match.mapped_by_hand[header] = mapping[header]
            if mapping[header] == IGNORE:
                match.ignored.append(header)
            elif mapping[header] in match.header_for:
                match.duplicates[header] = mapping[header]
            else:
                _assign(match, index, by_name[mapping[header]])
    for index, header in enumerate(headers):
        if not header.strip() or header in match.mapped_by_hand:
            continue
        key = normalise_header(header)
        column = by_key.get(key)
        if column is None:
            (match.ignored if key in ignored_keys else match.unknown).append(header)
        elif column.name in match.header_for:
            match.duplicates[header] = column.name
        else:
            _assign(match, index, column)
    return match


def _assign(match: HeaderMatch, index: int, column: Column) -> None:
    match.by_index[index] = column
    match.header_for[column.name] = match.headers[index]
