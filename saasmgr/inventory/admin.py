from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from saasmgr.inventory.models import Application, Category, Department, Person, PersonAlias, Vendor, VendorAlias


class VendorAliasInline(admin.TabularInline):
    model = VendorAlias
    extra = 0


class PersonAliasInline(admin.TabularInline):
    model = PersonAlias
    extra = 0


@admin.register(Vendor)
class VendorAdmin(SimpleHistoryAdmin):
    search_fields = ["name", "aliases__alias"]
    inlines = [VendorAliasInline]


@admin.register(Category)
class CategoryAdmin(SimpleHistoryAdmin):
    search_fields = ["name"]


@admin.register(Department)
class DepartmentAdmin(SimpleHistoryAdmin):
    list_display = ["name", "parent", "cost_centre"]
    search_fields = ["name", "cost_centre"]


@admin.register(Person)
class PersonAdmin(SimpleHistoryAdmin):
    list_display = ["name", "email", "employee_id", "department", "status"]
    list_filter = ["status", "employment_type"]
    search_fields = ["name", "email", "employee_id"]
    raw_id_fields = ["manager"]
    inlines = [PersonAliasInline]


@admin.register(Application)
class ApplicationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "vendor", "category", "status", "discovery_source"]
    list_filter = ["status", "discovery_source", "category"]
    search_fields = ["name", "vendor__name"]
    raw_id_fields = ["business_owner", "it_owner"]
