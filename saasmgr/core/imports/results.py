"""What an import found and did: per-row errors and the counts, and the errors as CSV."""

import csv
import io
from dataclasses import asdict, dataclass, field

# Spreadsheets run a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    value: str
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    mode: str = ""
    written: bool = False
    # Other records the import created on the way, by singular noun: {"department": 2}.
    also_created: dict[str, int] = field(default_factory=dict)
    file: str = ""

    @property
    def bad_rows(self) -> int:
        return len({error.row for error in self.errors})

    def to_dict(self, *, error_limit: int | None = None) -> dict:
        """The CLI's --json shape (rows, created, updated, unchanged, errors first), then the rest."""
        kept = self.errors if error_limit is None else self.errors[:error_limit]
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [error.as_dict() for error in kept],
            "bad_rows": self.bad_rows,
            "error_count": len(self.errors),
            "mode": self.mode,
            "written": self.written,
            "also_created": self.also_created,
            "file": self.file,
        }


def plural(count: int, noun: str) -> str:
    """``plural(2, "category")`` -> ``"2 categories"``; nouns are English and regular."""
    if count == 1:
        return f"1 {noun}"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return f"{count} {noun[:-1]}ies"
    return f"{count} {noun}{'es' if noun.endswith(('s', 'x', 'ch', 'sh')) else 's'}"


def also_created_text(also_created: dict[str, int]) -> str:
    return ", ".join(plural(count, noun) for noun, count in also_created.items() if count)


def neutralise_formula(value) -> str:
    """Prefix a quote so a spreadsheet shows the text instead of running it as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def errors_csv(errors: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "column", "value", "message"])
    for error in errors:
        writer.writerow([neutralise_formula(error[key]) for key in ("row", "column", "value", "message")])
    return out.getvalue()
