from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from renewals.models import (
    CalendarFeed,
    Contract,
    ContractDocument,
    DigestDelivery,
    LineItem,
    ReminderDelivery,
    Renewal,
)


class LineItemInline(admin.TabularInline):
    model = LineItem
    extra = 0
    fields = ("position", "sku", "pricing_model", "quantity", "unit_price", "billing_period", "uplift_cap_pct")


class ContractDocumentInline(admin.TabularInline):
    model = ContractDocument
    extra = 0
    fields = ("name", "file", "uploaded_by", "created_at")
    readonly_fields = ("created_at",)


@admin.register(Contract)
class ContractAdmin(SimpleHistoryAdmin):
    list_display = ("number", "vendor", "status", "currency", "annual_value", "cancel_by", "end_date", "auto_renew")
    list_filter = ("status", "auto_renew", "currency")
    search_fields = ("number", "title", "vendor__name")
    list_select_related = ("vendor",)
    raw_id_fields = ("vendor", "owner", "department")
    filter_horizontal = ("applications",)
    readonly_fields = ("cancel_by", "annual_value", "total_value", "annual_value_reporting")
    inlines = [LineItemInline, ContractDocumentInline]


@admin.register(Renewal)
class RenewalAdmin(SimpleHistoryAdmin):
    list_display = ("contract", "term_end", "cancel_by", "stage", "decision", "owner")
    list_filter = ("stage", "decision")
    search_fields = ("contract__number", "contract__vendor__name")
    list_select_related = ("contract__vendor", "owner")
    raw_id_fields = ("contract", "owner", "closed_by")


@admin.register(ReminderDelivery)
class ReminderDeliveryAdmin(admin.ModelAdmin):
    list_display = ("renewal", "stage_days", "recipient", "status", "for_date", "sent_at", "attempts")
    list_filter = ("status", "stage_days")
    search_fields = ("recipient", "renewal__contract__number")
    list_select_related = ("renewal__contract",)
    raw_id_fields = ("renewal",)


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(admin.ModelAdmin):
    list_display = ("week_start", "recipient", "status", "sent_at", "attempts")
    list_filter = ("status",)
    search_fields = ("recipient",)


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ("user", "created_at", "updated_at")
    search_fields = ("user__username", "user__email")
    # The secret is a credential: the admin shows who has a feed, not the address.
    exclude = ("secret",)
    raw_id_fields = ("user",)

    def has_add_permission(self, request):
        return False  # a feed is made with its secret on the user's calendar feed page
