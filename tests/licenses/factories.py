"""Factories of the licenses app."""

import datetime
from decimal import Decimal

import factory

from licenses.choices import IdentityStatus, NameKind, RunStatus
from licenses.models import (
    Activity,
    Assignment,
    Finding,
    IdentityReview,
    LicensePool,
    NameReview,
    ReconciliationRun,
    UsageSource,
)
from tests.factories import ApplicationFactory, PersonFactory


class LicensePoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LicensePool

    application = factory.SubFactory(ApplicationFactory)
    name = factory.Sequence(lambda n: f"Seat type {n}")
    purchased_quantity = 10
    currency = "USD"
    annual_unit_cost = Decimal("120.0000")
    annual_unit_cost_reporting = factory.LazyAttribute(
        lambda pool: pool.annual_unit_cost if pool.currency == "USD" else None
    )


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    pool = factory.SubFactory(LicensePoolFactory)
    person = factory.SubFactory(PersonFactory)
    account = factory.LazyAttribute(
        lambda assignment: assignment.person.email if assignment.person else "svc@example.com"
    )
    assigned_on = datetime.date(2024, 1, 1)
    source = "manual"


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    person = factory.SubFactory(PersonFactory)
    application = factory.SubFactory(ApplicationFactory)
    day = datetime.date(2024, 6, 1)
    events = 1


class UsageSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UsageSource

    application = factory.SubFactory(ApplicationFactory)
    source = "generic"


class IdentityReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IdentityReview

    identity = factory.Sequence(lambda n: f"unknown{n}@example.com")
    raw = factory.LazyAttribute(lambda review: review.identity)
    source = "generic"
    status = IdentityStatus.PENDING
    sightings = 1


class NameReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NameReview

    kind = NameKind.APPLICATION
    raw = factory.Sequence(lambda n: f"Unknown App {n}")
    normalised = factory.LazyAttribute(lambda review: review.raw.lower())
    source = "generic"
    sightings = 1


class ReconciliationRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReconciliationRun

    as_of = datetime.date(2024, 6, 30)
    status = RunStatus.DONE


class FindingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Finding

    run = factory.SubFactory(ReconciliationRunFactory)
    part = 0
    kind = "inactive"
    pool = factory.SubFactory(LicensePoolFactory)
    application = factory.LazyAttribute(lambda finding: finding.pool.application)
    quantity = 1
    currency = "USD"
    annual_cost_impact_local = Decimal("120.00")
    annual_cost_impact = Decimal("120.00")
