"""The inventory REST API: authentication, filters, pagination, validation, schema and docs."""

import re
import subprocess
import sys

import pytest
from django.test import Client
from openapi_spec_validator import validate
from rest_framework.authtoken.models import Token

from saasmgr.inventory.choices import ApplicationStatus
from saasmgr.inventory.models import Application, Department, Person
from tests.conftest import REPO_ROOT
from tests.factories import (
    ApplicationFactory,
    DepartmentFactory,
    PersonFactory,
    UserFactory,
    VendorAliasFactory,
    VendorFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def token_client():
    """An API client that authenticates like a script would: a token, no session, no CSRF."""

    def make(role: str) -> Client:
        token = Token.objects.create(user=UserFactory(username=f"api-{role}", roles=[role]))
        return Client(HTTP_AUTHORIZATION=f"Token {token.key}", enforce_csrf_checks=True)

    return make


# Authentication


def test_anonymous_api_call_is_refused_with_401():
    response = Client().get("/api/applications/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_wrong_token_is_refused():
    response = Client(HTTP_AUTHORIZATION="Token not-a-real-token").get("/api/applications/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_token_authenticates(token_client):
    ApplicationFactory(name="Slack")
    response = token_client("viewer").get("/api/applications/")
    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["Slack"]


def test_token_write_needs_no_csrf_token_but_a_write_role(token_client):
    vendor = VendorFactory(name="Atlassian")
    body = {"name": "Jira", "vendor": vendor.pk, "status": "sanctioned"}

    refused = token_client("finance").post("/api/applications/", body, content_type="application/json")
    created = token_client("procurement").post("/api/applications/", body, content_type="application/json")

    assert refused.status_code == 403
    assert created.status_code == 201
    assert created.json()["vendor_name"] == "Atlassian"
    assert list(Application.objects.values_list("name", "vendor__name", "status")) == [
        ("Jira", "Atlassian", "sanctioned")
    ]


def test_session_authenticates_for_the_browser(viewer_client):
    ApplicationFactory(name="Zoom")
    response = viewer_client.get("/api/applications/")
    assert response.status_code == 200
    assert response.json()["count"] == 1


# Filters and pagination


@pytest.fixture
def applications():
    atlassian, google = VendorFactory(name="Atlassian"), VendorFactory(name="Google")
    VendorAliasFactory(vendor=atlassian, alias="Atlassian Pty Ltd")
    for name in ("Jira", "Confluence", "Bitbucket"):
        ApplicationFactory(name=name, vendor=atlassian, status=ApplicationStatus.SANCTIONED)
    ApplicationFactory(name="Trello", vendor=atlassian, status=ApplicationStatus.RETIRED)
    ApplicationFactory(name="Google Workspace", vendor=google, status=ApplicationStatus.SANCTIONED)
    ApplicationFactory(name="Google Drive personal", vendor=google, status=ApplicationStatus.UNSANCTIONED)
    return {"atlassian": atlassian, "google": google}


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def test_filter_by_status(viewer_client, applications):
    assert names(viewer_client.get("/api/applications/?status=sanctioned")) == [
        "Bitbucket",
        "Confluence",
        "Google Workspace",
        "Jira",
    ]
    assert names(viewer_client.get("/api/applications/?status=retired&status=unsanctioned")) == [
        "Google Drive personal",
        "Trello",
    ]


def test_filter_by_vendor(viewer_client, applications):
    google = applications["google"]
    assert names(viewer_client.get(f"/api/applications/?vendor={google.pk}")) == [
        "Google Drive personal",
        "Google Workspace",
    ]


def test_search_matches_name_and_vendor(viewer_client, applications):
    assert names(viewer_client.get("/api/applications/?q=google")) == ["Google Drive personal", "Google Workspace"]
    assert names(viewer_client.get("/api/applications/?q=atlas")) == ["Bitbucket", "Confluence", "Jira", "Trello"]
    assert names(viewer_client.get("/api/applications/?q=drive&status=sanctioned")) == []


def test_vendor_search_matches_aliases_once(viewer_client, applications):
    VendorAliasFactory(vendor=applications["atlassian"], alias="Atlassian Inc")
    response = viewer_client.get("/api/vendors/?q=atlassian")
    assert response.json()["count"] == 1
    assert response.json()["results"][0]["aliases"] == ["Atlassian Inc", "Atlassian Pty Ltd"]


def test_an_unknown_filter_value_is_a_400_naming_the_filter(viewer_client, applications):
    response = viewer_client.get("/api/applications/?status=bogus")
    assert response.status_code == 400
    assert list(response.json()) == ["status"]


def test_pagination(viewer_client, applications):
    first = viewer_client.get("/api/applications/?page_size=4").json()
    second = viewer_client.get("/api/applications/?page_size=4&page=2").json()

    assert first["count"] == 6
    assert len(first["results"]) == 4
    assert first["next"].endswith("/api/applications/?page=2&page_size=4")
    assert first["previous"] is None
    assert [row["name"] for row in second["results"]] == ["Jira", "Trello"]
    assert second["next"] is None


def test_ordering(viewer_client, applications):
    response = viewer_client.get("/api/applications/?ordering=-name&page_size=2")
    assert names(response) == ["Trello", "Jira"]


# Validation: a 400 names the field and the reason.


def test_create_application_with_a_duplicate_name(it_client):
    ApplicationFactory(name="Slack")
    response = it_client.post("/api/applications/", {"name": "Slack"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"name": ["application with this name already exists."]}


def test_create_application_with_an_unknown_status_and_vendor(it_client):
    response = it_client.post(
        "/api/applications/", {"name": "X", "status": "maybe", "vendor": 999999}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "status": ['"maybe" is not a valid choice.'],
        "vendor": ['Invalid pk "999999" - object does not exist.'],
    }
    assert Application.objects.count() == 0


def test_person_email_clash_is_case_insensitive(it_client):
    PersonFactory(email="ada@example.com")
    response = it_client.post(
        "/api/people/", {"name": "Ada L.", "email": "ADA@example.com"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"email": ["Another person already has this email."]}


def test_person_termination_before_start_is_refused(it_client):
    person = PersonFactory(start_date="2024-03-01")
    response = it_client.patch(
        f"/api/people/{person.pk}/", {"termination_date": "2024-02-01"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"termination_date": ["The termination date is before the start date."]}
    person.refresh_from_db()
    assert person.termination_date is None


def test_department_cycle_is_refused(it_client):
    root = DepartmentFactory(name="Engineering")
    child = DepartmentFactory(name="Platform", parent=root)
    response = it_client.patch(f"/api/departments/{root.pk}/", {"parent": child.pk}, content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()) == ["parent"]
    assert Department.objects.get(pk=root.pk).parent is None


def test_update_application(it_client):
    app = ApplicationFactory(name="Slack", status=ApplicationStatus.UNDER_REVIEW)
    response = it_client.patch(
        f"/api/applications/{app.pk}/", {"status": "sanctioned"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "sanctioned"
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SANCTIONED


def test_delete_person(it_client):
    person = PersonFactory()
    assert it_client.delete(f"/api/people/{person.pk}/").status_code == 204
    assert not Person.objects.exists()


# Schema and docs


def test_schema_is_a_valid_openapi_3_document_with_every_resource(viewer_client):
    response = viewer_client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()

    validate(schema)  # raises on an invalid document

    assert schema["openapi"].startswith("3.")
    for resource in ("vendors", "applications", "categories", "departments", "people"):
        assert f"/api/{resource}/" in schema["paths"]
        assert f"/api/{resource}/{{id}}/" in schema["paths"]
        assert set(schema["paths"][f"/api/{resource}/"]) == {"get", "post"}
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def test_schema_generation_has_no_warnings(tmp_path):
    """drf-spectacular warns when it has to guess a type; every guess is a hole in the API docs."""
    schema_file = tmp_path / "schema.yaml"
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", str(schema_file)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert schema_file.read_text().startswith("openapi: 3.")


def test_schema_also_answers_to_the_accept_header(viewer_client):
    response = viewer_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "saasmgr API"


def test_schema_needs_a_login():
    assert Client().get("/api/schema/").status_code == 401


def test_swagger_ui_is_served_without_any_cdn(viewer_client):
    response = viewer_client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert all(a.startswith("/static/") for a in assets), assets
    assert "://" not in html
