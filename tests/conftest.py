"""Shared fixtures: role users and clients, and the gates for real services.

A test that needs PostgreSQL, Redis or Chromium asks for the matching fixture
(``postgres_url``, ``redis_url``, ``chromium_path``). When the service is not
there, the test is skipped with the reason and how to start the service, and the
run ends with a banner listing every such skip. With SAASMGR_REQUIRE_SERVICES=1
(as ``.ci/run`` sets it) a missing service fails the test instead.
"""

import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client

from saasmgr.core.choices import Role
from tests.factories import UserFactory

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVICE_SKIP_PREFIX = "SERVICE MISSING"

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
DEFAULT_CHROMIUM_PATH = "/usr/bin/chromium"

HOW_TO_START = {
    "PostgreSQL": "start it (e.g. `pg_ctlcluster <version> main start`) or point TEST_POSTGRES_URL at one",
    "Redis": "start it (e.g. `redis-server --daemonize yes --port 6379`) or point TEST_REDIS_URL at one",
    "Chromium": "install it (`apt-get install chromium`) or point CHROMIUM_PATH at a Chromium binary",
}


def services_required() -> bool:
    return os.environ.get("SAASMGR_REQUIRE_SERVICES") == "1"


def service_unavailable(service: str, problem: str, how_to_fix: str | None = None) -> None:
    """Skip (locally) or fail (CI) the current test because ``service`` is missing."""
    message = f"{SERVICE_SKIP_PREFIX}: {service} is not available ({problem}); {how_to_fix or HOW_TO_START[service]}."
    if services_required():
        pytest.fail(f"{message} SAASMGR_REQUIRE_SERVICES=1 makes this test mandatory.", pytrace=False)
    pytest.skip(message)


def postgres_url_from_env() -> str:
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def redis_url_from_env() -> str:
    return os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL)


def chromium_path_from_env() -> str:
    return os.environ.get("CHROMIUM_PATH", DEFAULT_CHROMIUM_PATH)


def postgres_problem(url: str) -> str | None:
    """None when a PostgreSQL server answers at ``url``, else what went wrong."""
    import psycopg

    try:
        with psycopg.connect(url.replace("postgres://", "postgresql://", 1), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"{url}: {exc.__class__.__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
    return None


def redis_problem(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except (redis.RedisError, OSError) as exc:
        return f"{url}: {exc.__class__.__name__}: {exc}"
    return None


def chromium_problem(path: str) -> str | None:
    if not Path(path).is_file():
        return f"no file at {path}"
    if not os.access(path, os.X_OK):
        return f"{path} is not executable"
    return None


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = postgres_url_from_env()
    if problem := postgres_problem(url):
        service_unavailable("PostgreSQL", problem)
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = redis_url_from_env()
    if problem := redis_problem(url):
        service_unavailable("Redis", problem)
    return url


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = chromium_path_from_env()
    if problem := chromium_problem(path):
        service_unavailable("Chromium", problem)
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url_is_postgres() -> bool:
    return urlsplit(os.environ.get("DATABASE_URL", "")).scheme in ("postgres", "postgresql", "pgsql")


def pytest_configure(config):
    # Tests serve static files through the finders; STATIC_ROOT is only filled by collectstatic.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """A skip is never silent: list every test skipped for a missing service."""
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if SERVICE_SKIP_PREFIX in str(getattr(report, "longrepr", ""))
    ]
    if not skipped:
        return
    reasons = sorted({report.longrepr[2] for report in skipped if isinstance(report.longrepr, tuple)})
    terminalreporter.write_sep(
        "!", f"{len(skipped)} TESTS SKIPPED: A SERVICE THEY NEED IS MISSING", red=True, bold=True
    )
    for reason in reasons:
        terminalreporter.write_line(f"  {reason.removeprefix('Skipped: ')}", yellow=True)
    terminalreporter.write_line("  CI (SAASMGR_REQUIRE_SERVICES=1, as .ci/run sets it) fails these tests instead.")
    terminalreporter.write_sep("!", red=True, bold=True)


# Users and clients


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Hashing with the production hasher costs ~0.3 s per user; tests do not need it."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files of a test go to its own directory, never into var/."""
    settings.MEDIA_ROOT = tmp_path / "media"


ROLES = [role.value for role in Role]


@pytest.fixture
def user_with_role(db):
    """``user_with_role("it")`` makes a user holding that role (None: no role)."""

    def make(role: str | None):
        return UserFactory(username=f"{role or 'norole'}-user", roles=[role] if role else [])

    return make


@pytest.fixture
def client_for(db, user_with_role):
    """``client_for("it")`` is a test client logged in as a user with that role."""

    def make(role: str | None) -> Client:
        client = Client()
        client.force_login(user_with_role(role))
        return client

    return make


@pytest.fixture
def it_client(client_for) -> Client:
    return client_for(Role.IT)


@pytest.fixture
def viewer_client(client_for) -> Client:
    return client_for(Role.VIEWER)
