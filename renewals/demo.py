"""Demo contracts and renewals for the demo company, built from a seed and loaded through the services.

``demo_contracts_build`` is pure: the same seed, company, count and ``today`` give the same contracts,
line items and renewal plans, in any process. It draws from its own ``random.Random``, so the inventory
that a seed builds does not change because contracts exist. The current terms end over the coming
~13 months: a few renewals are at risk, some are in review, in negotiation (with vendor quotes, some above
the contract's uplift cap) or decided, and a few terms ended recently and were closed, so their next term
runs.

``demo_contracts_load`` inserts the contracts whose number is missing and never changes an existing row.
The number is the natural key and does not depend on ``today``, so a run on a later day adds nothing.
Renewal stages move through ``renewal_update`` and ``renewal_close``, so their history is the product's.
A few contracts go through ``contract_save``; thousands are written in bulk with the same stored values.
"""

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.db import models, transaction
from simple_history.utils import bulk_create_with_history

from renewals import demo_catalogue as catalogue
from renewals.choices import ContractStatus, PricingModel, RenewalDecision, RenewalStage
from renewals.models import Contract, LineItem, Renewal, cancel_by_for
from renewals.services import (
    contract_save,
    contract_stored_values,
    renewal_close,
    renewal_for_new_term,
    renewal_update,
)
from renewals.signals import contract_terms_changed
from saasmgr.core.choices import BillingPeriod
from saasmgr.core.money import MONTHS_PER_PERIOD, round_money
from saasmgr.core.selectors import FxRateBook
from saasmgr.inventory.choices import ApplicationStatus, PersonStatus
from saasmgr.inventory.demo import BULK_BATCH_SIZE, SEED_CHANGE_REASON, DemoApplication, DemoCompany
from saasmgr.inventory.models import Application, Department, Vendor

DEMO_CONTRACT_COUNTS = {"small": 45, "enterprise": 5_000}  # by demo profile; the enterprise one is DESIGN.md §8
# Above this many people a specialist product no longer reaches the whole company (see _reach).
WHOLE_COMPANY_UP_TO = 2000
BUSINESS_UNIT_REACH = 0.1
SPECIALIST_REACH = 0.012
BULK_LOAD_ABOVE = 200  # more new contracts than this are written in bulk rather than one by one
PIPELINE_CHANGE_REASON = "Demo renewal pipeline set by seed_demo"
PIPELINE_USERNAME = "procurement"  # who moves the demo renewals along
HORIZON_DAYS = 395  # current terms end within about 13 months
CENT, PRICE_PLACES = Decimal("0.01"), Decimal("0.0001")


class Scenario(StrEnum):
    """Where a contract's current renewal stands today."""

    UPCOMING = "upcoming"
    AT_RISK = "at_risk"  # cancel-by within 30 days, no decision yet
    LAPSED = "lapsed"  # renews automatically, cancel-by passed, still open
    IN_REVIEW = "in_review"
    NEGOTIATING = "negotiating"
    DECIDED = "decided"
    CLOSED = "closed"  # the last term ended recently; its renewal was closed and the next term runs


# (scenario, share of the contracts, at least). What is left stays upcoming.
SCENARIO_MIX = (
    (Scenario.CLOSED, 0.02, 3),
    (Scenario.LAPSED, 0.01, 2),
    (Scenario.AT_RISK, 0.02, 3),
    (Scenario.DECIDED, 0.05, 4),
    (Scenario.NEGOTIATING, 0.06, 5),
    (Scenario.IN_REVIEW, 0.06, 5),
)
DECISION_WEIGHTS = (
    (RenewalDecision.RENEW, 40),
    (RenewalDecision.RENEGOTIATE, 25),
    (RenewalDecision.DOWNSIZE, 20),
    (RenewalDecision.CANCEL, 15),
)
DECISION_NOTES = {
    RenewalDecision.RENEW: "Usage is healthy; renewing on the quoted terms.",
    RenewalDecision.RENEGOTIATE: "Renewing, but only at last year's price.",
    RenewalDecision.DOWNSIZE: "Right-sizing to the seats in use.",
    RenewalDecision.CANCEL: "Too little use to justify the spend; giving notice.",
}


@dataclass(frozen=True)
class DemoLineItem:
    sku: str
    pricing_model: str
    quantity: Decimal
    unit_price: Decimal
    billing_period: str
    committed_quantity: Decimal | None = None
    overage_price: Decimal | None = None
    tiers: tuple[tuple[int | None, Decimal], ...] = ()
    uplift_cap_pct: Decimal | None = None

    def fields(self) -> dict:
        """The line item as ``contract_save`` and ``LineItem`` take it."""
        return {
            "sku": self.sku,
            "pricing_model": self.pricing_model,
            "quantity": self.quantity,
            "unit_price": self.unit_price,
            "billing_period": self.billing_period,
            "committed_quantity": self.committed_quantity,
            "overage_price": self.overage_price,
            "tiers": [{"up_to": up_to, "unit_price": str(price)} for up_to, price in self.tiers],
            "uplift_cap_pct": self.uplift_cap_pct,
        }


@dataclass(frozen=True)
class DemoRenewalPlan:
    """How far the current term's renewal has got, as percentages of its current annual value."""

    scenario: str
    stage: str  # the stage it ends in; closed means decided, then closed
    decision: str = ""
    quote_uplift_pct: int | None = None  # the vendor's quote over the current annual value
    result_change_pct: int | None = None  # the negotiated result against the current annual value
    close_price_uplift_pct: int = 0  # closing: the next term's unit prices rise by this
    close_quantity_pct: int = 100  # closing a downsize: the next term's seats as a share of today's
    notes: str = ""


@dataclass(frozen=True)
class DemoContract:
    number: str
    title: str
    vendor: str
    applications: tuple[str, ...]
    department: str | None
    owner: str | None  # a demo username
    start_date: date
    end_date: date
    currency: str
    billing_frequency: str
    auto_renew: bool
    notice_days: int
    renewal_term_months: int
    line_items: tuple[DemoLineItem, ...]
    renewal: DemoRenewalPlan


# --- Generation (pure) ------------------------------------------------------


@dataclass(frozen=True)
class _Slot:
    """One contract to write: the applications it covers and which of the group's contracts it is."""

    applications: tuple[DemoApplication, ...]
    part: int
    parts: int


def demo_contracts_build(*, seed: int, company: DemoCompany, count: int, today: date) -> tuple[DemoContract, ...]:
    """``count`` contracts for the company's sanctioned applications: identical for identical arguments."""
    rng = random.Random(f"{seed}:contracts")  # a string seed is hashed with SHA-512: stable in any process
    sanctioned = [app for app in company.applications if app.status == ApplicationStatus.SANCTIONED]
    templates = {app.name: _item_templates(rng, app) for app in sanctioned}
    slots = _slots(rng, _vendor_bundles(rng, sanctioned), count, templates)
    prepaid = _prepaid_slot(slots)
    scenarios = _scenarios(rng, slots, templates, prepaid=prepaid)
    context = _Context(company, today, templates)
    return tuple(
        _contract(rng, context, number=index + 1, slot=slot, scenario=scenario, prepaid=index == prepaid)
        for index, (slot, scenario) in enumerate(zip(slots, scenarios, strict=True))
    )


def _item_templates(rng: random.Random, app: DemoApplication) -> tuple[catalogue.ItemTemplate, ...]:
    if app.name in catalogue.PRODUCT_ITEMS:
        return catalogue.PRODUCT_ITEMS[app.name]
    low, high, share_low, share_high = catalogue.LONG_TAIL_SEAT_PRICES[app.category]
    plan = rng.choice(catalogue.LONG_TAIL_PLANS)
    items = [
        catalogue.seat(f"{app.name} {plan} seat", f"{rng.randint(low, high)}.00", rng.uniform(share_low, share_high))
    ]
    if rng.random() < catalogue.LONG_TAIL_PLATFORM_SHARE:
        items.append(catalogue.platform(f"{app.name} platform fee", rng.choice(catalogue.LONG_TAIL_PLATFORM_FEES)))
    if app.category in catalogue.LONG_TAIL_USAGE and rng.random() < catalogue.LONG_TAIL_USAGE_SHARE:
        sku, price, per_head, overage = catalogue.LONG_TAIL_USAGE[app.category]
        items.append(catalogue.usage(f"{app.name} {sku}", price, per_head, overage))
    return tuple(items)


def _vendor_bundles(rng: random.Random, sanctioned: Sequence[DemoApplication]) -> list[tuple[DemoApplication, ...]]:
    """A vendor's apps are bought on one contract (up to four) or one contract each."""
    by_vendor: dict[str, list[DemoApplication]] = {}
    for app in sanctioned:
        by_vendor.setdefault(app.vendor, []).append(app)
    bundles = []
    for apps in by_vendor.values():
        if len(apps) > 1 and rng.random() < 0.5:
            bundles.extend(tuple(apps[start : start + 4]) for start in range(0, len(apps), 4))
        else:
            bundles.extend((app,) for app in apps)
    return bundles


def _slots(rng: random.Random, bundles: list[tuple[DemoApplication, ...]], count: int, templates) -> list[_Slot]:
    """Exactly ``count`` contracts: some bundles go without when there are too many, and when there are too
    few, departments and regions buy their own contracts of the well-known products, except of those bought
    for everyone at once (an HR system, single sign-on)."""
    if len(bundles) >= count or not bundles:
        kept = sorted(rng.sample(range(len(bundles)), min(count, len(bundles))))
        return [_Slot(bundles[index], 0, 1) for index in kept]
    weights = [_extra_contract_weight(bundle, templates) for bundle in bundles]
    if not any(weights):
        weights = [1] * len(bundles)  # only company-wide products: they are the ones bought again
    extra = Counter(rng.choices(range(len(bundles)), weights=weights, k=count - len(bundles)))
    return [
        _Slot(bundle, part, 1 + extra[index])
        for index, bundle in enumerate(bundles)
        for part in range(1 + extra[index])
    ]


def _extra_contract_weight(bundle: tuple[DemoApplication, ...], templates) -> int:
    if any(template.per_head >= 0.9 for app in bundle for template in templates[app.name]):
        return 0
    return 4 if any(app.name in catalogue.PRODUCT_ITEMS for app in bundle) else 1


def _scenarios(rng: random.Random, slots: Sequence[_Slot], templates, *, prepaid: int | None) -> list[Scenario]:
    """Each contract's scenario; the prepaid one stays upcoming. Only contracts without a one-time fee are
    closed: closing carries every line item into the next term, and a fee charged once must not come back."""
    order = [index for index in range(len(slots)) if index != prepaid]
    rng.shuffle(order)
    scenarios = [Scenario.UPCOMING] * len(slots)
    for scenario, share, minimum in SCENARIO_MIX:
        wanted = min(max(minimum, round(share * len(slots))), len(order))
        picked = [i for i in order if scenario != Scenario.CLOSED or not _has_one_time_fee(slots[i], templates)]
        for index in picked[:wanted]:
            scenarios[index] = scenario
            order.remove(index)
    return scenarios


def _has_one_time_fee(slot: _Slot, templates) -> bool:
    return any(t.period == BillingPeriod.ONE_TIME for app in slot.applications for t in templates[app.name])


def _prepaid_slot(slots: Sequence[_Slot]) -> int | None:
    """The one multi-year contract paid up front: of a product bought that way, else the first contract."""
    for product in catalogue.PREPAID_TERM_PRODUCTS:
        for index, slot in enumerate(slots):
            if slot.part == 0 and product in [app.name for app in slot.applications]:
                return index
    return 0 if slots else None


class _Context:
    """What every contract of one company draws on."""

    def __init__(self, company: DemoCompany, today: date, templates):
        self.today = today
        self.templates = templates
        self.headcount = sum(1 for person in company.people if person.status == PersonStatus.ACTIVE)
        self.department_of = {person.email: person.department for person in company.people}
        self.departments = [department.name for department in company.departments]


@dataclass(frozen=True)
class _Terms:
    currency: str
    billing: str
    term_months: int
    notice_days: int
    auto_renew: bool
    end_date: date
    uplift_cap: Decimal | None
    price_factor: Decimal  # the negotiated discount in the contract's currency
    prepaid: bool


def _contract(
    rng: random.Random, context: _Context, *, number: int, slot: _Slot, scenario: Scenario, prepaid: bool
) -> DemoContract:
    lead = slot.applications[0]
    department = context.department_of.get(lead.business_owner_email or "")
    title = " + ".join(app.name for app in slot.applications)
    if slot.part:
        department = rng.choice(context.departments)
        title = f"{title} ({department})"
    terms = _terms(rng, context.today, scenario=scenario, prepaid=prepaid)
    people = context.headcount / slot.parts  # whom this contract serves
    # A department's own contract of a product the company already runs needs no implementation again.
    items = tuple(
        _line_item(rng, template, terms, people)
        for app in slot.applications
        for template in context.templates[app.name]
        if not (slot.part and template.period == BillingPeriod.ONE_TIME)
    )
    return DemoContract(
        number=f"C-{number:04d}",
        title=title,
        vendor=lead.vendor,
        applications=tuple(app.name for app in slot.applications),
        department=department,
        owner=_weighted(rng, catalogue.OWNER_WEIGHTS),
        start_date=terms.end_date + timedelta(days=1) - relativedelta(months=terms.term_months),
        end_date=terms.end_date,
        currency=terms.currency,
        billing_frequency=BillingPeriod.TERM if prepaid else terms.billing,
        auto_renew=terms.auto_renew,
        notice_days=terms.notice_days,
        renewal_term_months=terms.term_months,
        line_items=items,
        renewal=_renewal_plan(rng, scenario, terms.uplift_cap),
    )


def _terms(rng: random.Random, today: date, *, scenario: Scenario, prepaid: bool) -> _Terms:
    currency = _weighted(rng, catalogue.CURRENCY_WEIGHTS)
    discount = Decimal(str(round(rng.uniform(*catalogue.DISCOUNT_RANGE), 2)))
    cap = Decimal(rng.choice(catalogue.UPLIFT_CAPS)) if rng.random() < catalogue.UPLIFT_CAP_SHARE else None
    notice_days = _weighted(rng, catalogue.NOTICE_DAYS_WEIGHTS)
    auto_renew = rng.random() < catalogue.AUTO_RENEW_SHARE
    term_months = catalogue.PREPAID_TERM_MONTHS if prepaid else _weighted(rng, catalogue.TERM_MONTHS_WEIGHTS)
    if scenario == Scenario.CLOSED:
        term_months = 12
    if scenario == Scenario.LAPSED:
        auto_renew, notice_days = True, rng.choice((60, 90))
    # A term that started today ends on the latest day an active contract's current term may end.
    latest_end = (today + relativedelta(months=term_months) - timedelta(days=1) - today).days
    end_date = today + timedelta(days=_end_offset(rng, scenario, notice_days, min(latest_end, HORIZON_DAYS)))
    return _Terms(
        currency=currency,
        billing=_weighted(rng, catalogue.BILLING_WEIGHTS),
        term_months=term_months,
        notice_days=notice_days,
        auto_renew=auto_renew,
        end_date=end_date,
        uplift_cap=cap,
        price_factor=discount * Decimal(catalogue.CURRENCY_PRICE_FACTORS[currency]),
        prepaid=prepaid,
    )


def _end_offset(rng: random.Random, scenario: Scenario, notice_days: int, latest: int) -> int:
    """Days from today to the end of the current term, so that cancel-by (end − notice) lands where the
    scenario needs it. Upcoming ones have cancel-by more than 30 days away (only the chosen few are at risk)
    and end by ``latest``, so that no active contract starts in the future."""
    if scenario == Scenario.CLOSED:
        return -rng.randint(3, 45)  # ended recently; closing starts the next term
    if scenario == Scenario.LAPSED:
        return rng.randint(15, notice_days - 5)  # cancel-by passed 5 or more days ago, the term still runs
    cancel_by_in = {
        Scenario.AT_RISK: (1, 28),
        Scenario.DECIDED: (1, 45),
        Scenario.NEGOTIATING: (31, 100),
        Scenario.IN_REVIEW: (31, 150),
    }
    if scenario in cancel_by_in:
        return rng.randint(*cancel_by_in[scenario]) + notice_days
    return rng.randint(notice_days + 31, max(notice_days + 31, latest))


def _line_item(rng: random.Random, template: catalogue.ItemTemplate, terms: _Terms, people: float) -> DemoLineItem:
    model = template.pricing_model
    period = template.period or (BillingPeriod.TERM if terms.prepaid else terms.billing)
    recurring = period != BillingPeriod.ONE_TIME
    cap = terms.uplift_cap if recurring else None
    factor = terms.price_factor
    if model in (PricingModel.PLATFORM_FEE, PricingModel.FLAT):
        quantity = Decimal("1")
    else:
        reach = _reach(template, people)
        quantity = _nice_quantity(people * reach * template.per_head * rng.uniform(0.85, 1.15), template.minimum)
    if model == PricingModel.USAGE:
        return DemoLineItem(
            sku=template.sku,
            pricing_model=model,
            quantity=quantity,
            unit_price=_price(template.price, factor, PRICE_PLACES),
            billing_period=period,
            committed_quantity=quantity,
            overage_price=_price(template.overage_price, factor, PRICE_PLACES),
            uplift_cap_pct=cap,
        )
    if model == PricingModel.TIERED:
        bands = tuple((up_to, _price(price, factor, PRICE_PLACES)) for up_to, price in template.tiers)
        return DemoLineItem(template.sku, model, quantity, bands[0][1], period, tiers=bands, uplift_cap_pct=cap)
    return DemoLineItem(
        template.sku, model, quantity, _period_price(template, period, terms), period, uplift_cap_pct=cap
    )


def _reach(template: catalogue.ItemTemplate, people: float) -> float:
    """Share of the people a contract serves who need this item. A small company buys each product for
    everyone who needs it on one contract; an enterprise of tens of thousands buys per business unit, and a
    specialist tool reaches a few teams, which keeps it near ten seats per person (DESIGN.md section 8)."""
    if people <= WHOLE_COMPANY_UP_TO:
        return 1.0
    return BUSINESS_UNIT_REACH if template.per_head >= 0.9 else SPECIALIST_REACH


def _period_price(template: catalogue.ItemTemplate, period: str, terms: _Terms) -> Decimal:
    """A seat's or fee's price per billing period from its monthly list price; a prepaid term costs its months,
    less the prepayment discount; a one-time fee is what it is."""
    if period == BillingPeriod.ONE_TIME:
        return _price(template.price, terms.price_factor, CENT)
    if period == BillingPeriod.TERM:
        months = Decimal(terms.term_months) * Decimal(catalogue.PREPAID_DISCOUNT)
    else:
        months = Decimal(MONTHS_PER_PERIOD[period])
    return _price(template.price, terms.price_factor * months, CENT)


def _price(list_price: str, factor: Decimal, places: Decimal) -> Decimal:
    return (Decimal(list_price) * factor).quantize(places)


def _nice_quantity(raw: float, minimum: int) -> Decimal:
    """Seats are bought in round numbers: to the 100 above 1,000, to the 10 above 100, to the 5 above 20."""
    value = max(raw, minimum)
    step = 100 if value >= 1000 else 10 if value >= 100 else 5 if value >= 20 else 1
    return Decimal(max(minimum, round(value / step) * step))


def _renewal_plan(rng: random.Random, scenario: Scenario, cap: Decimal | None) -> DemoRenewalPlan:
    if scenario in (Scenario.UPCOMING, Scenario.AT_RISK, Scenario.LAPSED):
        stage = RenewalStage.UPCOMING
        if scenario != Scenario.UPCOMING and rng.random() < 0.5:
            stage = RenewalStage.IN_REVIEW  # looked at, but nobody has decided
        return DemoRenewalPlan(scenario, stage)
    if scenario == Scenario.IN_REVIEW:
        return DemoRenewalPlan(scenario, RenewalStage.IN_REVIEW)
    quote, notes = _quote(rng, cap)
    if scenario == Scenario.NEGOTIATING:
        return DemoRenewalPlan(scenario, RenewalStage.NEGOTIATING, quote_uplift_pct=quote, notes=notes)
    decisions = DECISION_WEIGHTS if scenario == Scenario.DECIDED else DECISION_WEIGHTS[:3]
    decision = _weighted(rng, decisions)
    if decision == RenewalDecision.CANCEL:
        return DemoRenewalPlan(scenario, RenewalStage.DECIDED, decision, notes=DECISION_NOTES[decision])
    agreed = min(quote, int(cap)) if cap is not None else quote  # a cap holds the vendor to it
    result = {
        RenewalDecision.RENEW: agreed,
        RenewalDecision.RENEGOTIATE: rng.randint(0, 2),
        RenewalDecision.DOWNSIZE: -rng.randint(10, 30),
    }[decision]
    return DemoRenewalPlan(
        scenario=scenario,
        stage=RenewalStage.CLOSED if scenario == Scenario.CLOSED else RenewalStage.DECIDED,
        decision=decision,
        quote_uplift_pct=quote,
        result_change_pct=result,
        close_price_uplift_pct=max(result, 0) if decision != RenewalDecision.DOWNSIZE else 0,
        close_quantity_pct=85 if decision == RenewalDecision.DOWNSIZE else 100,
        notes=" ".join(part for part in (notes, DECISION_NOTES[decision]) if part),
    )


def _quote(rng: random.Random, cap: Decimal | None) -> tuple[int, str]:
    """The vendor's uplift: half of the capped contracts are quoted above their cap."""
    if cap is None:
        return rng.randint(3, 12), ""
    if rng.random() < 0.5:
        quote = int(cap) + rng.randint(2, 6)
        return quote, f"Quoted {quote}% over this year, above the {cap}% uplift cap in the contract."
    return rng.randint(1, int(cap)), ""


def _weighted(rng: random.Random, weighted_choices):
    choices = [choice for choice, _weight in weighted_choices]
    weights = [weight for _choice, weight in weighted_choices]
    return rng.choices(choices, weights=weights)[0]


# --- Loading ----------------------------------------------------------------


class _References:
    """Primary keys of the rows the contracts point at, by lower-cased natural key."""

    def __init__(self):
        self.vendors = _pks(Vendor, "name")
        self.applications = _pks(Application, "name")
        self.departments = _pks(Department, "name")
        self.users = _pks(get_user_model(), "username")

    def pk(self, table: dict[str, int], key: str | None) -> int | None:
        return table.get(key.lower()) if key else None

    def application_pks(self, plan: DemoContract) -> list[int]:
        return [pk for name in plan.applications if (pk := self.pk(self.applications, name)) is not None]


def _pks(model: type[models.Model], field: str) -> dict[str, int]:
    return {str(key).lower(): pk for key, pk in model.objects.values_list(field, "pk")}


@transaction.atomic
def demo_contracts_load(*, contracts: Iterable[DemoContract], bulk: bool | None = None) -> dict[str, int]:
    """Insert the contracts whose number is missing (and whose vendor exists), with their line items and
    renewals, then move each new renewal to its planned stage. Returns how many rows of each were created.

    ``bulk`` None writes in bulk above BULK_LOAD_ABOVE new contracts; either way the stored values are
    those ``contract_save`` computes.
    """
    taken = {number.lower() for number in Contract.objects.values_list("number", flat=True)}
    refs = _References()
    new = [c for c in contracts if c.number.lower() not in taken and refs.pk(refs.vendors, c.vendor)]
    use_bulk = len(new) > BULK_LOAD_ABOVE if bulk is None else bulk
    saved = _contracts_bulk_create(new, refs) if use_bulk else _contracts_save(new, refs)
    user = get_user_model().objects.filter(username=PIPELINE_USERNAME).first()
    moving = [plan for plan in new if plan.renewal.stage != RenewalStage.UPCOMING]
    current = {
        renewal.contract_id: renewal
        for renewal in Renewal.objects.filter(contract__in=[saved[plan.number] for plan in moving])
    }
    for plan in moving:
        contract = saved[plan.number]
        _renewal_play(contract=contract, renewal=current[contract.pk], plan=plan.renewal, user=user)
    ids = [contract.pk for contract in saved.values()]
    _label_history(ids)
    contract_terms_changed.send(sender=Contract, contract_ids=set(ids))
    return {
        "contracts": len(ids),
        "line items": LineItem.objects.filter(contract_id__in=ids).count(),
        "renewals": Renewal.objects.filter(contract_id__in=ids).count(),
    }


def _contract_row(plan: DemoContract, refs: _References) -> Contract:
    return Contract(
        number=plan.number,
        title=plan.title,
        vendor_id=refs.pk(refs.vendors, plan.vendor),
        department_id=refs.pk(refs.departments, plan.department),
        owner_id=refs.pk(refs.users, plan.owner),
        status=ContractStatus.ACTIVE,
        start_date=plan.start_date,
        end_date=plan.end_date,
        billing_frequency=plan.billing_frequency,
        currency=plan.currency,
        auto_renew=plan.auto_renew,
        notice_days=plan.notice_days,
        renewal_term_months=plan.renewal_term_months,
    )


def _contracts_save(plans: Sequence[DemoContract], refs: _References) -> dict[str, Contract]:
    """Through the service, as a person's contract would be: validated, valued, with its renewal."""
    return {
        plan.number: contract_save(
            contract=_contract_row(plan, refs),
            line_items=[item.fields() for item in plan.line_items],
            applications=refs.application_pks(plan),
        )
        for plan in plans
    }


def _contracts_bulk_create(plans: Sequence[DemoContract], refs: _References) -> dict[str, Contract]:
    """What ``contract_save`` stores, in a few queries: cancel-by, the values from the pricing helpers, the
    reporting value at the rate in force on the start date, and the renewal of the current term end."""
    rates = FxRateBook({plan.currency for plan in plans})
    contracts, items = [], []
    for plan in plans:
        contract = _contract_row(plan, refs)
        lines = [LineItem(position=position, **item.fields()) for position, item in enumerate(plan.line_items)]
        contract.cancel_by = cancel_by_for(contract.end_date, contract.notice_days)
        contract.annual_value, contract.total_value, contract.annual_value_reporting = contract_stored_values(
            contract, lines, rate_on=rates.rate_on
        )
        contracts.append(contract)
        items.append(lines)
    _bulk_create(Contract, contracts)
    for contract, lines in zip(contracts, items, strict=True):
        for line in lines:
            line.contract = contract
    _bulk_create(LineItem, [line for lines in items for line in lines])
    links = [
        Contract.applications.through(contract_id=contract.pk, application_id=application_pk)
        for contract, plan in zip(contracts, plans, strict=True)
        for application_pk in refs.application_pks(plan)
    ]
    Contract.applications.through.objects.bulk_create(links, batch_size=BULK_BATCH_SIZE)
    _bulk_create(Renewal, [renewal_for_new_term(contract) for contract in contracts])
    return {contract.number: contract for contract in contracts}


def _bulk_create(model: type[models.Model], objs: list) -> None:
    bulk_create_with_history(objs, model, batch_size=BULK_BATCH_SIZE, default_change_reason=SEED_CHANGE_REASON)


def _renewal_play(*, contract: Contract, renewal: Renewal, plan: DemoRenewalPlan, user) -> None:
    """Move a new contract's renewal to its planned stage the way a person would, one step at a time."""
    baseline = renewal.baseline_annual
    renewal = renewal_update(renewal=renewal, user=user, stage=RenewalStage.IN_REVIEW)
    if plan.quote_uplift_pct is not None:
        quote = _changed_by(baseline, plan.quote_uplift_pct)
        renewal = renewal_update(
            renewal=renewal, user=user, stage=RenewalStage.NEGOTIATING, quote_annual=quote, notes=plan.notes
        )
    if plan.stage in (RenewalStage.DECIDED, RenewalStage.CLOSED):
        result = None if plan.result_change_pct is None else _changed_by(baseline, plan.result_change_pct)
        renewal = renewal_update(
            renewal=renewal,
            user=user,
            stage=RenewalStage.DECIDED,
            decision=plan.decision,
            negotiated_annual=result,
            notes=plan.notes,
        )
    if plan.stage == RenewalStage.CLOSED:
        items = list(contract.line_items.all())
        renewal_close(
            renewal=renewal,
            user=user,
            new_unit_prices={
                item.pk: _changed_by(item.unit_price, plan.close_price_uplift_pct, PRICE_PLACES)
                for item in items
                if item.pricing_model != PricingModel.TIERED
            },
            new_quantities={
                item.pk: _nice_quantity(float(item.quantity) * plan.close_quantity_pct / 100, 1)
                for item in items
                if item.pricing_model == PricingModel.PER_SEAT
            },
        )


def _changed_by(amount: Decimal, percent: int, places: Decimal = CENT) -> Decimal:
    """``amount`` raised (or cut) by ``percent`` per cent."""
    if places == CENT:
        return round_money(amount * (100 + percent) / 100)
    return (amount * (100 + percent) / 100).quantize(places)


def _label_history(contract_ids: list[int]) -> None:
    """Say in each seeded row's history where it came from (bulk rows already do)."""
    for history, lookup in (
        (Contract.history, "id__in"),
        (LineItem.history, "contract_id__in"),
        (Renewal.history, "contract_id__in"),
    ):
        unlabelled = history.filter(**{lookup: contract_ids}, history_change_reason__isnull=True)
        unlabelled.filter(history_type="+").update(history_change_reason=SEED_CHANGE_REASON)
        unlabelled.filter(history_type="~").update(history_change_reason=PIPELINE_CHANGE_REASON)
