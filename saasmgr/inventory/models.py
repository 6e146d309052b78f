from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from simple_history.models import HistoricalRecords

from saasmgr.core.models import TimeStampedModel
from saasmgr.inventory.choices import (
    AliasKind,
    ApplicationStatus,
    DiscoverySource,
    EmploymentType,
    PersonStatus,
)
from saasmgr.inventory.names import normalise_name


class Vendor(TimeStampedModel):
    name = models.CharField(max_length=200, unique=True)
    website = models.URLField(blank=True)
    notes = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("inventory:vendor_detail", args=[self.pk])


class VendorAlias(TimeStampedModel):
    """A raw vendor name seen in spend or contract data ("SFDC", "salesforce.com")."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=200)

    class Meta:
        ordering = ["alias"]
        constraints = [models.UniqueConstraint(Lower("alias"), name="vendor_alias_unique_ci")]

    def __str__(self) -> str:
        return self.alias


class Category(TimeStampedModel):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("inventory:category_detail", args=[self.pk])


class Department(TimeStampedModel):
    name = models.CharField(max_length=150, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    cost_centre = models.CharField(max_length=50, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("inventory:department_detail", args=[self.pk])

    def ancestors(self) -> list["Department"]:
        """From the root down to the parent; guards against cycles in bad data."""
        chain, seen, node = [], {self.pk}, self.parent
        while node is not None and node.pk not in seen:
            chain.append(node)
            seen.add(node.pk)
            node = node.parent
        return list(reversed(chain))


class Person(TimeStampedModel):
    employee_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=200)
    job_title = models.CharField(max_length=200, blank=True)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="people")
    manager = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")
    status = models.CharField(max_length=20, choices=PersonStatus.choices, default=PersonStatus.ACTIVE)
    employment_type = models.CharField(max_length=20, choices=EmploymentType.choices, default=EmploymentType.EMPLOYEE)
    start_date = models.DateField(null=True, blank=True)
    termination_date = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"
        constraints = [
            models.UniqueConstraint(Lower("email"), name="person_email_unique_ci"),
            models.CheckConstraint(
                condition=models.Q(termination_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(termination_date__gte=models.F("start_date")),
                name="person_termination_after_start",
            ),
        ]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def get_absolute_url(self) -> str:
        return reverse("inventory:person_detail", args=[self.pk])


class PersonAlias(TimeStampedModel):
    """Another email or username of a person, as seen in usage data."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="aliases")
    kind = models.CharField(max_length=20, choices=AliasKind.choices, default=AliasKind.EMAIL)
    value = models.CharField(max_length=254)

    class Meta:
        ordering = ["value"]
        verbose_name_plural = "person aliases"
        constraints = [models.UniqueConstraint(Lower("value"), "kind", name="person_alias_unique_ci")]

    def __str__(self) -> str:
        return self.value


class Application(TimeStampedModel):
    name = models.CharField(max_length=200, unique=True)
    vendor = models.ForeignKey(Vendor, null=True, blank=True, on_delete=models.PROTECT, related_name="applications")
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="applications"
    )
    business_owner = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="business_owned_applications"
    )
    it_owner = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="it_owned_applications",
        verbose_name="IT owner",
    )
    status = models.CharField(max_length=20, choices=ApplicationStatus.choices, default=ApplicationStatus.UNDER_REVIEW)
    discovery_source = models.CharField(max_length=20, choices=DiscoverySource.choices, default=DiscoverySource.MANUAL)
    first_seen = models.DateField(null=True, blank=True)
    website = models.URLField(blank=True)
    description = models.TextField(blank=True)
    inactivity_days = models.PositiveIntegerField(
        "inactivity threshold (days)",
        null=True,
        blank=True,
        help_text="A license idle for more than this many days is inactive; empty uses the global default.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("inventory:application_detail", args=[self.pk])


class ApplicationAlias(TimeStampedModel):
    """Another name of an application, as seen in usage exports and spend ("SFDC" for Salesforce)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=200)
    # The matcher's normalised form of the name; what lookups compare.
    normalised = models.CharField(max_length=200, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "application aliases"
        constraints = [models.UniqueConstraint(fields=["normalised"], name="application_alias_unique_normalised")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.normalised = normalise_name(self.name)
        super().save(*args, **kwargs)
