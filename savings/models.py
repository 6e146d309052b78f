"""The Savings Center: opportunities found in the evidence, actions people took, and the append-only ledger."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from licenses.models import Finding, LicensePool, ReconciliationRun
from renewals.models import Contract, Renewal
from saasmgr.core.models import TimeStampedModel
from saasmgr.inventory.models import Application, Category, Department
from savings.choices import (
    LIVE_STATUSES,
    RISK_OPPORTUNITY_KINDS,
    ActionKind,
    LedgerKind,
    OpportunityKind,
    OpportunityStatus,
    Recurrence,
    ReduceWhen,
)

MONEY = {"max_digits": 16, "decimal_places": 2}
RATE = {"max_digits": 18, "decimal_places": 8}


class Opportunity(TimeStampedModel):
    """A way to save money, priced from its evidence and ranked by priority.

    ``key`` names the evidence it stands for ("reclaim:pool:12", "right_size:renewal:7"); the refresh finds
    the opportunity again by it, so re-running reconciliation never makes a second one. At most one
    opportunity per key is live (open, in progress or dismissed); done and closed ones are history.
    """

    kind = models.CharField(max_length=30, choices=OpportunityKind.choices)
    key = models.CharField(max_length=120)
    title = models.CharField(max_length=300)
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="opportunities")
    pool = models.ForeignKey(LicensePool, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    contract = models.ForeignKey(Contract, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    renewal = models.ForeignKey(Renewal, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The reconciliation run whose findings last backed it (reclaim, reduce, cancel, true-up risk).
    run = models.ForeignKey(ReconciliationRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    findings = models.ManyToManyField(Finding, blank=True, related_name="opportunities")
    # Seats it is about (idle seats to reclaim, unassigned seats, seats above the recommendation).
    quantity = models.PositiveIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    estimated_annual_savings_local = models.DecimalField(**MONEY, null=True, blank=True)
    # In the reporting currency; null when no FX rate is known (then it ranks last and says why).
    estimated_annual_savings = models.DecimalField(**MONEY, null=True, blank=True)
    # What the refresh saw, for the page: {"summary": "...", "links": [{"label": ..., "url": ...}], ...}.
    evidence = models.JSONField(default=dict, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=20, choices=OpportunityStatus.choices, default=OpportunityStatus.OPEN)
    dismissed_reason = models.TextField(blank=True)
    # The reporting-currency value when it was dismissed: it comes back only if the value moves materially.
    dismissed_value = models.DecimalField(**MONEY, null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    # The contract's cancel-by date, when the opportunity touches a contract: the deadline that raises priority.
    deadline = models.DateField(null=True, blank=True)
    priority = models.DecimalField(**MONEY, default=0)
    first_seen_at = models.DateTimeField(default=timezone.now)
    refreshed_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["priority", "refreshed_at"])

    class Meta:
        ordering = ["-priority", "pk"]
        verbose_name_plural = "opportunities"
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=models.Q(status__in=sorted(LIVE_STATUSES)), name="opportunity_live_key"
            ),
        ]
        indexes = [models.Index(fields=["status", "-priority"]), models.Index(fields=["key"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("savings:opportunity_detail", args=[self.pk])

    @property
    def is_risk(self) -> bool:
        return self.kind in RISK_OPPORTUNITY_KINDS


class SavingsAction(TimeStampedModel):
    """What someone did, who did it and when, with the annual cost before and after. Its ledger entries
    are written by the same service call, so nobody types a win in twice."""

    kind = models.CharField(max_length=30, choices=ActionKind.choices)
    opportunity = models.ForeignKey(
        Opportunity, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.PROTECT, related_name="savings_actions"
    )
    contract = models.ForeignKey(Contract, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    renewal = models.ForeignKey(Renewal, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    pool = models.ForeignKey(LicensePool, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    description = models.CharField(max_length=300)
    currency = models.CharField(max_length=3)
    # Annual cost before and after, in ``currency``; null where the action has no such baseline (a credit).
    baseline_annual = models.DecimalField(**MONEY, null=True, blank=True)
    new_annual = models.DecimalField(**MONEY, null=True, blank=True)
    quantity = models.PositiveIntegerField(null=True, blank=True)
    reduce_when = models.CharField(max_length=20, choices=ReduceWhen.choices, blank=True)
    effective_date = models.DateField()
    evidence_url = models.URLField(max_length=500, blank=True)
    evidence_file = models.FileField(upload_to="savings/evidence/%Y/%m/", blank=True)
    # What the action touched, for the record: {"assignment_ids": [...], "replaced_by": app id, ...}.
    details = models.JSONField(default=dict, blank=True)
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    credited_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    credited_team = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-effective_date", "-pk"]

    def __str__(self) -> str:
        return self.description

    def get_absolute_url(self) -> str:
        return reverse("savings:action_detail", args=[self.pk])


class LedgerQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise LedgerEntry.AppendOnly("The savings ledger is append-only: rows are never updated.")

    def delete(self):
        raise LedgerEntry.AppendOnly("The savings ledger is append-only: rows are never deleted.")


class LedgerEntry(models.Model):
    """One amount saved or avoided. Never updated or deleted (database triggers refuse it on PostgreSQL and
    SQLite, and the model refuses it first); a mistake is corrected by a reversing entry. Every total
    the product shows is a SUM over this table."""

    class AppendOnly(Exception):
        """An attempt to change or remove a ledger row."""

    action = models.ForeignKey(SavingsAction, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=20, choices=LedgerKind.choices)
    recurrence = models.CharField(max_length=20, choices=Recurrence.choices)
    # Signed: a reversal carries the negative of the entry it reverses.
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    # Reporting-currency units per unit of ``currency``, in force on ``effective_date``.
    fx_rate = models.DecimalField(**RATE)
    amount_reporting = models.DecimalField(**MONEY)
    reporting_currency = models.CharField(max_length=3)
    effective_date = models.DateField()
    application = models.ForeignKey(Application, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    credited_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    credited_team = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=300)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = LedgerQuerySet.as_manager()

    class Meta:
        ordering = ["-effective_date", "-pk"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(reverses__isnull=True) & models.Q(amount__gt=0))
                | (models.Q(reverses__isnull=False) & models.Q(amount__lt=0) & ~models.Q(reason="")),
                name="ledger_entry_sign",
                violation_error_message="An entry is positive; a reversal is negative and says why.",
            ),
        ]
        indexes = [
            models.Index(fields=["effective_date"]),
            models.Index(fields=["kind", "effective_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency} on {self.effective_date}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise self.AppendOnly("The savings ledger is append-only: add a reversing entry instead of editing.")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("savings:ledger_detail", args=[self.pk])

    def delete(self, *args, **kwargs):
        raise self.AppendOnly("The savings ledger is append-only: add a reversing entry instead of deleting.")
