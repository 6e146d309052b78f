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
]


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "user_roles": sorted(roles_of(user)),
        "nav_inventory": [(label, name) for label, name in INVENTORY_MENU if role_may(user, name, write=False)],
        "nav_sections": NAVIGATION,
        "nav_section": (request.resolver_match.namespace if request.resolver_match else "") or "",
    }
