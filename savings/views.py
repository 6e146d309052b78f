"""The Savings Center pages: the center, opportunities, the reclaim and action forms, and actions.

Access is checked by the access table; totals come from savings.selectors; writes go through
savings.actions (wins) and savings.opportunities (status and owner). The ledger pages are savings.ledger_views.
"""

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django_tables2 import RequestConfig

from licenses.models import Assignment
from licenses.tables import FindingTable
from saasmgr.core.access import role_may
from saasmgr.core.generic import history_rows
from savings import actions, forms, selectors, tables
from savings.choices import (
    ACTIVE_STATUSES,
    STATUS_MOVES,
    ActionKind,
    LedgerKind,
    OpportunityKind,
    OpportunityStatus,
)
from savings.filtersets import ACTIVE, LAST_12_MONTHS, RISK, SAVINGS, OpportunityFilterSet
from savings.ledger_tables import LedgerTable
from savings.models import Opportunity, SavingsAction
from savings.opportunities import opportunity_assign, opportunity_status_change
from savings.services import SavingsError

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
TOP_OPPORTUNITIES = 10
FINDINGS_SHOWN = 25
HISTORY_SHOWN = 50
IGNORED_PARAMS = ("page", "sort", "per_page")
RECLAIM_KINDS = {OpportunityKind.RECLAIM}
# Which action form takes an opportunity of each kind, when one does.
ACTION_FORMS = {
    OpportunityKind.CANCEL_APP: ("Cancel or downgrade", "savings:action_cancel_app"),
    OpportunityKind.CONSOLIDATE: ("Consolidate", "savings:action_consolidate"),
}
ERRORS = (SavingsError, ValidationError)


def _per_page(request) -> int:
    value = request.GET.get("per_page", "")
    return int(value) if value.isdigit() and 0 < int(value) <= MAX_PAGE_SIZE else PAGE_SIZE


def _paginated(request, table):
    RequestConfig(request, paginate={"per_page": _per_page(request)}).configure(table)
    return table


def _url(name: str, params: dict | None = None) -> str:
    url = reverse(name)
    return f"{url}?{urlencode(params, doseq=True)}" if params else url


def _error_text(error: Exception) -> list[str]:
    return error.messages if isinstance(error, ValidationError) else [str(error)]


# One-click actions


@dataclass(frozen=True)
class ActionLink:
    label: str
    url: str


def action_link(opportunity: Opportunity) -> ActionLink:
    """What one click does with an opportunity: reclaim kinds open the reclaim form, kinds with an action form
    open it filled in, and the rest (work done at renewal, true-up risk) open the opportunity's page."""
    if opportunity.kind in RECLAIM_KINDS and opportunity.pool_id:
        return ActionLink("Reclaim", reverse("savings:opportunity_reclaim", args=[opportunity.pk]))
    if opportunity.kind in ACTION_FORMS:
        label, name = ACTION_FORMS[opportunity.kind]
        return ActionLink(label, _url(name, {"opportunity": opportunity.pk}))
    if opportunity.renewal_id and opportunity.kind != OpportunityKind.TRUE_UP_RISK:
        return ActionLink("Open renewal", reverse("renewals:renewal_detail", args=[opportunity.renewal_id]))
    return ActionLink("Open", opportunity.get_absolute_url())


# The Savings Center


def _opportunity_list_url(**params) -> str:
    return _url("savings:opportunity_list", params)


def _ledger_url(params: dict | None = None) -> str:
    return _url("savings:ledger_list", params)


def _month_rows(months, ledger_by_month) -> list[dict]:
    """The chart's numbers, month by month, each with the filters that list the rows behind it."""
    rows = []
    for month in months:
        split = ledger_by_month.get(month.month)
        period = month.ledger_params
        seen = {"seen_from": period["date_from"], "seen_to": period["date_to"], "impact": SAVINGS}
        rows.append(
            {
                "month": month,
                "label": month.label,
                "identified_url": _opportunity_list_url(status=OpportunityStatus.OPEN, **seen),
                "in_progress_url": _opportunity_list_url(status=OpportunityStatus.IN_PROGRESS, **seen),
                "cost_savings": split.cost_savings if split else selectors.ZERO,
                "cost_avoidance": split.cost_avoidance if split else selectors.ZERO,
                "realized_url": _ledger_url(period),
                "cost_savings_url": _ledger_url({**period, "kind": LedgerKind.COST_SAVINGS}),
                "cost_avoidance_url": _ledger_url({**period, "kind": LedgerKind.COST_AVOIDANCE}),
            }
        )
    return rows


def _chart(rows: list[dict]) -> dict:
    """The monthly figure as Plotly JSON: identified and in progress beside the realized savings, with realized
    cost savings and cost avoidance stacked in one bar."""
    labels = [row["label"] for row in rows]

    def values(pick):
        return [float(pick(row)) for row in rows]

    savings_values = values(lambda row: row["cost_savings"])
    traces = [
        {
            "name": "Identified (open)",
            "marker": {"color": "#9ec5fe"},
            "offsetgroup": "identified",
            "y": values(lambda row: row["month"].identified),
        },
        {
            "name": "In progress",
            "marker": {"color": "#6ea8fe"},
            "offsetgroup": "in_progress",
            "y": values(lambda row: row["month"].in_progress),
        },
        {
            "name": "Realized: cost savings",
            "marker": {"color": "#198754"},
            "offsetgroup": "realized",
            "y": savings_values,
        },
        {
            "name": "Realized: cost avoidance",
            "marker": {"color": "#20c997"},
            "offsetgroup": "realized",
            "y": values(lambda row: row["cost_avoidance"]),
            "base": savings_values,
        },
    ]
    currency = settings.REPORTING_CURRENCY
    yaxis = {"title": {"text": f"{currency}"}, "tickformat": ",.0f", "rangemode": "tozero"}
    if not any(any(trace["y"]) for trace in traces):
        yaxis["range"] = [0, 1000]  # all zeros: whole-number ticks instead of 0, 0, 1, 1
    figure = {
        "data": [
            {**trace, "type": "bar", "x": labels, "hovertemplate": f"%{{x}}: %{{y:,.2f}} {currency}<extra></extra>"}
            for trace in traces
        ],
        "layout": {
            "barmode": "group",
            "margin": {"l": 60, "r": 10, "t": 30, "b": 40},
            # Above the plot: below it, a phone's slanted month labels would run into it.
            "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
            "yaxis": yaxis,
            "xaxis": {"type": "category", "automargin": True},
            "font": {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 12},
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
        },
    }
    return figure


def _wins(rows) -> list[dict]:
    return [{"row": row, "url": _ledger_url(row.params) if row.params else ""} for row in rows]


def center(request):
    today = timezone.localdate()
    realized = selectors.ledger_totals()
    last_12 = {"period": LAST_12_MONTHS}
    realized_12 = selectors.ledger_totals(selectors.ledger_queryset(last_12))
    months = selectors.savings_by_month(months=12, today=today)
    window = {"date_from": months[0].month.isoformat(), "date_to": months[-1].ledger_params["date_to"]}
    by_month = {row.key: row for row in selectors.ledger_summary(selectors.ledger_queryset(window), by="month")}
    month_rows = _month_rows(months, by_month)
    opportunities = selectors.opportunity_totals()
    top = list(
        selectors.opportunity_queryset(QueryDict(urlencode({"status": ACTIVE, "impact": SAVINGS}))).select_related(
            "pool"
        )[:TOP_OPPORTUNITIES]
    )
    program_cost = settings.SAVINGS_PROGRAM_ANNUAL_COST
    context = {
        "today": today,
        "reporting_currency": settings.REPORTING_CURRENCY,
        "realized": realized,
        "realized_12": realized_12,
        "opportunities": opportunities,
        "month_rows": month_rows,
        "chart": _chart(month_rows),
        "top": [
            {"opportunity": o, "action": action_link(o), "due_html": tables.due_html(o.due_date, today)} for o in top
        ],
        "people": _wins(selectors.wins_by_person()),
        "teams": _wins(selectors.wins_by_team()),
        "program_cost": program_cost,
        "roi": selectors.roi(realized_12.total),
        "can_act": role_may(request.user, "savings:opportunity_reclaim", write=True),
        "may_record": role_may(request.user, "savings:action_manual", write=True),
        "urls": {
            "identified": _opportunity_list_url(status=OpportunityStatus.OPEN, impact=SAVINGS),
            "in_progress": _opportunity_list_url(status=OpportunityStatus.IN_PROGRESS, impact=SAVINGS),
            "active": _opportunity_list_url(status=ACTIVE, impact=SAVINGS),
            "risk": _opportunity_list_url(status=ACTIVE, impact=RISK),
            "unpriced": _opportunity_list_url(status=ACTIVE),
            "realized": _ledger_url(),
            "cost_savings": _ledger_url({"kind": LedgerKind.COST_SAVINGS}),
            "cost_avoidance": _ledger_url({"kind": LedgerKind.COST_AVOIDANCE}),
            "realized_12": _ledger_url(last_12),
            "months": _ledger_url(window),
        },
        "empty": realized.entries == 0 and not top and not opportunities.risk_count,
    }
    return render(request, "savings/center.html", context)


# Opportunities


def opportunity_list(request):
    today = timezone.localdate()
    # With no filter the list shows what is still to act on; "Clear" comes back here.
    data = request.GET if any(k not in IGNORED_PARAMS for k in request.GET) else _default_filters(request)
    filterset = OpportunityFilterSet(data, queryset=selectors.opportunity_queryset(), request=request)
    valid = filterset.is_valid()
    rows = (filterset.qs if valid else selectors.opportunity_queryset()).select_related("pool")
    table = _paginated(request, tables.OpportunityTable(rows, today=today))
    context = {
        "filter": filterset,
        "filtered": any(v for k, v in request.GET.items() if k not in IGNORED_PARAMS),
        "table": table,
        "totals": selectors.opportunity_totals(rows),
        "total_count": Opportunity.objects.count(),
        "reset_url": reverse("savings:opportunity_list"),
        "reporting_currency": settings.REPORTING_CURRENCY,
    }
    return render(request, "savings/opportunity_list.html", context)


def _default_filters(request) -> QueryDict:
    data = QueryDict(mutable=True)
    data.setlist("status", [ACTIVE])
    for name in IGNORED_PARAMS:
        if name in request.GET:
            data[name] = request.GET[name]
    return data


def _opportunity_or_404(pk: int) -> Opportunity:
    queryset = Opportunity.objects.select_related(
        "application", "pool__application", "contract", "renewal__contract", "owner", "run"
    )
    return get_object_or_404(queryset, pk=pk)


def _evidence_links(opportunity: Opportunity) -> list[dict]:
    """The links the refresh stored, then links to the records the opportunity points at that it did not name
    (a page already linked, with other filters, is not linked twice)."""
    links = [link for link in opportunity.evidence.get("links", []) if link.get("url") and link.get("label")]
    known = {link["url"].split("?")[0] for link in links}

    def add(label: str, url: str) -> None:
        if url.split("?")[0] not in known:
            known.add(url.split("?")[0])
            links.append({"label": label, "url": url})

    if opportunity.run_id:
        scope = {"pool": opportunity.pool_id} if opportunity.pool_id else {"application": opportunity.application_id}
        add(
            f"Findings of reconciliation run #{opportunity.run_id}",
            _url("licenses:finding_list", {"run": opportunity.run_id, **scope}),
        )
    if opportunity.pool_id:
        add(f"License pool: {opportunity.pool}", opportunity.pool.get_absolute_url())
    if opportunity.renewal_id:
        add(f"Renewal of {opportunity.renewal.contract.number}", opportunity.renewal.get_absolute_url())
    if opportunity.contract_id:
        add(f"Contract {opportunity.contract.number}", opportunity.contract.get_absolute_url())
    add(f"Application: {opportunity.application.name}", opportunity.application.get_absolute_url())
    return links


def _detail_context(request, opportunity: Opportunity, status_form=None) -> dict:
    today = timezone.localdate()
    findings = opportunity.findings.select_related("application", "pool", "person__department").order_by(
        "-days_idle", "pk"
    )
    findings_count = findings.count()
    findings_table = None
    if findings_count:
        findings_table = FindingTable(
            findings,
            orderable=False,
            exclude=("application", "assigned_on", "quantity"),
            sequence=("person", "kind", "last_seen", "days_idle", "termination_date", "annual_cost_impact"),
        )
        RequestConfig(request, paginate={"per_page": FINDINGS_SHOWN}).configure(findings_table)
    active = opportunity.status in ACTIVE_STATUSES
    moves = STATUS_MOVES.get(opportunity.status, set())
    return {
        "opportunity": opportunity,
        "reporting_currency": settings.REPORTING_CURRENCY,
        "kind_html": tables.kind_cell(opportunity),
        "status_html": tables.status_badge(opportunity.status, opportunity.get_status_display()),
        "due_html": tables.due_html(opportunity.due_date, today, active=active),
        "evidence_links": _evidence_links(opportunity),
        "findings_table": findings_table,
        "findings_count": findings_count,
        "findings_url": _url("licenses:finding_list", {"run": opportunity.run_id, "pool": opportunity.pool_id})
        if opportunity.run_id and opportunity.pool_id
        else "",
        "actions": opportunity.actions.select_related("performed_by").order_by("-effective_date", "-pk"),
        "history": history_rows(opportunity, HISTORY_SHOWN),
        "can_act": role_may(request.user, "savings:opportunity_status", write=True),
        "action": action_link(opportunity),
        "opportunity_active": active,
        "buttons": forms.status_buttons(opportunity),
        "may_dismiss": OpportunityStatus.DISMISSED in moves,
        "status_form": status_form or forms.OpportunityStatusForm(),
        "owner_form": forms.OpportunityOwnerForm(initial={"owner": opportunity.owner_id}),
    }


class OpportunityPage(View):
    # The model names the objects these pages are about (the access matrix test makes one from it).
    model = Opportunity


class OpportunityDetail(OpportunityPage):
    def get(self, request, pk: int):
        opportunity = _opportunity_or_404(pk)
        return render(request, "savings/opportunity_detail.html", _detail_context(request, opportunity))


class OpportunityStatusChange(OpportunityPage):
    """POST a new status (a dismissal with its reason), or ``assign`` with the new owner."""

    def get(self, request, pk: int):
        return redirect("savings:opportunity_detail", pk=pk)

    def post(self, request, pk: int):
        opportunity = _opportunity_or_404(pk)
        if "assign" in request.POST:
            owner_form = forms.OpportunityOwnerForm(request.POST)
            if not owner_form.is_valid():
                messages.error(request, "Pick one of the listed people as the owner.")
                return redirect(opportunity)
            owner = owner_form.cleaned_data["owner"]
            try:
                opportunity_assign(opportunity=opportunity, owner=owner, user=request.user)
            except SavingsError as error:
                messages.error(request, str(error))
            else:
                who = (owner.get_full_name() or owner.username) if owner else "nobody"
                messages.success(request, f"“{opportunity.title}” is now owned by {who}.")
            return redirect(opportunity)
        form = forms.OpportunityStatusForm(request.POST)
        if form.is_valid():
            try:
                opportunity = opportunity_status_change(
                    opportunity=opportunity,
                    status=form.cleaned_data["status"],
                    user=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except ERRORS as error:
                for text in _error_text(error):
                    form.add_error(None, text)
            else:
                messages.success(request, f"“{opportunity.title}” is now {opportunity.get_status_display().lower()}.")
                return redirect(opportunity)
        context = _detail_context(request, opportunity, status_form=form)
        return render(request, "savings/opportunity_detail.html", context, status=400)


class OpportunityReclaim(OpportunityPage):
    def dispatch(self, request, pk: int):
        self.opportunity = _opportunity_or_404(pk)
        if self.opportunity.kind not in RECLAIM_KINDS or not self.opportunity.pool_id:
            messages.error(request, "Only an opportunity to reclaim idle seats of a license pool has holders to pick.")
            return redirect(self.opportunity)
        if self.opportunity.status not in ACTIVE_STATUSES:
            messages.error(
                request,
                f"This opportunity is {self.opportunity.get_status_display().lower()}: reopen it to reclaim seats.",
            )
            return redirect(self.opportunity)
        self.findings = list(forms.reclaim_findings(self.opportunity))
        return super().dispatch(request, pk)

    def form(self, data=None):
        return forms.ReclaimForm(data, findings=self.findings, user=self.request.user)

    def render_form(self, form, status: int = 200):
        rows = form.rows()
        context = {
            "opportunity": self.opportunity,
            "pool": self.opportunity.pool,
            "form": form,
            "rows": rows,
            "ended_count": sum(1 for row in rows if row["ended"]),
            "credit_fields": [form["effective_date"], form["credited_user"], form["credited_team"]],
        }
        return render(self.request, "savings/reclaim_form.html", context, status=status)

    def get(self, request, pk: int):
        return self.render_form(self.form())

    def post(self, request, pk: int):
        form = self.form(request.POST)
        if form.is_valid():
            try:
                action = actions.seats_reclaim(
                    opportunity=self.opportunity,
                    pool=self.opportunity.pool,
                    assignments=list(form.cleaned_data["assignments"]),
                    reduce_when=form.cleaned_data["reduce_when"],
                    user=request.user,
                    **form.credit_kwargs(),
                )
            except ERRORS as error:
                for text in _error_text(error):
                    form.add_error(None, text)
            else:
                return _recorded(request, action)
        return self.render_form(form, status=400)


def _recorded(request, action: SavingsAction):
    totals = selectors.ledger_totals(action.entries.all())
    messages.success(
        request,
        f"Recorded: {action.description}. {totals.entries} ledger entr{'y' if totals.entries == 1 else 'ies'}, "
        f"{tables.money(totals.total, totals.currency)}.",
    )
    return redirect(action)


opportunity_detail = OpportunityDetail.as_view()
opportunity_status = OpportunityStatusChange.as_view()
opportunity_reclaim = OpportunityReclaim.as_view()


# Actions


def action_list(request):
    rows = SavingsAction.objects.select_related(
        "application", "pool", "credited_user", "credited_team", "performed_by"
    ).order_by("-effective_date", "-pk")
    kind = request.GET.get("kind", "")
    if kind:
        rows = rows.filter(kind=kind)
    table = _paginated(request, tables.ActionTable(rows))
    context = {
        "table": table,
        "kind": kind,
        "kinds": ActionKind.choices,
        "total_count": SavingsAction.objects.count(),
        "may_record": role_may(request.user, "savings:action_manual", write=True),
        "may_act": role_may(request.user, "savings:action_cancel_app", write=True),
    }
    return render(request, "savings/action_list.html", context)


class ActionPage(View):
    model = SavingsAction


class ActionDetail(ActionPage):
    def get(self, request, pk: int):
        action = get_object_or_404(
            SavingsAction.objects.select_related(
                "opportunity",
                "application",
                "contract",
                "renewal__contract",
                "pool",
                "performed_by",
                "credited_user",
                "credited_team",
            ),
            pk=pk,
        )
        if request.GET.get("download") == "evidence":
            return _evidence_download(action)
        entries = selectors.ledger_queryset({"action": action.pk})
        assignment_ids = action.details.get("assignment_ids") or []
        context = {
            "assignments": Assignment.objects.filter(pk__in=assignment_ids)
            .select_related("person")
            .order_by("person__name", "account")
            if assignment_ids
            else [],
            "evidence_name": Path(action.evidence_file.name).name if action.evidence_file else "",
            "action": action,
            # The page says what was done and for which application: the entries show the money.
            "entries_table": LedgerTable(
                entries, orderable=False, exclude=("description", "application", "category", "department")
            ),
            "totals": selectors.ledger_totals(entries),
            "ledger_url": _ledger_url({"action": action.pk}),
            "reporting_currency": settings.REPORTING_CURRENCY,
            "may_reverse": role_may(request.user, "savings:ledger_reverse", write=True),
        }
        return render(request, "savings/action_detail.html", context)


def _evidence_download(action: SavingsAction):
    """The evidence file of an action, for whoever may read the action (media files are not served directly)."""
    if not action.evidence_file:
        raise Http404("This action has no evidence file.")
    try:
        handle = action.evidence_file.open("rb")
    except FileNotFoundError as error:
        raise Http404("The evidence file is missing from storage.") from error
    return FileResponse(handle, as_attachment=True, filename=Path(action.evidence_file.name).name)


action_detail = ActionDetail.as_view()


@dataclass(frozen=True)
class FormPage:
    """What an action form page says around its form."""

    title: str
    intro: str
    submit_label: str
    current: str = "actions"


CANCEL_PAGE = FormPage(
    "Cancel an app",
    "The application is retired: the contracts and hand-entered pools picked below stop from the effective date, "
    "everyone's seats end, and their annual cost is recorded as cost savings every year.",
    "Cancel the app and record the saving",
)
DOWNGRADE_PAGE = FormPage(
    "Downgrade seats",
    "The holders picked below move to a cheaper license type of the same application: that many seats fewer are "
    "bought of this type and more of the cheaper one. The difference in annual cost is recorded as cost savings.",
    "Move the seats and record the saving",
)
CONSOLIDATE_PAGE = FormPage(
    "Consolidate apps",
    "The applications to retire stop (their own contracts and hand-entered pools, and their seats), and their "
    "people move to the one that is kept. Saving: what the retired ones cost a year less what the kept one costs "
    "more.",
    "Consolidate and record the saving",
)


def _action_render(request, page: FormPage, form, *, opportunity=None, scope_form=None, notice=""):
    context = {
        "form": form,
        "scope_form": scope_form,
        "title": page.title,
        "intro": page.intro,
        "submit_label": page.submit_label,
        "current": page.current,
        "opportunity": opportunity,
        "notice": notice,
    }
    posted = request.method == "POST" and (form is not None and form.is_bound)
    return render(request, "savings/action_form.html", context, status=400 if posted else 200)


def _action_submit(request, page: FormPage, form, service, *, opportunity=None, notice=""):
    """Validate, call the action's service with the form's values, and show the action it recorded."""
    if request.method == "POST" and form.is_valid():
        try:
            action = service(user=request.user, opportunity=opportunity, **form.action_kwargs())
        except ERRORS as error:
            for text in _error_text(error):
                form.add_error(None, text)
        else:
            return _recorded(request, action)
    return _action_render(request, page, form, opportunity=opportunity, notice=notice)


MANUAL_PAGE = FormPage(
    "Record a win",
    "For a win no other action covers: a service credit, a refund, a purchase avoided. It is written to the "
    "ledger as it is; a mistake is corrected later by reversing the entry.",
    "Record the win",
    current="manual",
)


def action_manual(request):
    form = forms.ManualWinForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        user=request.user,
    )
    if request.method == "POST" and form.is_valid():
        try:
            action = actions.manual_win_record(user=request.user, **form.win_kwargs())
        except ERRORS as error:
            for text in _error_text(error):
                form.add_error(None, text)
        else:
            return _recorded(request, action)
    return _action_render(request, MANUAL_PAGE, form)


def _opportunity_from_query(request) -> Opportunity | None:
    value = request.POST.get("opportunity") or request.GET.get("opportunity") or ""
    if not value:
        return None
    if not value.isdigit():
        raise Http404("No such opportunity.")
    return _opportunity_or_404(int(value))


def _picked(request, queryset, name: str):
    """The record named by ``name`` in the posted form, else in the query string; None when not given."""
    value = (request.POST if request.method == "POST" else request.GET).get(name, "")
    if not value.isdigit():
        return None
    return queryset.filter(pk=int(value)).first()


def action_cancel_app(request):
    opportunity = _opportunity_from_query(request)
    application = _picked(request, forms.live_applications(), "application")
    if application is None and opportunity is not None:
        application = opportunity.application
    if application is None:
        pick = forms.ApplicationPickForm(request.GET or None)
        return _action_render(request, CANCEL_PAGE, None, opportunity=opportunity, scope_form=pick)
    data = request.POST if request.method == "POST" else None
    form = forms.CancelAppForm(data, application=application, user=request.user)
    notice = (
        f"Nothing of {application.name} has a cost to stop: no active contract covers it alone, and no license pool "
        "entered by hand has seats and a price."
        if form.nothing_to_stop
        else ""
    )
    return _action_submit(request, CANCEL_PAGE, form, actions.app_cancel, opportunity=opportunity, notice=notice)


def action_downgrade(request):
    opportunity = _opportunity_from_query(request)
    pools = forms.priced_pools()
    from_pool = _picked(request, pools, "from_pool")
    if from_pool is None and opportunity is not None and opportunity.pool_id:
        from_pool = pools.filter(pk=opportunity.pool_id).first()
    if from_pool is None:
        pick = forms.PoolPickForm(request.GET or None)
        if opportunity is not None:
            pick.fields["from_pool"].queryset = pools.filter(application_id=opportunity.application_id)
        return _action_render(request, DOWNGRADE_PAGE, None, opportunity=opportunity, scope_form=pick)
    data = request.POST if request.method == "POST" else None
    form = forms.DowngradeForm(data, from_pool=from_pool, user=request.user)
    notice = (
        f"{from_pool.application.name} has no other license type with a price to move seats to. Add one under "
        "License pools first."
        if form.no_other_type
        else f"Moving seats from {from_pool}."
    )
    return _action_submit(
        request, DOWNGRADE_PAGE, form, actions.seats_downgrade, opportunity=opportunity, notice=notice
    )


def action_consolidate(request):
    opportunity = _opportunity_from_query(request)
    initial = {}
    if opportunity is not None and opportunity.kind == OpportunityKind.CONSOLIDATE:
        evidence = opportunity.evidence
        initial = {
            "applications": [row["application"] for row in evidence.get("retired", []) if row.get("application")],
            "kept_application": (evidence.get("kept") or {}).get("application") or opportunity.application_id,
        }
    data = request.POST if request.method == "POST" else None
    form = forms.ConsolidateForm(data, initial=initial, user=request.user)
    return _action_submit(request, CONSOLIDATE_PAGE, form, actions.apps_consolidate, opportunity=opportunity)
