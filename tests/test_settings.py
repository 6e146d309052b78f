"""Settings and the security promises: production refuses unsafe values and passes
``check --deploy``; the embedded default needs no server; login and CSRF are enforced."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import REPO_ROOT
from tests.factories import USER_PASSWORD, UserFactory

REAL_SECRET_KEY = secrets.token_urlsafe(48)  # 64 characters


def run_manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    """Runs manage.py with only the given environment (plus PATH), as a fresh deployment would."""
    clean_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SAASMGR_VAR_DIR": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_debug(tmp_path):
    result = run_manage(
        "check",
        env={"DJANGO_ENV": "production", "DEBUG": "on", "SECRET_KEY": REAL_SECRET_KEY, "ALLOWED_HOSTS": "a.example"},
        tmp_path=tmp_path,
    )
    assert result.returncode != 0
    assert "refuses DEBUG=on" in result.stderr


def test_production_refuses_a_missing_secret_key(tmp_path):
    result = run_manage("check", env={"DJANGO_ENV": "production", "ALLOWED_HOSTS": "a.example"}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "needs a real SECRET_KEY" in result.stderr


def test_production_refuses_a_short_secret_key(tmp_path):
    result = run_manage(
        "check",
        env={"DJANGO_ENV": "production", "SECRET_KEY": "too-short", "ALLOWED_HOSTS": "a.example"},
        tmp_path=tmp_path,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_missing_allowed_hosts(tmp_path):
    result = run_manage("check", env={"DJANGO_ENV": "production", "SECRET_KEY": REAL_SECRET_KEY}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_production_check_deploy_is_clean(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={"DJANGO_ENV": "production", "SECRET_KEY": REAL_SECRET_KEY, "ALLOWED_HOSTS": "saasmgr.example.com"},
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stderr


PRINT_RUNTIME = (
    "import json; from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'db': str(s.DATABASES['default']['NAME']), "
    "'broker': s.CELERY_BROKER_URL, 'queue': s.CELERY_BROKER_TRANSPORT_OPTIONS['data_folder_in'], "
    "'debug': s.DEBUG, 'email': s.EMAIL_BACKEND}))"
)


def test_embedded_default_uses_sqlite_and_the_filesystem_broker_under_the_var_dir(tmp_path):
    result = run_manage("shell", "--no-imports", "-c", PRINT_RUNTIME, env={}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    runtime = json.loads(result.stdout)
    assert runtime == {
        "engine": "django.db.backends.sqlite3",
        "db": str(tmp_path / "saasmgr.sqlite3"),
        "broker": "filesystem://",
        "queue": str(tmp_path / "celery" / "queue"),
        "debug": True,
        "email": "django.core.mail.backends.console.EmailBackend",
    }
    assert (tmp_path / "celery" / "queue").is_dir()


def test_var_dir_defaults_to_var_in_the_project(tmp_path):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "--no-imports",
            "-c",
            "from django.conf import settings; print(settings.VAR_DIR)",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(REPO_ROOT / "var")


def test_service_urls_select_postgres_redis_and_smtp(tmp_path):
    script = (
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], s.CELERY_BROKER_URL, "
        "s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.CACHES['default']['BACKEND'])"
    )
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        script,
        env={
            "DATABASE_URL": "postgres://saasmgr@db.internal:5432/saasmgr",
            "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
            "CACHE_URL": "redis://redis.internal:6379/1",
            "EMAIL_URL": "smtp://127.0.0.1:1025",
        },
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "saasmgr",
        "redis://redis.internal:6379/0",
        "django.core.mail.backends.smtp.EmailBackend",
        "127.0.0.1",
        "1025",
        "django.core.cache.backends.redis.RedisCache",
    ]


# Health, login and CSRF, in process


def test_health_answers_without_login(client, db):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_health_reports_a_broken_broker_with_503(client, db, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == "ok"
    assert body["broker"].startswith("error: ")


@pytest.mark.parametrize("path", ["/", "/inventory/applications/", "/profile/"])
def test_pages_need_a_login(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"


def test_login_page_is_public(client, db):
    response = client.get("/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_login_then_logout(db):
    user = UserFactory(username="ada", roles=["viewer"])
    client = Client()

    response = client.post("/login/", {"username": "ada", "password": USER_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get("/").status_code == 200
    assert int(client.session["_auth_user_id"]) == user.pk

    response = client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert client.get("/")["Location"] == "/login/?next=/"


def test_login_with_a_wrong_password_is_refused(db):
    UserFactory(username="ada")
    response = Client().post("/login/", {"username": "ada", "password": "not-the-password"})
    assert response.status_code == 200
    assert "_auth_user_id" not in response.client.session
    assert b"Please enter a correct username and password" in response.content


def test_password_change(db):
    user = UserFactory(username="ada", roles=["viewer"])
    client = Client()
    client.force_login(user)
    new_password = "a-new-and-long-passphrase-42"

    response = client.post(
        "/password/", {"old_password": USER_PASSWORD, "new_password1": new_password, "new_password2": new_password}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    user.refresh_from_db()
    assert user.check_password(new_password)
    assert not user.check_password(USER_PASSWORD)


def test_password_change_with_a_wrong_old_password_changes_nothing(db):
    user = UserFactory(username="ada", roles=["viewer"])
    client = Client()
    client.force_login(user)
    response = client.post(
        "/password/", {"old_password": "wrong", "new_password1": "x" * 20, "new_password2": "x" * 20}
    )
    assert response.status_code == 200
    assert b"Your old password was entered incorrectly" in response.content
    user.refresh_from_db()
    assert user.check_password(USER_PASSWORD)


def test_csrf_is_enforced_on_forms(db):
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(username="ada", roles=["it"]))

    without_token = client.post("/inventory/vendors/add/", {"name": "Acme"})
    assert without_token.status_code == 403

    form_page = client.get("/inventory/vendors/add/")
    token = form_page.context["csrf_token"]
    with_token = client.post("/inventory/vendors/add/", {"name": "Acme", "csrfmiddlewaretoken": str(token)})
    assert with_token.status_code == 302


def test_csrf_is_enforced_on_login(db):
    UserFactory(username="ada")
    response = Client(enforce_csrf_checks=True).post("/login/", {"username": "ada", "password": USER_PASSWORD})
    assert response.status_code == 403


def test_csrf_is_enforced_on_session_authenticated_api_writes(db):
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(username="ada", roles=["it"]))
    response = client.post("/api/vendors/", {"name": "Acme"}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
