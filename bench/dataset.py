"""The benchmark's usage events: a CSV in the ``generic`` usage format, built from the seeded company.

``seed_demo --size enterprise`` builds the people, applications, contracts, pools and seats but no
usage: the benchmark writes it here as an export file, so that the ingest is measured on it.
The file is a function of the seed, the as-of date and what is in the database (read ordered by
natural keys, never by primary key), so the same seed over the same seeded company gives the same
bytes. Everything is drawn with numpy over whole arrays; rows are written a chunk at a time.

The mix is what a real export shows: most seat holders use their application, some stopped long
ago, some never opened it (they have no rows at all), a share of applications export no usage,
people use applications without holding a seat, and a few accounts match nobody (contractors,
bots), which the ingest queues for review.
"""

import hashlib
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import numpy as np
from django.db.models import Q

from licenses.models import Assignment, LicensePool
from saasmgr.inventory.choices import PersonStatus
from saasmgr.inventory.models import Application, Person

HEADER = "email,app,timestamp,events\n"
HISTORY_DAYS = 180
FULL_EVENTS = 20_000_000
# Shares of seat holders by how they use the application ("never": no rows at all).
USAGE_MIX = {"active": 0.72, "idle": 0.16, "never": 0.12}
# Idle holders last used it this many days ago: beyond the default threshold of 60 days.
IDLE_NEWEST_DAYS = (75, HISTORY_DAYS)
ACTIVE_NEWEST_DAYS = (0, 25)
APPS_WITHOUT_USAGE_SHARE = 0.10
UNLICENSED_PAIR_SHARE = 0.02  # extra (person, application) users, as a share of the holders
UNKNOWN_ACCOUNTS = 200  # accounts that match no person
UNKNOWN_DOMAIN = "partner.example"
# An active holder's events are spread thicker than an idle holder's.
ACTIVE_WEIGHT, OTHER_WEIGHT = 3.0, 1.0
MAX_EVENTS_PER_ROW = 30
WRITE_CHUNK_ROWS = 1_000_000


@dataclass(frozen=True)
class UsageFile:
    path: str
    rows: int
    bytes: int
    sha256: str
    users: int  # distinct (account, application) pairs in the file
    holders_with_usage: int
    unlicensed_pairs: int
    unknown_pairs: int
    apps_without_usage: int

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Company:
    """What the file is drawn from, in natural-key order."""

    emails: np.ndarray  # every person's email, sorted
    departed: np.ndarray  # bool, per email
    apps: np.ndarray  # names of the applications with a license pool, sorted
    holder_person: np.ndarray  # index into emails, per distinct (holder, application) with an active seat
    holder_app: np.ndarray  # index into apps


def events_for_scale(scale: float) -> int:
    return max(1, round(FULL_EVENTS * scale))


def active_on(day: date) -> Q:
    """Assignments active on ``day``: started by then (or unknown) and not ended by then."""
    return (Q(assigned_on__isnull=True) | Q(assigned_on__lte=day)) & (
        Q(unassigned_on__isnull=True) | Q(unassigned_on__gt=day)
    )


def company_load(*, today: date) -> Company:
    """The people, applications and active seat holders of the seeded company."""
    people = sorted(
        (email, status == PersonStatus.TERMINATED or (ended is not None and ended <= today))
        for email, status, ended in Person.objects.values_list("email", "status", "termination_date")
    )
    emails = np.array([email for email, _ in people], dtype=object)
    departed = np.array([gone for _, gone in people], dtype=bool)
    pooled = LicensePool.objects.values("application_id")
    apps = np.array(sorted(Application.objects.filter(pk__in=pooled).values_list("name", flat=True)), dtype=object)
    pairs = (
        Assignment.objects.filter(active_on(today), person__isnull=False)
        .order_by()
        .values_list("person__email", "pool__application__name")
        .distinct()
    )
    holders = sorted(pairs)
    person_index = np.searchsorted(emails, np.array([email for email, _ in holders], dtype=object))
    app_index = np.searchsorted(apps, np.array([name for _, name in holders], dtype=object))
    return Company(emails, departed, apps, person_index.astype(np.int64), app_index.astype(np.int64))


@dataclass(frozen=True)
class Users:
    """One entry per (account, application) that has usage: the newest day it was used (days before
    the as-of date) and its weight in the share of rows."""

    account: np.ndarray  # index into the account vocabulary (people's emails, then unknown accounts)
    app: np.ndarray
    newest: np.ndarray
    weight: np.ndarray


def users_draw(rng: np.random.Generator, company: Company) -> tuple[Users, dict[str, int]]:
    """Who uses what, and how recently."""
    app_count = len(company.apps)
    silent = rng.choice(app_count, size=int(app_count * APPS_WITHOUT_USAGE_SHARE), replace=False)
    exported = np.ones(app_count, dtype=bool)
    exported[silent] = False

    # Seat holders: active, idle or never (no rows).
    keep = exported[company.holder_app]
    person, app = company.holder_person[keep], company.holder_app[keep]
    kinds = rng.choice(len(USAGE_MIX), size=len(person), p=list(USAGE_MIX.values()))
    active = kinds == 0
    newest = np.where(
        active, rng.integers(*ACTIVE_NEWEST_DAYS, size=len(person)), rng.integers(*IDLE_NEWEST_DAYS, size=len(person))
    )
    # People who left stopped using things a while ago.
    gone = company.departed[person]
    newest = np.where(gone, np.maximum(newest, rng.integers(30, HISTORY_DAYS, size=len(person))), newest)
    using = kinds != 2
    holders = Users(person[using], app[using], newest[using], np.where(active[using], ACTIVE_WEIGHT, OTHER_WEIGHT))

    unlicensed = _unlicensed_draw(rng, company, exported)
    unknown = _unknown_draw(rng, len(company.emails), np.flatnonzero(exported))
    parts = zip(_fields(holders), _fields(unlicensed), _fields(unknown), strict=True)
    users = Users(*(np.concatenate(columns) for columns in parts))
    counts = {
        "holders_with_usage": len(holders.account),
        "unlicensed_pairs": len(unlicensed.account),
        "unknown_pairs": len(unknown.account),
        "apps_without_usage": int((~exported).sum()),
    }
    return users, counts


def _fields(users: Users) -> tuple[np.ndarray, ...]:
    return users.account, users.app, users.newest, users.weight


def _unlicensed_draw(rng: np.random.Generator, company: Company, exported: np.ndarray) -> Users:
    """People still here using an exported application in which they hold no seat, recently."""
    wanted = int(len(company.holder_person) * UNLICENSED_PAIR_SHARE)
    present = np.flatnonzero(~company.departed)
    apps = np.flatnonzero(exported)
    if not wanted or not len(present) or not len(apps):
        return _no_users()
    person = rng.choice(present, size=wanted)
    app = rng.choice(apps, size=wanted)
    app_count = len(company.apps)
    key = person * app_count + app
    held = company.holder_person * app_count + company.holder_app
    key = np.unique(key[~np.isin(key, held)])  # sorted, so the order does not depend on the draw order
    person, app = key // app_count, key % app_count
    return Users(person, app, rng.integers(0, 20, size=len(key)), np.full(len(key), OTHER_WEIGHT))


def _unknown_draw(rng: np.random.Generator, first_account: int, apps: np.ndarray) -> Users:
    """Accounts that match no person, each in one exported application."""
    if not len(apps):
        return _no_users()
    account = first_account + np.arange(UNKNOWN_ACCOUNTS)
    app = rng.choice(apps, size=UNKNOWN_ACCOUNTS)
    return Users(account, app, rng.integers(0, 60, size=UNKNOWN_ACCOUNTS), np.full(UNKNOWN_ACCOUNTS, OTHER_WEIGHT))


def _no_users() -> Users:
    empty = np.array([], dtype=np.int64)
    return Users(empty, empty, empty, np.array([], dtype=float))


@dataclass(frozen=True)
class Rows:
    """The file's rows as arrays, in time order."""

    user: np.ndarray  # index into Users
    days_ago: np.ndarray
    second: np.ndarray  # second of the day
    events: np.ndarray


def rows_draw(rng: np.random.Generator, users: Users, total: int) -> tuple[Rows, np.ndarray]:
    """``total`` rows over the users: each user's newest day once, the rest spread by weight over the
    days from its newest day back to the start of the history. Returns the rows and the users kept
    (all of them, unless there are fewer rows than users)."""
    kept = np.arange(len(users.account))
    if total < len(kept):
        kept = np.sort(rng.choice(kept, size=total, replace=False))
    counts = np.ones(len(kept), dtype=np.int64)
    extra = total - len(kept)
    if extra > 0:
        weight = users.weight[kept] * (HISTORY_DAYS - users.newest[kept])
        counts += rng.multinomial(extra, weight / weight.sum())
    # Narrow integer types: 20 million rows of each array.
    user = np.repeat(kept.astype(np.int32), counts)
    newest = users.newest.astype(np.int16)[user]
    first = np.zeros(len(user), dtype=bool)
    first[np.cumsum(counts) - counts] = True
    spread = newest + np.floor(rng.random(len(user), dtype=np.float32) * (HISTORY_DAYS - newest)).astype(np.int16)
    days_ago = np.where(first, newest, spread)
    second = rng.integers(0, 86_400, size=len(user), dtype=np.int32)
    events = rng.integers(1, MAX_EVENTS_PER_ROW, size=len(user), dtype=np.int8)
    order = np.argsort((HISTORY_DAYS - days_ago).astype(np.int32) * 86_400 + second, kind="stable")
    return Rows(user[order], days_ago[order], second[order], events[order]), kept


def usage_file_write(*, path: Path, seed: int, today: date, rows: int, company: Company | None = None) -> UsageFile:
    """Write ``rows`` usage events as of ``today`` to ``path`` (replacing it); the same arguments over
    the same company give the same bytes."""
    company = company or company_load(today=today)
    rng = np.random.default_rng(seed)
    users, counts = users_draw(rng, company)
    if not len(users.account):
        raise ValueError("The database has no license seats to draw usage for: run seed_demo first.")
    drawn, kept = rows_draw(rng, users, rows)
    # Each line is pieces from small vocabularies, joined as byte strings by numpy:
    # "<account>,<app>," per user, then "<day>T", "<hh:mm:ss>Z," and "<events>\n".
    unknown = [f"contractor{n:04d}@{UNKNOWN_DOMAIN}" for n in range(UNKNOWN_ACCOUNTS)]
    accounts = _csv_cells(np.concatenate([company.emails, unknown]))
    user_cells = np.strings.add(np.strings.add(accounts[users.account], b","), _csv_cells(company.apps)[users.app])
    user_cells = np.strings.add(user_cells, b",")
    days = _bytes(f"{day}T" for day in np.datetime64(today) - np.arange(HISTORY_DAYS + 1))
    clock = _bytes(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}Z," for s in range(86_400))
    counts_text = _bytes(f"{n}\n" for n in range(MAX_EVENTS_PER_ROW + 1))
    digest = hashlib.sha256()
    size = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        size += _write(out, digest, HEADER.encode())
        for start in range(0, rows, WRITE_CHUNK_ROWS):
            part = slice(start, start + WRITE_CHUNK_ROWS)
            lines = np.strings.add(
                np.strings.add(user_cells[drawn.user[part]], days[drawn.days_ago[part]]),
                np.strings.add(clock[drawn.second[part]], counts_text[drawn.events[part]]),
            )
            size += _write(out, digest, b"".join(lines.tolist()))
    return UsageFile(
        path=str(path),
        rows=rows,
        bytes=size,
        sha256=digest.hexdigest(),
        users=len(kept),
        **counts,
    )


def _bytes(texts) -> np.ndarray:
    """UTF-8 byte strings, as a numpy array numpy can join without Python objects."""
    return np.array([text.encode() for text in texts], dtype=bytes)


def _write(out, digest, data: bytes) -> int:
    out.write(data)
    digest.update(data)
    return len(data)


def _csv_cells(values) -> np.ndarray:
    """Values as CSV cells (UTF-8 bytes): quoted when they hold a comma, a quote or a line break."""
    return _bytes(_csv_cell(value) for value in values)


def _csv_cell(value: str) -> str:
    if any(special in value for special in (",", '"', "\n", "\r")):
        return '"' + value.replace('"', '""') + '"'
    return value
