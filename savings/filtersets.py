"""One FilterSet per list: the ledger's serves its page, its totals, its CSV/XLSX export and the REST list and
summary, so every one of them counts the same rows."""

from datetime import date, timedelta

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from licenses.filtersets import SelectWidget
from renewals.filtersets import UserChoiceFilter
from saasmgr.core.dates import fiscal_year_start, month_start
from saasmgr.inventory.filtersets import SearchFilterSet
from saasmgr.inventory.models import Application, Category, Department
from savings.choices import (
    ACTIVE_STATUSES,
    RISK_OPPORTUNITY_KINDS,
    LedgerKind,
    OpportunityKind,
    OpportunityStatus,
    Recurrence,
)
from savings.models import LedgerEntry, Opportunity

DATE_INPUT = forms.DateInput(attrs={"type": "date"})

# Period presets of the ledger filter; quarters and years follow the fiscal year (FISCAL_YEAR_START_MONTH).
THIS_MONTH, LAST_MONTH = "this_month", "last_month"
THIS_QUARTER, LAST_QUARTER = "this_quarter", "last_quarter"
THIS_FISCAL_YEAR, LAST_FISCAL_YEAR = "this_fiscal_year", "last_fiscal_year"
LAST_12_MONTHS = "last_12_months"
PERIOD_CHOICES = [
    (THIS_MONTH, "This month"),
    (LAST_MONTH, "Last month"),
    (THIS_QUARTER, "This quarter"),
    (LAST_QUARTER, "Last quarter"),
    (THIS_FISCAL_YEAR, "This fiscal year"),
    (LAST_FISCAL_YEAR, "Last fiscal year"),
    (LAST_12_MONTHS, "Last 12 months"),
]

REVERSALS_ONLY, REVERSALS_HIDDEN = "only", "hide"
SAVINGS, RISK = "savings", "risk"
ACTIVE = "active"


def period_range(preset: str, today: date | None = None) -> tuple[date, date]:
    """(first day, last day) of a preset period around ``today``; quarters are quarters of the fiscal year."""
    today = today or timezone.localdate()
    this_month = month_start(today)
    year_start = fiscal_year_start(today)
    months_into_year = (this_month.year - year_start.year) * 12 + this_month.month - year_start.month
    quarter_start = month_start(year_start, months_into_year // 3 * 3)
    first, months = {
        THIS_MONTH: (this_month, 1),
        LAST_MONTH: (month_start(today, -1), 1),
        THIS_QUARTER: (quarter_start, 3),
        LAST_QUARTER: (month_start(quarter_start, -3), 3),
        THIS_FISCAL_YEAR: (year_start, 12),
        LAST_FISCAL_YEAR: (month_start(year_start, -12), 12),
        LAST_12_MONTHS: (month_start(today, -11), 12),
    }[preset]
    return first, month_start(first, months) - timedelta(days=1)


def ledger_users(request=None):
    """People credited with at least one win: the person filter lists them and no one else."""
    credited = LedgerEntry.objects.order_by().filter(credited_user__isnull=False).values("credited_user")
    return get_user_model().objects.filter(pk__in=credited).order_by("first_name", "last_name", "username")


def departments(request=None):
    return Department.objects.order_by("name")


class LedgerEntryFilterSet(SearchFilterSet):
    """The ledger's filters. With no filter every row counts, reversals included, so totals net them out."""

    search_fields = ("description", "reason")
    period = django_filters.ChoiceFilter(
        choices=PERIOD_CHOICES, method="filter_period", label="Period", empty_label="Any time"
    )
    date_from = django_filters.DateFilter(
        field_name="effective_date", lookup_expr="gte", label="Effective from", widget=DATE_INPUT
    )
    date_to = django_filters.DateFilter(
        field_name="effective_date", lookup_expr="lte", label="Effective to", widget=DATE_INPUT
    )
    kind = django_filters.ChoiceFilter(choices=LedgerKind.choices, label="Kind", empty_label="Any kind")
    recurrence = django_filters.ChoiceFilter(
        choices=Recurrence.choices, label="Recurrence", empty_label="Any recurrence"
    )
    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.order_by("name"), label="Category", empty_label="Any category"
    )
    application = django_filters.ModelChoiceFilter(
        queryset=Application.objects.order_by("name"), label="Application", empty_label="Any application"
    )
    department = django_filters.ModelChoiceFilter(
        queryset=departments, label="Department (of the spend)", empty_label="Any department"
    )
    credited_user = UserChoiceFilter(queryset=ledger_users, label="Credited person", empty_label="Anyone")
    credited_team = django_filters.ModelChoiceFilter(
        queryset=departments, label="Credited team", empty_label="Any team"
    )
    reversals = django_filters.ChoiceFilter(
        choices=[(REVERSALS_ONLY, "Only reversals"), (REVERSALS_HIDDEN, "Hide reversed entries and reversals")],
        method="filter_reversals",
        label="Reversals",
        empty_label="Included",
    )
    # A drill-down from one action's page to its entries; not shown in the filter panel.
    action = django_filters.NumberFilter(field_name="action", label="Action", widget=forms.HiddenInput)

    class Meta:
        model = LedgerEntry
        fields = [
            "q",
            "period",
            "date_from",
            "date_to",
            "kind",
            "recurrence",
            "category",
            "application",
            "department",
            "credited_user",
            "credited_team",
            "reversals",
            "action",
        ]

    def filter_period(self, queryset, name, value):
        if not value:
            return queryset
        first, last = period_range(value)
        return queryset.filter(effective_date__gte=first, effective_date__lte=last)

    def filter_reversals(self, queryset, name, value):
        if value == REVERSALS_ONLY:
            return queryset.filter(reverses__isnull=False)
        if value == REVERSALS_HIDDEN:
            # An entry and its reversal net to exactly zero, so hiding both leaves every total as it was.
            return queryset.filter(reverses__isnull=True, reversed_by__isnull=True)
        return queryset


class OpportunityFilterSet(SearchFilterSet):
    """Opportunities by kind, status, application, owner and due date; savings and true-up risk apart."""

    search_fields = ("title", "application__name")
    kind = django_filters.MultipleChoiceFilter(
        choices=[("", "Any kind"), *OpportunityKind.choices], widget=SelectWidget, method="filter_kind", label="Kind"
    )
    status = django_filters.MultipleChoiceFilter(
        choices=[("", "Any status"), (ACTIVE, "Open or in progress"), *OpportunityStatus.choices],
        widget=SelectWidget,
        method="filter_status",
        label="Status",
    )
    impact = django_filters.ChoiceFilter(
        choices=[(SAVINGS, "Savings"), (RISK, "True-up risk")],
        method="filter_impact",
        label="Savings or risk",
        empty_label="Both",
    )
    application = django_filters.ModelChoiceFilter(
        queryset=Application.objects.order_by("name"), label="Application", empty_label="Any application"
    )
    owner = UserChoiceFilter(
        queryset=lambda request=None: get_user_model().objects.filter(is_active=True).order_by("username"),
        label="Owner",
        empty_label="Anyone",
    )
    unowned = django_filters.BooleanFilter(
        field_name="owner",
        lookup_expr="isnull",
        label="Owned",
        widget=forms.Select(choices=[("", "Owned or not"), ("true", "No owner yet"), ("false", "Has an owner")]),
    )
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte", label="Due by", widget=DATE_INPUT)
    seen_from = django_filters.DateFilter(
        field_name="first_seen_at", lookup_expr="date__gte", label="First seen from", widget=DATE_INPUT
    )
    seen_to = django_filters.DateFilter(
        field_name="first_seen_at", lookup_expr="date__lte", label="First seen to", widget=DATE_INPUT
    )

    class Meta:
        model = Opportunity
        fields = [
            "q",
            "kind",
            "status",
            "impact",
            "application",
            "owner",
            "unowned",
            "due_before",
            "seen_from",
            "seen_to",
        ]

    def filter_kind(self, queryset, name, value):
        kinds = [kind for kind in value if kind]
        return queryset.filter(kind__in=kinds) if kinds else queryset

    def filter_status(self, queryset, name, value):
        statuses = {status for status in value if status}
        if ACTIVE in statuses:
            statuses = (statuses - {ACTIVE}) | set(ACTIVE_STATUSES)
        return queryset.filter(status__in=sorted(statuses)) if statuses else queryset

    def filter_impact(self, queryset, name, value):
        risk = Q(kind__in=sorted(RISK_OPPORTUNITY_KINDS))
        if value == SAVINGS:
            return queryset.exclude(risk)
        if value == RISK:
            return queryset.filter(risk)
        return queryset
