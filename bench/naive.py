"""The naive reconciliation: one ORM query after another for each seat, pool and user, the way the
engine is not written. Timed on samples and extrapolated to every seat, pool and user; its verdicts
on the sample are checked against the product's findings, so that the loop is known to compute the
same thing.
"""

import time
from datetime import date

import numpy as np
from django.db.models import Max

from bench.dataset import active_on
from licenses.models import Activity, Assignment, Finding, LicensePool, UsageSource
from saasmgr.inventory.choices import PersonStatus
from saasmgr.inventory.models import Application, Person


def naive_measure(*, as_of: date, default_days: int, sample: int, seed: int, run_id: int | None) -> dict:
    """Time the naive per-row loops on samples of seats, pools and users, extrapolated to every one of
    them; and, when ``run_id`` is given, how many of the sampled verdicts agree with that run's findings."""
    rng = np.random.default_rng(seed)
    seat_ids = np.array(Assignment.objects.filter(active_on(as_of)).order_by("pk").values_list("pk", flat=True))
    pool_ids = np.array(LicensePool.objects.order_by("pk").values_list("pk", flat=True))
    pooled = LicensePool.objects.values("application_id")
    users = list(
        Activity.objects.filter(day__lte=as_of, application_id__in=pooled)
        .order_by("person_id", "application_id")
        .values_list("person_id", "application_id")
        .distinct()
    )
    loops = {
        "seats": (_sample(rng, seat_ids, sample), naive_seat, len(seat_ids)),
        "pools": (_sample(rng, pool_ids, max(1, sample // 10)), naive_pool, len(pool_ids)),
        "users": (_sample_rows(rng, users, sample), naive_user, len(users)),
    }
    result = {"sample": sample, "loops": {}, "extrapolated_seconds": 0.0}
    for name, (items, judge, population) in loops.items():
        started = time.perf_counter()
        verdicts = [judge(item, as_of=as_of, default_days=default_days) for item in items]
        seconds = time.perf_counter() - started
        per_item = seconds / len(items) if items else 0.0
        result["loops"][name] = {
            "sampled": len(items),
            "seconds": seconds,
            "per_item_ms": per_item * 1000,
            "population": population,
            "extrapolated_seconds": per_item * population,
        }
        if run_id is not None:
            result["loops"][name]["agree"] = _agreement(name, items, verdicts, run_id)
        result["extrapolated_seconds"] += per_item * population
    return result


def _sample(rng: np.random.Generator, ids: np.ndarray, size: int) -> list[int]:
    if not len(ids):
        return []
    return sorted(int(pk) for pk in rng.choice(ids, size=min(size, len(ids)), replace=False))


def _sample_rows(rng: np.random.Generator, rows: list[tuple], size: int) -> list[tuple]:
    if not rows:
        return []
    picked = rng.choice(len(rows), size=min(size, len(rows)), replace=False)
    return [rows[index] for index in sorted(picked.tolist())]


def _threshold(*days: int | None) -> int:
    return next(value for value in days if value is not None)


def naive_seat(assignment_id: int, *, as_of: date, default_days: int) -> str | None:
    """The finding of one seat, the naive way: a query for each fact."""
    seat = Assignment.objects.get(pk=assignment_id)
    pool = LicensePool.objects.get(pk=seat.pool_id)
    application = Application.objects.get(pk=pool.application_id)
    if seat.person_id is None:
        return None
    person = Person.objects.get(pk=seat.person_id)
    if person.status == PersonStatus.TERMINATED or (person.termination_date and person.termination_date <= as_of):
        return "departed_holder"
    threshold = _threshold(pool.inactivity_days, application.inactivity_days, default_days)
    if UsageSource.objects.filter(application_id=application.pk).exists():
        last = Activity.objects.filter(person_id=person.pk, application_id=application.pk, day__lte=as_of).aggregate(
            last=Max("day")
        )["last"]
        if last is None and (seat.assigned_on is None or (as_of - seat.assigned_on).days > threshold):
            return "never_used"
        if last is not None and (as_of - last).days > threshold:
            return "inactive"
    held = list(Assignment.objects.filter(active_on(as_of), person_id=person.pk, pool__application_id=application.pk))
    if len({other.account.casefold() for other in held}) > 1:
        # One last-seen date per person and application: the earliest assignment is kept.
        kept = min(held, key=lambda other: (other.assigned_on is None, other.assigned_on or date.min, other.pk))
        if seat.account.casefold() != kept.account.casefold():
            return "duplicate_account"
    return None


def naive_pool(pool_id: int, *, as_of: date, default_days: int) -> int | None:
    """Purchased minus held seats of one pool (None when the purchase is unknown)."""

    pool = LicensePool.objects.get(pk=pool_id)
    held = Assignment.objects.filter(active_on(as_of), pool_id=pool.pk).count()
    return None if pool.purchased_quantity is None else pool.purchased_quantity - held


def naive_user(user: tuple[int, int], *, as_of: date, default_days: int) -> bool:
    """Whether one (person, application) with usage is an unlicensed user."""
    person_id, application_id = user
    person = Person.objects.get(pk=person_id)
    application = Application.objects.get(pk=application_id)
    if person.status == PersonStatus.TERMINATED or (person.termination_date and person.termination_date <= as_of):
        return False
    if not LicensePool.objects.filter(application_id=application.pk, purchased_quantity__isnull=False).exists():
        return False
    last = Activity.objects.filter(person_id=person.pk, application_id=application.pk, day__lte=as_of).aggregate(
        last=Max("day")
    )["last"]
    if last is None or (as_of - last).days > _threshold(application.inactivity_days, default_days):
        return False
    return not Assignment.objects.filter(
        active_on(as_of), person_id=person.pk, pool__application_id=application.pk
    ).exists()


def _agreement(loop: str, items: list, verdicts: list, run_id: int) -> int:
    """How many of the naive verdicts the run's findings agree with."""

    findings = Finding.objects.filter(run_id=run_id)
    if loop == "seats":
        found = dict(
            findings.filter(assignment_id__in=items)
            .exclude(kind__in=["unlicensed_user"])
            .values_list("assignment_id", "kind")
        )
        return sum(found.get(item) == verdict for item, verdict in zip(items, verdicts, strict=True))
    if loop == "pools":
        found = {
            pool: quantity if kind == "unassigned_seat" else -quantity
            for pool, kind, quantity in findings.filter(
                pool_id__in=items, kind__in=["unassigned_seat", "over_assigned"]
            ).values_list("pool_id", "kind", "quantity")
        }
        return sum(
            found.get(item, 0 if verdict is not None else None) == verdict
            for item, verdict in zip(items, verdicts, strict=True)
        )
    unlicensed = set(findings.filter(kind="unlicensed_user").values_list("person_id", "application_id"))
    return sum((item in unlicensed) == verdict for item, verdict in zip(items, verdicts, strict=True))
