"""Settling the review queues: aliases are remembered, and the usage that waited moves into Activity."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from licenses import review as review_services
from licenses.choices import IdentityStatus, NameKind, NameReviewStatus
from licenses.matching import ApplicationMatcher, IdentityResolver
from licenses.models import (
    Activity,
    Assignment,
    IdentityReview,
    NameReview,
    PendingActivity,
    SkuAlias,
    UsageSource,
)
from licenses.review import (
    ReviewError,
    identity_review_link,
    identity_review_mark,
    identity_review_reopen,
    name_review_confirm,
    name_review_reject,
    name_review_reopen,
    pending_activity_promote,
)
from saasmgr.inventory.choices import AliasKind
from saasmgr.inventory.models import ApplicationAlias, PersonAlias
from tests.factories import ApplicationFactory, PersonAliasFactory, PersonFactory, UserFactory
from tests.licenses.factories import (
    ActivityFactory,
    AssignmentFactory,
    IdentityReviewFactory,
    LicensePoolFactory,
    NameReviewFactory,
)

pytestmark = pytest.mark.django_db

DAY1, DAY2, DAY3 = date(2024, 6, 3), date(2024, 6, 4), date(2024, 6, 5)


@pytest.fixture
def reviewer():
    return UserFactory(username="reviewer", roles=["it"])


@pytest.fixture
def ann():
    return PersonFactory(name="Ann Lee", email="ann.lee@example.com")


@pytest.fixture
def salesforce():
    return ApplicationFactory(name="Salesforce")


def pending(identity: str, app_name: str, day: date, events: int = 1, source: str = "okta") -> PendingActivity:
    return PendingActivity.objects.create(identity=identity, app_name=app_name, day=day, events=events, source=source)


def activity_rows() -> list[tuple]:
    return sorted(Activity.objects.values_list("person_id", "application_id", "day", "events"))


def pending_rows() -> list[tuple]:
    return sorted(PendingActivity.objects.values_list("identity", "app_name", "day", "events"))


# Linking an identity


def test_linking_an_identity_saves_an_alias_and_attributes_its_assignments_and_usage(ann, salesforce, reviewer):
    review = IdentityReviewFactory(identity="a.lee@corp.io", raw="A.Lee@Corp.io", source="okta")
    pool = LicensePoolFactory(application=salesforce)
    unmatched = AssignmentFactory(pool=pool, person=None, account="A.Lee+sfdc@Corp.io")
    someone_elses = AssignmentFactory(pool=LicensePoolFactory(), person=PersonFactory(), account="a.lee@corp.io")
    other_account = AssignmentFactory(pool=pool, person=None, account="a.leeds@corp.io")
    pending("a.lee@corp.io", "salesforce", DAY1, 4)
    pending("a.lee@corp.io", "salesforce", DAY2, 2)
    pending("a.lee@corp.io", "unknown tool", DAY1, 9)  # its application is not known yet: stays pending
    pending("other@corp.io", "salesforce", DAY1, 5)

    link = identity_review_link(review=review, person=ann, user=reviewer)

    assert (link.alias_created, link.activity_days, link.assignments) == (True, 2, 1)
    alias = PersonAlias.objects.get()
    assert (alias.person, alias.kind, alias.value) == (ann, AliasKind.EMAIL, "a.lee@corp.io")
    review.refresh_from_db()
    assert (review.status, review.person, review.reviewed_by) == (IdentityStatus.LINKED, ann, reviewer)
    assert review.reviewed_at is not None
    assert [Assignment.objects.get(pk=a.pk).person for a in (unmatched, someone_elses, other_account)] == [
        ann,
        someone_elses.person,
        None,
    ]
    assert Assignment.history.filter(id=unmatched.pk).latest("history_date").history_user == reviewer
    assert activity_rows() == [(ann.pk, salesforce.pk, DAY1, 4), (ann.pk, salesforce.pk, DAY2, 2)]
    assert pending_rows() == [("a.lee@corp.io", "unknown tool", DAY1, 9), ("other@corp.io", "salesforce", DAY1, 5)]
    assert IdentityResolver().person_id("a.lee@corp.io") == ann.pk


def test_a_username_becomes_a_username_alias(ann, reviewer):
    review = IdentityReviewFactory(identity="alee", raw="ALee")
    identity_review_link(review=review, person=ann, user=reviewer)
    assert PersonAlias.objects.values_list("person", "kind", "value").get() == (ann.pk, AliasKind.USERNAME, "alee")


def test_linking_to_a_person_who_already_has_the_alias_adds_none(ann, reviewer):
    PersonAliasFactory(person=ann, kind=AliasKind.EMAIL, value="A.Lee+old@corp.io")
    review = IdentityReviewFactory(identity="a.lee@corp.io")
    link = identity_review_link(review=review, person=ann, user=reviewer)
    assert link.alias_created is False
    assert PersonAlias.objects.count() == 1
    assert IdentityReview.objects.get().status == IdentityStatus.LINKED


def test_an_identity_that_is_another_persons_alias_is_refused_and_nothing_is_written(ann, salesforce, reviewer):
    bob = PersonFactory(name="Bob Ray", email="bob@example.com")
    PersonAliasFactory(person=bob, kind=AliasKind.EMAIL, value="A.Lee@corp.io")
    review = IdentityReviewFactory(identity="a.lee@corp.io")
    pending("a.lee@corp.io", "salesforce", DAY1)

    with pytest.raises(ReviewError, match=r"“a.lee@corp.io” already belongs to Bob Ray <bob@example.com>"):
        identity_review_link(review=review, person=ann, user=reviewer)

    review.refresh_from_db()
    assert (review.status, review.person) == (IdentityStatus.PENDING, None)
    assert list(PersonAlias.objects.values_list("person", flat=True)) == [bob.pk]
    assert (Activity.objects.count(), PendingActivity.objects.count()) == (0, 1)


def test_an_identity_that_is_another_persons_email_in_another_spelling_is_refused(ann, reviewer, settings):
    settings.IDENTITY_DOMAIN_ALIASES = {"old.example.com": "example.com"}
    PersonFactory(name="Bob Ray", email="Bob+hr@Old.Example.com")
    review = IdentityReviewFactory(identity="bob@example.com")
    with pytest.raises(ReviewError, match="already belongs to Bob Ray"):
        identity_review_link(review=review, person=ann, user=reviewer)
    assert PersonAlias.objects.count() == 0


def test_a_linked_identity_cannot_be_linked_again(ann, reviewer):
    review = IdentityReviewFactory(identity="a.lee@corp.io", status=IdentityStatus.LINKED, person=ann)
    with pytest.raises(ReviewError, match="already linked to Ann Lee"):
        identity_review_link(review=review, person=PersonFactory(), user=reviewer)


def test_a_service_account_can_still_be_linked_when_it_turns_out_to_be_a_person(ann, reviewer):
    review = IdentityReviewFactory(identity="a.lee@corp.io", status=IdentityStatus.SERVICE)
    identity_review_link(review=review, person=ann, user=reviewer)
    assert IdentityReview.objects.get().status == IdentityStatus.LINKED


# Service and shared accounts


def test_marking_a_service_account_keeps_its_usage_pending(salesforce, reviewer):
    review = IdentityReviewFactory(identity="backup-bot")
    pending("backup-bot", "salesforce", DAY1, 40)

    identity_review_mark(review=review, status=IdentityStatus.SERVICE, user=reviewer)

    review.refresh_from_db()
    assert (review.status, review.reviewed_by) == (IdentityStatus.SERVICE, reviewer)
    assert pending_rows() == [("backup-bot", "salesforce", DAY1, 40)]
    assert Activity.objects.count() == 0
    assert IdentityResolver().is_known_non_person("backup-bot")
    assert pending_activity_promote() == 0


def test_a_shared_account_can_be_reopened(reviewer):
    review = IdentityReviewFactory(identity="frontdesk@corp.io")
    identity_review_mark(review=review, status=IdentityStatus.SHARED, user=reviewer)
    assert IdentityReview.objects.get().status == IdentityStatus.SHARED

    identity_review_reopen(review=review, user=reviewer)

    assert IdentityReview.objects.get().status == IdentityStatus.PENDING
    assert not IdentityResolver().is_known_non_person("frontdesk@corp.io")


@pytest.mark.parametrize("status", [IdentityStatus.LINKED, IdentityStatus.PENDING, "robot"])
def test_an_account_is_marked_only_as_service_or_shared(status, reviewer):
    review = IdentityReviewFactory()
    with pytest.raises(ReviewError, match="service account or shared account"):
        identity_review_mark(review=review, status=status, user=reviewer)
    assert IdentityReview.objects.get().status == IdentityStatus.PENDING


def test_a_linked_account_is_neither_marked_nor_reopened(ann, reviewer):
    review = IdentityReviewFactory(identity="a.lee@corp.io", status=IdentityStatus.LINKED, person=ann)
    with pytest.raises(ReviewError, match="linked to Ann Lee"):
        identity_review_mark(review=review, status=IdentityStatus.SERVICE, user=reviewer)
    with pytest.raises(ReviewError, match="cannot go back to the queue"):
        identity_review_reopen(review=review, user=reviewer)
    with pytest.raises(ReviewError, match="already waiting"):
        identity_review_reopen(review=IdentityReviewFactory(), user=reviewer)


# Application names


def test_confirming_an_application_name_saves_the_alias_and_moves_its_pending_usage(ann, salesforce, reviewer):
    review = NameReviewFactory(raw="SFDC", normalised="sfdc", suggestions=[])
    pending("ann.lee@example.com", "sfdc", DAY1, 3)
    pending("ann.lee@example.com", "sfdc", DAY2, 1)
    pending("nobody@corp.io", "sfdc", DAY1, 8)  # no person yet: stays
    pending("ann.lee@example.com", "slack", DAY1, 2)  # another name: stays

    confirmation = name_review_confirm(review=review, application=salesforce, user=reviewer)

    assert (confirmation.alias_created, confirmation.activity_days) == (True, 2)
    alias = ApplicationAlias.objects.get()
    assert (alias.name, alias.normalised, alias.application) == ("SFDC", "sfdc", salesforce)
    review.refresh_from_db()
    assert (review.status, review.confirmed_application, review.reviewed_by) == (
        NameReviewStatus.CONFIRMED,
        salesforce,
        reviewer,
    )
    assert activity_rows() == [(ann.pk, salesforce.pk, DAY1, 3), (ann.pk, salesforce.pk, DAY2, 1)]
    assert pending_rows() == [("ann.lee@example.com", "slack", DAY1, 2), ("nobody@corp.io", "sfdc", DAY1, 8)]


def test_usage_moved_by_a_confirmation_gives_its_application_a_usage_source(ann, salesforce, reviewer):
    """Reconciliation judges idle seats only where an application has usage data; usage that waited for its
    name to be confirmed counts as that data, over the days it covers."""
    review = NameReviewFactory(raw="SFDC", normalised="sfdc", suggestions=[])
    pending("ann.lee@example.com", "sfdc", DAY1, 3, source="okta-syslog")
    pending("ann.lee@example.com", "sfdc", DAY3, 1, source="okta-syslog")
    pending("ann.lee@example.com", "sfdc", DAY2, 2, source="generic")

    name_review_confirm(review=review, application=salesforce, user=reviewer)

    assert sorted(UsageSource.objects.values_list("application", "source", "first_day", "last_day")) == [
        (salesforce.pk, "generic", DAY2, DAY2),
        (salesforce.pk, "okta-syslog", DAY1, DAY3),
    ]


def test_a_name_that_already_names_another_application_is_refused(salesforce, reviewer):
    marketing = ApplicationFactory(name="Marketing Cloud")
    ApplicationAlias.objects.create(application=marketing, name="SFDC")
    review = NameReviewFactory(raw="SFDC", normalised="sfdc")
    with pytest.raises(ReviewError, match="“SFDC” already names Marketing Cloud"):
        name_review_confirm(review=review, application=salesforce, user=reviewer)
    assert NameReview.objects.get().status == NameReviewStatus.PENDING
    assert list(ApplicationAlias.objects.values_list("application", flat=True)) == [marketing.pk]


def test_confirming_needs_an_application_and_happens_once(salesforce, reviewer):
    review = NameReviewFactory(raw="SFDC", normalised="sfdc")
    with pytest.raises(ReviewError, match="Pick the application"):
        name_review_confirm(review=review, user=reviewer)
    name_review_confirm(review=review, application=salesforce, user=reviewer)
    with pytest.raises(ReviewError, match="already confirmed as Salesforce"):
        name_review_confirm(review=review, application=ApplicationFactory(), user=reviewer)


def test_rejecting_a_name_and_reopening_it(reviewer):
    review = NameReviewFactory(raw="Bamboo HR", normalised="bamboo hr")
    name_review_reject(review=review, user=reviewer)
    assert NameReview.objects.get().status == NameReviewStatus.REJECTED
    assert ApplicationMatcher(source="okta").match(["Bamboo HR"]) == {"Bamboo HR": None}
    assert NameReview.objects.get().sightings == 1
    with pytest.raises(ReviewError, match="not waiting for review"):
        name_review_reject(review=review, user=reviewer)

    name_review_reopen(review=review, user=reviewer)

    assert NameReview.objects.get().status == NameReviewStatus.PENDING
    with pytest.raises(ReviewError, match="Only a name marked"):
        name_review_reopen(review=review, user=reviewer)


# License names


def test_confirming_a_license_name_saves_a_sku_alias_for_the_pool(salesforce, reviewer):
    pool = LicensePoolFactory(application=salesforce, name="Sales Cloud Enterprise")
    review = NameReviewFactory(kind=NameKind.LICENSE, application=salesforce, raw="SFDC_ENT", normalised="sfdc ent")

    confirmation = name_review_confirm(review=review, pool=pool, user=reviewer)

    assert (confirmation.alias_created, confirmation.activity_days) == (True, 0)
    assert SkuAlias.objects.values_list("pool", "name", "normalised").get() == (pool.pk, "SFDC_ENT", "sfdc ent")
    assert NameReview.objects.get().confirmed_pool == pool


def test_a_license_name_is_confirmed_only_as_a_pool_of_its_application(salesforce, reviewer):
    review = NameReviewFactory(kind=NameKind.LICENSE, application=salesforce, raw="SFDC_ENT", normalised="sfdc ent")
    elsewhere = LicensePoolFactory(application=ApplicationFactory(name="HubSpot"), name="Enterprise")
    with pytest.raises(ReviewError, match="“HubSpot: Enterprise” is not a license of Salesforce"):
        name_review_confirm(review=review, pool=elsewhere, user=reviewer)
    with pytest.raises(ReviewError, match="Pick the license pool of Salesforce"):
        name_review_confirm(review=review, application=salesforce, user=reviewer)
    assert (SkuAlias.objects.count(), NameReview.objects.get().status) == (0, NameReviewStatus.PENDING)


def test_a_license_name_of_another_pool_is_refused(salesforce, reviewer):
    enterprise = LicensePoolFactory(application=salesforce, name="Sales Cloud Enterprise")
    unlimited = LicensePoolFactory(application=salesforce, name="Sales Cloud Unlimited")
    SkuAlias.objects.create(pool=unlimited, name="SFDC_ENT")
    review = NameReviewFactory(kind=NameKind.LICENSE, application=salesforce, raw="SFDC_ENT", normalised="sfdc ent")
    with pytest.raises(ReviewError, match="already names the license “Sales Cloud Unlimited”"):
        name_review_confirm(review=review, pool=enterprise, user=reviewer)


# Promoting pending activity


def test_promote_keeps_the_larger_count_of_a_day_already_in_activity(ann, salesforce):
    ActivityFactory(person=ann, application=salesforce, day=DAY1, events=5)
    pending("ann.lee@example.com", "salesforce", DAY1, 3)
    pending("ann.lee@example.com", "salesforce", DAY2, 7)
    ActivityFactory(person=ann, application=salesforce, day=DAY3, events=1)
    pending("ann.lee@example.com", "salesforce", DAY3, 6)

    assert pending_activity_promote() == 3

    assert activity_rows() == [
        (ann.pk, salesforce.pk, DAY1, 5),
        (ann.pk, salesforce.pk, DAY2, 7),
        (ann.pk, salesforce.pk, DAY3, 6),
    ]
    assert PendingActivity.objects.count() == 0


def test_promote_adds_up_one_sources_accounts_and_keeps_the_larger_of_two_sources(ann, salesforce):
    PersonAliasFactory(person=ann, kind=AliasKind.USERNAME, value="alee")
    ApplicationAlias.objects.create(application=salesforce, name="SFDC")
    pending("ann.lee@example.com", "salesforce", DAY1, 2, source="okta")
    pending("alee", "salesforce", DAY1, 3, source="okta")  # the same report, another account: 2 + 3
    pending("ann.lee@example.com", "sfdc", DAY1, 4, source="casb")  # another report of the same day: max(5, 4)
    pending("alee", "sfdc", DAY2, 1, source="casb")

    assert pending_activity_promote() == 4

    assert activity_rows() == [(ann.pk, salesforce.pk, DAY1, 5), (ann.pk, salesforce.pk, DAY2, 1)]


def test_promote_moves_only_the_identities_and_names_asked_for(ann, salesforce):
    bob = PersonFactory(email="bob@example.com")
    slack = ApplicationFactory(name="Slack")
    pending("ann.lee@example.com", "salesforce", DAY1)
    pending("ann.lee@example.com", "slack", DAY1)
    pending("bob@example.com", "salesforce", DAY1)

    assert pending_activity_promote(identities=["ann.lee@example.com"], app_names=["slack"]) == 1
    assert activity_rows() == [(ann.pk, slack.pk, DAY1, 1)]
    assert pending_activity_promote(identities=["bob@example.com"]) == 1
    assert activity_rows() == [(ann.pk, slack.pk, DAY1, 1), (bob.pk, salesforce.pk, DAY1, 1)]
    assert pending_activity_promote(identities=[]) == 0
    assert pending_rows() == [("ann.lee@example.com", "salesforce", DAY1, 1)]


def test_promote_writes_nothing_when_the_merge_fails(ann, salesforce, monkeypatch):
    pending("ann.lee@example.com", "salesforce", DAY1)

    def broken(frame):
        Activity.objects.create(person=ann, application=salesforce, day=DAY2)
        raise RuntimeError("disk full")

    monkeypatch.setattr(review_services, "activity_rows_merge", broken)
    with pytest.raises(RuntimeError):
        pending_activity_promote()
    assert (Activity.objects.count(), PendingActivity.objects.count()) == (0, 1)


def test_promote_costs_the_same_queries_for_ten_rows_and_for_two_hundred(ann, salesforce):
    def load(count: int) -> None:
        PendingActivity.objects.bulk_create(
            PendingActivity(
                identity="ann.lee@example.com", app_name="salesforce", day=date.fromordinal(738000 + n), source="okta"
            )
            for n in range(count)
        )

    load(10)
    ten = queries_of(pending_activity_promote)
    load(200)
    two_hundred = queries_of(pending_activity_promote)

    assert ten == two_hundred
    assert (Activity.objects.count(), PendingActivity.objects.count()) == (200, 0)


def queries_of(function) -> int:
    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured.captured_queries)
