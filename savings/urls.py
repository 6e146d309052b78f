from django.urls import path

from savings import ledger_views, views

app_name = "savings"

urlpatterns = [
    path("", views.center, name="center"),
    path("opportunities/", views.opportunity_list, name="opportunity_list"),
    path("opportunities/<int:pk>/", views.opportunity_detail, name="opportunity_detail"),
    path("opportunities/<int:pk>/status/", views.opportunity_status, name="opportunity_status"),
    path("opportunities/<int:pk>/reclaim/", views.opportunity_reclaim, name="opportunity_reclaim"),
    path("actions/", views.action_list, name="action_list"),
    path("actions/<int:pk>/", views.action_detail, name="action_detail"),
    path("actions/cancel-app/", views.action_cancel_app, name="action_cancel_app"),
    path("actions/downgrade/", views.action_downgrade, name="action_downgrade"),
    path("actions/consolidate/", views.action_consolidate, name="action_consolidate"),
    path("actions/manual/", views.action_manual, name="action_manual"),
    path("ledger/", ledger_views.ledger_list, name="ledger_list"),
    path("ledger/export/", ledger_views.ledger_export, name="ledger_export"),
    path("ledger/<int:pk>/", ledger_views.ledger_detail, name="ledger_detail"),
    path("ledger/<int:pk>/reverse/", ledger_views.ledger_reverse, name="ledger_reverse"),
]
