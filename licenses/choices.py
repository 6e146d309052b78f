from django.db import models


class FindingKind(models.TextChoices):
    DEPARTED_HOLDER = "departed_holder", "Departed holder"
    NEVER_USED = "never_used", "Never used"
    INACTIVE = "inactive", "Inactive"
    DUPLICATE_ACCOUNT = "duplicate_account", "Duplicate account"
    UNASSIGNED_SEAT = "unassigned_seat", "Unassigned seat"
    OVER_ASSIGNED = "over_assigned", "Over-assigned"
    UNLICENSED_USER = "unlicensed_user", "Unlicensed user"


# True-up exposure: money that may have to be paid, reported apart from savings.
RISK_KINDS = frozenset({FindingKind.OVER_ASSIGNED, FindingKind.UNLICENSED_USER})
SAVINGS_KINDS = frozenset(FindingKind.values) - RISK_KINDS
# A held seat is counted once, under the first of these that applies.
SEAT_REASON_ORDER = (FindingKind.DEPARTED_HOLDER, FindingKind.NEVER_USED, FindingKind.INACTIVE)


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class PartStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    DONE = "done", "Done"


class IdentityStatus(models.TextChoices):
    PENDING = "pending", "Waiting for review"
    LINKED = "linked", "Linked to a person"
    SERVICE = "service", "Service account"
    SHARED = "shared", "Shared account"


class NameKind(models.TextChoices):
    APPLICATION = "application", "Application name"
    LICENSE = "license", "License name"


class NameReviewStatus(models.TextChoices):
    PENDING = "pending", "Waiting for review"
    CONFIRMED = "confirmed", "Confirmed"
    REJECTED = "rejected", "Not a match"


class AssignmentSource(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    IMPORT = "import", "File import"
    API = "api", "API"
