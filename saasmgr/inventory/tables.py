import django_tables2 as tables

from saasmgr.inventory.models import Application, Category, Department, Person, Vendor


class VendorTable(tables.Table):
    name = tables.Column(linkify=True)
    application_count = tables.Column(verbose_name="Applications", attrs={"td": {"class": "text-end"}})
    website = tables.URLColumn()

    class Meta:
        model = Vendor
        fields = ("name", "application_count", "website", "updated_at")
        attrs = {"class": "table table-hover align-middle"}
        empty_text = "No vendors match."


class CategoryTable(tables.Table):
    name = tables.Column(linkify=True)
    application_count = tables.Column(verbose_name="Applications", attrs={"td": {"class": "text-end"}})

    class Meta:
        model = Category
        fields = ("name", "application_count", "description")
        attrs = {"class": "table table-hover align-middle"}
        empty_text = "No categories match."


class DepartmentTable(tables.Table):
    name = tables.Column(linkify=True)
    parent = tables.Column(linkify=True)
    people_count = tables.Column(verbose_name="People", attrs={"td": {"class": "text-end"}})

    class Meta:
        model = Department
        fields = ("name", "parent", "cost_centre", "people_count")
        attrs = {"class": "table table-hover align-middle"}
        empty_text = "No departments match."


class PersonTable(tables.Table):
    name = tables.Column(linkify=True)
    department = tables.Column(linkify=True)
    status = tables.TemplateColumn(template_name="inventory/_person_status.html")

    class Meta:
        model = Person
        fields = ("name", "email", "employee_id", "department", "status", "start_date", "termination_date")
        attrs = {"class": "table table-hover align-middle"}
        empty_text = "No people match."


class ApplicationTable(tables.Table):
    name = tables.Column(linkify=True)
    vendor = tables.Column(linkify=True)
    category = tables.Column(linkify=True)
    status = tables.TemplateColumn(template_name="inventory/_application_status.html")
    business_owner = tables.Column(
        accessor="business_owner__name",
        verbose_name="Business owner",
        linkify=lambda record: record.business_owner.get_absolute_url(),
    )
    it_owner = tables.Column(
        accessor="it_owner__name", verbose_name="IT owner", linkify=lambda record: record.it_owner.get_absolute_url()
    )
    discovery_source = tables.Column(verbose_name="Discovered via")

    class Meta:
        model = Application
        fields = (
            "name",
            "vendor",
            "category",
            "status",
            "business_owner",
            "it_owner",
            "discovery_source",
            "first_seen",
        )
        attrs = {"class": "table table-hover align-middle"}
        empty_text = "No applications match."
