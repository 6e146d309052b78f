from datetime import date, datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from renewals.reminders import ReminderRunSummary, renewal_reminders_send


def parse_day(value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise CommandError(f"--today must be a date like 2026-03-31 (YYYY-MM-DD), not {value!r}.") from exc


class Command(BaseCommand):
    help = "Send every renewal reminder (and the weekly digest) due today that has not gone out yet."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="Run as if today were this date (YYYY-MM-DD).")
        parser.add_argument("--dry-run", action="store_true", help="List what would be sent; send and record nothing.")

    def handle(self, *args, today=None, dry_run=False, **options):
        # An empty --today is a mistake, not "today".
        day = parse_day(today) if today is not None else timezone.localdate()
        summary = renewal_reminders_send(today=day, dry_run=dry_run)
        if dry_run:
            self.report_plan(summary)
        else:
            self.report_run(summary)

    def report_plan(self, summary: ReminderRunSummary) -> None:
        for renewal_id, stage, recipient in summary.planned:
            self.stdout.write(f"would send: renewal {renewal_id} · {stage} days · {recipient}")
        for recipient in summary.digests_planned:
            self.stdout.write(f"would send: weekly digest · {recipient}")
        self.stdout.write(
            f"{len(summary.planned)} reminder(s) and {len(summary.digests_planned)} digest(s) would be sent for "
            f"{summary.today.isoformat()} (dry run)."
        )

    def report_run(self, summary: ReminderRunSummary) -> None:
        for renewal_id, stage, recipient in summary.sent:
            self.stdout.write(f"sent: renewal {renewal_id} · {stage} days · {recipient}")
        for recipient in summary.digests_sent:
            self.stdout.write(f"sent: weekly digest · {recipient}")
        for renewal_id, stage, recipient, error in summary.failed:
            self.stderr.write(f"FAILED: renewal {renewal_id} · {stage} days · {recipient}: {error}")
        for recipient, error in summary.digests_failed:
            self.stderr.write(f"FAILED: weekly digest · {recipient}: {error}")
        self.stdout.write(
            f"{summary.today.isoformat()}: {len(summary.sent)} reminder(s) sent, "
            f"{summary.skipped_already_sent} already sent, {len(summary.failed)} failed, "
            f"{len(summary.digests_sent)} digest(s) sent."
        )
        failures = len(summary.failed) + len(summary.digests_failed)
        if failures:
            raise CommandError(f"{failures} email(s) failed; they are retried on the next run.")
