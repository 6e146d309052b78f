"""The ledger's table. Rows come from ``savings.selectors.ledger_rows`` with every related row joined, so a page
of 50 (or 500) entries costs the same few queries."""

import django_tables2 as tables
from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html

from licenses.tables import DASH, DAY, NAME, NUMBER, TABLE_ATTRS
from renewals.templatetags.renewal_tags import fx_rate, money
from savings.choices import LedgerKind
from savings.models import LedgerEntry

REPORTING = settings.REPORTING_CURRENCY
KIND_BADGES = {LedgerKind.COST_SAVINGS: "text-bg-success", LedgerKind.COST_AVOIDANCE: "text-bg-primary"}


def user_name(user) -> str:
    if user is None:
        return DASH
    return user.get_full_name() or user.username


def entry_link(entry_id: int) -> str:
    return format_html('<a href="{}">#{}</a>', reverse("savings:ledger_detail", args=[entry_id]), entry_id)


def reversal_marks(entry: LedgerEntry) -> str:
    """ "reverses #n" on a reversal, "reversed by #n" on the entry it cancels; nothing on any other row."""
    if entry.reverses_id:
        return format_html(
            '<span class="badge text-bg-warning reversal-mark">reverses {}</span>', entry_link(entry.reverses_id)
        )
    reversal = getattr(entry, "reversed_by", None)  # a missing reverse one-to-one raises; getattr gives None
    if reversal is not None:
        return format_html(
            '<span class="badge text-bg-light border reversal-mark">reversed by {}</span>', entry_link(reversal.pk)
        )
    return ""


class LedgerTable(tables.Table):
    """One row per entry. Related facts share a cell (kind and recurrence, application and category, amount and
    FX rate) so the whole row fits a laptop screen; the export has each in its own column."""

    id = tables.Column(verbose_name="#", linkify=True, attrs={"td": {"class": "text-nowrap"}})
    effective_date = tables.Column(verbose_name="Effective", attrs=DAY)
    kind = tables.Column(verbose_name="Kind", order_by=("kind", "recurrence"), attrs={"td": {"class": "small"}})
    description = tables.Column(verbose_name="Description", attrs=NAME, empty_values=())
    application = tables.Column(
        verbose_name="Application",
        order_by=("application__name",),
        attrs={"td": {"class": "text-break", "style": "min-width: 8rem; max-width: 16rem"}},
    )
    department = tables.Column(verbose_name="Department", order_by=("department__name",))
    credited = tables.Column(
        verbose_name="Credited to",
        empty_values=(),
        order_by=("credited_user__first_name", "credited_user__username", "credited_team__name"),
    )
    amount = tables.Column(verbose_name="Amount · FX rate", attrs=NUMBER)
    amount_reporting = tables.Column(verbose_name=f"In {REPORTING}", attrs=NUMBER)

    class Meta:
        model = LedgerEntry
        fields = (
            "id",
            "effective_date",
            "kind",
            "description",
            "application",
            "department",
            "credited",
            "amount",
            "amount_reporting",
        )
        attrs = {**TABLE_ATTRS, "id": "ledger-table"}
        row_attrs = {
            "data-pk": lambda record: record.pk,
            "class": lambda record: "reversal" if record.reverses_id else "",
        }
        empty_text = "No ledger entries match these filters."

    def render_id(self, value):
        return f"#{value}"

    def render_effective_date(self, value):
        return value.isoformat()

    def render_kind(self, value, record):
        return format_html(
            '<span class="badge {} text-nowrap">{}</span><div class="text-muted text-nowrap">{}</div>',
            KIND_BADGES.get(record.kind, "text-bg-light"),
            value,
            record.get_recurrence_display(),
        )

    def render_description(self, record):
        marks = reversal_marks(record)
        if marks:
            return format_html("{}<div>{}</div>", record.description, marks)
        return record.description

    def render_application(self, value, record):
        category = record.category.name if record.category_id else ""
        return format_html(
            '<a href="{}">{}</a><div class="small text-muted">{}</div>', value.get_absolute_url(), value, category
        )

    def render_department(self, value):
        return value.name

    def render_credited(self, record):
        person = user_name(record.credited_user)
        if record.credited_team_id:
            return format_html('{}<div class="small text-muted">{}</div>', person, record.credited_team.name)
        return person

    def render_amount(self, value, record):
        if record.currency == record.reporting_currency:
            return money(value, record.currency)
        return format_html(
            '{}<div class="small text-muted" title="{} per {}">× {}</div>',
            money(value, record.currency),
            record.reporting_currency,
            record.currency,
            fx_rate(record.fx_rate),
        )

    def render_amount_reporting(self, value):
        return format_html('<span class="{}">{}</span>', "text-danger" if value < 0 else "", money(value))
