"""The real app, black-box, and a real Chromium to drive it.

``live_app`` (once per session) makes a fresh database and var directory,
migrates, creates one user per role, and starts the web server and a Celery
worker as separate processes, the way ``make run`` does. By default it uses
the embedded default (SQLite, filesystem broker); with DATABASE_URL set to
PostgreSQL it creates a throwaway database ``saasmgr_e2e_<random>`` there, and
with SAASMGR_E2E_BROKER=redis the broker is TEST_REDIS_URL.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from saasmgr.core.choices import Role
from tests.conftest import (
    REPO_ROOT,
    database_url_is_postgres,
    free_port,
    redis_problem,
    redis_url_from_env,
    service_unavailable,
)

SCREENSHOT_DIR = REPO_ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START_TIMEOUT = 60
# Environment that selects services: the live app gets only what this fixture decides.
SERVICE_ENV = ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "EMAIL_URL", "DJANGO_ENV", "DEBUG", "SAASMGR_VAR_DIR")

CREATE_ROLE_USERS = """
from django.contrib.auth.models import Group, User
for role, password in {passwords!r}.items():
    user = User.objects.create_user(username=role, email=role + "@example.com", password=password)
    user.groups.add(Group.objects.get(name=role))
"""


@dataclass
class LiveApp:
    base_url: str
    env: dict[str, str]
    var_dir: Path
    passwords: dict[str, str]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        """Runs a management command against the live app's database."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        return result

    def python(self, code: str) -> str:
        """Runs Python with Django set up against the live app's database; returns what it printed."""
        return self.manage("shell", "--no-imports", "-c", code).stdout

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def log(self, name: str) -> str:
        return (self.var_dir / f"{name}.log").read_text(errors="replace")


def _postgres_admin_url(database_url: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))


def _with_database(database_url: str, name: str) -> str:
    return urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))


def _postgres_execute(database_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(_postgres_admin_url(database_url), autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)


def _start(app: LiveApp, name: str, command: list[str]) -> subprocess.Popen:
    log = (app.var_dir / f"{name}.log").open("w")
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, env=app.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    log.close()
    app.processes[name] = process
    return process


def _wait_for(app: LiveApp, name: str, ready) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if app.processes[name].poll() is not None:
            pytest.fail(f"The {name} process exited early:\n{app.log(name)}", pytrace=False)
        if ready():
            return
        time.sleep(0.2)
    pytest.fail(f"The {name} process was not ready in {START_TIMEOUT}s:\n{app.log(name)}", pytrace=False)


def _health_ok(app: LiveApp) -> bool:
    try:
        with urllib.request.urlopen(app.url("/health/"), timeout=2) as response:  # noqa: S310 - our own server
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _broker_url() -> str | None:
    """None for the embedded default (filesystem broker), else the Redis URL to use.

    The live app gets the Redis database after TEST_REDIS_URL's (15 -> 14), so the integration
    tests' worker, on TEST_REDIS_URL, never takes the live app's tasks.
    """
    if os.environ.get("SAASMGR_E2E_BROKER") != "redis":
        return None
    test_url = urlsplit(redis_url_from_env())
    test_db = int(test_url.path.strip("/") or 0)
    url = urlunsplit(test_url._replace(path=f"/{test_db - 1 if test_db else 1}"))
    if problem := redis_problem(url):
        service_unavailable("Redis", problem)
    return url


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("e2e-var")
    env = {key: value for key, value in os.environ.items() if key not in SERVICE_ENV}
    env["SAASMGR_VAR_DIR"] = str(var_dir)
    postgres_database = None
    if database_url_is_postgres():
        postgres_database = f"saasmgr_e2e_{uuid.uuid4().hex[:10]}"
        _postgres_execute(os.environ["DATABASE_URL"], f'CREATE DATABASE "{postgres_database}"')
        env["DATABASE_URL"] = _with_database(os.environ["DATABASE_URL"], postgres_database)
    if broker_url := _broker_url():
        env["CELERY_BROKER_URL"] = broker_url
    port = free_port()
    app = LiveApp(
        base_url=f"http://127.0.0.1:{port}",
        env=env,
        var_dir=var_dir,
        passwords={role.value: f"{role.value}-e2e-{uuid.uuid4().hex[:12]}" for role in Role},
    )
    try:
        app.manage("migrate", "--noinput")
        app.python(CREATE_ROLE_USERS.format(passwords=app.passwords))
        _start(app, "web", [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"])
        celery = str(Path(sys.executable).parent / "celery")
        _start(app, "worker", [celery, "-A", "saasmgr", "worker", "--concurrency", "1", "-l", "INFO"])
        _wait_for(app, "web", lambda: _health_ok(app))
        _wait_for(app, "worker", lambda: " ready." in app.log("worker"))
        yield app
    finally:
        for process in app.processes.values():
            _stop(process)
        if postgres_database:
            _postgres_execute(os.environ["DATABASE_URL"], f'DROP DATABASE IF EXISTS "{postgres_database}" WITH (FORCE)')


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    """``screenshot("applications-list")`` saves the page as test-artifacts/screenshots/<name>.png."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)

    def save(name: str, *, full_page: bool = True) -> Path:
        path = SCREENSHOT_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return save


@pytest.fixture
def log_in(page, live_app):
    """``log_in("it")`` logs the page in as that role's user through the login form."""

    def as_role(role: str) -> None:
        page.goto(live_app.url("/login/"))
        page.get_by_label("Username").fill(role)
        page.get_by_label("Password").fill(live_app.passwords[role])
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(live_app.url("/"))

    return as_role
