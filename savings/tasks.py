"""Background work of savings. Tasks take ids (none here) and call one service."""

from celery import shared_task

from savings.opportunities import opportunities_refresh, opportunities_reprioritise


@shared_task(name="savings.tasks.opportunities_refresh_task")
def opportunities_refresh_task() -> dict[str, int]:
    """Open, refresh and close opportunities from the evidence; idempotent, so a repeat is harmless."""
    return opportunities_refresh()


@shared_task(name="savings.tasks.opportunities_reprioritise_task")
def opportunities_reprioritise_task() -> int:
    return opportunities_reprioritise()
