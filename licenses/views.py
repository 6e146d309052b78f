"""License pools, assignments, utilisation, reconciliation runs and their findings.

Access is checked by the access table; writes go through licenses.services and licenses.runs.
"""

import csv
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django_tables2 import RequestConfig

from licenses import filtersets, selectors, tables
from licenses.choices import FindingKind, RunStatus
from licenses.forms import LicensePoolForm, RunStartForm
from licenses.models import Finding, LicensePool, ReconciliationRun
from licenses.runs import reconciliation_run_start, run_is_stale
from licenses.services import license_pool_save
from saasmgr.core.access import role_may
from saasmgr.core.generic import ObjectDeleteView, ObjectDetailView, ObjectEditView, ObjectListView
from saasmgr.core.imports.results import neutralise_formula

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
POOL_ASSIGNMENTS_SHOWN = 25
POOL_FINDINGS_SHOWN = 10
IGNORED_PARAMS = ("page", "sort", "per_page", "view", "run")


def _per_page(request) -> int:
    value = request.GET.get("per_page", "")
    return int(value) if value.isdigit() and 0 < int(value) <= MAX_PAGE_SIZE else PAGE_SIZE


def _filtered(request, filterset_class, queryset):
    """(filterset, rows, whether a filter is set); invalid filters show their errors and filter nothing."""
    filterset = filterset_class(request.GET or None, queryset=queryset, request=request)
    rows = filterset.qs if filterset.is_bound and filterset.is_valid() else queryset
    active = any(v for k, v in request.GET.items() if k not in IGNORED_PARAMS)
    return filterset, rows, active


def _paginated(request, table):
    RequestConfig(request, paginate={"per_page": _per_page(request)}).configure(table)
    return table


# Pools


class PoolPage:
    namespace = "licenses"
    model = LicensePool

    def url_name(self, action: str) -> str:
        return f"licenses:pool_{action}"  # the access table's names, not the model's ("licensepool")


class PoolListView(PoolPage, ObjectListView):
    table_class = tables.PoolTable
    filterset_class = filtersets.LicensePoolFilterSet
    template_name = "licenses/pool_list.html"

    def get_queryset(self):
        return selectors.pool_list_queryset(today=timezone.localdate())


class PoolDetailView(PoolPage, ObjectDetailView):
    template_name = "licenses/pool_detail.html"

    def get_queryset(self):
        return selectors.pool_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        pool, today = self.object, timezone.localdate()
        overview = selectors.pool_overview(
            pool, today=today, assignments_shown=POOL_ASSIGNMENTS_SHOWN, findings_shown=POOL_FINDINGS_SHOWN
        )
        run = overview.run
        context.update(
            pool=pool,
            overview=overview,
            usage=overview.usage,
            active_since=today - timedelta(days=pool.threshold_days),
            threshold_source=selectors.threshold_source(pool),
            assignment_table=tables.PoolAssignmentTable(overview.assignments, orderable=False),
            assignments_url=reverse("licenses:assignment_list") + f"?pool={pool.pk}",
            findings_url=reverse("licenses:finding_list") + (f"?run={run.pk}&pool={pool.pk}" if run else ""),
            reporting_currency=settings.REPORTING_CURRENCY,
            can_delete=context["can_write"] and not pool.line_item_id,
        )
        return context


class PoolEditView(PoolPage, ObjectEditView):
    form_class = LicensePoolForm
    template_name = "licenses/pool_form.html"

    def form_valid(self, form):
        creating = form.instance.pk is None
        try:
            self.object = license_pool_save(pool=form.save(commit=False))
        except ValidationError as exc:
            form.add_error(None, exc)
            if creating:
                form.instance.pk = None
            return self.form_invalid(form)
        messages.success(self.request, f"{'Created' if creating else 'Saved'} license pool “{self.object}”.")
        return redirect(self.object)


class PoolDeleteView(PoolPage, ObjectDeleteView):
    def form_valid(self, form):
        if self.object.line_item_id:
            messages.error(
                self.request,
                f"“{self.object}” comes from contract {self.object.line_item.contract.number}: remove its line item "
                "from the contract instead, or the next change to the contract brings it back.",
            )
            return redirect(self.object)
        return super().form_valid(form)


# Assignments and utilisation


def assignment_list(request):
    today = timezone.localdate()
    filterset, rows, filtered = _filtered(
        request, filtersets.AssignmentFilterSet, selectors.assignment_queryset(today=today)
    )
    table = _paginated(request, tables.AssignmentTable(rows))
    context = {
        "filter": filterset,
        "filtered": filtered,
        "table": table,
        "total_count": selectors.assignment_queryset(today=today).count(),
        "reset_url": reverse("licenses:assignment_list"),
    }
    return render(request, "licenses/assignment_list.html", context)


def utilisation(request):
    today = timezone.localdate()
    filterset, pools, filtered = _filtered(request, filtersets.LicensePoolFilterSet, selectors.pool_queryset())
    rows = selectors.pool_usage(pools, today=today)
    table = _paginated(request, tables.UtilisationTable(rows, order_by=request.GET.get("sort") or "utilisation"))
    context = {
        "filter": filterset,
        "filtered": filtered,
        "table": table,
        "totals": selectors.usage_totals(rows),
        "total_count": LicensePool.objects.count(),
        "today": today,
        "default_threshold": settings.LICENSE_INACTIVITY_DAYS,
        "reporting_currency": settings.REPORTING_CURRENCY,
        "reset_url": reverse("licenses:utilisation"),
    }
    return render(request, "licenses/utilisation.html", context)


# Reconciliation runs


def run_list(request):
    may_start = role_may(request.user, "licenses:run_list", write=True)
    form = RunStartForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        asked_at = timezone.now()
        run = reconciliation_run_start(
            as_of=form.cleaned_data["as_of"], application=form.cleaned_data["application"], user=request.user
        )
        if run.created_at < asked_at:
            # reconciliation_run_start picks up an unfinished run of the same day and scope rather than
            # starting a second one.
            messages.info(
                request,
                f"Run #{run.pk} for the same as-of date and scope had not finished; it carries on from where it "
                "was (parts already done are kept).",
            )
        return redirect(run)
    filterset, runs, filtered = _filtered(request, filtersets.ReconciliationRunFilterSet, selectors.run_queryset())
    context = {
        "form": form,
        "may_start": may_start,
        "filter": filterset,
        "filtered": filtered,
        "table": _paginated(request, tables.RunTable(runs)),
        "total_count": ReconciliationRun.objects.count(),
        "reset_url": reverse("licenses:run_list"),
    }
    return render(request, "licenses/run_list.html", context, status=400 if form.is_bound else 200)


def _run_or_404(pk: int) -> ReconciliationRun:
    return get_object_or_404(selectors.run_queryset(), pk=pk)


def _run_context(request, run: ReconciliationRun) -> dict:
    polling = run.status in (RunStatus.QUEUED, RunStatus.RUNNING)
    context = {
        "run": run,
        "polling": polling,
        "stale": polling and run_is_stale(run),
        "reporting_currency": settings.REPORTING_CURRENCY,
        "may_start": role_may(request.user, "licenses:run_list", write=True),
    }
    if run.status == RunStatus.DONE:
        savings, risk = selectors.run_kind_totals(run)
        context.update(
            savings_kinds=savings,
            risk_kinds=risk,
            findings_url=reverse("licenses:finding_list") + f"?run={run.pk}",
            # The generic usage format is preselected; the page lists every other source's format too.
            import_url=reverse("core:import_new") + "?importer=usage:generic",
        )
    return context


def run_detail(request, pk: int):
    run = _run_or_404(pk)
    return render(request, "licenses/run_detail.html", _run_context(request, run))


@never_cache
def run_progress(request, pk: int):
    run = _run_or_404(pk)
    # The status badge in the page's heading changes with the bar: htmx swaps it in out of band.
    context = {**_run_context(request, run), "oob": bool(request.htmx)}
    response = render(request, "licenses/_run_progress.html", context)
    if request.htmx and run.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
        # The page around the bar was drawn while the run went on: reload it whole to show the summary.
        response["HX-Refresh"] = "true"
    return response


# Findings


def _chosen_run(request) -> ReconciliationRun | None:
    """``?run=<id>``, else the newest finished run."""
    value = request.GET.get("run", "")
    if not value:
        return selectors.latest_done_run()
    if not value.isdigit():
        raise Http404("No such reconciliation run.")
    return _run_or_404(int(value))


def _findings(request):
    run = _chosen_run(request)
    filterset, findings, filtered = _filtered(request, filtersets.FindingFilterSet, selectors.finding_queryset(run))
    return run, filterset, findings, filtered


def finding_list(request):
    run, filterset, findings, filtered = _findings(request)
    by_application = request.GET.get("view") == "applications"
    query = request.GET.copy()
    for name in ("page", "view"):
        query.pop(name, None)
    application_query = query.copy()
    for name in ("application", "sort"):
        application_query.pop(name, None)
    context = {
        "run": run,
        "filter": filterset,
        "filtered": filtered,
        "totals": selectors.finding_totals(findings),
        "by_application": by_application,
        "query": query.urlencode(),
        "application_query": application_query.urlencode(),
        "keep_params": [("run", run.pk)] if run and request.GET.get("run") else [],
        "reset_url": reverse("licenses:finding_list") + (f"?run={run.pk}" if request.GET.get("run") else ""),
        "reporting_currency": settings.REPORTING_CURRENCY,
        "kinds": FindingKind,
    }
    if by_application:
        context["keep_params"] = [*context["keep_params"], ("view", "applications")]
        context["applications"] = selectors.findings_by_application(findings)
    else:
        context["table"] = _paginated(request, tables.FindingTable(findings))
    return render(request, "licenses/finding_list.html", context)


class _Echo:
    def write(self, value):
        return value


CSV_HEADER = [
    "run",
    "as_of",
    "kind",
    "risk",
    "application",
    "license_pool",
    "person",
    "email",
    "department",
    "account",
    "seats",
    "last_seen",
    "days_idle",
    "termination_date",
    "assigned_on",
    "currency",
    "annual_cost_impact_local",
    f"annual_cost_impact_{settings.REPORTING_CURRENCY.lower()}",
]


def _csv_row(finding: Finding, run: ReconciliationRun) -> list[str]:
    person = finding.person
    values = [
        run.pk,
        run.as_of.isoformat(),
        finding.kind,
        "yes" if finding.is_risk else "no",
        finding.application.name,
        finding.pool.name if finding.pool_id else "",
        person.name if person else "",
        person.email if person else "",
        person.department.name if person and person.department_id else "",
        finding.account,
        finding.quantity,
        finding.last_seen.isoformat() if finding.last_seen else "",
        "" if finding.days_idle is None else finding.days_idle,
        finding.termination_date.isoformat() if finding.termination_date else "",
        finding.assigned_on.isoformat() if finding.assigned_on else "",
        finding.currency,
        "" if finding.annual_cost_impact_local is None else finding.annual_cost_impact_local,
        "" if finding.annual_cost_impact is None else finding.annual_cost_impact,
    ]
    return [neutralise_formula(value) for value in values]


def finding_csv(request):
    """The findings list's rows under the same filters, as CSV; every text cell is formula-safe."""
    run, _, findings, _ = _findings(request)
    writer = csv.writer(_Echo())

    def rows():
        yield "\ufeff" + writer.writerow(CSV_HEADER)  # the byte-order mark makes Excel read the accents right
        for finding in findings.iterator(chunk_size=2000):
            yield writer.writerow(_csv_row(finding, run))

    # Before any run has finished the file holds the header only.
    name = f"findings-run-{run.pk}-{run.as_of.isoformat()}.csv" if run else "findings.csv"
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
