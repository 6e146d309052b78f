"""Every write of contracts and renewals."""

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from renewals.choices import ContractStatus, RenewalDecision, RenewalStage
from renewals.models import CalendarFeed, Contract, ContractDocument, LineItem, Renewal
from renewals.pricing import contract_values
from renewals.signals import contract_terms_changed, renewal_closed
from saasmgr.core.choices import BillingPeriod
from saasmgr.core.money import MissingFxRate, convert
from saasmgr.core.selectors import fx_rate_on


class RenewalError(ValueError):
    """A renewal change that is not allowed; the message says why."""


# Where each stage may move to. Closing is its own service (renewal_close).
STAGE_MOVES = {
    RenewalStage.UPCOMING: {RenewalStage.IN_REVIEW, RenewalStage.NEGOTIATING, RenewalStage.DECIDED},
    RenewalStage.IN_REVIEW: {RenewalStage.UPCOMING, RenewalStage.NEGOTIATING, RenewalStage.DECIDED},
    RenewalStage.NEGOTIATING: {RenewalStage.IN_REVIEW, RenewalStage.DECIDED},
    RenewalStage.DECIDED: {RenewalStage.NEGOTIATING},
    RenewalStage.CLOSED: set(),
}


def contract_stored_values(contract: Contract, items, *, rate_on=fx_rate_on) -> tuple[Decimal, Decimal, Decimal | None]:
    """What a contract stores: (annual value, total contract value, annual value in the reporting currency at
    the rate in force on the term's start date, or None when no rate is known). ``rate_on`` may be a
    FxRateBook's, for callers that value many contracts."""
    annual, total = contract_values(items, term_months=contract.term_months)
    try:
        reporting = convert(annual, rate_on(contract.currency, contract.start_date))
    except MissingFxRate:
        reporting = None
    return annual, total, reporting


def contract_refresh_values(*, contract: Contract) -> Contract:
    """Recompute and store the contract's values from its line items and the FX rates."""
    annual, total, reporting = contract_stored_values(contract, contract.line_items.all())
    Contract.objects.filter(pk=contract.pk).update(
        annual_value=annual, total_value=total, annual_value_reporting=reporting
    )
    contract.annual_value, contract.total_value, contract.annual_value_reporting = annual, total, reporting
    contract_terms_changed.send(sender=Contract, contract_ids={contract.pk})
    return contract


def renewal_for_new_term(contract: Contract) -> Renewal:
    """The (unsaved) renewal of a contract's current term, as renewal_ensure creates it."""
    return Renewal(
        contract=contract,
        term_start=contract.start_date,
        term_end=contract.end_date,
        cancel_by=contract.cancel_by,
        owner_id=contract.owner_id,
        baseline_annual=contract.annual_value,
    )


def contracts_refresh_currency(*, currencies: set[str]) -> int:
    count = 0
    for contract in Contract.objects.filter(currency__in=currencies).prefetch_related("line_items"):
        contract_refresh_values(contract=contract)
        count += 1
    return count


@transaction.atomic
def contract_save(*, contract: Contract, line_items: list[dict] | None = None, applications=None) -> Contract:
    """Save a contract with its line items (replacing them when given), refresh its values and make sure
    its current term end has a renewal."""
    contract.full_clean(exclude=["cancel_by"])
    contract.save()
    if applications is not None:
        contract.applications.set(applications)
    if line_items is not None:
        line_items_replace(contract=contract, line_items=line_items)
    contract_refresh_values(contract=contract)
    renewal_ensure(contract=contract)
    return contract


def line_items_replace(*, contract: Contract, line_items: list[dict]) -> None:
    """Make the contract's line items exactly ``line_items`` (matched by SKU), keeping ids of the same SKU."""
    existing = {item.sku: item for item in contract.line_items.all()}
    keep = set()
    for position, data in enumerate(line_items):
        item = existing.get(data["sku"]) or LineItem(contract=contract, sku=data["sku"])
        for field, value in data.items():
            setattr(item, field, value)
        item.position = position
        item.full_clean(exclude=["contract"])
        item.save()
        keep.add(item.pk)
    contract.line_items.exclude(pk__in=keep).delete()


def renewal_ensure(*, contract: Contract) -> Renewal | None:
    """An active contract's current term has exactly one renewal that is not closed, dated like the term.

    When the term's end date is edited, that renewal follows it instead of a second one appearing.
    """
    if contract.status != ContractStatus.ACTIVE:
        return None
    renewal = (
        Renewal.objects.filter(contract=contract, term_end=contract.end_date).first()
        or Renewal.objects.filter(contract=contract, term_start=contract.start_date)
        .exclude(stage=RenewalStage.CLOSED)
        .order_by("-term_end")
        .first()
    )
    if renewal is None:
        renewal = renewal_for_new_term(contract)
        renewal.save()
        return renewal
    if renewal.stage == RenewalStage.CLOSED:
        return renewal
    wanted = {"term_start": contract.start_date, "term_end": contract.end_date, "cancel_by": contract.cancel_by}
    if renewal.is_open:
        wanted["baseline_annual"] = contract.annual_value
    changed = [field for field, value in wanted.items() if getattr(renewal, field) != value]
    if changed:
        for field in changed:
            setattr(renewal, field, wanted[field])
        renewal.save(update_fields=[*changed, "updated_at"])
    return renewal


@transaction.atomic
def renewal_update(
    *,
    renewal: Renewal,
    user,
    stage: str | None = None,
    decision: str | None = None,
    **fields,
) -> Renewal:
    """Change a renewal's stage, decision, owner, quote, result or notes, refusing illegal moves."""
    renewal = Renewal.objects.select_for_update().get(pk=renewal.pk)
    if renewal.stage == RenewalStage.CLOSED:
        raise RenewalError("This renewal is closed; it can no longer change.")
    if decision is not None:
        renewal.decision = decision
    for field, value in fields.items():
        setattr(renewal, field, value)
    if stage is not None and stage != renewal.stage:
        if stage == RenewalStage.CLOSED:
            raise RenewalError("Close a renewal with its outcome (the Close action), not by moving its stage.")
        if stage not in STAGE_MOVES[renewal.stage]:
            raise RenewalError(
                f"A renewal cannot move from {RenewalStage(renewal.stage).label} to {RenewalStage(stage).label}."
            )
        renewal.stage = stage
    if renewal.stage == RenewalStage.DECIDED:
        if not renewal.decision:
            raise RenewalError("Choose a decision (renew, renegotiate, downsize or cancel) before marking it decided.")
        renewal.decided_at = renewal.decided_at or timezone.now()
    else:
        renewal.decided_at = None
    renewal.save()
    return renewal


@dataclass(frozen=True)
class RenewalOutcome:
    renewal: Renewal
    renewed: bool
    baseline_annual: Decimal
    quote_annual: Decimal | None
    final_annual: Decimal


@transaction.atomic
def renewal_close(
    *,
    renewal: Renewal,
    user,
    new_unit_prices: dict[int, Decimal] | None = None,
    new_quantities: dict[int, Decimal] | None = None,
    new_end_date: date | None = None,
) -> RenewalOutcome:
    """Close a decided renewal. A cancel ends the contract; any other decision starts the next term with the
    line items at their new prices, and the next term gets its own renewal. Sends ``renewal_closed``."""
    renewal = Renewal.objects.select_for_update().select_related("contract").get(pk=renewal.pk)
    if renewal.stage != RenewalStage.DECIDED:
        raise RenewalError("Only a decided renewal can be closed; record the decision first.")
    contract = renewal.contract
    renewed = renewal.decision != RenewalDecision.CANCEL
    if renewed:
        contract_start_next_term(
            contract=contract,
            new_end_date=new_end_date,
            new_unit_prices=new_unit_prices or {},
            new_quantities=new_quantities or {},
        )
        final = contract.annual_value
    else:
        contract.status = ContractStatus.CANCELLED
        contract.save(update_fields=["status", "updated_at"])
        contract_terms_changed.send(sender=Contract, contract_ids={contract.pk})
        final = Decimal("0")
    renewal.negotiated_annual = final
    renewal.stage = RenewalStage.CLOSED
    renewal.closed_at = timezone.now()
    renewal.closed_by = user
    renewal.save()
    outcome = RenewalOutcome(renewal, renewed, renewal.baseline_annual, renewal.quote_annual, final)
    transaction.on_commit(lambda: renewal_closed.send(sender=Renewal, outcome=outcome, user=user))
    return outcome


def contract_start_next_term(
    *, contract: Contract, new_end_date: date | None, new_unit_prices: dict, new_quantities: dict
) -> Contract:
    new_start = contract.end_date + timedelta(days=1)
    new_end = new_end_date or (new_start + relativedelta(months=contract.renewal_term_months) - timedelta(days=1))
    if new_end <= new_start:
        raise RenewalError("The new end date must be after the new term's start.")
    # One-time charges (set-up, implementation) belong to the term that ended.
    contract.line_items.filter(billing_period=BillingPeriod.ONE_TIME).delete()
    for item in contract.line_items.all():
        if item.pk in new_unit_prices:
            item.unit_price = new_unit_prices[item.pk]
        if item.pk in new_quantities:
            item.quantity = new_quantities[item.pk]
        item.full_clean(exclude=["contract"])
        item.save()
    contract.start_date, contract.end_date = new_start, new_end
    contract.save()
    contract_refresh_values(contract=contract)
    renewal_ensure(contract=contract)
    return contract


def contract_document_add(*, contract: Contract, upload, name: str, user) -> ContractDocument:
    """Store an uploaded document with its contract (through the default storage, never under a public URL)."""
    document = ContractDocument(contract=contract, name=name[:255], uploaded_by=user)
    document.file.save(upload.name, upload, save=False)
    document.save()
    return document


def calendar_feed_ensure(*, user) -> CalendarFeed:
    """The user's calendar feed, created with a fresh secret on first use."""
    feed, _ = CalendarFeed.objects.get_or_create(user=user, defaults={"secret": secrets.token_urlsafe(32)})
    return feed


@transaction.atomic
def calendar_feed_rotate(*, user) -> CalendarFeed:
    """Give the user's feed a new secret; every address with the old one stops working at once."""
    feed = calendar_feed_ensure(user=user)
    feed.secret = secrets.token_urlsafe(32)
    feed.save(update_fields=["secret", "updated_at"])
    return feed
