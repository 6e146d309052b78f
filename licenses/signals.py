"""Signals that licenses sends for the apps above it (savings listens; licenses never imports savings)."""

from django.dispatch import Signal

# Sent once per run, after the transaction that marked a reconciliation run done commits, with ``run``
# (the ReconciliationRun, status done, totals written). Receivers refresh what they derive from the
# run's findings (savings: the opportunities). They run outside the run's transaction: a receiver that
# fails does not undo the run, and may be repeated for the same run without harm.
reconciliation_finished = Signal()
