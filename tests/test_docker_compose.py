"""docker-compose.yml and the Dockerfile, checked without Docker: every service, its command,
healthcheck, start order and volumes, and an environment that the settings really read."""

import os
import re
import subprocess
import sys

import pytest
import yaml

from tests.conftest import REPO_ROOT

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ("migrate", "web", "worker", "beat")
SETTINGS_SOURCE = (REPO_ROOT / "saasmgr" / "settings.py").read_text()
# Every variable the settings read: env("X"), env.str("X"), env.db("X", ...), ...
SETTINGS_ENV_NAMES = set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", SETTINGS_SOURCE))


def command_of(service: str) -> str:
    command = SERVICES[service]["command"]
    return " ".join(command) if isinstance(command, list) else command


def healthcheck_of(service: str) -> str:
    test = SERVICES[service]["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else test


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error}, enough to read this file."""

    def replace(match: re.Match) -> str:
        name, operator, argument = match.group(1), match.group(2), match.group(3)
        if env.get(name):
            return env[name]
        if operator == ":?":
            raise KeyError(f"{name}: {argument}")
        return argument or ""

    return re.sub(r"\$\{([A-Z0-9_]+)(?:(:-|:\?)([^}]*))?\}", replace, str(value))


def test_the_stack_has_every_service():
    assert set(SERVICES) == {"postgres", "redis", "migrate", "web", "worker", "beat", "mailpit"}


def test_settings_reader_finds_the_variables():
    # Guards the regex above: if it found nothing, the environment test below would prove nothing.
    assert {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "EMAIL_URL", "SECRET_KEY", "SITE_URL"} <= (
        SETTINGS_ENV_NAMES
    )


def test_postgres_has_a_healthcheck_and_a_volume():
    postgres = SERVICES["postgres"]
    assert postgres["image"] == "postgres:16"
    assert healthcheck_of("postgres").startswith("CMD-SHELL pg_isready")
    assert "postgres-data:/var/lib/postgresql/data" in postgres["volumes"]


def test_redis_has_a_healthcheck_and_a_volume():
    assert SERVICES["redis"]["image"].startswith("redis:")
    assert healthcheck_of("redis") == "CMD redis-cli ping"
    assert "redis-data:/data" in SERVICES["redis"]["volumes"]


def test_migrate_runs_once_before_the_app():
    assert command_of("migrate") == (
        "sh -c python manage.py migrate --noinput && python manage.py collectstatic --noinput"
    )
    assert SERVICES["migrate"]["restart"] == "no"
    assert SERVICES["migrate"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }


def test_web_runs_gunicorn_and_answers_its_healthcheck():
    assert command_of("web").startswith("gunicorn saasmgr.wsgi --bind 0.0.0.0:8000")
    assert healthcheck_of("web") == "CMD curl --fail --silent --show-error http://localhost:8000/health/"
    assert SERVICES["web"]["ports"] == ["${WEB_PORT:-8000}:8000"]


def test_worker_and_beat_run_celery():
    assert command_of("worker").startswith("celery -A saasmgr worker")
    assert "inspect ping" in healthcheck_of("worker")
    assert command_of("beat").startswith("celery -A saasmgr beat")


@pytest.mark.parametrize("service", ["web", "worker", "beat"])
def test_app_waits_for_healthy_services_and_the_migration(service):
    assert SERVICES[service]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }


def test_mail_catcher_takes_smtp_on_1025_and_shows_mail_on_8025():
    mailpit = SERVICES["mailpit"]
    assert mailpit["image"].startswith("axllent/mailpit:")
    assert mailpit["ports"] == ["${MAILPIT_UI_PORT:-8025}:8025"]
    assert healthcheck_of("mailpit") == "CMD /mailpit readyz"
    assert SERVICES["web"]["environment"]["EMAIL_URL"] == "${EMAIL_URL:-smtp://mailpit:1025}"


def test_named_volumes_are_declared_and_shared_by_the_app():
    assert set(COMPOSE["volumes"]) == {"postgres-data", "redis-data", "saasmgr-var"}
    for service in APP_SERVICES:
        assert SERVICES[service]["volumes"] == ["saasmgr-var:/var/lib/saasmgr"], service
        assert SERVICES[service]["build"] == "."


def test_app_environment_is_production_with_a_required_secret_key():
    environment = SERVICES["web"]["environment"]
    assert environment["DJANGO_ENV"] == "production"
    assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?")
    assert environment["DATABASE_URL"].endswith("@postgres:5432/saasmgr")
    assert environment["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    assert environment["CACHE_URL"] == "redis://redis:6379/1"
    for name in ("ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "SITE_URL"):
        assert name in environment
    for service in APP_SERVICES:
        assert SERVICES[service]["environment"] == environment, f"{service} runs with another environment"


def test_every_app_variable_is_read_by_the_settings():
    unread = sorted(set(SERVICES["web"]["environment"]) - SETTINGS_ENV_NAMES)
    assert unread == [], f"docker-compose.yml sets variables that saasmgr/settings.py never reads: {unread}"


def test_compose_refuses_to_start_without_a_secret_key():
    with pytest.raises(KeyError, match="SECRET_KEY"):
        interpolate(SERVICES["web"]["environment"]["SECRET_KEY"], {})


def test_the_compose_environment_passes_the_deploy_check(tmp_path):
    """The production settings accept exactly what the compose file passes."""
    user_env = {"SECRET_KEY": "k" * 20 + "-compose-check-" + "z" * 30, "ALLOWED_HOSTS": "saasmgr.example.com"}
    app_env = {name: interpolate(value, user_env) for name, value in SERVICES["web"]["environment"].items()}
    app_env["SAASMGR_VAR_DIR"] = str(tmp_path)  # the container path does not exist here
    assert app_env["ALLOWED_HOSTS"] == "saasmgr.example.com,localhost"
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO_ROOT,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **app_env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_dockerfile_installs_the_requirements_and_runs_unprivileged():
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11", dockerfile, re.MULTILINE)
    assert re.search(r"^COPY requirements\.txt \.$", dockerfile, re.MULTILINE)
    assert re.search(r"^RUN pip install -r requirements\.txt$", dockerfile, re.MULTILINE)
    assert "curl" in dockerfile, "the web healthcheck calls curl"
    assert re.search(r"^USER saasmgr$", dockerfile, re.MULTILINE)
    assert "gunicorn" in (REPO_ROOT / "requirements.txt").read_text()


def test_dockerignore_keeps_local_state_out_of_the_image():
    ignored = set((REPO_ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", "var", "test-artifacts"} <= ignored
