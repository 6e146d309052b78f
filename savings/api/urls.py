from savings.api import views  # noqa: F401

# (prefix, viewset, basename): registered on the one API router in saasmgr/urls.py.
routes = []
