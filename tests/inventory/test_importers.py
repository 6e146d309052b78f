import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from saasmgr.core.choices import ImportMode
from saasmgr.core.imports.base import ParsedRow
from saasmgr.core.imports.engine import import_file
from saasmgr.core.imports.registry import get_importer
from saasmgr.core.imports.results import RowError
from saasmgr.inventory.choices import AliasKind, ApplicationStatus, DiscoverySource, EmploymentType, PersonStatus
from saasmgr.inventory.models import Application, Category, Department, Person, PersonAlias, Vendor
from tests.factories import (
    CategoryFactory,
    DepartmentFactory,
    PersonAliasFactory,
    PersonFactory,
    UserFactory,
    VendorAliasFactory,
    VendorFactory,
)

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"


def run(kind: str, fixture: str | None = None, format: str = "generic", mode=ImportMode.ALL_OR_NOTHING, **options):
    data = options.pop("data", None)
    data = data if data is not None else (FIXTURES / fixture).read_bytes()
    return import_file(
        importer=get_importer(kind, format)(),
        fileobj=io.BytesIO(data),
        name=options.pop("name", fixture or "upload.csv"),
        mode=mode,
        **options,
    )


def counts(result) -> tuple[int, int, int, int]:
    return result.created, result.updated, result.unchanged, result.bad_rows


def person(email: str) -> dict:
    p = Person.objects.select_related("department", "manager").get(email__iexact=email)
    return {
        "employee_id": p.employee_id,
        "email": p.email,
        "name": p.name,
        "job_title": p.job_title,
        "department": p.department.name if p.department else None,
        "manager": p.manager.email if p.manager else None,
        "status": p.status,
        "employment_type": p.employment_type,
        "start_date": p.start_date,
        "termination_date": p.termination_date,
    }


def aliases_of(email: str) -> list[str]:
    return sorted(PersonAlias.objects.filter(person__email=email, kind=AliasKind.EMAIL).values_list("value", flat=True))


# People: generic


def test_generic_people_import_with_exact_values():
    result = run("people", "people_generic.csv")

    assert counts(result) == (5, 0, 0, 0)
    assert result.also_created == {"department": 3, "email alias": 0}
    assert person("ada.lovelace@example.com") == {
        "employee_id": "E100",
        "email": "ada.lovelace@example.com",
        "name": "Ada Lovelace",
        "job_title": "Staff Engineer, Platform",
        "department": "Engineering",
        "manager": "grace.hopper@example.com",  # a manager whose row comes later in the file
        "status": PersonStatus.ACTIVE,
        "employment_type": EmploymentType.EMPLOYEE,
        "start_date": date(2021, 3, 1),
        "termination_date": None,
    }
    assert person("alan.turing@example.com")["status"] == PersonStatus.ON_LEAVE
    assert person("katherine.johnson@example.com") == {
        "employee_id": "E103",
        "email": "katherine.johnson@example.com",
        "name": "Katherine Johnson",
        "job_title": "Analyst",
        "department": "Finance",
        "manager": None,
        "status": PersonStatus.TERMINATED,
        "employment_type": EmploymentType.CONTRACTOR,
        "start_date": date(2019, 9, 1),
        "termination_date": date(2023, 12, 31),
    }
    assert person("margaret.hamilton@example.com") == {
        "employee_id": None,
        "email": "margaret.hamilton@example.com",
        "name": "Margaret Hamilton",
        "job_title": "",
        "department": None,
        "manager": "ada.lovelace@example.com",
        "status": PersonStatus.ACTIVE,
        "employment_type": EmploymentType.EMPLOYEE,
        "start_date": date(2022, 11, 14),
        "termination_date": None,
    }


def test_importing_the_same_file_again_changes_nothing_not_even_history():
    run("people", "people_generic.csv")
    history_before = Person.history.count()

    result = run("people", "people_generic.csv")

    assert counts(result) == (0, 0, 5, 0)
    assert result.also_created == {"department": 0, "email alias": 0}
    assert Person.history.count() == history_before


def test_a_changed_row_is_one_update_with_history_naming_the_file_and_the_user():
    user = UserFactory()
    run("people", "people_generic.csv")
    changed = (FIXTURES / "people_generic.csv").read_bytes().replace(b"Research Scientist", b"Principal Scientist")

    result = run("people", data=changed, name="people-v2.csv", user=user)

    assert counts(result) == (0, 1, 4, 0)
    record = Person.objects.get(email="alan.turing@example.com").history.first()
    assert (record.history_type, record.job_title, record.history_user, record.history_change_reason) == (
        "~",
        "Principal Scientist",
        user,
        "Import of people-v2.csv",
    )


def test_bad_rows_are_all_reported_and_nothing_is_written_in_dry_run_or_all_or_nothing():
    expected = [
        RowError(
            3, "email", "not-an-email", "Not an email address. Expected an email address such as name@example.com."
        ),
        RowError(4, "start_date", "2022-13-45", "No such date. Expected a date as YYYY-MM-DD (e.g. 2024-04-17)."),
        RowError(5, "status", "retired", "Unknown value. Expected one of: active, on leave, terminated."),
        RowError(7, "termination_date", "", "A terminated person needs a termination date."),
        RowError(8, "termination_date", "2022-04-30", "The termination date is before the start date (2022-05-01)."),
        RowError(9, "manager_email", "self.manager@example.com", "A person cannot be their own manager."),
        RowError(10, "manager_email", "nobody@example.com", "No person has this email, in this file or in saasmgr."),
        RowError(11, "email", "OK.ONE@example.com", "Row 2 has the same email."),
        RowError(12, "employee_id", "E200", "Row 2 has the same employee id."),
        RowError(13, "name", "", "A name is required (a name, or a first and last name)."),
    ]
    for mode in (ImportMode.DRY_RUN, ImportMode.ALL_OR_NOTHING):
        result = run("people", "people_bad.csv", mode=mode)

        assert result.errors == expected, mode
        assert result.written is False
        assert (Person.objects.count(), Department.objects.count()) == (0, 0)


def test_valid_rows_mode_writes_only_the_good_rows():
    result = run("people", "people_bad.csv", mode=ImportMode.VALID_ROWS)

    assert counts(result) == (2, 0, 0, 10)
    assert sorted(Person.objects.values_list("email", flat=True)) == ["ok.one@example.com", "ok.two@example.com"]
    assert person("ok.two@example.com")["manager"] == "ok.one@example.com"


def test_a_person_whose_managers_row_is_bad_is_rejected_with_a_pointer_to_that_row():
    data = (
        b"email,name,manager_email,start_date\n"
        b"boss@example.com,Boss,,not a date\n"
        b"ada@example.com,Ada,boss@example.com,\n"
    )

    result = run("people", data=data, mode=ImportMode.VALID_ROWS)

    assert result.errors[1] == RowError(
        3, "manager_email", "boss@example.com", "The manager's own row (row 2) has errors."
    )
    assert Person.objects.count() == 0


def test_two_new_people_managing_each_other_are_both_written():
    data = b"email,name,manager_email\na@example.com,A,b@example.com\nb@example.com,B,a@example.com\n"

    result = run("people", data=data)

    assert counts(result) == (2, 0, 0, 0)
    assert (person("a@example.com")["manager"], person("b@example.com")["manager"]) == (
        "b@example.com",
        "a@example.com",
    )
    assert counts(run("people", data=data)) == (0, 0, 2, 0)


def test_a_manager_can_be_an_existing_person_or_an_email_alias():
    boss = PersonFactory(email="boss@example.com")
    PersonAliasFactory(person=boss, value="the.boss@example.com")
    data = b"email,name,manager_email\na@example.com,A,BOSS@example.com\nb@example.com,B,the.boss@example.com\n"

    run("people", data=data)

    assert Person.objects.get(email="a@example.com").manager == boss
    assert Person.objects.get(email="b@example.com").manager == boss


def test_rows_match_by_employee_id_first_and_an_email_change_is_an_update():
    PersonFactory(employee_id="E1", email="old@example.com", name="Ada")
    PersonFactory(employee_id=None, email="grace@example.com", name="Grace")
    data = b"employee_id,email,name\nE1,new@example.com,Ada\nE2,Grace@Example.com,Grace\n"

    result = run("people", data=data)

    assert counts(result) == (0, 2, 0, 0)
    assert person("new@example.com")["employee_id"] == "E1"
    # Matched by email ignoring case: the employee id is added, the stored email kept.
    assert (person("grace@example.com")["employee_id"], person("grace@example.com")["email"]) == (
        "E2",
        "grace@example.com",
    )


def test_an_email_that_belongs_to_someone_else_is_a_row_error():
    PersonFactory(employee_id="E1", email="ada@example.com", name="Ada")
    PersonFactory(employee_id="E2", email="grace@example.com", name="Grace")
    data = b"employee_id,email,name\nE1,grace@example.com,Ada\nE9,ada@example.com,Ada\n"

    result = run("people", data=data, mode=ImportMode.DRY_RUN)

    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, "email", "This email belongs to Grace (employee id E2), but employee id E1 is Ada."),
        (3, "employee_id", "Ada has this email and employee id E1, not E9."),
    ]


def test_a_termination_date_before_a_stored_start_date_is_a_row_error():
    PersonFactory(email="ada@example.com", start_date=date(2022, 1, 1))

    result = run("people", data=b"email,name,status,termination_date\nada@example.com,Ada,terminated,2021-12-31\n")

    assert result.errors == [
        RowError(
            2,
            "termination_date",
            "2021-12-31",
            "The termination date is before the start date (2022-01-01 in saasmgr).",
        )
    ]


def test_terminated_without_a_date_is_fine_when_saasmgr_has_the_date():
    PersonFactory(email="ada@example.com", status=PersonStatus.TERMINATED, termination_date=date(2023, 1, 31))

    result = run("people", data=b"email,name,status\nada@example.com,Ada Lovelace,terminated\n")

    assert counts(result) == (0, 1, 0, 0)
    assert person("ada@example.com")["termination_date"] == date(2023, 1, 31)


# Encodings and delimiters


def test_cp1252_file_imports_accented_names():
    run("people", "people_cp1252.csv")

    assert person("jose.muller@example.com")["name"] == "José Müller"
    assert person("jose.muller@example.com")["job_title"] == "Leiter Vertrieb – DACH"
    assert person("zoe.orsted@example.com")["name"] == "Zoë Ørsted"
    assert person("zoe.orsted@example.com")["department"] == "Forskning"


def test_semicolon_file_with_alias_headers():
    run("people", "people_semicolon.csv")

    anna = person("anna.schmidt@example.com")
    assert (anna["name"], anna["department"], anna["start_date"], anna["status"]) == (
        "Anna Schmidt",
        "Sales, DACH",
        date(2023, 4, 17),
        PersonStatus.ACTIVE,
    )
    assert person("jean.dupont@example.com")["status"] == PersonStatus.ON_LEAVE


def test_bom_file_reads_its_first_header():
    result = run("people", "people_bom.csv")

    assert counts(result) == (1, 0, 0, 0)
    assert (person("bo.m@example.com")["employee_id"], person("bo.m@example.com")["name"]) == ("B-1", "Bo Marks")


# People: Google Workspace


def test_google_workspace_export_with_exact_values():
    result = run("people", "people_google_workspace.csv", "google-workspace")

    assert counts(result) == (4, 0, 0, 0)
    assert result.also_created == {"department": 2, "email alias": 2}
    assert person("ada@acme.example") == {
        "employee_id": "G100",
        "email": "ada@acme.example",
        "name": "Ada Lovelace",
        "job_title": "Staff Engineer",
        "department": "Engineering",
        "manager": "grace@acme.example",
        "status": PersonStatus.ACTIVE,
        "employment_type": EmploymentType.EMPLOYEE,
        "start_date": None,
        "termination_date": None,
    }
    assert aliases_of("ada@acme.example") == ["ada.l@acme.example", "ada.personal@gmail.com"]
    carl = person("carl@acme.example")
    assert (carl["employee_id"], carl["employment_type"], carl["status"]) == (None, EmploymentType.CONTRACTOR, "active")
    sam = person("sam@acme.example")
    assert (sam["status"], sam["department"], sam["job_title"]) == (PersonStatus.ON_LEAVE, "Sales", "Account Executive")
    assert counts(run("people", "people_google_workspace.csv", "google-workspace")) == (0, 0, 4, 0)


def test_google_last_sign_in_is_parsed_and_a_wrong_value_is_a_row_error():
    importer = get_importer("people", "google-workspace")
    column = importer.column("last_sign_in")
    assert column.parser("2024/04/04 00:24:13") == datetime(2024, 4, 4, 0, 24, 13, tzinfo=UTC)
    assert column.parser("Never logged in") is None
    data = (
        b"First Name [Required],Last Name [Required],Email Address [Required],"
        b"Status [READ ONLY],Last Sign In [READ ONLY]\n"
        b"Ada,Lovelace,ada@acme.example,Active,04/04/2024 00:24\n"
    )

    result = run("people", data=data, format="google-workspace")

    assert result.errors == [
        RowError(
            2,
            "Last Sign In [READ ONLY]",
            "04/04/2024 00:24",
            "Not a date and time. Expected a date and time like 2024/04/04 00:24:13 or “Never logged in”.",
        )
    ]


def test_google_status_never_overrides_a_termination_from_hr():
    PersonFactory(
        email="sam@acme.example",
        employee_id="G103",
        name="Sam Suspended",
        job_title="Account Executive",
        department=DepartmentFactory(name="Sales"),
        status=PersonStatus.TERMINATED,
        start_date=date(2020, 1, 1),
        termination_date=date(2023, 11, 30),
    )
    grace = PersonFactory(email="grace@acme.example", employee_id="G101", name="Grace Hopper")
    Person.objects.filter(email="sam@acme.example").update(manager=grace)

    result = run("people", "people_google_workspace.csv", "google-workspace")

    sam = person("sam@acme.example")
    assert (sam["status"], sam["termination_date"]) == (PersonStatus.TERMINATED, date(2023, 11, 30))
    # Ada and Carl are new, Grace gains a title and a department, Sam is left as HR recorded him.
    assert counts(result) == (2, 1, 1, 0)


def test_google_suspended_makes_an_active_person_on_leave():
    PersonFactory(email="sam@acme.example", employee_id=None, status=PersonStatus.ACTIVE)

    result = run("people", "people_google_workspace.csv", "google-workspace")

    assert counts(result) == (3, 1, 0, 0)

    assert person("sam@acme.example")["status"] == PersonStatus.ON_LEAVE


def test_google_alias_that_is_someone_elses_email_is_a_row_error():
    PersonFactory(email="ada.l@acme.example", name="Another Ada")

    result = run("people", "people_google_workspace.csv", "google-workspace", mode=ImportMode.DRY_RUN)

    assert result.errors == [
        RowError(2, "Work Secondary Email", "ada.l@acme.example", "This is the email of Another Ada.")
    ]


# People: BambooHR


def test_bamboohr_report_with_exact_values():
    result = run("people", "people_bamboohr.csv", "bamboohr")

    assert counts(result) == (4, 0, 0, 0)
    assert person("ada@acme.example") == {
        "employee_id": "1001",
        "email": "ada@acme.example",
        "name": "Ada Lovelace",
        "job_title": "Staff Engineer",
        "department": "Engineering",
        "manager": "grace@acme.example",  # "Hopper, Grace" in Reports To, a later row
        "status": PersonStatus.ACTIVE,
        "employment_type": EmploymentType.EMPLOYEE,
        "start_date": date(2021, 3, 1),
        "termination_date": None,  # 0000-00-00
    }
    assert person("grace@acme.example")["start_date"] == date(2018, 6, 15)
    assert person("alan@acme.example") == {
        "employee_id": "1003",
        "email": "alan@acme.example",
        "name": "Alan Turing",
        "job_title": "Research Scientist",
        "department": "Research",
        "manager": "grace@acme.example",
        "status": PersonStatus.TERMINATED,
        "employment_type": EmploymentType.CONTRACTOR,
        "start_date": date(2020, 1, 6),
        "termination_date": date(2023, 12, 31),
    }
    assert person("katherine@acme.example")["manager"] == "grace@acme.example"
    assert counts(run("people", "people_bamboohr.csv", "bamboohr")) == (0, 0, 4, 0)


def test_bamboohr_reports_to_must_name_exactly_one_person():
    PersonFactory(name="Grace Hopper", email="grace.one@example.com")
    PersonFactory(name="Grace Hopper", email="grace.two@example.com")
    data = b'Employee #,First Name,Last Name,Work Email,Reports To\n1,Ada,Lovelace,ada@acme.example,"Hopper, Grace"\n'
    data += b"2,Alan,Turing,alan@acme.example,Nobody Here\n"

    result = run("people", data=data, format="bamboohr")

    assert result.errors == [
        RowError(2, "Reports To", "Hopper, Grace", "2 people have this name; give the manager's email."),
        RowError(3, "Reports To", "Nobody Here", "No person has this name, in this file or in saasmgr."),
    ]


def test_bamboohr_inactive_needs_a_termination_date():
    data = (
        b"Employee #,First Name,Last Name,Work Email,Status,Termination Date\n"
        b"1,Ada,L,ada@acme.example,Inactive,0000-00-00\n"
    )

    result = run("people", data=data, format="bamboohr")

    assert result.errors == [RowError(2, "Termination Date", "", "A terminated person needs a termination date.")]


# People: Workday


WORKDAY_EXPECTED_ALAN = {
    "employee_id": "21003",
    "email": "alan@acme.example",
    "name": "Alan Turing",
    "job_title": "Research Scientist",
    "department": "Research",
    "manager": "grace@acme.example",
    "status": PersonStatus.TERMINATED,
    "employment_type": EmploymentType.CONTRACTOR,
    "start_date": date(2020, 1, 6),
    "termination_date": date(2023, 12, 31),
}


def test_workday_report_with_exact_values():
    result = run("people", "people_workday.csv", "workday")

    assert counts(result) == (4, 0, 0, 0)
    assert person("alan@acme.example") == WORKDAY_EXPECTED_ALAN
    ada = person("ada@acme.example")
    assert (ada["start_date"], ada["status"], ada["manager"]) == (
        date(2021, 3, 1),
        PersonStatus.ACTIVE,
        "grace@acme.example",
    )
    assert person("grace@acme.example")["status"] == PersonStatus.ACTIVE  # Active_Status 1
    katherine = person("katherine@acme.example")
    assert (katherine["status"], katherine["termination_date"]) == (PersonStatus.TERMINATED, date(2024, 2, 29))


def test_workday_report_as_xlsx_with_typed_cells():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Employee_ID", "Worker", "Email", "Hire_Date", "Termination_Date", "Team_Name", "Manager_Email",
                  "Worker_Type", "Active_Status", "On_Leave", "Job_Title"])  # fmt: skip
    sheet.append([21002, "Grace Hopper", "grace@acme.example", datetime(2018, 6, 15), None, "Engineering", None,
                  "Employee", "Yes", "No", "CTO"])  # fmt: skip
    sheet.append([21003, "Alan Turing", "alan@acme.example", datetime(2020, 1, 6), datetime(2023, 12, 31), "Research",
                  "grace@acme.example", "Contingent Worker", 0, 0, "Research Scientist"])  # fmt: skip
    sheet.append([21005, "Mary Jackson", "mary@acme.example", date(2021, 2, 1), None, "Research", "grace@acme.example",
                  "Employee", "yes", "YES", "Engineer"])  # fmt: skip
    out = io.BytesIO()
    workbook.save(out)

    result = run("people", data=out.getvalue(), name="workers.xlsx", format="workday")

    assert counts(result) == (3, 0, 0, 0)
    assert result.file == "Excel workbook, sheet “Sheet”"
    assert person("alan@acme.example") == WORKDAY_EXPECTED_ALAN
    assert person("grace@acme.example")["employee_id"] == "21002"
    assert person("mary@acme.example")["status"] == PersonStatus.ON_LEAVE


def test_workday_active_status_accepts_only_yes_no_values():
    data = b"Employee_ID,Worker,Email,Active_Status\n1,Ada,ada@acme.example,maybe\n"

    result = run("people", data=data, format="workday")

    assert result.errors == [
        RowError(2, "Active_Status", "maybe", "Unknown value. Expected one of: Yes, No, 1, 0, true, false.")
    ]


# Applications


@pytest.fixture
def owners():
    ada = PersonFactory(email="ada@acme.example", name="Ada")
    grace = PersonFactory(email="grace@acme.example", name="Grace")
    PersonAliasFactory(person=ada, value="ada.alias@acme.example")
    salesforce = VendorFactory(name="Salesforce")
    VendorAliasFactory(vendor=salesforce, alias="SFDC")
    CategoryFactory(name="Collaboration")
    return {"ada": ada, "grace": grace, "salesforce": salesforce}


def application(name: str) -> dict:
    app = Application.objects.select_related("vendor", "category", "business_owner", "it_owner").get(name=name)
    return {
        "vendor": app.vendor.name if app.vendor else None,
        "category": app.category.name if app.category else None,
        "status": app.status,
        "business_owner": app.business_owner.email if app.business_owner else None,
        "it_owner": app.it_owner.email if app.it_owner else None,
        "discovery_source": app.discovery_source,
        "first_seen": app.first_seen,
        "website": app.website,
        "description": app.description,
    }


def test_applications_import_with_exact_values(owners):
    result = run("applications", "applications.csv")

    assert counts(result) == (4, 0, 0, 0)
    assert result.also_created == {"vendor": 2, "category": 3}
    assert application("Slack") == {
        "vendor": "Salesforce",
        "category": "Collaboration",
        "status": ApplicationStatus.SANCTIONED,
        "business_owner": "ada@acme.example",
        "it_owner": "grace@acme.example",
        "discovery_source": DiscoverySource.SSO,
        "first_seen": date(2023, 2, 1),
        "website": "https://slack.com",
        "description": "Team chat",
    }
    assert application("Salesforce CRM")["vendor"] == "Salesforce"  # through the vendor alias SFDC
    assert application("Salesforce CRM")["description"] == "CRM, sales pipeline"
    assert application("Notion") == {
        "vendor": "Notion Labs",
        "category": "Knowledge",
        "status": ApplicationStatus.UNDER_REVIEW,
        "business_owner": None,
        "it_owner": None,
        "discovery_source": DiscoverySource.SPEND,
        "first_seen": date(2024, 1, 15),
        "website": "",
        "description": "",
    }
    dropbox = application("Dropbox")
    assert (dropbox["status"], dropbox["it_owner"], dropbox["first_seen"]) == (
        ApplicationStatus.UNSANCTIONED,
        "ada@acme.example",  # through the person alias
        None,
    )
    assert sorted(Vendor.objects.values_list("name", flat=True)) == ["Dropbox", "Notion Labs", "Salesforce"]
    assert sorted(Category.objects.values_list("name", flat=True)) == ["CRM", "Collaboration", "Knowledge", "Storage"]
    assert counts(run("applications", "applications.csv")) == (0, 0, 4, 0)


def test_applications_match_existing_by_name_ignoring_case_and_keep_the_stored_name(owners):
    from tests.factories import ApplicationFactory

    ApplicationFactory(name="SLACK", vendor=owners["salesforce"], status=ApplicationStatus.UNDER_REVIEW)

    result = run("applications", "applications.csv")

    assert counts(result) == (3, 1, 0, 0)
    assert application("SLACK")["status"] == ApplicationStatus.SANCTIONED
    assert not Application.objects.filter(name="Slack").exists()


def test_applications_bad_rows(owners):
    result = run("applications", "applications_bad.csv", mode=ImportMode.VALID_ROWS)

    assert result.errors == [
        RowError(
            2,
            "business_owner_email",
            "nobody@acme.example",
            "No person has this email or email alias. Add them under People, or import people first.",
        ),
        RowError(
            3, "status", "approved", "Unknown value. Expected one of: sanctioned, unsanctioned, under review, retired."
        ),
        RowError(4, "first_seen", "01/02/2023", "Not a date. Expected a date as YYYY-MM-DD (e.g. 2024-04-17)."),
        RowError(5, "website", "not a url", "Not a web address. Expected a web address such as https://example.com."),
        RowError(6, "name", "zoom", "Row 2 has the same name."),
    ]
    assert list(Application.objects.values_list("name", "website", "discovery_source")) == [
        ("Asana", "https://asana.com", DiscoverySource.IMPORT)
    ]


def test_the_people_record_keeps_only_the_values_the_row_has():
    importer = get_importer("people", "google-workspace")()
    row = ParsedRow(
        2,
        {"email": "a@example.com", "name": "A", "status": "on_leave", "work_secondary_email": "b@example.com"},
        {},
    )

    record = importer.record(row)

    assert (record.fields, record.aliases, record.directory_status) == (
        {"name": "A", "status": "on_leave"},
        (("work_secondary_email", "b@example.com"),),
        True,
    )
