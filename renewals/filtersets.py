"""Filters of contracts and renewals. Renewals are filtered by the fields of their contract, so one set of
filters serves the contract list, the pipeline and the at-risk list."""

import django_filters
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model

from renewals.choices import ContractStatus, RenewalStage
from renewals.models import Contract, Renewal
from saasmgr.inventory.filtersets import SearchFilterSet
from saasmgr.inventory.models import Department, Vendor


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.username


class UserChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = UserChoiceField


def active_users(request=None):
    return get_user_model().objects.filter(is_active=True).order_by("first_name", "last_name", "username")


class ContractFieldsFilterSet(SearchFilterSet):
    """Filters on a contract's fields; a subclass for a related model sets ``contract_prefix``."""

    contract_prefix = ""
    contract_filters = ("vendor", "department", "value_min", "value_max")
    search_fields = ("number", "title", "vendor__name", "applications__name")

    owner = UserChoiceFilter(queryset=active_users, label="Owner", empty_label="Anyone")
    department = django_filters.ModelChoiceFilter(
        queryset=Department.objects.order_by("name"), label="Department", empty_label="Any department"
    )
    vendor = django_filters.ModelChoiceFilter(
        queryset=Vendor.objects.order_by("name"), label="Vendor", empty_label="Any vendor"
    )
    value_min = django_filters.NumberFilter(
        field_name="annual_value_reporting", lookup_expr="gte", label="Annual value from", min_value=0
    )
    value_max = django_filters.NumberFilter(
        field_name="annual_value_reporting", lookup_expr="lte", label="Annual value to", min_value=0
    )
    cancel_by_after = django_filters.DateFilter(
        field_name="cancel_by",
        lookup_expr="gte",
        label="Cancel-by from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    cancel_by_before = django_filters.DateFilter(
        field_name="cancel_by", lookup_expr="lte", label="Cancel-by to", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # self.filters is this instance's own copy, so the prefix never leaks into another filterset.
        for name in self.contract_filters:
            self.filters[name].field_name = self.contract_prefix + self.filters[name].field_name
        self.search_fields = tuple(self.contract_prefix + f for f in type(self).search_fields)
        self.filters["value_min"].label = f"Annual value from ({settings.REPORTING_CURRENCY})"
        self.filters["value_max"].label = f"Annual value to ({settings.REPORTING_CURRENCY})"


class ContractFilterSet(ContractFieldsFilterSet):
    status = django_filters.ChoiceFilter(choices=ContractStatus.choices, empty_label="Any status")
    auto_renew = django_filters.BooleanFilter(
        label="Auto-renew", widget=forms.Select(choices=[("", "Any"), ("true", "Yes"), ("false", "No")])
    )

    class Meta:
        model = Contract
        fields = ["q", "status", "owner", "department", "vendor", "auto_renew"]


class RenewalFilterSet(ContractFieldsFilterSet):
    contract_prefix = "contract__"

    class Meta:
        model = Renewal
        fields = ["q", "owner", "department", "vendor"]


class RenewalTableFilterSet(RenewalFilterSet):
    """The pipeline's table view can also pick stages; the board shows them as columns instead."""

    stage = django_filters.ChoiceFilter(choices=RenewalStage.choices, empty_label="Any stage")

    class Meta(RenewalFilterSet.Meta):
        fields = [*RenewalFilterSet.Meta.fields, "stage"]
