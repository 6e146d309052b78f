from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from licenses.api.ingest import ActivityIngestView
from licenses.api.urls import routes as licenses_routes
from renewals.api.urls import routes as renewals_routes
from saasmgr.core import views as core_views
from saasmgr.core.api.urls import routes as core_routes
from saasmgr.inventory.api.urls import routes as inventory_routes
from savings.api.urls import routes as savings_routes

router = DefaultRouter()
for prefix, viewset, basename in [*core_routes, *inventory_routes, *renewals_routes, *licenses_routes, *savings_routes]:
    router.register(prefix, viewset, basename=basename)

api_patterns = [
    path("", include(router.urls)),
    path("activity/", ActivityIngestView.as_view(), name="activity"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("health/", core_views.health, name="health"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("", include("saasmgr.core.urls")),
    path("inventory/", include("saasmgr.inventory.urls")),
    path("renewals/", include("renewals.urls")),
    path("licenses/", include("licenses.urls")),
    path("savings/", include("savings.urls")),
    path("api/", include((api_patterns, "api"))),
    path("admin/", admin.site.urls),
]
