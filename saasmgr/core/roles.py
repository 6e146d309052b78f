"""Who holds which role, and the data-migration helpers that give each role its
model permissions (used by the Django admin site)."""

from collections.abc import Iterable

from django.contrib.auth.management import create_permissions

from saasmgr.core.choices import Role

ALL_ROLES = frozenset(Role.values)


def roles_of(user) -> frozenset[str]:
    """The role names a user holds; a superuser holds every role."""
    if not user or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_saasmgr_roles", None)
    if cached is None:
        if user.is_superuser:
            cached = ALL_ROLES
        else:
            cached = frozenset(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
        user._saasmgr_roles = cached
    return cached


def grant_model_permissions(apps, app_label: str, grants: dict[str, Iterable[str]]) -> None:
    """Give each role (group) the named permission codenames of one app.

    For data migrations: permissions are normally created after migrate, so the
    app's permissions are created here first.
    """
    app_config = apps.get_app_config(app_label)
    # A migration's app registry has stubs without models_module; create_permissions
    # skips those, so mark this one as having models for the call.
    app_config.models_module = True
    try:
        create_permissions(app_config, verbosity=0, apps=apps)
    finally:
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in grants.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = Permission.objects.filter(content_type__app_label=app_label, codename__in=list(codenames))
        group.permissions.add(*perms)


def model_codenames(models: Iterable[str], actions: Iterable[str]) -> list[str]:
    return [f"{action}_{model}" for model in models for action in actions]
