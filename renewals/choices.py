from django.db import models


class ContractStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"


class PricingModel(models.TextChoices):
    PER_SEAT = "per_seat", "Per seat"
    USAGE = "usage", "Usage-based"
    PLATFORM_FEE = "platform_fee", "Platform fee"
    TIERED = "tiered", "Tiered"
    FLAT = "flat", "Flat"


class RenewalStage(models.TextChoices):
    UPCOMING = "upcoming", "Upcoming"
    IN_REVIEW = "in_review", "In review"
    NEGOTIATING = "negotiating", "Negotiating"
    DECIDED = "decided", "Decided"
    CLOSED = "closed", "Closed"


class RenewalDecision(models.TextChoices):
    RENEW = "renew", "Renew as is"
    RENEGOTIATE = "renegotiate", "Renegotiate"
    DOWNSIZE = "downsize", "Downsize"
    CANCEL = "cancel", "Cancel"


class DeliveryStatus(models.TextChoices):
    CLAIMED = "claimed", "Claimed"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
