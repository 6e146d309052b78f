"""Savings listens to licenses and renewals: a finished run queues the opportunities refresh; a closed renewal
writes its outcome into the ledger and then refreshes, closing the right-size and renegotiate opportunities
the closed renewal no longer evidences (unless the outcome marked them done). And the refresh runs daily."""

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from licenses.models import LicensePool
from licenses.runs import reconciliation_run_inline, reconciliation_run_start
from renewals.choices import RenewalDecision, RenewalStage
from renewals.services import renewal_close, renewal_update
from saasmgr.celery import app as celery_app
from savings import actions
from savings.choices import LedgerKind, OpportunityKind, OpportunityStatus
from savings.models import LedgerEntry, Opportunity
from savings.opportunities import opportunities_refresh
from savings.tasks import opportunities_refresh_task, opportunities_reprioritise_task
from tests.factories import ApplicationFactory, UserFactory
from tests.licenses.factories import ActivityFactory, AssignmentFactory, LicensePoolFactory, UsageSourceFactory
from tests.renewals.factories import ContractFactory, seat_line

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date(2025, 6, 1)


@pytest.fixture(autouse=True)
def savings_settings(settings):
    settings.REPORTING_CURRENCY = "USD"
    settings.LICENSE_INACTIVITY_DAYS = 30
    settings.SAVINGS_RIGHT_SIZE_HORIZON_DAYS = 120
    settings.SAVINGS_RIGHT_SIZE_BUFFER = D("0.10")
    settings.SAVINGS_LOW_UTILISATION = D("0.30")
    settings.SAVINGS_PRICE_CAP_PCT = D("5")


@pytest.fixture
def queued(monkeypatch):
    """Refreshes sent to the workers (nothing leaves the process)."""
    sent = []
    monkeypatch.setattr(opportunities_refresh_task, "delay", lambda: sent.append("refresh"))
    return sent


@pytest.fixture
def refreshed_inline(monkeypatch):
    """A queued refresh runs here and now, as the worker would, for today = TODAY."""
    counts = []
    monkeypatch.setattr(opportunities_refresh_task, "delay", lambda: counts.append(opportunities_refresh(today=TODAY)))
    return counts


def test_a_finished_run_queues_one_refresh_once_committed(queued, django_capture_on_commit_callbacks):
    pool = LicensePoolFactory(purchased_quantity=1)
    AssignmentFactory(pool=pool)

    with django_capture_on_commit_callbacks(execute=True):
        run = reconciliation_run_inline(run=reconciliation_run_start(as_of=TODAY, queue=False))
        assert queued == []  # nothing before the commit

    assert run.status == "done"
    assert queued == ["refresh"]


def figma_renewal(*, quote="2200.00"):
    """Figma: 20 seats at 100.00 (2,000.00 a year) until 2025-08-31, inside the right-size window; 10 people
    active; a quote of ``quote`` (10% up). Refreshed: a right-size (9 seats, 900.00) and a renegotiate
    (2,200 − 2,100 = 100.00)."""
    app = ApplicationFactory(name="Figma")
    UsageSourceFactory(application=app)
    contract = ContractFactory(
        applications=[app],
        line_items=[seat_line("Professional", quantity="20", unit_price="100.00")],
        start_date=date(2024, 9, 1),
        end_date=date(2025, 8, 31),
    )
    pool = LicensePool.objects.get(line_item__contract=contract)
    for _ in range(10):
        seat = AssignmentFactory(pool=pool)
        ActivityFactory(person=seat.person, application=app, day=TODAY - timedelta(days=5))
    renewal = contract.renewals.get()
    renewal = renewal_update(
        renewal=renewal,
        user=contract.owner,
        stage=RenewalStage.DECIDED,
        decision=RenewalDecision.RENEGOTIATE,
        quote_annual=D(quote),
    )
    opportunities_refresh(today=TODAY)
    right_size = Opportunity.objects.get(kind=OpportunityKind.RIGHT_SIZE)
    renegotiate = Opportunity.objects.get(kind=OpportunityKind.RENEGOTIATE)
    assert (right_size.estimated_annual_savings, renegotiate.estimated_annual_savings) == (D("900.00"), D("100.00"))
    return SimpleNamespace(contract=contract, renewal=renewal, right_size=right_size, renegotiate=renegotiate)


def test_closing_a_renewal_records_its_outcome_then_refreshes(refreshed_inline, django_capture_on_commit_callbacks):
    case = figma_renewal()
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        # Signed at 2,040.00 a year: saves nothing against 2,000.00, avoids 2,200 − 2,040 = 160.00.
        outcome = renewal_close(renewal=case.renewal, user=user, new_unit_prices=_unit_prices(case, "102.00"))

    assert outcome.final_annual == D("2040.00")
    entries = LedgerEntry.objects.filter(action__renewal=case.renewal)
    assert list(entries.values_list("kind", "amount")) == [(LedgerKind.COST_AVOIDANCE, D("160.00"))]
    # The outcome marked the renewal's opportunities done; the refresh that followed left them so.
    assert len(refreshed_inline) == 1
    for found in (case.right_size, case.renegotiate):
        found.refresh_from_db()
        assert found.status == OpportunityStatus.DONE
    assert not Opportunity.objects.filter(status=OpportunityStatus.OPEN, renewal=case.renewal).exists()


def test_what_the_outcome_leaves_open_is_closed_by_the_refresh(
    refreshed_inline, django_capture_on_commit_callbacks, monkeypatch
):
    case = figma_renewal()
    recorded = []
    monkeypatch.setattr(actions, "renewal_outcome_record", lambda *, outcome, user: recorded.append(outcome))

    with django_capture_on_commit_callbacks(execute=True):
        outcome = renewal_close(renewal=case.renewal, user=UserFactory())

    assert recorded == [outcome]
    assert refreshed_inline == [{"opened": 0, "refreshed": 0, "closed": 2, "reopened": 0}]
    for found in (case.right_size, case.renegotiate):
        found.refresh_from_db()
        assert found.status == OpportunityStatus.CLOSED


def test_a_close_whose_outcome_cannot_be_written_still_closes_and_says_why(
    refreshed_inline, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    case = figma_renewal()

    def no_rate(*, outcome, user):
        raise actions.SavingsError("No GBP→USD exchange rate on or before 2025-09-01.")

    monkeypatch.setattr(actions, "renewal_outcome_record", no_rate)
    with django_capture_on_commit_callbacks(execute=True):
        renewal_close(renewal=case.renewal, user=UserFactory())

    case.renewal.refresh_from_db()
    assert case.renewal.stage == RenewalStage.CLOSED
    assert "its savings could not be written to the ledger: No GBP→USD exchange rate" in caplog.text
    assert LedgerEntry.objects.count() == 0 and len(refreshed_inline) == 1


def _unit_prices(case, price: str) -> dict:
    return {item.pk: D(price) for item in case.contract.line_items.all()}


def test_the_refresh_runs_daily_by_beat_and_the_tasks_call_their_services(monkeypatch):
    entry = celery_app.conf.beat_schedule["opportunities-refresh-daily"]
    assert entry["task"] == "savings.tasks.opportunities_refresh_task"
    assert entry["schedule"].hour == {5}

    assert opportunities_refresh_task() == {"opened": 0, "refreshed": 0, "closed": 0, "reopened": 0}
    assert opportunities_reprioritise_task() == 0
