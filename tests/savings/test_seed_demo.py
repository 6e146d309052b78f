"""``manage.py seed_demo``: the same company for the same seed, idempotent, and one login per role."""

import re
from datetime import date
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from licenses.models import IdentityReview, LicensePool, NameReview
from renewals.models import Contract, Renewal
from saasmgr.core.choices import Role
from saasmgr.core.models import FxRate
from saasmgr.inventory.models import Application, Category, Department, Person, PersonAlias, Vendor, VendorAlias
from tests.factories import UserFactory
from tests.renewals.test_demo import contracts_snapshot

pytestmark = pytest.mark.django_db

TODAY = "2026-03-15"


def seed(*args: str) -> str:
    return seed_on(TODAY, *args)


def seed_on(today: str, *args: str) -> str:
    out = StringIO()
    call_command("seed_demo", "--today", today, *args, stdout=out)
    return out.getvalue()


def rates_snapshot() -> list[tuple]:
    return sorted(FxRate.objects.values_list("currency", "date", "rate", "source"))


def created_total(output: str) -> int:
    return int(re.search(r"Created (\d+) rows", output).group(1))


def inventory_snapshot() -> dict[str, list[tuple]]:
    """Every seeded row by its natural keys, sorted: equal snapshots mean equal data."""
    return {
        "categories": sorted(Category.objects.values_list("name", "description")),
        "departments": sorted(Department.objects.values_list("name", "parent__name", "cost_centre")),
        "vendors": sorted(Vendor.objects.values_list("name", "website")),
        "vendor aliases": sorted(VendorAlias.objects.values_list("vendor__name", "alias")),
        "people": sorted(
            Person.objects.values_list(
                "email",
                "employee_id",
                "name",
                "job_title",
                "department__name",
                "manager__email",
                "status",
                "employment_type",
                "start_date",
                "termination_date",
            )
        ),
        "person aliases": sorted(PersonAlias.objects.values_list("person__email", "kind", "value")),
        "applications": sorted(
            Application.objects.values_list(
                "name",
                "vendor__name",
                "category__name",
                "status",
                "discovery_source",
                "first_seen",
                "business_owner__email",
                "it_owner__email",
                "website",
            )
        ),
    }


def delete_inventory() -> None:
    """Everything seed_demo writes except the logins (license pools and contracts first: they protect their
    applications and vendors)."""
    for model in (NameReview, IdentityReview, LicensePool):
        model.objects.all().delete()
    Contract.objects.all().delete()
    FxRate.objects.all().delete()
    for model in (PersonAlias, VendorAlias, Application, Vendor, Category):
        model.objects.all().delete()
    Person.objects.update(manager=None)
    Person.objects.all().delete()
    Department.objects.filter(parent__isnull=False).delete()
    Department.objects.all().delete()


def test_the_same_seed_loads_the_same_data_into_an_empty_database():
    seed("--seed", "5")
    first, first_contracts, first_rates = inventory_snapshot(), contracts_snapshot(), rates_snapshot()
    delete_inventory()
    assert Person.objects.count() == Contract.objects.count() == 0

    seed("--seed", "5")

    assert inventory_snapshot() == first
    assert contracts_snapshot() == first_contracts
    assert rates_snapshot() == first_rates
    assert len(first["people"]) == 300
    assert len(first_contracts["contracts"]) == 45


def test_a_different_seed_loads_different_data():
    seed("--seed", "5")
    first = inventory_snapshot()
    first_contracts, first_rates = contracts_snapshot(), rates_snapshot()
    delete_inventory()

    seed("--seed", "6")
    second = inventory_snapshot()

    assert second["people"] != first["people"]
    assert second["applications"] != first["applications"]
    assert contracts_snapshot()["line items"] != first_contracts["line items"]
    assert contracts_snapshot()["renewals"] != first_contracts["renewals"]
    assert rates_snapshot() != first_rates
    # The skeleton of the company is the same: departments and categories do not depend on the seed.
    assert second["departments"] == first["departments"]


def test_a_second_run_creates_nothing_and_says_so():
    first_output = seed()
    counts, contracts, rates = inventory_snapshot(), contracts_snapshot(), rates_snapshot()

    second_output = seed()

    assert created_total(first_output) > 300
    assert "300 people" in first_output and "5 demo users" in first_output
    assert "205 exchange rates" in first_output and "45 contracts" in first_output
    assert f"{len(contracts['line items'])} line items" in first_output
    assert f"{len(contracts['renewals'])} renewals" in first_output
    assert created_total(second_output) == 0
    assert "0 people" in second_output and "0 contracts" in second_output
    assert "everything was already there" in second_output
    assert inventory_snapshot() == counts
    assert contracts_snapshot() == contracts
    assert rates_snapshot() == rates
    assert get_user_model().objects.count() == 5


def test_a_run_on_a_later_day_adds_only_the_new_months_exchange_rates():
    seed()
    contracts, rates = contracts_snapshot(), rates_snapshot()

    output = seed_on("2026-05-02")

    assert "0 contracts" in output and "10 exchange rates" in output  # April and May, five currencies
    assert contracts_snapshot() == contracts
    added = set(rates_snapshot()) - set(rates)
    assert set(rates) <= set(rates_snapshot())  # the months already stored keep their rates
    assert {(currency, day) for currency, day, _rate, _source in added} == {
        (currency, date(2026, month, 1)) for currency in ("EUR", "GBP", "CAD", "AUD", "JPY") for month in (4, 5)
    }


def test_small_seeds_contracts_that_fill_the_pipeline_with_every_figure_in_the_reporting_currency():
    seed()

    assert Contract.objects.count() == 45
    assert not Contract.objects.filter(annual_value_reporting=None).exists()
    assert Contract.objects.filter(owner__username="procurement").count() > 45 / 2
    stages = set(Renewal.objects.values_list("stage", flat=True))
    assert stages == {"upcoming", "in_review", "negotiating", "decided", "closed"}


def test_small_loads_the_declared_company():
    output = seed("--size", "small")

    assert (Person.objects.count(), Application.objects.count(), Department.objects.count()) == (300, 60, 15)
    assert Person.objects.filter(status="terminated").count() == 24
    assert "Demo company: size small, seed 1, today 2026-03-15" in output


def test_each_role_has_a_demo_login_with_the_documented_password():
    seed()

    for role in Role.values:
        user = get_user_model().objects.get(username=role)
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert Client().login(username=role, password=f"demo-{role}"), role
    admin = get_user_model().objects.get(username="admin")
    assert (admin.is_staff, admin.is_superuser) == (True, False)
    assert get_user_model().objects.filter(is_staff=True).count() == 1


def test_the_output_ends_with_the_url_and_the_login_of_each_role(settings):
    settings.SITE_URL = "https://saasmgr.example:8443/"

    output = seed()

    assert "Open https://saasmgr.example:8443/ and log in as:" in output
    rows = re.findall(r"^  (.+?)\s{2,}(\S+)\s{2,}(\S+)$", output, flags=re.MULTILINE)
    assert rows[1:] == [(str(label), value, f"demo-{value}") for value, label in Role.choices]


def test_an_existing_user_is_left_untouched_and_its_changed_password_is_flagged():
    UserFactory(username="it", password="my-own-secret", roles=[])

    output = seed()

    user = get_user_model().objects.get(username="it")
    assert user.check_password("my-own-secret")
    assert not user.groups.exists()
    assert "(changed; no longer demo-it)" in output
    assert "4 demo users" in output


def test_production_refuses_without_the_explicit_flag_and_writes_nothing(settings):
    settings.PRODUCTION = True

    with pytest.raises(CommandError, match="--allow-production"):
        seed()

    assert Person.objects.count() == Contract.objects.count() == FxRate.objects.count() == 0
    assert get_user_model().objects.count() == 0


def test_production_seeds_with_the_explicit_flag(settings):
    settings.PRODUCTION = True

    seed("--allow-production")

    assert Person.objects.count() == 300
    assert get_user_model().objects.filter(username__in=Role.values).count() == 5


def test_a_malformed_today_is_refused_with_the_expected_format():
    with pytest.raises(CommandError, match="2025-01-31"):
        call_command("seed_demo", "--today", "15/03/2026", stdout=StringIO())

    assert Person.objects.count() == 0


def test_no_demo_page_warns_of_a_missing_exchange_rate():
    seed()
    client = Client()
    assert client.login(username="procurement", password="demo-procurement")
    pages = [reverse("renewals:pipeline"), reverse("renewals:at_risk"), reverse("renewals:contract_list")]
    pages += [contract.get_absolute_url() for contract in Contract.objects.all()]
    pages += [renewal.get_absolute_url() for renewal in Renewal.objects.all()]

    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        assert "rate missing" not in html and "rate on or before" not in html, page
    assert len(pages) == 3 + 45 + 48
