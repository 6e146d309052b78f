from django.db.models import Count

from saasmgr.core.generic import ObjectDeleteView, ObjectDetailView, ObjectEditView, ObjectListView
from saasmgr.inventory import filtersets, forms, tables
from saasmgr.inventory.models import Application, Category, Department, Person, Vendor


class InventoryPage:
    namespace = "inventory"


# Vendors
class VendorListView(InventoryPage, ObjectListView):
    queryset = Vendor.objects.annotate(application_count=Count("applications")).order_by("name")
    table_class = tables.VendorTable
    filterset_class = filtersets.VendorFilterSet


class VendorDetailView(InventoryPage, ObjectDetailView):
    queryset = Vendor.objects.prefetch_related("aliases")
    fields = [("Website", "website"), ("Aliases", "alias_list"), ("Notes", "notes")]
    related_tables = [("Applications", "applications", tables.ApplicationTable)]

    def get_object(self, queryset=None):
        vendor = super().get_object(queryset)
        vendor.alias_list = ", ".join(a.alias for a in vendor.aliases.all()) or None
        return vendor


class VendorEditView(InventoryPage, ObjectEditView):
    model = Vendor
    form_class = forms.VendorForm


class VendorDeleteView(InventoryPage, ObjectDeleteView):
    model = Vendor


# Categories
class CategoryListView(InventoryPage, ObjectListView):
    queryset = Category.objects.annotate(application_count=Count("applications")).order_by("name")
    table_class = tables.CategoryTable
    filterset_class = filtersets.CategoryFilterSet


class CategoryDetailView(InventoryPage, ObjectDetailView):
    model = Category
    fields = [("Description", "description")]
    related_tables = [("Applications", "applications", tables.ApplicationTable)]


class CategoryEditView(InventoryPage, ObjectEditView):
    model = Category
    form_class = forms.CategoryForm


class CategoryDeleteView(InventoryPage, ObjectDeleteView):
    model = Category


# Departments
class DepartmentListView(InventoryPage, ObjectListView):
    queryset = Department.objects.select_related("parent").annotate(people_count=Count("people")).order_by("name")
    table_class = tables.DepartmentTable
    filterset_class = filtersets.DepartmentFilterSet


class DepartmentDetailView(InventoryPage, ObjectDetailView):
    queryset = Department.objects.select_related("parent")
    fields = [("Parent", "parent"), ("Cost centre", "cost_centre")]
    related_tables = [
        ("Sub-departments", "children", tables.DepartmentTable),
        ("People", "people", tables.PersonTable),
    ]


class DepartmentEditView(InventoryPage, ObjectEditView):
    model = Department
    form_class = forms.DepartmentForm


class DepartmentDeleteView(InventoryPage, ObjectDeleteView):
    model = Department


# People
class PersonListView(InventoryPage, ObjectListView):
    queryset = Person.objects.select_related("department")
    table_class = tables.PersonTable
    filterset_class = filtersets.PersonFilterSet


class PersonDetailView(InventoryPage, ObjectDetailView):
    queryset = Person.objects.select_related("department", "manager").prefetch_related("aliases")
    fields = [
        ("Email", "email"),
        ("Employee ID", "employee_id"),
        ("Job title", "job_title"),
        ("Department", "department"),
        ("Manager", "manager"),
        ("Status", "status"),
        ("Employment", "employment_type"),
        ("Start date", "start_date"),
        ("Termination date", "termination_date"),
        ("Other identities", "alias_list"),
    ]
    related_tables = [
        ("Direct reports", "reports", tables.PersonTable),
        ("Applications owned (business)", "business_owned_applications", tables.ApplicationTable),
        ("Applications owned (IT)", "it_owned_applications", tables.ApplicationTable),
    ]

    def get_object(self, queryset=None):
        person = super().get_object(queryset)
        person.alias_list = ", ".join(a.value for a in person.aliases.all()) or None
        return person


class PersonEditView(InventoryPage, ObjectEditView):
    model = Person
    form_class = forms.PersonForm


class PersonDeleteView(InventoryPage, ObjectDeleteView):
    model = Person


# Applications
class ApplicationListView(InventoryPage, ObjectListView):
    queryset = Application.objects.select_related("vendor", "category", "business_owner", "it_owner")
    table_class = tables.ApplicationTable
    filterset_class = filtersets.ApplicationFilterSet


class ApplicationDetailView(InventoryPage, ObjectDetailView):
    queryset = Application.objects.select_related("vendor", "category", "business_owner", "it_owner")
    fields = [
        ("Vendor", "vendor"),
        ("Category", "category"),
        ("Status", "status"),
        ("Business owner", "business_owner"),
        ("IT owner", "it_owner"),
        ("Discovered via", "discovery_source"),
        ("First seen", "first_seen"),
        ("Website", "website"),
        ("Description", "description"),
    ]


class ApplicationEditView(InventoryPage, ObjectEditView):
    model = Application
    form_class = forms.ApplicationForm


class ApplicationDeleteView(InventoryPage, ObjectDeleteView):
    model = Application
