"""Signals that renewals sends for the apps above it (savings listens; renewals never imports savings)."""

from django.dispatch import Signal

# Sent once, after the transaction that closed a renewal commits.
# Arguments: ``outcome`` (renewals.services.RenewalOutcome: renewal, renewed, baseline_annual,
# quote_annual, final_annual, all annual amounts in the contract's currency) and ``user`` (who
# closed it). A cancelled contract has final_annual = 0.
renewal_closed = Signal()

# Sent inside the transaction that changed contracts' line items, terms, status or stored values (a save,
# an import, a renewal closing, new FX rates), with ``contract_ids`` (a set of Contract ids).
# Receivers bring what they derive from the line items in step (licenses: the per-seat license pools);
# they run in the same transaction, so a failure rolls the change back.
contract_terms_changed = Signal()
