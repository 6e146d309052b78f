from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from licenses.models import (
    Activity,
    Assignment,
    Finding,
    IdentityReview,
    LicensePool,
    NameReview,
    PendingActivity,
    ReconciliationPart,
    ReconciliationRun,
    SkuAlias,
    UsageSource,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by imports and runs in bulk: changing one by hand would hide where it came from."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class SkuAliasInline(admin.TabularInline):
    model = SkuAlias
    extra = 0
    fields = ("name", "normalised")
    readonly_fields = ("normalised",)


@admin.register(LicensePool)
class LicensePoolAdmin(SimpleHistoryAdmin):
    list_display = ("name", "application", "purchased_quantity", "currency", "annual_unit_cost", "line_item")
    list_filter = ("currency",)
    search_fields = ("name", "application__name")
    list_select_related = ("application", "line_item")
    raw_id_fields = ("application", "line_item")
    readonly_fields = ("annual_unit_cost_reporting",)
    inlines = [SkuAliasInline]


@admin.register(Assignment)
class AssignmentAdmin(SimpleHistoryAdmin):
    list_display = ("account", "person", "pool", "assigned_on", "unassigned_on", "source")
    list_filter = ("source",)
    search_fields = ("account", "person__name", "person__email", "pool__name", "pool__application__name")
    list_select_related = ("person", "pool__application")
    raw_id_fields = ("pool", "person")
    date_hierarchy = "assigned_on"


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ("person", "application", "day", "events")
    search_fields = ("person__email", "application__name")
    list_select_related = ("person", "application")
    raw_id_fields = ("person", "application")
    date_hierarchy = "day"
    # Counting millions of rows for the paginator would make the page slow to open.
    show_full_result_count = False


@admin.register(PendingActivity)
class PendingActivityAdmin(ReadOnlyAdmin):
    list_display = ("identity", "app_name", "day", "events", "source")
    search_fields = ("identity", "app_name")
    list_filter = ("source",)
    show_full_result_count = False


@admin.register(UsageSource)
class UsageSourceAdmin(admin.ModelAdmin):
    list_display = ("application", "source", "first_day", "last_day", "last_imported_at")
    search_fields = ("application__name", "source")
    list_select_related = ("application",)
    raw_id_fields = ("application",)


@admin.register(IdentityReview)
class IdentityReviewAdmin(admin.ModelAdmin):
    list_display = ("raw", "status", "person", "sightings", "last_seen", "source")
    list_filter = ("status", "source")
    search_fields = ("identity", "raw")
    list_select_related = ("person",)
    raw_id_fields = ("person", "reviewed_by")


@admin.register(NameReview)
class NameReviewAdmin(admin.ModelAdmin):
    list_display = ("raw", "kind", "status", "application", "confirmed_application", "confirmed_pool", "sightings")
    list_filter = ("kind", "status", "source")
    search_fields = ("raw", "normalised")
    list_select_related = ("application", "confirmed_application", "confirmed_pool__application")
    raw_id_fields = ("application", "confirmed_application", "confirmed_pool", "reviewed_by")


class ReconciliationPartInline(admin.TabularInline):
    model = ReconciliationPart
    extra = 0
    fields = ("number", "status", "application_ids", "finished_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = ("pk", "as_of", "application", "status", "parts_done", "parts_total", "created_at", "finished_at")
    list_filter = ("status",)
    list_select_related = ("application",)
    inlines = [ReconciliationPartInline]


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ("kind", "application", "pool", "person", "account", "quantity", "annual_cost_impact", "run")
    list_filter = ("kind",)
    search_fields = ("account", "person__name", "application__name")
    list_select_related = ("application", "pool__application", "person", "run")
    raw_id_fields = ("run", "application", "pool", "person", "assignment")
    show_full_result_count = False
