"""Inventory pages: lists filter, sort and paginate; details show the audit history;
deletes refuse what is still in use; no list page runs a query per row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from saasmgr.inventory.choices import ApplicationStatus, PersonStatus
from saasmgr.inventory.models import Application, Vendor
from tests.factories import (
    ApplicationFactory,
    CategoryFactory,
    DepartmentFactory,
    PersonFactory,
    VendorAliasFactory,
    VendorFactory,
)

pytestmark = pytest.mark.django_db


def listed(response) -> list[str]:
    """The names on the current page of a list, in the order shown."""
    assert response.status_code == 200
    return [str(getattr(row.record, "name", row.record)) for row in response.context["table"].page.object_list]


@pytest.fixture
def applications():
    atlassian, google = VendorFactory(name="Atlassian"), VendorFactory(name="Google")
    collaboration = CategoryFactory(name="Collaboration")
    ada = PersonFactory(name="Ada Lovelace", email="ada@example.com")
    ApplicationFactory(name="Jira", vendor=atlassian, status=ApplicationStatus.SANCTIONED, business_owner=ada)
    ApplicationFactory(name="Confluence", vendor=atlassian, status=ApplicationStatus.SANCTIONED, category=collaboration)
    ApplicationFactory(name="Trello", vendor=atlassian, status=ApplicationStatus.RETIRED, it_owner=ada)
    ApplicationFactory(name="Google Workspace", vendor=google, status=ApplicationStatus.UNDER_REVIEW)
    ApplicationFactory(name="Google Keep", vendor=google, status=ApplicationStatus.UNSANCTIONED)
    return {"atlassian": atlassian, "google": google, "collaboration": collaboration}


# Lists


def test_application_list_shows_every_application_sorted_by_name(viewer_client, applications):
    response = viewer_client.get("/inventory/applications/")
    assert listed(response) == ["Confluence", "Google Keep", "Google Workspace", "Jira", "Trello"]
    assert response.context["table"].paginator.count == 5
    assert response.context["filtered"] is False


def test_application_list_filters(viewer_client, applications):
    google = applications["google"]
    assert listed(viewer_client.get("/inventory/applications/?status=sanctioned")) == ["Confluence", "Jira"]
    assert listed(viewer_client.get("/inventory/applications/?status=sanctioned&status=retired")) == [
        "Confluence",
        "Jira",
        "Trello",
    ]
    assert listed(viewer_client.get(f"/inventory/applications/?vendor={google.pk}")) == [
        "Google Keep",
        "Google Workspace",
    ]
    assert listed(viewer_client.get("/inventory/applications/?q=atlassian&status=retired")) == ["Trello"]
    assert listed(viewer_client.get("/inventory/applications/?owner=ada@example")) == ["Jira", "Trello"]
    assert listed(viewer_client.get(f"/inventory/applications/?category={applications['collaboration'].pk}")) == [
        "Confluence"
    ]


def test_filtered_list_shows_the_filtered_count_of_the_total(viewer_client, applications):
    response = viewer_client.get("/inventory/applications/?status=sanctioned")
    assert response.context["filtered"] is True
    assert response.context["table"].paginator.count == 2
    assert response.context["total_count"] == 5
    assert "2 of 5</small>" in response.content.decode()


def test_application_list_sorts(viewer_client, applications):
    assert listed(viewer_client.get("/inventory/applications/?sort=-name")) == [
        "Trello",
        "Jira",
        "Google Workspace",
        "Google Keep",
        "Confluence",
    ]
    by_vendor = listed(viewer_client.get("/inventory/applications/?sort=-vendor"))
    assert sorted(by_vendor[:2]) == ["Google Keep", "Google Workspace"]
    assert sorted(by_vendor[2:]) == ["Confluence", "Jira", "Trello"]


def test_application_list_paginates(viewer_client, applications):
    first = viewer_client.get("/inventory/applications/?per_page=2")
    third = viewer_client.get("/inventory/applications/?per_page=2&page=3")
    assert listed(first) == ["Confluence", "Google Keep"]
    assert listed(third) == ["Trello"]
    assert first.context["table"].paginator.num_pages == 3
    assert 'href="?per_page=2&amp;page=2"' in first.content.decode()


def test_an_out_of_range_page_shows_the_last_page(viewer_client, applications):
    # A bookmarked page 9 of a list that shrank shows its last page rather than an error.
    assert listed(viewer_client.get("/inventory/applications/?per_page=2&page=9")) == ["Trello"]
    assert listed(viewer_client.get("/inventory/applications/?per_page=2&page=nope")) == ["Confluence", "Google Keep"]


def test_vendor_list_counts_applications_and_searches_aliases(viewer_client, applications):
    VendorAliasFactory(vendor=applications["atlassian"], alias="ATLASSIAN PTY LTD")
    VendorFactory(name="Zoom")
    response = viewer_client.get("/inventory/vendors/")
    counts = {row.record.name: row.record.application_count for row in response.context["table"].page.object_list}
    assert counts == {"Atlassian": 3, "Google": 2, "Zoom": 0}
    assert listed(viewer_client.get("/inventory/vendors/?q=pty")) == ["Atlassian"]


def test_person_list_filters_by_status_and_department(viewer_client):
    sales = DepartmentFactory(name="Sales")
    PersonFactory(name="Ada", department=sales)
    PersonFactory(name="Bob", department=sales, status=PersonStatus.TERMINATED, termination_date="2024-05-01")
    PersonFactory(name="Cy", status=PersonStatus.TERMINATED, termination_date="2024-06-01")
    assert listed(viewer_client.get("/inventory/people/?status=terminated")) == ["Bob", "Cy"]
    assert listed(viewer_client.get(f"/inventory/people/?department={sales.pk}")) == ["Ada", "Bob"]
    assert listed(viewer_client.get(f"/inventory/people/?department={sales.pk}&status=active")) == ["Ada"]


def test_department_list_filters_by_parent(viewer_client):
    engineering = DepartmentFactory(name="Engineering")
    DepartmentFactory(name="Platform", parent=engineering)
    DepartmentFactory(name="Mobile", parent=engineering)
    DepartmentFactory(name="Sales")
    assert listed(viewer_client.get(f"/inventory/departments/?parent={engineering.pk}")) == ["Mobile", "Platform"]


def test_empty_list_shows_the_empty_state_with_an_add_link_for_writers(it_client, viewer_client):
    it_page = it_client.get("/inventory/categories/").content.decode()
    viewer_page = viewer_client.get("/inventory/categories/").content.decode()
    assert "No categories yet." in it_page
    assert 'href="/inventory/categories/add/"' in it_page
    assert "No categories yet." in viewer_page
    assert 'href="/inventory/categories/add/"' not in viewer_page


# Detail pages and the audit history


def test_detail_shows_created_then_changed_with_old_and_new_values(it_client):
    atlassian, google = VendorFactory(name="Atlassian"), VendorFactory(name="Google")
    PersonFactory(name="Ada Lovelace", email="ada@example.com")
    form = {"name": "Jira", "vendor": atlassian.pk, "status": "under_review", "discovery_source": "manual"}

    created = it_client.post("/inventory/applications/add/", {**form, "business_owner": "ADA@example.com"})
    application = Application.objects.get(name="Jira")
    assert created["Location"] == f"/inventory/applications/{application.pk}/"
    edited = it_client.post(
        f"/inventory/applications/{application.pk}/edit/", {**form, "vendor": google.pk, "status": "sanctioned"}
    )
    assert edited.status_code == 302

    response = it_client.get(f"/inventory/applications/{application.pk}/")
    history = response.context["history"]
    assert [row["action"] for row in history] == ["Changed", "Created"]
    assert [row["who"].username for row in history] == ["it-user", "it-user"]
    assert sorted(history[0]["changes"]) == [
        ("Business owner", "Ada Lovelace <ada@example.com>", None),
        ("Status", "Under review", "Sanctioned"),
        ("Vendor", "Atlassian", "Google"),
    ]
    html = response.content.decode()
    assert "<strong>Changed</strong>" in html
    assert "Status: <del>Under review</del> → Sanctioned" in html
    assert "Business owner: <del>Ada Lovelace &lt;ada@example.com&gt;</del> → —" in html


def test_history_names_a_deleted_related_object_by_its_old_id(it_client):
    old_vendor, new_vendor = VendorFactory(name="Old Co"), VendorFactory(name="New Co")
    application = ApplicationFactory(name="Tool", vendor=old_vendor)
    application.vendor = new_vendor
    application.save()
    old_pk = old_vendor.pk
    Vendor.objects.filter(pk=old_pk).delete()

    history = it_client.get(f"/inventory/applications/{application.pk}/").context["history"]
    assert history[0]["changes"] == [("Vendor", f"#{old_pk} (deleted)", "New Co")]


def test_vendor_detail_lists_its_applications_and_aliases(viewer_client, applications):
    VendorAliasFactory(vendor=applications["atlassian"], alias="Atlassian Inc")
    response = viewer_client.get(f"/inventory/vendors/{applications['atlassian'].pk}/")
    assert ("Aliases", "Atlassian Inc") in response.context["field_rows"]
    (title, table), *_ = response.context["related"]
    assert title == "Applications"
    assert sorted(row.record.name for row in table.rows) == ["Confluence", "Jira", "Trello"]


def test_detail_links_the_website(viewer_client):
    vendor = VendorFactory(name="Acme", website="https://acme.example.com/")
    response = viewer_client.get(f"/inventory/vendors/{vendor.pk}/")
    assert '<a href="https://acme.example.com/">https://acme.example.com/</a>' in response.content.decode()


def test_detail_of_a_missing_object_is_a_404(viewer_client):
    assert viewer_client.get("/inventory/applications/999999/").status_code == 404


def test_viewer_sees_no_edit_buttons(viewer_client, it_client, applications):
    url = f"/inventory/vendors/{applications['google'].pk}/"
    assert f'href="{url}edit/"' not in viewer_client.get(url).content.decode()
    assert f'href="{url}edit/"' in it_client.get(url).content.decode()


# Delete


def test_deleting_a_vendor_still_used_by_an_application_deletes_nothing(it_client, applications):
    google = applications["google"]
    response = it_client.post(f"/inventory/vendors/{google.pk}/delete/", follow=True)

    assert response.redirect_chain == [(f"/inventory/vendors/{google.pk}/", 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "“Google” is still used by 2 record(s) (Google Keep, Google Workspace). Reassign or remove those first."
    ]
    assert Vendor.objects.filter(pk=google.pk).exists()
    assert Application.objects.filter(vendor=google).count() == 2


def test_deleting_an_unused_vendor(it_client):
    vendor = VendorFactory(name="Unused")
    response = it_client.post(f"/inventory/vendors/{vendor.pk}/delete/", follow=True)
    assert response.redirect_chain == [("/inventory/vendors/", 302)]
    assert [str(m) for m in response.context["messages"]] == ["Deleted vendor “Unused”."]
    assert not Vendor.objects.exists()


# No N+1: a list page runs the same number of queries for 5 rows as for 50.

LIST_PAGES = {
    "/inventory/applications/": lambda n: [
        ApplicationFactory(business_owner=PersonFactory(), it_owner=PersonFactory()) for _ in range(n)
    ],
    "/inventory/vendors/": lambda n: [ApplicationFactory(vendor=VendorFactory()) for _ in range(n)],
    "/inventory/categories/": lambda n: [ApplicationFactory(category=CategoryFactory()) for _ in range(n)],
    "/inventory/departments/": lambda n: [
        PersonFactory(department=DepartmentFactory(parent=DepartmentFactory())) for _ in range(n)
    ],
    "/inventory/people/": lambda n: [PersonFactory(department=DepartmentFactory()) for _ in range(n)],
}


def queries_to_render(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", sorted(LIST_PAGES))
def test_list_page_query_count_does_not_grow_with_rows(viewer_client, url):
    make_rows = LIST_PAGES[url]
    make_rows(5)
    with_5 = queries_to_render(viewer_client, url)
    make_rows(45)
    with_50 = queries_to_render(viewer_client, url)
    assert with_50 == with_5, f"{url}: {with_5} queries for 5 rows but {with_50} for 50 (a query per row)"


def test_detail_page_query_count_does_not_grow_with_history(it_client):
    """Each change of vendor or owner is shown by name, yet names are fetched once per related model."""
    application = ApplicationFactory()
    url = f"/inventory/applications/{application.pk}/"
    before = queries_to_render(it_client, url)
    for n in range(10):
        application.vendor = VendorFactory()
        application.business_owner = PersonFactory()
        application.status = ApplicationStatus.RETIRED if n % 2 else ApplicationStatus.SANCTIONED
        application.save()
    after = queries_to_render(it_client, url)
    history = it_client.get(url).context["history"]
    assert len(history) == 11
    assert after == before + 2  # one query for the vendors' names, one for the people's
