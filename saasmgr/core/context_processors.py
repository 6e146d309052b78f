from saasmgr.core.access import role_may
from saasmgr.core.roles import roles_of

# (label, url name, section key): the top navigation, shown as far as the role may read.
NAVIGATION = [
    ("Inventory", "inventory:application_list", "inventory"),
    ("Renewals", None, "renewals"),
    ("Licenses", None, "licenses"),
    ("Savings", None, "savings"),
    ("Reports", None, "reports"),
]

INVENTORY_MENU = [
    ("Applications", "inventory:application_list"),
    ("Vendors", "inventory:vendor_list"),
    ("Categories", "inventory:category_list"),
    ("Departments", "inventory:department_list"),
    ("People", "inventory:person_list"),
    ("Imports", "core:import_list"),
]

RENEWALS_MENU = [
    ("Pipeline", "renewals:pipeline"),
    ("At risk", "renewals:at_risk"),
    ("Calendar", "renewals:calendar"),
    ("Contracts", "renewals:contract_list"),
    ("Exchange rates", "core:fxrate_list"),
    ("Calendar feed", "renewals:calendar_feed"),
]


LICENSES_MENU = [
    ("Pools", "licenses:pool_list"),
    ("Assignments", "licenses:assignment_list"),
    ("Utilisation", "licenses:utilisation"),
    ("Reconciliation runs", "licenses:run_list"),
    ("Findings", "licenses:finding_list"),
    ("Identity review", "licenses:identity_review_list"),
    ("Name review", "licenses:name_review_list"),
]


def _section(match) -> str:
    if match is None:
        return ""
    # Exchange rates live in core but belong with the contracts that use them.
    if match.namespace == "core" and (match.url_name or "").startswith("fxrate_"):
        return "renewals"
    return match.namespace or ""


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "user_roles": sorted(roles_of(user)),
        "nav_inventory": [(label, name) for label, name in INVENTORY_MENU if role_may(user, name, write=False)],
        "nav_renewals": [(label, name) for label, name in RENEWALS_MENU if role_may(user, name, write=False)],
        "nav_licenses": [(label, name) for label, name in LICENSES_MENU if role_may(user, name, write=False)],
        "nav_sections": NAVIGATION,
        "nav_section": _section(request.resolver_match),
    }
