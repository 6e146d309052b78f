from django.urls import include, path

app_name = "licenses"

urlpatterns = [
    path("review/", include("licenses.review_urls")),
]
