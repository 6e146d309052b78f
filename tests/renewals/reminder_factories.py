"""Contracts for the reminder tests: a cancel-by date, owners on every side, and one annual price."""

from datetime import timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from renewals.choices import PricingModel
from renewals.models import Contract, Renewal
from saasmgr.core.choices import BillingPeriod
from tests.factories import ApplicationFactory, PersonFactory
from tests.renewals.factories import ContractFactory


def flat_annual_line(annual_price) -> dict:
    return {
        "sku": "Subscription",
        "pricing_model": PricingModel.FLAT,
        "quantity": Decimal("1"),
        "unit_price": Decimal(annual_price),
        "billing_period": BillingPeriod.ANNUAL,
    }


class ReminderContractFactory(ContractFactory):
    """An active contract saved by ``contract_save`` (so its renewal exists), with:

    - ``cancel_by``: the end date becomes cancel_by + notice days, after a one-year term;
    - ``annual_price``: one flat annual line item (default 12,000.00);
    - ``applications``: by default one application with a business and an IT owner.
    """

    @classmethod
    def _create(cls, model_class, *args, applications=None, annual_price=Decimal("12000.00"), cancel_by=None, **kwargs):
        if cancel_by is not None:
            kwargs["end_date"] = cancel_by + timedelta(days=kwargs["notice_days"])
            kwargs["start_date"] = kwargs["end_date"] - relativedelta(years=1) + timedelta(days=1)
        if applications is None:
            applications = [
                ApplicationFactory(vendor=kwargs["vendor"], business_owner=PersonFactory(), it_owner=PersonFactory())
            ]
        return super()._create(
            model_class, *args, applications=applications, line_items=[flat_annual_line(annual_price)], **kwargs
        )


def renewal_of(contract: Contract) -> Renewal:
    return Renewal.objects.get(contract=contract, term_end=contract.end_date)
