from django.urls import path

from renewals import views

app_name = "renewals"

urlpatterns = [
    path("", views.pipeline, name="pipeline"),
    path("at-risk/", views.at_risk, name="at_risk"),
    path("calendar/", views.renewal_calendar_month, name="calendar"),
    path("calendar/feed/", views.calendar_feed, name="calendar_feed"),
    path("calendar/feed/rotate/", views.calendar_feed_rotate_view, name="calendar_feed_rotate"),
    path("calendar/<str:secret>.ics", views.calendar_ics, name="calendar_ics"),
    path("contracts/", views.ContractListView.as_view(), name="contract_list"),
    path("contracts/add/", views.contract_edit, name="contract_add"),
    path("contracts/<int:pk>/", views.ContractDetailView.as_view(), name="contract_detail"),
    path("contracts/<int:pk>/edit/", views.contract_edit, name="contract_edit"),
    path("contracts/<int:pk>/delete/", views.ContractDeleteView.as_view(), name="contract_delete"),
    path("contracts/<int:pk>/documents/", views.contract_document_upload, name="contract_document_upload"),
    path("documents/<int:pk>/", views.contract_document_download, name="contract_document_download"),
    path("renewal/<int:pk>/", views.renewal_detail, name="renewal_detail"),
    path("renewal/<int:pk>/edit/", views.renewal_edit, name="renewal_edit"),
    path("renewal/<int:pk>/move/", views.renewal_move, name="renewal_move"),
    path("renewal/<int:pk>/close/", views.renewal_close_page, name="renewal_close"),
]
