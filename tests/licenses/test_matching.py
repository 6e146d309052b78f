"""The identity and name matchers: exact after normalising, then aliases, then rapidfuzz.

The fuzzy scores quoted here are rapidfuzz's WRatio of the normalised names, as rapidfuzz
computes them (rounded to one decimal, as the matcher stores them).
"""

from datetime import date

import pytest

from licenses.choices import IdentityStatus, NameKind, NameReviewStatus
from licenses.matching import (
    ApplicationMatcher,
    IdentityResolver,
    LicenseNameMatcher,
    Sighting,
    identity_reviews_record,
    normalise_identity,
)
from licenses.models import IdentityReview, NameReview, SkuAlias
from licenses.review import name_review_confirm, name_review_reject
from saasmgr.inventory.choices import AliasKind
from saasmgr.inventory.models import ApplicationAlias
from tests.factories import ApplicationFactory, PersonAliasFactory, PersonFactory, UserFactory
from tests.licenses.factories import IdentityReviewFactory, LicensePoolFactory

pytestmark = pytest.mark.django_db

# Real rapidfuzz WRatio scores against the applications of `catalogue` (checked by running rapidfuzz):
#   "Salesforc" -> salesforce 94.7 (auto)
#   "Salesflow" -> salesloft 77.8, salesforce 73.7 (both in the review band)
#   "Bamboo HR" -> nothing above 45 (no suggestion)
#   "Zoom Phone Video" -> zoom 90.0 and zoom phone 90.0 (a tie)


@pytest.fixture
def catalogue():
    names = ["Salesforce", "Salesloft", "Slack", "Zoom", "Zoom Phone", "Microsoft Teams"]
    return {name: ApplicationFactory(name=name) for name in names}


def reviews_of(kind=NameKind.APPLICATION):
    return list(NameReview.objects.filter(kind=kind).order_by("normalised"))


# Identities


def test_normalise_identity_lowercases_strips_plus_tags_and_maps_aliased_domains():
    aliases = {"old.example.com": "example.com"}
    assert normalise_identity(" Ann.Lee+crm@Old.Example.com ", aliases) == "ann.lee@example.com"
    assert normalise_identity("ANN.LEE@example.com", aliases) == "ann.lee@example.com"
    assert normalise_identity(" ALee ", aliases) == "alee"  # a username: only trimmed and lower-cased
    assert normalise_identity("a+b", aliases) == "a+b"  # no "@": not an email, nothing cut


def test_emails_match_ignoring_case():
    ann = PersonFactory(email="Ann.Lee@Example.com")
    resolver = IdentityResolver()
    assert resolver.person_id(resolver.normalise("ANN.LEE@EXAMPLE.COM")) == ann.pk
    assert resolver.person_id(resolver.normalise("ann.lee@example.com")) == ann.pk
    assert resolver.person_id(resolver.normalise("ann.leee@example.com")) is None


def test_plus_addressing_is_stripped():
    ann = PersonFactory(email="ann.lee@example.com")
    resolver = IdentityResolver()
    assert resolver.person_id(resolver.normalise("Ann.Lee+salesforce@example.com")) == ann.pk


def test_domain_aliases_come_from_settings(settings):
    ann = PersonFactory(email="ann.lee@example.com")
    assert IdentityResolver().person_id(IdentityResolver().normalise("ann.lee@old-example.co.uk")) is None

    settings.IDENTITY_DOMAIN_ALIASES = {"Old-Example.co.uk": "Example.com"}
    resolver = IdentityResolver()
    assert resolver.normalise("Ann.Lee@OLD-EXAMPLE.CO.UK") == "ann.lee@example.com"
    assert resolver.person_id(resolver.normalise("Ann.Lee@OLD-EXAMPLE.CO.UK")) == ann.pk


def test_person_aliases_link_other_emails_and_usernames():
    ann = PersonFactory(email="ann.lee@example.com")
    PersonAliasFactory(person=ann, kind=AliasKind.EMAIL, value="Ann@Contractor.io")
    PersonAliasFactory(person=ann, kind=AliasKind.USERNAME, value="ALee")
    resolver = IdentityResolver()
    assert resolver.person_id(resolver.normalise("ann+jira@contractor.io")) == ann.pk
    assert resolver.person_id(resolver.normalise("alee")) == ann.pk
    assert resolver.person_id(resolver.normalise("  ALEE ")) == ann.pk


def test_an_alias_never_takes_over_another_persons_primary_email():
    ann = PersonFactory(email="ann.lee@example.com")
    bob = PersonFactory(email="bob@example.com")
    PersonAliasFactory(person=bob, value="ANN.LEE@example.com")
    assert IdentityResolver().person_id("ann.lee@example.com") == ann.pk


def test_reviewed_identities_resolve_or_are_known_non_people():
    ann = PersonFactory()
    IdentityReviewFactory(identity="a.lee@corp.io", status=IdentityStatus.LINKED, person=ann)
    IdentityReviewFactory(identity="backup-bot", status=IdentityStatus.SERVICE)
    IdentityReviewFactory(identity="frontdesk@corp.io", status=IdentityStatus.SHARED)
    IdentityReviewFactory(identity="who@corp.io", status=IdentityStatus.PENDING)
    resolver = IdentityResolver()
    assert resolver.person_id("a.lee@corp.io") == ann.pk
    assert [resolver.is_known_non_person(i) for i in ("backup-bot", "frontdesk@corp.io", "who@corp.io")] == [
        True,
        True,
        False,
    ]
    assert resolver.person_id("who@corp.io") is None


def test_identity_reviews_record_queues_new_identities_and_adds_to_known_ones():
    IdentityReviewFactory(
        identity="old@corp.io", raw="Old@corp.io", sightings=4, last_seen=date(2024, 5, 1), applications="Slack"
    )
    first = Sighting(raw="Old+x@corp.io")
    first.add(3, date(2024, 6, 2), "Zoom")
    first.add(2, date(2024, 4, 1), "Slack")
    second = Sighting(raw="New@Corp.io")
    second.add(7, date(2024, 6, 9), "Jira")

    queued = identity_reviews_record(sightings={"old@corp.io": first, "new@corp.io": second}, source="okta")

    assert queued == 1
    old = IdentityReview.objects.get(identity="old@corp.io")
    assert (old.raw, old.sightings, old.last_seen, old.applications) == (
        "Old@corp.io",
        9,
        date(2024, 6, 2),
        "Slack, Zoom",
    )
    new = IdentityReview.objects.get(identity="new@corp.io")
    assert (new.raw, new.source, new.sightings, new.last_seen, new.applications, new.status) == (
        "New@Corp.io",
        "okta",
        7,
        date(2024, 6, 9),
        "Jira",
        IdentityStatus.PENDING,
    )
    assert identity_reviews_record(sightings={}, source="okta") == 0


# Application names


def test_application_names_match_exactly_after_normalising(catalogue):
    salesforce = catalogue["Salesforce"].pk
    matched = ApplicationMatcher(source="okta").match(["Salesforce", "salesforce.com", "Salesforce.com, Inc."])
    assert matched == {"Salesforce": salesforce, "salesforce.com": salesforce, "Salesforce.com, Inc.": salesforce}
    assert NameReview.objects.count() == 0
    assert ApplicationAlias.objects.count() == 0  # an exact match needs no alias


def test_sfdc_is_queued_until_a_person_confirms_it_then_matches_by_itself(catalogue):
    salesforce = catalogue["Salesforce"]
    assert ApplicationMatcher(source="okta").match(["SFDC"], counts={"SFDC": 12}) == {"SFDC": None}
    review = NameReview.objects.get()
    # "sfdc" scores 45.0 against every application: below the review band, so no suggestion.
    assert (review.kind, review.raw, review.normalised, review.sightings, review.suggestions) == (
        NameKind.APPLICATION,
        "SFDC",
        "sfdc",
        12,
        [],
    )

    name_review_confirm(review=review, application=salesforce, user=UserFactory())

    assert ApplicationAlias.objects.get().application == salesforce
    assert ApplicationMatcher(source="okta").match(["SFDC", "sfdc"]) == {"SFDC": salesforce.pk, "sfdc": salesforce.pk}
    review.refresh_from_db()
    assert (NameReview.objects.count(), review.sightings, review.status) == (1, 12, NameReviewStatus.CONFIRMED)


def test_a_name_scoring_at_or_above_the_auto_score_links_itself_and_becomes_an_alias(catalogue):
    assert ApplicationMatcher(source="okta").match(["Salesforc"]) == {"Salesforc": catalogue["Salesforce"].pk}
    alias = ApplicationAlias.objects.get()
    assert (alias.name, alias.normalised, alias.application) == ("Salesforc", "salesforc", catalogue["Salesforce"])
    assert NameReview.objects.count() == 0


def test_a_middle_band_name_is_queued_with_its_suggestions_best_first(catalogue, settings):
    assert ApplicationMatcher(source="okta").match(["Salesflow"]) == {"Salesflow": None}
    review = NameReview.objects.get()
    assert [(s["label"], s["score"]) for s in review.suggestions] == [("Salesloft", 77.8), ("Salesforce", 73.7)]
    assert [s["id"] for s in review.suggestions] == [catalogue["Salesloft"].pk, catalogue["Salesforce"].pk]
    band = (settings.NAME_MATCH_REVIEW_SCORE, settings.NAME_MATCH_AUTO_SCORE)
    assert all(band[0] <= s["score"] < band[1] for s in review.suggestions)
    assert ApplicationAlias.objects.count() == 0


def test_a_low_score_name_is_queued_with_no_suggestions(catalogue):
    assert ApplicationMatcher(source="okta").match(["Bamboo HR"]) == {"Bamboo HR": None}
    assert [(r.raw, r.suggestions, r.status) for r in reviews_of()] == [("Bamboo HR", [], NameReviewStatus.PENDING)]


def test_the_thresholds_are_settings(catalogue, settings):
    settings.NAME_MATCH_AUTO_SCORE = 75.0
    assert ApplicationMatcher(source="okta").match(["Salesflow"]) == {"Salesflow": catalogue["Salesloft"].pk}
    assert ApplicationAlias.objects.get().name == "Salesflow"

    settings.NAME_MATCH_AUTO_SCORE = 92.0
    settings.NAME_MATCH_REVIEW_SCORE = 75.0
    assert ApplicationMatcher(source="okta").match(["Salesfloe"]) == {"Salesfloe": None}
    # "salesfloe": 88.9 against Salesloft's new alias "salesflow", 84.2 against salesforce, 77.8 against salesloft.
    assert [(s["label"], s["score"]) for s in reviews_of()[0].suggestions] == [
        ("Salesloft", 88.9),
        ("Salesforce", 84.2),
    ]

    settings.NAME_MATCH_REVIEW_SCORE = 80.0
    ApplicationMatcher(source="okta").match(["Salesflow"])  # now an alias: matched, not queued
    ApplicationMatcher(source="okta").match(["Salesfloe"])  # already queued: suggestions refreshed
    assert [s["label"] for s in NameReview.objects.get(raw="Salesfloe").suggestions] == ["Salesloft", "Salesforce"]

    settings.NAME_MATCH_REVIEW_SCORE = 40.0
    ApplicationMatcher(source="okta").match(["Bamboo HR"])
    bamboo = NameReview.objects.get(raw="Bamboo HR")
    assert [(s["label"], s["score"]) for s in bamboo.suggestions] == [("Zoom", 45.0), ("Zoom Phone", 42.1)]


def test_two_candidates_tied_at_the_top_are_left_to_a_person(catalogue, settings):
    settings.NAME_MATCH_AUTO_SCORE = 85.0
    assert ApplicationMatcher(source="okta").match(["Zoom Phone Video"]) == {"Zoom Phone Video": None}
    review = NameReview.objects.get()
    assert [(s["label"], s["score"]) for s in review.suggestions] == [("Zoom", 90.0), ("Zoom Phone", 90.0)]
    assert ApplicationAlias.objects.count() == 0


def test_rejected_names_are_not_queued_again(catalogue):
    ApplicationMatcher(source="okta").match(["Bamboo HR"], counts={"Bamboo HR": 3})
    name_review_reject(review=NameReview.objects.get(), user=UserFactory())

    assert ApplicationMatcher(source="okta").match(["Bamboo HR"], counts={"Bamboo HR": 50}) == {"Bamboo HR": None}
    review = NameReview.objects.get()
    assert (review.status, review.sightings) == (NameReviewStatus.REJECTED, 3)


def test_spellings_of_one_name_are_queued_once_with_their_sightings_added(catalogue):
    matcher = ApplicationMatcher(source="okta")
    counts = {"Bamboo HR": 3, "bamboo-hr": 4, "BambooHR": 100}
    assert matcher.match(counts, counts=counts) == {"Bamboo HR": None, "bamboo-hr": None, "BambooHR": None}
    # "bamboohr" normalises apart from "bamboo hr": two reviews.
    assert [(r.normalised, r.raw, r.sightings) for r in reviews_of()] == [
        ("bamboo hr", "Bamboo HR", 7),
        ("bamboohr", "BambooHR", 100),
    ]
    ApplicationMatcher(source="okta").match(["Bamboo HR"], counts={"Bamboo HR": 5})
    assert NameReview.objects.get(normalised="bamboo hr").sightings == 12


def test_an_application_added_later_settles_its_waiting_review(catalogue, settings):
    settings.NAME_MATCH_AUTO_SCORE = 88.0
    ApplicationMatcher(source="okta").match(["Asana Premium"])  # 45.0 at best
    assert NameReview.objects.get().status == NameReviewStatus.PENDING
    asana = ApplicationFactory(name="Asana")  # "asana premium" scores 90.0 against "asana"

    assert ApplicationMatcher(source="okta").match(["Asana Premium"]) == {"Asana Premium": asana.pk}
    review = NameReview.objects.get()
    assert (review.status, review.confirmed_application) == (NameReviewStatus.CONFIRMED, asana)


def test_looking_only_neither_links_nor_queues(catalogue):
    matched = ApplicationMatcher(source="okta", queue=False).match(["Salesforc", "SFDC", "Slack"])
    assert matched == {"Salesforc": None, "SFDC": None, "Slack": catalogue["Slack"].pk}
    assert (NameReview.objects.count(), ApplicationAlias.objects.count()) == (0, 0)


# License names


@pytest.fixture
def salesforce_pools():
    salesforce = ApplicationFactory(name="Salesforce")
    names = ["Sales Cloud Enterprise", "Sales Cloud Unlimited", "Service Cloud Enterprise", "Platform Starter"]
    return salesforce, {name: LicensePoolFactory(application=salesforce, name=name) for name in names}


def test_license_names_match_the_pools_of_their_application(salesforce_pools):
    salesforce, pools = salesforce_pools
    matcher = LicenseNameMatcher(application_id=salesforce.pk, source="salesforce")
    assert matcher.match(["sales-cloud  enterprise", "SALES CLOUD ENTERPRISE"]) == {
        "sales-cloud  enterprise": pools["Sales Cloud Enterprise"].pk,
        "SALES CLOUD ENTERPRISE": pools["Sales Cloud Enterprise"].pk,
    }
    other_app = ApplicationFactory(name="HubSpot")
    assert (
        LicenseNameMatcher(application_id=other_app.pk, source="hubspot", queue=False).match_one(
            "Sales Cloud Enterprise"
        )
        is None
    )


def test_sfdc_ent_is_queued_for_its_application_until_confirmed(salesforce_pools):
    salesforce, pools = salesforce_pools
    assert LicenseNameMatcher(application_id=salesforce.pk, source="salesforce").match(["SFDC_ENT"]) == {
        "SFDC_ENT": None
    }
    review = NameReview.objects.get()
    # "sfdc ent" scores 56.2 at best: no suggestion.
    assert (review.kind, review.application, review.normalised, review.suggestions) == (
        NameKind.LICENSE,
        salesforce,
        "sfdc ent",
        [],
    )

    name_review_confirm(review=review, pool=pools["Sales Cloud Enterprise"], user=UserFactory())

    assert SkuAlias.objects.get().pool == pools["Sales Cloud Enterprise"]
    again = LicenseNameMatcher(application_id=salesforce.pk, source="salesforce").match(["SFDC_ENT", "sfdc ent"])
    assert set(again.values()) == {pools["Sales Cloud Enterprise"].pk}
    assert NameReview.objects.count() == 1


def test_a_middle_band_license_name_lists_its_pools_by_score(salesforce_pools):
    salesforce, pools = salesforce_pools
    LicenseNameMatcher(application_id=salesforce.pk, source="salesforce").match(["Sales Cloud Ent"])
    # WRatio ranks "Service Cloud Enterprise" first: exactly why a person confirms this band.
    assert [(s["label"], s["score"]) for s in NameReview.objects.get().suggestions] == [
        ("Service Cloud Enterprise", 85.5),
        ("Sales Cloud Enterprise", 81.1),
        ("Sales Cloud Unlimited", 80.4),
    ]


def test_a_license_name_at_the_auto_score_becomes_a_sku_alias(salesforce_pools):
    salesforce, pools = salesforce_pools
    matched = LicenseNameMatcher(application_id=salesforce.pk, source="salesforce").match(["Sales Cloud Unlimted"])
    assert matched == {"Sales Cloud Unlimted": pools["Sales Cloud Unlimited"].pk}  # 97.6
    alias = SkuAlias.objects.get()
    assert (alias.pool, alias.name) == (pools["Sales Cloud Unlimited"], "Sales Cloud Unlimted")
