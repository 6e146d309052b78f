"""What a line item costs per billing period, per year and over the term, for each pricing model.

Annualisation itself is the money helpers' (saasmgr.core.money); this module only says
what one billing period costs.
"""

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from renewals.choices import PricingModel
from saasmgr.core.money import annualise, round_money, total_over_term

ZERO = Decimal("0")


class PricingError(ValueError):
    pass


def parse_tiers(tiers: Iterable[dict]) -> list[tuple[Decimal | None, Decimal]]:
    """Validate graduated bands: ascending upper bounds, only the last open-ended, prices not negative."""
    bands: list[tuple[Decimal | None, Decimal]] = []
    previous = ZERO
    tiers = list(tiers or [])
    if not tiers:
        raise PricingError("A tiered line item needs at least one band.")
    for index, tier in enumerate(tiers):
        try:
            up_to = None if tier.get("up_to") in (None, "") else Decimal(str(tier["up_to"]))
            price = Decimal(str(tier["unit_price"]))
        except (KeyError, InvalidOperation, TypeError, AttributeError) as exc:
            raise PricingError(
                f"Band {index + 1} needs 'up_to' (a number, or empty for the last) and 'unit_price'."
            ) from exc
        if price < 0:
            raise PricingError(f"Band {index + 1} has a negative price.")
        if up_to is None and index != len(tiers) - 1:
            raise PricingError("Only the last band may be open-ended.")
        if up_to is not None and up_to <= previous:
            raise PricingError(f"Band {index + 1} must end above {previous}.")
        bands.append((up_to, price))
        previous = up_to if up_to is not None else previous
    return bands


def tiered_amount(quantity: Decimal, tiers: Iterable[dict]) -> Decimal:
    """Graduated pricing: each unit is charged at the price of the band it falls in."""
    total, lower = ZERO, ZERO
    for up_to, price in parse_tiers(tiers):
        if quantity <= lower:
            break
        units = (min(quantity, up_to) if up_to is not None else quantity) - lower
        total += units * price
        lower = up_to if up_to is not None else quantity
    if quantity > lower:
        raise PricingError(f"The bands end at {lower}, below the quantity {quantity}; leave the last band open-ended.")
    return total


def period_amount(
    *, pricing_model: str, quantity: Decimal, unit_price: Decimal, committed_quantity=None, tiers=()
) -> Decimal:
    """What one billing period costs.

    per seat: quantity × unit price; usage-based: committed quantity × unit price (overage is
    billed as used, not committed); tiered: graduated bands over the quantity; platform fee and
    flat: the unit price.
    """
    if pricing_model == PricingModel.PER_SEAT:
        return quantity * unit_price
    if pricing_model == PricingModel.USAGE:
        committed = committed_quantity if committed_quantity is not None else quantity
        return committed * unit_price
    if pricing_model == PricingModel.TIERED:
        return tiered_amount(quantity, tiers)
    if pricing_model in (PricingModel.PLATFORM_FEE, PricingModel.FLAT):
        return unit_price
    raise PricingError(f"Unknown pricing model {pricing_model!r}.")


def line_item_period_amount(item) -> Decimal:
    return period_amount(
        pricing_model=item.pricing_model,
        quantity=item.quantity,
        unit_price=item.unit_price,
        committed_quantity=item.committed_quantity,
        tiers=item.tiers,
    )


def line_item_annual_value(item, *, term_months: int) -> Decimal:
    return annualise(line_item_period_amount(item), item.billing_period, term_months=term_months)


def line_item_term_value(item, *, term_months: int) -> Decimal:
    return total_over_term(line_item_period_amount(item), item.billing_period, term_months=term_months)


def contract_values(items: Iterable, *, term_months: int) -> tuple[Decimal, Decimal]:
    """(annual value, total contract value) of a set of line items, rounded to cents."""
    items = list(items)
    annual = sum((line_item_annual_value(i, term_months=term_months) for i in items), ZERO)
    total = sum((line_item_term_value(i, term_months=term_months) for i in items), ZERO)
    return round_money(annual), round_money(total)
