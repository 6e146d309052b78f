"""What a person does to save money, each as one service that does the work and writes the win.

Every action here works out its amounts with ``savings.formulas``, changes what it acts on (assignments,
pools, line items, renewals, applications) and records itself through ``savings_action_record``, all in
one transaction: an action that is refused writes nothing at all.

Rules that keep the ledger from counting a saving twice:

- Reclaiming "now" lowers a contract pool's line item, so the contract's annual value (and the baseline of
  its open renewal) drops with it; the renewal outcome then starts from the lower baseline.
- Reclaiming "at renewal" leaves this term alone and writes the saving from the next term's first day. Its
  plan (the line item's quantity for the next term) is kept on the action, shown on the renewal, and carried
  out when the renewal closes with that line's quantity left as it was; a closer who types another quantity
  overrides it.
- A saving written before a renewal closes, for money that renewal's baseline still holds (a reclaim at
  renewal, a cancel or consolidation of the contract, a reclaim after the renewal was decided) is
  *pre-booked* on that renewal (``details["prebooked"]``). The renewal outcome writes only the cost savings
  beyond it: max(0, max(0, B − F) − pre-booked). A pre-booked win whose ledger entry was reversed no
  longer counts.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from licenses.choices import AssignmentSource
from licenses.models import Assignment, LicensePool
from licenses.services import assignment_end, license_pool_save
from renewals.choices import ContractStatus, PricingModel, RenewalDecision, RenewalStage
from renewals.models import Contract, LineItem, Renewal
from renewals.services import contract_refresh_values, renewal_ensure, renewal_update
from saasmgr.core.money import MoneyError, round_money, round_unit_amount
from saasmgr.core.selectors import fx_rate_on
from saasmgr.inventory.choices import ApplicationStatus
from saasmgr.inventory.models import Application
from savings.choices import (
    ACTIVE_STATUSES,
    ActionKind,
    LedgerKind,
    OpportunityKind,
    OpportunityStatus,
    Recurrence,
    ReduceWhen,
)
from savings.formulas import priority, reclaim_annual_savings, renewal_outcome_savings
from savings.models import LedgerEntry, Opportunity, SavingsAction
from savings.opportunities import pool_label, seat_opportunity_title
from savings.services import EntrySpec, SavingsError, opportunity_mark_done, savings_action_record, team_of

ZERO = Decimal("0.00")
CHANGE_REASON = "Savings Center action"
# Opportunities a closed renewal settles, by the key the refresh gives them.
RENEWAL_OPPORTUNITY_KINDS = (OpportunityKind.RIGHT_SIZE, OpportunityKind.RENEGOTIATE)


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def _quantity(value: Decimal) -> str:
    """A line item quantity as a person writes it: 7, not 7.00; 12.5 stays 12.5."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# Reclaim


@transaction.atomic
def seats_reclaim(
    *,
    pool: LicensePool,
    assignments: Iterable,
    reduce_when: str,
    user,
    opportunity: Opportunity | None = None,
    effective_date: date | None = None,
    credited_user=None,
    credited_team=None,
    unassigned_seats: int = 0,
) -> SavingsAction:
    """End the picked seats of a pool and buy that many fewer: now, or from the next term.

    ``assignments`` (instances or ids) must be live seats of ``pool``; ``unassigned_seats`` adds seats
    nobody holds. Saving: N × annual unit cost, annual recurring, in the pool's currency, effective on
    ``effective_date`` (default today) for "now" and on the next term's first day for "at renewal". The
    seats end on ``effective_date`` either way. An opportunity is done when every seat it names is
    reclaimed, else it stays in progress with what is left.
    """
    pool = (
        LicensePool.objects.select_for_update(of=("self",)).select_related("application", "line_item").get(pk=pool.pk)
    )
    if reduce_when not in ReduceWhen.values:
        raise SavingsError(f"{reduce_when!r} is not a choice; reduce the seats {' or '.join(ReduceWhen.values)}.")
    unit_cost = _unit_cost_of(pool)
    live = _live_assignments(pool, assignments)
    if unassigned_seats < 0:
        raise SavingsError("The number of unassigned seats to cut cannot be negative.")
    seats = len(live) + unassigned_seats
    if seats == 0:
        raise SavingsError("Pick at least one holder whose seat to reclaim.")
    purchased = _purchased_of(pool)
    # Seats a plan already takes off the next term are spoken for: they cannot be reclaimed again.
    planned = _planned_off(pool.line_item) if pool.line_item else 0
    if seats > purchased - planned:
        spoken = f" ({planned} already planned off the next term)" if planned else ""
        raise SavingsError(f"{pool} has {_plural(purchased, 'seat')} bought{spoken}; {seats} cannot be reclaimed.")
    free = purchased - planned - Assignment.objects.filter(pool=pool, unassigned_on__isnull=True).count()
    if unassigned_seats > max(free, 0):
        raise SavingsError(f"{pool} has {max(free, 0)} unassigned seat(s), not {unassigned_seats}.")
    opportunity = _opportunity_to_act_on(opportunity, pool=pool)
    on = effective_date or timezone.localdate()
    contract = Contract.objects.select_for_update().get(pk=pool.line_item.contract_id) if pool.line_item else None
    _refuse_if_stopping(contract)
    savings = reclaim_annual_savings(seats, unit_cost)
    details = {"assignment_ids": [a.pk for a in live], "unassigned_seats": unassigned_seats}
    renewal = None
    if reduce_when == ReduceWhen.AT_RENEWAL:
        renewal = _renewal_to_plan_on(pool, contract)
        effective = contract.end_date + timedelta(days=1)
        details["plan"] = _plan_add(pool=pool, renewal=renewal, seats=seats, user=user)
        details["prebooked"] = {str(renewal.pk): str(savings)}
    else:
        effective = on
        details.update(_purchased_reduce(pool=pool, contract=contract, seats=seats))
    assignment_end(assignments=live, on=on)
    done = opportunity is None or opportunity.quantity is None or seats >= opportunity.quantity
    action = savings_action_record(
        kind=ActionKind.RECLAIM,
        user=user,
        description=f"Reclaimed {_plural(seats, 'seat')} of {pool}"
        + (" from the next term" if reduce_when == ReduceWhen.AT_RENEWAL else ""),
        currency=pool.currency,
        effective_date=effective,
        entries=[EntrySpec(LedgerKind.COST_SAVINGS, Recurrence.ANNUAL, savings)],
        credited_user=credited_user,
        credited_team=credited_team,
        application=pool.application,
        contract=contract,
        renewal=renewal,
        pool=pool,
        opportunity=opportunity,
        opportunity_done=done,
        baseline_annual=reclaim_annual_savings(purchased, unit_cost),
        new_annual=reclaim_annual_savings(purchased - seats, unit_cost),
        quantity=seats,
        reduce_when=reduce_when,
        details=details,
    )
    if not done:
        _opportunity_reduce(opportunity, seats=seats, assignment_ids=details["assignment_ids"])
    return action


def _unit_cost_of(pool: LicensePool, *, free_allowed: bool = False) -> Decimal:
    where = "its contract's line item" if pool.line_item_id else "the license pool"
    if pool.annual_unit_cost is None:
        raise SavingsError(
            f"{pool} has no annual unit cost, so its seats cannot be priced. Set the price first (on {where})."
        )
    if pool.annual_unit_cost <= 0 and not free_allowed:
        raise SavingsError(
            f"A seat of {pool} costs nothing, so taking it back saves nothing. Check the price on {where}."
        )
    return pool.annual_unit_cost


def _purchased_of(pool: LicensePool) -> int:
    if pool.purchased_quantity is None:
        raise SavingsError(
            f"The number of seats bought of {pool} is not known. Set its purchased quantity first, "
            "so that the seats taken back can be counted against it."
        )
    return pool.purchased_quantity


def _ids_of(items: Iterable) -> list[int]:
    ids = []
    for item in items:
        pk = getattr(item, "pk", item)
        if pk not in ids:
            ids.append(pk)
    return ids


def _live_assignments(pool: LicensePool, assignments: Iterable) -> list[Assignment]:
    """The picked assignments, each a live seat of ``pool``; otherwise a message naming the ones that are not."""
    ids = _ids_of(assignments)
    found = {
        a.pk: a
        for a in Assignment.objects.select_for_update(of=("self",)).select_related("person", "pool").filter(pk__in=ids)
    }
    problems = []
    for pk in ids:
        assignment = found.get(pk)
        if assignment is None:
            problems.append(f"#{pk} does not exist")
        elif assignment.pool_id != pool.pk:
            problems.append(f"{_holder(assignment)} holds a seat of {assignment.pool}, not of {pool}")
        elif assignment.unassigned_on is not None:
            problems.append(f"the seat of {_holder(assignment)} already ended on {assignment.unassigned_on}")
    if problems:
        raise SavingsError("These are not live seats of this pool: " + "; ".join(problems) + ".")
    return [found[pk] for pk in ids]


def _holder(assignment: Assignment) -> str:
    return assignment.person.name if assignment.person_id else assignment.account


def _opportunity_to_act_on(opportunity: Opportunity | None, *, pool=None) -> Opportunity | None:
    if opportunity is None:
        return None
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    if opportunity.status not in ACTIVE_STATUSES | {OpportunityStatus.DISMISSED}:
        raise SavingsError(
            f"The opportunity “{opportunity}” is {opportunity.get_status_display().lower()}: there is nothing "
            "left to act on. Record the win without it."
        )
    if pool is not None and opportunity.pool_id not in (None, pool.pk):
        raise SavingsError(f"The opportunity “{opportunity}” is about {opportunity.pool}, not {pool}.")
    return opportunity


def _opportunity_reduce(opportunity: Opportunity, *, seats: int, assignment_ids: list[int]) -> None:
    """A partial reclaim: the opportunity stays in progress with the seats, and their value, still to reclaim."""
    left = opportunity.quantity - seats
    share = Decimal(left) / Decimal(opportunity.quantity)
    opportunity.quantity = left
    if opportunity.estimated_annual_savings_local is not None:
        opportunity.estimated_annual_savings_local = round_money(opportunity.estimated_annual_savings_local * share)
    if opportunity.estimated_annual_savings is not None:
        opportunity.estimated_annual_savings = round_money(opportunity.estimated_annual_savings * share)
    opportunity.priority = priority(
        opportunity.estimated_annual_savings,
        deadline=opportunity.deadline,
        today=timezone.localdate(),
        horizon_days=settings.SAVINGS_PRIORITY_HORIZON_DAYS,
    )
    opportunity.status = OpportunityStatus.IN_PROGRESS
    if opportunity.pool is not None:
        label = pool_label(opportunity.pool.application.name, opportunity.pool.name)
        opportunity.title = seat_opportunity_title(opportunity.kind, left, label)
    opportunity.evidence = {
        **opportunity.evidence,
        "summary": f"{seats} of its seats reclaimed; {left} left to act on. {opportunity.evidence.get('summary', '')}",
    }
    opportunity.save(
        update_fields=[
            "title",
            "evidence",
            "quantity",
            "estimated_annual_savings_local",
            "estimated_annual_savings",
            "priority",
            "status",
            "updated_at",
        ]
    )
    opportunity.findings.remove(*opportunity.findings.filter(assignment_id__in=assignment_ids))


def _purchased_reduce(*, pool: LicensePool, contract: Contract | None, seats: int) -> dict:
    """Buy ``seats`` fewer now: through the line item of a contract's pool (its pool follows it), directly on a
    pool entered by hand. Returns what the action records of it."""
    if contract is None:
        pool.purchased_quantity -= seats
        license_pool_save(pool=pool)
        return {}
    item = pool.line_item
    prebooked = _line_items_requantify(contract=contract, quantities={item.pk: item.quantity - seats})
    _plans_shift(item=item, seats=seats)
    return {"prebooked": prebooked} if prebooked else {}


def _line_items_requantify(*, contract: Contract, quantities: dict[int, Decimal]) -> dict[str, str]:
    """Set line item quantities of a contract mid-term through the renewals services, so that its values, its
    pools (``contract_terms_changed``) and its open renewal's baseline follow.

    A renewal already decided keeps its baseline; the change in annual value is then pre-booked on it, so
    that its outcome does not count it again. Returns {renewal id: amount} of what to pre-book.
    """
    before = contract.annual_value
    for item in LineItem.objects.filter(contract=contract, pk__in=quantities):
        item.quantity = Decimal(quantities[item.pk])
        item.full_clean(exclude=["contract"])
        item._change_reason = CHANGE_REASON
        item.save()
    contract_refresh_values(contract=contract)
    renewal = renewal_ensure(contract=contract)
    change = round_money(before - contract.annual_value)
    if renewal is None or renewal.is_open or change == 0:
        return {}
    return {str(renewal.pk): str(change)}


def _renewal_to_plan_on(pool: LicensePool, contract: Contract | None) -> Renewal:
    if contract is None:
        raise SavingsError(
            f"{pool} was entered by hand and has no contract, so it has no renewal: reduce its seats now instead."
        )
    renewal = _open_renewal(contract)
    if renewal is None:
        raise SavingsError(
            f"Contract {contract.number} has no open renewal (it is {contract.get_status_display().lower()}): "
            "reduce the seats now instead."
        )
    return renewal


def _open_renewal(contract: Contract) -> Renewal | None:
    """The renewal of the contract's current term, unless it is closed."""
    if contract.status != ContractStatus.ACTIVE:
        return None
    return (
        Renewal.objects.select_for_update()
        .filter(contract=contract, term_end=contract.end_date)
        .exclude(stage=RenewalStage.CLOSED)
        .first()
    )


# Plans: the quantity of a line item for the next term, decided by a reclaim at renewal.


def _pending_plans(*, item_id: int) -> list[SavingsAction]:
    """The reclaims at renewal still to be carried out on a line item (their renewal not closed), oldest first;
    a plan whose win was reversed is dropped."""
    actions = (
        SavingsAction.objects.filter(kind=ActionKind.RECLAIM, reduce_when=ReduceWhen.AT_RENEWAL, renewal__isnull=False)
        .exclude(renewal__stage=RenewalStage.CLOSED)
        .order_by("pk")
    )
    return [
        action
        for action in actions
        if action.details.get("plan", {}).get("line_item_id") == item_id
        and not action.details["plan"]["applied"]
        and _still_counts(action)
    ]


def _planned_off(item: LineItem) -> int:
    """Seats of a line item that plans already take off its next term."""
    return sum(action.details["plan"]["seats"] for action in _pending_plans(item_id=item.pk))


def _plan_add(*, pool: LicensePool, renewal: Renewal, seats: int, user) -> dict:
    """Plan the next term's quantity of the pool's line item: today's, less these seats and those of earlier
    plans; shown on the renewal, where the person closing it sees it."""
    item = pool.line_item
    to_quantity = item.quantity - _planned_off(item) - seats
    plan = {
        "line_item_id": item.pk,
        "sku": item.sku,
        "seats": seats,
        "from_quantity": str(item.quantity),
        "to_quantity": str(to_quantity),
        "applied": False,
    }
    line = (
        f"Reclaimed {_plural(seats, 'seat')} of {item.sku} at renewal: buy {_quantity(to_quantity)} next term "
        f"instead of {_quantity(item.quantity)} (applied when the renewal closes with that quantity left unchanged)."
    )
    fields = {"recommendation": f"{renewal.recommendation}\n{line}".strip()}
    # The recommended quantity is one number: it can only stand for the contract's one per-seat line.
    if renewal.contract.line_items.filter(pricing_model=PricingModel.PER_SEAT).count() == 1:
        fields["recommended_quantity"] = to_quantity
    renewal_update(renewal=renewal, user=user, **fields)
    return plan


def _plans_shift(*, item: LineItem, seats: int) -> None:
    """Seats taken off a line item now (added, when negative) move the quantity the plans for its next term
    start from, so that closing with the quantity left unchanged still carries them out."""
    for action in _pending_plans(item_id=item.pk):
        plan = action.details["plan"]
        plan["from_quantity"] = str(Decimal(plan["from_quantity"]) - seats)
        plan["to_quantity"] = str(max(Decimal(plan["to_quantity"]) - seats, Decimal(0)))
        action.save(update_fields=["details", "updated_at"])


def _plans_apply(*, renewal: Renewal, contract: Contract) -> list[dict]:
    """Carry out the plans made for a renewal that just closed and renewed: a line item whose quantity the
    closer left as it was buys its planned seats fewer. A plan whose win was reversed is dropped."""
    by_item: dict[int, list[SavingsAction]] = {}
    for action in SavingsAction.objects.filter(
        kind=ActionKind.RECLAIM, reduce_when=ReduceWhen.AT_RENEWAL, renewal=renewal
    ).order_by("pk"):
        plan = action.details.get("plan")
        if plan and not plan["applied"] and _still_counts(action):
            by_item.setdefault(plan["line_item_id"], []).append(action)
    changes, applied = {}, []
    for item_id, actions in by_item.items():
        item = LineItem.objects.filter(pk=item_id, contract=contract).first()
        left_as_it_was = Decimal(actions[-1].details["plan"]["from_quantity"])
        if item is not None and item.quantity == left_as_it_was:
            seats = sum(action.details["plan"]["seats"] for action in actions)
            changes[item.pk] = max(item.quantity - seats, Decimal(0))
        for action in actions:
            action.details["plan"]["applied"] = item_id in changes
            action.save(update_fields=["details", "updated_at"])
            applied.append({"action_id": action.pk, "line_item_id": item_id, "applied": item_id in changes})
    if changes:
        _line_items_requantify(contract=contract, quantities=changes)
    return applied


def _recorded_stop(renewal: Renewal | None) -> SavingsAction | None:
    """The cancel or consolidation already written for the contract of this open renewal, unless reversed."""
    if renewal is None:
        return None
    stops = SavingsAction.objects.filter(
        details__prebooked__has_key=str(renewal.pk), kind__in=[ActionKind.CANCEL_APP, ActionKind.CONSOLIDATE]
    )
    return next((action for action in stops.order_by("pk") if _still_counts(action)), None)


def _refuse_if_stopping(contract: Contract | None) -> None:
    stop = _recorded_stop(_open_renewal(contract)) if contract is not None else None
    if stop is not None:
        raise SavingsError(
            f"Contract {contract.number} is already recorded as stopping (action #{stop.pk}, “{stop}”): its seats "
            "are in that win. Reverse it first to record this one."
        )


def _still_counts(action: SavingsAction) -> bool:
    """The action's cost savings have not been reversed away."""
    return (
        LedgerEntry.objects.filter(action=action, kind=LedgerKind.COST_SAVINGS).aggregate(net=Sum("amount"))["net"]
        or ZERO
    ) > 0 or not action.entries.exists()


def _prebooked_on(renewal: Renewal, *, plans_only: bool = False) -> tuple[Decimal, list[int]]:
    """The cost savings already written for money this renewal's baseline holds, net of reversals; with
    ``plans_only``, those of reclaims at renewal only (money the contract's annual value still holds)."""
    total, ids = ZERO, []
    actions = SavingsAction.objects.filter(details__prebooked__has_key=str(renewal.pk))
    if plans_only:
        actions = actions.filter(kind=ActionKind.RECLAIM, reduce_when=ReduceWhen.AT_RENEWAL)
    for action in actions.order_by("pk"):
        gross = action.entries.filter(kind=LedgerKind.COST_SAVINGS, reverses__isnull=True).aggregate(s=Sum("amount"))
        net = action.entries.filter(kind=LedgerKind.COST_SAVINGS).aggregate(s=Sum("amount"))
        gross, net = gross["s"] or ZERO, net["s"] or ZERO
        if gross > 0 and net > 0:
            total += round_money(Decimal(action.details["prebooked"][str(renewal.pk)]) * net / gross)
            ids.append(action.pk)
    return total, ids


# Renewal outcome


@transaction.atomic
def renewal_outcome_record(*, outcome, user) -> SavingsAction | None:
    """Write what closing a renewal saved (``renewal_closed`` calls it): B, Q and F from the outcome give
    cost savings max(0, B − F) and cost avoidance max(0, Q − max(F, B)), both annual recurring, in the
    contract's currency, effective on the day after the term ended (the next term's first day, or the first
    day no longer paid for a cancelled contract), credited to who closed it.

    A renewal gets one outcome action: a second call returns the first. Plans made by reclaims at renewal
    are carried out first (F is the value after them), and savings pre-booked on the renewal are not
    written again. The renewal's open right-size and renegotiate opportunities are done.
    """
    renewal = Renewal.objects.select_for_update(of=("self",)).select_related("contract").get(pk=outcome.renewal.pk)
    existing = SavingsAction.objects.filter(kind=ActionKind.RENEWAL_OUTCOME, renewal=renewal).first()
    if existing is not None:
        return existing
    if renewal.stage != RenewalStage.CLOSED:
        raise SavingsError(f"The renewal {renewal} is not closed yet; its outcome is written when it closes.")
    contract = Contract.objects.select_for_update().get(pk=renewal.contract_id)
    final = outcome.final_annual
    plans = []
    if outcome.renewed:
        before = contract.annual_value
        plans = _plans_apply(renewal=renewal, contract=contract)
        final = round_money(final - (before - contract.annual_value))
    prebooked, prebooked_by = _prebooked_on(renewal)
    figures = renewal_outcome_savings(baseline=outcome.baseline_annual, quote=outcome.quote_annual, final=final)
    savings = max(ZERO, figures.cost_savings - prebooked)
    opportunities = list(
        Opportunity.objects.select_for_update()
        .filter(renewal=renewal, kind__in=RENEWAL_OPPORTUNITY_KINDS, status__in=ACTIVE_STATUSES)
        .order_by("kind", "pk")
    )
    action = savings_action_record(
        kind=ActionKind.RENEWAL_OUTCOME,
        user=user,
        description=_outcome_description(renewal, outcome.renewed),
        currency=contract.currency,
        effective_date=renewal.term_end + timedelta(days=1),
        entries=[
            EntrySpec(LedgerKind.COST_SAVINGS, Recurrence.ANNUAL, savings),
            EntrySpec(LedgerKind.COST_AVOIDANCE, Recurrence.ANNUAL, figures.cost_avoidance),
        ],
        credited_user=user,
        credited_team=team_of(user) or contract.department,
        application=contract.applications.order_by("name").first(),
        contract=contract,
        renewal=renewal,
        opportunity=opportunities[0] if opportunities else None,
        baseline_annual=outcome.baseline_annual,
        new_annual=final,
        details={
            "renewed": outcome.renewed,
            "decision": renewal.decision,
            "baseline": str(outcome.baseline_annual),
            "quote": None if outcome.quote_annual is None else str(outcome.quote_annual),
            "final": str(final),
            "final_at_close": str(outcome.final_annual),
            "already_written": str(prebooked),
            "already_written_by": prebooked_by,
            "plans": plans,
        },
    )
    for opportunity in opportunities[1:]:
        opportunity_mark_done(opportunity=opportunity)
    return action


def _outcome_description(renewal: Renewal, renewed: bool) -> str:
    contract = renewal.contract
    what = "Renewed" if renewed else "Cancelled"
    decision = RenewalDecision(renewal.decision).label.lower() if renewal.decision else "closed"
    return f"{what} {contract.number} ({contract.vendor}) at term end {renewal.term_end}: {decision}"


# Cancelling and consolidating applications


@dataclass(frozen=True)
class _StopLine:
    """One contract or hand-entered pool that stops, and its annual cost."""

    contract: Contract | None
    pool: LicensePool | None
    annual: Decimal
    renewal: Renewal | None = None

    def detail(self) -> dict:
        if self.contract is not None:
            return {"contract_id": self.contract.pk, "number": self.contract.number, "annual": str(self.annual)}
        return {
            "pool_id": self.pool.pk,
            "name": str(self.pool),
            "seats": self.pool.purchased_quantity,
            "annual_unit_cost": str(self.pool.annual_unit_cost),
            "annual": str(self.annual),
        }


def application_costs(*, applications: Iterable[Application]) -> tuple[list[Contract], list[LicensePool]]:
    """What stops when these applications go: their active contracts that cover no other application, and
    their pools entered by hand (no contract) with seats and a price. The forms' defaults."""
    app_ids = {app.pk for app in applications}
    contracts = [
        contract
        for contract in Contract.objects.filter(applications__in=app_ids, status=ContractStatus.ACTIVE)
        .distinct()
        .prefetch_related("applications")
        .order_by("number")
        if {app.pk for app in contract.applications.all()} <= app_ids
    ]
    pools = list(
        LicensePool.objects.filter(
            application_id__in=app_ids,
            line_item__isnull=True,
            purchased_quantity__gt=0,
            annual_unit_cost__isnull=False,
        ).order_by("application__name", "name")
    )
    return contracts, pools


def _stop_lines(applications: list[Application], contracts, pools) -> list[_StopLine]:
    """The picked contracts and pools, each checked to belong to the applications and to cost something."""
    if contracts is None and pools is None:
        contracts, pools = application_costs(applications=applications)
    app_ids = {app.pk for app in applications}
    names = " or ".join(app.name for app in applications)
    lines = []
    for contract in Contract.objects.select_for_update().filter(pk__in=_ids_of(contracts or [])).order_by("number"):
        covered = {app.pk: app.name for app in contract.applications.all()}
        if not set(covered) & app_ids:
            raise SavingsError(f"Contract {contract.number} is not a contract of {names}.")
        others = sorted(name for pk, name in covered.items() if pk not in app_ids)
        if others:
            raise SavingsError(
                f"Contract {contract.number} also covers {', '.join(others)}: stopping it would stop "
                f"{'that' if len(others) == 1 else 'those'} too. Retire {'it' if len(others) == 1 else 'them'} "
                "in the same action, or leave the contract out."
            )
        if contract.status != ContractStatus.ACTIVE:
            raise SavingsError(
                f"Contract {contract.number} is {contract.get_status_display().lower()}: it is not paid any more."
            )
        _refuse_if_stopping(contract)
        renewal = _open_renewal(contract)
        # Seats already reclaimed from the next term are written; the cancel saves what is left.
        planned = _prebooked_on(renewal, plans_only=True)[0] if renewal is not None else ZERO
        lines.append(_StopLine(contract, None, max(ZERO, contract.annual_value - planned), renewal))
    for pool in LicensePool.objects.select_for_update().filter(pk__in=_ids_of(pools or [])).order_by("name"):
        if pool.application_id not in app_ids:
            raise SavingsError(f"{pool} is not a license pool of {names}.")
        if pool.line_item_id is not None:
            raise SavingsError(f"{pool} comes from a contract line item: pick its contract instead.")
        annual = reclaim_annual_savings(_purchased_of(pool), _unit_cost_of(pool, free_allowed=True))
        lines.append(_StopLine(None, pool, annual))
    if not lines:
        raise SavingsError(f"Pick the contracts and license pools of {names} that stop.")
    currencies = {line.contract.currency if line.contract else line.pool.currency for line in lines}
    if len(currencies) > 1:
        raise SavingsError(
            f"What stops is paid in {', '.join(sorted(currencies))}: record one action per currency, each with "
            "the contracts and pools in that currency."
        )
    return lines


def _currency_of(lines: list[_StopLine]) -> str:
    line = lines[0]
    return line.contract.currency if line.contract else line.pool.currency


def _apps_stop(*, applications: list[Application], lines: list[_StopLine], on: date, user, why: str) -> dict:
    """Retire the applications, end their live seats on ``on``, stop the hand-entered pools, and decide to cancel
    the open renewal of each contract (pre-booking its annual value there). Returns what the action records."""
    prebooked = {}
    for line in lines:
        if line.contract is not None:
            renewal = line.renewal
            if renewal is None:
                continue
            notes = f"{renewal.notes}\n{why}".strip()
            stage = RenewalStage.DECIDED if renewal.stage != RenewalStage.DECIDED else None
            renewal_update(renewal=renewal, user=user, stage=stage, decision=RenewalDecision.CANCEL, notes=notes)
            prebooked[str(renewal.pk)] = str(line.annual)
        else:
            line.pool.purchased_quantity = 0
            license_pool_save(pool=line.pool)
    live = list(Assignment.objects.filter(pool__application__in=applications, unassigned_on__isnull=True))
    assignment_end(assignments=live, on=on)
    for application in applications:
        application.status = ApplicationStatus.RETIRED
        application._change_reason = CHANGE_REASON
        application.save(update_fields=["status", "updated_at"])
    return {
        "stopped": [line.detail() for line in lines],
        "assignment_ids": [a.pk for a in live],
        "prebooked": prebooked,
    }


def _default_stop_date(lines: list[_StopLine]) -> date:
    """Contracts stop being paid after their current term; pools entered by hand stop today."""
    ends = [line.contract.end_date for line in lines if line.contract is not None]
    return max(ends) + timedelta(days=1) if ends else timezone.localdate()


def _applications_to_retire(applications: Iterable[Application]) -> list[Application]:
    apps = list(Application.objects.select_for_update().filter(pk__in=_ids_of(applications)).order_by("name"))
    if not apps:
        raise SavingsError("Pick the application to retire.")
    retired = [app.name for app in apps if app.status == ApplicationStatus.RETIRED]
    if retired:
        raise SavingsError(f"{', '.join(retired)} is already retired.")
    return apps


@transaction.atomic
def app_cancel(
    *,
    application: Application,
    user,
    contracts: Iterable[Contract] | None = None,
    pools: Iterable[LicensePool] | None = None,
    effective_date: date | None = None,
    opportunity: Opportunity | None = None,
    credited_user=None,
    credited_team=None,
) -> SavingsAction:
    """Cancel an application: the picked contracts and hand-entered pools stop from ``effective_date``.

    Saving: their annual cost (a contract's annual value; a pool's seats × annual unit cost), cost savings,
    annual recurring. The application is retired, its live seats end on the effective date, and each
    contract's open renewal is decided "cancel", so that closing it ends the contract without counting the
    saving again. ``contracts`` and ``pools`` None take all of the application's own (``application_costs``);
    ``effective_date`` None is the day after the latest contract's term (today for pools only).
    """
    (application,) = _applications_to_retire([application])
    lines = _stop_lines([application], contracts, pools)
    opportunity = _opportunity_to_act_on(opportunity)
    on = effective_date or _default_stop_date(lines)
    total = round_money(sum((line.annual for line in lines), ZERO))
    currency = _currency_of(lines)
    if total <= 0:
        raise SavingsError(f"What stops of {application.name} costs nothing a year, so cancelling it saves nothing.")
    details = _apps_stop(
        applications=[application], lines=lines, on=on, user=user, why=f"Cancelling {application.name} (Savings)."
    )
    single = lines[0] if len(lines) == 1 else None
    return savings_action_record(
        kind=ActionKind.CANCEL_APP,
        user=user,
        description=f"Cancelled {application.name}",
        currency=currency,
        effective_date=on,
        entries=[EntrySpec(LedgerKind.COST_SAVINGS, Recurrence.ANNUAL, total)],
        credited_user=credited_user,
        credited_team=credited_team,
        application=application,
        contract=single.contract if single else None,
        pool=single.pool if single else None,
        opportunity=opportunity,
        baseline_annual=total,
        new_annual=ZERO,
        details=details,
    )


@transaction.atomic
def apps_consolidate(
    *,
    applications: Iterable[Application],
    kept_application: Application,
    added_annual_cost: Decimal,
    user,
    added_cost_currency: str | None = None,
    contracts: Iterable[Contract] | None = None,
    pools: Iterable[LicensePool] | None = None,
    effective_date: date | None = None,
    opportunity: Opportunity | None = None,
    credited_user=None,
    credited_team=None,
) -> SavingsAction:
    """Retire applications into one that is kept. Saving: their annual cost − the annual cost added on the kept
    application (``added_annual_cost`` in ``added_cost_currency``, default the retired cost's currency, crossed
    at the effective date's rates); refused unless positive. What stops, and when, as ``app_cancel``."""
    retiring = _applications_to_retire(applications)
    kept = Application.objects.get(pk=kept_application.pk)
    if kept.pk in {app.pk for app in retiring}:
        raise SavingsError(f"{kept.name} cannot be both kept and retired.")
    if kept.status == ApplicationStatus.RETIRED:
        raise SavingsError(f"{kept.name} is retired: keep an application that is in use.")
    added = _amount(added_annual_cost, "The annual cost added on the kept application", allow_zero=True)
    lines = _stop_lines(retiring, contracts, pools)
    opportunity = _opportunity_to_act_on(opportunity)
    on = effective_date or _default_stop_date(lines)
    currency = _currency_of(lines)
    added_currency = (added_cost_currency or currency).upper()
    added_here = round_money(_in_currency(added, added_currency, currency, on))
    retired_cost = round_money(sum((line.annual for line in lines), ZERO))
    savings = retired_cost - added_here
    names = ", ".join(app.name for app in retiring)
    if savings <= 0:
        raise SavingsError(
            f"Retiring {names} saves {_money(retired_cost, currency)} a year, but {kept.name} costs "
            f"{_money(added_here, currency)} more: the consolidation saves nothing. Check the added cost."
        )
    details = _apps_stop(
        applications=retiring, lines=lines, on=on, user=user, why=f"Consolidating {names} into {kept.name} (Savings)."
    )
    details.update(
        kept_application_id=kept.pk,
        retired_application_ids=[app.pk for app in retiring],
        retired_annual=str(retired_cost),
        added_annual=str(added),
        added_currency=added_currency,
    )
    return savings_action_record(
        kind=ActionKind.CONSOLIDATE,
        user=user,
        description=f"Consolidated {names} into {kept.name}",
        currency=currency,
        effective_date=on,
        entries=[EntrySpec(LedgerKind.COST_SAVINGS, Recurrence.ANNUAL, savings)],
        credited_user=credited_user,
        credited_team=credited_team,
        application=retiring[0] if len(retiring) == 1 else kept,
        opportunity=opportunity,
        baseline_annual=retired_cost,
        new_annual=added_here,
        details=details,
    )


def _in_currency(amount: Decimal, from_currency: str, to_currency: str, on_date: date) -> Decimal:
    """``amount`` of one currency in another, crossed through the reporting currency at the rates in force on
    ``on_date`` (unit-cost precision, four places)."""
    if from_currency == to_currency:
        return amount
    try:
        from_rate, to_rate = fx_rate_on(from_currency, on_date), fx_rate_on(to_currency, on_date)
    except MoneyError as error:
        raise SavingsError(f"{error} The two amounts are in different currencies and must be compared.") from error
    return round_unit_amount(amount * from_rate / to_rate)


# Downgrade


@transaction.atomic
def seats_downgrade(
    *,
    from_pool: LicensePool,
    to_pool: LicensePool,
    assignments: Iterable,
    user,
    effective_date: date | None = None,
    opportunity: Opportunity | None = None,
    credited_user=None,
    credited_team=None,
) -> SavingsAction:
    """Move the picked holders to a cheaper license type of the same application, from ``effective_date``
    (default today): their seats end in ``from_pool`` and start in ``to_pool``, which buys N more seats as
    ``from_pool`` buys N fewer. Saving: N × (annual unit cost from − to), the "to" cost crossed into the
    "from" currency at the effective date's rates; refused unless the new seat is cheaper."""
    pools = LicensePool.objects.select_for_update(of=("self",)).select_related("application", "line_item")
    from_pool, to_pool = pools.get(pk=from_pool.pk), pools.get(pk=to_pool.pk)
    if from_pool.pk == to_pool.pk:
        raise SavingsError("Pick another license type to move the seats to.")
    if from_pool.application_id != to_pool.application_id:
        raise SavingsError(f"{to_pool} is not a license type of {from_pool.application}; a downgrade stays in one app.")
    cost_from, cost_to = _unit_cost_of(from_pool), _unit_cost_of(to_pool, free_allowed=True)
    live = _live_assignments(from_pool, assignments)
    if not live:
        raise SavingsError("Pick at least one holder to move to the cheaper license.")
    seats = len(live)
    planned = _planned_off(from_pool.line_item) if from_pool.line_item else 0
    if seats > _purchased_of(from_pool) - planned:
        raise SavingsError(f"{from_pool} has {_plural(from_pool.purchased_quantity, 'seat')} bought, not {seats}.")
    _purchased_of(to_pool)
    for pool in (from_pool, to_pool):
        _refuse_if_stopping(pool.line_item.contract if pool.line_item else None)
    opportunity = _opportunity_to_act_on(opportunity)
    on = effective_date or timezone.localdate()
    cost_to_here = _in_currency(cost_to, to_pool.currency, from_pool.currency, on)
    if cost_to_here >= cost_from:
        raise SavingsError(
            f"A seat of {to_pool} costs {_money(cost_to_here, from_pool.currency)} a year, not less than one of "
            f"{from_pool} ({_money(cost_from, from_pool.currency)}): moving the seats there saves nothing."
        )
    moved = _seats_move(live, to_pool=to_pool, on=on)
    details = {
        "to_pool_id": to_pool.pk,
        "assignment_ids": [a.pk for a in live],
        "new_assignment_ids": [a.pk for a in moved],
        "annual_unit_cost_from": str(cost_from),
        "annual_unit_cost_to": str(cost_to),
        "annual_unit_cost_to_in_currency": str(cost_to_here),
    }
    prebooked = _purchased_move(from_pool=from_pool, to_pool=to_pool, seats=seats)
    if prebooked:
        details["prebooked"] = prebooked
    return savings_action_record(
        kind=ActionKind.DOWNGRADE,
        user=user,
        description=f"Moved {_plural(seats, 'seat')} of {from_pool.application} from {from_pool.name} "
        f"to {to_pool.name}",
        currency=from_pool.currency,
        effective_date=on,
        entries=[
            EntrySpec(
                LedgerKind.COST_SAVINGS, Recurrence.ANNUAL, reclaim_annual_savings(seats, cost_from - cost_to_here)
            )
        ],
        credited_user=credited_user,
        credited_team=credited_team,
        application=from_pool.application,
        contract=from_pool.line_item.contract if from_pool.line_item else None,
        pool=from_pool,
        opportunity=opportunity,
        baseline_annual=reclaim_annual_savings(seats, cost_from),
        new_annual=reclaim_annual_savings(seats, cost_to_here),
        quantity=seats,
        reduce_when=ReduceWhen.NOW,
        details=details,
    )


def _seats_move(live: list[Assignment], *, to_pool: LicensePool, on: date) -> list[Assignment]:
    """End the seats and give each holder a seat of ``to_pool`` from ``on`` (reopening an ended one of theirs)."""
    existing = {a.account.lower(): a for a in Assignment.objects.select_for_update().filter(pool=to_pool)}
    holding = [a for a in live if (other := existing.get(a.account.lower())) and other.unassigned_on is None]
    if holding:
        names = ", ".join(_holder(a) for a in holding)
        raise SavingsError(f"{names} already hold a seat of {to_pool}: reclaim their current seat instead.")
    assignment_end(assignments=live, on=on)
    moved = []
    for assignment in live:
        seat = existing.get(assignment.account.lower()) or Assignment(pool=to_pool, account=assignment.account)
        seat.person_id = assignment.person_id
        seat.assigned_on, seat.unassigned_on = on, None
        seat.source = AssignmentSource.MANUAL
        seat._change_reason = CHANGE_REASON
        seat.save()
        moved.append(seat)
    return moved


def _purchased_move(*, from_pool: LicensePool, to_pool: LicensePool, seats: int) -> dict[str, str]:
    """``from_pool`` buys ``seats`` fewer and ``to_pool`` that many more, contract by contract (one refresh per
    contract) or directly on pools entered by hand. Returns what to pre-book on decided renewals."""
    by_contract: dict[int, dict[int, Decimal]] = {}
    for pool, change in ((from_pool, -seats), (to_pool, seats)):
        if pool.line_item is None:
            pool.purchased_quantity += change
            license_pool_save(pool=pool)
        else:
            by_contract.setdefault(pool.line_item.contract_id, {})[pool.line_item.pk] = pool.line_item.quantity + change
    prebooked = {}
    for contract in Contract.objects.select_for_update().filter(pk__in=by_contract).order_by("pk"):
        prebooked.update(_line_items_requantify(contract=contract, quantities=by_contract[contract.pk]))
    for pool, change in ((from_pool, seats), (to_pool, -seats)):
        if pool.line_item is not None:
            _plans_shift(item=pool.line_item, seats=change)
    return prebooked


# A win entered by hand


def _amount(value, label: str, *, allow_zero: bool = False) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError) as error:
        raise SavingsError(f"{label} must be a number like 1250.00, not {value!r}.") from error
    if not amount.is_finite() or amount < 0 or (amount == 0 and not allow_zero):
        least = "0 or more" if allow_zero else "more than 0"
        raise SavingsError(f"{label} must be {least}, not {value}.")
    return round_money(amount)


@transaction.atomic
def manual_win_record(
    *,
    user,
    ledger_kind: str,
    recurrence: str,
    amount,
    currency: str,
    effective_date: date,
    description: str,
    evidence_url: str = "",
    evidence_file=None,
    application: Application | None = None,
    credited_user=None,
    credited_team=None,
) -> SavingsAction:
    """Record a win no other action covers (a service credit, a refund, a purchase avoided): a description and
    the evidence (a link or an attachment) are required, the amount is positive, one-time or annual."""
    if ledger_kind not in LedgerKind.values:
        raise SavingsError(f"{ledger_kind!r} is not a ledger kind; use one of {', '.join(LedgerKind.values)}.")
    if recurrence not in Recurrence.values:
        raise SavingsError(f"{recurrence!r} is not a recurrence; use one of {', '.join(Recurrence.values)}.")
    amount = _amount(amount, "The amount")
    evidence_url = (evidence_url or "").strip()
    if not evidence_url and not evidence_file:
        raise SavingsError("Give the evidence: a link to it, or attach the file (a credit note, an email).")
    if evidence_url:
        try:
            URLValidator(schemes=["http", "https"])(evidence_url)
        except ValidationError as error:
            raise SavingsError(f"{evidence_url!r} is not a web link (https://...).") from error
    return savings_action_record(
        kind=ActionKind.MANUAL,
        user=user,
        description=description,
        currency=currency or "",
        effective_date=effective_date,
        entries=[EntrySpec(ledger_kind, recurrence, amount)],
        credited_user=credited_user,
        credited_team=credited_team,
        application=application,
        evidence_url=evidence_url,
        evidence_file=evidence_file,
    )
