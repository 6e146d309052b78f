"""Settling the review queues: what a person decides about an unmatched account or name.

Every decision is remembered, as an alias or as the review's status, so the next import matches
by itself; and the usage that waited for the decision (PendingActivity) moves into Activity at once.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pandas as pd
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from licenses.choices import IdentityStatus, NameKind, NameReviewStatus
from licenses.ingest.usage import usage_sources_cover
from licenses.ingest.writer import activity_rows_merge
from licenses.matching import ApplicationMatcher, IdentityResolver, LicenseNameMatcher, identity_holders
from licenses.models import Assignment, IdentityReview, LicensePool, NameReview, PendingActivity, SkuAlias
from saasmgr.inventory.choices import AliasKind
from saasmgr.inventory.models import Application, ApplicationAlias, Person, PersonAlias
from saasmgr.inventory.names import normalise_name

NOT_A_PERSON = (IdentityStatus.SERVICE, IdentityStatus.SHARED)
# Keys per IN (...) list: SQLite allows 32,766 parameters in one statement.
CHUNK = 5000


class ReviewError(ValueError):
    """A review decision that cannot be applied; the message says why and what to do instead."""


@dataclass(frozen=True)
class IdentityLink:
    review: IdentityReview
    alias_created: bool
    activity_days: int  # pending activity rows moved into Activity
    assignments: int  # assignments whose account now names the person


@dataclass(frozen=True)
class NameConfirmation:
    review: NameReview
    alias_created: bool
    activity_days: int


# Identities


@transaction.atomic
def identity_review_link(*, review: IdentityReview, person: Person, user) -> IdentityLink:
    """The account is ``person``'s: remember it as their alias, and give them its assignments and usage."""
    review = IdentityReview.objects.select_for_update().get(pk=review.pk)
    if review.status == IdentityStatus.LINKED:
        raise ReviewError(f"“{review.raw}” is already linked to {review.person}.")
    alias_created = _person_alias_ensure(identity=review.identity, person=person)
    review.status = IdentityStatus.LINKED
    review.person = person
    review.reviewed_by = user
    review.reviewed_at = timezone.now()
    review.save(update_fields=["status", "person", "reviewed_by", "reviewed_at", "updated_at"])
    assignments = _assignments_attribute(identity=review.identity, person=person, user=user)
    days = pending_activity_promote(identities=[review.identity])
    return IdentityLink(review=review, alias_created=alias_created, activity_days=days, assignments=assignments)


def _person_alias_ensure(*, identity: str, person: Person) -> bool:
    """Adds ``identity`` to the person's aliases unless they have it; refuses one that is someone else's."""
    holders = {
        *identity_holders(identity, Person.objects.all(), "email"),
        *identity_holders(identity, PersonAlias.objects.all(), "value", key="person_id"),
    }
    others = sorted({pk for pk, _ in holders} - {person.pk})
    if others:
        other = Person.objects.get(pk=others[0])
        raise ReviewError(
            f"“{identity}” already belongs to {other}. Link it to them, or remove it from their "
            "aliases first if it was wrong."
        )
    if holders:
        return False  # the person's own email or alias, in another spelling
    kind = AliasKind.EMAIL if "@" in identity else AliasKind.USERNAME
    PersonAlias.objects.create(person=person, kind=kind, value=identity)
    return True


def _assignments_attribute(*, identity: str, person: Person, user) -> int:
    """Fills the person of the unmatched assignments whose account is this identity."""
    unmatched = Assignment.objects.filter(person__isnull=True)
    ids = [pk for pk, _ in identity_holders(identity, unmatched, "account")]
    if not ids:
        return 0
    assignments = list(Assignment.objects.filter(pk__in=ids))
    for assignment in assignments:
        assignment.person = person
    bulk_update_with_history(
        assignments, Assignment, ["person"], default_user=user, default_change_reason="Account linked in review"
    )
    return len(assignments)


@transaction.atomic
def identity_review_mark(*, review: IdentityReview, status: str, user) -> IdentityReview:
    """Not a person: a service or a shared account. Its usage stays pending, attributed to nobody."""
    if status not in NOT_A_PERSON:
        raise ReviewError(
            f"An account can be marked as {' or '.join(str(s.label).lower() for s in NOT_A_PERSON)}, "
            f"not “{status}”; link it to a person instead."
        )
    review = IdentityReview.objects.select_for_update().get(pk=review.pk)
    if review.status == IdentityStatus.LINKED:
        raise ReviewError(f"“{review.raw}” is linked to {review.person}; its usage is already theirs.")
    review.status = status
    review.person = None
    review.reviewed_by = user
    review.reviewed_at = timezone.now()
    review.save(update_fields=["status", "person", "reviewed_by", "reviewed_at", "updated_at"])
    return review


@transaction.atomic
def identity_review_reopen(*, review: IdentityReview, user) -> IdentityReview:
    """A service or shared account goes back to the queue; the next import counts it there again."""
    review = IdentityReview.objects.select_for_update().get(pk=review.pk)
    if review.status == IdentityStatus.PENDING:
        raise ReviewError(f"“{review.raw}” is already waiting for review.")
    if review.status == IdentityStatus.LINKED:
        raise ReviewError(
            f"“{review.raw}” is linked to {review.person} and its usage was attributed to them; "
            "it cannot go back to the queue."
        )
    review.status = IdentityStatus.PENDING
    review.reviewed_by = user
    review.reviewed_at = timezone.now()
    review.save(update_fields=["status", "reviewed_by", "reviewed_at", "updated_at"])
    return review


# Names


@transaction.atomic
def name_review_confirm(
    *, review: NameReview, application: Application | None = None, pool: LicensePool | None = None, user
) -> NameConfirmation:
    """The name means ``application`` (an application name) or ``pool`` (a license name): saved as an alias."""
    review = NameReview.objects.select_for_update(of=("self",)).select_related("application").get(pk=review.pk)
    if review.status == NameReviewStatus.CONFIRMED:
        target = review.confirmed_application or review.confirmed_pool
        raise ReviewError(f"“{review.raw}” was already confirmed as {target}.")
    if review.kind == NameKind.APPLICATION:
        if application is None:
            raise ReviewError(f"Pick the application that “{review.raw}” is a name of.")
        alias_created = _application_alias_ensure(review=review, application=application)
        review.confirmed_application = application
    else:
        if pool is None:
            raise ReviewError(f"Pick the license pool of {review.application} that “{review.raw}” is a name of.")
        if pool.application_id != review.application_id:
            raise ReviewError(f"“{pool}” is not a license of {review.application}; pick one of its pools.")
        alias_created = _sku_alias_ensure(review=review, pool=pool)
        review.confirmed_pool = pool
    review.status = NameReviewStatus.CONFIRMED
    review.reviewed_by = user
    review.reviewed_at = timezone.now()
    review.save(
        update_fields=["status", "confirmed_application", "confirmed_pool", "reviewed_by", "reviewed_at", "updated_at"]
    )
    days = 0
    if review.kind == NameKind.APPLICATION:
        days = pending_activity_promote(app_names={review.normalised, normalise_name(review.raw)})
    return NameConfirmation(review=review, alias_created=alias_created, activity_days=days)


def _application_alias_ensure(*, review: NameReview, application: Application) -> bool:
    matcher = ApplicationMatcher(source=review.source, queue=False)
    current = matcher.match_one(review.raw)
    if current is not None and current != application.pk:
        other = Application.objects.get(pk=current)
        raise ReviewError(
            f"“{review.raw}” already names {other}. Confirm it as {other}, or rename that application "
            "or remove its alias first."
        )
    if ApplicationAlias.objects.filter(normalised=normalise_name(review.raw)).exists():
        return False
    ApplicationAlias.objects.create(application=application, name=review.raw)
    return True


def _sku_alias_ensure(*, review: NameReview, pool: LicensePool) -> bool:
    matcher = LicenseNameMatcher(application_id=review.application_id, source=review.source, queue=False)
    current = matcher.match_one(review.raw)
    if current is not None and current != pool.pk:
        other = LicensePool.objects.get(pk=current)
        raise ReviewError(f"“{review.raw}” already names the license “{other.name}”; confirm it as that one.")
    _, created = SkuAlias.objects.get_or_create(
        pool=pool, normalised=normalise_name(review.raw), defaults={"name": review.raw}
    )
    return created


@transaction.atomic
def name_review_reject(*, review: NameReview, user) -> NameReview:
    """Not a match (an application that is not tracked, say): the name is not queued again."""
    review = NameReview.objects.select_for_update().get(pk=review.pk)
    if review.status != NameReviewStatus.PENDING:
        raise ReviewError(f"“{review.raw}” is not waiting for review ({review.get_status_display().lower()}).")
    review.status = NameReviewStatus.REJECTED
    review.reviewed_by = user
    review.reviewed_at = timezone.now()
    review.save(update_fields=["status", "reviewed_by", "reviewed_at", "updated_at"])
    return review


@transaction.atomic
def name_review_reopen(*, review: NameReview, user) -> NameReview:
    """A name marked "not a match" goes back to the queue."""
    review = NameReview.objects.select_for_update().get(pk=review.pk)
    if review.status != NameReviewStatus.REJECTED:
        raise ReviewError(f"Only a name marked “not a match” can be reopened; “{review.raw}” is not.")
    review.status = NameReviewStatus.PENDING
    review.reviewed_by = user
    review.reviewed_at = timezone.now()
    review.save(update_fields=["status", "reviewed_by", "reviewed_at", "updated_at"])
    return review


# Pending activity


@transaction.atomic
def pending_activity_promote(*, identities: Iterable[str] | None = None, app_names: Iterable[str] | None = None) -> int:
    """Moves the pending usage whose account now resolves to a person and whose application name to an
    application into Activity (optionally only these identities or names); returns how many pending
    rows (one per account, name and day) moved."""
    frame = _pending_frame(identities, app_names)
    if frame.empty:
        return 0
    resolver = IdentityResolver()
    people = {identity: resolver.person_id(identity) for identity in frame["identity"].unique()}
    applications = ApplicationMatcher(source="review", queue=False).match(frame["app_name"].unique())
    frame["person_id"] = frame["identity"].map(people)
    frame["application_id"] = frame["app_name"].map(applications)
    moving = frame.dropna(subset=["person_id", "application_id"])
    if moving.empty:
        return 0
    # As if the account and name had been known on import: two accounts of one person in one source's
    # report add up; two sources reporting the same day keep the larger count (Activity.events).
    per_source = moving.groupby(["person_id", "application_id", "day", "source"], as_index=False)["events"].sum()
    days = per_source.groupby(["person_id", "application_id", "day"], as_index=False)["events"].max()
    days = days.astype({"person_id": "int64", "application_id": "int64", "events": "int64"})
    activity_rows_merge(days)
    _usage_sources_record(moving)
    for chunk in _chunks(moving["pk"].tolist()):
        PendingActivity.objects.filter(pk__in=chunk).delete()
    return len(moving)


PENDING_FIELDS = ["pk", "identity", "app_name", "day", "events", "source"]


def _usage_sources_record(moving: pd.DataFrame) -> None:
    """The applications now have usage data from the sources the moved rows came from, over their days, as
    if the import had matched them: without it reconciliation would take them for applications without usage."""
    spans = moving.groupby(["source", "application_id"])["day"].agg(["min", "max"])
    for source, rows in spans.groupby(level="source"):
        coverage = {int(app_id): (first, last) for (_, app_id), (first, last) in rows.iterrows()}
        usage_sources_cover(coverage=coverage, source=source)


def _pending_frame(identities: Iterable[str] | None, app_names: Iterable[str] | None) -> pd.DataFrame:
    """The pending rows (locked until the transaction ends, so an import cannot change one that is moving)."""
    identity_chunks = [None] if identities is None else list(_chunks(sorted(set(identities))))
    name_chunks = [None] if app_names is None else list(_chunks(sorted(set(app_names))))
    records = []
    for identity_chunk in identity_chunks:
        for name_chunk in name_chunks:
            rows = PendingActivity.objects.select_for_update()
            if identity_chunk is not None:
                rows = rows.filter(identity__in=identity_chunk)
            if name_chunk is not None:
                rows = rows.filter(app_name__in=name_chunk)
            records.extend(rows.values_list(*PENDING_FIELDS))
    return pd.DataFrame.from_records(records, columns=PENDING_FIELDS)


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
