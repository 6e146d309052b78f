from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from renewals.reminders import renewal_reminders_send


class Command(BaseCommand):
    help = "Send every renewal reminder (and the weekly digest) due today that has not gone out yet."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="Run as if today were this date (YYYY-MM-DD).")
        parser.add_argument("--dry-run", action="store_true", help="List what would be sent; send and record nothing.")

    def handle(self, *args, today=None, dry_run=False, **options):
        try:
            day = date.fromisoformat(today) if today else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--today must be a date like 2026-03-31, not {today!r}.") from exc
        summary = renewal_reminders_send(today=day, dry_run=dry_run)
        if dry_run:
            for renewal_id, stage, recipient in summary.planned:
                self.stdout.write(f"would send: renewal {renewal_id} · {stage} days · {recipient}")
            self.stdout.write(f"{len(summary.planned)} reminder(s) would be sent for {day.isoformat()} (dry run).")
            return
        for renewal_id, stage, recipient in summary.sent:
            self.stdout.write(f"sent: renewal {renewal_id} · {stage} days · {recipient}")
        for renewal_id, stage, recipient, error in summary.failed:
            self.stderr.write(f"FAILED: renewal {renewal_id} · {stage} days · {recipient}: {error}")
        self.stdout.write(
            f"{day.isoformat()}: {len(summary.sent)} reminder(s) sent, {summary.skipped_already_sent} already sent, "
            f"{len(summary.failed)} failed, {len(summary.digests_sent)} digest(s) sent."
        )
        if summary.failed:
            raise CommandError(f"{len(summary.failed)} email(s) failed; they are retried on the next run.")
