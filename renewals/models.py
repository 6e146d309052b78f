import re
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from renewals.choices import ContractStatus, DeliveryStatus, PricingModel, RenewalDecision, RenewalStage
from saasmgr.core.choices import BillingPeriod
from saasmgr.core.models import TimeStampedModel
from saasmgr.inventory.models import Application, Department, Vendor

MONEY = {"max_digits": 16, "decimal_places": 2}
UNIT_PRICE = {"max_digits": 16, "decimal_places": 4}


def cancel_by_for(end_date, notice_days: int):
    """cancel_by = end − notice days: the last day to give notice before the contract renews."""
    return end_date - timedelta(days=notice_days)


class Contract(TimeStampedModel):
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="contracts")
    applications = models.ManyToManyField(Application, blank=True, related_name="contracts")
    number = models.CharField("contract number", max_length=100, unique=True)
    title = models.CharField(max_length=200, blank=True)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="contracts"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_contracts"
    )
    status = models.CharField(max_length=20, choices=ContractStatus.choices, default=ContractStatus.ACTIVE)
    start_date = models.DateField()
    end_date = models.DateField()
    billing_frequency = models.CharField(max_length=20, choices=BillingPeriod.choices, default=BillingPeriod.ANNUAL)
    currency = models.CharField(max_length=3, default="USD")
    auto_renew = models.BooleanField(default=False)
    notice_days = models.PositiveIntegerField("notice period (days)", default=30)
    renewal_term_months = models.PositiveIntegerField(
        "renewal term (months)", default=12, help_text="Length of the next term when the contract renews."
    )
    # Stored so that lists, filters and the calendar can query them; kept in step by
    # save() (cancel_by) and contract_refresh_values() (the values).
    cancel_by = models.DateField(editable=False)
    annual_value = models.DecimalField(**MONEY, default=Decimal("0"), editable=False)
    total_value = models.DecimalField(**MONEY, default=Decimal("0"), editable=False)
    annual_value_reporting = models.DecimalField(**MONEY, null=True, blank=True, editable=False)
    reminder_stages = models.JSONField(
        null=True, blank=True, help_text="Days before cancel-by to send reminders; empty uses the global stages."
    )
    extra_recipients = models.TextField(blank=True, help_text="More emails that get the reminders, comma-separated.")
    notes = models.TextField(blank=True)
    history = HistoricalRecords(excluded_fields=["annual_value", "total_value", "annual_value_reporting"])

    class Meta:
        ordering = ["cancel_by", "number"]
        indexes = [models.Index(fields=["cancel_by"]), models.Index(fields=["end_date"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")), name="contract_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.vendor}" if self.vendor_id else self.number

    def get_absolute_url(self) -> str:
        return reverse("renewals:contract_detail", args=[self.pk])

    def save(self, *args, **kwargs):
        self.cancel_by = cancel_by_for(self.end_date, self.notice_days)
        if kwargs.get("update_fields") is not None and {"end_date", "notice_days"} & set(kwargs["update_fields"]):
            kwargs["update_fields"] = {*kwargs["update_fields"], "cancel_by"}
        super().save(*args, **kwargs)

    @property
    def term_months(self) -> int:
        from saasmgr.core.money import months_between

        return months_between(self.start_date, self.end_date)

    def reminder_recipient_list(self) -> list[str]:
        return [e.strip().lower() for e in re.split(r"[,;\s]+", self.extra_recipients) if e.strip()]


class LineItem(TimeStampedModel):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="line_items")
    position = models.PositiveIntegerField(default=0)
    sku = models.CharField("SKU or license type", max_length=200)
    description = models.CharField(max_length=300, blank=True)
    pricing_model = models.CharField(max_length=20, choices=PricingModel.choices, default=PricingModel.PER_SEAT)
    quantity = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("1"))
    unit_price = models.DecimalField(**UNIT_PRICE, default=Decimal("0"))
    billing_period = models.CharField(max_length=20, choices=BillingPeriod.choices, default=BillingPeriod.ANNUAL)
    committed_quantity = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    overage_price = models.DecimalField(**UNIT_PRICE, null=True, blank=True)
    # Graduated bands: [{"up_to": 100, "unit_price": "10.00"}, {"up_to": null, "unit_price": "8.00"}]
    tiers = models.JSONField(default=list, blank=True)
    uplift_cap_pct = models.DecimalField("uplift cap %", max_digits=6, decimal_places=2, null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["contract", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="line_item_quantity_not_negative"),
            models.CheckConstraint(condition=models.Q(unit_price__gte=0), name="line_item_price_not_negative"),
            models.UniqueConstraint(fields=["contract", "sku"], name="line_item_sku_unique_per_contract"),
        ]

    def __str__(self) -> str:
        return self.sku


def contract_document_path(instance, filename: str) -> str:
    return f"contracts/{instance.contract_id}/{filename}"


class ContractDocument(TimeStampedModel):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to=contract_document_path)
    name = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class Renewal(TimeStampedModel):
    """One term end of one contract, on its way from upcoming to closed."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="renewals")
    term_start = models.DateField()
    term_end = models.DateField()
    cancel_by = models.DateField()
    stage = models.CharField(max_length=20, choices=RenewalStage.choices, default=RenewalStage.UPCOMING)
    decision = models.CharField(max_length=20, choices=RenewalDecision.choices, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_renewals"
    )
    baseline_annual = models.DecimalField(
        "current annual cost", **MONEY, default=Decimal("0"), help_text="Annual value of the term that ends."
    )
    quote_annual = models.DecimalField("vendor quote (annual)", **MONEY, null=True, blank=True)
    negotiated_annual = models.DecimalField("negotiated result (annual)", **MONEY, null=True, blank=True)
    recommended_quantity = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    recommendation = models.TextField("right-sizing recommendation", blank=True)
    notes = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["cancel_by", "pk"]
        constraints = [models.UniqueConstraint(fields=["contract", "term_end"], name="renewal_one_per_term_end")]
        indexes = [models.Index(fields=["stage", "cancel_by"])]

    def __str__(self) -> str:
        return f"{self.contract.number} renewal {self.term_end.isoformat()}"

    def get_absolute_url(self) -> str:
        return reverse("renewals:renewal_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.stage not in (RenewalStage.DECIDED, RenewalStage.CLOSED)


class ReminderDelivery(models.Model):
    """One reminder email: (renewal, stage, recipient) is unique, so each goes out once."""

    renewal = models.ForeignKey(Renewal, on_delete=models.CASCADE, related_name="reminder_deliveries")
    stage_days = models.PositiveIntegerField(help_text="Days before cancel-by that this stage stands for.")
    recipient = models.EmailField()
    status = models.CharField(max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.CLAIMED)
    for_date = models.DateField(help_text="The day the job ran for.")
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-claimed_at"]
        constraints = [
            models.UniqueConstraint(fields=["renewal", "stage_days", "recipient"], name="reminder_once_per_stage")
        ]

    def __str__(self) -> str:
        return f"{self.renewal} · {self.stage_days}d · {self.recipient}"


class DigestDelivery(models.Model):
    """The weekly procurement digest: one per (week, recipient)."""

    week_start = models.DateField()
    recipient = models.EmailField()
    status = models.CharField(max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.CLAIMED)
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-week_start"]
        constraints = [models.UniqueConstraint(fields=["week_start", "recipient"], name="digest_once_per_week")]

    def __str__(self) -> str:
        return f"digest of {self.week_start.isoformat()} · {self.recipient}"


class CalendarFeed(TimeStampedModel):
    """A user's secret ICS address; rotating the secret kills every old subscription."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    secret = models.CharField(max_length=64, unique=True)

    def __str__(self) -> str:
        return f"calendar feed of {self.user}"
