"""The review queues' pages; included by licenses/urls.py."""

urlpatterns: list = []
