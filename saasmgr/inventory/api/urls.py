from saasmgr.inventory.api import views

# (prefix, viewset, basename): registered on the one API router in saasmgr/urls.py.
routes = [
    ("vendors", views.VendorViewSet, "vendor"),
    ("applications", views.ApplicationViewSet, "application"),
    ("categories", views.CategoryViewSet, "category"),
    ("departments", views.DepartmentViewSet, "department"),
    ("people", views.PersonViewSet, "person"),
]
