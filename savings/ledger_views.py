"""The savings ledger pages: the filtered list with its totals, one entry, its reversal, and the export.

One filterset (``LedgerEntryFilterSet``) picks the rows of the page, of its totals strip and of the export,
and every total comes from ``savings.selectors``. Access is checked by the access table; the only write, a
reversal, goes through ``savings.services.ledger_entry_reverse``.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import DetailView, TemplateView
from django.views.generic.detail import SingleObjectMixin
from django.views.generic.edit import FormView
from django_tables2 import RequestConfig

from saasmgr.core.access import role_may
from saasmgr.core.exports import DATE, DATETIME, FORMATS, INTEGER, MONEY, RATE, Column, Exporter, export_response
from savings import selectors
from savings.ledger_tables import LedgerTable, user_name
from savings.models import LedgerEntry
from savings.services import SavingsError, ledger_entry_reverse

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
# Query parameters that are not filters: they neither count as "filtered" nor travel to the export.
NOT_FILTERS = ("page", "sort", "per_page", "format")


def filter_query(request) -> str:
    """The request's filters as a query string (page, sort and format left out), for the export buttons."""
    params = request.GET.copy()
    for name in NOT_FILTERS:
        params.pop(name, None)
    return params.urlencode()


def _per_page(request) -> int:
    value = request.GET.get("per_page", "")
    return int(value) if value.isdigit() and 0 < int(value) <= MAX_PAGE_SIZE else PAGE_SIZE


class LedgerListView(TemplateView):
    """Every ledger row under the filters, with the totals of exactly those rows and the export buttons."""

    template_name = "savings/ledger_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        filterset = selectors.ledger_filterset(request.GET, request=request)
        # Invalid filters show their errors next to the fields and filter nothing, as on every list.
        rows = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
        table = LedgerTable(rows)
        RequestConfig(request, paginate={"per_page": _per_page(request)}).configure(table)
        query = filter_query(request)
        context.update(
            filter=filterset,
            table=table,
            totals=selectors.ledger_totals(rows),
            filtered=bool(query),
            query=query,
            ledger_is_empty=not LedgerEntry.objects.exists(),
            reporting_currency=settings.REPORTING_CURRENCY,
            export_url=reverse("savings:ledger_export"),
            may_record=role_may(request.user, "savings:action_manual", write=True),
        )
        return context


class LedgerExporter(Exporter):
    """The ledger rows under the ledger filters, one line per entry, in both currencies."""

    filename_stem = "savings-ledger"
    sheet_title = "Savings ledger"

    def __init__(self, queryset):
        self.queryset = queryset

    def get_columns(self) -> list[Column]:
        return [
            Column("Entry", INTEGER),
            Column("Effective date", DATE),
            Column("Kind"),
            Column("Recurrence"),
            Column("Description"),
            Column("Application"),
            Column("Category"),
            Column("Department"),
            Column("Credited person"),
            Column("Credited team"),
            Column("Amount", MONEY),
            Column("Currency"),
            Column("FX rate", RATE),
            Column(f"Amount ({settings.REPORTING_CURRENCY})", MONEY),
            Column("Reverses entry", INTEGER),
            Column("Reversed by entry", INTEGER),
            Column("Reason"),
            Column("Action", INTEGER),
            Column("Recorded by"),
            Column("Recorded at", DATETIME),
        ]

    def rows(self):
        for entry in self.queryset.iterator(chunk_size=2000):
            reversal = getattr(entry, "reversed_by", None)
            yield [
                entry.pk,
                entry.effective_date,
                entry.get_kind_display(),
                entry.get_recurrence_display(),
                entry.description,
                entry.application.name if entry.application_id else None,
                entry.category.name if entry.category_id else None,
                entry.department.name if entry.department_id else None,
                user_name(entry.credited_user) if entry.credited_user_id else None,
                entry.credited_team.name if entry.credited_team_id else None,
                entry.amount,
                entry.currency,
                entry.fx_rate,
                entry.amount_reporting,
                entry.reverses_id,
                reversal.pk if reversal is not None else None,
                entry.reason,
                entry.action_id,
                user_name(entry.created_by) if entry.created_by_id else None,
                entry.created_at,
            ]


class LedgerExportView(View):
    """``?format=csv`` or ``xlsx`` with the ledger page's filters: the same rows as the page, every page of them."""

    def get(self, request, *args, **kwargs):
        export_format = request.GET.get("format", "csv")
        if export_format not in FORMATS:
            return HttpResponseBadRequest(f"Unknown export format “{export_format}”: use csv or xlsx.")
        filterset = selectors.ledger_filterset(request.GET, request=request)
        if filterset.is_bound and not filterset.is_valid():
            problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in filterset.errors.items())
            return HttpResponseBadRequest(f"The export was not made, a filter is wrong: {problems}")
        return export_response(LedgerExporter(filterset.qs), export_format)


class LedgerEntryMixin:
    model = LedgerEntry
    context_object_name = "entry"

    def get_queryset(self):
        return selectors.ledger_rows().select_related("action__performed_by", "action__opportunity")

    def reversal_refusal(self, entry: LedgerEntry) -> str:
        """Why this entry cannot be reversed, or "" when it can."""
        if entry.reverses_id:
            return f"Entry #{entry.pk} is itself a reversal; record the win again instead of reversing it."
        if getattr(entry, "reversed_by", None) is not None:
            return f"Entry #{entry.pk} has already been reversed by #{entry.reversed_by.pk}."
        return ""


class LedgerDetailView(LedgerEntryMixin, DetailView):
    template_name = "savings/ledger_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        entry = self.object
        context.update(
            action=entry.action,
            reversal=getattr(entry, "reversed_by", None),
            refusal=self.reversal_refusal(entry),
            may_reverse=role_may(self.request.user, "savings:ledger_reverse", write=True),
            reporting_currency=settings.REPORTING_CURRENCY,
        )
        return context


class LedgerReverseForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why is this entry reversed?",
        help_text="Required. It is stored with the reversing entry and shown wherever the entry is.",
    )
    effective_date = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        label="Effective date",
        help_text="Leave empty to date the reversal like the entry, so the month it was counted in comes right.",
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why the entry is reversed.")
        return reason


class LedgerReverseView(LedgerEntryMixin, SingleObjectMixin, FormView):
    """A form asking why; posting it writes the negative entry and shows it."""

    template_name = "savings/ledger_reverse.html"
    form_class = LedgerReverseForm

    def dispatch(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(refusal=self.reversal_refusal(self.object), reporting_currency=settings.REPORTING_CURRENCY)
        return context

    def form_valid(self, form) -> HttpResponse:
        try:
            reversal = ledger_entry_reverse(
                entry=self.object,
                user=self.request.user,
                reason=form.cleaned_data["reason"],
                effective_date=form.cleaned_data["effective_date"],
            )
        except SavingsError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"Entry #{self.object.pk} is reversed by #{reversal.pk}: "
            f"{reversal.amount_reporting:,.2f} {reversal.reporting_currency}.",
        )
        return redirect(reversal)


ledger_list = LedgerListView.as_view()
ledger_detail = LedgerDetailView.as_view()
ledger_reverse = LedgerReverseView.as_view()
ledger_export = LedgerExportView.as_view()
