"""The reconciliation engine: which seats cost money for nothing, and where more is owed.

A run is split into parts, each a set of whole applications. For one part,
``part_frames_load`` reads the columns it needs in five queries (no per-row ORM; the
last activity per person and application is one ``MAX(day) ... GROUP BY``),
``reconcile_frames`` computes every finding with pandas from those plain DataFrames,
and ``findings_insert`` writes the result in bulk (COPY on PostgreSQL). A
benchmark can hand ``reconcile_frames`` the same inputs it gives another engine.

The rules, for an as-of date D (DESIGN.md section 3):

- An assignment is active on D when (assigned_on is null or <= D) and (unassigned_on is
  null or > D). Only active assignments count anywhere below.
- ``departed_holder``: the holder is terminated (status terminated, or a termination date
  <= D). Needs no usage data.
- ``never_used``: the application has a usage source, the holder has no activity in it on
  or before D, and the seat was assigned more than the threshold ago: (D − assigned_on)
  > threshold days. An unknown assigned_on counts as long enough: the seat has been held
  at least since before the data we have.
- ``inactive``: the application has a usage source and the holder's last activity L <= D
  is more than the threshold ago: (D − L) > threshold days (exactly the threshold is not
  inactive).
- A held seat gets at most one of these three, in that order (``SEAT_REASON_ORDER``).
  The threshold is the pool's, else its application's, else LICENSE_INACTIVITY_DAYS.
- An application without a usage source gets no never_used or inactive findings: missing
  data is never savings.
- An assignment not matched to a person yet gets none of the per-holder findings (nothing
  is known about its holder), but it does hold a seat in the pool's counts.
- ``duplicate_account``: a person holds active assignments under two or more accounts
  (compared case-insensitively) in one application, across its pools. The account with the
  latest activity is kept (activity is recorded per person and application, so in practice
  the ties decide: earliest assigned_on, unknown last, then the lowest assignment id). Every
  seat of the other accounts is a finding, unless that seat already has a finding above.
- ``unassigned_seat`` / ``over_assigned``: per pool with a known purchased quantity,
  purchased − active assignments (matched or not) when positive, and the reverse. One
  finding per pool, with that quantity.
- ``unlicensed_user``: a person who is not departed, active in an application within its
  threshold (D − L <= threshold, the application's own threshold or the global default, since
  the person holds no pool), with no active assignment in any of its pools, where the
  application has at least one pool with a known purchased quantity. Its cost is that of the
  application's cheapest priced pool (cheapest in the reporting currency, pools without a
  reporting price after those with one), which is also the finding's pool.
- Impact: quantity × the pool's annual unit cost, in the contract currency and in the
  reporting currency, each rounded to cents; null when the price or its FX rate is unknown.
"""

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection
from django.db.models import Exists, Max, OuterRef, Q

from licenses.choices import SEAT_REASON_ORDER, FindingKind
from licenses.models import Activity, Assignment, Finding, LicensePool, UsageSource
from saasmgr.core.money import round_money
from saasmgr.inventory.choices import PersonStatus
from saasmgr.inventory.models import Application, Person

KIND_ORDER = {kind: position for position, kind in enumerate(FindingKind.values)}
FETCH_CHUNK_ROWS = 20_000

# The input frames of ``reconcile_frames``: column -> dtype. Dates are datetime64 (NaT for unknown),
# money is Decimal or None in an object column, a missing id or quantity is <NA>.
POOL_COLUMNS = {
    "pool_id": "int64",
    "application_id": "int64",
    "purchased_quantity": "Int64",
    "currency": "object",
    "annual_unit_cost": "object",
    "annual_unit_cost_reporting": "object",
    "threshold_days": "int64",
}
APPLICATION_COLUMNS = {"application_id": "int64", "name": "object", "threshold_days": "int64", "has_usage": "bool"}
ASSIGNMENT_COLUMNS = {
    "assignment_id": "int64",
    "pool_id": "int64",
    "person_id": "Int64",
    "account": "object",
    "assigned_on": "datetime64[ns]",
}
LAST_ACTIVITY_COLUMNS = {"person_id": "Int64", "application_id": "int64", "last_seen": "datetime64[ns]"}
DEPARTED_COLUMNS = {"person_id": "Int64", "termination_date": "datetime64[ns]"}

# The output: one row per finding.
FINDING_COLUMNS = {
    "kind": "object",
    "application_id": "int64",
    "pool_id": "Int64",
    "person_id": "Int64",
    "assignment_id": "Int64",
    "account": "object",
    "quantity": "int64",
    "currency": "object",
    "annual_cost_impact_local": "object",
    "annual_cost_impact": "object",
    "last_seen": "datetime64[ns]",
    "days_idle": "Int64",
    "assigned_on": "datetime64[ns]",
    "days_assigned": "Int64",
    "termination_date": "datetime64[ns]",
    "threshold_days": "Int64",
    "purchased": "Int64",
    "assigned": "Int64",
    "kept_account": "object",
    "kept_assignment_id": "Int64",
    "accounts": "Int64",
}


@dataclass(frozen=True)
class PartFrames:
    """The inputs of ``reconcile_frames`` for some applications (see the *_COLUMNS schemas)."""

    pools: pd.DataFrame
    applications: pd.DataFrame
    assignments: pd.DataFrame
    last_activity: pd.DataFrame
    departed: pd.DataFrame

    def as_kwargs(self) -> dict[str, pd.DataFrame]:
        return {
            "pools": self.pools,
            "applications": self.applications,
            "assignments": self.assignments,
            "last_activity": self.last_activity,
            "departed": self.departed,
        }


def typed_frame(rows: Iterable[tuple], columns: dict[str, str]) -> pd.DataFrame:
    """A DataFrame of ``rows`` with the schema ``columns`` (also when there are no rows)."""
    frame = pd.DataFrame.from_records(list(rows), columns=list(columns))
    for column, dtype in columns.items():
        if dtype.startswith("datetime64"):
            frame[column] = pd.to_datetime(frame[column]).astype(dtype)
        elif dtype == "object":
            frame[column] = frame[column].astype(object)
        else:
            frame[column] = frame[column].astype(dtype)
    return frame


# Loading: a few queries per part


def part_frames_load(*, as_of: date, application_ids: list[int], default_days: int | None = None) -> PartFrames:
    """Everything one part needs, read as columns: pools, applications, active assignments,
    the last activity on or before ``as_of`` per (person, application), and departed people.
    ``default_days`` is the threshold where neither pool nor application sets one (default:
    LICENSE_INACTIVITY_DAYS)."""
    if default_days is None:
        default_days = settings.LICENSE_INACTIVITY_DAYS
    pool_rows = (
        LicensePool.objects.filter(application_id__in=application_ids)
        .order_by()
        .values_list(
            "pk",
            "application_id",
            "purchased_quantity",
            "currency",
            "annual_unit_cost",
            "annual_unit_cost_reporting",
            "inactivity_days",
            "application__inactivity_days",
        )
    )
    pools = typed_frame(
        ((*row[:6], _first_known(row[6], row[7], default_days)) for row in (pool_rows if application_ids else [])),
        POOL_COLUMNS,
    )
    app_rows = (
        Application.objects.filter(pk__in=application_ids)
        .annotate(has_usage=Exists(UsageSource.objects.filter(application=OuterRef("pk"))))
        .order_by()
        .values_list("pk", "name", "inactivity_days", "has_usage")
    )
    applications = typed_frame(
        (
            (pk, name, _first_known(days, default_days), has_usage)
            for pk, name, days, has_usage in (app_rows if application_ids else [])
        ),
        APPLICATION_COLUMNS,
    )
    assignment_rows = (
        Assignment.objects.filter(pool__application_id__in=application_ids)
        .filter(Q(assigned_on__isnull=True) | Q(assigned_on__lte=as_of))
        .filter(Q(unassigned_on__isnull=True) | Q(unassigned_on__gt=as_of))
        .order_by()
        .values_list("pk", "pool_id", "person_id", "account", "assigned_on")
    )
    # GROUP BY application, person: the order of the (application, person, day) index, so the
    # database reads the index in order and never sorts.
    activity_rows = (
        Activity.objects.filter(application_id__in=application_ids, day__lte=as_of)
        .values("application_id", "person_id")
        .annotate(last_seen=Max("day"))
        .order_by()
        .values_list("person_id", "application_id", "last_seen")
    )
    departed_rows = (
        Person.objects.filter(Q(status=PersonStatus.TERMINATED) | Q(termination_date__lte=as_of))
        .order_by()
        .values_list("pk", "termination_date")
    )
    return PartFrames(
        pools=pools,
        applications=applications,
        assignments=typed_frame(_fetch(assignment_rows, application_ids), ASSIGNMENT_COLUMNS),
        last_activity=typed_frame(_fetch(activity_rows, application_ids), LAST_ACTIVITY_COLUMNS),
        departed=typed_frame(_fetch(departed_rows, application_ids), DEPARTED_COLUMNS),
    )


def _fetch(queryset, application_ids):
    return queryset.iterator(chunk_size=FETCH_CHUNK_ROWS) if application_ids else []


def _first_known(*values):
    return next(value for value in values if value is not None)


# Computing: plain DataFrames in, findings out


def reconcile_frames(
    *,
    as_of: date,
    pools: pd.DataFrame,
    applications: pd.DataFrame,
    assignments: pd.DataFrame,
    last_activity: pd.DataFrame,
    departed: pd.DataFrame,
) -> pd.DataFrame:
    """Every finding of these applications on ``as_of``, one row each (``FINDING_COLUMNS``).

    ``assignments`` holds only the assignments active on ``as_of``; ``last_activity`` only days
    on or before it; ``departed`` every person terminated by then. See the module docstring.
    """
    day = pd.Timestamp(as_of)
    seats = _seats(day, pools, applications, assignments, last_activity, departed)
    pieces = [
        _seat_findings(seats),
        _duplicate_findings(seats),
        _pool_count_findings(pools, seats),
        _unlicensed_findings(day, pools, applications, seats, last_activity, departed),
    ]
    pieces = [piece for piece in pieces if not piece.empty]
    if not pieces:
        return typed_frame([], FINDING_COLUMNS)
    findings = pd.concat(pieces, ignore_index=True)
    findings["annual_cost_impact_local"] = _impact(findings["quantity"], findings["annual_unit_cost"])
    findings["annual_cost_impact"] = _impact(findings["quantity"], findings["annual_unit_cost_reporting"])
    findings = _conform(findings)
    order = findings["kind"].map(KIND_ORDER)
    sort_keys = ["application_id", "pool_id", "person_id", "assignment_id"]
    findings = findings.assign(_order=order).sort_values(["_order", *sort_keys], na_position="first")
    return findings.drop(columns="_order").reset_index(drop=True)


def _seats(day, pools, applications, assignments, last_activity, departed) -> pd.DataFrame:
    """Active assignments with their pool, usage flag, last activity, departure and seat reason."""
    seats = assignments.merge(
        pools[
            [
                "pool_id",
                "application_id",
                "threshold_days",
                "currency",
                "annual_unit_cost",
                "annual_unit_cost_reporting",
            ]
        ],
        on="pool_id",
        how="inner",
    )
    seats = seats.merge(applications[["application_id", "has_usage"]], on="application_id", how="left")
    seats["has_usage"] = seats["has_usage"].fillna(False).astype(bool)
    seats = seats.merge(last_activity, on=["person_id", "application_id"], how="left")
    gone = departed[["person_id", "termination_date"]].drop_duplicates("person_id").assign(departed=True)
    seats = seats.merge(gone, on="person_id", how="left")
    matched = seats["person_id"].notna()
    seats["departed"] = matched & seats["departed"].fillna(False).astype(bool)
    seats["days_idle"] = (day - seats["last_seen"]).dt.days
    seats["days_assigned"] = (day - seats["assigned_on"]).dt.days
    judged = matched & seats["has_usage"]
    never_used = (
        judged
        & seats["last_seen"].isna()
        & (seats["assigned_on"].isna() | (seats["days_assigned"] > seats["threshold_days"]))
    )
    inactive = judged & seats["last_seen"].notna() & (seats["days_idle"] > seats["threshold_days"])
    departed_holder, never, idle = SEAT_REASON_ORDER
    conditions = {departed_holder: seats["departed"], never: never_used, idle: inactive}
    seats["reason"] = np.select(
        [conditions[kind].to_numpy(dtype=bool) for kind in SEAT_REASON_ORDER],
        [str(kind) for kind in SEAT_REASON_ORDER],
        default="",
    )
    return seats


def _seat_findings(seats: pd.DataFrame) -> pd.DataFrame:
    findings = seats[seats["reason"] != ""].copy()
    findings["kind"] = findings["reason"]
    findings["quantity"] = 1
    return findings


def _duplicate_findings(seats: pd.DataFrame) -> pd.DataFrame:
    held = seats[seats["person_id"].notna()].copy()
    held["account_key"] = held["account"].astype(str).str.casefold()
    holder = ["application_id", "person_id"]
    held["accounts"] = held.groupby(holder)["account_key"].transform("nunique")
    several = held[held["accounts"] > 1]
    if several.empty:
        return several
    kept = (
        several.sort_values(
            [*holder, "last_seen", "assigned_on", "assignment_id"],
            ascending=[True, True, False, True, True],
            na_position="last",
        )
        .drop_duplicates(holder)[[*holder, "account_key", "account", "assignment_id"]]
        .rename(columns={"account_key": "kept_key", "account": "kept_account", "assignment_id": "kept_assignment_id"})
    )
    others = several.merge(kept, on=holder)
    # A seat already found departed, never used or inactive is counted there, never twice.
    others = others[(others["account_key"] != others["kept_key"]) & (others["reason"] == "")].copy()
    others["kind"] = str(FindingKind.DUPLICATE_ACCOUNT)
    others["quantity"] = 1
    return others


def _pool_count_findings(pools: pd.DataFrame, seats: pd.DataFrame) -> pd.DataFrame:
    counted = pools[pools["purchased_quantity"].notna()].copy()
    counted["assigned"] = counted["pool_id"].map(seats.groupby("pool_id").size()).fillna(0).astype("int64")
    counted["purchased"] = counted["purchased_quantity"].astype("int64")
    spare = counted["purchased"] - counted["assigned"]
    unassigned = counted[spare > 0].assign(kind=str(FindingKind.UNASSIGNED_SEAT), quantity=spare[spare > 0])
    over = counted[spare < 0].assign(kind=str(FindingKind.OVER_ASSIGNED), quantity=-spare[spare < 0])
    return pd.concat([unassigned, over], ignore_index=True)


def _unlicensed_findings(day, pools, applications, seats, last_activity, departed) -> pd.DataFrame:
    counted_apps = pools.loc[pools["purchased_quantity"].notna(), "application_id"].unique()
    users = last_activity[last_activity["application_id"].isin(counted_apps)].merge(
        applications[["application_id", "threshold_days"]], on="application_id"
    )
    users["days_idle"] = (day - users["last_seen"]).dt.days
    users = users[
        (users["days_idle"] <= users["threshold_days"])
        & ~users["person_id"].isin(departed["person_id"]).fillna(False).astype(bool)
    ]
    holders = seats.loc[seats["person_id"].notna(), ["application_id", "person_id"]].drop_duplicates()
    users = users.merge(holders, on=["application_id", "person_id"], how="left", indicator=True)
    users = users[users["_merge"] == "left_only"].drop(columns="_merge")
    users = users.merge(_cheapest_priced_pools(pools), on="application_id", how="left")
    users["kind"] = str(FindingKind.UNLICENSED_USER)
    users["quantity"] = 1
    return users


def _cheapest_priced_pools(pools: pd.DataFrame) -> pd.DataFrame:
    """Per application, the pool an unlicensed user would need: the cheapest priced one."""
    priced = pools[pools["annual_unit_cost"].notna()]
    cheapest = priced.sort_values(
        ["application_id", "annual_unit_cost_reporting", "annual_unit_cost", "pool_id"], na_position="last"
    ).drop_duplicates("application_id")
    return cheapest[["application_id", "pool_id", "currency", "annual_unit_cost", "annual_unit_cost_reporting"]]


def _impact(quantity: pd.Series, unit_cost: pd.Series) -> pd.Series:
    """quantity × annual unit cost, rounded to cents; None where the cost is unknown."""
    impact = pd.Series([None] * len(quantity), index=quantity.index, dtype=object)
    known = unit_cost.notna()
    if known.any():
        amounts = unit_cost[known].astype(object) * quantity[known].astype("int64").astype(object)
        impact[known] = amounts.map(round_money)
    return impact


def _conform(findings: pd.DataFrame) -> pd.DataFrame:
    """The output schema: every column of FINDING_COLUMNS, in order, with its dtype."""
    findings = findings.reindex(columns=list(FINDING_COLUMNS))
    for column in ("account", "currency", "kept_account"):
        findings[column] = findings[column].where(findings[column].notna(), "")
    for column, dtype in FINDING_COLUMNS.items():
        if dtype == "object":
            findings[column] = findings[column].astype(object)
        elif dtype.startswith("datetime64"):
            findings[column] = pd.to_datetime(findings[column]).astype(dtype)
        else:
            findings[column] = findings[column].astype(dtype)
    # None, not NaN, where money is unknown.
    for column in ("annual_cost_impact_local", "annual_cost_impact"):
        findings[column] = findings[column].where(findings[column].notna(), None)
    return findings


def reconcile_part(*, as_of: date, application_ids: list[int], default_days: int | None = None) -> pd.DataFrame:
    """The findings of these applications on ``as_of``: load, then compute."""
    frames = part_frames_load(as_of=as_of, application_ids=application_ids, default_days=default_days)
    return reconcile_frames(as_of=as_of, **frames.as_kwargs())


# Writing: Finding rows for bulk_create


# The Finding columns a part writes, in COPY order.
FINDING_FIELDS = (
    "run_id",
    "part",
    "kind",
    "application_id",
    "pool_id",
    "person_id",
    "assignment_id",
    "account",
    "quantity",
    "currency",
    "annual_cost_impact_local",
    "annual_cost_impact",
    "last_seen",
    "days_idle",
    "assigned_on",
    "termination_date",
    "evidence",
)


def finding_values(findings: pd.DataFrame, *, run_id: int, part: int) -> Iterator[tuple]:
    """One tuple of ``FINDING_FIELDS`` per finding, evidence included."""
    for row in findings.itertuples(index=False):
        yield (
            run_id,
            part,
            row.kind,
            int(row.application_id),
            _int(row.pool_id),
            _int(row.person_id),
            _int(row.assignment_id),
            row.account,
            int(row.quantity),
            row.currency,
            _money(row.annual_cost_impact_local),
            _money(row.annual_cost_impact),
            _date(row.last_seen),
            _int(row.days_idle),
            _date(row.assigned_on),
            _date(row.termination_date),
            _evidence(row),
        )


def findings_build(findings: pd.DataFrame, *, run_id: int, part: int) -> list[Finding]:
    """Unsaved Finding rows of one part."""
    return [
        Finding(**dict(zip(FINDING_FIELDS, values, strict=True)))
        for values in finding_values(findings, run_id=run_id, part=part)
    ]


def findings_insert(findings: pd.DataFrame, *, run_id: int, part: int) -> int:
    """Write the findings of one part in bulk: COPY on PostgreSQL, batched INSERTs elsewhere."""
    if connection.vendor != "postgresql":
        return len(Finding.objects.bulk_create(findings_build(findings, run_id=run_id, part=part), batch_size=2000))
    columns = ", ".join(connection.ops.quote_name(Finding._meta.get_field(name).column) for name in FINDING_FIELDS)
    table = connection.ops.quote_name(Finding._meta.db_table)
    written = 0
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for values in finding_values(findings, run_id=run_id, part=part):
            copy.write_row((*values[:-1], json.dumps(values[-1])))
            written += 1
    return written


def _evidence(row) -> dict:
    """What a person needs to check a finding, by kind."""
    kind = row.kind
    if kind == FindingKind.DEPARTED_HOLDER:
        return {
            "termination_date": _iso(row.termination_date),
            "last_seen": _iso(row.last_seen),
            "days_idle": _int(row.days_idle),
        }
    if kind == FindingKind.NEVER_USED:
        return {
            "assigned_on": _iso(row.assigned_on),
            "days_since_assigned": _int(row.days_assigned),
            "threshold_days": _int(row.threshold_days),
        }
    if kind in (FindingKind.INACTIVE, FindingKind.UNLICENSED_USER):
        evidence = {
            "last_seen": _iso(row.last_seen),
            "days_idle": _int(row.days_idle),
            "threshold_days": _int(row.threshold_days),
        }
        if kind == FindingKind.UNLICENSED_USER:
            evidence["priced_by_pool"] = _int(row.pool_id)
        return evidence
    if kind == FindingKind.DUPLICATE_ACCOUNT:
        return {
            "kept_account": row.kept_account,
            "kept_assignment": _int(row.kept_assignment_id),
            "accounts": _int(row.accounts),
            "last_seen": _iso(row.last_seen),
        }
    return {"purchased": _int(row.purchased), "assigned": _int(row.assigned)}


def _int(value) -> int | None:
    return None if pd.isna(value) else int(value)


def _date(value) -> date | None:
    return None if pd.isna(value) else value.date()


def _iso(value) -> str | None:
    return None if pd.isna(value) else value.date().isoformat()


def _money(value) -> Decimal | None:
    return None if value is None or pd.isna(value) else value
