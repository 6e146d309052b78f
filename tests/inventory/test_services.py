from datetime import date

import pytest

from saasmgr.inventory.choices import PersonStatus
from saasmgr.inventory.models import Application, Department, Person, PersonAlias
from saasmgr.inventory.services import (
    ApplicationRecord,
    PersonRecord,
    applications_import_check,
    applications_upsert,
    normalise_person_name,
    people_import_check,
    people_upsert,
)
from tests.factories import ApplicationFactory, DepartmentFactory, PersonAliasFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


def record(row: int, email: str, **fields) -> PersonRecord:
    return PersonRecord(
        row=row,
        email=email,
        employee_id=fields.pop("employee_id", None),
        department=fields.pop("department", None),
        manager_email=fields.pop("manager_email", None),
        aliases=fields.pop("aliases", ()),
        directory_status=fields.pop("directory_status", False),
        fields=fields,
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Hopper, Grace", "grace hopper"), ("  Grace   HOPPER ", "grace hopper"), ("Grace Hopper", "grace hopper")],
)
def test_normalise_person_name(name, expected):
    assert normalise_person_name(name) == expected


def test_a_blank_value_never_erases_a_stored_one():
    engineering = DepartmentFactory(name="Engineering")
    PersonFactory(
        email="ada@example.com", name="Ada", job_title="Engineer", department=engineering, start_date=date(2020, 1, 1)
    )

    counts = people_upsert(records=[record(2, "ada@example.com", name="Ada")])

    ada = Person.objects.get()
    assert (counts.created, counts.updated, counts.unchanged) == (0, 0, 1)
    assert (ada.job_title, ada.department, ada.start_date) == ("Engineer", engineering, date(2020, 1, 1))


def test_a_change_of_case_in_the_email_alone_is_not_an_update():
    PersonFactory(email="ada@example.com", name="Ada", employee_id="E1")

    counts = people_upsert(records=[record(2, "ADA@Example.com", name="Ada", employee_id="E1")])

    assert (counts.updated, counts.unchanged) == (0, 1)
    assert Person.objects.get().email == "ada@example.com"


def test_departments_match_ignoring_case_and_new_ones_are_created_once():
    DepartmentFactory(name="Engineering")

    counts = people_upsert(
        records=[
            record(2, "a@example.com", name="A", department="ENGINEERING"),
            record(3, "b@example.com", name="B", department="Sales"),
            record(4, "c@example.com", name="C", department="sales"),
        ]
    )

    assert counts.also_created["department"] == 1
    assert sorted(Department.objects.values_list("name", flat=True)) == ["Engineering", "Sales"]
    assert Person.objects.get(email="c@example.com").department.name == "Sales"


def test_new_people_get_one_created_history_record_with_user_and_reason_even_with_a_new_manager():
    user = UserFactory()
    records = [
        record(2, "ada@example.com", name="Ada", manager_email="grace@example.com"),
        record(3, "grace@example.com", name="Grace"),
    ]

    people_upsert(records=records, user=user, change_reason="Import of people.csv")

    ada = Person.objects.get(email="ada@example.com")
    assert ada.manager.email == "grace@example.com"
    assert [(h.history_type, h.history_user, h.history_change_reason) for h in ada.history.all()] == [
        ("+", user, "Import of people.csv")
    ]


def test_aliases_are_added_once():
    PersonFactory(email="ada@example.com", name="Ada")
    records = [
        record(
            2,
            "ada@example.com",
            name="Ada",
            aliases=(("recovery_email", "ada@gmail.com"), ("work_secondary_email", "ADA@example.com")),
        )
    ]

    first = people_upsert(records=records)
    second = people_upsert(records=records)

    assert (first.updated, first.also_created["email alias"]) == (1, 1)
    assert (second.unchanged, second.also_created["email alias"]) == (1, 0)
    assert list(PersonAlias.objects.values_list("value", flat=True)) == ["ada@gmail.com"]


def test_check_reports_alias_and_target_conflicts():
    other = PersonFactory(email="other@example.com", name="Other")
    PersonAliasFactory(person=other, value="taken@example.com")
    records = [
        record(2, "ada@example.com", name="Ada", aliases=(("recovery_email", "taken@example.com"),)),
        record(3, "bob@example.com", name="Bob", aliases=(("recovery_email", "ada@example.com"),)),
    ]

    problems = people_import_check(records=records, rejected_emails={})

    assert [(p.row, p.column, p.message) for p in problems] == [
        (2, "recovery_email", "This email is already an alias of another person."),
        (3, "recovery_email", "Row 2 has this as its primary email."),
    ]


def test_two_rows_updating_one_person_is_an_error():
    PersonFactory(email="ada@example.com", employee_id="E1", name="Ada")
    records = [record(2, "new@example.com", name="Ada", employee_id="E1"), record(3, "ada@example.com", name="Ada")]

    problems = people_import_check(records=records, rejected_emails={})

    assert [(p.row, p.column, p.message) for p in problems] == [(3, "email", "Row 2 already updates Ada.")]


def test_directory_status_keeps_a_terminated_person_terminated():
    PersonFactory(email="sam@example.com", status=PersonStatus.TERMINATED, termination_date=date(2024, 1, 31))

    counts = people_upsert(records=[record(2, "sam@example.com", status=PersonStatus.ON_LEAVE, directory_status=True)])

    assert counts.unchanged == 1
    assert Person.objects.get().status == PersonStatus.TERMINATED


def test_writes_are_bulk_not_a_query_per_row(django_assert_max_num_queries):
    DepartmentFactory(name="Engineering")
    PersonFactory(email="boss@example.com", name="Boss")
    records = [
        record(
            n + 2,
            f"p{n}@example.com",
            name=f"P {n}",
            employee_id=f"X{n}",
            department="Engineering",
            manager_email="boss@example.com",
        )
        for n in range(1000)
    ]

    with django_assert_max_num_queries(60):
        counts = people_upsert(records=records, chunk_size=200)
    with django_assert_max_num_queries(40):
        again = people_upsert(records=records, chunk_size=200)

    assert (counts.created, again.unchanged) == (1000, 1000)
    assert Person.objects.filter(manager__email="boss@example.com").count() == 1000


def test_progress_is_reported_after_every_chunk():
    seen = []
    records = [record(n + 2, f"p{n}@example.com", name=f"P {n}") for n in range(450)]

    people_upsert(records=records, chunk_size=200, on_progress=seen.append)

    assert seen == [200, 400, 450]


def test_applications_check_and_upsert():
    ada = PersonFactory(email="ada@example.com")
    ApplicationFactory(name="Slack", description="old")
    records = [
        ApplicationRecord(
            row=2, name="slack", fields={"description": "Team chat"}, business_owner_email="ADA@example.com"
        ),
        ApplicationRecord(
            row=3, name="Zoom", vendor="Zoom Video", category="Meetings", it_owner_email="ghost@example.com"
        ),
    ]

    problems = applications_import_check(records=records)
    counts = applications_upsert(records=records[:1])

    assert [(p.row, p.column) for p in problems] == [(3, "it_owner_email")]
    assert (counts.created, counts.updated) == (0, 1)
    slack = Application.objects.get(name="Slack")
    assert (slack.description, slack.business_owner) == ("Team chat", ada)
