"""The Savings Center's forms: they check what a person typed; the services in savings.actions and
savings.opportunities do the work and refuse what the data does not allow."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat, pluralize
from django.utils import timezone

from licenses.models import Assignment, Finding, LicensePool
from renewals.filtersets import UserChoiceField, active_users
from renewals.models import Contract
from renewals.templatetags.renewal_tags import money, price
from saasmgr.core.money import currency_choices, is_currency
from saasmgr.inventory.choices import ApplicationStatus
from saasmgr.inventory.models import Application, Department
from savings.actions import application_costs
from savings.choices import STATUS_MOVES, LedgerKind, OpportunityStatus, Recurrence, ReduceWhen
from savings.formulas import reclaim_annual_savings
from savings.models import Opportunity
from savings.services import team_of

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
RADIO = forms.RadioSelect(attrs={"class": "form-check-input"})
CHECKBOXES = forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})
EVIDENCE_EXTENSIONS = ["pdf", "png", "jpg", "jpeg", "txt", "csv", "xlsx", "xls", "docx", "doc", "eml", "msg"]


def evidence_max_bytes() -> int:
    return getattr(settings, "CONTRACT_DOCUMENT_MAX_BYTES", 20 * 1024 * 1024)


class CreditMixin(forms.Form):
    """Who a win is credited to: the person acting and their department, unless the form says otherwise."""

    credited_user = UserChoiceField(queryset=active_users(), label="Credited person", empty_label=None)
    credited_team = forms.ModelChoiceField(
        queryset=Department.objects.order_by("name"),
        required=False,
        label="Credited team",
        empty_label="No team",
        help_text="Defaults to the credited person's department.",
    )
    effective_date = forms.DateField(widget=DATE, label="Effective date")
    # An action whose service picks a sensible default day (the day after a contract's term) leaves it empty.
    default_effective_date: str = ""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["credited_user"].initial = user.pk
            team = team_of(user)
            self.fields["credited_team"].initial = team.pk if team else None
        if self.default_effective_date:
            self.fields["effective_date"].required = False
            self.fields["effective_date"].help_text = self.default_effective_date
        else:
            self.fields["effective_date"].initial = timezone.localdate()

    def credit_kwargs(self) -> dict:
        return {
            "credited_user": self.cleaned_data["credited_user"],
            "credited_team": self.cleaned_data["credited_team"],
            "effective_date": self.cleaned_data["effective_date"],
        }


# Reclaiming seats


def reclaim_findings(opportunity: Opportunity) -> QuerySet[Finding]:
    """The findings behind a reclaim opportunity that name a held seat, with everything a row shows."""
    return (
        opportunity.findings.filter(assignment__isnull=False)
        .select_related("person__department", "assignment", "pool")
        .order_by("-days_idle", "person__name", "account", "pk")
    )


class ReclaimForm(CreditMixin):
    assignments = forms.ModelMultipleChoiceField(
        queryset=Assignment.objects.none(),
        widget=CHECKBOXES,
        label="Holders",
        error_messages={"required": "Pick at least one holder whose seat to reclaim."},
    )
    reduce_when = forms.ChoiceField(
        choices=ReduceWhen.choices, initial=ReduceWhen.NOW, widget=RADIO, label="Reduce the seats bought"
    )

    field_order = ["assignments", "reduce_when", "effective_date", "credited_user", "credited_team"]

    def __init__(self, *args, findings: list[Finding], **kwargs):
        super().__init__(*args, **kwargs)
        self.findings = findings
        # Every seat behind the opportunity is a choice, ended ones too, so that a seat ended since the page was
        # drawn is refused by name instead of as "not one of the available choices".
        self.fields["assignments"].queryset = Assignment.objects.filter(
            pk__in=[f.assignment_id for f in findings]
        ).select_related("person")

    def clean_assignments(self):
        chosen = self.cleaned_data["assignments"]
        ended = [a for a in chosen if a.unassigned_on is not None]
        if ended:
            raise ValidationError(
                [
                    f"The seat of {a.person.name if a.person_id else a.account} already ended on "
                    f"{a.unassigned_on.isoformat()}; untick it."
                    for a in ended
                ]
            )
        return chosen

    def rows(self) -> list[dict]:
        """One row per finding: the checkbox state, the holder and what the seat costs."""
        chosen = {str(v) for v in (self["assignments"].value() or [])}
        return [
            {
                "finding": finding,
                "assignment": finding.assignment,
                "checked": str(finding.assignment_id) in chosen,
                "ended": finding.assignment.unassigned_on,
            }
            for finding in self.findings
        ]


# Opportunity status and owner


class OpportunityStatusForm(forms.Form):
    """Which way to move; savings.opportunities.opportunity_status_change says whether the move is allowed."""

    status = forms.ChoiceField(choices=OpportunityStatus.choices)
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class OpportunityOwnerForm(forms.Form):
    owner = UserChoiceField(queryset=active_users(), required=False, empty_label="Nobody", label="Owner")


def status_buttons(opportunity: Opportunity) -> list[tuple[str, str, str]]:
    """(status, button label, button style) of the moves the opportunity allows, dismissal last (it has its own
    form with the reason)."""
    labels = {
        OpportunityStatus.OPEN: ("Reopen", "btn-outline-secondary"),
        OpportunityStatus.IN_PROGRESS: ("Start work", "btn-outline-primary"),
        OpportunityStatus.DONE: ("Mark done", "btn-outline-success"),
    }
    if opportunity.status == OpportunityStatus.IN_PROGRESS:
        labels[OpportunityStatus.OPEN] = ("Back to open", "btn-outline-secondary")
    moves = STATUS_MOVES.get(opportunity.status, set())
    return [(status, *labels[status]) for status in labels if status in moves]


# A win entered by hand


class ManualWinForm(CreditMixin):
    description = forms.CharField(max_length=300, help_text="What was won, e.g. “Service credit for the March outage”.")
    kind = forms.ChoiceField(choices=LedgerKind.choices, initial=LedgerKind.COST_SAVINGS, widget=RADIO)
    recurrence = forms.ChoiceField(choices=Recurrence.choices, initial=Recurrence.ONE_TIME, widget=RADIO)
    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0.01)
    currency = forms.ChoiceField(choices=currency_choices, initial=settings.REPORTING_CURRENCY)
    application = forms.ModelChoiceField(
        queryset=Application.objects.order_by("name"), required=False, empty_label="Not about one application"
    )
    evidence_url = forms.URLField(
        max_length=500,
        assume_scheme="https",
        required=False,
        label="Evidence link",
        help_text="A ticket, an email thread, the credit note.",
    )
    evidence_file = forms.FileField(
        required=False,
        label="Evidence file",
        validators=[FileExtensionValidator(EVIDENCE_EXTENSIONS)],
        help_text="Or attach it: " + ", ".join(EVIDENCE_EXTENSIONS) + ".",
    )

    field_order = [
        "description",
        "kind",
        "recurrence",
        "amount",
        "currency",
        "effective_date",
        "application",
        "evidence_url",
        "evidence_file",
        "credited_user",
        "credited_team",
    ]

    def clean_currency(self):
        currency = self.cleaned_data["currency"].upper()
        if not is_currency(currency):
            raise ValidationError(f"{currency} is not an ISO 4217 currency code.")
        return currency

    def clean_evidence_file(self):
        upload = self.cleaned_data.get("evidence_file")
        limit = evidence_max_bytes()
        if upload and upload.size > limit:
            raise ValidationError(
                f"The file is {filesizeformat(upload.size)}; evidence may be at most {filesizeformat(limit)}."
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("evidence_url") and not cleaned.get("evidence_file") and not self.has_error("evidence_file"):
            self.add_error("evidence_url", "Give the evidence: a link, or attach a file below.")
        return cleaned

    def win_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            **self.credit_kwargs(),
            "ledger_kind": data["kind"],
            "recurrence": data["recurrence"],
            "amount": data["amount"],
            "currency": data["currency"],
            "description": data["description"],
            "evidence_url": data["evidence_url"],
            "evidence_file": data["evidence_file"],
            "application": data["application"],
        }


# Cancel, downgrade and consolidate: each asks for what its service needs. A form that depends on one record
# (the application to cancel, the license type to move seats from) is drawn once that record is picked.


class ContractChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, contract) -> str:
        value = money(contract.annual_value, contract.currency)
        return f"Contract {contract.number} · {contract.vendor.name} · {value} a year, term ends {contract.end_date}"


class PoolChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, pool) -> str:
        seats = pool.purchased_quantity or 0
        yearly = money(reclaim_annual_savings(seats, pool.annual_unit_cost or Decimal(0)), pool.currency)
        return f"{pool} (entered by hand) · {seats} seat{pluralize(seats)} · {yearly} a year"


class PoolField(forms.ModelChoiceField):
    def label_from_instance(self, pool) -> str:
        cost = f"{price(pool.annual_unit_cost)} {pool.currency}" if pool.annual_unit_cost is not None else "no price"
        return f"{pool.application.name}: {pool.name} · {cost} a seat a year"


class HolderField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, assignment) -> str:
        if assignment.person_id and assignment.account.lower() != (assignment.person.email or "").lower():
            return f"{assignment.person.name} · {assignment.account}"
        return assignment.person.name if assignment.person_id else assignment.account


def live_applications() -> QuerySet[Application]:
    return Application.objects.exclude(status=ApplicationStatus.RETIRED).order_by("name")


def priced_pools() -> QuerySet[LicensePool]:
    return (
        LicensePool.objects.filter(annual_unit_cost__isnull=False)
        .select_related("application")
        .order_by("application__name", "name")
    )


class ApplicationPickForm(forms.Form):
    application = forms.ModelChoiceField(queryset=live_applications(), label="Application to cancel")


class CancelAppForm(CreditMixin):
    application = forms.ModelChoiceField(queryset=live_applications(), widget=forms.HiddenInput)
    contracts = ContractChoiceField(
        queryset=Contract.objects.none(),
        required=False,
        widget=CHECKBOXES,
        label="Contracts that stop",
        help_text="Its renewal is decided “cancel”, so closing it ends the contract.",
    )
    pools = PoolChoiceField(
        queryset=LicensePool.objects.none(),
        required=False,
        widget=CHECKBOXES,
        label="License pools entered by hand that stop",
    )
    default_effective_date = "Empty: the day after the latest contract's term ends (today for pools entered by hand)."
    field_order = ["application", "contracts", "pools", "effective_date", "credited_user", "credited_team"]

    def __init__(self, *args, application: Application, **kwargs):
        super().__init__(*args, **kwargs)
        contracts, pools = application_costs(applications=[application])
        self.fields["application"].initial = application.pk
        self.fields["contracts"].queryset = Contract.objects.filter(pk__in=[c.pk for c in contracts]).select_related(
            "vendor"
        )
        self.fields["pools"].queryset = LicensePool.objects.filter(pk__in=[p.pk for p in pools]).select_related(
            "application"
        )
        self.fields["contracts"].initial = [c.pk for c in contracts]
        self.fields["pools"].initial = [p.pk for p in pools]
        self.nothing_to_stop = not contracts and not pools

    def action_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            **self.credit_kwargs(),
            "application": data["application"],
            "contracts": list(data["contracts"]),
            "pools": list(data["pools"]),
        }


class PoolPickForm(forms.Form):
    from_pool = PoolField(queryset=priced_pools(), label="License type to move seats from")


class DowngradeForm(CreditMixin):
    from_pool = forms.ModelChoiceField(queryset=priced_pools(), widget=forms.HiddenInput)
    to_pool = PoolField(queryset=LicensePool.objects.none(), label="Cheaper license type to move them to")
    assignments = HolderField(
        queryset=Assignment.objects.none(),
        widget=CHECKBOXES,
        label="Holders to move",
        error_messages={"required": "Pick at least one holder to move to the cheaper license."},
    )
    field_order = ["from_pool", "to_pool", "assignments", "effective_date", "credited_user", "credited_team"]

    def __init__(self, *args, from_pool: LicensePool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_pool"].initial = from_pool.pk
        self.fields["to_pool"].queryset = (
            priced_pools().filter(application_id=from_pool.application_id).exclude(pk=from_pool.pk)
        )
        self.fields["assignments"].queryset = (
            Assignment.objects.filter(pool=from_pool, unassigned_on__isnull=True)
            .select_related("person")
            .order_by("person__name", "account")
        )
        self.no_other_type = not self.fields["to_pool"].queryset.exists()

    def action_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            **self.credit_kwargs(),
            "from_pool": data["from_pool"],
            "to_pool": data["to_pool"],
            "assignments": list(data["assignments"]),
        }


class ConsolidateForm(CreditMixin):
    applications = forms.ModelMultipleChoiceField(
        queryset=live_applications(),
        widget=forms.SelectMultiple(attrs={"size": 6}),
        label="Applications to retire",
        help_text="Their own active contracts and pools entered by hand stop; their seats end.",
    )
    kept_application = forms.ModelChoiceField(queryset=live_applications(), label="Application kept")
    added_annual_cost = forms.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        initial=0,
        label="Annual cost added on the kept application",
        help_text="The seats bought there for the people moving over; 0 when it already has room.",
    )
    added_cost_currency = forms.ChoiceField(
        choices=currency_choices, initial=settings.REPORTING_CURRENCY, label="Currency of the added cost"
    )
    default_effective_date = "Empty: the day after the latest contract's term ends (today for pools entered by hand)."
    field_order = [
        "applications",
        "kept_application",
        "added_annual_cost",
        "added_cost_currency",
        "effective_date",
        "credited_user",
        "credited_team",
    ]

    def clean(self):
        cleaned = super().clean()
        kept, retiring = cleaned.get("kept_application"), cleaned.get("applications") or []
        if kept is not None and kept in retiring:
            self.add_error("kept_application", f"{kept.name} cannot be both kept and retired.")
        return cleaned

    def action_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            **self.credit_kwargs(),
            "applications": list(data["applications"]),
            "kept_application": data["kept_application"],
            "added_annual_cost": data["added_annual_cost"],
            "added_cost_currency": data["added_cost_currency"],
        }
