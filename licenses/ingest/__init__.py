"""Usage and assignment ingest: streaming imports of usage exports into the Activity rollup, and of
assignment exports into license seats.

- ``formats``: the source formats (Okta, Google Workspace, Microsoft 365, Entra ID, Slack, Zoom,
  Atlassian, GitHub Copilot, generic) and how each is read;
- ``chunks`` and ``parsing``: reading a matched table in DataFrame chunks, vectorised cell parsing;
- ``usage`` and ``assignments``: the engines (resolve, stage, merge);
- ``spill``: the matched usage rows of an ingest, on disk by application until the file is read;
- ``writer``: the bulk writes into Activity and PendingActivity (COPY on PostgreSQL).

``usage_ingest_path`` ingests a local file of any size (no upload limit), for scripts and benchmarks.
"""

from pathlib import Path

from saasmgr.core.choices import ImportMode
from saasmgr.core.imports.reading import ImportFileError


def usage_ingest_path(
    path: str | Path,
    *,
    format: str = "generic",
    mode: str = ImportMode.ALL_OR_NOTHING,
    on_progress=None,
    chunk_rows: int | None = None,
):
    """Ingest the usage export at ``path`` (CSV or XLSX) in ``format``; returns its IngestResult.
    Raises ImportFileError when the file as a whole cannot be imported."""
    from licenses.ingest.formats import USAGE_FORMATS
    from licenses.ingest.usage import usage_import
    from saasmgr.core.imports.columns import match_headers
    from saasmgr.core.imports.reading import open_table

    if format not in USAGE_FORMATS:
        raise ImportFileError(f"Unknown usage format “{format}”. Known formats: {', '.join(USAGE_FORMATS)}.")
    source_format = USAGE_FORMATS[format]()
    path = Path(path)
    with path.open("rb") as fileobj, open_table(fileobj, name=path.name, upload=False) as table:
        match = match_headers(
            table.header, source_format.columns_for("usage"), ignored_headers=source_format.ignored_headers
        )
        if match.missing_required:
            raise ImportFileError(match.missing_message())
        return usage_import(
            source_format=source_format,
            table=table,
            match=match,
            mode=mode,
            on_progress=on_progress,
            chunk_rows=chunk_rows,
        )
