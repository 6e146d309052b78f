"""A small importer of auth groups, so the import framework is tested without any app above core."""

from django.contrib.auth.models import Group
from django.db import IntegrityError

from saasmgr.core.choices import Role
from saasmgr.core.imports.base import Importer, ParsedRow, Problem, WriteContext, WriteCounts
from saasmgr.core.imports.columns import Column
from saasmgr.core.imports.parsers import ChoiceParser, TextParser


class GroupImporter(Importer):
    kind = "test-groups"
    kind_label = "Test groups"
    roles = frozenset({Role.ADMIN})
    natural_key_help = "the name"
    columns = (
        Column("name", ("Group name",), required=True, parser=TextParser(150)),
        Column("colour", ("Colour",), parser=ChoiceParser({"red": "red", "blue": "blue"}, shown=["red", "blue"])),
        Column("parent", ("Parent group",)),
    )

    def natural_keys(self, row: ParsedRow):
        if "name" in row.values:
            yield "name", row.values["name"].lower()

    def check_references(self, rows, *, rejected):
        """A parent must be another valid row of the file, or an existing group."""
        names = {row.values["name"] for row in rows}
        rejected_names = {row.values.get("name"): row.number for row in rejected}
        for row in rows:
            parent = row.values.get("parent")
            if parent and parent not in names and not Group.objects.filter(name=parent).exists():
                where = f" (row {rejected_names[parent]} has errors)" if parent in rejected_names else ""
                yield Problem(row.number, "parent", f"No such group{where}.")

    def write(self, rows, *, context: WriteContext) -> WriteCounts:
        counts = WriteCounts()
        for index, row in enumerate(rows, start=1):
            if row.values["name"] == "explode":
                raise IntegrityError("duplicate key value violates unique constraint")
            _, created = Group.objects.get_or_create(name=row.values["name"])
            if created:
                counts.created += 1
            else:
                counts.unchanged += 1
            if index % context.chunk_size == 0:
                context.on_progress(index)
        context.on_progress(len(rows))
        return counts
