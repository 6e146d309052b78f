from django.db import models


class ApplicationStatus(models.TextChoices):
    SANCTIONED = "sanctioned", "Sanctioned"
    UNSANCTIONED = "unsanctioned", "Unsanctioned"
    UNDER_REVIEW = "under_review", "Under review"
    RETIRED = "retired", "Retired"


class DiscoverySource(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    IMPORT = "import", "File import"
    SSO = "sso", "SSO / identity provider"
    SPEND = "spend", "Spend (AP or card)"
    EXPENSE = "expense", "Expense report"
    CONTRACT = "contract", "Contract"


class PersonStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ON_LEAVE = "on_leave", "On leave"
    TERMINATED = "terminated", "Terminated"


class EmploymentType(models.TextChoices):
    EMPLOYEE = "employee", "Employee"
    CONTRACTOR = "contractor", "Contractor"


class AliasKind(models.TextChoices):
    EMAIL = "email", "Email"
    USERNAME = "username", "Username"
