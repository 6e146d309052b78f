"""Contract and renewal writes: cancel-by dates, stored values, stage moves, and closing a renewal."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from renewals.choices import ContractStatus, PricingModel, RenewalDecision, RenewalStage
from renewals.models import Contract, Renewal, cancel_by_for
from renewals.services import STAGE_MOVES, RenewalError, contract_save, renewal_close, renewal_update
from renewals.signals import renewal_closed
from renewals.templatetags.renewal_tags import deadline_badge
from saasmgr.core.choices import BillingPeriod
from saasmgr.core.services import fx_rate_upsert
from tests.factories import VendorFactory
from tests.renewals.factories import ContractFactory, seat_line

# cancel_by = end − notice days


@pytest.mark.parametrize(
    ("end", "notice", "cancel_by"),
    [
        (date(2025, 3, 31), 30, date(2025, 3, 1)),  # a 31-day month end
        (date(2025, 5, 31), 31, date(2025, 4, 30)),  # lands on the previous month end
        (date(2025, 3, 1), 1, date(2025, 2, 28)),  # across February in a common year
        (date(2024, 3, 1), 1, date(2024, 2, 29)),  # ... and in a leap year
        (date(2024, 3, 30), 30, date(2024, 2, 29)),
        (date(2025, 2, 28), 365, date(2024, 2, 29)),  # a year of notice across a leap day
        (date(2028, 2, 29), 0, date(2028, 2, 29)),  # notice 0: the end date itself
        (date(2025, 12, 31), 0, date(2025, 12, 31)),
        (date(2026, 1, 15), 45, date(2025, 12, 1)),  # across a year end
    ],
)
def test_cancel_by_is_end_minus_notice_days(end, notice, cancel_by):
    assert cancel_by_for(end, notice) == cancel_by


@pytest.mark.django_db
def test_a_saved_contract_and_its_renewal_store_the_cancel_by_date():
    contract = ContractFactory(start_date=date(2024, 3, 1), end_date=date(2025, 2, 28), notice_days=365)
    assert contract.cancel_by == date(2024, 2, 29)
    assert Contract.objects.get(pk=contract.pk).cancel_by == date(2024, 2, 29)
    assert Renewal.objects.get(contract=contract).cancel_by == date(2024, 2, 29)


@pytest.mark.django_db
def test_notice_longer_than_the_term_puts_cancel_by_before_the_start():
    contract = ContractFactory(start_date=date(2025, 1, 1), end_date=date(2025, 3, 31), notice_days=120)
    assert contract.cancel_by == date(2024, 12, 1)
    assert contract.cancel_by < contract.start_date
    assert Renewal.objects.get(contract=contract).cancel_by == date(2024, 12, 1)


@pytest.mark.django_db
def test_changing_the_notice_period_moves_cancel_by_even_with_update_fields():
    contract = ContractFactory(end_date=date(2025, 12, 31), notice_days=30)
    contract.notice_days = 90
    contract.save(update_fields=["notice_days"])
    assert Contract.objects.get(pk=contract.pk).cancel_by == date(2025, 10, 2)


@pytest.mark.parametrize(
    ("zone", "expected"),
    [("UTC", 1), ("Pacific/Kiritimati", 0), ("America/Los_Angeles", 1)],
)
def test_days_left_count_from_the_configured_time_zone(settings, zone, expected):
    # 2025-03-01 12:00 UTC is already 2 March on Kiritimati (UTC+14) but still 1 March in Los Angeles.
    settings.TIME_ZONE = zone
    instant = datetime(2025, 3, 1, 12, 0, tzinfo=ZoneInfo("UTC"))
    with mock.patch("django.utils.timezone.now", return_value=instant):
        badge = deadline_badge(date(2025, 3, 2))
    assert f'data-days="{expected}"' in badge


# Stored values


@pytest.mark.django_db
def test_contract_save_stores_annual_value_tcv_and_the_reporting_value():
    fx_rate_upsert(currency="EUR", on_date=date(2024, 12, 1), rate=Decimal("1.25"))
    contract = ContractFactory(
        currency="EUR",
        start_date=date(2025, 1, 1),
        end_date=date(2027, 12, 31),
        line_items=[
            seat_line("Seat", quantity="10", unit_price="10.00", billing_period=BillingPeriod.MONTHLY),
            {
                "sku": "Prepaid",
                "pricing_model": PricingModel.FLAT,
                "unit_price": Decimal("3600.00"),
                "billing_period": BillingPeriod.TERM,
            },
        ],
    )
    stored = Contract.objects.get(pk=contract.pk)
    assert stored.annual_value == Decimal("2400.00")  # 10 × 10 × 12 + 3,600 / 36 × 12
    assert stored.total_value == Decimal("7200.00")  # 10 × 10 × 36 + 3,600
    assert stored.annual_value_reporting == Decimal("3000.00")
    assert Renewal.objects.get(contract=contract).baseline_annual == Decimal("2400.00")


@pytest.mark.django_db
def test_without_a_rate_the_reporting_value_is_unknown_not_zero():
    contract = ContractFactory(currency="EUR", start_date=date(2025, 1, 1), end_date=date(2025, 12, 31))
    assert Contract.objects.get(pk=contract.pk).annual_value_reporting is None


@pytest.mark.django_db
def test_replacing_line_items_keeps_the_id_of_the_same_sku():
    contract = ContractFactory(line_items=[seat_line("Seat", quantity="10"), seat_line("Addon", quantity="1")])
    seat_id = contract.line_items.get(sku="Seat").pk
    contract_save(contract=contract, line_items=[seat_line("Seat", quantity="20")])
    assert [(i.pk, i.quantity) for i in contract.line_items.all()] == [(seat_id, Decimal("20.00"))]
    assert Contract.objects.get(pk=contract.pk).annual_value == Decimal("2000.00")


@pytest.mark.django_db
def test_saving_twice_keeps_one_renewal_and_only_active_contracts_get_one():
    contract = ContractFactory()
    contract_save(contract=contract)
    assert Renewal.objects.filter(contract=contract).count() == 1
    draft = ContractFactory(status=ContractStatus.DRAFT)
    assert not Renewal.objects.filter(contract=draft).exists()


# Stage moves


def renewal_in(stage: str, decision: str = "") -> Renewal:
    renewal = Renewal.objects.get(contract=ContractFactory(vendor=VendorFactory()))
    Renewal.objects.filter(pk=renewal.pk).update(stage=stage, decision=decision)
    renewal.refresh_from_db()
    return renewal


OPEN = [RenewalStage.UPCOMING, RenewalStage.IN_REVIEW, RenewalStage.NEGOTIATING, RenewalStage.DECIDED]
ALLOWED = [(a, b) for a in OPEN for b in OPEN if b in STAGE_MOVES[a]]
REFUSED = [(a, b) for a in OPEN for b in OPEN if a != b and b not in STAGE_MOVES[a]]


def test_the_stage_moves():
    assert sorted(ALLOWED) == sorted(
        [
            ("upcoming", "in_review"),
            ("upcoming", "negotiating"),
            ("upcoming", "decided"),
            ("in_review", "upcoming"),
            ("in_review", "negotiating"),
            ("in_review", "decided"),
            ("negotiating", "in_review"),
            ("negotiating", "decided"),
            ("decided", "negotiating"),
        ]
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("start", "target"), ALLOWED)
def test_an_allowed_move_is_made(start, target):
    renewal = renewal_in(start, decision=RenewalDecision.RENEW if start == RenewalStage.DECIDED else "")
    decision = RenewalDecision.RENEW if target == RenewalStage.DECIDED else None
    moved = renewal_update(renewal=renewal, user=None, stage=target, decision=decision)
    assert Renewal.objects.get(pk=renewal.pk).stage == moved.stage == target


@pytest.mark.django_db
@pytest.mark.parametrize(("start", "target"), REFUSED)
def test_a_refused_move_says_why_and_changes_nothing(start, target):
    renewal = renewal_in(start, decision=RenewalDecision.RENEW if start == RenewalStage.DECIDED else "")
    with pytest.raises(RenewalError) as raised:
        renewal_update(renewal=renewal, user=None, stage=target)
    assert str(raised.value) == (
        f"A renewal cannot move from {RenewalStage(start).label} to {RenewalStage(target).label}."
    )
    assert Renewal.objects.get(pk=renewal.pk).stage == start


@pytest.mark.django_db
@pytest.mark.parametrize("start", OPEN)
def test_closing_by_a_stage_move_is_refused(start):
    renewal = renewal_in(start, decision=RenewalDecision.RENEW)
    with pytest.raises(RenewalError, match=r"Close a renewal with its outcome \(the Close action\)"):
        renewal_update(renewal=renewal, user=None, stage=RenewalStage.CLOSED)


@pytest.mark.django_db
def test_deciding_needs_a_decision_and_records_when():
    renewal = renewal_in(RenewalStage.NEGOTIATING)
    with pytest.raises(RenewalError, match="Choose a decision"):
        renewal_update(renewal=renewal, user=None, stage=RenewalStage.DECIDED)
    decided = renewal_update(renewal=renewal, user=None, stage=RenewalStage.DECIDED, decision=RenewalDecision.DOWNSIZE)
    assert decided.decided_at is not None
    reopened = renewal_update(renewal=renewal, user=None, stage=RenewalStage.NEGOTIATING)
    assert reopened.decided_at is None


@pytest.mark.django_db
def test_a_closed_renewal_cannot_change():
    renewal = renewal_in(RenewalStage.CLOSED, decision=RenewalDecision.CANCEL)
    with pytest.raises(RenewalError, match="This renewal is closed; it can no longer change."):
        renewal_update(renewal=renewal, user=None, notes="late note")


# Closing


def decided_renewal(decision: str, **contract_fields) -> Renewal:
    contract = ContractFactory(
        start_date=date(2025, 1, 1),
        end_date=date(2025, 12, 31),
        line_items=[
            seat_line("Seat", quantity="10", unit_price="100.00"),
            seat_line("Addon", quantity="2", unit_price="50"),
        ],
        **contract_fields,
    )
    renewal = Renewal.objects.get(contract=contract)
    return renewal_update(
        renewal=renewal, user=None, stage=RenewalStage.DECIDED, decision=decision, quote_annual=Decimal("1320.00")
    )


@pytest.mark.django_db
def test_closing_a_renewed_renewal_starts_the_next_term_with_new_prices_and_a_new_renewal():
    renewal = decided_renewal(RenewalDecision.RENEGOTIATE, renewal_term_months=24)
    contract = renewal.contract
    seat = contract.line_items.get(sku="Seat")

    outcome = renewal_close(renewal=renewal, user=None, new_unit_prices={seat.pk: Decimal("90.00")})

    contract.refresh_from_db()
    assert (contract.start_date, contract.end_date) == (date(2026, 1, 1), date(2027, 12, 31))
    assert contract.status == ContractStatus.ACTIVE
    assert contract.line_items.get(sku="Seat").unit_price == Decimal("90.00")
    assert contract.annual_value == Decimal("1000.00")  # 10 × 90 + 2 × 50
    assert contract.total_value == Decimal("2000.00")  # two years
    assert (outcome.renewed, outcome.baseline_annual, outcome.quote_annual, outcome.final_annual) == (
        True,
        Decimal("1100.00"),
        Decimal("1320.00"),
        Decimal("1000.00"),
    )
    closed = Renewal.objects.get(pk=renewal.pk)
    assert (closed.stage, closed.negotiated_annual) == (RenewalStage.CLOSED, Decimal("1000.00"))
    following = Renewal.objects.get(contract=contract, term_end=date(2027, 12, 31))
    assert (following.stage, following.term_start, following.baseline_annual) == (
        RenewalStage.UPCOMING,
        date(2026, 1, 1),
        Decimal("1000.00"),
    )
    assert following.cancel_by == date(2027, 12, 1)


@pytest.mark.django_db
def test_one_time_charges_are_not_carried_into_the_next_term():
    contract = ContractFactory(
        start_date=date(2025, 1, 1),
        end_date=date(2025, 12, 31),
        line_items=[
            seat_line("Seat", quantity="10", unit_price="100.00"),
            {**seat_line("Implementation", quantity="1", unit_price="5000"), "billing_period": BillingPeriod.ONE_TIME},
        ],
    )
    assert (contract.annual_value, contract.total_value) == (Decimal("1000.00"), Decimal("6000.00"))
    renewal = renewal_update(
        renewal=Renewal.objects.get(contract=contract), user=None, stage=RenewalStage.DECIDED, decision="renew"
    )

    renewal_close(renewal=renewal, user=None)

    contract.refresh_from_db()
    assert list(contract.line_items.values_list("sku", flat=True)) == ["Seat"]
    assert (contract.annual_value, contract.total_value) == (Decimal("1000.00"), Decimal("1000.00"))


@pytest.mark.django_db
def test_closing_with_a_new_end_date():
    renewal = decided_renewal(RenewalDecision.RENEW)
    renewal_close(renewal=renewal, user=None, new_end_date=date(2026, 6, 30))
    contract = Contract.objects.get(pk=renewal.contract_id)
    assert (contract.start_date, contract.end_date) == (date(2026, 1, 1), date(2026, 6, 30))
    assert contract.annual_value == Decimal("1100.00")
    assert contract.total_value == Decimal("550.00")  # six months


@pytest.mark.django_db
def test_closing_a_cancel_ends_the_contract_without_a_next_renewal():
    renewal = decided_renewal(RenewalDecision.CANCEL)
    outcome = renewal_close(renewal=renewal, user=None)
    contract = Contract.objects.get(pk=renewal.contract_id)
    assert contract.status == ContractStatus.CANCELLED
    assert contract.end_date == date(2025, 12, 31)
    assert (outcome.renewed, outcome.final_annual) == (False, Decimal("0"))
    assert list(Renewal.objects.filter(contract=contract).values_list("stage", flat=True)) == [RenewalStage.CLOSED]


@pytest.mark.django_db
@pytest.mark.parametrize("stage", [RenewalStage.UPCOMING, RenewalStage.IN_REVIEW, RenewalStage.NEGOTIATING])
def test_only_a_decided_renewal_can_be_closed(stage):
    renewal = renewal_in(stage, decision=RenewalDecision.RENEW)
    with pytest.raises(RenewalError, match="Only a decided renewal can be closed"):
        renewal_close(renewal=renewal, user=None)
    assert Renewal.objects.get(pk=renewal.pk).stage == stage


@pytest.mark.django_db
def test_renewal_closed_fires_once_after_commit_with_b_q_f(django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, outcome, user, **kwargs):
        received.append((sender, outcome.baseline_annual, outcome.quote_annual, outcome.final_annual, user))

    renewal = decided_renewal(RenewalDecision.RENEGOTIATE)
    seat = renewal.contract.line_items.get(sku="Seat")
    renewal_closed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            renewal_close(renewal=renewal, user=None, new_unit_prices={seat.pk: Decimal("95")})
            assert received == []  # nothing before the commit
    finally:
        renewal_closed.disconnect(receiver)

    # Once, even though the savings receiver queues work of its own on commit.
    assert received == [(Renewal, Decimal("1100.00"), Decimal("1320.00"), Decimal("1050.00"), None)]


@pytest.mark.django_db
def test_a_failed_close_sends_nothing_and_writes_nothing(django_capture_on_commit_callbacks):
    received = []
    renewal = decided_renewal(RenewalDecision.RENEW)
    renewal_closed.connect(lambda **kwargs: received.append(kwargs), weak=False, dispatch_uid="test-failed-close")
    try:
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(RenewalError, match="must be after"):
            renewal_close(renewal=renewal, user=None, new_end_date=date(2025, 12, 31) + timedelta(days=1))
    finally:
        renewal_closed.disconnect(dispatch_uid="test-failed-close")
    assert received == []
    assert Renewal.objects.get(pk=renewal.pk).stage == RenewalStage.DECIDED
    assert Contract.objects.get(pk=renewal.contract_id).end_date == date(2025, 12, 31)


@pytest.mark.django_db
def test_editing_the_end_date_moves_the_open_renewal_instead_of_adding_one():
    contract = ContractFactory(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31), notice_days=30)
    renewal = Renewal.objects.get(contract=contract)
    renewal_update(renewal=renewal, user=None, stage=RenewalStage.IN_REVIEW)

    contract.end_date = date(2027, 3, 31)
    contract_save(contract=contract)

    (moved,) = Renewal.objects.filter(contract=contract)
    assert (moved.pk, moved.stage, moved.term_end, moved.cancel_by) == (
        renewal.pk,
        RenewalStage.IN_REVIEW,
        date(2027, 3, 31),
        date(2027, 3, 1),
    )
