"""Opportunities from the evidence: each kind with a worked value, the rule that counts money once, the
refresh (idempotent, closes what lost its evidence, reopens a dismissed one on a material change), dates and
priority, the status moves and the query count.

Today is 2025-06-01 throughout; the inactivity threshold is 30 days. Unless said otherwise a pool is entered
by hand (no contract, so no deadline) with 120.00 USD a seat a year.
"""

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from licenses.choices import FindingKind
from licenses.models import LicensePool, UsageSource
from licenses.runs import reconciliation_run_inline, reconciliation_run_start
from renewals.models import Renewal
from savings.actions import seats_reclaim
from savings.choices import OpportunityKind, OpportunityStatus, ReduceWhen
from savings.models import Opportunity
from savings.opportunities import (
    opportunities_refresh,
    opportunities_reprioritise,
    opportunity_assign,
    opportunity_status_change,
)
from savings.services import SavingsError
from tests.factories import ApplicationFactory, CategoryFactory, PersonFactory, UserFactory
from tests.licenses.factories import (
    ActivityFactory,
    AssignmentFactory,
    FindingFactory,
    LicensePoolFactory,
    ReconciliationRunFactory,
    UsageSourceFactory,
)
from tests.renewals.factories import ContractFactory, RenewalFactory, seat_line

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date(2025, 6, 1)
K = OpportunityKind
S = OpportunityStatus


@pytest.fixture(autouse=True)
def savings_settings(settings):
    settings.REPORTING_CURRENCY = "USD"
    settings.LICENSE_INACTIVITY_DAYS = 30
    settings.SAVINGS_RIGHT_SIZE_HORIZON_DAYS = 120
    settings.SAVINGS_RIGHT_SIZE_BUFFER = D("0.10")
    settings.SAVINGS_LOW_UTILISATION = D("0.30")
    settings.SAVINGS_PRICE_CAP_PCT = D("5")
    settings.SAVINGS_PRIORITY_HORIZON_DAYS = 90
    settings.SAVINGS_DUE_LEAD_DAYS = 14
    settings.SAVINGS_DUE_DAYS = 30
    settings.SAVINGS_REOPEN_CHANGE = D("0.25")
    settings.SAVINGS_CONSOLIDATE_MIN_OVERLAP = 5
    return settings


def refresh(today=TODAY) -> dict:
    return opportunities_refresh(today=today)


def opportunity(kind: str) -> Opportunity:
    return Opportunity.objects.get(kind=kind, status__in=[S.OPEN, S.IN_PROGRESS, S.DISMISSED])


def kinds() -> list[str]:
    return sorted(Opportunity.objects.filter(status__in=[S.OPEN, S.IN_PROGRESS]).values_list("kind", flat=True))


def figma_pool(application=None, **kwargs) -> LicensePool:
    application = application or ApplicationFactory(name="Figma")
    return LicensePoolFactory(application=application, name="Professional", purchased_quantity=20, **kwargs)


def findings(run, pool, kind, count, *, local="120.00", reporting="same", quantity=1, **extra) -> list:
    local = None if local is None else D(local)
    return FindingFactory.create_batch(
        count,
        run=run,
        pool=pool,
        kind=kind,
        quantity=quantity,
        currency=pool.currency,
        annual_cost_impact_local=local,
        annual_cost_impact=local if reporting == "same" else reporting,
        **extra,
    )


def new_run():
    return ReconciliationRunFactory(as_of=TODAY)


def contract_pool(app, *, sku="Professional", quantity="20", unit_price="100.00", **contract):
    """A contract of ``app`` with one per-seat line item, and the pool it makes."""
    item = seat_line(sku, quantity=quantity, unit_price=unit_price, **contract.pop("line", {}))
    made = ContractFactory(applications=[app], line_items=[item], **contract)
    return made, LicensePool.objects.get(line_item__contract=made)


# reclaim


def test_reclaim_adds_up_a_pools_idle_seat_findings_and_links_them():
    owner = PersonFactory(email="ada@example.com")
    user = UserFactory(username="ada", email="Ada@Example.com")
    pool = figma_pool(application=ApplicationFactory(name="Figma", it_owner=owner))
    run = new_run()
    linked = [
        *findings(run, pool, FindingKind.INACTIVE, 2),
        *findings(run, pool, FindingKind.NEVER_USED, 1),
        *findings(run, pool, FindingKind.DEPARTED_HOLDER, 1),
        *findings(run, pool, FindingKind.DUPLICATE_ACCOUNT, 1),
    ]

    assert refresh() == {"opened": 1, "refreshed": 0, "closed": 0, "reopened": 0}

    found = opportunity(K.RECLAIM)
    assert found.title == "Reclaim 5 idle Figma Professional seats"
    assert (found.quantity, found.currency) == (5, "USD")
    assert (found.estimated_annual_savings_local, found.estimated_annual_savings) == (D("600.00"), D("600.00"))
    assert (found.pool, found.run, found.application) == (pool, run, pool.application)
    assert sorted(found.findings.values_list("pk", flat=True)) == sorted(f.pk for f in linked)
    assert found.evidence["kinds"] == {"departed_holder": 1, "never_used": 1, "inactive": 2, "duplicate_account": 1}
    assert found.evidence["links"][0] == {
        "label": "Findings",
        "url": f"/licenses/findings/?run={run.pk}&pool={pool.pk}"
        "&kind=departed_holder&kind=never_used&kind=inactive&kind=duplicate_account",
    }
    # The IT owner's user account (matched by email) owns it; no contract, so no deadline.
    assert found.owner == user
    assert found.deadline is None
    assert found.due_date == found.first_seen_at.date() + timedelta(days=30)
    assert found.priority == D("600.00")


def test_other_finding_kinds_are_not_reclaimed_seats():
    pool = figma_pool()
    run = new_run()
    findings(run, pool, FindingKind.INACTIVE, 1)
    findings(run, pool, FindingKind.UNLICENSED_USER, 3)

    refresh()

    assert kinds() == [K.RECLAIM]
    assert opportunity(K.RECLAIM).quantity == 1


def test_with_no_fx_rate_the_reporting_value_is_empty_it_ranks_last_and_says_why():
    pool = figma_pool(currency="EUR", annual_unit_cost=D("100.0000"), annual_unit_cost_reporting=None)
    findings(new_run(), pool, FindingKind.INACTIVE, 2, local="100.00", reporting=None)

    refresh()

    found = opportunity(K.RECLAIM)
    assert (found.currency, found.estimated_annual_savings_local, found.estimated_annual_savings) == (
        "EUR",
        D("200.00"),
        None,
    )
    assert found.priority == D("0.00")
    assert "No EUR→USD exchange rate is known" in found.evidence["notes"][0]


def test_a_seat_whose_assignment_ended_after_the_run_is_no_longer_counted():
    pool = figma_pool()
    run = new_run()
    ended, kept = AssignmentFactory(pool=pool), AssignmentFactory(pool=pool)
    findings(run, pool, FindingKind.INACTIVE, 1, assignment=ended, person=ended.person)
    findings(run, pool, FindingKind.INACTIVE, 1, assignment=kept, person=kept.person)
    ended.unassigned_on = TODAY
    ended.save()

    refresh()

    found = opportunity(K.RECLAIM)
    assert (found.quantity, found.estimated_annual_savings) == (1, D("120.00"))
    assert list(found.findings.values_list("assignment", flat=True)) == [kept.pk]


# reduce_at_renewal and true_up_risk


def test_reduce_at_renewal_prices_unassigned_seats_and_is_due_before_the_cancel_by_date():
    contract, pool = contract_pool(ApplicationFactory(name="Figma"))
    findings(new_run(), pool, FindingKind.UNASSIGNED_SEAT, 1, quantity=4, local="400.00")

    refresh()

    found = opportunity(K.REDUCE_AT_RENEWAL)
    assert found.title == "Buy 4 fewer Figma Professional seats at renewal"
    assert (found.quantity, found.estimated_annual_savings_local, found.estimated_annual_savings) == (
        4,
        D("400.00"),
        D("400.00"),
    )
    assert (found.contract, found.renewal) == (contract, Renewal.objects.get(contract=contract))
    # cancel-by = 2025-12-31 − 30 days; due 14 days before it; 183 days away is beyond the 90-day horizon.
    assert (found.deadline, found.due_date, found.priority) == (date(2025, 12, 1), date(2025, 11, 17), D("400.00"))
    # No IT owner: the contract's owner.
    assert found.owner == contract.owner


def test_over_assigned_seats_are_a_true_up_risk_not_a_saving():
    pool = figma_pool()
    findings(new_run(), pool, FindingKind.OVER_ASSIGNED, 1, quantity=2, local="240.00")

    refresh()

    found = opportunity(K.TRUE_UP_RISK)
    assert found.is_risk
    assert found.title == "True-up risk: 2 seats of Figma Professional over the 20 bought"
    assert (found.quantity, found.estimated_annual_savings) == (2, D("240.00"))
    assert "a risk, not a saving" in found.evidence["summary"]


# cancel_app


def miro_case(*, active_holders: int = 2):
    """Miro: usage data, one pool of 10 seats all held, ``active_holders`` of them used it yesterday;
    a run found the 8 others inactive."""
    app = ApplicationFactory(name="Miro")
    UsageSourceFactory(application=app)
    pool = LicensePoolFactory(application=app, name="Team", purchased_quantity=10)
    run = new_run()
    for number in range(10):
        seat = AssignmentFactory(pool=pool)
        if number < active_holders:
            ActivityFactory(person=seat.person, application=app, day=TODAY - timedelta(days=1))
        else:
            findings(run, pool, FindingKind.INACTIVE, 1, assignment=seat, person=seat.person)
    return SimpleNamespace(app=app, pool=pool, run=run)


def test_cancel_app_when_utilisation_is_low_and_it_covers_the_apps_seat_opportunities():
    case = miro_case(active_holders=2)

    refresh()

    # 2 active of 10 bought = 20% < 30%: cancel, worth the 10 seats; the 8 idle seats are not counted again.
    assert kinds() == [K.CANCEL_APP]
    found = opportunity(K.CANCEL_APP)
    assert found.title == "Cancel or downgrade Miro: 2 of 10 seats in use (20.0%)"
    assert (found.quantity, found.estimated_annual_savings_local, found.estimated_annual_savings) == (
        10,
        D("1200.00"),
        D("1200.00"),
    )
    assert (found.application, found.run) == (case.app, case.run)
    assert (found.evidence["active_seats"], found.evidence["purchased_seats"]) == (2, 10)


def test_utilisation_at_the_threshold_is_no_cancel():
    miro_case(active_holders=3)

    refresh()

    assert kinds() == [K.RECLAIM]
    assert opportunity(K.RECLAIM).estimated_annual_savings == D("840.00")


def test_a_dismissed_cancel_covers_nothing_so_the_reclaim_comes_back():
    miro_case(active_holders=2)
    refresh()
    opportunity_status_change(
        opportunity=opportunity(K.CANCEL_APP), status=S.DISMISSED, user=UserFactory(), reason="Design needs it"
    )

    assert refresh()["opened"] == 1

    assert kinds() == [K.RECLAIM]
    assert opportunity(K.RECLAIM).estimated_annual_savings == D("960.00")
    assert opportunity(K.CANCEL_APP).status == S.DISMISSED


def test_an_app_without_usage_data_is_not_judged_for_cancel():
    case = miro_case(active_holders=0)
    UsageSource.objects.filter(application=case.app).delete()

    refresh()

    assert kinds() == [K.RECLAIM]


# consolidate


def video_case(*, overlap: int = 6):
    """Video apps, each with its own contract: Zoom 10,000, Webex 4,000, BlueJeans 3,000 and Whereby
    (unsanctioned) 2,000 a year. ``overlap`` people used Zoom and Webex last month, 2 Zoom and BlueJeans,
    6 Zoom and Whereby."""
    video = CategoryFactory(name="Video")
    apps = SimpleNamespace()
    for name, seats in (("Zoom", "100"), ("Webex", "40"), ("BlueJeans", "30"), ("Whereby", "20")):
        app = ApplicationFactory(name=name, category=video)
        contract, pool = contract_pool(app, sku=f"{name} seat", quantity=seats)
        setattr(apps, name.lower(), SimpleNamespace(app=app, contract=contract, pool=pool))
    apps.whereby.app.status = "unsanctioned"
    apps.whereby.app.save()
    day = TODAY - timedelta(days=30)
    for other, shared in ((apps.webex, overlap), (apps.bluejeans, 2), (apps.whereby, 6)):
        for _ in range(shared):
            person = PersonFactory()
            ActivityFactory(person=person, application=apps.zoom.app, day=day)
            ActivityFactory(person=person, application=other.app, day=day)
    return apps


def test_consolidate_keeps_the_app_with_most_spend_and_counts_the_overlapping_others():
    apps = video_case(overlap=6)

    refresh()

    found = opportunity(K.CONSOLIDATE)
    assert found.title == "Consolidate Webex into Zoom (Video)"
    assert (found.application, found.currency) == (apps.zoom.app, "USD")
    assert (found.estimated_annual_savings_local, found.estimated_annual_savings) == (D("4000.00"), D("4000.00"))
    assert found.evidence["overlap"] == 6
    assert found.evidence["kept"]["name"] == "Zoom"
    assert [(r["name"], r["overlap"], r["annual_cost"]) for r in found.evidence["retired"]] == [("Webex", 6, "4000.00")]
    assert (found.contract, found.deadline) == (apps.webex.contract, date(2025, 12, 1))


def test_consolidate_leaves_out_what_a_reclaim_of_a_retired_app_already_counts():
    apps = video_case(overlap=6)
    findings(new_run(), apps.webex.pool, FindingKind.INACTIVE, 5, local="100.00")

    refresh()

    assert opportunity(K.RECLAIM).estimated_annual_savings == D("500.00")
    # 4,000 of Webex in all: 500 reclaimable seats + 3,500 more by consolidating.
    assert opportunity(K.CONSOLIDATE).estimated_annual_savings == D("3500.00")


def test_fewer_shared_users_than_the_minimum_is_no_consolidation():
    video_case(overlap=4)

    refresh()

    assert kinds() == []


# right_size


def figma_renewal_case(*, usage: bool = True):
    """Figma's contract ends 2025-08-31 (91 days away, inside the 120-day window): 20 seats at 100.00.
    10 holders used it 5 days ago, 1 holder last 100 days ago (outside the 90 days)."""
    app = ApplicationFactory(name="Figma")
    if usage:
        UsageSourceFactory(application=app)
    contract, pool = contract_pool(app, start_date=date(2024, 9, 1), end_date=date(2025, 8, 31))
    for days_ago in [5] * 10 + [100]:
        seat = AssignmentFactory(pool=pool)
        ActivityFactory(person=seat.person, application=app, day=TODAY - timedelta(days=days_ago))
    return SimpleNamespace(app=app, contract=contract, pool=pool, renewal=Renewal.objects.get(contract=contract))


def test_right_size_recommends_the_active_users_plus_the_buffer():
    case = figma_renewal_case()

    refresh()

    found = opportunity(K.RIGHT_SIZE)
    # 10 active in 90 days × 1.10 = 11 recommended; 20 − 11 = 9 seats × 100.00.
    assert found.title == "Right-size Figma Professional at renewal: 20 → 11 seats"
    assert (found.quantity, found.estimated_annual_savings_local, found.estimated_annual_savings) == (
        9,
        D("900.00"),
        D("900.00"),
    )
    assert (found.renewal, found.contract, found.pool) == (case.renewal, case.contract, case.pool)
    (row,) = found.evidence["pools"]
    assert (row["active_90_days"], row["recommended"], row["cut"]) == (10, 11, 9)
    # cancel-by 2025-08-01 is 61 days away: priority = 900 × (1 + 2 × 29/90) = 1,480.00.
    assert (found.deadline, found.due_date, found.priority) == (date(2025, 8, 1), date(2025, 7, 18), D("1480.00"))
    assert found.owner == case.renewal.owner


def test_right_size_replaces_reduce_at_renewal_and_leaves_out_the_seats_reclaim_counts():
    case = figma_renewal_case()
    run = new_run()
    findings(run, case.pool, FindingKind.UNASSIGNED_SEAT, 1, quantity=9, local="900.00")
    findings(run, case.pool, FindingKind.INACTIVE, 1, local="100.00")

    refresh()

    assert kinds() == [K.RECLAIM, K.RIGHT_SIZE]
    assert opportunity(K.RECLAIM).estimated_annual_savings == D("100.00")
    right_size = opportunity(K.RIGHT_SIZE)
    assert (right_size.quantity, right_size.estimated_annual_savings) == (8, D("800.00"))
    assert right_size.evidence["pools"][0]["counted_by_reclaim"] == 1
    # Together 900.00: the 9 seats above the recommendation, each counted once.


def test_without_usage_data_there_is_no_right_size():
    case = figma_renewal_case(usage=False)
    findings(new_run(), case.pool, FindingKind.UNASSIGNED_SEAT, 1, quantity=9, local="900.00")

    refresh()

    assert kinds() == [K.REDUCE_AT_RENEWAL]


def test_a_renewal_beyond_the_window_is_not_right_sized(settings):
    figma_renewal_case()
    settings.SAVINGS_RIGHT_SIZE_HORIZON_DAYS = 90

    refresh()

    assert kinds() == []


# renegotiate


def test_renegotiate_a_quote_above_the_default_cap():
    contract, _ = contract_pool(ApplicationFactory(name="Slack"), quantity="10")
    RenewalFactory(contract=contract, quote_annual=D("1120.00"))

    refresh()

    found = opportunity(K.RENEGOTIATE)
    # Baseline 1,000.00, cap 5%: 1,120.00 − 1,050.00.
    assert found.title == "Renegotiate Slack: quote up 12.0% against a 5% cap"
    assert (found.estimated_annual_savings_local, found.estimated_annual_savings) == (D("70.00"), D("70.00"))
    assert (found.deadline, found.renewal.contract) == (date(2025, 12, 1), contract)
    assert found.evidence["capped_annual"] == "1050.00"


def test_the_smallest_line_item_uplift_cap_is_the_cap():
    contract, _ = contract_pool(ApplicationFactory(name="Slack"), quantity="10", line={"uplift_cap_pct": D("3.00")})
    RenewalFactory(contract=contract, quote_annual=D("1120.00"))

    refresh()

    found = opportunity(K.RENEGOTIATE)
    assert found.title == "Renegotiate Slack: quote up 12.0% against a 3% cap"
    assert found.estimated_annual_savings == D("90.00")


def test_a_quote_within_the_cap_is_no_opportunity():
    contract, _ = contract_pool(ApplicationFactory(name="Slack"), quantity="10")
    RenewalFactory(contract=contract, quote_annual=D("1050.00"))

    refresh()

    assert kinds() == []


# Seats already reclaimed for the next term


def test_seats_reclaimed_for_the_next_term_are_not_proposed_again():
    contract, pool = contract_pool(ApplicationFactory(name="Figma"))
    seats = [AssignmentFactory(pool=pool) for _ in range(10)]
    before = new_run()
    findings(before, pool, FindingKind.INACTIVE, 1, local="100.00", assignment=seats[0], person=seats[0].person)
    findings(before, pool, FindingKind.INACTIVE, 1, local="100.00", assignment=seats[1], person=seats[1].person)
    findings(before, pool, FindingKind.UNASSIGNED_SEAT, 1, quantity=10, local="1000.00")
    refresh()
    seats_reclaim(
        opportunity=opportunity(K.RECLAIM),
        pool=pool,
        assignments=seats[:2],
        reduce_when=ReduceWhen.AT_RENEWAL,
        user=UserFactory(),
    )

    # Same run: the two reclaimed seats' findings no longer count; the run's 10 spare seats stay proposed.
    refresh()
    assert kinds() == [K.REDUCE_AT_RENEWAL]
    assert opportunity(K.REDUCE_AT_RENEWAL).estimated_annual_savings == D("1000.00")

    # A later run sees 12 spare seats, 2 of them already taken off the next term and in the ledger.
    findings(new_run(), pool, FindingKind.UNASSIGNED_SEAT, 1, quantity=12, local="1200.00")
    refresh()
    reduce = opportunity(K.REDUCE_AT_RENEWAL)
    assert (reduce.quantity, reduce.estimated_annual_savings) == (10, D("1000.00"))
    assert reduce.evidence["already_reduced_at_renewal"] == 2
    assert contract.renewals.get().pk == reduce.renewal_id


# The refresh, on real reconciliation runs


def notion_case():
    """Notion: usage data, 4 seats at 120.00, all held; 3 holders used it yesterday, 1 last 45 days ago."""
    app = ApplicationFactory(name="Notion")
    UsageSourceFactory(application=app)
    pool = LicensePoolFactory(application=app, name="Plus", purchased_quantity=4)
    seats = [AssignmentFactory(pool=pool) for _ in range(4)]
    for seat in seats[:3]:
        ActivityFactory(person=seat.person, application=app, day=TODAY - timedelta(days=1))
    ActivityFactory(person=seats[3].person, application=app, day=TODAY - timedelta(days=45))
    return SimpleNamespace(app=app, pool=pool, idle=seats[3].person)


def reconcile():
    return reconciliation_run_inline(run=reconciliation_run_start(as_of=TODAY, queue=False))


def test_reconciling_twice_leaves_the_opportunity_count_unchanged():
    notion_case()
    first = reconcile()
    assert refresh() == {"opened": 1, "refreshed": 0, "closed": 0, "reopened": 0}
    found = opportunity(K.RECLAIM)

    second = reconcile()
    assert refresh() == {"opened": 0, "refreshed": 1, "closed": 0, "reopened": 0}

    assert second.pk != first.pk
    assert Opportunity.objects.count() == 1
    found.refresh_from_db()
    assert (found.title, found.estimated_annual_savings, found.run) == (
        "Reclaim 1 idle Notion Plus seat",
        D("120.00"),
        second,
    )
    assert list(found.findings.values_list("run", flat=True)) == [second.pk]
    # Only the run behind it changed: not worth a line in its history.
    assert found.history.count() == 1


def test_refreshing_again_on_the_same_evidence_changes_nothing():
    notion_case()
    reconcile()
    refresh()
    found = opportunity(K.RECLAIM)
    history = found.history.count()

    assert refresh() == {"opened": 0, "refreshed": 1, "closed": 0, "reopened": 0}

    assert found.history.count() == history
    assert Opportunity.objects.count() == 1


def test_the_idle_person_using_the_app_again_closes_the_reclaim():
    case = notion_case()
    reconcile()
    refresh()
    found = opportunity(K.RECLAIM)

    ActivityFactory(person=case.idle, application=case.app, day=TODAY)
    reconcile()

    assert refresh() == {"opened": 0, "refreshed": 0, "closed": 1, "reopened": 0}
    found.refresh_from_db()
    assert found.status == S.CLOSED
    assert found.closed_at is not None
    assert found.history.first().history_change_reason == "Closed: its evidence is gone."


def test_a_done_opportunity_is_history_and_new_evidence_opens_a_new_one():
    notion_case()
    reconcile()
    refresh()
    done = opportunity_status_change(opportunity=opportunity(K.RECLAIM), status=S.DONE, user=UserFactory())

    assert refresh()["opened"] == 1

    done.refresh_from_db()
    assert done.status == S.DONE
    fresh = opportunity(K.RECLAIM)
    assert (fresh.key, fresh.status) == (done.key, S.OPEN)
    assert fresh.pk != done.pk


def test_a_dismissed_opportunity_comes_back_only_when_its_value_moves_materially():
    pool = figma_pool()
    findings(new_run(), pool, FindingKind.INACTIVE, 5)
    refresh()
    dismissed = opportunity_status_change(
        opportunity=opportunity(K.RECLAIM), status=S.DISMISSED, user=UserFactory(), reason="Kept for the interns"
    )
    assert (dismissed.dismissed_value, dismissed.dismissed_reason) == (D("600.00"), "Kept for the interns")

    # 720.00 is 20% above the 600.00 it was dismissed at: below the 25% that counts.
    findings(new_run(), pool, FindingKind.INACTIVE, 6)
    assert refresh() == {"opened": 0, "refreshed": 1, "closed": 0, "reopened": 0}
    dismissed.refresh_from_db()
    assert (dismissed.status, dismissed.estimated_annual_savings) == (S.DISMISSED, D("720.00"))

    # 960.00 is 60% above: it comes back, and the history keeps why it was dismissed.
    findings(new_run(), pool, FindingKind.INACTIVE, 8)
    assert refresh() == {"opened": 0, "refreshed": 0, "closed": 0, "reopened": 1}
    dismissed.refresh_from_db()
    assert (dismissed.status, dismissed.dismissed_reason, dismissed.dismissed_value) == (S.OPEN, "", None)
    assert dismissed.history.filter(status=S.DISMISSED, dismissed_reason="Kept for the interns").exists()
    assert dismissed.history.first().history_change_reason.startswith("Reopened: its value moved from 600.00")


def test_a_dismissed_opportunity_whose_evidence_goes_stays_dismissed():
    pool = figma_pool()
    findings(new_run(), pool, FindingKind.INACTIVE, 5)
    refresh()
    dismissed = opportunity_status_change(
        opportunity=opportunity(K.RECLAIM), status=S.DISMISSED, user=UserFactory(), reason="Not now"
    )
    new_run()

    assert refresh() == {"opened": 0, "refreshed": 0, "closed": 0, "reopened": 0}
    dismissed.refresh_from_db()
    assert dismissed.status == S.DISMISSED


# Dates and priority


def test_the_due_date_is_never_after_the_deadline(settings):
    settings.SAVINGS_DUE_LEAD_DAYS = -5
    _, pool = contract_pool(ApplicationFactory(name="Figma"))
    findings(new_run(), pool, FindingKind.INACTIVE, 1)

    refresh()

    found = opportunity(K.RECLAIM)
    assert found.due_date == found.deadline == date(2025, 12, 1)


def test_priority_is_the_savings_raised_as_the_deadline_nears():
    # Contract term 2024-08-01..2025-07-31 with 30 days' notice: cancel-by 2025-07-01, 30 days from today.
    _, near = contract_pool(ApplicationFactory(name="Asana"), start_date=date(2024, 8, 1), end_date=date(2025, 7, 31))
    far = figma_pool()
    run = new_run()
    findings(run, near, FindingKind.INACTIVE, 4, local="100.00")
    findings(run, far, FindingKind.INACTIVE, 5)

    refresh()

    # Asana 400.00 with 30 days left of a 90-day horizon: 400 × (1 + 2 × 60/90) = 933.33 ranks above 600.00.
    ranked = list(Opportunity.objects.values_list("title", "estimated_annual_savings", "priority"))
    assert ranked == [
        ("Reclaim 4 idle Asana Professional seats", D("400.00"), D("933.33")),
        ("Reclaim 5 idle Figma Professional seats", D("600.00"), D("600.00")),
    ]
    # On the cancel-by date it counts triple; the one without a deadline does not move.
    assert opportunities_reprioritise(today=date(2025, 7, 1)) == 1
    assert list(Opportunity.objects.values_list("priority", flat=True)) == [D("1200.00"), D("600.00")]


# Status moves and owners


@pytest.fixture
def reclaim():
    findings(new_run(), figma_pool(), FindingKind.INACTIVE, 5)
    refresh()
    return opportunity(K.RECLAIM)


def test_open_to_in_progress_to_done_is_recorded_with_who_did_it(reclaim):
    user = UserFactory()

    moved = opportunity_status_change(opportunity=reclaim, status=S.IN_PROGRESS, user=user)
    assert moved.status == S.IN_PROGRESS
    done = opportunity_status_change(opportunity=moved, status=S.DONE, user=user)

    assert (done.status, done.closed_at is not None) == (S.DONE, True)
    assert done.history.first().history_user == user


@pytest.mark.parametrize(
    ("start", "wanted", "message"),
    [
        (S.OPEN, S.CLOSED, "that is Open can move to In progress, Done or Dismissed. Only the refresh closes one"),
        (S.DISMISSED, S.DONE, "An opportunity that is Dismissed can move to Open, not to Done."),
        (S.DONE, S.OPEN, "This opportunity is Done: it is history and cannot move any more."),
        (S.CLOSED, S.OPEN, "This opportunity is Closed (evidence gone): it is history and cannot move any more."),
    ],
)
def test_a_refused_move_names_the_moves_allowed(reclaim, start, wanted, message):
    Opportunity.objects.filter(pk=reclaim.pk).update(status=start)

    with pytest.raises(SavingsError) as error:
        opportunity_status_change(opportunity=reclaim, status=wanted, user=UserFactory())

    assert message in str(error.value)
    reclaim.refresh_from_db()
    assert reclaim.status == start


def test_dismissing_needs_a_reason(reclaim):
    with pytest.raises(SavingsError, match="the reason is required"):
        opportunity_status_change(opportunity=reclaim, status=S.DISMISSED, user=UserFactory(), reason="  ")

    reclaim.refresh_from_db()
    assert (reclaim.status, reclaim.dismissed_value) == (S.OPEN, None)


def test_an_unknown_status_is_refused(reclaim):
    with pytest.raises(SavingsError, match="'won' is not a status"):
        opportunity_status_change(opportunity=reclaim, status="won", user=UserFactory())


def test_assigning_a_live_opportunity_and_not_a_finished_one(reclaim):
    owner = UserFactory()

    assert opportunity_assign(opportunity=reclaim, owner=owner).owner == owner

    Opportunity.objects.filter(pk=reclaim.pk).update(status=S.CLOSED)
    with pytest.raises(SavingsError, match="it is history"):
        opportunity_assign(opportunity=reclaim, owner=UserFactory())


def test_the_refresh_keeps_an_owner_someone_chose(reclaim):
    owner = UserFactory()
    opportunity_assign(opportunity=reclaim, owner=owner)

    refresh()

    reclaim.refresh_from_db()
    assert reclaim.owner == owner


# Scale


def test_the_refresh_query_count_does_not_grow_with_the_findings():
    pool = figma_pool()

    def refresh_counting(number: int) -> int:
        findings(new_run(), pool, FindingKind.INACTIVE, number)
        with CaptureQueriesContext(connection) as queries:
            refresh()
        return len(queries)

    refresh_counting(2)
    few = refresh_counting(3)
    many = refresh_counting(60)

    assert opportunity(K.RECLAIM).findings.count() == 60
    assert many == few
    assert many <= 30
