"""Contracts, line items and renewals, built through the real services so that their stored values and
automatic renewal exist as they would in the product."""

from datetime import date
from decimal import Decimal

import factory
from django.core.files.base import ContentFile

from renewals.choices import ContractStatus, PricingModel, RenewalStage
from renewals.models import CalendarFeed, Contract, ContractDocument, LineItem, Renewal
from renewals.services import contract_refresh_values, contract_save, renewal_ensure
from saasmgr.core.choices import BillingPeriod
from tests.factories import ApplicationFactory, UserFactory, VendorFactory


def seat_line(sku: str = "Enterprise seat", quantity="10", unit_price="100.00", **extra) -> dict:
    """One per-seat line item billed annually, as contract_save takes it."""
    return {
        "sku": sku,
        "pricing_model": PricingModel.PER_SEAT,
        "quantity": Decimal(quantity),
        "unit_price": Decimal(unit_price),
        "billing_period": BillingPeriod.ANNUAL,
        **extra,
    }


class ContractFactory(factory.django.DjangoModelFactory):
    """An active one-year contract saved by ``contract_save``.

    ``line_items`` is a list of dicts (default: 10 seats at 100.00 a year, so 1,000.00 a year);
    ``applications`` a list of applications (default: one of the vendor's).
    """

    class Meta:
        model = Contract

    vendor = factory.SubFactory(VendorFactory)
    number = factory.Sequence(lambda n: f"CT-{n:05d}")
    status = ContractStatus.ACTIVE
    start_date = date(2025, 1, 1)
    end_date = date(2025, 12, 31)
    currency = "USD"
    notice_days = 30
    owner = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *args, line_items=None, applications=None, **kwargs):
        if applications is None:
            applications = [ApplicationFactory(vendor=kwargs["vendor"])]
        if line_items is None:
            line_items = [seat_line()]
        contract = model_class(*args, **kwargs)
        return contract_save(contract=contract, line_items=line_items, applications=applications)


class LineItemFactory(factory.django.DjangoModelFactory):
    """A line item added to a contract, whose stored values are then refreshed."""

    class Meta:
        model = LineItem

    contract = factory.SubFactory(ContractFactory, line_items=[])
    sku = factory.Sequence(lambda n: f"SKU-{n:04d}")
    pricing_model = PricingModel.PER_SEAT
    quantity = Decimal("5")
    unit_price = Decimal("20.00")
    billing_period = BillingPeriod.ANNUAL

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        item = super()._create(model_class, *args, **kwargs)
        contract_refresh_values(contract=item.contract)
        renewal_ensure(contract=item.contract)
        return item


class RenewalFactory(factory.django.DjangoModelFactory):
    """The renewal that a contract's term end gets, with the given stage, decision, owner and amounts."""

    class Meta:
        model = Renewal

    contract = factory.SubFactory(ContractFactory)
    stage = RenewalStage.UPCOMING

    @classmethod
    def _create(cls, model_class, *args, contract, **fields):
        renewal = Renewal.objects.get(contract=contract, term_end=contract.end_date)
        for name, value in fields.items():
            setattr(renewal, name, value)
        renewal.save()
        return renewal


class CalendarFeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CalendarFeed

    user = factory.SubFactory(UserFactory)
    secret = factory.Sequence(lambda n: f"secret-{n:04d}-abcdefghijklmnopqrstuvwxyz")


class ContractDocumentFactory(factory.django.DjangoModelFactory):
    """A small PDF stored with a contract (the file goes to MEDIA_ROOT)."""

    class Meta:
        model = ContractDocument

    contract = factory.SubFactory(ContractFactory)
    name = "order-form.pdf"
    file = factory.LazyAttribute(lambda doc: ContentFile(b"%PDF-1.4 order form", name=doc.name))
