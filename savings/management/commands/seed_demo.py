"""``manage.py seed_demo --size small|enterprise --seed N [--today YYYY-MM-DD]``

Builds a demo company (people, applications, exchange rates, contracts with
their line items and renewals, license seats and usage, a year of savings and
today's opportunities), identical for the same seed and ``--today``, and
inserts whatever of it is missing. Running it again on the same day creates
nothing; on a later day it adds that day's exchange rates, the usage of the
seats since the last run, a reconciliation and what it finds. Rows that already
exist (seeded or real) are never changed, but for the last day the demo's usage
sources cover. It lives in savings, the top layer, so that every layer's demo
data can join the same command.
"""

import argparse
import time
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from licenses.demo import demo_licenses_load
from renewals.demo import DEMO_CONTRACT_COUNTS, demo_contracts_build, demo_contracts_load
from saasmgr.core.choices import Role
from saasmgr.core.demo import (
    DemoDataInProductionError,
    DemoLogin,
    demo_fx_rates_build,
    demo_fx_rates_load,
    demo_production_guard,
    demo_users_ensure,
)
from saasmgr.inventory.demo import DEMO_PROFILES, demo_company_build, demo_inventory_load
from savings.demo import demo_savings_figures, demo_savings_load, savings_row_counts


def iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2025-01-31") from error


class Command(BaseCommand):
    help = "Load a realistic demo company and one demo login per role. Idempotent: a second run adds nothing."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--size", choices=list(DEMO_PROFILES), default="small", help="default: small")
        parser.add_argument("--seed", type=int, default=1, help="the same seed builds the same company (default: 1)")
        parser.add_argument(
            "--today", type=iso_date, default=None, help="the date all demo dates are relative to (default: today)"
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="create demo data and logins with published passwords even when DJANGO_ENV=production",
        )

    def handle(self, *args, size: str, seed: int, today: date | None, allow_production: bool, **options) -> None:
        try:
            demo_production_guard(allow_production=allow_production)
        except DemoDataInProductionError as error:
            raise CommandError(str(error)) from error
        profile = DEMO_PROFILES[size]
        today = today or timezone.localdate()
        started = time.perf_counter()
        company = demo_company_build(seed=seed, profile=profile, today=today)
        fx_rates = demo_fx_rates_build(seed=seed, today=today, reporting_currency=settings.REPORTING_CURRENCY)
        contracts = demo_contracts_build(
            seed=seed, company=company, count=DEMO_CONTRACT_COUNTS.get(size, 0), today=today
        )
        savings_before = savings_row_counts()
        with transaction.atomic():
            created = demo_inventory_load(company=company)
            logins = demo_users_ensure(allow_production=allow_production)
            # Rates before contracts, so that each contract's reporting value is there from the start;
            # users before contracts, which the procurement login owns and moves along.
            created["exchange rates"] = demo_fx_rates_load(rates=fx_rates)
            created.update(demo_contracts_load(contracts=contracts))
        # The enterprise size leaves usage to the benchmark, which ingests its events as files. Seats are drawn
        # once per pool; a later day only adds the live seats' usage up to that day.
        created.update(demo_licenses_load(seed=seed, today=today, with_activity=size != "enterprise"))
        # Without usage (enterprise) every seat would look unused: no reconciliation, so no opportunities yet.
        created.update(
            demo_savings_load(
                seed=seed, today=today, with_opportunities=size != "enterprise", counted_from=savings_before
            )
        )
        created["demo users"] = sum(login.created for login in logins)
        elapsed = time.perf_counter() - started
        self.stdout.write(f"Demo company: size {size}, seed {seed}, today {today.isoformat()}")
        self.stdout.write(self._summary(created, elapsed))
        self.stdout.write(demo_savings_figures().summary())
        self.stdout.write(self._login_table(logins))

    @staticmethod
    def _summary(created: dict[str, int], elapsed: float) -> str:
        counts = ", ".join(f"{count} {what}" for what, count in created.items())
        total = sum(created.values())
        note = " (everything was already there)" if total == 0 else ""
        return f"Created {total} rows in {elapsed:.1f} s: {counts}{note}."

    @staticmethod
    def _login_table(logins: list[DemoLogin]) -> str:
        labels = dict(Role.choices)
        rows = [("Role", "Username", "Password")]
        for login in logins:
            password = login.password if login.password_works else f"(changed; no longer {login.password})"
            rows.append((str(labels[login.role]), login.username, password))
        widths = [max(len(row[column]) for row in rows) for column in range(2)]
        lines = [f"\nOpen {settings.SITE_URL.rstrip('/')}/ and log in as:"]
        lines += [f"  {role:<{widths[0]}}  {username:<{widths[1]}}  {password}" for role, username, password in rows]
        return "\n".join(lines)
