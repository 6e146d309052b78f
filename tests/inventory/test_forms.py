"""Inventory add and edit forms: each invalid input gets a message a person can act on,
shown next to its field, and nothing is saved."""

import pytest

from saasmgr.inventory.models import Application, Department, Person, Vendor
from tests.factories import ApplicationFactory, DepartmentFactory, PersonFactory, VendorFactory

pytestmark = pytest.mark.django_db

PERSON = {"name": "Ada Lovelace", "email": "ada@example.com", "status": "active", "employment_type": "employee"}
APPLICATION = {"name": "Jira", "status": "sanctioned", "discovery_source": "manual"}


def field_errors(response) -> dict[str, list[str]]:
    assert response.status_code == 200, "an invalid form re-renders the page with its errors"
    return {name: list(errors) for name, errors in response.context["form"].errors.items()}


def test_duplicate_person_email_is_refused_whatever_its_case(it_client):
    PersonFactory(name="Ada Byron", email="ada@example.com")
    response = it_client.post("/inventory/people/add/", {**PERSON, "email": "ADA@Example.com"})
    assert field_errors(response) == {"email": ["Ada Byron already has this email."]}
    html = response.content.decode()
    assert "Please correct the 1 field marked below." in html
    assert 'aria-invalid="true"' in html and 'aria-describedby="id_email_errors"' in html
    assert Person.objects.count() == 1


def test_editing_a_person_keeps_their_own_email(it_client):
    person = PersonFactory(name="Ada", email="ada@example.com")
    response = it_client.post(f"/inventory/people/{person.pk}/edit/", {**PERSON, "email": "Ada@example.com"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.name, person.email) == ("Ada Lovelace", "Ada@example.com")


def test_termination_before_start_is_refused(it_client):
    response = it_client.post(
        "/inventory/people/add/",
        {**PERSON, "status": "terminated", "start_date": "2024-03-01", "termination_date": "2024-02-29"},
    )
    assert field_errors(response) == {"termination_date": ["The termination date is before the start date."]}
    assert not Person.objects.exists()


def test_terminated_person_needs_a_termination_date(it_client):
    response = it_client.post("/inventory/people/add/", {**PERSON, "status": "terminated"})
    assert field_errors(response) == {"termination_date": ["A terminated person needs a termination date."]}


def test_person_cannot_manage_themselves(it_client):
    person = PersonFactory(email="ada@example.com")
    response = it_client.post(f"/inventory/people/{person.pk}/edit/", {**PERSON, "manager": "ada@example.com"})
    assert field_errors(response) == {"manager": ["A person cannot be their own manager."]}


def test_manager_is_picked_by_email_ignoring_case(it_client):
    grace = PersonFactory(name="Grace", email="grace@example.com")
    response = it_client.post("/inventory/people/add/", {**PERSON, "manager": "  GRACE@example.com "})
    assert response.status_code == 302
    assert Person.objects.get(email="ada@example.com").manager == grace


def test_unknown_owner_email_is_refused(it_client):
    response = it_client.post("/inventory/applications/add/", {**APPLICATION, "business_owner": "nobody@example.com"})
    assert field_errors(response) == {
        "business_owner": ["No person has this email. Check the spelling, or add them under People first."]
    }
    assert not Application.objects.exists()


def test_owner_email_shows_in_the_edit_form(it_client):
    ada = PersonFactory(email="ada@example.com")
    application = ApplicationFactory(it_owner=ada)
    response = it_client.get(f"/inventory/applications/{application.pk}/edit/")
    assert 'value="ada@example.com"' in response.content.decode()


def test_duplicate_application_name_is_refused(it_client):
    ApplicationFactory(name="Jira")
    response = it_client.post("/inventory/applications/add/", APPLICATION)
    assert field_errors(response) == {"name": ["Application with this Name already exists."]}


def test_required_name_and_an_unknown_status(it_client):
    response = it_client.post("/inventory/applications/add/", {**APPLICATION, "name": "", "status": "maybe"})
    assert field_errors(response) == {
        "name": ["This field is required."],
        "status": ["Select a valid choice. maybe is not one of the available choices."],
    }
    assert "Please correct the 2 fields marked below." in response.content.decode()


def test_website_without_a_scheme_means_https(it_client):
    response = it_client.post("/inventory/vendors/add/", {"name": "Acme", "website": "acme.example.com"})
    assert response.status_code == 302
    assert Vendor.objects.get().website == "https://acme.example.com"


def test_department_cannot_sit_under_its_own_sub_department(it_client):
    engineering = DepartmentFactory(name="Engineering")
    platform = DepartmentFactory(name="Platform", parent=engineering)
    api = DepartmentFactory(name="API", parent=platform)
    response = it_client.post(
        f"/inventory/departments/{engineering.pk}/edit/", {"name": "Engineering", "parent": api.pk}
    )
    assert field_errors(response) == {
        "parent": ["A department cannot sit under itself or one of its own sub-departments."]
    }
    assert Department.objects.get(pk=engineering.pk).parent is None


def test_department_cannot_sit_under_itself(it_client):
    engineering = DepartmentFactory(name="Engineering")
    response = it_client.post(
        f"/inventory/departments/{engineering.pk}/edit/", {"name": "Engineering", "parent": engineering.pk}
    )
    assert list(field_errors(response)) == ["parent"]


def test_creating_shows_a_success_message_and_the_new_object(it_client):
    vendor = VendorFactory(name="Atlassian")
    response = it_client.post("/inventory/applications/add/", {**APPLICATION, "vendor": vendor.pk}, follow=True)
    application = Application.objects.get()
    assert response.redirect_chain == [(f"/inventory/applications/{application.pk}/", 302)]
    assert [str(m) for m in response.context["messages"]] == ["Created application “Jira”."]
    assert (application.vendor, application.status) == (vendor, "sanctioned")
