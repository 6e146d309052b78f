"""One FilterSet per model serves the HTML list, its table and the REST list."""

import django_filters
from django.db.models import Q

from saasmgr.inventory.choices import ApplicationStatus, DiscoverySource, PersonStatus
from saasmgr.inventory.models import Application, Category, Department, Person, Vendor


class SearchFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    search_fields: tuple[str, ...] = ()

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition).distinct()


class VendorFilterSet(SearchFilterSet):
    search_fields = ("name", "aliases__alias", "website")

    class Meta:
        model = Vendor
        fields = ["q"]


class CategoryFilterSet(SearchFilterSet):
    search_fields = ("name", "description")

    class Meta:
        model = Category
        fields = ["q"]


class DepartmentFilterSet(SearchFilterSet):
    search_fields = ("name", "cost_centre")
    parent = django_filters.ModelChoiceFilter(queryset=Department.objects.all(), label="Parent")

    class Meta:
        model = Department
        fields = ["q", "parent"]


class PersonFilterSet(SearchFilterSet):
    search_fields = ("name", "email", "employee_id", "aliases__value")
    status = django_filters.ChoiceFilter(choices=PersonStatus.choices)
    department = django_filters.ModelChoiceFilter(queryset=Department.objects.all())

    class Meta:
        model = Person
        fields = ["q", "status", "department", "employment_type"]


class ApplicationFilterSet(SearchFilterSet):
    search_fields = ("name", "vendor__name", "description")
    status = django_filters.MultipleChoiceFilter(choices=ApplicationStatus.choices)
    discovery_source = django_filters.ChoiceFilter(choices=DiscoverySource.choices, label="Discovered via")
    vendor = django_filters.ModelChoiceFilter(queryset=Vendor.objects.all())
    category = django_filters.ModelChoiceFilter(queryset=Category.objects.all())
    first_seen_after = django_filters.DateFilter(field_name="first_seen", lookup_expr="gte", label="First seen from")
    first_seen_before = django_filters.DateFilter(field_name="first_seen", lookup_expr="lte", label="First seen to")
    owner = django_filters.CharFilter(method="filter_owner", label="Owner (name or email)")

    class Meta:
        model = Application
        fields = ["q", "status", "vendor", "category", "discovery_source"]

    def filter_owner(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(business_owner__name__icontains=value)
            | Q(business_owner__email__icontains=value)
            | Q(it_owner__name__icontains=value)
            | Q(it_owner__email__icontains=value)
        )
