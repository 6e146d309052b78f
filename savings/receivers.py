"""What savings does when the apps below it say something happened (their signals document the contracts)."""

import logging

from django.db import transaction

from licenses.signals import reconciliation_finished
from renewals.signals import renewal_closed

logger = logging.getLogger(__name__)


def _refresh_after_commit() -> None:
    from savings.tasks import opportunities_refresh_task

    transaction.on_commit(opportunities_refresh_task.delay)


def reconciliation_finished_refresh(sender, run, **kwargs) -> None:
    """A run's findings are the evidence of most opportunities: refresh them in a worker."""
    _refresh_after_commit()


def renewal_closed_record(sender, outcome, user, **kwargs) -> None:
    """Write the renewal's outcome into the ledger, then refresh: the closed renewal no longer evidences its
    right-size and renegotiate opportunities, so those the outcome did not mark done are closed."""
    from savings.actions import renewal_outcome_record
    from savings.services import SavingsError

    # The close has committed already: a failure here must not turn the close into an error page. It is
    # logged with what to do; recording the win by hand (Savings → Record a win) fills the gap.
    try:
        renewal_outcome_record(outcome=outcome, user=user)
    except SavingsError as error:
        logger.error(
            "Renewal %s closed, but its savings could not be written to the ledger: %s",
            outcome.renewal.pk,
            error,
        )
    _refresh_after_commit()


def receivers_connect() -> None:
    reconciliation_finished.connect(reconciliation_finished_refresh, dispatch_uid="savings-opportunities-refresh")
    renewal_closed.connect(renewal_closed_record, dispatch_uid="savings-renewal-outcome")
