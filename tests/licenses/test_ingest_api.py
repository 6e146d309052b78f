"""POST /api/activity/: usage as a JSON array or an uploaded export, all or nothing."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from licenses.models import Activity, PendingActivity
from tests.licenses.ingest_world import FIXTURES, activity_rows, pending_rows, world

pytestmark = pytest.mark.django_db

URL = "/api/activity/"


def post_json(client, body):
    return client.post(URL, body, content_type="application/json")


def test_json_events_are_ingested(it_client):
    world()

    response = post_json(
        it_client,
        [
            {"email": "ann@example.com", "app": "Salesforce", "timestamp": "2024-06-03T09:30:00Z", "events": 4},
            {"email": "Ann@Example.com", "app": "Salesforce", "timestamp": "2024-06-03"},
            {"email": "dave@example.com", "app": "Figma", "timestamp": "2024-06-04", "extra": "ignored"},
        ],
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["rows"], body["created"], body["updated"], body["unchanged"], body["errors"]) == (3, 1, 0, 0, [])
    assert (body["written"], body["skipped"], body["also_created"]["unmatched usage day"]) == (True, 0, 1)
    assert activity_rows() == {("ann@example.com", "Salesforce", date(2024, 6, 3), 5)}
    assert pending_rows() == {("dave@example.com", "figma", date(2024, 6, 4), 1)}


def test_json_with_a_bad_event_is_refused_with_its_errors_and_nothing_is_written(it_client):
    world()

    response = post_json(
        it_client,
        [
            {"email": "ann@example.com", "app": "Salesforce", "timestamp": "2024-06-03"},
            {"email": "bob@example.com", "app": "Figma", "timestamp": "yesterday"},
            {"email": "", "app": "Figma", "timestamp": "2024-06-03", "events": 0},
        ],
    )

    assert response.status_code == 400
    body = response.json()
    assert [(e["row"], e["column"], e["value"]) for e in body["errors"]] == [
        (2, "timestamp", "yesterday"),  # the row is the event's position in the array
        (3, "email", ""),
        (3, "events", "0"),
    ]
    assert body["errors"][0]["message"].startswith("Not a date. Expected a date or date and time such as 2024-04-17")
    assert (body["written"], body["created"]) == (False, 0)
    assert not Activity.objects.exists() and not PendingActivity.objects.exists()


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ([], "The array is empty: send at least one event."),
        (["ann@example.com"], "Event 1 is not an object with “email”, “app” and “timestamp”."),
        ({"email": "ann@example.com"}, "Send a JSON array of events"),
    ],
)
def test_a_body_that_is_not_an_array_of_events_is_refused(it_client, body, detail):
    response = post_json(it_client, body)

    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail)


def test_an_uploaded_export_is_ingested_in_its_format(it_client):
    world()
    upload = SimpleUploadedFile("okta.csv", (FIXTURES / "okta_syslog.csv").read_bytes(), content_type="text/csv")

    response = it_client.post(URL, {"file": upload, "format": "okta-syslog"})

    assert response.status_code == 200, response.json()
    assert (response.json()["created"], response.json()["skipped"]) == (3, 3)
    assert Activity.objects.count() == 3


def test_an_uploaded_file_with_a_bad_date_is_refused_and_nothing_is_written(it_client):
    world()
    upload = SimpleUploadedFile("bad.csv", (FIXTURES / "generic_bad_date.csv").read_bytes(), content_type="text/csv")

    response = it_client.post(URL, {"file": upload})

    assert response.status_code == 400
    assert [(e["row"], e["column"], e["value"]) for e in response.json()["errors"]] == [
        (3, "timestamp", "06/31/2024"),
        (4, "events", "zero"),
    ]
    assert not Activity.objects.exists()


def test_an_uploaded_file_missing_a_column_or_in_an_unknown_format_is_refused(it_client):
    missing = SimpleUploadedFile("m.csv", (FIXTURES / "generic_missing_column.csv").read_bytes())
    response = it_client.post(URL, {"file": missing})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("The file is missing 1 required column: timestamp")

    unknown = SimpleUploadedFile("u.csv", b"email,app,timestamp\n")
    response = it_client.post(URL, {"file": unknown, "format": "okta"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Unknown usage format “okta”. Known formats: atlassian-users,")


def test_a_viewer_may_not_send_usage(viewer_client):
    world()

    response = post_json(viewer_client, [{"email": "ann@example.com", "app": "Salesforce", "timestamp": "2024-06-03"}])

    assert response.status_code == 403
    assert not Activity.objects.exists()


def test_an_anonymous_call_is_refused():
    response = Client().post(URL, [], content_type="application/json")

    assert response.status_code == 401
