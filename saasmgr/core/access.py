"""The access table: for every URL of the product, which roles may read it and
which may write through it.

It is the only place that grants access. ``RoleAccessMiddleware`` applies it to
HTML views and ``saasmgr.core.api.RoleTablePermission`` to API views; a URL missing from the table
is refused to everyone (a test checks that every URL is listed).
"""

from dataclasses import dataclass

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from saasmgr.core.choices import Role
from saasmgr.core.roles import ALL_ROLES, roles_of

ADMIN = frozenset({Role.ADMIN})
IT = frozenset({Role.ADMIN, Role.IT})
IT_PROCUREMENT = frozenset({Role.ADMIN, Role.IT, Role.PROCUREMENT})
PROCUREMENT = frozenset({Role.ADMIN, Role.PROCUREMENT})
FX_KEEPERS = frozenset({Role.ADMIN, Role.PROCUREMENT, Role.FINANCE})
# Who acts on savings opportunities (reclaim, cancel, downgrade, consolidate); finance also records other wins
# (credits, refunds) by hand and corrects the ledger with reversals.
SAVERS = IT_PROCUREMENT
LEDGER_KEEPERS = frozenset({Role.ADMIN, Role.IT, Role.PROCUREMENT, Role.FINANCE})
EVERYONE = ALL_ROLES
NOBODY: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Access:
    read: frozenset[str]
    write: frozenset[str] = NOBODY
    public: bool = False


PUBLIC = Access(read=NOBODY, public=True)


def _html_crud(namespace: str, model: str, write: frozenset[str]) -> dict[str, Access]:
    """List and detail pages readable by everyone; add, edit and delete by ``write``."""
    return {
        f"{namespace}:{model}_list": Access(read=EVERYONE),
        f"{namespace}:{model}_detail": Access(read=EVERYONE),
        f"{namespace}:{model}_add": Access(read=write, write=write),
        f"{namespace}:{model}_edit": Access(read=write, write=write),
        f"{namespace}:{model}_delete": Access(read=write, write=write),
    }


def _api_crud(basename: str, write: frozenset[str]) -> dict[str, Access]:
    return {
        f"api:{basename}-list": Access(read=EVERYONE, write=write),
        f"api:{basename}-detail": Access(read=EVERYONE, write=write),
    }


ACCESS: dict[str, Access] = {
    "login": PUBLIC,
    "logout": PUBLIC,
    "health": PUBLIC,
    "home": Access(read=EVERYONE),
    "password_change": Access(read=EVERYONE, write=EVERYONE),
    "password_change_done": Access(read=EVERYONE),
    "core:profile": Access(read=EVERYONE),
    "core:api_token_rotate": Access(read=EVERYONE, write=EVERYONE),
    # Imports: each import kind names the roles that may run it as well.
    "core:import_list": Access(read=IT_PROCUREMENT),
    "core:import_new": Access(read=IT_PROCUREMENT, write=IT_PROCUREMENT),
    "core:import_detail": Access(read=IT_PROCUREMENT, write=IT_PROCUREMENT),
    "core:import_progress": Access(read=IT_PROCUREMENT),
    "core:import_errors_csv": Access(read=IT_PROCUREMENT),
    "core:import_template_csv": Access(read=IT_PROCUREMENT),
    # Inventory
    **_html_crud("inventory", "vendor", IT_PROCUREMENT),
    **_html_crud("inventory", "application", IT_PROCUREMENT),
    **_html_crud("inventory", "category", IT),
    **_html_crud("inventory", "department", IT),
    **_html_crud("inventory", "person", IT),
    # Exchange rates
    **_html_crud("core", "fxrate", FX_KEEPERS),
    # Contracts and renewals
    **_html_crud("renewals", "contract", PROCUREMENT),
    "renewals:contract_document_upload": Access(read=PROCUREMENT, write=PROCUREMENT),
    "renewals:contract_document_download": Access(read=EVERYONE),
    "renewals:pipeline": Access(read=EVERYONE),
    "renewals:calendar": Access(read=EVERYONE),
    "renewals:at_risk": Access(read=EVERYONE),
    "renewals:renewal_detail": Access(read=EVERYONE),
    "renewals:renewal_edit": Access(read=PROCUREMENT, write=PROCUREMENT),
    "renewals:renewal_move": Access(read=PROCUREMENT, write=PROCUREMENT),
    "renewals:renewal_close": Access(read=PROCUREMENT, write=PROCUREMENT),
    "renewals:calendar_feed": Access(read=EVERYONE),
    "renewals:calendar_feed_rotate": Access(read=EVERYONE, write=EVERYONE),
    # The ICS feed is opened by calendar apps without a session; its secret is the credential.
    "renewals:calendar_ics": PUBLIC,
    # Licenses: pools, assignments, the review queues and reconciliation
    **_html_crud("licenses", "pool", IT_PROCUREMENT),
    "licenses:assignment_list": Access(read=EVERYONE),
    "licenses:utilisation": Access(read=EVERYONE),
    "licenses:identity_review_list": Access(read=IT),
    "licenses:identity_review_resolve": Access(read=IT, write=IT),
    "licenses:name_review_list": Access(read=IT),
    "licenses:name_review_resolve": Access(read=IT, write=IT),
    # Reading runs is for everyone; starting one (POST to the list) is for IT.
    "licenses:run_list": Access(read=EVERYONE, write=IT),
    "licenses:run_detail": Access(read=EVERYONE),
    "licenses:run_progress": Access(read=EVERYONE),
    "licenses:finding_list": Access(read=EVERYONE),
    "licenses:finding_csv": Access(read=EVERYONE),
    # Savings Center: everyone reads; savers act on opportunities; ledger keepers add manual wins and reversals.
    "savings:center": Access(read=EVERYONE),
    "savings:opportunity_list": Access(read=EVERYONE),
    "savings:opportunity_detail": Access(read=EVERYONE),
    "savings:opportunity_status": Access(read=SAVERS, write=SAVERS),
    "savings:opportunity_reclaim": Access(read=SAVERS, write=SAVERS),
    "savings:action_cancel_app": Access(read=SAVERS, write=SAVERS),
    "savings:action_downgrade": Access(read=SAVERS, write=SAVERS),
    "savings:action_consolidate": Access(read=SAVERS, write=SAVERS),
    "savings:action_manual": Access(read=LEDGER_KEEPERS, write=LEDGER_KEEPERS),
    "savings:action_list": Access(read=EVERYONE),
    "savings:action_detail": Access(read=EVERYONE),
    "savings:ledger_list": Access(read=EVERYONE),
    "savings:ledger_detail": Access(read=EVERYONE),
    "savings:ledger_export": Access(read=EVERYONE),
    "savings:ledger_reverse": Access(read=LEDGER_KEEPERS, write=LEDGER_KEEPERS),
    # API
    "api:api-root": Access(read=EVERYONE),
    "api:schema": Access(read=EVERYONE),
    "api:docs": Access(read=EVERYONE),
    **_api_crud("vendor", IT_PROCUREMENT),
    **_api_crud("application", IT_PROCUREMENT),
    **_api_crud("category", IT),
    **_api_crud("department", IT),
    **_api_crud("person", IT),
    **_api_crud("contract", PROCUREMENT),
    **_api_crud("renewal", PROCUREMENT),
    **_api_crud("fxrate", FX_KEEPERS),
    **_api_crud("licensepool", IT_PROCUREMENT),
    **_api_crud("assignment", IT),
    # Connectors post usage here: a JSON array or a CSV upload.
    "api:activity": Access(read=IT, write=IT),
    "api:reconciliationrun-list": Access(read=EVERYONE, write=IT),
    "api:reconciliationrun-detail": Access(read=EVERYONE),
    "api:finding-list": Access(read=EVERYONE),
    "api:finding-detail": Access(read=EVERYONE),
    # Savings: status changes are a PATCH of the opportunity; the ledger takes POSTs only (an entry or a reversal).
    **_api_crud("opportunity", SAVERS),
    **_api_crud("savingsaction", LEDGER_KEEPERS),
    **_api_crud("ledgerentry", LEDGER_KEEPERS),
    "api:ledgerentry-summary": Access(read=EVERYONE),
}


def access_for(view_name: str) -> Access | None:
    if view_name.startswith("admin:"):
        return Access(read=ADMIN, write=ADMIN)
    return ACCESS.get(view_name)


def role_may(user, view_name: str, *, write: bool) -> bool:
    access = access_for(view_name)
    if access is None:
        return False
    if access.public:
        return True
    allowed = access.write if write else access.read
    return bool(roles_of(user) & allowed)


SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _is_api_view(view_func) -> bool:
    from rest_framework.views import APIView

    view_class = getattr(view_func, "cls", None)
    return isinstance(view_class, type) and issubclass(view_class, APIView)


class RoleAccessMiddleware:
    """Applies the access table to every HTML view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        view_name = match.view_name if match else ""
        access = access_for(view_name)
        if access is not None and access.public:
            return None
        if _is_api_view(view_func):
            return None  # RoleTablePermission answers for the API, with 401/403.
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        writing = request.method not in SAFE_METHODS
        if not role_may(request.user, view_name, write=writing):
            raise PermissionDenied(f"Your role may not {'change anything on' if writing else 'open'} this page.")
        return None
