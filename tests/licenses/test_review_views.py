"""The review queue pages: IT and admin decide; every other role is refused."""

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from licenses.choices import IdentityStatus, NameKind, NameReviewStatus
from licenses.models import Activity, Assignment, IdentityReview, NameReview, PendingActivity, SkuAlias
from saasmgr.core.choices import Role
from saasmgr.inventory.models import ApplicationAlias, PersonAlias
from tests.factories import ApplicationFactory, DepartmentFactory, PersonFactory
from tests.licenses.factories import AssignmentFactory, IdentityReviewFactory, LicensePoolFactory, NameReviewFactory

pytestmark = pytest.mark.django_db

IDENTITY_LIST = reverse("licenses:identity_review_list")
NAME_LIST = reverse("licenses:name_review_list")
DAY1, DAY2 = date(2024, 6, 3), date(2024, 6, 4)


def identity_url(review) -> str:
    return reverse("licenses:identity_review_resolve", args=[review.pk])


def name_url(review) -> str:
    return reverse("licenses:name_review_resolve", args=[review.pk])


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def admin_client(client_for):
    return client_for(Role.ADMIN)


@pytest.fixture
def ann():
    return PersonFactory(name="Ann Lee", email="ann.lee@example.com", department=DepartmentFactory(name="Sales"))


@pytest.fixture
def salesforce():
    return ApplicationFactory(name="Salesforce")


# Access


@pytest.mark.parametrize("role", [Role.PROCUREMENT, Role.FINANCE, Role.VIEWER, None])
def test_other_roles_may_neither_open_nor_decide(client_for, role, ann):
    client = client_for(role)
    identity = IdentityReviewFactory()
    name = NameReviewFactory()
    for url in (IDENTITY_LIST, NAME_LIST, identity_url(identity), name_url(name)):
        assert client.get(url).status_code == 403
    response = client.post(identity_url(identity), {"action": "link", "person": ann.email})
    assert response.status_code == 403
    assert client.post(name_url(name), {"action": "reject"}).status_code == 403
    assert IdentityReview.objects.get().status == IdentityStatus.PENDING
    assert NameReview.objects.get().status == NameReviewStatus.PENDING


@pytest.mark.parametrize("role", [Role.IT, Role.ADMIN])
def test_it_and_admin_may_open_both_queues(client_for, role):
    client = client_for(role)
    assert client.get(IDENTITY_LIST).status_code == 200
    assert client.get(NAME_LIST).status_code == 200


# The account queue


def test_empty_queues_say_nothing_is_waiting(it_client):
    for url in (IDENTITY_LIST, NAME_LIST, NAME_LIST + "?kind=license"):
        assert "Nothing waiting for review." in text_of(it_client.get(url))


def test_the_account_queue_lists_pending_first_with_what_was_seen(it_client, ann, salesforce):
    IdentityReviewFactory(identity="svc@corp.io", status=IdentityStatus.SERVICE, sightings=900)
    IdentityReviewFactory(
        identity="a.lee@corp.io",
        raw="A.Lee+crm@Corp.io",
        source="okta",
        sightings=12,
        last_seen=DAY2,
        applications="Salesforce, Slack",
    )
    IdentityReviewFactory(identity="zed@corp.io", sightings=3)
    PendingActivity.objects.create(identity="a.lee@corp.io", app_name="salesforce", day=DAY1, source="okta")
    PendingActivity.objects.create(identity="a.lee@corp.io", app_name="salesforce", day=DAY2, source="okta")

    response = it_client.get(IDENTITY_LIST)

    rows = response.context["rows"]
    assert [row["review"].identity for row in rows] == ["a.lee@corp.io", "zed@corp.io", "svc@corp.io"]
    assert (rows[0]["waiting_days"], rows[0]["applications"]) == (2, ["Salesforce", "Slack"])
    text = text_of(response)
    assert "A.Lee+crm@Corp.io" in text and "matched as a.lee@corp.io" in text
    assert "2024-06-04" in text
    assert "2 waiting" in text
    assert text.count(">Service account</button>") == 2  # the two pending rows; the marked one offers Reopen
    assert ">Reopen</button>" in text


def test_the_account_queue_filters_by_status_source_and_text(it_client):
    IdentityReviewFactory(identity="a@corp.io", source="okta")
    IdentityReviewFactory(identity="b@corp.io", source="google")
    IdentityReviewFactory(identity="bot", source="okta", status=IdentityStatus.SERVICE)

    def identities(query: str) -> list[str]:
        return [row["review"].identity for row in it_client.get(IDENTITY_LIST + query).context["rows"]]

    assert identities("?source=okta") == ["a@corp.io", "bot"]
    assert identities("?status=service") == ["bot"]
    assert identities("?q=B%40corp") == ["b@corp.io"]
    assert "No accounts match the filters." in text_of(it_client.get(IDENTITY_LIST + "?q=nobody"))


def test_linking_from_the_queue_says_what_was_attributed(it_client, ann, salesforce):
    review = IdentityReviewFactory(identity="a.lee@corp.io", raw="A.Lee@Corp.io")
    PendingActivity.objects.create(identity="a.lee@corp.io", app_name="salesforce", day=DAY1, events=3, source="okta")
    PendingActivity.objects.create(identity="a.lee@corp.io", app_name="salesforce", day=DAY2, events=1, source="okta")
    AssignmentFactory(pool=LicensePoolFactory(application=salesforce), person=None, account="a.lee@corp.io")

    response = it_client.post(
        identity_url(review),
        {"action": "link", "person": "Ann Lee <ann.lee@example.com>", "next": IDENTITY_LIST + "?page=1"},
        follow=True,
    )

    assert response.redirect_chain == [(IDENTITY_LIST + "?page=1", 302)]
    assert messages_of(response) == [
        "Linked “A.Lee@Corp.io” to Ann Lee: 2 activity days and 1 assignment attributed. "
        "It is saved as their alias, so the next import matches it by itself."
    ]
    assert PersonAlias.objects.values_list("person", "value").get() == (ann.pk, "a.lee@corp.io")
    assert Activity.objects.filter(person=ann).count() == 2
    assert Assignment.objects.get().person == ann


def test_a_suggested_person_is_linked_with_one_click(it_client, ann):
    PersonFactory(name="Ann Leeds", email="ann.leeds@example.com")
    PersonFactory(name="Ann Lee (Sub)", email="Ann.Lee@Subsidiary.example")
    PersonFactory(name="Al Ee", email="alee@example.com")
    review = IdentityReviewFactory(identity="ann.lee@corp.io")
    IdentityReviewFactory(identity="alee", sightings=0)
    response = it_client.get(IDENTITY_LIST)
    # Looked for at the people's common domains: example.com (3 people) and subsidiary.example (1).
    assert [[p.email for p in row["people"]] for row in response.context["rows"]] == [
        ["ann.lee@example.com", "Ann.Lee@Subsidiary.example"],
        ["alee@example.com"],
    ]
    assert "Link to Ann Lee</button>" in text_of(response)

    response = it_client.post(identity_url(review), {"person_id": ann.pk}, follow=True)

    assert messages_of(response)[0].startswith("Linked “ann.lee@corp.io” to Ann Lee: 0 activity days")
    assert IdentityReview.objects.get(pk=review.pk).person == ann


@pytest.mark.parametrize(
    ("person", "error"),
    [
        ("", "Pick the person: type a name or email and choose them from the list."),
        ("Nobody <nobody@example.com>", "No person has the email “nobody@example.com”. Pick one from the list."),
        ("Ann", "No person is called “Ann”. Type part of their name or email to search."),
    ],
)
def test_a_link_to_no_known_person_changes_nothing(it_client, ann, person, error):
    review = IdentityReviewFactory(identity="a.lee@corp.io", raw="A.Lee@Corp.io")
    response = it_client.post(identity_url(review), {"action": "link", "person": person}, follow=True)
    assert messages_of(response) == [f"“A.Lee@Corp.io”: {error}"]
    assert (IdentityReview.objects.get().status, PersonAlias.objects.count()) == (IdentityStatus.PENDING, 0)


def test_a_person_is_found_by_name_alone_when_only_one_has_it(it_client, ann):
    review = IdentityReviewFactory(identity="a.lee@corp.io")
    it_client.post(identity_url(review), {"action": "link", "person": "ann lee"})
    assert IdentityReview.objects.get().person == ann


def test_a_refused_link_shows_why(it_client, ann):
    bob = PersonFactory(name="Bob Ray", email="bob@example.com")
    PersonAlias.objects.create(person=bob, value="a.lee@corp.io")
    review = IdentityReviewFactory(identity="a.lee@corp.io")
    response = it_client.post(identity_url(review), {"action": "link", "person": ann.email}, follow=True)
    assert messages_of(response) == [
        "“a.lee@corp.io” already belongs to Bob Ray <bob@example.com>. Link it to them, or remove it from their "
        "aliases first if it was wrong."
    ]


def test_service_and_shared_accounts_and_reopening(it_client):
    bot = IdentityReviewFactory(identity="backup-bot", raw="backup-bot")
    desk = IdentityReviewFactory(identity="frontdesk@corp.io", raw="frontdesk@corp.io")

    response = it_client.post(identity_url(bot), {"action": "service"}, follow=True)
    assert messages_of(response) == [
        "Marked “backup-bot” as a service account: its usage stays unattributed and it is not queued again."
    ]
    response = it_client.post(identity_url(desk), {"action": "shared"}, follow=True)
    assert messages_of(response) == [
        "Marked “frontdesk@corp.io” as a shared account: its usage stays unattributed and it is not queued again."
    ]
    assert dict(IdentityReview.objects.values_list("identity", "status")) == {
        "backup-bot": IdentityStatus.SERVICE,
        "frontdesk@corp.io": IdentityStatus.SHARED,
    }
    response = it_client.post(identity_url(bot), {"action": "reopen"}, follow=True)
    assert messages_of(response) == ["“backup-bot” is waiting for review again."]
    assert IdentityReview.objects.get(pk=bot.pk).status == IdentityStatus.PENDING


def test_an_empty_or_unknown_decision_is_refused_with_a_reason(it_client):
    review = IdentityReviewFactory(identity="x@corp.io", raw="x@corp.io")
    response = it_client.post(identity_url(review), {}, follow=True)
    assert messages_of(response) == ["“x@corp.io”: Choose what to do with this account: link it, or mark it."]
    response = it_client.post(identity_url(review), {"action": "delete"}, follow=True)
    assert "Select a valid choice" in messages_of(response)[0]
    assert IdentityReview.objects.get().status == IdentityStatus.PENDING


def test_next_never_leaves_the_site(it_client):
    review = IdentityReviewFactory()
    response = it_client.post(identity_url(review), {"action": "service", "next": "https://evil.example.com/"})
    assert response["Location"] == IDENTITY_LIST


def test_the_person_picker_searches_people_by_name_or_email(it_client, ann):
    PersonFactory(name="Bob Annan", email="bob@example.com")
    PersonFactory(name="Carl Ray", email="carl@example.com")
    review = IdentityReviewFactory()

    response = it_client.get(identity_url(review), {"person": "ann"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    options = re.findall(r'<option value="([^"]+)">([^<]*)</option>', response.content.decode())
    assert options == [
        ("Ann Lee <ann.lee@example.com>", "Sales · Active"),
        ("Bob Annan <bob@example.com>", "Active"),
    ]
    short = it_client.get(identity_url(review), {"person": "a"}, headers={"HX-Request": "true"})
    assert "<option" not in short.content.decode()


def test_the_account_page_shows_one_review(it_client):
    review = IdentityReviewFactory(identity="a.lee@corp.io", raw="A.Lee@Corp.io", sightings=4)
    response = it_client.get(identity_url(review))
    assert response.status_code == 200
    assert "A.Lee@Corp.io" in text_of(response)


def test_the_queue_paginates_and_a_page_past_the_end_shows_the_last(it_client):
    IdentityReviewFactory.create_batch(55)
    first = it_client.get(IDENTITY_LIST)
    assert (len(first.context["rows"]), first.context["page_obj"].paginator.num_pages) == (50, 2)
    assert "?page=2" in first.content.decode()
    assert len(it_client.get(IDENTITY_LIST + "?page=2").context["rows"]) == 5
    assert it_client.get(IDENTITY_LIST + "?page=9").context["page_obj"].number == 2


def test_the_account_queue_costs_the_same_queries_for_five_rows_and_for_fifty(it_client):
    linked_to = PersonFactory(email="someone@example.com")
    IdentityReviewFactory.create_batch(5)
    it_client.get(IDENTITY_LIST)  # the session and the user are loaded, and the people's domains counted, once

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert it_client.get(IDENTITY_LIST).status_code == 200
        return len(captured.captured_queries)

    five = queries()
    IdentityReviewFactory.create_batch(45, person=linked_to, status=IdentityStatus.LINKED)
    assert queries() == five


# The name queue


@pytest.fixture
def catalogue():
    return {name: ApplicationFactory(name=name) for name in ("Salesforce", "Salesloft", "Slack")}


def test_the_name_queue_offers_its_suggestions_as_one_click_buttons(it_client, catalogue):
    NameReviewFactory(
        raw="Salesflow",
        normalised="salesflow",
        source="okta",
        sightings=40,
        suggestions=[
            {"id": catalogue["Salesloft"].pk, "label": "Salesloft", "score": 77.8},
            {"id": catalogue["Salesforce"].pk, "label": "Salesforce", "score": 73.7},
        ],
    )
    response = it_client.get(NAME_LIST)
    text = text_of(response)
    assert re.findall(r">(Confirm [^<]+)</button>", text) == ["Confirm Salesloft (78%)", "Confirm Salesforce (74%)"]
    assert ">Not a match</button>" in text
    assert '<datalist id="application-names"><option value="Salesforce"></option>' in text


def test_confirming_a_suggestion_creates_the_alias_and_moves_pending_usage(it_client, catalogue, ann):
    review = NameReviewFactory(
        raw="SFDC", normalised="sfdc", suggestions=[{"id": catalogue["Salesforce"].pk, "label": "x", "score": 71.0}]
    )
    PendingActivity.objects.create(identity=ann.email, app_name="sfdc", day=DAY1, events=2, source="okta")
    PendingActivity.objects.create(identity=ann.email, app_name="sfdc", day=DAY2, events=2, source="okta")
    PendingActivity.objects.create(identity="x@corp.io", app_name="sfdc", day=DAY1, events=2, source="okta")
    assert it_client.get(NAME_LIST).context["rows"][0]["waiting_days"] == 3

    response = it_client.post(name_url(review), {"candidate": catalogue["Salesforce"].pk}, follow=True)

    assert messages_of(response) == [
        "Confirmed “SFDC” as Salesforce: 2 pending activity days moved into usage. "
        "The next import matches it by itself."
    ]
    assert ApplicationAlias.objects.values_list("name", "application").get() == ("SFDC", catalogue["Salesforce"].pk)
    assert PendingActivity.objects.count() == 1


def test_confirming_another_application_typed_by_name(it_client, catalogue):
    review = NameReviewFactory(raw="SFDC", normalised="sfdc")
    response = it_client.post(name_url(review), {"action": "confirm", "application_name": "salesforce"}, follow=True)
    assert messages_of(response)[0].startswith("Confirmed “SFDC” as Salesforce: 0 pending activity days")
    response = it_client.post(
        name_url(NameReviewFactory(raw="Gong", normalised="gong")),
        {"action": "confirm", "application_name": "Gong.io"},
        follow=True,
    )
    assert messages_of(response) == ["“Gong”: No application is called “Gong.io”. Pick one from the list."]


def test_not_a_match_and_reopen(it_client):
    review = NameReviewFactory(raw="Bamboo HR", normalised="bamboo hr")
    response = it_client.post(name_url(review), {"action": "reject"}, follow=True)
    assert messages_of(response) == ["“Bamboo HR” is not a match; it will not be queued again."]
    assert NameReview.objects.get().status == NameReviewStatus.REJECTED
    assert ">Reopen</button>" in text_of(it_client.get(NAME_LIST))
    it_client.post(name_url(review), {"action": "reopen"})
    assert NameReview.objects.get().status == NameReviewStatus.PENDING


def test_the_license_tab_lists_license_names_with_their_applications_pools(it_client, catalogue):
    salesforce = catalogue["Salesforce"]
    enterprise = LicensePoolFactory(application=salesforce, name="Sales Cloud Enterprise")
    LicensePoolFactory(application=salesforce, name="Sales Cloud Unlimited")
    LicensePoolFactory(application=catalogue["Slack"], name="Slack Pro")
    review = NameReviewFactory(
        kind=NameKind.LICENSE,
        application=salesforce,
        raw="Sales Cloud Ent",
        normalised="sales cloud ent",
        suggestions=[{"id": enterprise.pk, "label": "Sales Cloud Enterprise", "score": 81.1}],
    )
    NameReviewFactory(raw="SFDC", normalised="sfdc")

    response = it_client.get(NAME_LIST + "?kind=license")

    assert [row["review"].raw for row in response.context["rows"]] == ["Sales Cloud Ent"]
    text = text_of(response)
    assert "Confirm Sales Cloud Enterprise (81%)" in text
    assert re.findall(r'<option value="\d+">([^<]+)</option>', text) == [
        "Sales Cloud Enterprise",
        "Sales Cloud Unlimited",
    ]
    assert 'Application names <span class="badge text-bg-warning">1</span>' in text

    response = it_client.post(name_url(review), {"action": "confirm", "pool": enterprise.pk}, follow=True)

    assert messages_of(response) == [
        "Confirmed “Sales Cloud Ent” as the license “Sales Cloud Enterprise” of Salesforce. "
        "The next assignment import matches it by itself."
    ]
    assert SkuAlias.objects.values_list("pool", "name").get() == (enterprise.pk, "Sales Cloud Ent")


def test_a_pool_of_another_application_is_refused(it_client, catalogue):
    other = LicensePoolFactory(application=catalogue["Slack"], name="Slack Pro")
    review = NameReviewFactory(kind=NameKind.LICENSE, application=catalogue["Salesforce"], raw="Pro", normalised="pro")
    response = it_client.post(name_url(review), {"action": "confirm", "pool": other.pk}, follow=True)
    assert messages_of(response) == ["“Pro”: Pick one of the license pools of Salesforce."]
    response = it_client.post(name_url(review), {"candidate": other.pk}, follow=True)
    assert messages_of(response) == ["“Pro”: That license pool of Salesforce no longer exists."]
    assert SkuAlias.objects.count() == 0


def test_suggestions_of_a_deleted_application_are_not_offered(it_client, catalogue):
    gone = ApplicationFactory(name="Gone")
    NameReviewFactory(
        raw="Goner",
        normalised="goner",
        suggestions=[
            {"id": gone.pk, "label": "Gone", "score": 90.0},
            {"id": catalogue["Slack"].pk, "label": "Old Slack name", "score": 71.0},
        ],
    )
    gone.delete()
    text = text_of(it_client.get(NAME_LIST))
    assert re.findall(r">(Confirm [^<]+)</button>", text) == ["Confirm Slack (71%)"]


def test_the_name_page_shows_one_review(it_client):
    review = NameReviewFactory(raw="SFDC", normalised="sfdc")
    response = it_client.get(name_url(review))
    assert response.status_code == 200
    assert 'Compared as</dt><dd class="col-sm-8">sfdc' in text_of(response)


def test_the_name_queue_costs_the_same_queries_for_five_rows_and_for_fifty(it_client, catalogue):
    suggestion = [{"id": catalogue["Slack"].pk, "label": "Slack", "score": 80.0}]
    NameReviewFactory.create_batch(5, suggestions=suggestion)
    it_client.get(NAME_LIST)

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert it_client.get(url).status_code == 200
        return len(captured.captured_queries)

    five = queries(NAME_LIST)
    NameReviewFactory.create_batch(45, suggestions=suggestion, status=NameReviewStatus.CONFIRMED)
    assert queries(NAME_LIST) == five

    pool = LicensePoolFactory(application=catalogue["Slack"])
    NameReviewFactory.create_batch(5, kind=NameKind.LICENSE, application=catalogue["Slack"], suggestions=[])
    five_licenses = queries(NAME_LIST + "?kind=license")
    NameReviewFactory.create_batch(
        45, kind=NameKind.LICENSE, application=LicensePoolFactory().application, suggestions=[{"id": pool.pk}]
    )
    assert queries(NAME_LIST + "?kind=license") == five_licenses
