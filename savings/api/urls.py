from savings.api import views

# (prefix, viewset, basename): registered on the one API router in saasmgr/urls.py.
routes = [
    ("opportunities", views.OpportunityViewSet, "opportunity"),
    ("savings-actions", views.SavingsActionViewSet, "savingsaction"),
    ("ledger", views.LedgerEntryViewSet, "ledgerentry"),
]
