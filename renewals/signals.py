"""Signals that renewals sends for the apps above it (savings listens; renewals never imports savings)."""

from django.dispatch import Signal

# Sent once, after the transaction that closed a renewal commits.
# Arguments: ``outcome`` (renewals.services.RenewalOutcome: renewal, renewed, baseline_annual,
# quote_annual, final_annual, all annual amounts in the contract's currency) and ``user`` (who
# closed it). A cancelled contract has final_annual = 0.
renewal_closed = Signal()
