from django.urls import path

from saasmgr.core import views

app_name = "core"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/api-token/", views.api_token_rotate, name="api_token_rotate"),
]
