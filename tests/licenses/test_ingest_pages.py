"""Usage and assignment files through the import pages: upload, preview, run, result."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from licenses.models import Activity, Assignment
from saasmgr.core.choices import ImportJobStatus, ImportMode
from saasmgr.core.models import ImportJob
from tests.licenses.ingest_world import FIXTURES, world

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def upload(client, fixture: str, importer: str) -> ImportJob:
    content = (FIXTURES / fixture).read_bytes()
    response = client.post(
        reverse("core:import_new"), {"importer": importer, "file": SimpleUploadedFile(fixture, content)}
    )
    assert response.status_code == 302, text(response)
    return ImportJob.objects.latest("pk")


def test_the_new_import_page_offers_every_usage_and_assignment_format(it_client):
    page = text(it_client.get(reverse("core:import_new")))

    for label in (
        "Usage: Okta System Log (CSV)",
        "Usage: Microsoft Entra ID sign-in log (CSV)",
        "Usage: GitHub Copilot seat activity (CSV)",
        "License assignments: Okta Current Assignments report",
        "License assignments: Slack member analytics (CSV)",
    ):
        assert label in page, label


def test_an_okta_log_is_previewed_with_parsed_days_then_imported(it_client):
    world()
    job = upload(it_client, "okta_syslog.csv", "usage:okta-syslog")

    preview = text(it_client.get(reverse("core:import_detail", args=[job.pk])))
    assert job.total_rows == 8
    assert "2024-12-30" in preview  # the published timestamp as the day it counts on

    response = it_client.post(
        reverse("core:import_detail", args=[job.pk]), {"mode": ImportMode.ALL_OR_NOTHING}, follow=True
    )

    job.refresh_from_db()
    assert response.status_code == 200
    assert job.status == ImportJobStatus.DONE
    assert (job.result["created"], job.result["skipped"], job.result["errors"]) == (3, 3, [])
    assert Activity.objects.count() == 3


def test_an_assignment_file_with_an_unknown_application_shows_the_row_error(it_client):
    world()
    job = upload(it_client, "okta_assignments_unknown_app.csv", "assignments:okta-assignments")

    response = it_client.post(
        reverse("core:import_detail", args=[job.pk]), {"mode": ImportMode.ALL_OR_NOTHING}, follow=True
    )

    page = text(response)
    assert "Lucidchart Enterprise Suite" in page
    assert "is not known" in page
    assert not Assignment.objects.exists()


def test_the_template_of_a_format_has_its_export_headers(it_client):
    response = it_client.get(reverse("core:import_template_csv", args=["usage"]) + "?format=github-copilot")

    assert response.status_code == 200
    assert response.content.decode().splitlines()[0] == (
        "Report Time,Login,Last Authenticated At,Last Activity At,Last Surface Used"
    )
