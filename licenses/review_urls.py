"""The review queues' pages; included by licenses/urls.py."""

from django.urls import path

from licenses import review_views

urlpatterns = [
    path("accounts/", review_views.IdentityReviewListView.as_view(), name="identity_review_list"),
    path("accounts/<int:pk>/", review_views.IdentityReviewResolveView.as_view(), name="identity_review_resolve"),
    path("names/", review_views.NameReviewListView.as_view(), name="name_review_list"),
    path("names/<int:pk>/", review_views.NameReviewResolveView.as_view(), name="name_review_resolve"),
]
