from datetime import date

from celery import shared_task
from django.utils import timezone

from renewals.reminders import renewal_reminders_send


@shared_task(acks_late=True)
def renewal_reminders_send_task(today_iso: str | None = None) -> dict:
    """The daily reminder run; safe to run any number of times a day, on any number of workers."""
    today = date.fromisoformat(today_iso) if today_iso else timezone.localdate()
    return renewal_reminders_send(today=today).as_dict()
