from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from simple_history.models import HistoricalRecords

from licenses.choices import (
    RISK_KINDS,
    AssignmentSource,
    FindingKind,
    IdentityStatus,
    NameKind,
    NameReviewStatus,
    PartStatus,
    RunStatus,
)
from renewals.models import LineItem
from saasmgr.core.models import TimeStampedModel
from saasmgr.inventory.models import Application, Person
from saasmgr.inventory.names import normalise_name

MONEY = {"max_digits": 16, "decimal_places": 2}
UNIT_COST = {"max_digits": 16, "decimal_places": 4}


class LicensePool(TimeStampedModel):
    """One purchasable license type of one application."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="license_pools")
    name = models.CharField("license type", max_length=200)
    # Set when the pool came from a per-seat line item; its quantity and price then follow the line item.
    line_item = models.OneToOneField(
        LineItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="license_pool"
    )
    # Null: not known (a pool first seen in assignment data); seat counts are then not judged.
    purchased_quantity = models.PositiveIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    annual_unit_cost = models.DecimalField(**UNIT_COST, null=True, blank=True)
    # In the reporting currency at the rate in force on the contract term's start (or today for a
    # pool entered by hand); null when no rate is known.
    annual_unit_cost_reporting = models.DecimalField(**UNIT_COST, null=True, blank=True, editable=False)
    inactivity_days = models.PositiveIntegerField(
        "inactivity threshold (days)",
        null=True,
        blank=True,
        help_text="Overrides the application's threshold; empty uses the application's, else the global default.",
    )
    notes = models.TextField(blank=True)
    history = HistoricalRecords(excluded_fields=["annual_unit_cost_reporting"])

    class Meta:
        ordering = ["application__name", "name"]
        constraints = [models.UniqueConstraint(fields=["application", "name"], name="license_pool_name_unique")]

    def __str__(self) -> str:
        return f"{self.application.name}: {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("licenses:pool_detail", args=[self.pk])

    @property
    def threshold_days(self) -> int:
        """The pool's own threshold, else its application's, else the global default."""
        for days in (self.inactivity_days, self.application.inactivity_days):
            if days is not None:
                return days
        return settings.LICENSE_INACTIVITY_DAYS


class Assignment(TimeStampedModel):
    """A seat of a pool held by an account; ``unassigned_on`` set once it ended."""

    pool = models.ForeignKey(LicensePool, on_delete=models.CASCADE, related_name="assignments")
    # Null while the account is not matched to a person (see IdentityReview).
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="license_assignments"
    )
    account = models.CharField("account", max_length=254, help_text="The account as the application knows it.")
    assigned_on = models.DateField(null=True, blank=True)
    unassigned_on = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=40, default=AssignmentSource.MANUAL)
    history = HistoricalRecords()

    class Meta:
        ordering = ["pool", "account"]
        constraints = [
            models.UniqueConstraint("pool", Lower("account"), name="assignment_account_unique_per_pool"),
            models.CheckConstraint(
                condition=models.Q(unassigned_on__isnull=True)
                | models.Q(assigned_on__isnull=True)
                | models.Q(unassigned_on__gte=models.F("assigned_on")),
                name="assignment_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["person", "pool"])]

    def __str__(self) -> str:
        return f"{self.account} on {self.pool}"


class Activity(models.Model):
    """Usage of one application by one person on one day: the rollup every last-seen date comes from.

    A day's ``events`` is the largest count any import reported for it, so importing the same
    export twice, or two exports that overlap, never counts a day twice.
    """

    # No database foreign keys and one index: this is the biggest table, loaded in bulk, and every check
    # the database does per row slows ingest down. Django still cascades deletes of people and apps.
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False)
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    day = models.DateField()
    events = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name_plural = "activity"
        # (application, person, day): reconciliation reads the last day per (application, person) from it.
        constraints = [
            models.UniqueConstraint(fields=["application", "person", "day"], name="activity_unique_app_person_day")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} used {self.application_id} on {self.day}"


class PendingActivity(models.Model):
    """Usage whose account or application name is not matched yet, kept by its raw keys so that
    nothing is lost: confirming the identity or the name moves it into Activity."""

    identity = models.CharField(max_length=254)  # normalised account
    app_name = models.CharField(max_length=200)  # normalised application name
    day = models.DateField()
    events = models.PositiveIntegerField(default=1)
    source = models.CharField(max_length=40)

    class Meta:
        verbose_name_plural = "pending activity"
        constraints = [
            models.UniqueConstraint(fields=["identity", "app_name", "day"], name="pending_activity_unique"),
        ]
        indexes = [models.Index(fields=["app_name"]), models.Index(fields=["identity"])]

    def __str__(self) -> str:
        return f"{self.identity} used {self.app_name} on {self.day}"


class UsageSource(TimeStampedModel):
    """An application has usage data from this source, covering these days. An application
    with no usage source gets no inactive or never-used findings: missing data is not savings."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="usage_sources")
    source = models.CharField(max_length=40)
    first_day = models.DateField(null=True, blank=True)
    last_day = models.DateField(null=True, blank=True)
    last_imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["application__name", "source"]
        constraints = [models.UniqueConstraint(fields=["application", "source"], name="usage_source_unique")]

    def __str__(self) -> str:
        return f"{self.application.name} from {self.source}"


class IdentityReview(TimeStampedModel):
    """An account seen in usage or assignment data that matched no person: the review queue."""

    identity = models.CharField(max_length=254, unique=True)  # normalised
    raw = models.CharField("as seen", max_length=254)
    source = models.CharField(max_length=40)
    status = models.CharField(max_length=20, choices=IdentityStatus.choices, default=IdentityStatus.PENDING)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sightings = models.PositiveIntegerField(default=0)
    last_seen = models.DateField(null=True, blank=True)
    applications = models.CharField(max_length=500, blank=True, help_text="Some applications it was seen in.")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["status", "-sightings", "identity"]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return self.raw


class NameReview(TimeStampedModel):
    """A raw application or license name the matcher could not place with confidence."""

    kind = models.CharField(max_length=20, choices=NameKind.choices)
    raw = models.CharField("as seen", max_length=200)
    normalised = models.CharField(max_length=200)
    # A license name is matched among the pools of this application.
    application = models.ForeignKey(Application, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=40)
    # [{"id": 12, "label": "Salesforce", "score": 81.5}], best first.
    suggestions = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=20, choices=NameReviewStatus.choices, default=NameReviewStatus.PENDING)
    sightings = models.PositiveIntegerField(default=0)
    confirmed_application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_pool = models.ForeignKey(LicensePool, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["status", "-sightings", "raw"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "normalised"],
                condition=models.Q(application__isnull=True),
                name="name_review_unique_app_name",
            ),
            models.UniqueConstraint(
                fields=["kind", "application", "normalised"],
                condition=models.Q(application__isnull=False),
                name="name_review_unique_license_name",
            ),
        ]

    def __str__(self) -> str:
        return self.raw


class SkuAlias(TimeStampedModel):
    """Another name of a license pool, as seen in assignment exports ("SFDC_ENT")."""

    pool = models.ForeignKey(LicensePool, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=200)
    normalised = models.CharField(max_length=200, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = "license name alias"
        verbose_name_plural = "license name aliases"
        constraints = [
            models.UniqueConstraint(fields=["pool", "normalised"], name="sku_alias_unique_per_pool"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.normalised = normalise_name(self.name)
        super().save(*args, **kwargs)


class ReconciliationRun(TimeStampedModel):
    as_of = models.DateField()
    # Null: every application with a license pool.
    application = models.ForeignKey(Application, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    parameters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.QUEUED)
    parts_total = models.PositiveIntegerField(default=0)
    parts_done = models.PositiveIntegerField(default=0)
    # {kind: count} and {kind: "decimal string"} in the reporting currency, written by the final step.
    counts = models.JSONField(default=dict, blank=True)
    impacts = models.JSONField(default=dict, blank=True)
    total_annual_savings = models.DecimalField(**MONEY, null=True, blank=True)
    total_annual_risk = models.DecimalField(**MONEY, null=True, blank=True)
    # Applications with license pools but no usage source: no inactive or never-used findings for them.
    apps_without_usage = models.JSONField(default=list, blank=True)
    # Findings whose cost is unknown (no price, or no FX rate): counted, but not in the totals.
    unpriced_findings = models.PositiveIntegerField(default=0)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error_message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "-finished_at"])]
        # One unfinished run per as-of date and scope, so two people pressing "Run" at once get the same run.
        # Coalesce: a whole-estate run has no application, and NULLs are never equal in a unique index.
        constraints = [
            models.UniqueConstraint(
                Coalesce("application", models.Value(0)),
                "as_of",
                condition=models.Q(status__in=["queued", "running", "failed"]),
                name="reconciliation_run_one_unfinished",
            )
        ]

    def __str__(self) -> str:
        return f"Reconciliation as of {self.as_of} (#{self.pk})"

    def get_absolute_url(self) -> str:
        return reverse("licenses:run_detail", args=[self.pk])

    @property
    def percent(self) -> int:
        if self.status == RunStatus.DONE:
            return 100
        return int(100 * self.parts_done / self.parts_total) if self.parts_total else 0


class ReconciliationPart(models.Model):
    """One Celery task's share of a run: a set of applications. Running a part again replaces its findings."""

    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="parts")
    number = models.PositiveIntegerField()
    application_ids = models.JSONField(default=list)
    status = models.CharField(max_length=20, choices=PartStatus.choices, default=PartStatus.QUEUED)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "number"]
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="reconciliation_part_unique")]

    def __str__(self) -> str:
        return f"Part {self.number} of run {self.run_id}"


class Finding(models.Model):
    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="findings")
    part = models.PositiveIntegerField()
    kind = models.CharField(max_length=30, choices=FindingKind.choices)
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")
    pool = models.ForeignKey(LicensePool, null=True, blank=True, on_delete=models.CASCADE, related_name="findings")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assignment = models.ForeignKey(Assignment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    account = models.CharField(max_length=254, blank=True)
    # Seats this finding is about: 1 for a held seat, n for unassigned or over-assigned seats.
    quantity = models.PositiveIntegerField(default=1)
    currency = models.CharField(max_length=3, blank=True)
    annual_cost_impact_local = models.DecimalField(**MONEY, null=True, blank=True)
    # In the reporting currency; null when the pool has no price or no FX rate is known.
    annual_cost_impact = models.DecimalField(**MONEY, null=True, blank=True)
    last_seen = models.DateField(null=True, blank=True)
    days_idle = models.PositiveIntegerField(null=True, blank=True)
    assigned_on = models.DateField(null=True, blank=True)
    termination_date = models.DateField(null=True, blank=True)
    evidence = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-annual_cost_impact", "kind", "pk"]
        indexes = [
            models.Index(fields=["run", "kind"]),
            models.Index(fields=["run", "application"]),
            models.Index(fields=["run", "part"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.account or self.pool or self.application}"

    @property
    def is_risk(self) -> bool:
        return self.kind in RISK_KINDS
