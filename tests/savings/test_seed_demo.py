"""``manage.py seed_demo``: the same company for the same seed, idempotent, and one login per role."""

import re
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import Client
from django.urls import reverse

from licenses.models import Activity, Assignment, IdentityReview, LicensePool, ReconciliationRun, UsageSource
from renewals.models import Contract, Renewal
from saasmgr.core.choices import Role
from saasmgr.core.models import FxRate
from saasmgr.inventory.models import Application, Category, Department, Person, PersonAlias, Vendor, VendorAlias
from savings.choices import ActionKind, LedgerKind, OpportunityStatus, Recurrence
from savings.models import LedgerEntry, Opportunity, SavingsAction
from savings.selectors import ledger_totals, opportunity_totals
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


def without_ids(rows) -> list[tuple]:
    """Rows with "#<id>" in their text made alike: a reversal's description names the entry by its id."""
    return sorted((tuple(re.sub(r"#\d+", "#n", v) if isinstance(v, str) else v for v in row) for row in rows), key=repr)


def savings_snapshot() -> dict[str, list[tuple]]:
    """The ledger, the actions and the opportunities by natural keys (no ids, no timestamps), sorted."""
    return {
        "ledger": without_ids(
            LedgerEntry.objects.values_list(
                "kind",
                "recurrence",
                "amount",
                "currency",
                "fx_rate",
                "amount_reporting",
                "effective_date",
                "application__name",
                "credited_user__username",
                "credited_team__name",
                "description",
                "reason",
            )
        ),
        "actions": sorted(
            SavingsAction.objects.values_list("kind", "description", "quantity", "effective_date"), key=repr
        ),
        "opportunities": sorted(
            Opportunity.objects.values_list(
                "kind",
                "title",
                "application__name",
                "status",
                "estimated_annual_savings",
                "quantity",
                "owner__username",
                "dismissed_reason",
            ),
            key=repr,
        ),
        "seats": sorted(Assignment.objects.values_list("pool__name", "account", "assigned_on", "unassigned_on")),
    }


class _Forget(Exception):
    pass


def seed_and_forget(*args: str) -> tuple[dict, dict, list, dict]:
    """Seed, take every snapshot, and roll it all back: the ledger is append-only, so a seeded database cannot
    be emptied by deleting its rows."""
    try:
        with transaction.atomic():
            seed(*args)
            snapshots = inventory_snapshot(), contracts_snapshot(), rates_snapshot(), savings_snapshot()
            raise _Forget
    except _Forget:
        pass
    assert Person.objects.count() == Contract.objects.count() == LedgerEntry.objects.count() == 0
    return snapshots


def test_the_same_seed_loads_the_same_data_into_an_empty_database():
    first, first_contracts, first_rates, first_savings = seed_and_forget("--seed", "5")

    seed("--seed", "5")

    assert inventory_snapshot() == first
    assert contracts_snapshot() == first_contracts
    assert rates_snapshot() == first_rates
    assert savings_snapshot() == first_savings
    assert len(first["people"]) == 300
    assert len(first_contracts["contracts"]) == 45
    assert len(first_savings["ledger"]) > 20


def test_a_different_seed_loads_different_data():
    first, first_contracts, first_rates, first_savings = seed_and_forget("--seed", "5")

    seed("--seed", "6")
    second = inventory_snapshot()

    assert second["people"] != first["people"]
    assert second["applications"] != first["applications"]
    assert contracts_snapshot()["line items"] != first_contracts["line items"]
    assert contracts_snapshot()["renewals"] != first_contracts["renewals"]
    assert rates_snapshot() != first_rates
    assert savings_snapshot()["ledger"] != first_savings["ledger"]
    # The skeleton of the company is the same: departments and categories do not depend on the seed.
    assert second["departments"] == first["departments"]


def test_a_second_run_creates_nothing_and_says_so():
    first_output = seed()
    counts, contracts, rates = inventory_snapshot(), contracts_snapshot(), rates_snapshot()
    savings, figures = savings_snapshot(), savings_figures_line(first_output)

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
    assert f"{len(savings['ledger'])} ledger entries, {len(savings['opportunities'])} opportunities" in first_output
    assert "0 savings actions, 0 ledger entries, 0 opportunities, 0 reconciliation runs" in second_output
    assert savings_snapshot() == savings
    assert savings_figures_line(second_output) == figures


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


def activity_snapshot() -> set[tuple]:
    return set(Activity.objects.values_list("person__email", "application__name", "day", "events"))


def test_the_same_day_adds_no_usage_and_a_later_day_adds_the_usage_since_without_new_seats():
    seed()
    seats, activity = savings_snapshot()["seats"], activity_snapshot()
    today = date.fromisoformat(TODAY)

    again = seed()

    assert "0 license assignments, 0 activity days, 0 usage sources, 0 identities to review" in again
    assert activity_snapshot() == activity
    assert savings_snapshot()["seats"] == seats

    week_later = today + timedelta(days=7)
    later = seed_on(week_later.isoformat())

    added = activity_snapshot() - activity
    assert "0 license assignments" in later and f"{len(added)} activity days" in later
    assert savings_snapshot()["seats"] == seats  # drawn once: the savings demo's reclaims stay as they were
    assert activity <= activity_snapshot()  # the history the first day wrote is kept as it was
    assert {day for _email, _app, day, _events in added} == {today + timedelta(days=n) for n in range(1, 8)}
    # The seats in use are used this week: a fair share of the live ones, and none that ended before it.
    live = set(Assignment.objects.filter(unassigned_on=None).values_list("person__email", "pool__application__name"))
    used = {(email, app) for email, app, _day, _events in added}
    assert len(used & live) > len(live) / 10
    ended = set(
        Assignment.objects.filter(unassigned_on__lte=today).values_list("person__email", "pool__application__name")
    )
    assert not (used & ended) - live
    assert set(UsageSource.objects.filter(source="demo").values_list("last_day", flat=True)) == {week_later}
    assert set(IdentityReview.objects.values_list("sightings", flat=True)) == {12}  # queued once, not counted again


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


# The Savings Center


def savings_figures_line(output: str) -> str:
    return re.search(r"^Savings Center: .*$", output, flags=re.MULTILINE).group(0)


def test_small_has_a_year_of_wins_written_by_the_actions_and_open_opportunities_worth_a_share_of_spend():
    output = seed()
    today = date.fromisoformat(TODAY)

    entries = list(LedgerEntry.objects.select_related("action", "credited_user", "credited_team"))
    assert {entry.action.kind for entry in entries} == set(ActionKind.values)
    dates = [entry.effective_date for entry in entries]
    assert today - timedelta(days=366) <= min(dates) and max(dates) < today
    assert max(dates) - min(dates) > timedelta(days=300)  # about a year of history
    assert len({entry.currency for entry in entries}) >= 2  # in the contracts' currencies ...
    for entry in entries:  # ... each converted at the demo rate in force on its day
        assert entry.fx_rate == (
            Decimal("1")
            if entry.currency == "USD"
            else FxRate.objects.filter(currency=entry.currency, date__lte=entry.effective_date).latest("date").rate
        )
    assert {LedgerKind.COST_SAVINGS, LedgerKind.COST_AVOIDANCE} <= {entry.kind for entry in entries}
    assert {Recurrence.ONE_TIME, Recurrence.ANNUAL} == {entry.recurrence for entry in entries}
    outcomes = [e for e in entries if e.action.kind == ActionKind.RENEWAL_OUTCOME]
    assert any(e.kind == LedgerKind.COST_AVOIDANCE for e in outcomes)
    (reversal,) = [entry for entry in entries if entry.reverses_id]
    assert reversal.reason and reversal.amount < 0
    assert len({entry.credited_user.username for entry in entries if entry.credited_user}) >= 3
    assert len({entry.credited_team.name for entry in entries if entry.credited_team}) >= 5

    ledger, opportunities = ledger_totals(), opportunity_totals()
    spend = sum(Contract.objects.filter(status="active").values_list("annual_value_reporting", flat=True))
    assert Decimal("0.10") <= opportunities.identified / spend <= Decimal("0.25")
    assert ledger.total > 0
    statuses = set(Opportunity.objects.values_list("status", flat=True))
    assert statuses == set(OpportunityStatus.values) - {OpportunityStatus.CLOSED}
    assert not Opportunity.objects.filter(status=OpportunityStatus.DISMISSED, dismissed_reason="").exists()
    assert ReconciliationRun.objects.filter(as_of=today, status="done").count() == 1
    share = (opportunities.identified / Decimal(int(spend)) * 100).quantize(Decimal("0.1"))
    assert savings_figures_line(output) == (
        f"Savings Center: {ledger.entries} ledger entries, {ledger.total:,.2f} USD realized, "
        f"{opportunities.identified:,.2f} USD in {opportunities.open_count + opportunities.in_progress_count} "
        f"open opportunities ({share}% of {int(spend):,} USD annual contract spend)."
    )

    # The wins went through the actions: seats ended, apps retired, pools stopped, opportunities done.
    reclaim = SavingsAction.objects.filter(kind=ActionKind.RECLAIM, opportunity__isnull=True).first()
    ended = Assignment.objects.filter(pk__in=reclaim.details["assignment_ids"])
    assert set(ended.values_list("unassigned_on", flat=True)) == {reclaim.effective_date}
    retired = SavingsAction.objects.filter(kind__in=[ActionKind.CANCEL_APP, ActionKind.CONSOLIDATE])
    assert {action.application.status for action in retired} == {"retired"}
    stopped = [line["pool_id"] for action in retired for line in action.details["stopped"]]
    assert len(stopped) == 2
    assert set(LicensePool.objects.filter(pk__in=stopped).values_list("purchased_quantity", flat=True)) == {0}
    done = Opportunity.objects.filter(status=OpportunityStatus.DONE)
    assert done.exists() and all(o.actions.exists() for o in done)
    closed = Renewal.objects.filter(stage="closed")
    assert SavingsAction.objects.filter(kind=ActionKind.RENEWAL_OUTCOME).count() == closed.count() > 0
