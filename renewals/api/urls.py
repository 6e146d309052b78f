from renewals.api import views

routes = [
    ("contracts", views.ContractViewSet, "contract"),
    ("renewals", views.RenewalViewSet, "renewal"),
]
