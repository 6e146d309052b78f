"""The demo company generator (pure) and its loader (natural keys, insert only)."""

import dataclasses
import hashlib
import os
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta

import pytest

from saasmgr.inventory.choices import ApplicationStatus, DiscoverySource, EmploymentType, PersonStatus
from saasmgr.inventory.demo import (
    APPLICATION_CATALOGUE,
    DEMO_PROFILES,
    DEPARTMENT_CATALOGUE,
    FEATURED_NAMES,
    SEED_CHANGE_REASON,
    VENDOR_CATALOGUE,
    ascii_slug,
    demo_company_build,
    demo_inventory_load,
)
from saasmgr.inventory.models import Application, Category, Department, Person, PersonAlias, Vendor, VendorAlias
from tests.conftest import REPO_ROOT
from tests.factories import ApplicationFactory, DepartmentFactory, PersonFactory, VendorFactory

TODAY = date(2026, 3, 15)
SMALL = DEMO_PROFILES["small"]
ENTERPRISE = DEMO_PROFILES["enterprise"]
# The enterprise shape (every department, the catalogue plus long-tail products) at a size a test can load.
ENTERPRISE_SCALED_DOWN = dataclasses.replace(ENTERPRISE, people=2_500, applications=150)


@pytest.fixture(scope="module")
def small_company():
    return demo_company_build(seed=7, profile=SMALL, today=TODAY)


def digest(company) -> str:
    return hashlib.sha256(repr(company).encode()).hexdigest()


def shift_dates(company, days: int):
    """The company with every date moved by ``days``, to compare builds anchored on different days."""

    def moved(value):
        return value + timedelta(days=days) if isinstance(value, date) else value

    def shift(record):
        return dataclasses.replace(
            record, **{f.name: moved(getattr(record, f.name)) for f in dataclasses.fields(record)}
        )

    return dataclasses.replace(
        company,
        people=tuple(shift(person) for person in company.people),
        applications=tuple(shift(app) for app in company.applications),
    )


# --- Determinism --------------------------------------------------------------


def test_the_same_seed_builds_the_same_company_byte_for_byte(small_company):
    again = demo_company_build(seed=7, profile=SMALL, today=TODAY)

    assert again == small_company
    assert repr(again) == repr(small_company)


def test_the_same_seed_builds_the_same_company_in_another_process_with_other_hash_seeds(small_company):
    script = (
        "import django, hashlib; from datetime import date; django.setup();"
        "from saasmgr.inventory.demo import DEMO_PROFILES, demo_company_build;"
        "company = demo_company_build(seed=7, profile=DEMO_PROFILES['small'], today=date(2026, 3, 15));"
        "print(hashlib.sha256(repr(company).encode()).hexdigest())"
    )
    digests = set()
    for hash_seed in ("1", "987"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "DJANGO_SETTINGS_MODULE": "saasmgr.settings"}
        result = subprocess.run(
            [sys.executable, "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=True
        )
        digests.add(result.stdout.strip())

    assert digests == {digest(small_company)}


def test_a_different_seed_builds_a_different_company(small_company):
    other = demo_company_build(seed=8, profile=SMALL, today=TODAY)

    assert [p.email for p in other.people] != [p.email for p in small_company.people]
    assert [a.status for a in other.applications] != [a.status for a in small_company.applications]


def test_every_date_is_relative_to_today(small_company):
    ten_days_later = demo_company_build(seed=7, profile=SMALL, today=TODAY + timedelta(days=10))

    assert ten_days_later == shift_dates(small_company, 10)


# --- People -------------------------------------------------------------------


def test_small_has_the_declared_headcount_and_status_mix(small_company):
    people = small_company.people
    statuses = Counter(person.status for person in people)
    types = Counter(person.employment_type for person in people)

    assert len(people) == SMALL.people == 300
    assert statuses[PersonStatus.TERMINATED] == round(300 * 0.08)
    assert statuses[PersonStatus.ON_LEAVE] == round(300 * 0.02)
    assert statuses[PersonStatus.ACTIVE] == 300 - 24 - 6
    assert types[EmploymentType.CONTRACTOR] == round(300 * 0.10)


def test_termination_dates_follow_start_dates_and_only_the_terminated_have_one(small_company):
    for person in small_company.people:
        if person.status == PersonStatus.TERMINATED:
            assert person.start_date <= person.termination_date <= TODAY, person
        else:
            assert person.termination_date is None, person


def test_start_dates_span_the_past_eight_years(small_company):
    starts = [person.start_date for person in small_company.people]

    assert min(starts) == TODAY - timedelta(days=8 * 365)
    assert max(starts) <= TODAY
    # Hiring grew over time, but the years in between are not empty.
    years = Counter(min((TODAY - start).days // 365, 7) for start in starts)  # the founder joined on day one
    assert sorted(years) == list(range(8))


def test_emails_and_employee_ids_are_unique_at_one_domain(small_company):
    emails = [person.email.lower() for person in small_company.people]
    ids = [person.employee_id for person in small_company.people]

    assert len(set(emails)) == len(emails)
    assert {email.split("@")[1] for email in emails} == {"acme-corp.example"}
    assert all(len(email.split("@")[0]) <= 64 and email.isascii() for email in emails)
    assert len(set(ids)) == len(ids)
    contractor_ids = {p.employee_id for p in small_company.people if p.employment_type == EmploymentType.CONTRACTOR}
    assert all(employee_id.startswith("CW") for employee_id in contractor_ids)


def test_managers_form_one_hierarchy_under_the_ceo_without_cycles(small_company):
    manager_of = {person.email: person.manager_email for person in small_company.people}
    by_email = {person.email: person for person in small_company.people}
    tops = [email for email, manager in manager_of.items() if manager is None]

    assert [by_email[top].job_title for top in tops] == ["Chief Executive Officer"]
    for email in manager_of:
        chain, node = [], email
        while node is not None:
            assert node not in chain, f"management cycle through {node}"
            chain.append(node)
            node = manager_of[node]  # KeyError: a manager outside the company
        assert chain[-1] == tops[0]
    # People who manage others are active employees, so nobody reports to someone who left.
    managers = {manager for manager in manager_of.values() if manager}
    assert {(by_email[m].status, by_email[m].employment_type) for m in managers} == {("active", "employee")}


def test_people_are_listed_managers_first(small_company):
    seen: set[str] = set()
    for person in small_company.people:
        assert person.manager_email is None or person.manager_email in seen
        seen.add(person.email)


def test_names_include_non_ascii_apostrophes_and_a_very_long_one(small_company):
    names = {person.name for person in small_company.people}

    assert {"José Müller", "Zoë Ångström", "Nguyễn Thị Minh", "Siobhán O'Connor"} <= names
    assert max(len(name) for name in names) >= 80
    assert sum(not name.isascii() for name in names) >= 30
    assert len(FEATURED_NAMES) == 8 and len(names) > 200  # mostly different people, not one name repeated


def test_email_local_parts_are_ascii_folded_from_the_names(small_company):
    by_name = {person.name: person.email for person in small_company.people}

    assert by_name["José Müller"] == "jose.muller@acme-corp.example"
    assert by_name["Nguyễn Thị Minh"] == "minh.nguyen@acme-corp.example"
    assert by_name["Siobhán O'Connor"] == "siobhan.oconnor@acme-corp.example"
    assert ascii_slug("Guðrún Þórsdóttir") == "gudrunthorsdottir"
    assert ascii_slug("Łukasz Żółkiewski") == "lukaszzolkiewski"


def test_departments_form_a_tree_with_cost_centres(small_company):
    departments = small_company.departments
    names = [department.name for department in departments]

    assert len(departments) == SMALL.departments == 15
    assert all(department.parent is None or department.parent in names for department in departments)
    assert ("Platform", "Engineering") in [(d.name, d.parent) for d in departments]
    assert len({d.cost_centre for d in departments}) == 15
    assert all(d.cost_centre.startswith("CC-") for d in departments)
    staffed = Counter(person.department for person in small_company.people)
    assert set(staffed) == set(names)


# --- Vendors and applications ---------------------------------------------------


def test_applications_use_the_real_catalogue_with_its_core_apps(small_company):
    names = [app.name for app in small_company.applications]
    core = [app[0] for app in APPLICATION_CATALOGUE if app[4]]
    vendors = {vendor.name: vendor for vendor in small_company.vendors}

    assert len(names) == len(set(names)) == SMALL.applications == 60
    assert set(core) <= set(names)
    assert {app.vendor for app in small_company.applications} == set(vendors)
    assert vendors["Salesforce"].aliases == ("SFDC", "salesforce.com inc", "SALESFORCE.COM")
    assert {app.category for app in small_company.applications} <= {c.name for c in small_company.categories}


def test_application_statuses_are_mostly_sanctioned_with_discovered_shadow_it(small_company):
    apps = small_company.applications
    statuses = Counter(app.status for app in apps)
    shadow = [app for app in apps if app.status in (ApplicationStatus.UNSANCTIONED, ApplicationStatus.UNDER_REVIEW)]

    assert statuses[ApplicationStatus.SANCTIONED] > len(apps) / 2
    assert shadow
    shadow_sources = {DiscoverySource.SPEND, DiscoverySource.EXPENSE, DiscoverySource.SSO}
    assert {app.discovery_source for app in shadow} <= shadow_sources
    assert all(app.first_seen >= TODAY - timedelta(days=365) for app in shadow)
    assert [app.status for app in apps if app.name == "LastPass"] == [ApplicationStatus.RETIRED]
    assert all(app.it_owner_email is None for app in apps if app.status == ApplicationStatus.UNSANCTIONED)


def test_application_owners_are_active_employees_of_the_company(small_company):
    people = {person.email: person for person in small_company.people}
    owners = [app.business_owner_email for app in small_company.applications] + [
        app.it_owner_email for app in small_company.applications
    ]
    named = [owner for owner in owners if owner]

    assert len(named) > len(small_company.applications)
    assert {(people[o].status, people[o].employment_type) for o in named} == {("active", "employee")}
    it_owners = {people[app.it_owner_email].department for app in small_company.applications if app.it_owner_email}
    assert it_owners == {"IT"}


def test_the_vendor_catalogue_has_no_alias_twice_and_covers_every_app():
    aliases = [alias.lower() for _website, raw in VENDOR_CATALOGUE.values() for alias in raw]

    assert len(aliases) == len(set(aliases))
    assert {app[1] for app in APPLICATION_CATALOGUE} == set(VENDOR_CATALOGUE)


# --- Enterprise ---------------------------------------------------------------


def test_the_enterprise_profile_has_the_design_scale():
    assert (ENTERPRISE.people, ENTERPRISE.applications) == (50_000, 1_000)
    assert ENTERPRISE.departments == len(DEPARTMENT_CATALOGUE)


def test_the_enterprise_shape_adds_long_tail_products_with_unique_names_and_aliases():
    company = demo_company_build(seed=3, profile=ENTERPRISE_SCALED_DOWN, today=TODAY)
    names = [app.name.lower() for app in company.applications]
    aliases = [alias.lower() for vendor in company.vendors for alias in vendor.aliases]
    long_tail = company.applications[len(APPLICATION_CATALOGUE) :]

    assert len(company.people) == 2_500
    assert len(company.departments) == len(DEPARTMENT_CATALOGUE)
    assert len(names) == len(set(names)) == 150
    assert [app.name for app in company.applications[: len(APPLICATION_CATALOGUE)]] == [
        app[0] for app in APPLICATION_CATALOGUE
    ]
    assert len(long_tail) == 150 - len(APPLICATION_CATALOGUE)
    assert all(app.website.endswith(".example") for app in long_tail)
    assert all(app.name.split()[0] == app.vendor.split()[0] for app in long_tail)
    assert len(aliases) == len(set(aliases))
    assert len({vendor.name for vendor in company.vendors}) == len(company.vendors)


def test_a_profile_needs_a_head_for_every_department():
    with pytest.raises(ValueError, match="cannot fill"):
        demo_company_build(seed=1, profile=dataclasses.replace(ENTERPRISE, people=10), today=TODAY)


# --- Loading --------------------------------------------------------------------


def table_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Category, Department, Vendor, VendorAlias, Person, PersonAlias, Application)
    }


@pytest.mark.django_db
def test_loading_writes_the_company_and_a_second_load_adds_nothing(small_company):
    created = demo_inventory_load(company=small_company)
    counts = table_counts()

    vendor_aliases = sum(len(vendor.aliases) for vendor in small_company.vendors)
    person_aliases = sum(len(person.aliases) for person in small_company.people)
    assert created == {
        "categories": 11,
        "departments": 15,
        "vendors": len(small_company.vendors),
        "vendor aliases": vendor_aliases,
        "people": 300,
        "person aliases": person_aliases,
        "applications": 60,
    }
    assert counts == {
        "Category": 11,
        "Department": 15,
        "Vendor": len(small_company.vendors),
        "VendorAlias": vendor_aliases,
        "Person": 300,
        "PersonAlias": person_aliases,
        "Application": 60,
    }
    assert set(demo_inventory_load(company=small_company).values()) == {0}
    assert table_counts() == counts


@pytest.mark.django_db
def test_loaded_rows_keep_the_links_of_the_generated_company(small_company):
    demo_inventory_load(company=small_company)
    person = next(p for p in small_company.people if p.manager_email and p.aliases)
    app = next(a for a in small_company.applications if a.business_owner_email and a.it_owner_email)

    row = Person.objects.select_related("manager", "department").get(email=person.email)
    assert (row.manager.email, row.department.name, row.employee_id) == (
        person.manager_email,
        person.department,
        person.employee_id,
    )
    assert sorted(row.aliases.values_list("kind", "value")) == sorted(person.aliases)
    app_row = Application.objects.select_related("vendor", "category", "business_owner", "it_owner").get(name=app.name)
    assert (app_row.vendor.name, app_row.category.name, app_row.business_owner.email, app_row.it_owner.email) == (
        app.vendor,
        app.category,
        app.business_owner_email,
        app.it_owner_email,
    )
    assert Department.objects.get(name="Platform").parent.name == "Engineering"


@pytest.mark.django_db
def test_loading_writes_a_created_by_seed_history_row_for_each_seeded_row(small_company):
    demo_inventory_load(company=small_company)

    reasons = Counter(Person.history.values_list("history_type", "history_change_reason"))
    assert reasons == {("+", SEED_CHANGE_REASON): 300}
    assert Application.history.filter(history_change_reason=SEED_CHANGE_REASON).count() == 60


@pytest.mark.django_db
def test_loading_without_history_writes_no_history_rows(small_company):
    demo_inventory_load(company=small_company, with_history=False)

    assert Person.objects.count() == 300
    assert Person.history.count() == 0


@pytest.mark.django_db
def test_loading_into_a_real_company_only_adds_what_is_missing_and_changes_nothing(small_company):
    people = small_company.people
    # A manager with a manager and aliases: the links that could be rewritten.
    someone = next(
        p for p in people if p.manager_email and p.aliases and any(q.manager_email == p.email for q in people)
    )
    her_reports = [p.email for p in people if p.manager_email == someone.email]
    clashing_id_owner = people[-1]
    real_engineering = DepartmentFactory(name="engineering", cost_centre="CC-REAL")
    real_someone = PersonFactory(
        email=someone.email.upper(), name="Edited By Hand", employee_id="HR-1", department=None, manager=None
    )
    real_clash = PersonFactory(email="real.person@elsewhere.example", employee_id=clashing_id_owner.employee_id)
    real_slack = ApplicationFactory(
        name="SLACK", status=ApplicationStatus.RETIRED, vendor=VendorFactory(name="slack technologies")
    )

    created = demo_inventory_load(company=small_company)

    assert (created["departments"], created["people"], created["applications"]) == (14, 299, 59)
    assert created["vendors"] == len(small_company.vendors) - 1
    real_engineering.refresh_from_db()
    assert (real_engineering.name, real_engineering.cost_centre, real_engineering.parent) == (
        "engineering",
        "CC-REAL",
        None,
    )
    real_someone.refresh_from_db()
    assert (real_someone.name, real_someone.employee_id, real_someone.manager, real_someone.department) == (
        "Edited By Hand",
        "HR-1",
        None,
        None,
    )
    assert not real_someone.aliases.exists()
    assert set(real_someone.reports.values_list("email", flat=True)) == set(her_reports)
    assert Department.objects.get(name="Platform").parent == real_engineering
    real_slack.refresh_from_db()
    assert (real_slack.name, real_slack.status, real_slack.vendor.name) == ("SLACK", "retired", "slack technologies")
    assert not real_slack.vendor.aliases.exists()
    # The generated person whose employee id a real person holds goes without one.
    assert Person.objects.get(email=clashing_id_owner.email).employee_id is None
    assert Person.objects.get(pk=real_clash.pk).employee_id == clashing_id_owner.employee_id
    assert Person.objects.count() == 299 + 2
    assert set(demo_inventory_load(company=small_company).values()) == {0}


@pytest.mark.django_db
def test_the_scaled_down_enterprise_shape_loads_and_reloads():
    company = demo_company_build(seed=3, profile=ENTERPRISE_SCALED_DOWN, today=TODAY)

    created = demo_inventory_load(company=company, with_history=False)

    assert (created["people"], created["applications"], created["departments"]) == (2_500, 150, 41)
    assert Person.objects.filter(manager=None).count() == 1
    assert Person.objects.filter(status=PersonStatus.TERMINATED).count() == 200
    assert set(demo_inventory_load(company=company, with_history=False).values()) == {0}
