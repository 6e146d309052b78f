"""Matching what usage and assignment exports call things to what saasmgr knows.

Identities (an email or a username) resolve to people; raw application names to
applications; raw license names to the license pools of one application. Each
matcher works in the same order:

1. exact match after normalising;
2. confirmed aliases (PersonAlias, ApplicationAlias, SkuAlias, and reviewed names);
3. for names only, a rapidfuzz score (WRatio of the normalised names): at or above
   ``NAME_MATCH_AUTO_SCORE``, with no other candidate as good, the name is linked by
   itself (and the link is saved as an alias); otherwise it is queued for review, with
   the candidates scoring at least ``NAME_MATCH_REVIEW_SCORE`` as suggestions.

Whatever is still unknown goes to a review queue (IdentityReview, NameReview), so a
person confirms it once and the next import matches by itself.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from rapidfuzz import fuzz, process

from licenses.choices import IdentityStatus, NameKind, NameReviewStatus
from licenses.models import IdentityReview, LicensePool, NameReview, SkuAlias
from saasmgr.inventory.models import Application, ApplicationAlias, Person, PersonAlias
from saasmgr.inventory.names import normalise_name

SUGGESTIONS = 3
# The longest name the review queue and the aliases store.
NAME_MAX = 200


def domain_aliases() -> dict[str, str]:
    return {alias.lower(): domain.lower() for alias, domain in settings.IDENTITY_DOMAIN_ALIASES.items()}


def normalise_identity(raw: str, aliases: dict[str, str] | None = None) -> str:
    """``" Ann.Lee+crm@Old.Example.com "`` -> ``"ann.lee@example.com"`` (with old.example.com aliased):
    lower case, no plus-address tag, the domain's canonical name. A username is only lower-cased."""
    text = (raw or "").strip().lower()
    if "@" not in text:
        return text
    local, _, domain = text.rpartition("@")
    local = local.split("+", 1)[0]
    aliases = domain_aliases() if aliases is None else aliases
    return f"{local}@{aliases.get(domain, domain)}"


class IdentityResolver:
    """Resolves normalised identities to person ids. Loads every person's email and alias once, so a
    file of millions of rows costs one query, then dictionary lookups."""

    def __init__(self):
        self.aliases = domain_aliases()
        self._people: dict[str, int] | None = None
        self._not_people: set[str] = set()

    def normalise(self, raw: str) -> str:
        return normalise_identity(raw, self.aliases)

    def _load(self) -> dict[str, int]:
        people: dict[str, int] = {}
        for pk, email in Person.objects.values_list("pk", "email"):
            people.setdefault(self.normalise(email), pk)
        # An alias never takes over another person's primary email.
        for person_id, value in PersonAlias.objects.values_list("person_id", "value"):
            people.setdefault(self.normalise(value), person_id)
        reviewed = IdentityReview.objects.exclude(status=IdentityStatus.PENDING)
        for identity, status, person_id in reviewed.values_list("identity", "status", "person_id"):
            if status == IdentityStatus.LINKED and person_id:
                people.setdefault(identity, person_id)
            else:
                self._not_people.add(identity)
        return people

    @property
    def people(self) -> dict[str, int]:
        if self._people is None:
            self._people = self._load()
        return self._people

    def person_id(self, identity: str) -> int | None:
        """The person of a normalised identity, or None."""
        return self.people.get(identity)

    def is_known_non_person(self, identity: str) -> bool:
        """A service or shared account: not a person, and not waiting for review either."""
        self.people  # noqa: B018 - loads the reviewed identities
        return identity in self._not_people


def identity_holders(identity: str, queryset, field_name: str, *, key: str = "pk") -> list[tuple[int, str]]:
    """``(key, raw value)`` of the rows of ``queryset`` whose ``field_name`` normalises to ``identity``
    (plus tags and aliased domains included), without loading the whole table.

    Normalising keeps the start of an identity (it lower-cases it, cuts the "+tag" and maps the
    domain), so a case-insensitive prefix narrows the rows before the exact comparison in Python.
    """
    prefix = identity.split("@", 1)[0] if "@" in identity else identity
    aliases = domain_aliases()
    rows = queryset.filter(**{f"{field_name}__istartswith": prefix.strip()}).values_list(key, field_name)
    return [(pk, value) for pk, value in rows if normalise_identity(value, aliases) == identity]


@dataclass
class Sighting:
    """How often an unmatched identity was seen in one import, for the review queue."""

    raw: str
    count: int = 0
    last_seen: date | None = None
    applications: set[str] = field(default_factory=set)

    def add(self, count: int, day: date | None, application: str | None) -> None:
        self.count += count
        if day and (self.last_seen is None or day > self.last_seen):
            self.last_seen = day
        if application and len(self.applications) < 10:
            self.applications.add(application)


def identity_reviews_record(*, sightings: dict[str, Sighting], source: str) -> int:
    """Queue unmatched identities (normalised -> Sighting) for review, or add to their counts.
    Returns how many new identities were queued."""
    if not sightings:
        return 0
    existing = {review.identity: review for review in IdentityReview.objects.filter(identity__in=list(sightings))}
    new, changed = [], []
    for identity, sighting in sightings.items():
        review = existing.get(identity)
        if review is None:
            new.append(
                IdentityReview(
                    identity=identity,
                    raw=sighting.raw[:254],
                    source=source,
                    sightings=sighting.count,
                    last_seen=sighting.last_seen,
                    applications=_joined(sighting.applications),
                )
            )
            continue
        # F() keeps a concurrent import's count: both additions land.
        review.sightings = F("sightings") + sighting.count
        review.last_seen = max(filter(None, (review.last_seen, sighting.last_seen)), default=None)
        review.applications = _joined(set(filter(None, review.applications.split(", "))) | sighting.applications)
        changed.append(review)
    IdentityReview.objects.bulk_update(changed, ["sightings", "last_seen", "applications"], batch_size=500)
    IdentityReview.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
    return len(new)


def _joined(names: Iterable[str]) -> str:
    return ", ".join(sorted(names))[:500]


class NameMatcher:
    """Matches raw names to candidates (applications, or the pools of one application).

    ``match`` returns raw name -> candidate id, or None when the name is queued for review.
    With ``queue=False`` it only looks (exact, aliases, reviewed names), and neither links nor queues.
    """

    kind: str
    confirmed_field: str  # the NameReview field that holds a confirmed candidate

    def __init__(self, *, source: str, queue: bool = True):
        self.source = source
        self.queue = queue
        self.auto_score = settings.NAME_MATCH_AUTO_SCORE
        self.review_score = settings.NAME_MATCH_REVIEW_SCORE
        self._known: dict[str, int] = {}
        self._labels: dict[int, str] = {}
        self._choices: dict[str, int] = {}
        self._rejected: set[str] = set()
        self._queued: set[str] = set()
        self._load()

    # Subclasses fill the lookups.
    def _load(self) -> None:
        raise NotImplementedError

    def _save_alias(self, raw: str, candidate_id: int) -> None:
        raise NotImplementedError

    def _reviews(self):
        raise NotImplementedError

    def _review_fields(self) -> dict:
        return {}

    def _load_reviews(self) -> None:
        for normalised, status, target in self._reviews().values_list("normalised", "status", self.confirmed_field):
            if status == NameReviewStatus.CONFIRMED and target:
                self._known.setdefault(normalised, target)
            elif status == NameReviewStatus.REJECTED:
                self._rejected.add(normalised)

    def match(self, raw_names: Iterable[str], *, counts: dict[str, int] | None = None) -> dict[str, int | None]:
        """Raw name -> candidate id or None. Spellings that normalise alike are queued once, with their
        sightings added up."""
        counts = counts or {}
        spellings: dict[str, list[str]] = {}
        for raw in raw_names:
            spellings.setdefault(normalise_name(raw)[:NAME_MAX], []).append(raw)
        found: dict[str, int | None] = {}
        for group in spellings.values():
            unique = list(dict.fromkeys(group))
            candidate_id = self.match_one(unique[0], count=sum(counts.get(raw, 1) for raw in unique))
            found.update(dict.fromkeys(unique, candidate_id))
        return found

    def match_one(self, raw: str, *, count: int = 1) -> int | None:
        normalised = normalise_name(raw)[:NAME_MAX]
        if not normalised:
            return None
        if normalised in self._known:
            return self._known[normalised]
        if normalised in self._rejected or normalised in self._queued or not self.queue:
            return None
        suggestions = self.suggestions(normalised)
        if self._is_sure(suggestions):
            candidate_id = suggestions[0]["id"]
            self._link(raw, normalised, candidate_id)
            return candidate_id
        self._queue(raw, normalised, [s for s in suggestions if s["score"] >= self.review_score], count)
        self._queued.add(normalised)  # queued once per import; counted once
        return None

    def _is_sure(self, suggestions: list[dict]) -> bool:
        """Sure enough to link without a person: the best score is high, and no other candidate ties it
        ("Zoom Phone Video" scores 90 against both "Zoom" and "Zoom Phone": a person picks)."""
        if not suggestions or suggestions[0]["score"] < self.auto_score:
            return False
        return len(suggestions) == 1 or suggestions[1]["score"] < suggestions[0]["score"]

    def _link(self, raw: str, normalised: str, candidate_id: int) -> None:
        self._save_alias(raw, candidate_id)
        self._known[normalised] = candidate_id
        # A name queued before its application existed is settled now; it leaves the queue.
        self._reviews().filter(normalised=normalised, status=NameReviewStatus.PENDING).update(
            status=NameReviewStatus.CONFIRMED, **{self.confirmed_field: candidate_id}, reviewed_at=timezone.now()
        )

    def suggestions(self, normalised: str) -> list[dict]:
        """The best candidates for a normalised name, best first, with their scores (0-100)."""
        if not self._choices:
            return []
        scored = process.extract(normalised, list(self._choices), scorer=fuzz.WRatio, limit=SUGGESTIONS * 3)
        best: dict[int, float] = {}
        for choice, score, _ in scored:
            candidate_id = self._choices[choice]
            best[candidate_id] = max(best.get(candidate_id, 0.0), round(float(score), 1))
        ranked = sorted(best.items(), key=lambda item: (-item[1], self._labels.get(item[0], "")))
        return [{"id": pk, "label": self._labels.get(pk, str(pk)), "score": score} for pk, score in ranked][
            :SUGGESTIONS
        ]

    def _queue(self, raw: str, normalised: str, suggestions: list[dict], count: int) -> None:
        review, created = self._reviews().get_or_create(
            normalised=normalised,
            defaults={
                "kind": self.kind,
                "raw": raw[:NAME_MAX],
                "source": self.source,
                "suggestions": suggestions,
                "sightings": count,
                **self._review_fields(),
            },
        )
        if not created:
            NameReview.objects.filter(pk=review.pk).update(
                sightings=F("sightings") + count, suggestions=suggestions or review.suggestions
            )


class ApplicationMatcher(NameMatcher):
    kind = NameKind.APPLICATION
    confirmed_field = "confirmed_application_id"

    def _load(self) -> None:
        for pk, name in Application.objects.values_list("pk", "name"):
            normalised = normalise_name(name)
            self._known.setdefault(normalised, pk)
            self._choices.setdefault(normalised, pk)
            self._labels[pk] = name
        for normalised, app_id in ApplicationAlias.objects.values_list("normalised", "application_id"):
            self._known.setdefault(normalised, app_id)
            self._choices.setdefault(normalised, app_id)
        self._load_reviews()

    def _reviews(self):
        return NameReview.objects.filter(kind=NameKind.APPLICATION, application__isnull=True)

    def _save_alias(self, raw: str, candidate_id: int) -> None:
        if not ApplicationAlias.objects.filter(normalised=normalise_name(raw[:NAME_MAX])).exists():
            ApplicationAlias.objects.create(application_id=candidate_id, name=raw[:NAME_MAX])


class LicenseNameMatcher(NameMatcher):
    """Matches license (SKU) names among the pools of one application."""

    kind = NameKind.LICENSE
    confirmed_field = "confirmed_pool_id"

    def __init__(self, *, application_id: int, source: str, queue: bool = True):
        self.application_id = application_id
        super().__init__(source=source, queue=queue)

    def _load(self) -> None:
        pools = LicensePool.objects.filter(application_id=self.application_id)
        for pk, name, sku in pools.values_list("pk", "name", "line_item__sku"):
            for label in filter(None, (name, sku)):
                normalised = normalise_name(label)
                self._known.setdefault(normalised, pk)
                self._choices.setdefault(normalised, pk)
            self._labels[pk] = name
        aliases = SkuAlias.objects.filter(pool__application_id=self.application_id)
        for normalised, pool_id in aliases.values_list("normalised", "pool_id"):
            self._known.setdefault(normalised, pool_id)
            self._choices.setdefault(normalised, pool_id)
        self._load_reviews()

    def _reviews(self):
        return NameReview.objects.filter(kind=NameKind.LICENSE, application_id=self.application_id)

    def _review_fields(self) -> dict:
        return {"application_id": self.application_id}

    def _save_alias(self, raw: str, candidate_id: int) -> None:
        name = raw[:NAME_MAX]
        SkuAlias.objects.get_or_create(pool_id=candidate_id, normalised=normalise_name(name), defaults={"name": name})
