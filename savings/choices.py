from django.db import models


class OpportunityKind(models.TextChoices):
    RECLAIM = "reclaim", "Reclaim idle seats"
    REDUCE_AT_RENEWAL = "reduce_at_renewal", "Reduce unassigned seats at renewal"
    CANCEL_APP = "cancel_app", "Cancel or downgrade a little-used app"
    CONSOLIDATE = "consolidate", "Consolidate overlapping apps"
    RIGHT_SIZE = "right_size", "Right-size at renewal"
    RENEGOTIATE = "renegotiate", "Renegotiate a price rise"
    TRUE_UP_RISK = "true_up_risk", "True-up risk (over-assigned seats)"


# Money that may have to be paid: shown apart from savings and never summed with them.
RISK_OPPORTUNITY_KINDS = frozenset({OpportunityKind.TRUE_UP_RISK})


class OpportunityStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    DISMISSED = "dismissed", "Dismissed"
    # The evidence went away (the seats were used again, the renewal passed): nothing left to act on.
    CLOSED = "closed", "Closed (evidence gone)"


# Statuses an opportunity can still be worked in; at most one opportunity per key is in one of these or dismissed.
ACTIVE_STATUSES = frozenset({OpportunityStatus.OPEN, OpportunityStatus.IN_PROGRESS})
LIVE_STATUSES = ACTIVE_STATUSES | {OpportunityStatus.DISMISSED}

# The moves a person may make; CLOSED is set by the refresh only, DONE also by an action.
STATUS_MOVES = {
    OpportunityStatus.OPEN: {OpportunityStatus.IN_PROGRESS, OpportunityStatus.DONE, OpportunityStatus.DISMISSED},
    OpportunityStatus.IN_PROGRESS: {OpportunityStatus.OPEN, OpportunityStatus.DONE, OpportunityStatus.DISMISSED},
    OpportunityStatus.DISMISSED: {OpportunityStatus.OPEN},
    OpportunityStatus.DONE: set(),
    OpportunityStatus.CLOSED: set(),
}


class ActionKind(models.TextChoices):
    RECLAIM = "reclaim", "Reclaimed seats"
    RENEWAL_OUTCOME = "renewal_outcome", "Renewal outcome"
    CANCEL_APP = "cancel_app", "Cancelled an app"
    DOWNGRADE = "downgrade", "Downgraded seats"
    CONSOLIDATE = "consolidate", "Consolidated apps"
    MANUAL = "manual", "Other win (entered by hand)"


class LedgerKind(models.TextChoices):
    COST_SAVINGS = "cost_savings", "Cost savings"
    COST_AVOIDANCE = "cost_avoidance", "Cost avoidance"


class Recurrence(models.TextChoices):
    ONE_TIME = "one_time", "One-time"
    ANNUAL = "annual", "Annual recurring"


class ReduceWhen(models.TextChoices):
    NOW = "now", "Now (the vendor takes the seats back mid-term)"
    AT_RENEWAL = "at_renewal", "At renewal (buy fewer seats next term)"
