import django_tables2 as tables
from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.html import format_html

from licenses.tables import DASH, DAY, NAME, NUMBER, TABLE_ATTRS, application_and_pool
from renewals.templatetags.renewal_tags import money
from savings.choices import ACTIVE_STATUSES, OpportunityStatus
from savings.models import Opportunity, SavingsAction

REPORTING = settings.REPORTING_CURRENCY
STATUS_BADGES = {
    OpportunityStatus.OPEN: "text-bg-primary",
    OpportunityStatus.IN_PROGRESS: "text-bg-info",
    OpportunityStatus.DONE: "text-bg-success",
    OpportunityStatus.DISMISSED: "text-bg-secondary",
    OpportunityStatus.CLOSED: "text-bg-light border",
}


def status_badge(status: str, label: str) -> str:
    return format_html(
        '<span class="badge {} text-nowrap" data-status="{}">{}</span>',
        STATUS_BADGES.get(status, "text-bg-secondary"),
        status,
        label,
    )


def due_html(due, today, *, active: bool = True) -> str:
    """A due date with how far off it is: "overdue" in red once passed, "in N days" before."""
    if due is None:
        return DASH
    if not active:
        return format_html('<span class="text-nowrap">{}</span>', due.isoformat())
    days = (due - today).days
    if days < 0:
        hint, css = f"overdue {-days} d", "text-bg-danger"
    elif days == 0:
        hint, css = "due today", "text-bg-warning"
    else:
        hint, css = (
            f"in {days} day{'s' if days != 1 else ''}",
            "text-bg-light border" if days > 7 else "text-bg-warning",
        )
    return format_html(
        '<span class="text-nowrap">{}</span> <span class="badge {} text-nowrap due" data-days="{}">{}</span>',
        due.isoformat(),
        css,
        days,
        hint,
    )


def savings_html(reporting, local, currency: str, *, risk: bool = False) -> str:
    """The estimate in the reporting currency, with the contract currency's figure under it when it differs."""
    if reporting is None and local is None:
        return format_html('<span class="badge text-bg-warning" title="{}">unpriced</span>', "No price or FX rate")
    css = "text-danger" if risk else ""
    if reporting is None:
        main = format_html(
            '<span class="badge text-bg-warning" title="{}">no {}→{} rate</span>', "No FX rate", currency, REPORTING
        )
    else:
        main = format_html('<span class="{}">{}</span>', css, money(reporting))
    if currency and currency != REPORTING and local is not None:
        return format_html('<div>{}</div><div class="small text-muted">{}</div>', main, money(local, currency))
    return main


def _nulls_last(queryset, field: str, is_descending: bool):
    """Unknown values sort last either way; ties keep the list's priority order."""
    expression = F(field).desc(nulls_last=True) if is_descending else F(field).asc(nulls_last=True)
    return queryset.order_by(expression, "-priority", "pk"), True


def user_name(user) -> str:
    if user is None:
        return DASH
    return user.get_full_name() or user.username


def kind_cell(opportunity: Opportunity) -> str:
    label = opportunity.get_kind_display()
    if opportunity.is_risk:
        return format_html(
            '<span>{} <span class="badge text-bg-danger" title="{}">Risk</span></span>',
            label,
            "True-up exposure: money that may be owed, not savings",
        )
    return label


class OpportunityTable(tables.Table):
    kind = tables.Column(verbose_name="Kind", attrs={"td": {"class": "kind-cell small"}})
    title = tables.Column(verbose_name="Opportunity", linkify=True, attrs=NAME)
    application = tables.Column(verbose_name="Application", order_by=("application__name",), attrs=NAME)
    quantity = tables.Column(verbose_name="Seats", attrs=NUMBER)
    estimated_annual_savings = tables.Column(
        verbose_name=f"Est. savings ({REPORTING}/yr)", attrs=NUMBER, empty_values=()
    )
    due_date = tables.Column(verbose_name="Due", attrs=DAY)
    owner = tables.Column(verbose_name="Owner", order_by=("owner__first_name", "owner__username"), empty_values=())
    status = tables.Column(verbose_name="Status")

    class Meta:
        model = Opportunity
        fields = ("kind", "title", "application", "quantity", "estimated_annual_savings", "due_date", "owner", "status")
        attrs = {**TABLE_ATTRS, "id": "opportunity-table"}
        row_attrs = {"data-kind": lambda record: record.kind, "data-pk": lambda record: record.pk}
        empty_text = "No opportunities match these filters."

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()

    def render_kind(self, record):
        return kind_cell(record)

    def render_application(self, record):
        return application_and_pool(record.application, record.pool)

    def render_quantity(self, value):
        return f"{value:,}"

    def render_estimated_annual_savings(self, value, record):
        return savings_html(value, record.estimated_annual_savings_local, record.currency, risk=record.is_risk)

    def render_due_date(self, value, record):
        return due_html(value, self.today, active=record.status in ACTIVE_STATUSES)

    def render_owner(self, value):
        return user_name(value)

    def render_status(self, value, record):
        return status_badge(record.status, value)

    def order_estimated_annual_savings(self, queryset, is_descending):
        return _nulls_last(queryset, "estimated_annual_savings", is_descending)

    def order_due_date(self, queryset, is_descending):
        return _nulls_last(queryset, "due_date", is_descending)


class ActionTable(tables.Table):
    effective_date = tables.Column(verbose_name="Effective", attrs=DAY)
    kind = tables.Column(verbose_name="Action", attrs={"td": {"class": "small"}})
    description = tables.Column(verbose_name="What was done", linkify=True, attrs=NAME)
    application = tables.Column(verbose_name="Application", order_by=("application__name",), attrs=NAME)
    quantity = tables.Column(verbose_name="Seats", attrs=NUMBER)
    credited_user = tables.Column(
        verbose_name="Credited to", order_by=("credited_user__first_name", "credited_user__username"), empty_values=()
    )
    performed_by = tables.Column(
        verbose_name="Done by", order_by=("performed_by__first_name", "performed_by__username"), empty_values=()
    )

    class Meta:
        model = SavingsAction
        fields = ("effective_date", "kind", "description", "application", "quantity", "credited_user", "performed_by")
        attrs = {**TABLE_ATTRS, "id": "action-table"}
        row_attrs = {"data-pk": lambda record: record.pk}
        empty_text = "No actions match these filters."

    def render_effective_date(self, value):
        return value.isoformat()

    def render_application(self, record):
        return application_and_pool(record.application, record.pool)

    def render_quantity(self, value):
        return f"{value:,}"

    def render_credited_user(self, value, record):
        if record.credited_team_id:
            return format_html('{}<div class="small text-muted">{}</div>', user_name(value), record.credited_team.name)
        return user_name(value)

    def render_performed_by(self, value):
        return user_name(value)
