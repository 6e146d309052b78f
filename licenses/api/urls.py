from licenses.api import views

# (prefix, viewset, basename): registered on the one API router in saasmgr/urls.py.
routes = [
    ("license-pools", views.LicensePoolViewSet, "licensepool"),
    ("assignments", views.AssignmentViewSet, "assignment"),
    ("findings", views.FindingViewSet, "finding"),
    ("reconciliation-runs", views.ReconciliationRunViewSet, "reconciliationrun"),
]
