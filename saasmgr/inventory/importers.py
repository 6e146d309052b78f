"""Importers of the inventory: applications, and people from a generic file or from
Google Workspace, BambooHR and Workday exports. Registered in InventoryConfig.ready."""

from collections.abc import Iterable, Iterator

from saasmgr.core.choices import Role
from saasmgr.core.imports.base import Importer, ParsedRow, Problem, WriteContext, WriteCounts
from saasmgr.core.imports.columns import Column
from saasmgr.core.imports.parsers import (
    BooleanParser,
    ChoiceParser,
    DateParser,
    DateTimeParser,
    EmailParser,
    FunctionParser,
    TextParser,
    URLParser,
    normalise_token,
)
from saasmgr.core.imports.registry import register_importer
from saasmgr.inventory import services
from saasmgr.inventory.choices import ApplicationStatus, DiscoverySource, EmploymentType, PersonStatus

IT_ROLES = frozenset({Role.ADMIN, Role.IT})
IT_PROCUREMENT_ROLES = frozenset({Role.ADMIN, Role.IT, Role.PROCUREMENT})

ISO_DATE = DateParser()
# BambooHR writes 0000-00-00 for "no date".
US_OR_ISO_DATE = DateParser(us=True, blanks=("0000-00-00",))
EMAIL = EmailParser()

PERSON_STATUS = ChoiceParser(
    {"active": PersonStatus.ACTIVE, "on leave": PersonStatus.ON_LEAVE, "terminated": PersonStatus.TERMINATED},
    shown=["active", "on leave", "terminated"],
)
EMPLOYMENT_TYPE = ChoiceParser(
    {
        "employee": EmploymentType.EMPLOYEE,
        "full-time": EmploymentType.EMPLOYEE,
        "part-time": EmploymentType.EMPLOYEE,
        "intern": EmploymentType.EMPLOYEE,
        "contractor": EmploymentType.CONTRACTOR,
        "contract": EmploymentType.CONTRACTOR,
        "consultant": EmploymentType.CONTRACTOR,
        "contingent worker": EmploymentType.CONTRACTOR,
        "freelance": EmploymentType.CONTRACTOR,
        "temporary": EmploymentType.CONTRACTOR,
    },
    shown=[
        "employee",
        "contractor",
        "Full-Time",
        "Part-Time",
        "Intern",
        "Consultant",
        "Contingent Worker",
        "Temporary",
    ],
)

APPLICATION_STATUS = ChoiceParser(
    {label: value for value, label in ApplicationStatus.choices},
    shown=[label.lower() for label in ApplicationStatus.labels],
)
# Either the stored value ("sso") or its label ("SSO / identity provider").
DISCOVERY_SOURCE = ChoiceParser(
    {
        **{value: value for value in DiscoverySource.values},
        **{label: value for value, label in DiscoverySource.choices},
    },
    shown=DiscoverySource.values,
)


def _col(name: str, *aliases: str, **options) -> Column:
    return Column(name, aliases, **options)


def _email(name: str, *aliases: str, **options) -> Column:
    return Column(name, aliases, parser=EMAIL, example="ada@example.com", **options)


def _date(name: str, *aliases: str, parser: DateParser = ISO_DATE) -> Column:
    return Column(name, aliases, parser=parser, example="2024-04-17")


# People


class PeopleImporter(Importer):
    """People, matched on employee id when the row has one, else on email ignoring case.

    A blank cell leaves the stored value alone. Managers are people in saasmgr or in the
    same file (in any row order), by email.
    """

    kind = "people"
    kind_label = "People"
    roles = IT_ROLES
    natural_key_help = "employee id when the row has one, else the email (ignoring case)"
    directory_status = False

    def clean_row(self, row: ParsedRow) -> Iterator[Problem]:
        values = row.values
        name = values.get("name") or " ".join(values[part] for part in ("first_name", "last_name") if part in values)
        if name:
            values["name"] = name
            if len(name) > 200:
                yield Problem(row.number, "name", "Too long: a name has at most 200 characters.")
        elif not {"name", "first_name", "last_name"} & set(row.raw):
            yield Problem(row.number, "name", "A name is required (a name, or a first and last name).", value="")
        start, end = values.get("start_date"), values.get("termination_date")
        if start and end and end < start:
            yield Problem(row.number, "termination_date", f"The termination date is before the start date ({start}).")
        email, manager = values.get("email"), values.get("manager_email")
        if email and manager and email.lower() == manager.lower():
            yield Problem(row.number, "manager_email", "A person cannot be their own manager.")

    def natural_keys(self, row: ParsedRow) -> Iterator[tuple[str, str]]:
        if "employee_id" in row.values:
            yield "employee_id", row.values["employee_id"]
        if "email" in row.values:
            yield "email", row.values["email"].lower()

    def record(self, row: ParsedRow) -> services.PersonRecord:
        values = row.values
        return services.PersonRecord(
            row=row.number,
            email=values["email"],
            employee_id=values.get("employee_id"),
            fields={field: values[field] for field in services.PERSON_FIELDS if field in values},
            department=values.get("department"),
            manager_email=values.get("manager_email"),
            manager_name=values.get("manager_name"),
            aliases=tuple(
                (column, values[column]) for column in ("work_secondary_email", "recovery_email") if column in values
            ),
            directory_status=self.directory_status,
        )

    def check_references(self, rows: list[ParsedRow], *, rejected: list[ParsedRow]) -> list[Problem]:
        rejected_emails = {row.values["email"].lower(): row.number for row in rejected if "email" in row.values}
        return services.people_import_check(records=[self.record(row) for row in rows], rejected_emails=rejected_emails)

    def write(self, rows: list[ParsedRow], *, context: WriteContext) -> WriteCounts:
        return services.people_upsert(
            records=[self.record(row) for row in rows],
            user=context.user,
            change_reason=context.change_reason,
            on_progress=context.on_progress,
            chunk_size=context.chunk_size,
        )


@register_importer
class GenericPeopleImporter(PeopleImporter):
    description = "Any list of people with a header row. Dates as YYYY-MM-DD."
    columns = (
        _col(
            "employee_id", "Employee ID", "Employee Number", "Employee #", "Emp ID", "Worker ID", parser=TextParser(64)
        ),
        _email("email", "Email Address", "Work Email", "Primary Email", "E-mail", "Mail", required=True),
        _col(
            "name",
            "Full Name",
            "Display Name",
            "Employee Name",
            required=True,
            satisfied_by=("first_name", "last_name"),
            example="Ada Lovelace",
        ),
        _col("first_name", "First Name", "Given Name", example="Ada"),
        _col("last_name", "Last Name", "Surname", "Family Name", example="Lovelace"),
        _col("department", "Department", "Dept", "Team", parser=TextParser(150), example="Engineering"),
        _email("manager_email", "Manager Email", "Manager", "Supervisor Email", "Reports To Email"),
        _col("status", "Status", "Person Status", parser=PERSON_STATUS, example="active"),
        _col(
            "employment_type",
            "Employment Type",
            "Worker Type",
            "Employee Type",
            parser=EMPLOYMENT_TYPE,
            example="employee",
        ),
        _date("start_date", "Start Date", "Hire Date", "Hired On"),
        _date("termination_date", "Termination Date", "End Date", "Terminated On", "Leave Date"),
        _col("job_title", "Job Title", "Title", "Position", parser=TextParser(200), example="Engineer"),
    )


def _google_employee_type(text: str) -> str:
    """Google's Employee Type is free text; anything that reads like a contract is a contractor."""
    token = normalise_token(text)
    contract_words = ("contract", "contingent", "consult", "freelanc", "temp", "vendor", "extern")
    return EmploymentType.CONTRACTOR if any(word in token for word in contract_words) else EmploymentType.EMPLOYEE


@register_importer
class GoogleWorkspacePeopleImporter(PeopleImporter):
    """The Google Admin console's "Download users" CSV.

    Status: Google knows accounts, not employment, and has no termination dates. An
    Active account makes a new person active; a Suspended or Archived account makes them
    on leave, because a terminated person needs a termination date and Google has none
    (an HR import supplies it). For a person already terminated in saasmgr the account
    status changes nothing: HR's termination stands, and the suspended account is what
    reconciliation will flag if it still holds licenses.

    Last Sign In (``2024/04/04 00:24:13`` in UTC, or ``Never logged in``) is validated and
    kept on the parsed row for the licenses work; people do not store it. Work Secondary
    Email and Recovery Email become email aliases of the person.
    """

    format = "google-workspace"
    format_label = "Google Workspace (Admin console user download)"
    description = "The CSV from Admin console › Directory › Users › Download users (all columns)."
    directory_status = True
    columns = (
        _col("first_name", "First Name [Required]", example="Ada"),
        _col("last_name", "Last Name [Required]", example="Lovelace"),
        _email("email", "Email Address [Required]", required=True),
        _col("name", "Name [READ ONLY]", required=True, satisfied_by=("first_name", "last_name")),
        _col(
            "status",
            "Status [READ ONLY]",
            parser=ChoiceParser(
                {"active": PersonStatus.ACTIVE, "suspended": PersonStatus.ON_LEAVE, "archived": PersonStatus.ON_LEAVE},
                shown=["Active", "Suspended", "Archived"],
            ),
            example="Active",
        ),
        _col(
            "last_sign_in",
            "Last Sign In [READ ONLY]",
            parser=DateTimeParser(("%Y/%m/%d %H:%M:%S",), example="2024/04/04 00:24:13", blanks=("Never logged in",)),
            example="2024/04/04 00:24:13",
        ),
        _col("employee_id", "Employee ID", parser=TextParser(64)),
        _col(
            "employment_type",
            "Employee Type",
            parser=FunctionParser(_google_employee_type, accepted="any text; contract-like words mean contractor"),
        ),
        _col("job_title", "Employee Title", parser=TextParser(200)),
        _email("manager_email", "Manager Email"),
        _col("department", "Department", parser=TextParser(150)),
        _email("work_secondary_email", "Work Secondary Email"),
        _email("recovery_email", "Recovery Email"),
    )
    ignored_headers = (
        "Password [Required]",
        "Password Hash Function [UPLOAD ONLY]",
        "Org Unit Path [Required]",
        "New Primary Email [UPLOAD ONLY]",
        "Home Secondary Email",
        "Recovery Phone [MUST BE IN THE E.164 FORMAT]",
        "Work Phone",
        "Home Phone",
        "Mobile Phone",
        "Work Address",
        "Home Address",
        "Cost Center",
        "Building ID",
        "Floor Name",
        "Floor Section",
        "Change Password at Next Sign-In",
        "New Status [UPLOAD ONLY]",
        "2sv Enrolled [READ ONLY]",
        "2sv Enforced [READ ONLY]",
        "Email Usage [READ ONLY]",
        "Advanced Protection Program enrollment",
    )


@register_importer
class BambooHRPeopleImporter(PeopleImporter):
    """A BambooHR employee report. Status Inactive means terminated (with the Termination
    Date). The manager is Supervisor Email, or else Reports To, a name ("Smith, John" or
    "John Smith") that must match exactly one person in the file or in saasmgr."""

    format = "bamboohr"
    format_label = "BambooHR (employee report)"
    description = "A BambooHR custom report. Dates as YYYY-MM-DD or MM/DD/YYYY."
    columns = (
        _col("employee_id", "Employee #", "Employee Number", "EEID", parser=TextParser(64)),
        _col("first_name", "First Name", example="Ada"),
        _col("last_name", "Last Name", example="Lovelace"),
        _col("name", "Full Name", "Name", required=True, satisfied_by=("first_name", "last_name")),
        _email("email", "Work Email", required=True),
        _col(
            "status",
            "Status",
            parser=ChoiceParser(
                {"active": PersonStatus.ACTIVE, "inactive": PersonStatus.TERMINATED}, shown=["Active", "Inactive"]
            ),
            example="Active",
        ),
        _date("start_date", "Hire Date", parser=US_OR_ISO_DATE),
        _date("termination_date", "Termination Date", parser=US_OR_ISO_DATE),
        _col("department", "Department", parser=TextParser(150)),
        _col("job_title", "Job Title", parser=TextParser(200)),
        _email("manager_email", "Supervisor Email", "Reports To Email"),
        _col("manager_name", "Reports To", "Supervisor", example="Lovelace, Ada"),
        _col("employment_type", "Employment Status", parser=EMPLOYMENT_TYPE, example="Full-Time"),
    )
    ignored_headers = (
        "Preferred Name",
        "Middle Name",
        "Home Email",
        "Mobile Phone",
        "Work Phone",
        "Work Phone Extension",
        "Division",
        "Location",
        "Original Hire Date",
        "Pay Rate",
        "Supervisor EID",
        "Gender",
        "Date of Birth",
    )


@register_importer
class WorkdayPeopleImporter(PeopleImporter):
    """A Workday custom report (column names vary per tenant, hence the aliases).
    Active_Status No means terminated; On_Leave Yes makes an active worker on leave.
    Dates as YYYY-MM-DD (a UTC offset after it, as Workday writes, is ignored) or MM/DD/YYYY."""

    format = "workday"
    format_label = "Workday (custom report)"
    description = "A Workday custom report of workers, exported as CSV or Excel."
    columns = (
        _col("employee_id", "Employee_ID", "Worker_ID", "Employee ID", parser=TextParser(64)),
        _col("name", "Worker", "Legal_Name", "Preferred_Name", "Full_Name", required=True, example="Ada Lovelace"),
        _email("email", "Email", "Primary_Work_Email", "Work_Email", "Email_Primary_Work", required=True),
        _date("start_date", "Hire_Date", parser=US_OR_ISO_DATE),
        _date("termination_date", "Termination_Date", parser=US_OR_ISO_DATE),
        _col("department", "Team_Name", "Supervisory_Organization", "Department", parser=TextParser(150)),
        _email("manager_email", "Manager_Email", "Manager_Work_Email"),
        _col(
            "employment_type",
            "Worker_Type",
            parser=ChoiceParser(
                {"employee": EmploymentType.EMPLOYEE, "contingent worker": EmploymentType.CONTRACTOR},
                shown=["Employee", "Contingent Worker"],
            ),
            example="Employee",
        ),
        _col("active", "Active_Status", "Active", parser=BooleanParser(), example="Yes"),
        _col("on_leave", "On_Leave", "Is_On_Leave", parser=BooleanParser(), example="No"),
        _col("job_title", "Business_Title", "Job_Title", "Job_Profile", parser=TextParser(200)),
    )

    def clean_row(self, row: ParsedRow) -> Iterable[Problem]:
        active = row.values.get("active")
        if active is False:
            row.values["status"] = PersonStatus.TERMINATED
        elif active is True:
            row.values["status"] = PersonStatus.ON_LEAVE if row.values.get("on_leave") else PersonStatus.ACTIVE
        return super().clean_row(row)


# Applications


@register_importer
class ApplicationsImporter(Importer):
    """Applications, matched on name ignoring case. Vendors (also found by their aliases)
    and categories are created when new; owners must already be people in saasmgr."""

    kind = "applications"
    kind_label = "Applications"
    roles = IT_PROCUREMENT_ROLES
    description = "Any list of applications with a header row. Dates as YYYY-MM-DD."
    natural_key_help = "the application name (ignoring case)"
    columns = (
        _col(
            "name",
            "Application",
            "Application Name",
            "App",
            "App Name",
            required=True,
            parser=TextParser(200),
            example="Slack",
        ),
        _col("vendor", "Vendor", "Vendor Name", "Publisher", "Supplier", parser=TextParser(200), example="Salesforce"),
        _col("category", "Category", "App Category", parser=TextParser(100), example="Collaboration"),
        _col(
            "status",
            "Status",
            "Application Status",
            parser=APPLICATION_STATUS,
            example="sanctioned",
        ),
        _email("business_owner_email", "Business Owner", "Business Owner Email", "Owner", "Owner Email"),
        _email("it_owner_email", "IT Owner", "IT Owner Email", "Technical Owner"),
        _col(
            "discovery_source",
            "Discovery Source",
            "Source",
            "Discovered Via",
            parser=DISCOVERY_SOURCE,
            example="sso",
        ),
        _date("first_seen", "First Seen", "First Seen Date", "Discovered On"),
        _col("website", "Website", "URL", "Homepage", parser=URLParser(), example="https://slack.com"),
        _col("description", "Description", "Notes", example="Team chat"),
    )

    def natural_keys(self, row: ParsedRow) -> Iterator[tuple[str, str]]:
        if "name" in row.values:
            yield "name", row.values["name"].casefold()

    def record(self, row: ParsedRow) -> services.ApplicationRecord:
        values = row.values
        return services.ApplicationRecord(
            row=row.number,
            name=values["name"],
            fields={field: values[field] for field in services.APPLICATION_FIELDS if field in values},
            vendor=values.get("vendor"),
            category=values.get("category"),
            business_owner_email=values.get("business_owner_email"),
            it_owner_email=values.get("it_owner_email"),
        )

    def check_references(self, rows: list[ParsedRow], *, rejected: list[ParsedRow]) -> list[Problem]:
        return services.applications_import_check(records=[self.record(row) for row in rows])

    def write(self, rows: list[ParsedRow], *, context: WriteContext) -> WriteCounts:
        return services.applications_upsert(
            records=[self.record(row) for row in rows],
            user=context.user,
            change_reason=context.change_reason,
            on_progress=context.on_progress,
            chunk_size=context.chunk_size,
        )
