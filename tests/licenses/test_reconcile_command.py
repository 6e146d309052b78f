"""python manage.py reconcile: JSON and text output, argument errors, queueing, waiting, resuming."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from licenses.choices import RunStatus
from licenses.management.commands import reconcile as command
from licenses.models import ReconciliationRun
from licenses.runs import reconciliation_part_run, reconciliation_run_start
from tests.factories import ApplicationFactory
from tests.licenses.test_reconcile import AS_OF, EXPECTED_COUNTS, EXPECTED_IMPACTS, build_scenario

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario(settings):
    settings.LICENSE_INACTIVITY_DAYS = 30
    return build_scenario()


@pytest.fixture
def queued(monkeypatch):
    from licenses.tasks import reconciliation_part_run_task

    sent: list[int] = []
    monkeypatch.setattr(reconciliation_part_run_task, "delay", sent.append)
    return sent


def reconcile(*args) -> str:
    out = StringIO()
    call_command("reconcile", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_inline_json_prints_the_runs_counts_impacts_and_totals(scenario):
    output = reconcile("--as-of", "2024-06-30", "--inline", "--json", "--parts", "2")

    result = json.loads(output)
    run = ReconciliationRun.objects.get()
    assert list(result)[:4] == ["run", "findings", "annual_cost_impact", "total_annual_cost_impact"]
    assert result == {
        "run": run.pk,
        "findings": EXPECTED_COUNTS,
        "annual_cost_impact": EXPECTED_IMPACTS,
        "total_annual_cost_impact": "735.50",
        "total_annual_risk": "228.50",
        "unpriced_findings": 2,
        "apps_without_usage": [{"id": scenario.beta.pk, "name": "Beta"}],
        "status": "done",
        "as_of": "2024-06-30",
        "currency": "USD",
        "parts_total": 2,
        "parts_done": 2,
    }
    assert output.count("\n") <= 1  # one JSON document, nothing else on stdout


def test_inline_text_summary(scenario):
    output = reconcile("--as-of", "2024-06-30", "--inline")
    run = ReconciliationRun.objects.get()
    assert output.splitlines()[0].startswith(f"Reconciliation run #{run.pk} as of 2024-06-30")
    assert "Departed holder            2                    170.00" in output
    assert "Savings: 735.50 USD a year." in output
    assert "True-up risk (over-assigned, unlicensed): 228.50 USD a year." in output
    assert "2 finding(s) have no price" in output
    assert "No usage data, so no inactive or never-used findings: Beta." in output


@pytest.mark.parametrize("value", ["2024-13-01", "30/06/2024", "yesterday", "2024-6-30", "20240630"])
def test_a_bad_as_of_date_is_a_clear_error_and_starts_nothing(scenario, value):
    with pytest.raises(CommandError) as error:
        reconcile("--as-of", value, "--inline")
    assert str(error.value).startswith(f"--as-of {value!r} is not a date. Give it as YYYY-MM-DD, e.g. ")
    assert error.value.returncode == 2
    assert not ReconciliationRun.objects.exists()


def test_an_unknown_app_lists_close_matches(scenario):
    ApplicationFactory(name="Alphabet Soup")
    with pytest.raises(CommandError) as error:
        reconcile("--app", "alpah", "--inline")
    message = str(error.value)
    assert message.startswith("No application is called 'alpah'. Close matches: Alpha")
    assert "--app takes an application's name (any case) or its slug" in message
    assert error.value.returncode == 2
    assert not ReconciliationRun.objects.exists()


def test_an_app_nothing_like_any_name_says_so(scenario):
    with pytest.raises(CommandError, match="No application is called 'zzzz'. No application has a similar name."):
        reconcile("--app", "zzzz")


def test_app_by_name_in_any_case_or_by_slug(scenario):
    suite = ApplicationFactory(name="Google Workspace")
    result = json.loads(reconcile("--app", "ALPHA", "--as-of", "2024-06-30", "--inline", "--json"))
    assert ReconciliationRun.objects.get(pk=result["run"]).application == scenario.alpha
    assert result["findings"]["departed_holder"] == 1  # Dan; Tom is in Beta

    result = json.loads(reconcile("--app", "google-workspace", "--inline", "--json"))
    run = ReconciliationRun.objects.get(pk=result["run"])
    assert (run.application, run.as_of, run.status) == (suite, timezone.localdate(), RunStatus.DONE)


def test_two_apps_with_the_same_slug_need_the_full_name(db):
    ApplicationFactory(name="Acme CRM")
    ApplicationFactory(name="ACME: CRM")
    with pytest.raises(CommandError, match="matches several applications: ACME: CRM, Acme CRM. Give the full name."):
        reconcile("--app", "acme-crm")


def test_without_wait_it_queues_the_parts_and_prints_the_run(scenario, queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        output = reconcile("--as-of", "2024-06-30", "--parts", "3")
    run = ReconciliationRun.objects.get()
    assert sorted(queued) == sorted(run.parts.values_list("pk", flat=True)) and len(queued) == 3
    assert output.strip() == (
        f"Reconciliation run #{run.pk} as of 2024-06-30 is queued (0 of 3 parts done). "
        f"Follow it with: manage.py reconcile --resume {run.pk} --wait"
    )


def test_without_wait_json_has_the_same_keys_and_no_numbers_yet(scenario, queued):
    result = json.loads(reconcile("--as-of", "2024-06-30", "--json"))
    assert list(result)[:4] == ["run", "findings", "annual_cost_impact", "total_annual_cost_impact"]
    assert (result["findings"], result["total_annual_cost_impact"], result["status"]) == ({}, None, "queued")


@pytest.mark.django_db(transaction=True)
def test_wait_polls_until_the_workers_have_finished(settings, monkeypatch):
    """The "worker" here runs each part as soon as it is queued, after the commit."""
    from licenses.tasks import reconciliation_part_run_task

    settings.LICENSE_INACTIVITY_DAYS = 30
    build_scenario()
    monkeypatch.setattr(reconciliation_part_run_task, "delay", lambda part_id: reconciliation_part_run(part_id=part_id))
    result = json.loads(reconcile("--as-of", "2024-06-30", "--wait", "--json"))
    assert (result["status"], result["findings"], result["total_annual_cost_impact"]) == (
        "done",
        EXPECTED_COUNTS,
        "735.50",
    )


def test_wait_gives_up_after_the_timeout_with_what_to_do(scenario, queued, monkeypatch):
    monkeypatch.setattr(command, "POLL_SECONDS", 0)
    with pytest.raises(CommandError) as error:
        reconcile("--as-of", "2024-06-30", "--wait", "--timeout", "0")
    run = ReconciliationRun.objects.get()
    assert str(error.value) == (
        f"Run #{run.pk} is still queued after 0 s (0 of {run.parts_total} parts done). Is a Celery worker "
        f"running? It goes on in the background; follow it with --resume {run.pk} --wait, or run it here with "
        f"--resume {run.pk} --inline."
    )
    assert error.value.returncode == 1


def test_resume_inline_finishes_a_stopped_run(scenario, queued):
    run = reconciliation_run_start(as_of=AS_OF, parts=2)
    reconciliation_part_run(part_id=run.parts.get(number=0).pk)
    ReconciliationRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, error_message="stopped")

    result = json.loads(reconcile("--resume", str(run.pk), "--inline", "--json"))

    assert (result["run"], result["status"], result["findings"]) == (run.pk, "done", EXPECTED_COUNTS)
    assert ReconciliationRun.objects.count() == 1


def test_starting_the_same_date_again_resumes_a_stale_run(scenario, queued):
    run = reconciliation_run_start(as_of=AS_OF, parts=2)
    ReconciliationRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    result = json.loads(reconcile("--as-of", "2024-06-30", "--inline", "--json"))
    assert (result["run"], result["status"]) == (run.pk, "done")


def test_resume_errors(scenario, queued):
    done = json.loads(reconcile("--as-of", "2024-06-30", "--inline", "--json"))["run"]
    with pytest.raises(CommandError, match=f"Run #{done} is done; start a new run instead."):
        reconcile("--resume", str(done))
    with pytest.raises(CommandError, match="There is no reconciliation run #999999."):
        reconcile("--resume", "999999")
    with pytest.raises(CommandError, match="--resume takes the run's own as-of date and application"):
        reconcile("--resume", str(done), "--as-of", "2024-06-30")


def test_a_failed_run_exits_non_zero_with_its_message(scenario, monkeypatch):
    from licenses import runs

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(runs, "reconcile_part", broken)
    with pytest.raises(CommandError, match=r"failed: Part 1 stopped on an unexpected error") as error:
        reconcile("--as-of", "2024-06-30", "--inline")
    assert error.value.returncode == 1


def test_parts_must_be_positive(scenario):
    with pytest.raises(CommandError, match="--parts must be 1 or more."):
        reconcile("--parts", "0")
