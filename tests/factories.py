"""Shared factory_boy factories. Every test builds its data through these."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile

from saasmgr.core.choices import ImportJobStatus, ImportMode
from saasmgr.core.models import FxRate, ImportJob
from saasmgr.inventory.choices import ApplicationStatus, PersonStatus
from saasmgr.inventory.models import (
    Application,
    Category,
    Department,
    Person,
    PersonAlias,
    Vendor,
    VendorAlias,
)

USER_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    """A user; ``UserFactory(roles=["it"])`` puts them in those role groups."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password(USER_PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=extracted))


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Vendor {n:03d}")
    website = factory.LazyAttribute(lambda vendor: f"https://{vendor.name.lower().replace(' ', '-')}.example.com")


class VendorAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VendorAlias

    vendor = factory.SubFactory(VendorFactory)
    alias = factory.Sequence(lambda n: f"vendor alias {n}")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Category {n:03d}")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Department {n:03d}")
    cost_centre = factory.Sequence(lambda n: f"CC-{n:04d}")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"Person {n:04d}")
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    employee_id = factory.Sequence(lambda n: f"E{n:05d}")
    status = PersonStatus.ACTIVE


class PersonAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PersonAlias

    person = factory.SubFactory(PersonFactory)
    value = factory.Sequence(lambda n: f"alias{n}@example.com")


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    name = factory.Sequence(lambda n: f"Application {n:04d}")
    vendor = factory.SubFactory(VendorFactory)
    category = factory.SubFactory(CategoryFactory)
    status = ApplicationStatus.SANCTIONED


class ImportJobFactory(factory.django.DjangoModelFactory):
    """A finished dry run of a small people file (the file is written to MEDIA_ROOT)."""

    class Meta:
        model = ImportJob

    kind = "people"
    original_name = "people.csv"
    file = factory.LazyAttribute(lambda job: ContentFile(b"email,name\nada@example.com,Ada\n", name=job.original_name))
    mode = ImportMode.DRY_RUN
    status = ImportJobStatus.DONE
    total_rows = 1
    processed_rows = 1
    created_by = factory.SubFactory(UserFactory)


class FxRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FxRate

    date = factory.Sequence(lambda n: datetime.date(2024, 1, 1) + datetime.timedelta(days=n))
    currency = "EUR"
    rate = Decimal("1.08500000")
