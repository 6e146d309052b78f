from saasmgr.core.api import views

routes = [("fx-rates", views.FxRateViewSet, "fxrate")]
