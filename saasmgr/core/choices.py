from django.db import models


class Role(models.TextChoices):
    """The five roles. Each is a Django group of the same name."""

    ADMIN = "admin", "Admin"
    IT = "it", "IT / software asset management"
    PROCUREMENT = "procurement", "Procurement"
    FINANCE = "finance", "Finance"
    VIEWER = "viewer", "Viewer"


class ImportJobStatus(models.TextChoices):
    UPLOADED = "uploaded", "Uploaded"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ImportMode(models.TextChoices):
    DRY_RUN = "dry_run", "Dry run (write nothing)"
    ALL_OR_NOTHING = "all_or_nothing", "Import, only if every row is valid"
    VALID_ROWS = "valid_rows", "Import the valid rows, skip the bad ones"


class BillingPeriod(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    SEMIANNUAL = "semiannual", "Every 6 months"
    ANNUAL = "annual", "Annually"
    TERM = "term", "Prepaid for the whole term"
    ONE_TIME = "one_time", "One-time"
