"""Demo license data: who holds the seats of the demo company's pools, and how they use them.

It runs after the contracts are loaded (their per-seat line items made the pools) and
reads the pools and people from the database, ordered by key, so the same seed over
the same company gives the same seats. The mix is what a real company sees: most
seats in use, a share idle or never opened, some held by people who left, a few
pools over-assigned, people with a second account, people using an app without a
seat, and some applications with no usage source at all.

Loading inserts what is missing and changes nothing that is there, like the rest of
``seed_demo``.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from django.db import transaction

from licenses.choices import AssignmentSource
from licenses.matching import ApplicationMatcher, Sighting, identity_reviews_record
from licenses.models import Activity, Assignment, LicensePool, NameReview, UsageSource
from saasmgr.inventory.choices import PersonStatus
from saasmgr.inventory.models import Person

BATCH = 5000
DEMO_SOURCE = "demo"
HISTORY_DAYS = 180
# Shares of held seats, by how they are used.
USAGE_MIX = {"active": 0.72, "idle": 0.16, "never": 0.12}
NO_USAGE_SOURCE_SHARE = 0.1  # applications whose usage nobody imports
OVER_ASSIGNED_POOL_SHARE = 0.08
SECOND_ACCOUNT_SHARE = 0.01
UNLICENSED_PER_POOL = 0.02
# Raw names the demo's usage exports use, which a person reviews once.
DEMO_UNMATCHED_NAMES = ("SFDC", "Zoom Video Comms", "MSFT Teams", "Atlassian Cloud (Jira)")
DEMO_UNMATCHED_IDENTITIES = ("svc-backup@acme-corp.example", "jenkins-bot", "j.doe.contractor@partner.example")


@dataclass(frozen=True)
class _People:
    ids: np.ndarray
    emails: list[str]
    terminated: np.ndarray
    start_days: np.ndarray  # days before today the person started (large when unknown)


def demo_licenses_load(*, seed: int, today: date, with_activity: bool = True) -> dict[str, int]:
    """Assign the demo pools' seats and write their usage; returns what was created."""
    rng = np.random.default_rng(seed)
    people = _people(today)
    pools = list(
        LicensePool.objects.filter(purchased_quantity__gt=0)
        .order_by("pk")
        .values_list("pk", "application_id", "purchased_quantity")
    )
    if not pools or not len(people.ids):
        return {"license assignments": 0, "activity days": 0}
    app_ids = sorted({app_id for _, app_id, _ in pools})
    without_usage = set(rng.choice(app_ids, size=int(len(app_ids) * NO_USAGE_SOURCE_SHARE), replace=False).tolist())
    with transaction.atomic():
        assignments = _assignments(rng, pools, people, today)
        created = _insert(Assignment, assignments, ignore_conflicts=True)
        counts = {"license assignments": created}
        if with_activity:
            counts["activity days"] = _load_activity(rng, assignments, pools, people, today, without_usage)
            counts["usage sources"] = _load_usage_sources(app_ids, without_usage, today)
            counts.update(_queue_reviews(today))
    return counts


def _people(today: date) -> _People:
    rows = list(Person.objects.order_by("pk").values_list("pk", "email", "status", "start_date"))
    return _People(
        ids=np.array([row[0] for row in rows], dtype=np.int64),
        emails=[row[1] for row in rows],
        terminated=np.array([row[2] == PersonStatus.TERMINATED for row in rows]),
        start_days=np.array([(today - row[3]).days if row[3] else 3650 for row in rows], dtype=np.int64),
    )


def _assignments(rng, pools, people: _People, today: date) -> list[Assignment]:
    rows = []
    for pool_id, _app_id, purchased in pools:
        over = rng.random() < OVER_ASSIGNED_POOL_SHARE
        share = rng.uniform(1.02, 1.12) if over else rng.uniform(0.62, 0.98)
        held = min(len(people.ids), max(1, int(round(purchased * share))))
        chosen = rng.choice(len(people.ids), size=held, replace=False)
        # Seats were handed out over the last two years, never before the holder started.
        assigned_ago = np.minimum(rng.integers(5, 730, size=held), people.start_days[chosen])
        for index, ago in zip(chosen.tolist(), assigned_ago.tolist(), strict=True):
            rows.append(
                Assignment(
                    pool_id=pool_id,
                    person_id=int(people.ids[index]),
                    account=people.emails[index],
                    assigned_on=today - timedelta(days=max(int(ago), 0)),
                    source=AssignmentSource.IMPORT,
                )
            )
        for index in chosen[: int(held * SECOND_ACCOUNT_SHARE)].tolist():
            local, _, domain = people.emails[index].partition("@")
            rows.append(
                Assignment(
                    pool_id=pool_id,
                    person_id=int(people.ids[index]),
                    account=f"{local}.admin@{domain}",
                    assigned_on=today - timedelta(days=200),
                    source=AssignmentSource.IMPORT,
                )
            )
    return rows


def _load_activity(rng, assignments, pools, people: _People, today: date, without_usage: set[int]) -> int:
    app_of_pool = {pool_id: app_id for pool_id, app_id, _ in pools}
    terminated = dict(zip(people.ids.tolist(), people.terminated.tolist(), strict=True))
    kinds = list(USAGE_MIX)
    weights = list(USAGE_MIX.values())
    days: dict[tuple[int, int, date], int] = {}
    for assignment in assignments:
        app_id = app_of_pool[assignment.pool_id]
        if app_id in without_usage or assignment.account.split("@")[0].endswith(".admin"):
            continue
        kind = kinds[rng.choice(len(kinds), p=weights)]
        if kind == "never":
            continue
        newest = int(rng.integers(0, 25)) if kind == "active" else int(rng.integers(75, HISTORY_DAYS))
        if terminated[assignment.person_id]:
            newest = max(newest, int(rng.integers(30, HISTORY_DAYS)))
        _add_days(rng, days, assignment.person_id, app_id, today, newest)
    # People who use an application without holding one of its seats.
    holders = {(a.person_id, app_of_pool[a.pool_id]) for a in assignments}
    for _pool_id, app_id, purchased in pools:
        if app_id in without_usage:
            continue
        for index in rng.choice(len(people.ids), size=max(1, int(purchased * UNLICENSED_PER_POOL)), replace=False):
            person_id = int(people.ids[index])
            if (person_id, app_id) not in holders and not people.terminated[index]:
                _add_days(rng, days, person_id, app_id, today, int(rng.integers(0, 20)))
    rows = [
        Activity(person_id=person, application_id=app, day=day, events=events)
        for (person, app, day), events in days.items()
    ]
    return _insert(Activity, rows, ignore_conflicts=True)


def _add_days(rng, days: dict, person_id: int, app_id: int, today: date, newest: int) -> None:
    """Usage on the newest day and on some days before it: busy people most days, others now and then."""
    span = HISTORY_DAYS - newest
    count = int(rng.integers(1, max(2, min(span, 40))))
    offsets = {newest, *(newest + rng.integers(0, span, size=count)).tolist()}
    for offset in offsets:
        key = (person_id, app_id, today - timedelta(days=int(offset)))
        days[key] = max(days.get(key, 0), int(rng.integers(1, 30)))


def _load_usage_sources(app_ids: list[int], without_usage: set[int], today: date) -> int:
    rows = [
        UsageSource(
            application_id=app_id,
            source=DEMO_SOURCE,
            first_day=today - timedelta(days=HISTORY_DAYS),
            last_day=today,
        )
        for app_id in app_ids
        if app_id not in without_usage
    ]
    return _insert(UsageSource, rows, ignore_conflicts=True)


def _queue_reviews(today: date) -> dict[str, int]:
    """A few identities and names a usage export would bring that nobody has matched yet."""
    names_before = NameReview.objects.count()
    ApplicationMatcher(source=DEMO_SOURCE).match(list(DEMO_UNMATCHED_NAMES))
    sightings = {
        identity: Sighting(raw=identity, count=12, last_seen=today - timedelta(days=2), applications={"Slack"})
        for identity in DEMO_UNMATCHED_IDENTITIES
    }
    return {
        "identities to review": identity_reviews_record(sightings=sightings, source=DEMO_SOURCE),
        "names to review": NameReview.objects.count() - names_before,
    }


def _insert(model, rows: list, *, ignore_conflicts: bool) -> int:
    before = model.objects.count()
    model.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=ignore_conflicts)
    return model.objects.count() - before
