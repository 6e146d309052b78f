"""Contract and renewal pages. Access is checked by the access table; writes go through renewals.services."""

import calendar as calendar_module
from datetime import date
from pathlib import PurePath

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_tables2 import RequestConfig

from renewals import filtersets, selectors, tables
from renewals.calendar import renewal_calendar
from renewals.choices import RenewalStage
from renewals.forms import (
    ContractDocumentForm,
    ContractForm,
    LineItemFormSet,
    RenewalCloseForm,
    RenewalForm,
    RenewalMoveForm,
    document_max_bytes,
    line_item_initial,
)
from renewals.models import CalendarFeed, Contract, ContractDocument, Renewal
from renewals.pricing import PricingError
from renewals.reminders import reminder_stages_for
from renewals.services import (
    RenewalError,
    calendar_feed_ensure,
    calendar_feed_rotate,
    contract_document_add,
    contract_save,
    renewal_close,
    renewal_update,
)
from renewals.templatetags.renewal_tags import money
from saasmgr.core.access import role_may
from saasmgr.core.generic import ObjectDeleteView, ObjectDetailView, ObjectListView, history_rows

BOARD_CARD_LIMIT = 50
TABLE_PAGE_SIZE = 50
LINE_ITEM_PREFIX = "lines"


def _posted(request):
    """The form data of a POST (even an empty one, so that it is validated), None for a GET."""
    return request.POST if request.method == "POST" else None


def _filtered(request, filterset_class, queryset):
    filterset = filterset_class(request.GET or None, queryset=queryset, request=request)
    rows = filterset.qs if filterset.is_bound and filterset.is_valid() else queryset
    active = any(v for k, v in request.GET.items() if k not in ("page", "sort", "per_page", "view"))
    return filterset, rows, active


def _paginated(request, table):
    RequestConfig(request, paginate={"per_page": TABLE_PAGE_SIZE}).configure(table)
    return table


# Contracts


class ContractPage:
    namespace = "renewals"


class ContractListView(ContractPage, ObjectListView):
    template_name = "renewals/contract_list.html"
    queryset = selectors.contract_queryset()
    table_class = tables.ContractTable
    filterset_class = filtersets.ContractFilterSet

    def get_table_kwargs(self):
        return {"today": timezone.localdate()}


class ContractDetailView(ContractPage, ObjectDetailView):
    model = Contract
    template_name = "renewals/contract_detail.html"

    def get_queryset(self):
        return selectors.contract_queryset().prefetch_related("line_items")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contract = self.object
        reporting = selectors.contract_reporting_values(contract)
        context.update(
            today=timezone.localdate(),
            reporting=reporting,
            line_rows=selectors.line_item_rows(contract, rate=reporting.rate),
            documents=contract.documents.select_related("uploaded_by"),
            renewals=contract.renewals.select_related("owner").order_by("-term_end"),
            document_form=ContractDocumentForm(),
            document_max=document_max_bytes(),
            can_upload=role_may(self.request.user, "renewals:contract_document_upload", write=True),
            fx_add_url=reverse("core:fxrate_add") + f"?currency={contract.currency}&date={contract.start_date}",
        )
        return context


class ContractDeleteView(ContractPage, ObjectDeleteView):
    model = Contract


def _line_item_formset(request, contract: Contract | None):
    if request.method != "POST":
        initial = line_item_initial(contract) if contract else []
        formset = LineItemFormSet(initial=initial, prefix=LINE_ITEM_PREFIX)
        formset.extra = 1 if initial else 2
        return formset
    data = request.POST
    if "add_line" in data:
        data = _with_blank_line(data)
    return LineItemFormSet(data, prefix=LINE_ITEM_PREFIX)


def _with_blank_line(post):
    """The posted lines plus one blank line holding the defaults, so that leaving it untouched adds nothing."""
    data = post.copy()
    total = data.get(f"{LINE_ITEM_PREFIX}-TOTAL_FORMS", "")
    index = int(total) if total.isdigit() else 0
    data[f"{LINE_ITEM_PREFIX}-TOTAL_FORMS"] = str(index + 1)
    for name, field in LineItemFormSet.form.base_fields.items():
        if field.initial is not None:
            data[f"{LINE_ITEM_PREFIX}-{index}-{name}"] = str(field.initial)
    return data


def contract_edit(request, pk: int | None = None):
    """Add a contract (no pk) or edit one, with its line items, saved in one go by contract_save."""
    contract = get_object_or_404(Contract, pk=pk) if pk else None
    form = ContractForm(_posted(request), instance=contract, initial=None if contract else {"owner": request.user.pk})
    formset = _line_item_formset(request, contract)
    if request.method == "POST" and "add_line" not in request.POST:
        forms_valid = form.is_valid()
        if formset.is_valid() and forms_valid:
            saved = _contract_save_from_forms(form, formset)
            if saved is not None:
                verb = "Saved" if contract else "Created"
                messages.success(
                    request,
                    f"{verb} contract {saved.number}: annual value {money(saved.annual_value, saved.currency)}, "
                    f"total contract value {money(saved.total_value, saved.currency)}.",
                )
                return redirect(saved)
    context = {
        "form": form,
        "formset": formset,
        "object": contract,
        "list_url": reverse("renewals:contract_list"),
        "line_error_count": sum(1 for f in formset.forms if f.errors) if formset.is_bound else 0,
    }
    return render(request, "renewals/contract_form.html", context)


def _contract_save_from_forms(form, formset) -> Contract | None:
    """Save through the service; a rule the service refuses becomes a form error and nothing is written."""
    contract = form.save(commit=False)
    creating = contract.pk is None
    try:
        return contract_save(
            contract=contract, line_items=formset.line_items(), applications=form.cleaned_data["applications"]
        )
    except ValidationError as exc:
        form.add_error(None, exc)
    except PricingError as exc:
        form.add_error(None, str(exc))
    if creating:
        contract.pk = None  # the transaction was rolled back; the page is still an "add" page
    return None


def contract_document_upload(request, pk: int):
    contract = get_object_or_404(Contract, pk=pk)
    form = ContractDocumentForm(_posted(request), request.FILES if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        document = contract_document_add(
            contract=contract, upload=form.cleaned_data["file"], name=form.cleaned_data["name"], user=request.user
        )
        messages.success(request, f"Uploaded “{document.name}”.")
        return redirect(f"{contract.get_absolute_url()}#documents")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "contract": contract, "document_max": document_max_bytes()}
    return render(request, "renewals/contract_document_form.html", context, status=status)


def contract_document_download(request, pk: int):
    """Documents are served only through this view, after login, never from a public media URL."""
    document = get_object_or_404(ContractDocument, pk=pk)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file of this document is missing from storage.") from exc
    return FileResponse(handle, as_attachment=True, filename=_download_name(document))


def _download_name(document: ContractDocument) -> str:
    stored = PurePath(document.file.name)
    name = document.name or stored.name
    return name if PurePath(name).suffix.lower() == stored.suffix.lower() else f"{name}{stored.suffix}"


# Pipeline, at risk, calendar


def pipeline(request):
    today = timezone.localdate()
    as_table = request.GET.get("view") == "table"
    filterset_class = filtersets.RenewalTableFilterSet if as_table else filtersets.RenewalFilterSet
    filterset, renewals, filtered = _filtered(request, filterset_class, selectors.pipeline_renewals())
    context = {
        "filter": filterset,
        "filtered": filtered,
        "as_table": as_table,
        "today": today,
        "total_count": selectors.pipeline_renewals().count(),
        "may_move": role_may(request.user, "renewals:renewal_move", write=True),
        "stage_choices": [c for c in RenewalStage.choices if c[0] != RenewalStage.CLOSED],
        "reporting_currency": settings.REPORTING_CURRENCY,
        "query_without_view": _query_without(request, "view", "page"),
        "reset_url": reverse("renewals:pipeline") + ("?view=table" if as_table else ""),
        "keep_params": [("view", "table")] if as_table else [],
    }
    if as_table:
        context["table"] = _paginated(request, tables.RenewalTable(renewals, today=today))
    else:
        context["columns"] = selectors.pipeline_columns(renewals, card_limit=BOARD_CARD_LIMIT)
        context["card_limit"] = BOARD_CARD_LIMIT
    return render(request, "renewals/pipeline.html", context)


def _query_without(request, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def at_risk(request):
    today = timezone.localdate()
    filterset, renewals, filtered = _filtered(
        request, filtersets.RenewalFilterSet, selectors.at_risk_renewals(today=today)
    )
    table = _paginated(request, tables.AtRiskTable(renewals, today=today))
    context = {
        "filter": filterset,
        "filtered": filtered,
        "table": table,
        "today": today,
        "total_count": selectors.at_risk_renewals(today=today).count(),
        "window": selectors.AT_RISK_WINDOW_DAYS,
        "reset_url": reverse("renewals:at_risk"),
    }
    return render(request, "renewals/at_risk.html", context)


def _month_from(value: str, today: date) -> date:
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1)
    except ValueError:
        return today.replace(day=1)


def renewal_calendar_month(request):
    today = timezone.localdate()
    first = _month_from(request.GET.get("month", ""), today)
    weeks = selectors.calendar_weeks(year=first.year, month=first.month, today=today)
    month_events = [event for week in weeks for day in week if day.in_month for event in day.events]
    context = {
        "first": first,
        "weeks": weeks,
        "weekdays": [calendar_module.day_abbr[i] for i in range(7)],
        "month_events": month_events,
        "previous_month": (first - relativedelta(months=1)).strftime("%Y-%m"),
        "next_month": (first + relativedelta(months=1)).strftime("%Y-%m"),
        "this_month": today.strftime("%Y-%m"),
        "is_this_month": first == today.replace(day=1),
        "today": today,
    }
    return render(request, "renewals/calendar.html", context)


# One renewal


def _next_url(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def renewal_detail(request, pk: int):
    renewal = get_object_or_404(selectors.renewal_queryset(), pk=pk)
    contract = renewal.contract
    stages = list(RenewalStage.choices)
    current = [value for value, _ in stages].index(renewal.stage)
    context = {
        "renewal": renewal,
        "contract": contract,
        "today": timezone.localdate(),
        "steps": [(value, label, index < current, index == current) for index, (value, label) in enumerate(stages)],
        "reporting": selectors.contract_reporting_values(contract),
        "deliveries": renewal.reminder_deliveries.order_by("-claimed_at")[:200],
        "history": history_rows(renewal, 50),
        "move_form": RenewalMoveForm(initial={"stage": renewal.stage}),
        "may_write": role_may(request.user, "renewals:renewal_edit", write=True),
        "stage_choices": [c for c in RenewalStage.choices if c[0] != RenewalStage.CLOSED],
        "other_renewals": contract.renewals.exclude(pk=renewal.pk).order_by("-term_end"),
        "reminder_stages": reminder_stages_for(contract),
    }
    return render(request, "renewals/renewal_detail.html", context)


def renewal_edit(request, pk: int):
    renewal = get_object_or_404(Renewal.objects.select_related("contract__vendor"), pk=pk)
    if renewal.stage == RenewalStage.CLOSED:
        messages.error(request, "This renewal is closed; it can no longer change.")
        return redirect(renewal)
    form = RenewalForm(_posted(request), instance=renewal)
    if request.method == "POST" and form.is_valid():
        try:
            renewal_update(renewal=renewal, user=request.user, **form.update_kwargs())
        except RenewalError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Saved the renewal.")
            return redirect(renewal)
    return render(request, "renewals/renewal_form.html", {"form": form, "renewal": renewal})


@require_POST
def renewal_move(request, pk: int):
    renewal = get_object_or_404(Renewal.objects.select_related("contract"), pk=pk)
    back = _next_url(request, reverse("renewals:pipeline"))
    form = RenewalMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Pick a stage to move {renewal.contract.number} to.")
        return redirect(back)
    try:
        moved = renewal_update(renewal=renewal, user=request.user, stage=form.cleaned_data["stage"])
    except RenewalError as exc:
        messages.error(request, f"{renewal.contract.number} was not moved: {exc}")
    else:
        messages.success(request, f"Moved {renewal.contract.number} to {moved.get_stage_display()}.")
    return redirect(back)


def renewal_close_page(request, pk: int):
    renewal = get_object_or_404(Renewal.objects.select_related("contract__vendor"), pk=pk)
    if renewal.stage != RenewalStage.DECIDED:
        messages.error(request, "Only a decided renewal can be closed; record the decision first.")
        return redirect(renewal)
    form = RenewalCloseForm(_posted(request), renewal=renewal, line_items=renewal.contract.line_items.all())
    if request.method == "POST" and form.is_valid():
        try:
            outcome = renewal_close(renewal=renewal, user=request.user, **form.close_kwargs())
        except (RenewalError, ValidationError, PricingError) as exc:
            form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))
        else:
            return _after_close(request, outcome)
    return render(request, "renewals/renewal_close.html", {"form": form, "renewal": renewal})


def _after_close(request, outcome):
    contract = outcome.renewal.contract
    if not outcome.renewed:
        messages.success(request, f"Closed: contract {contract.number} is cancelled.")
        return redirect(contract)
    contract.refresh_from_db()
    messages.success(
        request,
        f"Closed: contract {contract.number} renewed until {contract.end_date}, "
        f"annual value {money(outcome.final_annual, contract.currency)}.",
    )
    following = contract.renewals.filter(term_end=contract.end_date).first()
    return redirect(following or contract)


# The calendar feed


def calendar_feed(request):
    feed = calendar_feed_ensure(user=request.user)
    ics_url = request.build_absolute_uri(reverse("renewals:calendar_ics", args=[feed.secret]))
    context = {
        "feed": feed,
        "ics_url": ics_url,
        "webcal_url": "webcal://" + ics_url.split("://", 1)[1],
        "event_count": selectors.calendar_feed_renewals().count(),
    }
    return render(request, "renewals/calendar_feed.html", context)


@require_POST
def calendar_feed_rotate_view(request):
    calendar_feed_rotate(user=request.user)
    messages.success(request, "Your calendar address was changed. Calendars subscribed to the old one stop updating.")
    return redirect("renewals:calendar_feed")


@never_cache
@require_GET
def calendar_ics(request, secret: str):
    """The subscribed calendar: its secret is the only credential, so an unknown one is simply not found."""
    feed = CalendarFeed.objects.select_related("user").filter(secret=secret, user__is_active=True).first()
    if feed is None:
        raise Http404("No such calendar.")
    body = renewal_calendar(selectors.calendar_feed_renewals(), name="saasmgr renewals")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="saasmgr-renewals.ics"'
    return response
