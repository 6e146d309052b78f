"""Import pages: the list of imports, a new upload, the preview and mapping with the
run buttons, the progress partial polled by htmx, and the CSV downloads.

A file of at most IMPORT_BACKGROUND_ROWS rows runs inside the request and the page
shows its result at once; a bigger one runs on a Celery worker while the page polls
its progress.
"""

import csv
import io

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from saasmgr.core.choices import ImportJobStatus, ImportMode
from saasmgr.core.forms import ColumnMappingForm, ImportUploadForm
from saasmgr.core.imports.base import Importer
from saasmgr.core.imports.columns import match_headers
from saasmgr.core.imports.engine import CHECKING
from saasmgr.core.imports.preview import import_job_preview
from saasmgr.core.imports.reading import ImportFileError
from saasmgr.core.imports.registry import UnknownImporter, all_importers, get_importer, importers_for
from saasmgr.core.imports.results import also_created_text, errors_csv
from saasmgr.core.imports.services import (
    ImportJobBusy,
    import_job_create,
    import_job_progress_key,
    import_job_set_mapping,
    import_job_start,
)
from saasmgr.core.models import ImportJob
from saasmgr.core.progress import progress_read

ERRORS_SHOWN = 200
BUSY = (ImportJobStatus.QUEUED, ImportJobStatus.RUNNING)
STAGE_LABELS = {"reading": "Reading and checking rows", "checking": "Checking references", "writing": "Writing rows"}


def _job_and_importer(request, pk: int) -> tuple[ImportJob, type[Importer]]:
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=pk)
    try:
        importer = get_importer(job.kind, job.format)
    except UnknownImporter as exc:
        raise Http404(str(exc)) from exc
    if not importer.may_run(request.user):
        raise PermissionDenied(f"Your role may not run imports of {importer.kind_label.lower()}.")
    return job, importer


def import_list(request):
    allowed = Q(pk__in=[])
    for importer in importers_for(request.user):
        allowed |= Q(kind=importer.kind, format=importer.format)
    jobs = ImportJob.objects.filter(allowed).select_related("created_by").order_by("-created_at")
    page = Paginator(jobs, 25).get_page(request.GET.get("page"))
    labels = {importer.key(): importer.label() for importer in all_importers()}
    rows = [(job, labels.get(f"{job.kind}:{job.format}", f"{job.kind}: {job.format}")) for job in page]
    return render(request, "core/import_list.html", {"page_obj": page, "rows": rows})


def import_new(request):
    form = ImportUploadForm(
        request.POST or None,
        request.FILES or None,
        user=request.user,
        initial={"importer": request.GET.get("importer")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_create(
                importer=form.importer_class, uploaded_file=form.cleaned_data["file"], user=request.user
            )
        except ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("core:import_detail", pk=job.pk)
    return render(request, "core/import_new.html", {"form": form, "importers": form.importers.values()})


def import_detail(request, pk: int):
    job, importer = _job_and_importer(request, pk)
    preview = import_job_preview(job=job)
    mapping_form = None
    if preview.match is not None:
        automatic = match_headers(preview.match.headers, importer.columns, ignored_headers=importer.ignored_headers)
        mapping_form = ColumnMappingForm(request.POST or None, match=preview.match, automatic=automatic)
    if request.method == "POST":
        return _detail_post(request, job, mapping_form)
    context = {
        "job": job,
        "importer": importer,
        "preview": preview,
        "mapping_form": mapping_form,
        "busy": job.status in BUSY,
        "modes": ImportMode,
        "background_rows": settings.IMPORT_BACKGROUND_ROWS,
        **_status_context(job),
    }
    return render(request, "core/import_detail.html", context)


def _detail_post(request, job: ImportJob, mapping_form: ColumnMappingForm | None):
    if job.status in BUSY:
        messages.error(request, "This import is already queued or running; wait for it to finish.")
        return redirect("core:import_detail", pk=job.pk)
    if mapping_form is None or not mapping_form.is_valid():
        messages.error(request, "The file could not be read, so nothing was run.")
        return redirect("core:import_detail", pk=job.pk)
    import_job_set_mapping(job=job, mapping=mapping_form.mapping())
    mode = request.POST.get("mode", "")
    if mode not in ImportMode.values:
        messages.success(request, "Saved the column mapping.")
        return redirect("core:import_detail", pk=job.pk)
    match = import_job_preview(job=job, limit=0).match
    if match is None or match.missing_required:
        messages.error(request, "Map every required column before running the import.")
        return redirect("core:import_detail", pk=job.pk)
    try:
        ran = import_job_start(job=job, mode=mode)
    except ImportJobBusy as exc:
        messages.error(request, str(exc))
    else:
        if not ran:
            messages.info(request, f"The file has {job.total_rows:,} rows, so it runs in the background.")
    return redirect(reverse("core:import_detail", args=[job.pk]) + "#import-status")


@never_cache
def import_progress(request, pk: int):
    job, _ = _job_and_importer(request, pk)
    response = render(request, "core/import_progress.html", {"job": job, **_status_context(job)})
    if request.htmx and job.is_finished:
        # The page around the bar (status badge, disabled buttons) was drawn while the job ran:
        # reload it whole once the job ends.
        response["HX-Refresh"] = "true"
    return response


def _status_context(job: ImportJob) -> dict:
    """What the status partial needs: live progress from the cache while the job runs,
    the stored result once it is done."""
    context = {"polling": job.status in BUSY, "percent": 0, "stage": "", "processed": 0, "total": job.total_rows}
    if job.status == ImportJobStatus.RUNNING and (snapshot := progress_read(import_job_progress_key(job.pk))):
        context.update(
            percent=snapshot.percent,
            stage=STAGE_LABELS.get(snapshot.stage, snapshot.stage),
            processed=snapshot.processed,
            # References are checked in one pass with no count in between: "0 of 8,000" would look stuck.
            total=0 if snapshot.stage == CHECKING else snapshot.total,
        )
    if job.status == ImportJobStatus.DONE:
        result = job.result or {}
        errors = result.get("errors", [])
        context.update(
            result=result,
            errors_shown=errors[:ERRORS_SHOWN],
            errors_hidden=max(0, result.get("error_count", len(errors)) - ERRORS_SHOWN),
            errors_not_kept=max(0, result.get("error_count", len(errors)) - len(errors)),
            also_created=also_created_text(result.get("also_created", {})),
            is_dry_run=result.get("mode") == ImportMode.DRY_RUN,
        )
    return context


def import_errors_csv(request, pk: int):
    job, _ = _job_and_importer(request, pk)
    errors = (job.result or {}).get("errors", [])
    # The byte-order mark makes Excel read the accents right.
    response = HttpResponse("\ufeff" + errors_csv(errors), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response


def import_template_csv(request, kind: str):
    try:
        importer = get_importer(kind, request.GET.get("format") or "generic")
    except UnknownImporter as exc:
        raise Http404(str(exc)) from exc
    if not importer.may_run(request.user):
        raise PermissionDenied(f"Your role may not run imports of {importer.kind_label.lower()}.")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(importer.template_headers())
    writer.writerow([column.example for column in importer.columns])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    suffix = "" if importer.format == "generic" else f"-{importer.format}"
    response["Content-Disposition"] = f'attachment; filename="{importer.kind}{suffix}-template.csv"'
    return response
