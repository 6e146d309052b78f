from django.conf import settings
from django.db import models
from django.urls import reverse

from saasmgr.core.choices import ImportJobStatus, ImportMode


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class ImportJob(TimeStampedModel):
    """One uploaded file on its way through preview, validation and import."""

    kind = models.CharField(max_length=50)
    format = models.CharField(max_length=50, default="generic")
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    mode = models.CharField(max_length=20, choices=ImportMode.choices, default=ImportMode.DRY_RUN)
    status = models.CharField(max_length=20, choices=ImportJobStatus.choices, default=ImportJobStatus.UPLOADED)
    # Header mapping chosen by a person: {"<file header>": "<column name>"}.
    column_mapping = models.JSONField(default=dict, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    error_message = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} import of {self.original_name}"

    @property
    def percent(self) -> int:
        if self.status == ImportJobStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, int(self.processed_rows * 100 / self.total_rows))

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportJobStatus.DONE, ImportJobStatus.FAILED)


class FxRate(TimeStampedModel):
    """``rate`` units of the reporting currency buy one unit of ``currency`` from ``date`` on."""

    date = models.DateField()
    currency = models.CharField(max_length=3)
    rate = models.DecimalField(max_digits=20, decimal_places=8)
    source = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["currency", "-date"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "date"], name="fx_rate_one_per_day"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="fx_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.rate} on {self.date.isoformat()}"

    def get_absolute_url(self) -> str:
        return reverse("core:fxrate_detail", args=[self.pk])
