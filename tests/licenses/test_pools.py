"""License pools follow the per-seat line items of contracts (through ``contract_terms_changed``), a pool
entered by hand is saved with its reporting cost, the inactivity threshold falls back pool → application →
global default, and ending assignments keeps the ended ones as they were."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from licenses.models import Assignment, LicensePool
from licenses.selectors import threshold_source
from licenses.services import assignment_end, license_pool_save
from renewals.choices import ContractStatus, PricingModel
from renewals.services import contract_save
from saasmgr.core.choices import BillingPeriod
from saasmgr.core.services import fx_rate_upsert
from tests.factories import ApplicationFactory, PersonFactory, VendorFactory
from tests.licenses.factories import AssignmentFactory, LicensePoolFactory
from tests.renewals.factories import ContractFactory, seat_line

pytestmark = pytest.mark.django_db


def pool_of(contract, sku: str = "Enterprise seat") -> LicensePool:
    return LicensePool.objects.get(line_item__contract=contract, line_item__sku=sku)


# A contract's per-seat line items make its pools


def test_a_monthly_per_seat_line_item_makes_a_pool_with_the_annual_unit_cost():
    app = ApplicationFactory(name="Figma")
    contract = ContractFactory(
        applications=[app],
        line_items=[seat_line(quantity="25", unit_price="10.00", billing_period=BillingPeriod.MONTHLY)],
    )

    pool = pool_of(contract)

    assert pool.application == app
    assert pool.name == "Enterprise seat"
    assert pool.purchased_quantity == 25
    assert pool.currency == "USD"
    assert pool.annual_unit_cost == Decimal("120.0000")  # 10.00 × 12
    assert pool.annual_unit_cost_reporting == Decimal("120.0000")


@pytest.mark.parametrize(
    ("period", "unit_price", "annual"),
    [
        (BillingPeriod.QUARTERLY, "30.00", "120.0000"),  # × 4
        (BillingPeriod.SEMIANNUAL, "45.50", "91.0000"),  # × 2
        (BillingPeriod.ANNUAL, "99.99", "99.9900"),
    ],
)
def test_other_billing_periods_are_annualised(period, unit_price, annual):
    contract = ContractFactory(line_items=[seat_line(unit_price=unit_price, billing_period=period)])
    assert pool_of(contract).annual_unit_cost == Decimal(annual)


def test_a_prepaid_term_price_is_spread_over_the_term_months():
    contract = ContractFactory(
        start_date=date(2025, 1, 1),
        end_date=date(2027, 12, 31),  # 36 months
        line_items=[seat_line(unit_price="3600.00", billing_period=BillingPeriod.TERM)],
    )
    assert pool_of(contract).annual_unit_cost == Decimal("1200.0000")  # 3600 ÷ 36 × 12


def test_a_foreign_currency_pool_is_converted_at_the_rate_on_the_terms_start():
    fx_rate_upsert(currency="EUR", on_date=date(2024, 12, 1), rate=Decimal("1.085"))
    fx_rate_upsert(currency="EUR", on_date=date(2025, 2, 1), rate=Decimal("1.500"))  # after the start: not used
    contract = ContractFactory(currency="EUR", start_date=date(2025, 1, 1), line_items=[seat_line(unit_price="100.00")])

    pool = pool_of(contract)

    assert pool.currency == "EUR"
    assert pool.annual_unit_cost == Decimal("100.0000")
    assert pool.annual_unit_cost_reporting == Decimal("108.5000")


def test_without_a_rate_the_reporting_cost_is_empty_until_one_is_added(django_capture_on_commit_callbacks):
    contract = ContractFactory(currency="GBP", start_date=date(2025, 1, 1), line_items=[seat_line(unit_price="80.00")])
    assert pool_of(contract).annual_unit_cost == Decimal("80.0000")
    assert pool_of(contract).annual_unit_cost_reporting is None

    with django_capture_on_commit_callbacks(execute=True):  # rates are announced once they are committed
        fx_rate_upsert(currency="GBP", on_date=date(2025, 1, 1), rate=Decimal("1.25"))

    assert pool_of(contract).annual_unit_cost_reporting == Decimal("100.0000")


def test_editing_the_line_item_updates_the_same_pool():
    contract = ContractFactory(line_items=[seat_line(quantity="10", unit_price="100.00")])
    pool = pool_of(contract)

    contract_save(contract=contract, line_items=[seat_line(quantity="14", unit_price="90.00")])

    pool.refresh_from_db()
    assert pool_of(contract).pk == pool.pk
    assert pool.purchased_quantity == 14
    assert pool.annual_unit_cost == Decimal("90.0000")
    assert LicensePool.objects.count() == 1


def test_a_line_item_that_is_not_per_seat_makes_no_pool():
    ContractFactory(
        line_items=[
            {
                "sku": "Platform fee",
                "pricing_model": PricingModel.PLATFORM_FEE,
                "quantity": Decimal("1"),
                "unit_price": Decimal("5000.00"),
                "billing_period": BillingPeriod.ANNUAL,
            },
            {
                "sku": "Support",
                "pricing_model": PricingModel.FLAT,
                "quantity": Decimal("1"),
                "unit_price": Decimal("1000.00"),
                "billing_period": BillingPeriod.ANNUAL,
            },
        ]
    )
    assert LicensePool.objects.count() == 0


def test_a_line_item_that_stops_being_per_seat_leaves_its_pool_with_no_seats():
    contract = ContractFactory(line_items=[seat_line(quantity="10")])
    pool = pool_of(contract)

    contract_save(contract=contract, line_items=[seat_line(quantity="10", pricing_model=PricingModel.FLAT)])

    pool.refresh_from_db()
    assert pool.purchased_quantity == 0


def test_a_cancelled_contracts_pool_holds_no_seats_but_keeps_its_assignments():
    contract = ContractFactory(line_items=[seat_line(quantity="10")])
    assignment = AssignmentFactory(pool=pool_of(contract))

    contract.status = ContractStatus.CANCELLED
    contract_save(contract=contract)

    pool = pool_of(contract)
    assert pool.purchased_quantity == 0
    assert pool.annual_unit_cost == Decimal("100.0000")
    assert list(pool.assignments.all()) == [assignment]


def test_two_contracts_with_the_same_sku_for_one_application_get_two_pools():
    vendor = VendorFactory()
    app = ApplicationFactory(vendor=vendor, name="Slack")
    first = ContractFactory(number="CT-A", vendor=vendor, applications=[app], line_items=[seat_line(quantity="10")])
    second = ContractFactory(number="CT-B", vendor=vendor, applications=[app], line_items=[seat_line(quantity="5")])

    pools = {pool.name: pool for pool in LicensePool.objects.filter(application=app)}

    assert set(pools) == {"Enterprise seat", "Enterprise seat (CT-B)"}
    assert pools["Enterprise seat"].line_item.contract == first
    assert pools["Enterprise seat"].purchased_quantity == 10
    assert pools["Enterprise seat (CT-B)"].line_item.contract == second
    assert pools["Enterprise seat (CT-B)"].purchased_quantity == 5


def test_a_pool_entered_by_hand_is_taken_over_by_a_line_item_of_the_same_name():
    app = ApplicationFactory(name="Zoom")
    hand = license_pool_save(
        pool=LicensePool(application=app, name="Business", purchased_quantity=3, annual_unit_cost=Decimal("50"))
    )
    assignment = AssignmentFactory(pool=hand)

    contract = ContractFactory(applications=[app], line_items=[seat_line(sku="Business", quantity="20")])

    pool = LicensePool.objects.get(application=app)
    assert pool.pk == hand.pk
    assert pool.line_item.contract == contract
    assert pool.purchased_quantity == 20
    assert pool.annual_unit_cost == Decimal("100.0000")
    assert list(pool.assignments.all()) == [assignment]


def test_a_bundle_contracts_line_item_goes_to_the_application_its_sku_names():
    vendor = VendorFactory(name="Atlassian")
    jira, confluence = (
        ApplicationFactory(vendor=vendor, name="Jira"),
        ApplicationFactory(vendor=vendor, name="Confluence"),
    )
    contract = ContractFactory(
        vendor=vendor,
        applications=[jira, confluence],
        line_items=[seat_line(sku="Confluence Standard"), seat_line(sku="Jira Premium")],
    )
    assert pool_of(contract, "Confluence Standard").application == confluence
    assert pool_of(contract, "Jira Premium").application == jira


# Pools entered by hand


def test_a_pool_entered_by_hand_gets_its_reporting_cost_at_todays_rate():
    fx_rate_upsert(currency="EUR", on_date=date(2020, 1, 1), rate=Decimal("1.10"))
    pool = license_pool_save(
        pool=LicensePool(
            application=ApplicationFactory(),
            name="Pro",
            purchased_quantity=4,
            currency="EUR",
            annual_unit_cost=Decimal("200.0000"),
        )
    )
    pool.refresh_from_db()
    assert pool.annual_unit_cost_reporting == Decimal("220.0000")
    assert pool.line_item is None


def test_a_pool_entered_by_hand_follows_new_rates_of_its_currency(django_capture_on_commit_callbacks):
    pool = license_pool_save(
        pool=LicensePool(application=ApplicationFactory(), name="Pro", currency="CHF", annual_unit_cost=Decimal("10"))
    )
    assert pool.annual_unit_cost_reporting is None

    with django_capture_on_commit_callbacks(execute=True):
        fx_rate_upsert(currency="CHF", on_date=date(2020, 1, 1), rate=Decimal("1.2"))

    pool.refresh_from_db()
    assert pool.annual_unit_cost_reporting == Decimal("12.0000")


def test_a_second_pool_of_the_same_name_is_refused_and_nothing_is_written():
    app = ApplicationFactory()
    LicensePoolFactory(application=app, name="Pro")
    with pytest.raises(ValidationError) as caught:
        license_pool_save(pool=LicensePool(application=app, name="Pro", purchased_quantity=1))
    assert "already exists" in str(caught.value)
    assert LicensePool.objects.filter(application=app).count() == 1


# Thresholds


def test_the_threshold_is_the_pools_own_else_the_applications_else_the_global_default(settings):
    settings.LICENSE_INACTIVITY_DAYS = 60
    app = ApplicationFactory(inactivity_days=None)
    pool = LicensePoolFactory(application=app, inactivity_days=None)
    assert pool.threshold_days == 60
    assert threshold_source(pool) == "the global default (LICENSE_INACTIVITY_DAYS)"

    app.inactivity_days = 45
    assert pool.threshold_days == 45
    assert threshold_source(pool) == "set on the application"

    pool.inactivity_days = 14
    assert pool.threshold_days == 14
    assert threshold_source(pool) == "set on this pool"

    settings.LICENSE_INACTIVITY_DAYS = 90
    pool.inactivity_days = app.inactivity_days = None
    assert pool.threshold_days == 90


# Ending assignments


def test_ending_assignments_ends_the_current_ones_only():
    pool = LicensePoolFactory()
    current = AssignmentFactory(pool=pool, assigned_on=date(2024, 1, 1))
    started_later = AssignmentFactory(pool=pool, assigned_on=date(2024, 8, 1))
    ended = AssignmentFactory(pool=pool, assigned_on=date(2023, 1, 1), unassigned_on=date(2023, 6, 30))

    count = assignment_end(assignments=[current, started_later, ended], on=date(2024, 7, 1))

    assert count == 2
    values = dict(Assignment.objects.values_list("pk", "unassigned_on"))
    assert values[current.pk] == date(2024, 7, 1)
    assert values[started_later.pk] == date(2024, 8, 1)  # never before it started
    assert values[ended.pk] == date(2023, 6, 30)


def test_an_assignment_of_an_unknown_person_can_be_ended():
    pool = LicensePoolFactory()
    orphan = AssignmentFactory(pool=pool, person=None, account="svc-build", assigned_on=None)
    assert assignment_end(assignments=[orphan], on=date(2024, 7, 1)) == 1
    orphan.refresh_from_db()
    assert orphan.unassigned_on == date(2024, 7, 1)
    assert PersonFactory._meta.model.objects.count() == 0
