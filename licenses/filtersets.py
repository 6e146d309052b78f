"""One FilterSet per list serves its HTML page, its CSV and its REST list."""

import django_filters
from django import forms
from django.conf import settings

from licenses.choices import RISK_KINDS, SAVINGS_KINDS, FindingKind, RunStatus
from licenses.models import Assignment, Finding, LicensePool, ReconciliationRun
from saasmgr.inventory.filtersets import SearchFilterSet
from saasmgr.inventory.models import Application, Category, Department, Vendor

SAVINGS, RISK = "savings", "risk"


def applications_with_pools(request=None):
    return Application.objects.filter(license_pools__isnull=False).distinct().order_by("name")


def pools_by_application(request=None):
    return LicensePool.objects.select_related("application").order_by("application__name", "name")


class PoolChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.application.name}: {obj.name}"


class PoolChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = PoolChoiceField


def application_filter(field_name: str = "application") -> django_filters.ModelChoiceFilter:
    return django_filters.ModelChoiceFilter(
        field_name=field_name, queryset=applications_with_pools, label="Application", empty_label="Any application"
    )


def department_filter(field_name: str) -> django_filters.ModelChoiceFilter:
    return django_filters.ModelChoiceFilter(
        field_name=field_name,
        queryset=Department.objects.order_by("name"),
        label="Department",
        empty_label="Any department",
    )


class LicensePoolFilterSet(SearchFilterSet):
    """Pools by application, vendor, category and where they came from; the pool list, utilisation and API."""

    search_fields = ("name", "application__name", "application__vendor__name")
    application = application_filter()
    vendor = django_filters.ModelChoiceFilter(
        field_name="application__vendor",
        queryset=Vendor.objects.filter(applications__license_pools__isnull=False).distinct().order_by("name"),
        label="Vendor",
        empty_label="Any vendor",
    )
    category = django_filters.ModelChoiceFilter(
        field_name="application__category",
        queryset=Category.objects.filter(applications__license_pools__isnull=False).distinct().order_by("name"),
        label="Category",
        empty_label="Any category",
    )
    from_contract = django_filters.BooleanFilter(
        field_name="line_item",
        lookup_expr="isnull",
        exclude=True,
        label="Source",
        widget=forms.Select(choices=[("", "Any source"), ("true", "From a contract"), ("false", "Entered by hand")]),
    )

    class Meta:
        model = LicensePool
        fields = ["q", "application", "vendor", "category", "from_contract"]


class AssignmentFilterSet(SearchFilterSet):
    search_fields = ("account", "person__name", "person__email")
    application = application_filter("pool__application")
    pool = PoolChoiceFilter(queryset=pools_by_application, label="License pool", empty_label="Any pool")
    department = department_filter("person__department")
    ended = django_filters.BooleanFilter(
        field_name="unassigned_on",
        lookup_expr="isnull",
        exclude=True,
        label="Status",
        widget=forms.Select(choices=[("", "Current and ended"), ("false", "Current"), ("true", "Ended")]),
    )
    unmatched = django_filters.BooleanFilter(
        field_name="person",
        lookup_expr="isnull",
        label="Holder",
        widget=forms.Select(choices=[("", "Anyone"), ("true", "Not matched to a person"), ("false", "Matched")]),
    )

    class Meta:
        model = Assignment
        fields = ["q", "application", "pool", "department", "ended", "unmatched"]


class SelectWidget(forms.SelectMultiple):
    """A drop-down that picks one value but is read as a list, so that ``?kind=a&kind=b`` (the API, links)
    still picks several: a multiple-select box would take up a whole filter row. (Named so that its
    ``widget_type`` is "select" and the filter panel styles it like the other drop-downs.)"""

    allow_multiple_selected = False


class FindingFilterSet(SearchFilterSet):
    """Findings of one run (the view or viewset picks the run: ``?run=`` or the latest finished one)."""

    search_fields = ("account", "person__name", "person__email", "application__name", "pool__name")
    kind = django_filters.MultipleChoiceFilter(
        choices=[("", "Any kind"), *FindingKind.choices], widget=SelectWidget, method="filter_kind", label="Kind"
    )
    impact = django_filters.ChoiceFilter(
        method="filter_impact",
        choices=[(SAVINGS, "Savings"), (RISK, "True-up risk")],
        label="Savings or risk",
        empty_label="Both",
    )
    application = application_filter()
    department = department_filter("person__department")
    pool = PoolChoiceFilter(queryset=pools_by_application, label="License pool", empty_label="Any pool")
    min_impact = django_filters.NumberFilter(
        field_name="annual_cost_impact", lookup_expr="gte", min_value=0, label="Impact at least"
    )

    class Meta:
        model = Finding
        fields = ["q", "kind", "impact", "application", "department", "pool", "min_impact"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["min_impact"].label = f"Impact at least ({settings.REPORTING_CURRENCY})"

    def filter_kind(self, queryset, name, value):
        kinds = [kind for kind in value if kind]
        return queryset.filter(kind__in=kinds) if kinds else queryset

    def filter_impact(self, queryset, name, value):
        if value == SAVINGS:
            return queryset.filter(kind__in=SAVINGS_KINDS)
        if value == RISK:
            return queryset.filter(kind__in=RISK_KINDS)
        return queryset


class ReconciliationRunFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=RunStatus.choices, empty_label="Any status")
    application = application_filter()
    as_of = django_filters.DateFilter(widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = ReconciliationRun
        fields = ["status", "application", "as_of"]
