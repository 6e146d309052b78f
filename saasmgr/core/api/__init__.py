from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import SAFE_METHODS, BasePermission

from saasmgr.core.access import access_for, role_may


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000


class RoleTablePermission(BasePermission):
    """Applies the access table (saasmgr.core.access) to every API view."""

    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        match = request.resolver_match
        view_name = match.view_name if match else ""
        access = access_for(view_name)
        if access is not None and access.public:
            return True
        if not request.user or not request.user.is_authenticated:
            return False
        return role_may(request.user, view_name, write=request.method not in SAFE_METHODS)
