"""python manage.py reconcile [--as-of YYYY-MM-DD] [--app NAME_OR_SLUG] [--parts N] [--wait] [--inline]
[--resume RUN_ID] [--json]

Without --wait or --inline the run is queued for the Celery workers and its id printed.
--wait polls until the workers finish it; --inline runs every part in this process (no worker
needed). Starting a run for an as-of date and application whose run stopped half-way resumes
that run; --resume names a run to resume.

--json prints {"run", "findings" {kind: count}, "annual_cost_impact" {kind: "decimal"},
"total_annual_cost_impact" (the savings kinds; risk kinds are "total_annual_risk"), ...}.

Exit status: 0 when the run is done (or queued), 1 when it failed or --wait gave up, 2 for bad arguments.
"""

import difflib
import json
import re
import time
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.text import slugify

from licenses.choices import FindingKind, RunStatus
from licenses.models import ReconciliationRun
from licenses.runs import (
    RunNotResumable,
    reconciliation_run_inline,
    reconciliation_run_resume,
    reconciliation_run_start,
)
from saasmgr.inventory.models import Application

EXIT_RUN_FAILED = 1
EXIT_BAD_ARGUMENTS = 2
POLL_SECONDS = 1.0
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class Command(BaseCommand):
    help = "Reconcile license assignments against usage: find idle, departed, spare and missing seats."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="The day to reconcile as of, YYYY-MM-DD (default: today).")
        parser.add_argument("--app", help="Only this application: its name (any case) or its slug.")
        parser.add_argument(
            "--parts", type=int, help=f"Split into at most N tasks (default {settings.RECONCILE_PARTS})."
        )
        parser.add_argument("--wait", action="store_true", help="Wait until the workers have finished the run.")
        parser.add_argument("--inline", action="store_true", help="Run every part in this process, no worker needed.")
        parser.add_argument("--resume", type=int, metavar="RUN_ID", help="Resume this run (its parts not done yet).")
        parser.add_argument("--timeout", type=float, default=3600, help="Seconds --wait waits (default 3600).")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args, **options):
        inline = options["inline"]
        if options["resume"] is not None:
            run = self._resume(options, queue=not inline)
        else:
            as_of = parse_as_of(options["as_of"])
            application = find_application(options["app"]) if options["app"] else None
            if options["parts"] is not None and options["parts"] < 1:
                raise CommandError("--parts must be 1 or more.", returncode=EXIT_BAD_ARGUMENTS)
            run = reconciliation_run_start(
                as_of=as_of, application=application, parts=options["parts"], queue=not inline
            )
        if inline:
            run = reconciliation_run_inline(run=run)
        elif options["wait"]:
            run = self._wait(run, timeout=options["timeout"], quiet=options["json"])
        self._report(run, as_json=options["json"])
        if run.status == RunStatus.FAILED:
            raise CommandError(f"Run #{run.pk} failed: {run.error_message}", returncode=EXIT_RUN_FAILED)

    def _resume(self, options, *, queue: bool) -> ReconciliationRun:
        if options["as_of"] or options["app"]:
            raise CommandError(
                "--resume takes the run's own as-of date and application; leave out --as-of and --app.",
                returncode=EXIT_BAD_ARGUMENTS,
            )
        run = ReconciliationRun.objects.filter(pk=options["resume"]).first()
        if run is None:
            raise CommandError(f"There is no reconciliation run #{options['resume']}.", returncode=EXIT_BAD_ARGUMENTS)
        try:
            return reconciliation_run_resume(run=run, queue=queue)
        except RunNotResumable as exc:
            raise CommandError(str(exc), returncode=EXIT_BAD_ARGUMENTS) from exc

    def _wait(self, run: ReconciliationRun, *, timeout: float, quiet: bool) -> ReconciliationRun:
        deadline = time.monotonic() + timeout
        reported = None
        while True:
            run.refresh_from_db()
            if run.status in (RunStatus.DONE, RunStatus.FAILED):
                return run
            if not quiet and (run.parts_done, run.status) != reported:
                reported = (run.parts_done, run.status)
                self.stderr.write(f"Run #{run.pk}: {run.status}, {run.parts_done} of {run.parts_total} parts done.")
            if time.monotonic() >= deadline:
                raise CommandError(
                    f"Run #{run.pk} is still {run.status} after {timeout:g} s ({run.parts_done} of "
                    f"{run.parts_total} parts done). Is a Celery worker running? It goes on in the background; "
                    f"follow it with --resume {run.pk} --wait, or run it here with --resume {run.pk} --inline.",
                    returncode=EXIT_RUN_FAILED,
                )
            time.sleep(POLL_SECONDS)

    def _report(self, run: ReconciliationRun, *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(run_as_json(run), ensure_ascii=False))
        elif run.status == RunStatus.DONE:
            self.stdout.write(run_summary(run))
        else:
            self.stdout.write(
                f"Reconciliation run #{run.pk} as of {run.as_of.isoformat()} is {run.status} "
                f"({run.parts_done} of {run.parts_total} parts done). "
                f"Follow it with: manage.py reconcile --resume {run.pk} --wait"
            )


def parse_as_of(value: str | None) -> date:
    if not value:
        return timezone.localdate()
    if ISO_DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise CommandError(
        f"--as-of {value!r} is not a date. Give it as YYYY-MM-DD, e.g. {timezone.localdate().isoformat()}.",
        returncode=EXIT_BAD_ARGUMENTS,
    )


def find_application(value: str) -> Application:
    """The application called ``value`` (any case), or whose slug is ``value``."""
    wanted = value.strip()
    names = dict(Application.objects.values_list("pk", "name"))
    by_name = [pk for pk, name in names.items() if name.casefold() == wanted.casefold()]
    by_slug = [pk for pk, name in names.items() if slugify(name) == wanted.lower()]
    matches = by_name or by_slug
    if len(matches) == 1:
        return Application.objects.get(pk=matches[0])
    if matches:
        listed = ", ".join(sorted(names[pk] for pk in matches))
        raise CommandError(
            f"--app {value!r} matches several applications: {listed}. Give the full name.",
            returncode=EXIT_BAD_ARGUMENTS,
        )
    raise CommandError(
        f"No application is called {value!r}. {_close_matches(wanted, names)}", returncode=EXIT_BAD_ARGUMENTS
    )


def _close_matches(wanted: str, names: dict[int, str]) -> str:
    keys: dict[str, str] = {}
    for name in names.values():
        keys.setdefault(name.casefold(), name)
        keys.setdefault(slugify(name), name)
    close = difflib.get_close_matches(wanted.casefold(), list(keys), n=8, cutoff=0.6)
    suggestions = list(dict.fromkeys(keys[key] for key in close))[:5]
    hint = "--app takes an application's name (any case) or its slug, e.g. google-workspace."
    if suggestions:
        return f"Close matches: {', '.join(suggestions)}. {hint}"
    return f"No application has a similar name. {hint}"


def run_as_json(run: ReconciliationRun) -> dict:
    done = run.status == RunStatus.DONE
    return {
        "run": run.pk,
        "findings": run.counts if done else {},
        "annual_cost_impact": run.impacts if done else {},
        "total_annual_cost_impact": _decimal(run.total_annual_savings) if done else None,
        "total_annual_risk": _decimal(run.total_annual_risk) if done else None,
        "unpriced_findings": run.unpriced_findings,
        "apps_without_usage": run.apps_without_usage,
        "status": run.status,
        "as_of": run.as_of.isoformat(),
        "currency": settings.REPORTING_CURRENCY,
        "parts_total": run.parts_total,
        "parts_done": run.parts_done,
    }


def _decimal(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def run_summary(run: ReconciliationRun) -> str:
    currency = settings.REPORTING_CURRENCY
    scope = run.application.name if run.application_id else "every application with licenses"
    lines = [
        f"Reconciliation run #{run.pk} as of {run.as_of.isoformat()} ({scope}): done in {run.parts_total} "
        f"part{'s' if run.parts_total != 1 else ''}.",
        f"{'Finding':<20}{'Count':>8}{'Annual impact (' + currency + ')':>26}",
    ]
    for kind in FindingKind:
        lines.append(f"{kind.label:<20}{run.counts.get(kind, 0):>8}{run.impacts.get(kind, '0.00'):>26}")
    lines.append(f"Savings: {run.total_annual_savings:.2f} {currency} a year.")
    lines.append(f"True-up risk (over-assigned, unlicensed): {run.total_annual_risk:.2f} {currency} a year.")
    if run.unpriced_findings:
        lines.append(
            f"{run.unpriced_findings} finding(s) have no price (no unit cost, or no exchange rate) "
            "and are not in the totals."
        )
    if run.apps_without_usage:
        names = ", ".join(app["name"] for app in run.apps_without_usage)
        lines.append(f"No usage data, so no inactive or never-used findings: {names}.")
    return "\n".join(lines)
