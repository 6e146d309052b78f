"""Demo logins: one user per role, named after the role, with a documented password.

The user ``admin`` holds the role admin with the password ``demo-admin``, and
likewise ``it``, ``procurement``, ``finance`` and ``viewer``. ``admin`` is also
staff, so it can open the Django admin site (with its role's permissions, not
as a superuser). An existing user of that name is left exactly as it is: a
changed password or group is a person's decision, not something a re-run undoes.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import Group
from django.db import transaction

from saasmgr.core.choices import Role


class DemoDataInProductionError(Exception):
    """Demo logins have published passwords; production needs an explicit opt-in."""


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str
    created: bool
    password_works: bool  # False when someone has changed the demo password since


def demo_password(username: str) -> str:
    return f"demo-{username}"


def demo_production_guard(*, allow_production: bool) -> None:
    """Raise unless this is not production or the caller opted in."""
    if settings.PRODUCTION and not allow_production:
        raise DemoDataInProductionError(
            "Refusing to create demo data and demo logins with published passwords in production "
            "(DJANGO_ENV=production). Pass --allow-production if you really mean it."
        )


@transaction.atomic
def demo_users_ensure(*, allow_production: bool = False) -> list[DemoLogin]:
    """Create the missing demo users, one per role; leave existing ones untouched."""
    demo_production_guard(allow_production=allow_production)
    return [_demo_user_ensure(Role(role)) for role in Role.values]


def _demo_user_ensure(role: Role) -> DemoLogin:
    username, password = role.value, demo_password(role.value)
    user = get_user_model().objects.filter(username=username).first()
    if user is not None:
        # check_password from the hashers module never re-saves the user (the model method may).
        works = check_password(password, user.password)
        return DemoLogin(role.value, username, password, created=False, password_works=works)
    user = get_user_model().objects.create_user(
        username=username,
        password=password,
        first_name="Demo",
        last_name=str(role.label),
        is_staff=role == Role.ADMIN,
    )
    group, _ = Group.objects.get_or_create(name=role.value)
    user.groups.add(group)
    return DemoLogin(role.value, username, password, created=True, password_works=True)
