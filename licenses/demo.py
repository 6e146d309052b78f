"""Demo license data: who holds the seats of the demo company's pools, and how they use them.

It runs after the contracts are loaded (their per-seat line items made the pools). The mix is what a real
company sees: most seats in use, a share idle or never opened, some held by people who left, a few pools
over-assigned, people with a second account, people using an app without a seat, and some applications with
no usage source at all.

Loading inserts what is missing, like the rest of ``seed_demo``, and changes nothing that is there but the
last day the demo's usage sources cover. The savings demo runs after it and changes the pools (a reclaim ends
seats and buys fewer, a downgrade moves holders to another pool of the app, a card-paid plan is entered by
hand), so nothing here may depend on what it changes:

- the pools are those of the contracts' line items with a known purchased quantity (0 included), a set the
  savings demo adds nothing to;
- a pool's seats are drawn once, while it has none, by a generator of its own seeded from (seed, pool);
- usage is written for the seats that are live, each seat by a generator of its own seeded from (seed,
  today, application, account): the same day gives a seat the same days whatever happened to the others.
  How a seat is used (active, idle, never) is drawn without the day, so that the mix holds however many days
  the demo is seeded on;
- a later day writes only the days after those the demo's usage source of the application covers, and
  widens it up to ``today``: the usage goes on, and the history an earlier day wrote stays as it was.

Every seed is made of natural keys (names, accounts) hashed with CRC-32, never of primary keys, so that the
same seed gives the same seats in any database.
"""

import zlib
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from licenses.choices import AssignmentSource
from licenses.matching import ApplicationMatcher, Sighting, identity_reviews_record
from licenses.models import Activity, Assignment, IdentityReview, LicensePool, NameReview, UsageSource
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
# People using an application without its seat, per seat drawn in a pool (about 2% of the seats bought).
UNLICENSED_PER_SEAT = 0.025
UNLICENSED_STREAM = 1  # tells apart the draw of a pool's unlicensed users from that of its seats
# Raw names the demo's usage exports use, which a person reviews once.
DEMO_UNMATCHED_NAMES = ("SFDC", "Zoom Video Comms", "MSFT Teams", "Atlassian Cloud (Jira)")
DEMO_UNMATCHED_IDENTITIES = ("svc-backup@acme-corp.example", "jenkins-bot", "j.doe.contractor@partner.example")


@dataclass(frozen=True)
class _People:
    ids: np.ndarray
    emails: list[str]
    terminated: np.ndarray
    start_days: np.ndarray  # days before today the person started (large when unknown)


@dataclass(frozen=True)
class _Pool:
    pk: int
    application_id: int
    purchased: int
    key: int  # a stable number for the pool's natural key
    application_key: int  # the same for its application


def demo_licenses_load(*, seed: int, today: date, with_activity: bool = True) -> dict[str, int]:
    """Assign the seats of the demo pools that have none and write the usage of the live seats up to ``today``;
    returns what was created."""
    people = _people(today)
    pools = _pools()
    if not pools or not len(people.ids):
        return {"license assignments": 0, "activity days": 0}
    without_usage = _without_usage(seed, pools)
    with transaction.atomic():
        assigned = set(Assignment.objects.order_by().values_list("pool_id", flat=True).distinct())
        unassigned = [pool for pool in pools if pool.purchased > 0 and pool.pk not in assigned]
        counts = {"license assignments": _insert(Assignment, _assignments(seed, unassigned, people, today))}
        if with_activity:
            counts["activity days"] = _load_activity(seed, pools, people, today, without_usage)
            counts["usage sources"] = _load_usage_sources(pools, without_usage, today)
            counts.update(_queue_reviews(today))
    return counts


def _key(*parts: str) -> int:
    """A stable 32-bit number for a natural key, to seed a generator with."""
    return zlib.crc32("\x1f".join(parts).encode())


def _people(today: date) -> _People:
    rows = list(Person.objects.order_by("email").values_list("pk", "email", "status", "start_date"))
    return _People(
        ids=np.array([row[0] for row in rows], dtype=np.int64),
        emails=[row[1] for row in rows],
        terminated=np.array([row[2] == PersonStatus.TERMINATED for row in rows]),
        start_days=np.array([(today - row[3]).days if row[3] else 3650 for row in rows], dtype=np.int64),
    )


def _pools() -> list[_Pool]:
    """The contracts' pools whose purchased quantity is known, by natural key. Pools entered by hand are left
    out: the savings demo adds its card-paid plans after this, with their own holders."""
    rows = (
        LicensePool.objects.filter(line_item__isnull=False, purchased_quantity__isnull=False)
        .order_by("application__name", "name")
        .values_list("pk", "application_id", "purchased_quantity", "application__name", "name")
    )
    return [
        _Pool(pk=pk, application_id=app_id, purchased=purchased, key=_key(app, name), application_key=_key(app))
        for pk, app_id, purchased, app, name in rows
    ]


def _without_usage(seed: int, pools: list[_Pool]) -> set[int]:
    apps = list(dict.fromkeys(pool.application_id for pool in pools))  # by name, as the pools are
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(apps), size=int(len(apps) * NO_USAGE_SOURCE_SHARE), replace=False)
    return {apps[index] for index in chosen.tolist()}


def _assignments(seed: int, pools: list[_Pool], people: _People, today: date) -> list[Assignment]:
    rows = []
    for pool in pools:
        rng = np.random.default_rng([seed, pool.key])
        over = rng.random() < OVER_ASSIGNED_POOL_SHARE
        share = rng.uniform(1.02, 1.12) if over else rng.uniform(0.62, 0.98)
        held = min(len(people.ids), max(1, int(round(pool.purchased * share))))
        chosen = rng.choice(len(people.ids), size=held, replace=False)
        # Seats were handed out over the last two years, never before the holder started.
        assigned_ago = np.minimum(rng.integers(5, 730, size=held), people.start_days[chosen])
        for index, ago in zip(chosen.tolist(), assigned_ago.tolist(), strict=True):
            rows.append(
                Assignment(
                    pool_id=pool.pk,
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
                    pool_id=pool.pk,
                    person_id=int(people.ids[index]),
                    account=f"{local}.admin@{domain}",
                    assigned_on=today - timedelta(days=200),
                    source=AssignmentSource.IMPORT,
                )
            )
    return rows


def _load_activity(seed: int, pools: list[_Pool], people: _People, today: date, without_usage: set[int]) -> int:
    """The usage of the live seats and of a few people without one, on the days after what the demo's usage
    source of each application covers already (all of them the first time): a later day adds its new days and
    leaves the history an earlier one wrote alone."""
    pool_of = {pool.pk: pool for pool in pools}
    covered = dict(UsageSource.objects.filter(source=DEMO_SOURCE).values_list("application_id", "last_day"))
    usage = _Usage(today=today, covered=covered)
    terminated = dict(zip(people.ids.tolist(), people.terminated.tolist(), strict=True))
    seats = Assignment.objects.filter(pool_id__in=list(pool_of), person__isnull=False)
    for pool_id, person_id, account in seats.filter(unassigned_on__isnull=True).values_list(
        "pool_id", "person_id", "account"
    ):
        pool = pool_of[pool_id]
        if pool.application_id in without_usage or account.split("@")[0].endswith(".admin"):
            continue
        # Keyed by application, not pool: a holder moved to another license type of the app uses it as before.
        # How the seat is used is drawn without the day, so that each day's run keeps the mix.
        seat = (pool.application_key, _key(account.lower()))
        kind = _usage_kind(np.random.default_rng([seed, *seat]))
        if kind == "never":
            continue
        rng = np.random.default_rng([seed, today.toordinal(), *seat])
        newest = int(rng.integers(0, 25)) if kind == "active" else int(rng.integers(75, HISTORY_DAYS))
        if terminated[person_id]:
            newest = max(newest, int(rng.integers(30, HISTORY_DAYS)))
        usage.add(person_id, pool.application_id, _usage_days(rng, today, newest))
    _unlicensed_usage(seed, pools, people, without_usage, seats, usage)
    return _insert(Activity, usage.rows())


class _Usage:
    """Activity days by (person, application, day), the most events of any draw for that day."""

    def __init__(self, *, today: date, covered: dict[int, date]):
        self.today, self.covered = today, covered
        self.days: dict[tuple[int, int, date], int] = {}

    def add(self, person_id: int, app_id: int, used: dict[date, int]) -> None:
        after = self.covered.get(app_id) or date.min
        for day, events in used.items():
            if day > after:
                key = (person_id, app_id, day)
                self.days[key] = max(self.days.get(key, 0), events)

    def rows(self) -> list[Activity]:
        return [
            Activity(person_id=person, application_id=app, day=day, events=events)
            for (person, app, day), events in self.days.items()
        ]


def _usage_kind(rng: np.random.Generator) -> str:
    kinds = list(USAGE_MIX)
    return kinds[rng.choice(len(kinds), p=list(USAGE_MIX.values()))]


def _unlicensed_usage(
    seed: int, pools: list[_Pool], people: _People, without_usage: set[int], seats: QuerySet, usage: _Usage
) -> None:
    """People who use an application without ever holding one of its seats, a few per pool, the same people
    every day (drawn without the day), their usage drawn with the day.

    How many follows the seats drawn in the pool (ended ones too), which nothing after the draw adds to, and
    they are the first of a shuffle of everyone, each one's days drawn whether kept or not: a later run of the
    same day picks the same people, or fewer, on the same days."""
    apps = {pool.application_id for pool in pools}
    holders = set(
        Assignment.objects.filter(pool__application_id__in=apps).values_list("person_id", "pool__application_id")
    )
    drawn = dict(seats.filter(source=AssignmentSource.IMPORT).order_by().values_list("pool_id").annotate(n=Count("pk")))
    for pool in pools:
        if pool.application_id in without_usage or not drawn.get(pool.pk):
            continue
        count = max(1, int(drawn[pool.pk] * UNLICENSED_PER_SEAT))
        chosen = np.random.default_rng([seed, pool.key, UNLICENSED_STREAM]).permutation(len(people.ids))[:count]
        rng = np.random.default_rng([seed, usage.today.toordinal(), pool.key])
        for index in chosen.tolist():
            used = _usage_days(rng, usage.today, int(rng.integers(0, 20)))
            person_id = int(people.ids[index])
            if (person_id, pool.application_id) not in holders and not people.terminated[index]:
                usage.add(person_id, pool.application_id, used)


def _usage_days(rng: np.random.Generator, today: date, newest: int) -> dict[date, int]:
    """Usage on the newest day and on some days before it: busy people most days, others now and then."""
    span = HISTORY_DAYS - newest
    count = int(rng.integers(1, max(2, min(span, 40))))
    offsets = {newest, *(newest + rng.integers(0, span, size=count)).tolist()}
    # Sorted: the events drawn for each day must not depend on the order a set iterates in.
    return {today - timedelta(days=int(offset)): int(rng.integers(1, 30)) for offset in sorted(offsets)}


def _load_usage_sources(pools: list[_Pool], without_usage: set[int], today: date) -> int:
    """The demo's usage source of each application with usage, its coverage widened up to ``today``."""
    app_ids = sorted({pool.application_id for pool in pools} - without_usage)
    UsageSource.objects.filter(source=DEMO_SOURCE, application_id__in=app_ids, last_day__lt=today).update(
        last_day=today, updated_at=timezone.now()
    )
    rows = [
        UsageSource(
            application_id=app_id, source=DEMO_SOURCE, first_day=today - timedelta(days=HISTORY_DAYS), last_day=today
        )
        for app_id in app_ids
    ]
    return _insert(UsageSource, rows)


def _queue_reviews(today: date) -> dict[str, int]:
    """A few identities and names a usage export would bring that nobody has matched yet, queued once (queuing an
    identity again would add to its sightings)."""
    names_before = NameReview.objects.count()
    ApplicationMatcher(source=DEMO_SOURCE).match(list(DEMO_UNMATCHED_NAMES))
    queued = set(
        IdentityReview.objects.filter(identity__in=DEMO_UNMATCHED_IDENTITIES).values_list("identity", flat=True)
    )
    sightings = {
        identity: Sighting(raw=identity, count=12, last_seen=today - timedelta(days=2), applications={"Slack"})
        for identity in DEMO_UNMATCHED_IDENTITIES
        if identity not in queued
    }
    return {
        "identities to review": identity_reviews_record(sightings=sightings, source=DEMO_SOURCE),
        "names to review": NameReview.objects.count() - names_before,
    }


def _insert(model, rows: list) -> int:
    """Insert the rows that are not there yet; returns how many were."""
    before = model.objects.count()
    model.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
    return model.objects.count() - before
