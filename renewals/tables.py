import django_tables2 as tables
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from renewals.models import Contract, Renewal
from renewals.selectors import at_risk_reason
from renewals.templatetags.renewal_tags import deadline_html, money

STAGE_BADGES = {
    "upcoming": "text-bg-light border",
    "in_review": "text-bg-info",
    "negotiating": "text-bg-warning",
    "decided": "text-bg-success",
    "closed": "text-bg-secondary",
}
TABLE_ATTRS = {"class": "table table-hover align-middle"}
WORDS = {"td": {"class": "words"}}
NUMBER = {"td": {"class": "text-end text-nowrap"}, "th": {"class": "text-end"}}


def _owner(user) -> str:
    return (user.get_full_name() or user.username) if user else "—"


def _reporting(value, currency: str) -> str:
    if value is not None:
        return money(value, settings.REPORTING_CURRENCY)
    if currency == settings.REPORTING_CURRENCY:
        return "—"
    return format_html(
        '<a class="badge text-bg-warning text-decoration-none" href="{}?currency={}" title="{}">no {}→{} rate</a>',
        reverse("core:fxrate_list"),
        currency,
        "Add an exchange rate to see this value in the reporting currency",
        currency,
        settings.REPORTING_CURRENCY,
    )


def _application_names(contract: Contract) -> str:
    names = [a.name for a in contract.applications.all()]
    return ", ".join(names) if names else "—"


class DeadlineColumnMixin:
    def __init__(self, *args, today=None, **kwargs):
        self.today = today or timezone.localdate()
        super().__init__(*args, **kwargs)


class ContractTable(DeadlineColumnMixin, tables.Table):
    number = tables.Column(linkify=True, verbose_name="Contract", attrs={"td": {"class": "text-nowrap"}})
    vendor = tables.Column(linkify=True, attrs=WORDS)
    applications = tables.Column(empty_values=(), orderable=False, verbose_name="Applications", attrs=WORDS)
    annual_value = tables.Column(verbose_name="Annual value", attrs=NUMBER)
    annual_value_reporting = tables.Column(
        verbose_name=f"Annual ({settings.REPORTING_CURRENCY})", attrs=NUMBER, empty_values=()
    )
    total_value = tables.Column(verbose_name="TCV", attrs=NUMBER)
    cancel_by = tables.Column(verbose_name="Cancel-by")
    end_date = tables.Column(verbose_name="Ends", attrs={"td": {"class": "text-nowrap"}})
    auto_renew = tables.BooleanColumn(verbose_name="Auto-renew", yesno="Yes,No")
    status = tables.Column()
    owner = tables.Column(order_by=("owner__first_name", "owner__username"), attrs=WORDS)

    class Meta:
        model = Contract
        fields = (
            "number",
            "vendor",
            "applications",
            "annual_value",
            "annual_value_reporting",
            "total_value",
            "currency",
            "cancel_by",
            "end_date",
            "auto_renew",
            "status",
            "owner",
        )
        attrs = TABLE_ATTRS
        empty_text = "No contracts match these filters."

    def render_applications(self, record):
        return _application_names(record)

    def render_annual_value(self, value):
        return money(value)

    def render_total_value(self, value):
        return money(value)

    def render_annual_value_reporting(self, value, record):
        return _reporting(value, record.currency)

    def render_cancel_by(self, value):
        return deadline_html(value, self.today)

    def render_end_date(self, value):
        return value.isoformat()

    def render_owner(self, value):
        return _owner(value)


class RenewalTable(DeadlineColumnMixin, tables.Table):
    contract = tables.Column(
        accessor="contract__number",
        verbose_name="Contract",
        linkify=lambda record: record.get_absolute_url(),
        attrs={"td": {"class": "text-nowrap"}},
    )
    what = tables.Column(empty_values=(), orderable=False, verbose_name="Applications / vendor", attrs=WORDS)
    stage = tables.Column()
    decision = tables.Column()
    # One column for both currencies keeps the table narrow; it sorts by the reporting value, which
    # compares across currencies.
    annual_value = tables.Column(
        accessor="contract__annual_value",
        verbose_name="Annual value",
        attrs=NUMBER,
        empty_values=(),
        order_by=("contract__annual_value_reporting",),
    )
    cancel_by = tables.Column(verbose_name="Cancel-by")
    auto_renew = tables.BooleanColumn(accessor="contract__auto_renew", verbose_name="Auto-renew", yesno="Yes,No")
    owner = tables.Column(order_by=("owner__first_name", "owner__username"), attrs=WORDS)

    class Meta:
        model = Renewal
        fields = ("contract", "what", "stage", "decision", "annual_value", "cancel_by")
        sequence = ("contract", "what", "stage", "decision", "annual_value", "cancel_by", "...")
        attrs = TABLE_ATTRS
        empty_text = "No renewals match these filters."

    def render_stage(self, value, record):
        return format_html('<span class="badge {} text-nowrap">{}</span>', STAGE_BADGES.get(record.stage, ""), value)

    def render_what(self, record):
        contract = record.contract
        return format_html(
            '<div>{}</div><div class="small text-muted">{}</div>', _application_names(contract), contract.vendor.name
        )

    def render_annual_value(self, value, record):
        contract = record.contract
        if contract.currency == settings.REPORTING_CURRENCY:
            return money(value, contract.currency)
        reporting = contract.annual_value_reporting
        second = f"≈ {money(reporting, settings.REPORTING_CURRENCY)}" if reporting is not None else ""
        return format_html(
            '<div>{}</div><div class="small text-muted">{}</div>',
            money(value, contract.currency),
            second or _reporting(None, contract.currency),
        )

    def render_cancel_by(self, value):
        return deadline_html(value, self.today)

    def render_owner(self, value):
        return _owner(value)


class AtRiskTable(RenewalTable):
    reason = tables.Column(
        empty_values=(), orderable=False, verbose_name="Why it is at risk", attrs={"td": {"class": "at-risk-reason"}}
    )

    class Meta(RenewalTable.Meta):
        exclude = ("decision",)
        sequence = ("contract", "what", "reason", "cancel_by", "stage", "annual_value", "...")
        empty_text = "Nothing is at risk: every cancel-by in the next 30 days has a decision."

    def render_reason(self, record):
        return format_html('<span class="text-danger fw-medium">{}</span>', at_risk_reason(record, today=self.today))
