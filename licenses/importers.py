"""Importers of the licenses app: usage (ten source formats) and assignments (eight), registered in
LicensesConfig.ready. Both stream: the ingest engines in ``licenses.ingest`` read, check and write
the file in chunks once the import framework has matched its header.

An export that carries both (Okta's Current Assignments report, the Google, Microsoft 365, Slack,
Zoom, Atlassian and GitHub Copilot user lists) is imported once as usage (the last-seen days) and
once as assignments (the seats): each import counts and reports what it writes."""

from typing import ClassVar

from licenses.ingest.assignments import assignments_import
from licenses.ingest.formats import ASSIGNMENT_FORMATS, USAGE_FORMATS, SourceFormat
from licenses.ingest.usage import usage_import
from saasmgr.core.access import IT
from saasmgr.core.imports.base import Importer
from saasmgr.core.imports.registry import register_importer


class UsageImporter(Importer):
    kind = "usage"
    kind_label = "Usage"
    roles = IT
    streams = True
    natural_key_help = (
        "person, application and day (a day keeps the largest count any import reported, so importing a file "
        "again changes nothing)"
    )
    source_format: ClassVar[type[SourceFormat]]

    def import_table(self, *, table, match, name, mode, user, on_progress, total_rows):
        return usage_import(
            source_format=self.source_format(),
            table=table,
            match=match,
            mode=mode,
            on_progress=on_progress,
            total_rows=total_rows,
        )


class AssignmentImporter(Importer):
    kind = "assignments"
    kind_label = "License assignments"
    roles = IT
    streams = True
    natural_key_help = "license pool and account (ignoring case); a seat missing from the file is not ended"
    source_format: ClassVar[type[SourceFormat]]

    def import_table(self, *, table, match, name, mode, user, on_progress, total_rows):
        return assignments_import(
            source_format=self.source_format(),
            table=table,
            match=match,
            mode=mode,
            user=user,
            name=name,
            on_progress=on_progress,
            total_rows=total_rows,
        )


def _importer(base: type[Importer], source_format: type[SourceFormat]) -> type[Importer]:
    words = source_format.key.title().replace("-", "")
    return type(
        f"{words}{base.__name__}",
        (base,),
        {
            "__module__": __name__,
            "format": source_format.key,
            "format_label": source_format.label,
            "description": source_format.description,
            "columns": source_format.columns_for(base.kind),
            "ignored_headers": source_format.ignored_headers,
            "source_format": source_format,
        },
    )


for _format in USAGE_FORMATS.values():
    register_importer(_importer(UsageImporter, _format))
for _format in ASSIGNMENT_FORMATS.values():
    register_importer(_importer(AssignmentImporter, _format))
