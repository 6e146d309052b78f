from django.urls import include, path

from licenses import views

app_name = "licenses"

urlpatterns = [
    path("", views.PoolListView.as_view(), name="pool_list"),
    path("pools/add/", views.PoolEditView.as_view(), name="pool_add"),
    path("pools/<int:pk>/", views.PoolDetailView.as_view(), name="pool_detail"),
    path("pools/<int:pk>/edit/", views.PoolEditView.as_view(), name="pool_edit"),
    path("pools/<int:pk>/delete/", views.PoolDeleteView.as_view(), name="pool_delete"),
    path("assignments/", views.assignment_list, name="assignment_list"),
    path("utilisation/", views.utilisation, name="utilisation"),
    path("runs/", views.run_list, name="run_list"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("runs/<int:pk>/progress/", views.run_progress, name="run_progress"),
    path("findings/", views.finding_list, name="finding_list"),
    path("findings.csv", views.finding_csv, name="finding_csv"),
    path("review/", include("licenses.review_urls")),
]
