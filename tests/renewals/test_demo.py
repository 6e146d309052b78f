"""Demo contracts: the generator (pure) and the loader (services, or bulk with the same stored values)."""

import dataclasses
import hashlib
import os
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from renewals import demo_catalogue
from renewals.choices import ContractStatus, PricingModel, RenewalDecision, RenewalStage
from renewals.demo import (
    DEMO_CONTRACT_COUNTS,
    PIPELINE_CHANGE_REASON,
    Scenario,
    demo_contracts_build,
    demo_contracts_load,
)
from renewals.models import Contract, LineItem, Renewal
from renewals.pricing import contract_values
from renewals.selectors import at_risk_renewals
from saasmgr.core.choices import BillingPeriod
from saasmgr.core.demo import demo_fx_rates_build, demo_fx_rates_load, demo_users_ensure
from saasmgr.core.money import convert, months_between
from saasmgr.core.selectors import fx_rate_on
from saasmgr.inventory.choices import ApplicationStatus, PersonStatus
from saasmgr.inventory.demo import DEMO_PROFILES, SEED_CHANGE_REASON, demo_company_build, demo_inventory_load
from saasmgr.inventory.models import Vendor
from tests.conftest import REPO_ROOT
from tests.factories import VendorFactory
from tests.renewals.factories import ContractFactory, seat_line

TODAY = date(2026, 3, 15)
SMALL = DEMO_PROFILES["small"]
SMALL_COUNT = DEMO_CONTRACT_COUNTS["small"]
# The enterprise shape (long-tail products, every department) at a size a test can load.
ENTERPRISE_SCALED_DOWN = dataclasses.replace(DEMO_PROFILES["enterprise"], people=2_500, applications=150)
AT_RISK_WINDOW = timedelta(days=30)


@pytest.fixture(scope="module")
def company():
    return demo_company_build(seed=7, profile=SMALL, today=TODAY)


@pytest.fixture(scope="module")
def contracts(company):
    return demo_contracts_build(seed=7, company=company, count=SMALL_COUNT, today=TODAY)


def build(seed: int, today: date = TODAY):
    company = demo_company_build(seed=seed, profile=SMALL, today=today)
    return demo_contracts_build(seed=seed, company=company, count=SMALL_COUNT, today=today)


def digest(value) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()


def scenario_counts(contracts) -> Counter:
    return Counter(contract.renewal.scenario for contract in contracts)


# --- Determinism --------------------------------------------------------------


def test_the_same_seed_builds_the_same_contracts_byte_for_byte(contracts):
    again = build(7)

    assert again == contracts
    assert repr(again) == repr(contracts)


def test_the_same_seed_builds_the_same_contracts_in_another_process_with_other_hash_seeds(contracts):
    script = (
        "import django, hashlib; from datetime import date; django.setup();"
        "from saasmgr.inventory.demo import DEMO_PROFILES, demo_company_build;"
        "from renewals.demo import demo_contracts_build;"
        "today = date(2026, 3, 15);"
        "company = demo_company_build(seed=7, profile=DEMO_PROFILES['small'], today=today);"
        "contracts = demo_contracts_build(seed=7, company=company, count=45, today=today);"
        "print(hashlib.sha256(repr(contracts).encode()).hexdigest())"
    )
    digests = set()
    for hash_seed in ("1", "987"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "DJANGO_SETTINGS_MODULE": "saasmgr.settings"}
        result = subprocess.run(
            [sys.executable, "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=True
        )
        digests.add(result.stdout.strip())

    assert digests == {digest(contracts)}


def test_a_different_seed_builds_different_contracts(contracts):
    other = build(8)

    assert [c.line_items for c in other] != [c.line_items for c in contracts]
    assert [(c.number, c.renewal.scenario) for c in other] != [(c.number, c.renewal.scenario) for c in contracts]


def test_a_contract_number_stands_for_the_same_purchase_whatever_today_is(contracts):
    """The number is the natural key: a run on a later day must find the same numbers for the same products."""
    later = demo_contracts_build(
        seed=7,
        company=demo_company_build(seed=7, profile=SMALL, today=TODAY),
        count=SMALL_COUNT,
        today=date(2026, 9, 1),
    )

    assert [(c.number, c.vendor, c.applications) for c in later] == [
        (c.number, c.vendor, c.applications) for c in contracts
    ]


# --- Shape of the small company's contracts ---------------------------------------


def test_small_has_45_numbered_contracts_for_most_sanctioned_apps(company, contracts):
    sanctioned = {app.name: app for app in company.applications if app.status == ApplicationStatus.SANCTIONED}
    covered = {name for contract in contracts for name in contract.applications}

    assert [c.number for c in contracts] == [f"C-{n:04d}" for n in range(1, 46)]
    assert covered <= set(sanctioned)
    assert len(covered) >= 0.8 * len(sanctioned)
    for contract in contracts:
        assert {sanctioned[name].vendor for name in contract.applications} == {contract.vendor}


def test_contracts_cover_one_to_four_apps_mostly_one_and_some_vendors_have_several(contracts):
    sizes = Counter(len(contract.applications) for contract in contracts)
    per_vendor = Counter(contract.vendor for contract in contracts)

    assert set(sizes) <= {1, 2, 3, 4}
    assert sizes[1] > len(contracts) / 2
    assert len(sizes) > 1
    assert max(per_vendor.values()) >= 2


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_every_pricing_model_and_a_one_time_fee_and_one_prepaid_multi_year_contract(seed):
    contracts = build(seed)
    items = [item for contract in contracts for item in contract.line_items]
    prepaid = [c for c in contracts if c.billing_frequency == BillingPeriod.TERM]

    assert {item.pricing_model for item in items} == set(PricingModel.values)
    assert any(item.billing_period == BillingPeriod.ONE_TIME for item in items)
    assert len(prepaid) == 1
    (contract,) = prepaid
    assert months_between(contract.start_date, contract.end_date) == 36
    assert contract.renewal.scenario == Scenario.UPCOMING
    assert {item.billing_period for item in contract.line_items} <= {BillingPeriod.TERM, BillingPeriod.ONE_TIME}


def test_line_items_are_realistic_for_their_pricing_model(contracts):
    for contract in contracts:
        skus = [item.sku for item in contract.line_items]
        assert len(skus) == len(set(skus)), contract.number  # unique per contract, as the model demands
        for item in contract.line_items:
            assert item.quantity > 0 and item.unit_price > 0, (contract.number, item)
            if item.pricing_model == PricingModel.USAGE:
                assert item.committed_quantity == item.quantity
                assert item.overage_price >= item.unit_price
            if item.pricing_model == PricingModel.TIERED:
                bounds = [up_to for up_to, _price in item.tiers]
                assert bounds[-1] is None and bounds[:-1] == sorted(bounds[:-1])
                prices = [price for _up_to, price in item.tiers]
                assert prices == sorted(prices, reverse=True)  # volume discounts
            if item.pricing_model in (PricingModel.PLATFORM_FEE, PricingModel.FLAT):
                assert item.quantity == 1
            if item.uplift_cap_pct is not None:
                assert Decimal("3") <= item.uplift_cap_pct <= Decimal("7")
                assert item.billing_period != BillingPeriod.ONE_TIME


def test_company_wide_seats_follow_the_headcount(company, contracts):
    headcount = sum(1 for person in company.people if person.status == PersonStatus.ACTIVE)
    checked = 0
    for contract in contracts:
        if contract.currency != "USD" or len(contract.applications) > 1:
            continue
        (product,) = contract.applications
        for template, item in zip(demo_catalogue.PRODUCT_ITEMS.get(product, ()), contract.line_items, strict=False):
            if template.pricing_model == PricingModel.PER_SEAT and template.per_head >= 0.9:
                expected = headcount * template.per_head
                assert 0.8 * expected <= float(item.quantity) <= 1.2 * expected, (product, item.quantity, expected)
                checked += 1
    assert checked >= 3


def test_currencies_are_mostly_us_dollars_with_a_fifth_in_four_others():
    contracts = [contract for seed in range(1, 11) for contract in build(seed)]
    currencies = Counter(contract.currency for contract in contracts)

    assert set(currencies) == {"USD", "EUR", "GBP", "CAD", "AUD"}
    assert 0.15 <= 1 - currencies["USD"] / len(contracts) <= 0.30


def test_terms_notice_periods_billing_owners_and_auto_renewal_are_mixed(contracts):
    terms = Counter(months_between(c.start_date, c.end_date) for c in contracts)
    owners = Counter(c.owner for c in contracts)

    assert set(terms) <= {12, 24, 36} and terms[12] > len(contracts) / 2 and len(terms) >= 2
    assert {c.notice_days for c in contracts} <= {0, 30, 45, 60, 90}
    assert len({c.notice_days for c in contracts}) >= 4
    assert len({c.billing_frequency for c in contracts}) >= 3
    assert 0.4 <= sum(c.auto_renew for c in contracts) / len(contracts) <= 0.85
    assert owners["procurement"] > len(contracts) / 2
    assert set(owners) - {"procurement"} and set(owners) <= {"procurement", "it", "finance", None}


def test_term_ends_spread_over_the_coming_year_and_no_term_starts_in_the_future(contracts):
    running = [c for c in contracts if c.renewal.scenario != Scenario.CLOSED]
    closed = [c for c in contracts if c.renewal.scenario == Scenario.CLOSED]

    assert all(TODAY < c.end_date <= TODAY + timedelta(days=395) for c in running)
    assert all(c.start_date <= TODAY for c in contracts)
    assert len({(c.end_date.year, c.end_date.month) for c in running}) >= 10
    assert closed and all(TODAY - timedelta(days=45) <= c.end_date < TODAY for c in closed)


def test_the_renewal_scenarios_of_the_small_company(contracts):
    assert scenario_counts(contracts) == {
        Scenario.CLOSED: 3,
        Scenario.LAPSED: 2,
        Scenario.AT_RISK: 3,
        Scenario.DECIDED: 4,
        Scenario.NEGOTIATING: 5,
        Scenario.IN_REVIEW: 5,
        Scenario.UPCOMING: 23,
    }
    for contract in contracts:
        cancel_by = contract.end_date - timedelta(days=contract.notice_days)
        scenario = contract.renewal.scenario
        if scenario == Scenario.LAPSED:
            assert contract.auto_renew and cancel_by < TODAY < contract.end_date
        elif scenario == Scenario.AT_RISK:
            assert TODAY < cancel_by <= TODAY + AT_RISK_WINDOW
        elif scenario in (Scenario.UPCOMING, Scenario.IN_REVIEW, Scenario.NEGOTIATING):
            assert cancel_by > TODAY + AT_RISK_WINDOW, contract.number  # only the chosen few are at risk


def test_some_quotes_are_above_the_uplift_cap_and_some_within(company):
    capped = []
    for seed in (1, 2, 3):
        for contract in build(seed):
            caps = {item.uplift_cap_pct for item in contract.line_items} - {None}
            if contract.renewal.quote_uplift_pct is not None and caps:
                capped.append((contract.renewal.quote_uplift_pct, caps.pop(), contract.renewal.notes))

    assert any(quote > cap and "above" in notes for quote, cap, notes in capped)
    assert any(quote <= cap for quote, cap, _notes in capped)


# --- Loading ----------------------------------------------------------------------


def load_company(company, contracts, *, bulk=None) -> dict[str, int]:
    demo_inventory_load(company=company, with_history=False)
    demo_users_ensure()
    demo_fx_rates_load(rates=demo_fx_rates_build(seed=7, today=TODAY, reporting_currency="USD"))
    return demo_contracts_load(contracts=contracts, bulk=bulk)


def contracts_snapshot() -> dict[str, list[tuple]]:
    """Every contract, line item and renewal by natural keys, sorted: equal snapshots mean equal data."""
    return {
        "contracts": sorted(
            Contract.objects.values_list(
                "number",
                "title",
                "vendor__name",
                "department__name",
                "owner__username",
                "status",
                "start_date",
                "end_date",
                "cancel_by",
                "currency",
                "billing_frequency",
                "auto_renew",
                "notice_days",
                "renewal_term_months",
                "annual_value",
                "total_value",
                "annual_value_reporting",
            )
        ),
        "applications": sorted(
            Contract.applications.through.objects.values_list("contract__number", "application__name")
        ),
        "line items": sorted(
            (*row[:-2], str(row[-2]), row[-1])
            for row in LineItem.objects.values_list(
                "contract__number",
                "position",
                "sku",
                "pricing_model",
                "quantity",
                "unit_price",
                "billing_period",
                "committed_quantity",
                "overage_price",
                "tiers",
                "uplift_cap_pct",
            )
        ),
        "renewals": sorted(
            Renewal.objects.values_list(
                "contract__number",
                "term_start",
                "term_end",
                "cancel_by",
                "stage",
                "decision",
                "owner__username",
                "baseline_annual",
                "quote_annual",
                "negotiated_annual",
                "notes",
                "closed_by__username",
            )
        ),
    }


def is_at_risk(renewal: Renewal, today: date) -> bool:
    """The at-risk definition, written out independently of the selector."""
    if renewal.contract.status != ContractStatus.ACTIVE or renewal.stage not in (
        "upcoming",
        "in_review",
        "negotiating",
    ):
        return False
    soon = today <= renewal.cancel_by <= today + AT_RISK_WINDOW and not renewal.decision
    lapsed = renewal.contract.auto_renew and renewal.cancel_by < today
    return soon or lapsed


@pytest.mark.django_db
def test_loading_the_small_company_writes_its_contracts_line_items_and_renewals(company, contracts):
    created = load_company(company, contracts)

    closed = scenario_counts(contracts)[Scenario.CLOSED]
    assert created == {
        "contracts": 45,
        "line items": sum(len(c.line_items) for c in contracts),
        "renewals": 45 + closed,  # a closed renewal's next term has its own
    }
    assert Contract.objects.filter(status=ContractStatus.ACTIVE).count() == 45
    expected_stages = Counter(c.renewal.stage for c in contracts) + Counter({RenewalStage.UPCOMING: closed})
    assert Counter(Renewal.objects.values_list("stage", flat=True)) == expected_stages
    assert expected_stages[RenewalStage.CLOSED] == 3 and expected_stages[RenewalStage.NEGOTIATING] == 5


@pytest.mark.django_db
def test_stored_values_are_those_of_the_pricing_helpers_with_every_rate_present(company, contracts):
    load_company(company, contracts)

    for contract in Contract.objects.prefetch_related("line_items"):
        annual, total = contract_values(
            contract.line_items.all(), term_months=months_between(contract.start_date, contract.end_date)
        )
        assert (contract.annual_value, contract.total_value) == (annual, total), contract.number
        assert contract.cancel_by == contract.end_date - timedelta(days=contract.notice_days)
        assert contract.annual_value_reporting is not None, contract.number
        assert contract.annual_value_reporting == convert(annual, fx_rate_on(contract.currency, contract.start_date))
    assert Contract.objects.exclude(currency="USD").exists()


@pytest.mark.django_db
def test_every_active_contract_has_one_open_renewal_for_its_current_end_date(company, contracts):
    load_company(company, contracts)

    for contract in Contract.objects.filter(status=ContractStatus.ACTIVE):
        (renewal,) = contract.renewals.exclude(stage=RenewalStage.CLOSED)
        assert (renewal.term_start, renewal.term_end, renewal.cancel_by) == (
            contract.start_date,
            contract.end_date,
            contract.cancel_by,
        )


@pytest.mark.django_db
def test_a_few_renewals_are_at_risk_by_the_definition_and_the_selector_agrees(company, contracts):
    load_company(company, contracts)

    renewals = Renewal.objects.select_related("contract")
    at_risk = sorted(r.contract.number for r in renewals if is_at_risk(r, TODAY))
    lapsed = [r for r in renewals if is_at_risk(r, TODAY) and r.cancel_by < TODAY]

    assert len(at_risk) >= 3
    assert at_risk == sorted(c.number for c in contracts if c.renewal.scenario in (Scenario.AT_RISK, Scenario.LAPSED))
    assert len(lapsed) == 2 and all(r.contract.auto_renew for r in lapsed)
    assert sorted(r.contract.number for r in at_risk_renewals(today=TODAY)) == at_risk


@pytest.mark.django_db
def test_renewals_were_moved_by_the_services_with_real_history(company, contracts):
    load_company(company, contracts)
    procurement = get_user_model().objects.get(username="procurement")

    for renewal in Renewal.objects.filter(stage=RenewalStage.CLOSED).select_related("contract"):
        stages = list(renewal.history.order_by("history_date", "history_id").values_list("stage", flat=True))
        assert stages == ["upcoming", "in_review", "negotiating", "decided", "closed"]
        assert renewal.closed_by == procurement and renewal.decision != RenewalDecision.CANCEL
        assert renewal.contract.start_date == renewal.term_end + timedelta(days=1)
        assert renewal.contract.renewals.get(term_end=renewal.contract.end_date).stage == RenewalStage.UPCOMING
        assert renewal.negotiated_annual == renewal.contract.annual_value
    for renewal in Renewal.objects.filter(stage=RenewalStage.DECIDED):
        assert renewal.decision and renewal.decided_at is not None
    for renewal in Renewal.objects.filter(stage=RenewalStage.NEGOTIATING):
        assert renewal.quote_annual > renewal.baseline_annual
    reasons = Counter(Renewal.history.values_list("history_type", "history_change_reason"))
    assert set(reasons) == {("+", SEED_CHANGE_REASON), ("~", PIPELINE_CHANGE_REASON)}


@pytest.mark.django_db
def test_negotiated_quotes_are_the_planned_uplift_over_the_current_annual_value(company, contracts):
    load_company(company, contracts)

    for plan in contracts:
        if plan.renewal.scenario != Scenario.NEGOTIATING:
            continue
        renewal = Renewal.objects.get(contract__number=plan.number)
        uplift = (renewal.quote_annual / renewal.baseline_annual - 1) * 100
        assert abs(uplift - plan.renewal.quote_uplift_pct) < Decimal("0.01"), plan.number


@pytest.mark.django_db
def test_the_bulk_path_stores_exactly_what_contract_save_stores(company, contracts):
    load_company(company, contracts, bulk=False)
    through_the_service = contracts_snapshot()
    Contract.objects.all().delete()

    created = demo_contracts_load(contracts=contracts, bulk=True)

    assert created["contracts"] == 45
    assert contracts_snapshot() == through_the_service


@pytest.mark.django_db
def test_a_second_load_creates_and_changes_nothing(company, contracts):
    load_company(company, contracts)
    before = contracts_snapshot()
    updated = dict(Contract.objects.values_list("number", "updated_at"))

    assert demo_contracts_load(contracts=contracts) == {"contracts": 0, "line items": 0, "renewals": 0}
    assert contracts_snapshot() == before
    assert dict(Contract.objects.values_list("number", "updated_at")) == updated


@pytest.mark.django_db
def test_existing_contracts_are_never_touched_and_missing_vendors_are_skipped(company, contracts):
    demo_inventory_load(company=company, with_history=False)
    real = ContractFactory(number="C-0002", vendor=VendorFactory(name="Real Vendor"), line_items=[seat_line()])
    missing_vendor = contracts[5]
    with_a_vendor = [c for c in contracts if c.vendor != missing_vendor.vendor]
    Vendor.objects.filter(name=missing_vendor.vendor).update(name="Renamed by a person")

    created = demo_contracts_load(contracts=contracts)

    real.refresh_from_db()
    assert (real.vendor.name, real.annual_value, real.line_items.get().sku) == (
        "Real Vendor",
        Decimal("1000.00"),
        "Enterprise seat",
    )
    expected = {c.number for c in with_a_vendor} - {"C-0002"}
    assert created["contracts"] == len(expected)
    assert set(Contract.objects.exclude(pk=real.pk).values_list("number", flat=True)) == expected


@pytest.mark.django_db
def test_the_scaled_down_enterprise_shape_loads_in_bulk_with_long_tail_contracts():
    company = demo_company_build(seed=3, profile=ENTERPRISE_SCALED_DOWN, today=TODAY)
    plans = demo_contracts_build(seed=3, company=company, count=400, today=TODAY)
    long_tail = {app.name for app in company.applications} - set(demo_catalogue.PRODUCT_ITEMS)

    created = load_company(company, plans)

    assert created["contracts"] == 400
    assert any(name in long_tail for plan in plans for name in plan.applications)
    assert max(Counter(plan.vendor for plan in plans).values()) > 2
    assert not Contract.objects.filter(annual_value_reporting=None).exists()
    for contract in Contract.objects.prefetch_related("line_items")[::7]:
        assert (contract.annual_value, contract.total_value) == contract_values(
            contract.line_items.all(), term_months=contract.term_months
        )
        assert contract.renewals.exclude(stage=RenewalStage.CLOSED).get().term_end == contract.end_date
    assert Renewal.objects.filter(stage=RenewalStage.CLOSED).count() == scenario_counts(plans)[Scenario.CLOSED] == 8
