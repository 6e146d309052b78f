from django.urls import path

from saasmgr.core import fx_views, import_views, views

app_name = "core"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/api-token/", views.api_token_rotate, name="api_token_rotate"),
    path("fx-rates/", fx_views.FxRateListView.as_view(), name="fxrate_list"),
    path("fx-rates/add/", fx_views.fxrate_edit, name="fxrate_add"),
    path("fx-rates/<int:pk>/", fx_views.fxrate_detail, name="fxrate_detail"),
    path("fx-rates/<int:pk>/edit/", fx_views.fxrate_edit, name="fxrate_edit"),
    path("fx-rates/<int:pk>/delete/", fx_views.FxRateDeleteView.as_view(), name="fxrate_delete"),
    path("imports/", import_views.import_list, name="import_list"),
    path("imports/new/", import_views.import_new, name="import_new"),
    path("imports/<int:pk>/", import_views.import_detail, name="import_detail"),
    path("imports/<int:pk>/progress/", import_views.import_progress, name="import_progress"),
    path("imports/<int:pk>/errors.csv", import_views.import_errors_csv, name="import_errors_csv"),
    path("imports/templates/<slug:kind>.csv", import_views.import_template_csv, name="import_template_csv"),
]
