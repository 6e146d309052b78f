"""The Savings Center's reads: ledger totals and groupings, opportunity totals, the monthly series and ROI.

Every figure is a worked example (tests/savings/factories.py ``sample_ledger`` shows the table behind them),
and every selector runs a fixed number of queries.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from saasmgr.core.dates import fiscal_year_start
from savings import selectors
from savings.choices import LedgerKind, OpportunityKind, OpportunityStatus, Recurrence
from savings.filtersets import (
    LAST_12_MONTHS,
    LAST_FISCAL_YEAR,
    LAST_MONTH,
    LAST_QUARTER,
    THIS_FISCAL_YEAR,
    THIS_MONTH,
    THIS_QUARTER,
    period_range,
)
from savings.models import LedgerEntry
from tests.savings.factories import LedgerEntryFactory, OpportunityFactory, sample_ledger

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def ledger():
    return sample_ledger()


def test_ledger_totals_of_the_worked_example(ledger, django_assert_num_queries):
    with django_assert_num_queries(1):
        totals = selectors.ledger_totals()
    assert totals.as_dict() == {
        "currency": "USD",
        "cost_savings": D("1750.00"),
        "cost_avoidance": D("1450.50"),
        "total": D("3200.50"),
        "one_time": D("250.50"),
        "annual": D("2950.00"),
        "entries": 6,
        "reversals": 1,
    }
    assert totals.cost_savings + totals.cost_avoidance == totals.total == totals.one_time + totals.annual


def test_ledger_totals_of_nothing_are_zero():
    totals = selectors.ledger_totals(LedgerEntry.objects.none())
    assert (totals.total, totals.cost_savings, totals.one_time, totals.entries) == (D("0.00"), D("0.00"), D("0"), 0)


def test_ledger_totals_of_filtered_rows(ledger):
    slack_rows = selectors.ledger_queryset({"application": ledger.slack.pk})
    # 1,200.00 + 416.66 + 250.50 − 416.66: the reversal carries the application of the entry it reverses.
    assert selectors.ledger_totals(slack_rows).total == D("1450.50")
    eur_2026 = selectors.ledger_queryset({"date_from": "2026-01-01", "kind": LedgerKind.COST_AVOIDANCE})
    assert selectors.ledger_totals(eur_2026).total == D("1450.50")


def _rows(summary):
    return [(row.label, row.total, row.entries) for row in summary]


def test_summary_by_kind_and_recurrence(ledger, django_assert_num_queries):
    with django_assert_num_queries(1):
        by_kind = selectors.ledger_summary(by="kind")
    assert _rows(by_kind) == [("Cost savings", D("1750.00"), 4), ("Cost avoidance", D("1450.50"), 2)]
    assert by_kind[0].params == {"kind": LedgerKind.COST_SAVINGS}
    assert (by_kind[0].cost_savings, by_kind[0].cost_avoidance) == (D("1750.00"), D("0.00"))
    assert _rows(selectors.ledger_summary(by="recurrence")) == [
        ("Annual recurring", D("2950.00"), 3),
        ("One-time", D("250.50"), 3),
    ]


def test_summary_by_category_application_and_department(ledger):
    assert _rows(selectors.ledger_summary(by="category")) == [
        ("Design", D("1750.00"), 2),
        ("Collaboration", D("1450.50"), 4),
    ]
    by_application = selectors.ledger_summary(by="application")
    assert _rows(by_application) == [("Figma", D("1750.00"), 2), ("Slack", D("1450.50"), 4)]
    assert by_application[1].params == {"application": ledger.slack.pk}
    # The department of the spend is the contract's; the credit and its reversal have no contract.
    by_department = selectors.ledger_summary(by="department")
    assert _rows(by_department) == [
        ("Sales", D("1750.00"), 2),
        ("Engineering", D("1450.50"), 2),
        ("No department", D("0.00"), 2),
    ]
    assert by_department[2].params == {}


def test_wins_by_person_and_team(ledger, django_assert_num_queries):
    with django_assert_num_queries(2):
        people, teams = selectors.wins_by_person(), selectors.wins_by_team()
    assert _rows(people) == [("Bob Baker", D("1750.00"), 2), ("Alice Archer", D("1450.50"), 4)]
    assert people[0].params == {"credited_user": ledger.bob.pk}
    assert _rows(teams) == [("Sales", D("1750.00"), 2), ("Engineering", D("1450.50"), 4)]


def test_summary_by_month_is_oldest_first_and_drills_down_to_the_month(ledger):
    by_month = selectors.ledger_summary(by="month")
    assert _rows(by_month) == [
        ("2025-12", D("550.00"), 1),
        ("2026-01", D("1200.00"), 1),
        ("2026-02", D("1200.00"), 3),  # 1,200.00 + 416.66 − 416.66
        ("2026-03", D("250.50"), 1),
    ]
    assert by_month[1].key == date(2026, 1, 1)
    assert by_month[1].params == {"date_from": "2026-01-01", "date_to": "2026-01-31"}
    february = selectors.ledger_queryset(by_month[2].params)
    assert selectors.ledger_totals(february).total == D("1200.00")


def test_summary_refuses_an_unknown_grouping():
    with pytest.raises(ValueError, match="Unknown grouping 'vendor'"):
        selectors.ledger_summary(by="vendor")


def test_every_grouping_adds_up_to_the_total(ledger):
    for by in selectors.SUMMARY_BY:
        assert sum(row.total for row in selectors.ledger_summary(by=by)) == D("3200.50"), by


def test_the_reversal_filter(ledger):
    only = selectors.ledger_queryset({"reversals": "only"})
    assert list(only) == [ledger.entries[5]]
    hidden = selectors.ledger_queryset({"reversals": "hide"})
    assert ledger.entries[2] not in hidden and ledger.entries[5] not in hidden
    # Hiding a reversed entry together with its reversal changes no total.
    assert selectors.ledger_totals(hidden).total == D("3200.50")
    assert selectors.ledger_totals(only).total == D("-416.66")


def test_person_team_department_category_and_recurrence_filters(ledger):
    def total(**filters):
        return selectors.ledger_totals(selectors.ledger_queryset(filters)).total

    assert total(credited_user=ledger.bob.pk) == D("1750.00")
    assert total(credited_team=ledger.engineering.pk) == D("1450.50")
    assert total(department=ledger.sales.pk) == D("1750.00")
    assert total(category=ledger.figma.category_id) == D("1750.00")
    assert total(recurrence=Recurrence.ONE_TIME) == D("250.50")
    assert total(q="outage") == D("0.00")  # the credit and its reversal ("Reversal of #3: Slack: outage credit")
    assert total(action=ledger.entries[0].action_id) == D("1200.00")


def test_invalid_filters_raise_with_the_field_and_why():
    with pytest.raises(ValidationError) as error:
        selectors.ledger_queryset({"date_from": "31/12/2026", "kind": "windfall"})
    assert set(error.value.message_dict) == {"date_from", "kind"}
    assert "Enter a valid date." in error.value.message_dict["date_from"]


@pytest.mark.parametrize(
    ("preset", "first", "last"),
    [
        (THIS_MONTH, date(2026, 2, 1), date(2026, 2, 28)),
        (LAST_MONTH, date(2026, 1, 1), date(2026, 1, 31)),
        (THIS_QUARTER, date(2026, 1, 1), date(2026, 3, 31)),
        (LAST_QUARTER, date(2025, 10, 1), date(2025, 12, 31)),
        (THIS_FISCAL_YEAR, date(2025, 4, 1), date(2026, 3, 31)),
        (LAST_FISCAL_YEAR, date(2024, 4, 1), date(2025, 3, 31)),
        (LAST_12_MONTHS, date(2025, 3, 1), date(2026, 2, 28)),
    ],
)
def test_period_presets_follow_the_fiscal_year(settings, preset, first, last):
    settings.FISCAL_YEAR_START_MONTH = 4
    assert period_range(preset, date(2026, 2, 15)) == (first, last)


def test_fiscal_quarters_start_with_the_fiscal_year(settings):
    settings.FISCAL_YEAR_START_MONTH = 2
    assert fiscal_year_start(date(2026, 1, 31)) == date(2025, 2, 1)
    assert period_range(THIS_QUARTER, date(2026, 1, 31)) == (date(2025, 11, 1), date(2026, 1, 31))
    settings.FISCAL_YEAR_START_MONTH = 1
    assert period_range(THIS_QUARTER, date(2026, 11, 22)) == (date(2026, 10, 1), date(2026, 12, 31))
    assert period_range(THIS_FISCAL_YEAR, date(2026, 11, 22)) == (date(2026, 1, 1), date(2026, 12, 31))


def test_the_period_filter_uses_today():
    today = timezone.localdate()
    this_month = LedgerEntryFactory(amount="100.00", effective_date=today.replace(day=1))
    LedgerEntryFactory(amount="900.00", effective_date=today.replace(day=1) - timedelta(days=1))
    rows = selectors.ledger_queryset({"period": THIS_MONTH})
    assert list(rows) == [this_month]
    assert selectors.ledger_totals(selectors.ledger_queryset({"period": LAST_12_MONTHS})).total == D("1000.00")


def test_ledger_totals_run_one_query_whatever_the_rows(django_assert_num_queries):
    for _ in range(30):
        LedgerEntryFactory(amount="10.00")
    with django_assert_num_queries(1):
        assert selectors.ledger_totals(selectors.ledger_queryset({"kind": LedgerKind.COST_SAVINGS})).total == D(
            "300.00"
        )
    with django_assert_num_queries(1):
        assert len(selectors.ledger_summary(by="application")) == 30


# Opportunities


def _opportunity(kind=OpportunityKind.RECLAIM, status=OpportunityStatus.OPEN, savings="360.00", seen=None):
    return OpportunityFactory(
        kind=kind,
        status=status,
        estimated_annual_savings_local=D(savings) if savings is not None else None,
        estimated_annual_savings=D(savings) if savings is not None else None,
        first_seen_at=seen or timezone.now(),
    )


def test_opportunity_totals_keep_risk_apart(django_assert_num_queries):
    _opportunity(savings="360.00")
    _opportunity(kind=OpportunityKind.RIGHT_SIZE, savings="1000.00")
    _opportunity(status=OpportunityStatus.IN_PROGRESS, savings="240.00")
    _opportunity(kind=OpportunityKind.TRUE_UP_RISK, savings="500.00")
    _opportunity(savings=None)  # unpriced: counted, not summed
    _opportunity(status=OpportunityStatus.DISMISSED, savings="9999.00")
    _opportunity(status=OpportunityStatus.DONE, savings="8888.00")
    _opportunity(status=OpportunityStatus.CLOSED, savings="7777.00")
    with django_assert_num_queries(1):
        totals = selectors.opportunity_totals()
    assert totals.as_dict() == {
        "currency": "USD",
        "open": D("1360.00"),
        "in_progress": D("240.00"),
        "identified": D("1600.00"),
        "risk": D("500.00"),
        "open_count": 3,
        "in_progress_count": 1,
        "risk_count": 1,
        "unpriced": 1,
    }


def test_opportunity_filters():
    reclaim = _opportunity()
    risk = _opportunity(kind=OpportunityKind.TRUE_UP_RISK)
    dismissed = _opportunity(status=OpportunityStatus.DISMISSED)
    assert set(selectors.opportunity_queryset({"impact": "risk"})) == {risk}
    assert set(selectors.opportunity_queryset({"impact": "savings", "status": ["active"]})) == {reclaim}
    assert set(selectors.opportunity_queryset({"status": ["dismissed"]})) == {dismissed}
    with pytest.raises(ValidationError) as error:
        selectors.opportunity_queryset({"due_before": "soon"})
    assert list(error.value.message_dict) == ["due_before"]


def test_savings_by_month_for_the_savings_center(ledger, django_assert_num_queries):
    at = timezone.make_aware
    _opportunity(savings="360.00", seen=at(datetime(2026, 2, 3, 9)))
    _opportunity(savings="140.00", seen=at(datetime(2026, 2, 27, 9)))
    _opportunity(status=OpportunityStatus.IN_PROGRESS, savings="240.00", seen=at(datetime(2026, 3, 1, 9)))
    _opportunity(kind=OpportunityKind.TRUE_UP_RISK, savings="500.00", seen=at(datetime(2026, 3, 1, 9)))
    _opportunity(savings="75.00", seen=at(datetime(2025, 1, 10, 9)))  # older than the 12 months shown
    with django_assert_num_queries(2):
        months = selectors.savings_by_month(months=12, today=date(2026, 3, 20))
    assert [m.label for m in months][:2] == ["2025-04", "2025-05"] and months[-1].label == "2026-03"
    assert len(months) == 12
    shown = {m.label: (m.identified, m.in_progress, m.realized) for m in months if any((m.identified, m.realized))}
    assert shown == {
        "2025-12": (D("0.00"), D("0.00"), D("550.00")),
        "2026-01": (D("0.00"), D("0.00"), D("1200.00")),
        "2026-02": (D("500.00"), D("0.00"), D("1200.00")),
        "2026-03": (D("0.00"), D("240.00"), D("250.50")),
    }
    assert months[-1].ledger_params == {"date_from": "2026-03-01", "date_to": "2026-03-31"}


def test_roi_is_realized_over_program_cost(settings):
    assert selectors.roi(D("3200.50"), D("10000")) == D("0.32")
    assert selectors.roi(D("45000.00"), D("12000.00")) == D("3.75")
    assert selectors.roi(D("3200.50"), D("0")) is None
    settings.SAVINGS_PROGRAM_ANNUAL_COST = D("800")
    assert selectors.roi(D("3200.50")) == D("4.00")
    settings.SAVINGS_PROGRAM_ANNUAL_COST = D("0")
    assert selectors.roi(D("3200.50")) is None
