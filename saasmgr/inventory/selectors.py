"""Reads of the inventory that other code may use."""

from saasmgr.inventory.choices import PersonStatus
from saasmgr.inventory.models import Application, Department, Person, Vendor


def application_count(*, status: str | None = None) -> int:
    qs = Application.objects.all()
    return (qs.filter(status=status) if status else qs).count()


def vendor_count() -> int:
    return Vendor.objects.count()


def person_count(*, status: str | None = None) -> int:
    qs = Person.objects.all()
    return (qs.filter(status=status) if status else qs).count()


def active_people_count() -> int:
    return person_count(status=PersonStatus.ACTIVE)


def department_count() -> int:
    return Department.objects.count()
