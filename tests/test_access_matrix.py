"""Walks the access table (saasmgr.core.access.ACCESS) against every role.

Every URL of the project must be in the table, and every entry must be a real
URL. Then each entry is requested as each role, as a user with no role and
anonymously: a role the table allows is never refused, any other is refused.
"""

import importlib
import pkgutil
from dataclasses import dataclass

import pytest
from django.contrib.auth.views import redirect_to_login
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from factory.django import DjangoModelFactory
from rest_framework.views import APIView

from saasmgr.core.access import ACCESS, Access
from tests import factories
from tests.conftest import REPO_ROOT, ROLES
from tests.factories import ImportJobFactory
from tests.licenses.factories import IdentityReviewFactory, NameReviewFactory, ReconciliationRunFactory
from tests.renewals.factories import CalendarFeedFactory, ContractDocumentFactory, ContractFactory, RenewalFactory

ANONYMOUS = "anonymous"
NO_ROLE = "no-role"
ACTORS = [*ROLES, NO_ROLE, ANONYMOUS]


def project_patterns(resolver=None, namespace: str = "") -> list[tuple[str, URLPattern]]:
    """(view name, pattern) of every URL, through nested includes and namespaces."""
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace or namespace
            if inner == "admin":
                continue  # access_for() gives every admin page to the admin role.
            found.extend(project_patterns(entry, inner))
        elif isinstance(entry, URLPattern):
            if "format" in entry.pattern.regex.groupindex:
                continue  # DRF's format-suffix twin of a URL that is listed without the suffix.
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or ""
            found.append((name, entry))
    return found


def test_every_url_has_a_name():
    unnamed = [str(pattern.pattern) for name, pattern in project_patterns() if not name]
    assert unnamed == [], f"URL patterns without a name cannot be in the access table: {unnamed}"


def test_every_url_is_in_the_access_table():
    missing = sorted({name for name, _ in project_patterns() if name and name not in ACCESS})
    assert missing == [], f"Add these URL names to ACCESS in saasmgr/core/access.py: {missing}"


def test_every_access_table_entry_is_a_real_url():
    names = {name for name, _ in project_patterns()}
    stale = sorted(set(ACCESS) - names)
    assert stale == [], f"ACCESS lists URL names that no URL pattern has: {stale}"


# Filling URL kwargs with real objects. A URL whose only kwarg is ``pk`` gets a fresh
# object of its view's model, made by that model's factory (tests/factories.py or tests/<app>/factories.py).
# Any other URL with kwargs needs an entry in EXPLICIT_URL_KWARGS.

# Imports of applications: every role the table lets into imports may run them (people
# imports are for admin and IT only; tests/core/test_import_views.py checks that refusal).
EXPLICIT_URL_KWARGS = {
    "core:import_detail": lambda: {"pk": ImportJobFactory(kind="applications").pk},
    "core:import_progress": lambda: {"pk": ImportJobFactory(kind="applications").pk},
    "core:import_errors_csv": lambda: {"pk": ImportJobFactory(kind="applications").pk},
    "core:import_template_csv": lambda: {"kind": "applications"},
    # Exchange rates, contracts and renewals
    **{f"core:fxrate_{action}": lambda: {"pk": _fx_rate().pk} for action in ("detail", "edit", "delete")},
    **{
        f"renewals:contract_{action}": lambda: {"pk": ContractFactory().pk}
        for action in ("detail", "edit", "delete", "document_upload")
    },
    "renewals:contract_document_download": lambda: {"pk": ContractDocumentFactory().pk},
    **{
        f"renewals:renewal_{action}": lambda: {"pk": RenewalFactory().pk}
        for action in ("detail", "edit", "move", "close")
    },
    "renewals:calendar_ics": lambda: {"secret": CalendarFeedFactory().secret},
    # Licenses: runs and findings pages are function views, so their model is named here.
    "licenses:run_detail": lambda: {"pk": ReconciliationRunFactory().pk},
    "licenses:run_progress": lambda: {"pk": ReconciliationRunFactory().pk},
    "licenses:identity_review_resolve": lambda: {"pk": IdentityReviewFactory().pk},
    "licenses:name_review_resolve": lambda: {"pk": NameReviewFactory().pk},
}


def _fx_rate():
    from datetime import date
    from decimal import Decimal

    from saasmgr.core.services import fx_rate_upsert

    return fx_rate_upsert(currency="EUR", on_date=date(2025, 1, 1), rate=Decimal("1.1"))[0]


def factories_by_model() -> dict:
    """The first factory found for each model, in tests/factories.py and then every tests/<app>/factories.py."""
    modules = [factories] + [
        importlib.import_module(f"tests.{info.name}.factories")
        for info in pkgutil.iter_modules([str(REPO_ROOT / "tests")])
        if info.ispkg and (REPO_ROOT / "tests" / info.name / "factories.py").exists()
    ]
    found = {}
    for module in modules:
        for candidate in vars(module).values():
            if isinstance(candidate, type) and issubclass(candidate, DjangoModelFactory) and candidate._meta.model:
                found.setdefault(candidate._meta.model, candidate)
    return found


FACTORY_FOR_MODEL = factories_by_model()


def view_model(callback):
    """The model a class-based view or DRF viewset shows, or None for a function view."""
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    model = getattr(view_class, "model", None)
    queryset = getattr(view_class, "queryset", None)
    return model or (queryset.model if queryset is not None else None)


def url_kwargs(name: str, pattern: URLPattern) -> dict:
    if name in EXPLICIT_URL_KWARGS:
        return EXPLICIT_URL_KWARGS[name]()
    params = set(pattern.pattern.regex.groupindex)
    if not params:
        return {}
    model = view_model(pattern.callback)
    if params == {"pk"} and model in FACTORY_FOR_MODEL:
        return {"pk": FACTORY_FOR_MODEL[model]().pk}
    pytest.fail(
        f"{name} needs URL kwargs {sorted(params)}: add a factory for {model or 'its model'} to tests/factories.py "
        "or an entry to EXPLICIT_URL_KWARGS in tests/test_access_matrix.py",
        pytrace=False,
    )


def url_of(name: str) -> str:
    patterns = dict(project_patterns())
    if name not in patterns:
        pytest.fail(f"{name} is in ACCESS but no URL pattern has this name", pytrace=False)
    return reverse(name, kwargs=url_kwargs(name, patterns[name]))


def is_api(url: str) -> bool:
    view_class = getattr(resolve(url).func, "cls", None)
    return isinstance(view_class, type) and issubclass(view_class, APIView)


@dataclass
class Expectation:
    access: Access
    actor: str

    def may(self, *, write: bool) -> bool:
        if self.access.public:
            return True
        allowed = self.access.write if write else self.access.read
        return self.actor in allowed


def client_as(actor: str, user_with_role) -> Client:
    client = Client()
    if actor != ANONYMOUS:
        client.force_login(user_with_role(None if actor == NO_ROLE else actor))
    return client


def assert_refused(response, *, actor: str, url: str, api: bool, label: str):
    if actor == ANONYMOUS and api:
        assert response.status_code in (401, 403), f"{label}: anonymous API call got {response.status_code}"
    elif actor == ANONYMOUS:
        assert response.status_code == 302, f"{label}: anonymous got {response.status_code}, not a login redirect"
        assert response["Location"] == redirect_to_login(url)["Location"], f"{label}: redirected elsewhere"
    else:
        assert response.status_code == 403, f"{label}: expected 403, got {response.status_code}"


def assert_allowed_read(response, *, label: str):
    if response.status_code == 405:
        # A POST-only view (logout, rotate a token): the access check let the GET through to the view.
        assert "GET" not in response["Allow"], f"{label}: 405 from a view that allows GET"
        return
    assert response.status_code in (200, 302), f"{label}: expected 200 or 302, got {response.status_code}"


def assert_allowed_write(response, *, label: str):
    # An empty form or body may be invalid (200 with errors, 400) but is never refused.
    assert response.status_code not in (401, 403), f"{label}: refused with {response.status_code}"
    assert response.status_code < 500, f"{label}: server error {response.status_code}"


def write_requests(url: str, *, api: bool, name: str):
    """The writes tried on one URL: POST for pages, POST or PATCH for the API."""
    if not api:
        return [("post", {})]
    if name.endswith("-detail"):
        return [("patch", {"content_type": "application/json", "data": "{}"})]
    return [("post", {"content_type": "application/json", "data": "{}"})]


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("name", sorted(ACCESS))
def test_access_table_is_enforced(name, actor, db, user_with_role):
    access = ACCESS[name]
    url = url_of(name)
    api = is_api(url)
    expectation = Expectation(access, actor)
    client = client_as(actor, user_with_role)

    response = client.get(url)
    label = f"GET {name} ({url}) as {actor}"
    if expectation.may(write=False):
        assert_allowed_read(response, label=label)
    else:
        assert_refused(response, actor=actor, url=url, api=api, label=label)

    for method, options in write_requests(url, api=api, name=name):
        response = getattr(client, method)(url, **options)
        label = f"{method.upper()} {name} ({url}) as {actor}"
        if expectation.may(write=True):
            assert_allowed_write(response, label=label)
        else:
            assert_refused(response, actor=actor, url=url, api=api, label=label)
