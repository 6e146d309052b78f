"""Signals that core sends for the apps above it."""

from django.dispatch import Signal

# Sent after exchange rates were added or changed, with ``currencies`` (a set of ISO codes).
# Receivers recompute any stored reporting-currency figure in those currencies.
fx_rates_changed = Signal()
