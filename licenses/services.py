"""Writes of license pools and assignments.

A per-seat line item owns its pool: the pool's purchased quantity and annual unit cost
follow the line item whenever the contract's terms change (renewals sends
``contract_terms_changed``). A pool can also be entered by hand for an application that
has no contract yet.
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from rapidfuzz import fuzz, process
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from licenses.models import Assignment, LicensePool
from renewals.choices import ContractStatus, PricingModel
from renewals.models import Contract, LineItem
from saasmgr.core.money import MissingFxRate, annualise, round_unit_amount
from saasmgr.core.selectors import FxRateBook, fx_rate_on
from saasmgr.inventory.names import normalise_name

# Contracts in these states pay for no seats, so their pools hold none.
ENDED = (ContractStatus.CANCELLED, ContractStatus.EXPIRED)
POOL_SYNCED_FIELDS = ["purchased_quantity", "currency", "annual_unit_cost", "annual_unit_cost_reporting"]


def annual_unit_cost_of(item: LineItem, contract: Contract) -> Decimal:
    """A seat's cost per 12 months: the unit price annualised by its billing period."""
    return round_unit_amount(annualise(item.unit_price, item.billing_period, term_months=contract.term_months))


def reporting_unit_cost(amount: Decimal | None, currency: str, on_date: date, *, rate_on=fx_rate_on) -> Decimal | None:
    """``amount`` in the reporting currency at the rate in force on ``on_date``; None when no rate is known."""
    if amount is None:
        return None
    try:
        return round_unit_amount(amount * rate_on(currency, on_date))
    except MissingFxRate:
        return None


def pool_application_id(item: LineItem, application_ids: list[tuple[int, str]]) -> int | None:
    """The application a line item's seats are for: the contract's only application, else the one whose
    name best matches the SKU or description (a bundle contract lists several)."""
    if not application_ids:
        return None
    if len(application_ids) == 1:
        return application_ids[0][0]
    names = {normalise_name(name): pk for pk, name in application_ids}
    text = normalise_name(f"{item.sku} {item.description}")
    best = process.extractOne(text, list(names), scorer=fuzz.partial_ratio)
    return names[best[0]] if best else application_ids[0][0]


@transaction.atomic
def license_pools_sync(*, contract_ids: Iterable[int]) -> dict[str, int]:
    """Create or update the pool of every per-seat line item of these contracts, in a few queries.

    A pool of an ended contract, or whose line item stopped being per-seat, keeps its history and
    assignments but holds no purchased seats. Returns {"created": n, "updated": n}.
    """
    contract_ids = set(contract_ids)
    if not contract_ids:
        return {"created": 0, "updated": 0}
    contracts = Contract.objects.in_bulk(contract_ids)
    apps_of: dict[int, list[tuple[int, str]]] = {}
    for contract_id, app_id, app_name in Contract.applications.through.objects.filter(
        contract_id__in=contract_ids
    ).values_list("contract_id", "application_id", "application__name"):
        apps_of.setdefault(contract_id, []).append((app_id, app_name))
    items = list(LineItem.objects.filter(contract_id__in=contract_ids))
    pools = {pool.line_item_id: pool for pool in LicensePool.objects.filter(line_item__in=items)}
    rates = FxRateBook({contract.currency for contract in contracts.values()})
    app_ids = {app_id for apps in apps_of.values() for app_id, _ in apps}
    existing = list(LicensePool.objects.filter(application_id__in=app_ids))
    taken = {(pool.application_id, pool.name) for pool in existing}
    # A pool of the same name entered by hand (or from assignment data) before the contract: the line item
    # takes it over, with its assignments.
    unlinked = {(pool.application_id, pool.name): pool for pool in existing if pool.line_item_id is None}
    created, changed = [], []
    for item in items:
        contract = contracts[item.contract_id]
        pool = pools.get(item.pk)
        if item.pricing_model != PricingModel.PER_SEAT:
            if pool is not None and pool.purchased_quantity:
                pool.purchased_quantity = 0
                changed.append(pool)
            continue
        values = _pool_values(item, contract, rates)
        if pool is None:
            application_id = pool_application_id(item, apps_of.get(contract.pk, []))
            if application_id is None:
                continue  # no application to hold the seats; the contract form asks for one
            pool = _pool_for_new_item(application_id, item.sku, contract, taken, unlinked)
            pool.line_item = item
            for field, value in values.items():
                setattr(pool, field, value)
            (changed if pool.pk else created).append(pool)
        elif any(getattr(pool, field) != value for field, value in values.items()):
            for field, value in values.items():
                setattr(pool, field, value)
            changed.append(pool)
    if created:
        bulk_create_with_history(created, LicensePool)
    if changed:
        now = timezone.now()
        for pool in changed:
            pool.updated_at = now
        bulk_update_with_history(changed, LicensePool, [*POOL_SYNCED_FIELDS, "line_item", "updated_at"])
    return {"created": len(created), "updated": len(changed)}


def _pool_values(item: LineItem, contract: Contract, rates: FxRateBook) -> dict:
    ended = contract.status in ENDED
    unit_cost = annual_unit_cost_of(item, contract)
    return {
        "purchased_quantity": 0 if ended else int(item.quantity),
        "currency": contract.currency,
        "annual_unit_cost": unit_cost,
        "annual_unit_cost_reporting": reporting_unit_cost(
            unit_cost, contract.currency, contract.start_date, rate_on=rates.rate_on
        ),
    }


def _pool_for_new_item(application_id: int, sku: str, contract: Contract, taken: set, unlinked: dict) -> LicensePool:
    """The pool a new per-seat line item takes: an unlinked pool of its name (entered by hand or from assignment
    data before the contract), else a new one named after the SKU, or "SKU (contract number)" when another
    contract of the application has that SKU already."""
    names = [sku, f"{sku} ({contract.number})"[:200]]
    names.extend(f"{names[1][:190]} #{n}" for n in range(2, 100))
    for name in names:
        if (application_id, name) in unlinked:
            return unlinked.pop((application_id, name))
        if (application_id, name) not in taken:
            taken.add((application_id, name))
            return LicensePool(application_id=application_id, name=name)
    raise ValueError(f"Too many pools named {sku!r} for one application.")


@transaction.atomic
def license_pool_save(*, pool: LicensePool) -> LicensePool:
    """Save a pool entered by hand; its reporting cost uses today's rate (a contract's pool uses the term start)."""
    pool.full_clean()
    if pool.line_item_id is None:
        pool.annual_unit_cost_reporting = reporting_unit_cost(pool.annual_unit_cost, pool.currency, date.today())
    pool.save()
    return pool


def license_pools_refresh_currency(*, currencies: set[str]) -> int:
    """Recompute the reporting unit cost of the hand-entered pools in these currencies after FX rates
    changed (a contract's pools follow its own refresh, through ``contract_terms_changed``)."""
    changed = 0
    for pool in LicensePool.objects.filter(currency__in=currencies, line_item__isnull=True):
        cost = reporting_unit_cost(pool.annual_unit_cost, pool.currency, date.today())
        if cost != pool.annual_unit_cost_reporting:
            changed += LicensePool.objects.filter(pk=pool.pk).update(annual_unit_cost_reporting=cost)
    return changed


@transaction.atomic
def assignment_end(*, assignments: Iterable[Assignment], on: date) -> int:
    """End these assignments on ``on`` (a reclaim); ended ones stay ended. Returns how many ended."""
    ids = [assignment.pk for assignment in assignments]
    ending = Assignment.objects.filter(pk__in=ids, unassigned_on__isnull=True)
    count = 0
    for assignment in ending:
        assignment.unassigned_on = max(on, assignment.assigned_on) if assignment.assigned_on else on
        assignment.save(update_fields=["unassigned_on", "updated_at"])
        count += 1
    return count
