import django_tables2 as tables
from django.conf import settings
from django.db.models import F
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from licenses.choices import RISK_KINDS
from licenses.models import Assignment, Finding, LicensePool, ReconciliationRun
from renewals.templatetags.renewal_tags import money, price

TABLE_ATTRS = {"class": "table table-hover align-middle"}
# A name column: wraps between words, and keeps enough room that a long name does not become a tower.
NAME = {"td": {"class": "name-cell"}}
NUMBER = {"td": {"class": "text-end text-nowrap money"}, "th": {"class": "text-end"}}
DAY = {"td": {"class": "text-nowrap"}}
RUN_STATUS_BADGES = {
    "queued": "text-bg-secondary",
    "running": "text-bg-info",
    "done": "text-bg-success",
    "failed": "text-bg-danger",
}
DASH = "—"
REPORTING = settings.REPORTING_CURRENCY


def _joined(parts, separator: str = " · ") -> str:
    return format_html_join(separator, "{}", ((part,) for part in parts))


def kind_badge(kind: str, label: str) -> str:
    """A finding's kind; true-up risk carries a red "Risk" badge so it is never read as savings."""
    if kind in RISK_KINDS:
        return format_html(
            '<span class="text-nowrap">{} <span class="badge text-bg-danger" title="{}">Risk</span></span>',
            label,
            "True-up exposure: money that may be owed, not savings",
        )
    return format_html('<span class="text-nowrap">{}</span>', label)


def application_and_pool(application, pool=None, *, vendor: str = "") -> str:
    """An application's name linked, with the license type and vendor under it: one column instead of three."""
    below = []
    if pool is not None:
        below.append(format_html('<a href="{}">{}</a>', pool.get_absolute_url(), pool.name))
    if vendor:
        below.append(vendor)
    return format_html(
        '<a class="fw-medium" href="{}">{}</a><div class="small text-muted">{}</div>',
        application.get_absolute_url(),
        application.name,
        _joined(below),
    )


def person_cell(person, account: str = "") -> str:
    """Who: the person linked, the account when it is not their email, and their department."""
    if person is None:
        if not account:
            return DASH
        return format_html(
            '<span class="account">{}</span><div class="small text-muted">not matched to a person</div>', account
        )
    lines = []
    if account and account.lower() != (person.email or "").lower():
        lines.append(format_html('<div class="small account">{}</div>', account))
    if person.department_id:
        lines.append(format_html('<div class="small text-muted">{}</div>', person.department.name))
    return format_html('<a href="{}">{}</a>{}', person.get_absolute_url(), person.name, _joined(lines, ""))


def pool_source(pool: LicensePool) -> str:
    if pool.line_item_id and pool.line_item.contract_id:
        contract = pool.line_item.contract
        return format_html('<a href="{}">{}</a>', contract.get_absolute_url(), contract.number)
    return format_html('<span class="text-muted">{}</span>', "by hand")


def _day(value) -> str:
    return value.isoformat() if value else DASH


def _nulls_last(queryset, field: str, is_descending: bool, *then: str):
    expression = F(field).desc(nulls_last=True) if is_descending else F(field).asc(nulls_last=True)
    return queryset.order_by(expression, *then), True


class PoolTable(tables.Table):
    name = tables.Column(linkify=True, verbose_name="License type", attrs=NAME)
    application = tables.Column(
        verbose_name="Application", order_by=("application__name", "name"), attrs=NAME, empty_values=()
    )
    source = tables.Column(
        empty_values=(), verbose_name="Contract", order_by=("line_item__contract__number",), attrs=DAY
    )
    purchased_quantity = tables.Column(verbose_name="Purchased", attrs=NUMBER)
    assigned = tables.Column(verbose_name="Assigned", attrs=NUMBER)
    annual_unit_cost = tables.Column(verbose_name="Cost per seat / yr", attrs=NUMBER)
    annual_unit_cost_reporting = tables.Column(verbose_name=f"In {REPORTING}", attrs=NUMBER, empty_values=())
    threshold = tables.Column(verbose_name="Idle after", attrs=NUMBER)

    class Meta:
        model = LicensePool
        fields = (
            "name",
            "application",
            "source",
            "purchased_quantity",
            "assigned",
            "annual_unit_cost",
            "annual_unit_cost_reporting",
            "threshold",
        )
        attrs = TABLE_ATTRS
        empty_text = "No license pools match these filters."

    def render_application(self, record):
        vendor = record.application.vendor.name if record.application.vendor_id else ""
        return application_and_pool(record.application, vendor=vendor)

    def render_source(self, record):
        return pool_source(record)

    def render_purchased_quantity(self, value):
        return f"{value:,}"

    def render_assigned(self, value, record):
        if record.purchased_quantity is not None and value > record.purchased_quantity:
            return format_html(
                '<span class="text-danger fw-semibold" title="More assigned than purchased">{}</span>', f"{value:,}"
            )
        return f"{value:,}"

    def render_annual_unit_cost(self, value, record):
        return f"{price(value)} {record.currency}"

    def render_annual_unit_cost_reporting(self, value, record):
        if value is not None:
            return price(value)
        if record.annual_unit_cost is None:
            return DASH
        return format_html(
            '<a class="badge text-bg-warning text-decoration-none" href="{}?currency={}">no {}→{} rate</a>',
            reverse("core:fxrate_list"),
            record.currency,
            record.currency,
            REPORTING,
        )

    def render_threshold(self, value):
        return f"{value} d"


class AssignmentTable(tables.Table):
    account = tables.Column(attrs={"td": {"class": "account"}})
    person = tables.Column(verbose_name="Person", order_by=("person__name",), attrs=NAME, empty_values=())
    pool = tables.Column(
        verbose_name="Application / license type",
        order_by=("pool__application__name", "pool__name"),
        attrs=NAME,
        empty_values=(),
    )
    assigned_on = tables.Column(verbose_name="Assigned on", attrs=DAY)
    unassigned_on = tables.Column(verbose_name="Ended on", attrs=DAY)
    last_seen = tables.Column(verbose_name="Last seen", attrs=DAY)
    source = tables.Column()

    class Meta:
        model = Assignment
        fields = ("account", "person", "pool", "assigned_on", "unassigned_on", "last_seen", "source")
        attrs = TABLE_ATTRS
        empty_text = "No assignments match these filters."

    def render_person(self, record):
        return (
            person_cell(record.person)
            if record.person_id
            else format_html('<span class="text-muted">{}</span>', "not matched")
        )

    def render_pool(self, record):
        return application_and_pool(record.pool.application, record.pool)

    def render_assigned_on(self, value):
        return _day(value)

    def render_unassigned_on(self, value):
        return _day(value)

    def render_last_seen(self, value):
        return _day(value)

    def order_last_seen(self, queryset, is_descending):
        return _nulls_last(queryset, "last_seen", is_descending, "pk")


class PoolAssignmentTable(AssignmentTable):
    """The assignments on a pool's page: the pool is the page's own."""

    class Meta(AssignmentTable.Meta):
        exclude = ("pool",)
        empty_text = "Nobody holds a seat of this pool."


class UtilisationTable(tables.Table):
    """Rows are selectors.PoolUsage; sorted in memory (every pool is loaded to compute the figures)."""

    application = tables.Column(
        accessor="pool__application__name",
        verbose_name="Application / license type",
        order_by=("pool__application__name", "pool__name"),
        attrs=NAME,
    )
    purchased = tables.Column(verbose_name="Purchased", attrs=NUMBER)
    assigned = tables.Column(verbose_name="Assigned", attrs=NUMBER)
    active = tables.Column(verbose_name="Active", attrs=NUMBER)
    utilisation = tables.Column(verbose_name="Utilisation", empty_values=(), attrs={"td": {"class": "util-cell"}})
    unassigned = tables.Column(verbose_name="Unassigned", attrs=NUMBER)
    over_assigned = tables.Column(verbose_name="Over-assigned", attrs=NUMBER)
    idle_cost = tables.Column(verbose_name=f"Idle cost ({REPORTING}/yr)", attrs=NUMBER, empty_values=())

    class Meta:
        attrs = {**TABLE_ATTRS, "id": "utilisation-table"}
        empty_text = "No license pools match these filters."
        row_attrs = {"data-pool": lambda record: record.pool.pk}

    def render_application(self, record):
        application = record.pool.application
        return application_and_pool(application, record.pool, vendor=application.vendor.name)

    def render_purchased(self, value):
        return f"{value:,}"

    def render_assigned(self, value):
        return f"{value:,}"

    def render_active(self, value, record):
        return format_html('<span title="Used within {} days">{}</span>', record.threshold_days, f"{value:,}")

    def render_utilisation(self, value, record):
        if value is None:
            reason = "purchase unknown" if record.purchased is None else "none bought"
            return format_html('<span class="text-muted small">{}</span>', reason)
        tone = "bg-danger" if value < 50 else "bg-warning" if value < 80 else "bg-success"
        return format_html(
            '<div class="util-bar" title="{} active of {} purchased">'
            '<div class="util-track"><div class="util-fill {}" style="width: {}%"></div></div>'
            '<span class="util-value">{}%</span></div>',
            record.active,
            record.purchased,
            tone,
            min(value, 100),
            value,
        )

    def render_unassigned(self, value):
        return f"{value:,}"

    def render_over_assigned(self, value):
        if value:
            return format_html('<span class="text-danger fw-semibold">{}</span>', f"{value:,}")
        return "0"

    def render_idle_cost(self, value, record):
        if value is not None:
            return money(value)
        if record.idle_seats:
            return format_html('<span class="badge text-bg-warning" title="{}">unpriced</span>', "No price or FX rate")
        return DASH


class FindingTable(tables.Table):
    kind = tables.Column(verbose_name="Finding", empty_values=())
    application = tables.Column(
        verbose_name="Application / license type", order_by=("application__name", "pool__name"), attrs=NAME
    )
    person = tables.Column(verbose_name="Who", order_by=("person__name", "account"), attrs=NAME, empty_values=())
    last_seen = tables.Column(verbose_name="Last seen", attrs=DAY)
    days_idle = tables.Column(verbose_name="Days idle", attrs=NUMBER)
    termination_date = tables.Column(verbose_name="Left on", attrs=DAY)
    assigned_on = tables.Column(verbose_name="Assigned on", attrs=DAY)
    quantity = tables.Column(verbose_name="Seats", attrs=NUMBER)
    annual_cost_impact = tables.Column(verbose_name=f"Impact ({REPORTING}/yr)", attrs=NUMBER, empty_values=())

    class Meta:
        model = Finding
        fields = (
            "kind",
            "application",
            "person",
            "last_seen",
            "days_idle",
            "termination_date",
            "assigned_on",
            "quantity",
            "annual_cost_impact",
        )
        attrs = {**TABLE_ATTRS, "id": "finding-table"}
        row_attrs = {"data-kind": lambda record: record.kind}
        empty_text = "No findings match these filters."

    def render_kind(self, record):
        return kind_badge(record.kind, record.get_kind_display())

    def render_application(self, record):
        return application_and_pool(record.application, record.pool)

    def render_person(self, record):
        return person_cell(record.person, record.account)

    def render_last_seen(self, value):
        return _day(value)

    def render_termination_date(self, value):
        return _day(value)

    def render_assigned_on(self, value):
        return _day(value)

    def render_annual_cost_impact(self, value, record):
        if value is None:
            return format_html(
                '<span class="badge text-bg-warning" title="{}">unpriced</span>',
                "The pool has no price, or no exchange rate is known for its currency",
            )
        if record.currency and record.currency != REPORTING:
            local = money(record.annual_cost_impact_local, record.currency)
            return format_html('<div>{}</div><div class="small text-muted">{}</div>', money(value), local)
        return money(value)

    def order_annual_cost_impact(self, queryset, is_descending):
        return _nulls_last(queryset, "annual_cost_impact", is_descending, "kind", "pk")

    def order_last_seen(self, queryset, is_descending):
        return _nulls_last(queryset, "last_seen", is_descending, "pk")

    def order_days_idle(self, queryset, is_descending):
        return _nulls_last(queryset, "days_idle", is_descending, "pk")


class RunTable(tables.Table):
    run = tables.Column(accessor="pk", verbose_name="Run", linkify=lambda record: record.get_absolute_url())
    as_of = tables.Column(verbose_name="As of", attrs=DAY)
    application = tables.Column(verbose_name="Scope", empty_values=(), attrs=NAME)
    status = tables.Column()
    findings = tables.Column(accessor="counts", verbose_name="Findings", orderable=False, attrs=NUMBER)
    total_annual_savings = tables.Column(verbose_name=f"Savings ({REPORTING}/yr)", attrs=NUMBER, empty_values=())
    total_annual_risk = tables.Column(verbose_name=f"True-up risk ({REPORTING}/yr)", attrs=NUMBER, empty_values=())
    triggered_by = tables.Column(verbose_name="Started by", empty_values=())
    created_at = tables.DateTimeColumn(verbose_name="Started", format="Y-m-d H:i", attrs=DAY)
    finished_at = tables.DateTimeColumn(verbose_name="Finished", format="Y-m-d H:i", attrs=DAY)

    class Meta:
        model = ReconciliationRun
        fields = (
            "run",
            "as_of",
            "application",
            "status",
            "findings",
            "total_annual_savings",
            "total_annual_risk",
            "triggered_by",
            "created_at",
            "finished_at",
        )
        attrs = {**TABLE_ATTRS, "id": "run-table"}
        empty_text = "No runs match these filters."

    def render_run(self, value):
        return f"#{value}"

    def render_application(self, value):
        return value.name if value else "Every application"

    def render_status(self, value, record):
        badge = RUN_STATUS_BADGES.get(record.status, "text-bg-secondary")
        suffix = f" {record.percent}%" if record.status == "running" else ""
        return format_html('<span class="badge {}">{}{}</span>', badge, value, suffix)

    def render_findings(self, value, record):
        return f"{sum(value.values()):,}" if record.status == "done" else DASH

    def render_total_annual_savings(self, value):
        return money(value) if value is not None else DASH

    def render_total_annual_risk(self, value):
        return money(value) if value is not None else DASH

    def render_triggered_by(self, value):
        if value is None:
            return format_html('<span class="text-muted">{}</span>', "schedule or command")
        return value.get_full_name() or value.username
