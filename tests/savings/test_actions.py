"""The savings actions: each does the work, writes its win through the ledger service, and writes nothing
when it is refused."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from licenses.models import Assignment, LicensePool
from renewals.choices import ContractStatus, RenewalDecision, RenewalStage
from renewals.models import Contract, LineItem, Renewal
from renewals.services import renewal_update
from saasmgr.inventory.choices import ApplicationStatus
from saasmgr.inventory.models import Application
from savings.actions import (
    app_cancel,
    application_costs,
    apps_consolidate,
    manual_win_record,
    seats_downgrade,
    seats_reclaim,
)
from savings.choices import ActionKind, LedgerKind, OpportunityKind, OpportunityStatus, Recurrence, ReduceWhen
from savings.models import LedgerEntry, Opportunity, SavingsAction
from savings.services import SavingsError, ledger_entry_reverse
from tests.factories import ApplicationFactory, DepartmentFactory, FxRateFactory, PersonFactory, UserFactory
from tests.licenses.factories import AssignmentFactory, FindingFactory, LicensePoolFactory
from tests.renewals.factories import ContractFactory, seat_line

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date(2025, 6, 15)  # inside the contracts' 2025 term


def seat_contract(*, quantity="10", unit_price="1200.00", currency="USD", holders=10, sku="Enterprise seat", **kw):
    """A 2025 contract of ``quantity`` seats at ``unit_price`` a year, and its pool with ``holders`` live seats."""
    contract = ContractFactory(currency=currency, line_items=[seat_line(sku, quantity, unit_price)], **kw)
    pool = LicensePool.objects.get(line_item__contract=contract)
    for _ in range(holders):
        AssignmentFactory(pool=pool)
    return contract, pool


def live_seats(pool) -> list[Assignment]:
    return list(Assignment.objects.filter(pool=pool, unassigned_on__isnull=True).order_by("pk"))


def nothing_written() -> bool:
    return SavingsAction.objects.count() == 0 and LedgerEntry.objects.count() == 0


def reclaim_opportunity(pool, *, seats: int, unit_cost=D("1200.00")) -> Opportunity:
    seats_held = live_seats(pool)[:seats]
    opportunity = Opportunity.objects.create(
        kind=OpportunityKind.RECLAIM,
        key=f"reclaim:pool:{pool.pk}",
        title=f"Reclaim {seats} idle {pool.application.name} {pool.name} seats",
        application=pool.application,
        pool=pool,
        quantity=seats,
        currency="USD",
        estimated_annual_savings_local=unit_cost * seats,
        estimated_annual_savings=unit_cost * seats,
        priority=unit_cost * seats,
    )
    opportunity.findings.set(
        FindingFactory(pool=pool, assignment=a, person=a.person, annual_cost_impact=unit_cost) for a in seats_held
    )
    return opportunity


# Reclaim: the worked example, 3 seats × 1,200.0000 = 3,600.00


def test_reclaiming_three_seats_now_saves_three_unit_costs_and_buys_three_fewer_seats():
    user = UserFactory()
    contract, pool = seat_contract()
    picked = live_seats(pool)[:3]

    action = seats_reclaim(pool=pool, assignments=picked, reduce_when=ReduceWhen.NOW, user=user, effective_date=TODAY)

    (entry,) = action.entries.all()
    assert (entry.kind, entry.recurrence, entry.amount, entry.currency) == (
        LedgerKind.COST_SAVINGS,
        Recurrence.ANNUAL,
        D("3600.00"),
        "USD",
    )
    assert (entry.effective_date, entry.amount_reporting, entry.fx_rate) == (TODAY, D("3600.00"), D("1"))
    assert (action.kind, action.quantity, action.reduce_when) == (ActionKind.RECLAIM, 3, ReduceWhen.NOW)
    assert (action.baseline_annual, action.new_annual) == (D("12000.00"), D("8400.00"))
    assert (action.performed_by, action.credited_user, action.pool, action.contract) == (user, user, pool, contract)
    # The seats ended on the effective date, and 10 → 7 through the line item the pool follows.
    assert {a.unassigned_on for a in Assignment.objects.filter(pk__in=[a.pk for a in picked])} == {TODAY}
    assert len(live_seats(pool)) == 7
    assert LineItem.objects.get(contract=contract).quantity == D("7")
    assert LicensePool.objects.get(pk=pool.pk).purchased_quantity == 7
    contract.refresh_from_db()
    assert contract.annual_value == D("8400.00")
    # The open renewal's baseline follows, so its outcome does not count these seats again.
    assert Renewal.objects.get(contract=contract).baseline_annual == D("8400.00")


def test_reclaiming_at_renewal_keeps_this_term_and_plans_the_next():
    contract, pool = seat_contract()
    renewal = Renewal.objects.get(contract=contract)

    action = seats_reclaim(
        pool=pool, assignments=live_seats(pool)[:3], reduce_when=ReduceWhen.AT_RENEWAL, user=UserFactory()
    )

    (entry,) = action.entries.all()
    assert (entry.amount, entry.effective_date) == (D("3600.00"), date(2026, 1, 1))  # the next term's first day
    assert len(live_seats(pool)) == 7  # the seats are taken back today ...
    assert LicensePool.objects.get(pk=pool.pk).purchased_quantity == 10  # ... but paid for until the term ends
    assert LineItem.objects.get(contract=contract).quantity == D("10")
    assert action.renewal == renewal
    assert action.details["plan"]["from_quantity"] == "10.00"
    assert action.details["plan"]["to_quantity"] == "7.00"
    assert action.details["prebooked"] == {str(renewal.pk): "3600.00"}
    renewal.refresh_from_db()
    assert renewal.recommended_quantity == D("7")
    assert "buy 7 next term instead of 10" in renewal.recommendation


def test_a_second_plan_for_the_same_renewal_counts_from_the_first():
    contract, pool = seat_contract()
    seats_reclaim(pool=pool, assignments=live_seats(pool)[:3], reduce_when=ReduceWhen.AT_RENEWAL, user=None)

    second = seats_reclaim(pool=pool, assignments=live_seats(pool)[:2], reduce_when=ReduceWhen.AT_RENEWAL, user=None)

    assert second.details["plan"]["to_quantity"] == "5.00"
    assert Renewal.objects.get(contract=contract).recommended_quantity == D("5")


def test_a_pool_entered_by_hand_is_reduced_directly():
    pool = LicensePoolFactory(purchased_quantity=10, annual_unit_cost=D("1200.0000"))
    seats = [AssignmentFactory(pool=pool) for _ in range(4)]

    action = seats_reclaim(pool=pool, assignments=seats[:3], reduce_when=ReduceWhen.NOW, user=None)

    assert action.entries.get().amount == D("3600.00")
    assert LicensePool.objects.get(pk=pool.pk).purchased_quantity == 7
    assert action.contract is None


def test_unassigned_seats_can_be_cut_with_the_held_ones():
    contract, pool = seat_contract(holders=6)

    action = seats_reclaim(
        pool=pool, assignments=live_seats(pool)[:1], unassigned_seats=3, reduce_when=ReduceWhen.NOW, user=None
    )

    assert (action.quantity, action.entries.get().amount) == (4, D("4800.00"))
    assert LicensePool.objects.get(pk=pool.pk).purchased_quantity == 6


def test_a_reclaim_in_a_contract_currency_is_converted_at_the_effective_dates_rate():
    FxRateFactory(currency="EUR", date=date(2025, 1, 1), rate=D("1.10000000"))
    FxRateFactory(currency="EUR", date=date(2025, 6, 1), rate=D("1.15000000"))
    _, pool = seat_contract(currency="EUR")

    action = seats_reclaim(
        pool=pool, assignments=live_seats(pool)[:3], reduce_when=ReduceWhen.NOW, user=None, effective_date=TODAY
    )

    entry = action.entries.get()
    assert (entry.amount, entry.currency, entry.fx_rate, entry.amount_reporting) == (
        D("3600.00"),
        "EUR",
        D("1.15000000"),
        D("4140.00"),
    )


def test_a_win_is_credited_to_the_given_person_and_team_or_the_doers_department():
    department = DepartmentFactory(name="IT")
    doer = UserFactory(email="doer@example.com")
    PersonFactory(email="doer@example.com", department=department)
    other, team = UserFactory(), DepartmentFactory(name="Finance")
    _, pool = seat_contract()

    mine = seats_reclaim(pool=pool, assignments=live_seats(pool)[:1], reduce_when=ReduceWhen.NOW, user=doer)
    theirs = seats_reclaim(
        pool=pool,
        assignments=live_seats(pool)[:1],
        reduce_when=ReduceWhen.NOW,
        user=doer,
        credited_user=other,
        credited_team=team,
    )

    assert (mine.credited_user, mine.credited_team) == (doer, department)
    assert (theirs.performed_by, theirs.credited_user, theirs.credited_team) == (doer, other, team)
    assert theirs.entries.get().credited_team == team


# Reclaim and its opportunity


def test_a_partial_reclaim_leaves_the_opportunity_in_progress_with_what_is_left():
    _, pool = seat_contract()
    opportunity = reclaim_opportunity(pool, seats=5)
    first_two = [f.assignment for f in opportunity.findings.order_by("pk")[:2]]

    action = seats_reclaim(
        pool=pool, assignments=first_two, reduce_when=ReduceWhen.NOW, user=None, opportunity=opportunity
    )

    opportunity.refresh_from_db()
    assert action.opportunity == opportunity
    assert opportunity.status == OpportunityStatus.IN_PROGRESS
    assert (opportunity.quantity, opportunity.estimated_annual_savings_local) == (3, D("3600.00"))
    assert (opportunity.estimated_annual_savings, opportunity.priority) == (D("3600.00"), D("3600.00"))
    assert opportunity.findings.count() == 3
    assert not opportunity.findings.filter(assignment__in=first_two).exists()
    assert opportunity.title == f"Reclaim 3 idle {pool.application.name} {pool.name} seats"
    assert opportunity.evidence["summary"].startswith("2 of its seats reclaimed; 3 left to act on.")


def test_reclaiming_every_seat_completes_the_opportunity():
    _, pool = seat_contract()
    opportunity = reclaim_opportunity(pool, seats=5)
    seats = [f.assignment for f in opportunity.findings.order_by("pk")]
    seats_reclaim(pool=pool, assignments=seats[:2], reduce_when=ReduceWhen.NOW, user=None, opportunity=opportunity)

    seats_reclaim(pool=pool, assignments=seats[2:], reduce_when=ReduceWhen.NOW, user=None, opportunity=opportunity)

    opportunity.refresh_from_db()
    assert opportunity.status == OpportunityStatus.DONE
    assert opportunity.closed_at is not None
    assert sum(e.amount for e in LedgerEntry.objects.all()) == D("6000.00")


def test_a_done_opportunity_is_not_acted_on_again():
    _, pool = seat_contract()
    opportunity = reclaim_opportunity(pool, seats=1)
    Opportunity.objects.filter(pk=opportunity.pk).update(status=OpportunityStatus.DONE)

    with pytest.raises(SavingsError, match="is done"):
        seats_reclaim(
            pool=pool, assignments=live_seats(pool)[:1], reduce_when=ReduceWhen.NOW, user=None, opportunity=opportunity
        )

    assert nothing_written()


# Reclaim refusals write nothing


def test_a_seat_of_another_pool_or_an_ended_seat_is_refused_by_name():
    _, pool = seat_contract(holders=3)
    _, other = seat_contract(holders=1)
    ended = live_seats(pool)[0]
    ended.unassigned_on = date(2025, 5, 1)
    ended.save()
    foreign = live_seats(other)[0]

    with pytest.raises(SavingsError) as error:
        seats_reclaim(
            pool=pool, assignments=[ended, foreign, live_seats(pool)[0]], reduce_when=ReduceWhen.NOW, user=None
        )

    assert f"{foreign.person.name} holds a seat of {other}" in str(error.value)
    assert "already ended on 2025-05-01" in str(error.value)
    assert nothing_written()
    assert len(live_seats(pool)) == 2 and len(live_seats(other)) == 1
    assert LicensePool.objects.get(pk=pool.pk).purchased_quantity == 10


def test_a_pool_without_a_price_is_refused_with_what_to_do():
    pool = LicensePoolFactory(annual_unit_cost=None)
    seat = AssignmentFactory(pool=pool)

    with pytest.raises(SavingsError, match="Set the price first"):
        seats_reclaim(pool=pool, assignments=[seat], reduce_when=ReduceWhen.NOW, user=None)

    assert nothing_written()
    assert Assignment.objects.get(pk=seat.pk).unassigned_on is None


def test_a_missing_exchange_rate_undoes_the_whole_reclaim():
    # The rate is looked up last, after the seats ended and the line item changed: all of it rolls back.
    contract, pool = seat_contract(currency="GBP")

    with pytest.raises(SavingsError, match="No GBP→USD exchange rate"):
        seats_reclaim(
            pool=pool, assignments=live_seats(pool)[:3], reduce_when=ReduceWhen.NOW, user=None, effective_date=TODAY
        )

    assert nothing_written()
    assert len(live_seats(pool)) == 10
    assert LineItem.objects.get(contract=contract).quantity == D("10")
    assert LicensePool.objects.get(pk=pool.pk).purchased_quantity == 10


def test_reclaiming_at_renewal_needs_a_contract_and_an_open_renewal():
    pool = LicensePoolFactory()
    seat = AssignmentFactory(pool=pool)
    with pytest.raises(SavingsError, match="has no contract, so it has no renewal"):
        seats_reclaim(pool=pool, assignments=[seat], reduce_when=ReduceWhen.AT_RENEWAL, user=None)

    contract, contract_pool = seat_contract(holders=1)
    Contract.objects.filter(pk=contract.pk).update(status=ContractStatus.EXPIRED)
    with pytest.raises(SavingsError, match="no open renewal"):
        seats_reclaim(
            pool=contract_pool, assignments=live_seats(contract_pool), reduce_when=ReduceWhen.AT_RENEWAL, user=None
        )

    assert nothing_written()
    assert Assignment.objects.get(pk=seat.pk).unassigned_on is None


def test_nothing_picked_or_more_seats_than_bought_is_refused():
    _, pool = seat_contract(quantity="2", holders=2)
    with pytest.raises(SavingsError, match="at least one holder"):
        seats_reclaim(pool=pool, assignments=[], reduce_when=ReduceWhen.NOW, user=None)
    with pytest.raises(SavingsError, match="0 unassigned seat"):
        seats_reclaim(pool=pool, assignments=[], unassigned_seats=1, reduce_when=ReduceWhen.NOW, user=None)
    with pytest.raises(SavingsError, match="is not a choice"):
        seats_reclaim(pool=pool, assignments=live_seats(pool), reduce_when="someday", user=None)
    assert nothing_written()


def test_seats_planned_off_the_next_term_cannot_be_reclaimed_again():
    _, pool = seat_contract(holders=4)  # 10 bought, 4 held, 6 unassigned
    seats_reclaim(pool=pool, assignments=[], unassigned_seats=5, reduce_when=ReduceWhen.AT_RENEWAL, user=None)

    with pytest.raises(SavingsError, match="has 1 unassigned seat"):
        seats_reclaim(pool=pool, assignments=[], unassigned_seats=2, reduce_when=ReduceWhen.NOW, user=None)
    with pytest.raises(SavingsError, match=r"\(5 already planned off the next term\); 6 cannot be reclaimed"):
        seats_reclaim(
            pool=pool, assignments=live_seats(pool), unassigned_seats=2, reduce_when=ReduceWhen.AT_RENEWAL, user=None
        )

    assert SavingsAction.objects.count() == 1
    assert len(live_seats(pool)) == 4


def test_the_seats_of_a_contract_recorded_as_stopping_are_not_reclaimed_again():
    app = ApplicationFactory()
    contract, pool = seat_contract(applications=[app])
    app_cancel(application=app, user=None, contracts=[contract], pools=[])
    Assignment.objects.filter(pool=pool).update(unassigned_on=None)  # say someone put them back by hand

    with pytest.raises(SavingsError, match="already recorded as stopping"):
        seats_reclaim(pool=pool, assignments=live_seats(pool)[:3], reduce_when=ReduceWhen.NOW, user=None)

    assert SavingsAction.objects.count() == 1
    assert LicensePool.objects.get(pk=pool.pk).purchased_quantity == 10


# A reclaim after the renewal was decided


def test_a_reclaim_now_after_the_renewal_was_decided_is_prebooked_on_it():
    contract, pool = seat_contract()
    renewal = renewal_update(
        renewal=Renewal.objects.get(contract=contract), user=None, stage=RenewalStage.DECIDED, decision="renew"
    )

    action = seats_reclaim(pool=pool, assignments=live_seats(pool)[:3], reduce_when=ReduceWhen.NOW, user=None)

    # A decided renewal keeps its baseline, so the reclaim's saving is marked as already written there.
    assert Renewal.objects.get(pk=renewal.pk).baseline_annual == D("12000.00")
    assert action.details["prebooked"] == {str(renewal.pk): "3600.00"}


# Downgrade: N × (cost from − cost to)


def test_a_downgrade_moves_the_holders_to_the_cheaper_seat_and_saves_the_difference():
    contract = ContractFactory(
        line_items=[seat_line("Full seat", "10", "660.00"), seat_line("Dev seat", "5", "300.00")]
    )
    full = LicensePool.objects.get(line_item__sku="Full seat")
    dev = LicensePool.objects.get(line_item__sku="Dev seat")
    holders = [AssignmentFactory(pool=full) for _ in range(4)]

    action = seats_downgrade(from_pool=full, to_pool=dev, assignments=holders[:2], user=None, effective_date=TODAY)

    assert action.entries.get().amount == D("720.00")  # 2 × (660 − 300)
    assert (action.kind, action.baseline_annual, action.new_annual) == (ActionKind.DOWNGRADE, D("1320.00"), D("600.00"))
    assert LicensePool.objects.get(pk=full.pk).purchased_quantity == 8
    assert LicensePool.objects.get(pk=dev.pk).purchased_quantity == 7
    contract.refresh_from_db()
    assert contract.annual_value == D("7380.00")  # 8100.00 before: the contract drops by the saving
    moved = Assignment.objects.filter(pool=dev, unassigned_on__isnull=True)
    assert sorted(moved.values_list("person_id", flat=True)) == sorted(h.person_id for h in holders[:2])
    assert set(moved.values_list("assigned_on", flat=True)) == {TODAY}
    assert len(live_seats(full)) == 2


def test_a_downgrade_across_currencies_crosses_the_cheaper_cost_at_the_effective_date():
    FxRateFactory(currency="EUR", date=date(2025, 6, 1), rate=D("1.10000000"))
    app = ApplicationFactory()
    full = LicensePoolFactory(application=app, currency="USD", annual_unit_cost=D("1200.0000"))
    lite = LicensePoolFactory(application=app, currency="EUR", annual_unit_cost=D("500.0000"), purchased_quantity=0)
    holders = [AssignmentFactory(pool=full) for _ in range(3)]

    action = seats_downgrade(from_pool=full, to_pool=lite, assignments=holders, user=None, effective_date=TODAY)

    assert action.entries.get().amount == D("1950.00")  # 3 × (1200 − 500 × 1.10)
    assert action.details["annual_unit_cost_to_in_currency"] == "550.0000"
    assert LicensePool.objects.get(pk=lite.pk).purchased_quantity == 3


def test_a_downgrade_that_is_not_cheaper_or_has_no_rate_is_refused():
    app = ApplicationFactory()
    full = LicensePoolFactory(application=app, annual_unit_cost=D("300.0000"))
    dearer = LicensePoolFactory(application=app, annual_unit_cost=D("300.0000"))
    yen = LicensePoolFactory(application=app, currency="JPY", annual_unit_cost=D("100.0000"))
    elsewhere = LicensePoolFactory(annual_unit_cost=D("10.0000"))
    holder = AssignmentFactory(pool=full)

    with pytest.raises(SavingsError, match="saves nothing"):
        seats_downgrade(from_pool=full, to_pool=dearer, assignments=[holder], user=None)
    with pytest.raises(SavingsError, match="No JPY→USD exchange rate"):
        seats_downgrade(from_pool=full, to_pool=yen, assignments=[holder], user=None)
    with pytest.raises(SavingsError, match="stays in one app"):
        seats_downgrade(from_pool=full, to_pool=elsewhere, assignments=[holder], user=None)

    assert nothing_written()
    assert Assignment.objects.filter(pool__in=[dearer, yen]).count() == 0
    assert Assignment.objects.get(pk=holder.pk).unassigned_on is None


# Cancel an application


def test_cancelling_an_app_stops_its_contract_and_pools_retires_it_and_decides_its_renewal():
    app = ApplicationFactory()
    contract, pool = seat_contract(applications=[app], holders=4)  # 12,000.00 a year
    hand = LicensePoolFactory(application=app, purchased_quantity=3, annual_unit_cost=D("100.0000"))
    AssignmentFactory(pool=hand)

    action = app_cancel(application=app, user=None)

    entry = action.entries.get()
    assert (entry.kind, entry.recurrence, entry.amount) == (LedgerKind.COST_SAVINGS, Recurrence.ANNUAL, D("12300.00"))
    assert entry.effective_date == date(2026, 1, 1)  # the contract is paid to the end of its term
    assert Application.objects.get(pk=app.pk).status == ApplicationStatus.RETIRED
    assert Assignment.objects.filter(pool__application=app, unassigned_on=date(2026, 1, 1)).count() == 5
    assert LicensePool.objects.get(pk=hand.pk).purchased_quantity == 0
    renewal = Renewal.objects.get(contract=contract)
    assert (renewal.stage, renewal.decision) == (RenewalStage.DECIDED, RenewalDecision.CANCEL)
    assert action.details["prebooked"] == {str(renewal.pk): "12000.00"}


def test_cancelling_only_what_is_picked_from_the_date_given():
    app = ApplicationFactory()
    contract, _ = seat_contract(applications=[app], holders=1)
    hand = LicensePoolFactory(application=app, purchased_quantity=3, annual_unit_cost=D("100.0000"))
    LicensePoolFactory(application=app, purchased_quantity=3, annual_unit_cost=None)  # unpriced: not a default
    assert application_costs(applications=[app]) == ([contract], [hand])

    action = app_cancel(application=app, user=None, contracts=[], pools=[hand], effective_date=TODAY)

    assert (action.entries.get().amount, action.entries.get().effective_date) == (D("300.00"), TODAY)
    assert action.pool == hand


def test_cancelling_a_contract_with_seats_already_planned_off_saves_only_the_rest():
    app = ApplicationFactory()
    contract, pool = seat_contract(applications=[app])
    seats_reclaim(pool=pool, assignments=live_seats(pool)[:3], reduce_when=ReduceWhen.AT_RENEWAL, user=None)

    action = app_cancel(application=app, user=None)

    assert action.entries.get().amount == D("8400.00")  # 12,000.00 less the 3,600.00 already written
    assert sum(e.amount for e in LedgerEntry.objects.all()) == D("12000.00")


def test_cancel_refusals_write_nothing():
    app = ApplicationFactory()
    other = ApplicationFactory()
    bundle = ContractFactory(applications=[app, other])
    foreign = ContractFactory()
    free = ApplicationFactory()

    with pytest.raises(SavingsError, match=f"also covers {other.name}"):
        app_cancel(application=app, user=None, contracts=[bundle])
    with pytest.raises(SavingsError, match="is not a contract of"):
        app_cancel(application=app, user=None, contracts=[foreign])
    with pytest.raises(SavingsError, match="Pick the contracts and license pools"):
        app_cancel(application=free, user=None)
    retired = ApplicationFactory(status=ApplicationStatus.RETIRED)
    with pytest.raises(SavingsError, match="already retired"):
        app_cancel(application=retired, user=None)

    assert nothing_written()
    assert Application.objects.get(pk=app.pk).status == ApplicationStatus.SANCTIONED
    assert Renewal.objects.get(contract=bundle).stage == RenewalStage.UPCOMING


def test_a_contract_already_cancelled_is_not_cancelled_twice():
    app = ApplicationFactory()
    contract, _ = seat_contract(applications=[app], holders=0)
    app_cancel(application=app, user=None)
    Application.objects.filter(pk=app.pk).update(status=ApplicationStatus.SANCTIONED)

    with pytest.raises(SavingsError, match="already recorded as stopping"):
        app_cancel(application=app, user=None, contracts=[contract])

    entry = LedgerEntry.objects.get()
    ledger_entry_reverse(entry=entry, user=None, reason="Cancelled the wrong app")
    again = app_cancel(application=app, user=None, contracts=[contract])  # a reversed win no longer holds it
    assert again.entries.get().amount == D("12000.00")


# Consolidate: their annual cost − the annual cost added on the kept app


def test_consolidating_saves_the_retired_cost_less_what_the_kept_app_adds():
    kept = ApplicationFactory()
    old = ApplicationFactory()
    LicensePoolFactory(application=old, purchased_quantity=10, annual_unit_cost=D("120.0000"))
    seat_contract(applications=[old], quantity="5", unit_price="200.00", holders=2)

    action = apps_consolidate(
        applications=[old], kept_application=kept, added_annual_cost=D("400.00"), user=None, effective_date=TODAY
    )

    assert action.entries.get().amount == D("1800.00")  # 1,200.00 + 1,000.00 − 400.00
    assert (action.baseline_annual, action.new_annual) == (D("2200.00"), D("400.00"))
    assert action.details["kept_application_id"] == kept.pk
    assert Application.objects.get(pk=old.pk).status == ApplicationStatus.RETIRED
    assert Application.objects.get(pk=kept.pk).status == ApplicationStatus.SANCTIONED
    assert not Assignment.objects.filter(pool__application=old, unassigned_on__isnull=True).exists()


def test_a_consolidation_that_saves_nothing_is_refused_and_writes_nothing():
    kept, old = ApplicationFactory(), ApplicationFactory()
    LicensePoolFactory(application=old, purchased_quantity=10, annual_unit_cost=D("120.0000"))

    with pytest.raises(SavingsError, match=r"saves 1,200.00 USD a year, but .* costs 1,500.00 USD more"):
        apps_consolidate(applications=[old], kept_application=kept, added_annual_cost=D("1500"), user=None)
    with pytest.raises(SavingsError, match="both kept and retired"):
        apps_consolidate(applications=[old], kept_application=old, added_annual_cost=D("0"), user=None)

    assert nothing_written()
    assert Application.objects.get(pk=old.pk).status == ApplicationStatus.SANCTIONED
    assert LicensePool.objects.get(application=old).purchased_quantity == 10


# A win entered by hand


def test_a_manual_one_time_credit_with_a_link():
    FxRateFactory(currency="EUR", date=date(2025, 3, 1), rate=D("1.08000000"))
    user = UserFactory()

    action = manual_win_record(
        user=user,
        ledger_kind=LedgerKind.COST_SAVINGS,
        recurrence=Recurrence.ONE_TIME,
        amount="2500",
        currency="eur",
        effective_date=date(2025, 3, 20),
        description="Service credit for the March outage",
        evidence_url="https://tickets.example.com/4411",
    )

    entry = action.entries.get()
    assert (entry.recurrence, entry.amount, entry.currency, entry.amount_reporting) == (
        Recurrence.ONE_TIME,
        D("2500.00"),
        "EUR",
        D("2700.00"),
    )
    assert (action.kind, action.evidence_url, action.credited_user) == (
        ActionKind.MANUAL,
        "https://tickets.example.com/4411",
        user,
    )


def test_a_manual_win_with_an_attachment(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    action = manual_win_record(
        user=None,
        ledger_kind=LedgerKind.COST_AVOIDANCE,
        recurrence=Recurrence.ANNUAL,
        amount=D("900.00"),
        currency="USD",
        effective_date=TODAY,
        description="Declined the vendor's add-on",
        evidence_file=SimpleUploadedFile("quote.pdf", b"%PDF-1.4 quote"),
    )
    assert action.evidence_file.name.endswith(".pdf")
    assert action.entries.get().kind == LedgerKind.COST_AVOIDANCE


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"description": "  "}, "description is required"),
        ({"evidence_url": ""}, "Give the evidence"),
        ({"evidence_url": "javascript:alert(1)"}, "is not a web link"),
        ({"amount": "0"}, "more than 0"),
        ({"amount": "-5"}, "more than 0"),
        ({"amount": "lots"}, "must be a number"),
        ({"currency": "XYZ"}, "not an ISO 4217 currency"),
        ({"ledger_kind": "bonus"}, "is not a ledger kind"),
        ({"recurrence": "monthly"}, "is not a recurrence"),
    ],
)
def test_a_manual_win_is_refused_without_what_it_needs(changes, message):
    fields = {
        "user": None,
        "ledger_kind": LedgerKind.COST_SAVINGS,
        "recurrence": Recurrence.ONE_TIME,
        "amount": "100",
        "currency": "USD",
        "effective_date": TODAY,
        "description": "Refund",
        "evidence_url": "https://example.com/refund",
    }
    with pytest.raises(SavingsError, match=message):
        manual_win_record(**{**fields, **changes})
    assert nothing_written()
