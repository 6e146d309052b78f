"""The import of contracts with their line items. Registered in RenewalsConfig.ready.

One row is one line item; the rows with the same ``contract_number`` (ignoring case) make
one contract, in any order in the file.

- Contracts are matched by number ignoring case (the stored spelling stays); line items by
  SKU within their contract, ignoring case. A contract's line items become exactly its rows:
  a stored line item whose SKU the file does not list for that contract is removed.
- The rows of one contract must agree on the contract's fields (vendor, title, dates,
  currency, auto-renew, notice, owner, department, renewal term). A blank contract cell
  agrees with anything and leaves the stored value alone (a new contract gets the
  default); every other row that gives a different value is an error naming both values.
  Applications are the exception: each row may name some (``;``-separated), and a contract
  that names any gets exactly the applications its rows name.
- A line item needs its SKU, pricing model and billing period; a quantity unless it is a flat or
  platform fee (then 1); a unit price unless it is tiered (then the ``tiers`` bands, written
  ``100:8.00; *:6.50``, price it). Its other blank cells (description, committed quantity,
  overage price, uplift cap) leave the stored value alone.
- A contract is imported with all its rows or not at all: when one of its rows is bad, the
  others are reported as waiting for it, even in "import the valid rows" mode, because
  writing a part would remove the line items of the bad rows.
- Vendors are found by name or alias ignoring case, else created. Applications are found by
  name ignoring case, else created under review, discovered through a contract, with the
  contract's vendor. The owner must be an active user (by email, ignoring case) and the
  department must exist: the import never makes logins or org units up.
- Amounts read ``1234.50`` or ``1,234.50``; a comma is never a decimal point. A leading
  currency symbol or code is accepted only when it is the row's currency (``$`` in a USD,
  CAD, AUD... row, ``€`` in a EUR row): a symbol never chooses the currency.

Counting: each row (line item) counts once. It is created when its line item is new, updated
when its line item or its contract changed (a contract field, its applications, or a line
item removed), and unchanged otherwise; new contracts, vendors and applications are counted
under "also created". After writing, each contract's stored values and its current term's
renewal are what ``renewals.services.contract_save`` would store.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Model
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from renewals.choices import ContractStatus, PricingModel
from renewals.models import Contract, LineItem, Renewal, cancel_by_for
from renewals.pricing import PricingError, parse_tiers, tiered_amount
from renewals.services import contract_stored_values, renewal_ensure, renewal_for_new_term
from renewals.signals import contract_terms_changed
from saasmgr.core.access import PROCUREMENT
from saasmgr.core.choices import BillingPeriod
from saasmgr.core.imports.base import Importer, ParsedRow, Problem, WriteContext, WriteCounts
from saasmgr.core.imports.columns import Column
from saasmgr.core.imports.parsers import (
    BooleanParser,
    CellError,
    ChoiceParser,
    CurrencyParser,
    DateParser,
    DecimalParser,
    EmailParser,
    IntegerParser,
    Parser,
    TextParser,
    currency_marked,
)
from saasmgr.core.imports.registry import register_importer
from saasmgr.core.selectors import FxRateBook
from saasmgr.inventory.choices import ApplicationStatus, DiscoverySource
from saasmgr.inventory.models import Application, Department, Vendor, VendorAlias

LOOKUP_CHUNK = 500

# Contract fields that every row of one contract must agree on, in the order they are checked.
AGREED_FIELDS = (
    "vendor",
    "title",
    "start_date",
    "end_date",
    "currency",
    "auto_renew",
    "notice_days",
    "owner_email",
    "department",
    "renewal_term_months",
)
# Contract model fields a row may set directly (the others are looked up: vendor, owner, department).
CONTRACT_FIELDS = ("title", "start_date", "end_date", "currency", "auto_renew", "notice_days", "renewal_term_months")
# Optional line item cells: blank leaves the stored value alone.
OPTIONAL_LINE_FIELDS = ("description", "committed_quantity", "overage_price", "uplift_cap_pct")
PRICED_COLUMNS = ("unit_price", "overage_price")
NEEDS_QUANTITY = (PricingModel.PER_SEAT, PricingModel.USAGE, PricingModel.TIERED)
VALUE_FIELDS = ("annual_value", "total_value", "annual_value_reporting")


# Cell parsers


class NameList(tuple):
    """Names from one cell; shown in the preview as typed."""

    def __str__(self) -> str:
        return "; ".join(self)


class Bands(list):
    """Price bands as LineItem.tiers stores them; shown in the preview as typed."""

    def __str__(self) -> str:
        return "; ".join(f"{band['up_to'] or '*'}:{band['unit_price']}" for band in self)


class NameListParser(Parser):
    accepted = "one name, or several separated by ;"

    def __init__(self, max_length: int):
        self.max_length = max_length

    def __call__(self, text: str) -> NameList:
        names = NameList(dict.fromkeys(name.strip() for name in text.split(";") if name.strip()))
        for name in names:
            if len(name) > self.max_length:
                raise CellError(f"“{name[:40]}…” is too long: a name has at most {self.max_length} characters.")
        return names


_BAND_BOUND = DecimalParser(places=2, max_digits=14, minimum=Decimal("0"), example="100")
_BAND_PRICE = DecimalParser(places=4, max_digits=16, minimum=Decimal("0"), example="10.00")


class BandsParser(Parser):
    """Graduated bands in one cell: ``100:10.00; 500:8.00; *:6.00`` (``*`` for the open-ended last band)."""

    accepted = "bands as “up to:unit price” separated by ;, with * for the open-ended last one (100:10.00; *:8.00)"

    def __call__(self, text: str) -> Bands:
        bands = Bands()
        for part in (p.strip() for p in text.split(";")):
            if not part:
                continue
            bound, colon, price = (piece.strip() for piece in part.partition(":"))
            if not colon:
                raise CellError(f"The band “{part}” has no “:”. Expected {self.accepted}.")
            try:
                up_to = None if bound in ("*", "", "-") else str(_BAND_BOUND(bound))
                bands.append({"up_to": up_to, "unit_price": str(_BAND_PRICE(price))})
            except CellError as exc:
                raise CellError(f"The band “{part}”: {exc}") from None
        try:
            parse_tiers(bands)
        except PricingError as exc:
            raise CellError(f"{exc} Expected {self.accepted}.") from None
        return bands


def _choice(synonyms: dict[str, str], *, values: Iterable[str], labels: str) -> ChoiceParser:
    parser = ChoiceParser(synonyms, shown=values)
    parser.accepted = f"{parser.accepted} (or a label such as {labels})"
    return parser


PRICING_MODEL = _choice(
    {
        **{value: value for value in PricingModel.values},
        **{label: value for value, label in PricingModel.choices},
        "per user": PricingModel.PER_SEAT,
        "per license": PricingModel.PER_SEAT,
        "per licence": PricingModel.PER_SEAT,
        "seat": PricingModel.PER_SEAT,
        "usage based": PricingModel.USAGE,
        "consumption": PricingModel.USAGE,
        "metered": PricingModel.USAGE,
        "platform": PricingModel.PLATFORM_FEE,
        "tier": PricingModel.TIERED,
        "graduated": PricingModel.TIERED,
        "flat fee": PricingModel.FLAT,
        "fixed": PricingModel.FLAT,
        "fixed fee": PricingModel.FLAT,
    },
    values=PricingModel.values,
    labels="“Per seat” or “Usage-based”",
)
BILLING_PERIOD = _choice(
    {
        **{value: value for value in BillingPeriod.values},
        **{label: value for value, label in BillingPeriod.choices},
        "month": BillingPeriod.MONTHLY,
        "per month": BillingPeriod.MONTHLY,
        "quarter": BillingPeriod.QUARTERLY,
        "per quarter": BillingPeriod.QUARTERLY,
        "semi-annual": BillingPeriod.SEMIANNUAL,
        "semi-annually": BillingPeriod.SEMIANNUAL,
        "half-yearly": BillingPeriod.SEMIANNUAL,
        "year": BillingPeriod.ANNUAL,
        "yearly": BillingPeriod.ANNUAL,
        "per year": BillingPeriod.ANNUAL,
        "prepaid": BillingPeriod.TERM,
        "upfront": BillingPeriod.TERM,
        "once": BillingPeriod.ONE_TIME,
    },
    values=BillingPeriod.values,
    labels="“Annually”, “Yearly” or “Prepaid for the whole term”",
)
QUANTITY = DecimalParser(places=2, max_digits=14, minimum=Decimal("0"), example="25")
PRICE = DecimalParser(places=4, max_digits=16, minimum=Decimal("0"), currency_marks=True)
UPLIFT_CAP = DecimalParser(
    places=2, max_digits=6, minimum=Decimal("0"), maximum=Decimal("1000"), percent=True, example="5"
)


def _col(name: str, *aliases: str, **options) -> Column:
    return Column(name, aliases, **options)


@register_importer
class ContractsImporter(Importer):
    """Contracts with their line items, one row per line item; the rules are in this module's docstring."""

    kind = "contracts"
    kind_label = "Contracts"
    roles = PROCUREMENT
    description = (
        "One row per line item; rows with the same contract_number make one contract and must agree on its "
        "fields. A contract's line items become exactly its rows (a stored line item the file does not list is "
        "removed). New vendors and applications are created (applications as under review); owners must be "
        "active users. Dates as YYYY-MM-DD; amounts like 1,234.50."
    )
    natural_key_help = "contract number (ignoring case), and line items the same SKU within their contract"
    columns = (
        _col(
            "contract_number",
            "Contract #",
            "Contract No",
            "Contract ID",
            "Agreement Number",
            "Agreement #",
            required=True,
            parser=TextParser(100),
            example="CT-2025-001",
        ),
        _col(
            "vendor",
            "Vendor Name",
            "Supplier",
            "Supplier Name",
            "Publisher",
            required=True,
            parser=TextParser(200),
            example="Slack Technologies",
        ),
        _col(
            "application",
            "Applications",
            "App",
            "Apps",
            "Application Name",
            parser=NameListParser(200),
            example="Slack",
        ),
        _col("title", "Contract Title", "Contract Name", parser=TextParser(200), example="Slack Enterprise Grid"),
        _col(
            "start_date",
            "Start",
            "Term Start",
            "Contract Start",
            "Effective Date",
            required=True,
            parser=DateParser(),
            example="2025-01-01",
        ),
        _col(
            "end_date",
            "End",
            "Term End",
            "Contract End",
            "Expiry Date",
            "Expiration Date",
            required=True,
            parser=DateParser(),
            example="2025-12-31",
        ),
        _col("currency", "Currency Code", "CCY", required=True, parser=CurrencyParser(), example="USD"),
        _col(
            "auto_renew",
            "Auto-Renew",
            "Auto Renewal",
            "Auto Renews",
            "Renews Automatically",
            "Evergreen",
            parser=BooleanParser(),
            example="yes",
        ),
        _col(
            "notice_days",
            "Notice Period",
            "Notice Period (days)",
            "Notice (days)",
            "Days Notice",
            "Notice",
            parser=IntegerParser(minimum=0, maximum=3650, example="30"),
            example="30",
        ),
        _col(
            "owner_email",
            "Owner",
            "Contract Owner",
            "Contract Owner Email",
            "Owner E-mail",
            parser=EmailParser(),
            example="pat@example.com",
        ),
        _col("department", "Dept", "Team", "Business Unit", parser=TextParser(150), example="Engineering"),
        _col(
            "renewal_term_months",
            "Renewal Term",
            "Renewal Term (months)",
            parser=IntegerParser(minimum=1, maximum=120, example="12"),
            example="12",
        ),
        _col(
            "sku",
            "License Type",
            "Licence Type",
            "Item",
            "Line Item",
            "Plan",
            "Edition",
            "Product",
            required=True,
            parser=TextParser(200),
            example="Enterprise seat",
        ),
        _col("description", "Line Description", "Item Description", "Description", parser=TextParser(300)),
        _col(
            "pricing_model",
            "Pricing",
            "Price Model",
            "Pricing Type",
            required=True,
            parser=PRICING_MODEL,
            example="per_seat",
        ),
        _col(
            "quantity",
            "Qty",
            "Seats",
            "Licenses",
            "Licences",
            "Units",
            "Seat Count",
            "License Count",
            parser=QUANTITY,
            example="25",
        ),
        _col(
            "unit_price",
            "Price",
            "Unit Cost",
            "Price per Unit",
            "Price per Seat",
            "Net Price",
            parser=PRICE,
            example="1,234.50",
        ),
        _col(
            "billing_period",
            "Billing Frequency",
            "Billing",
            "Billing Cycle",
            "Billed",
            "Frequency",
            required=True,
            parser=BILLING_PERIOD,
            example="annual",
        ),
        _col(
            "committed_quantity", "Committed Quantity", "Commit", "Committed Units", "Minimum Commit", parser=QUANTITY
        ),
        _col("overage_price", "Overage", "Overage Rate", "Overage Unit Price", parser=PRICE),
        _col("tiers", "Price Bands", "Bands", "Tier Prices", parser=BandsParser()),
        _col(
            "uplift_cap_pct",
            "Uplift Cap %",
            "Uplift Cap",
            "Max Uplift %",
            "Price Increase Cap",
            parser=UPLIFT_CAP,
            example="5",
        ),
    )

    def clean_row(self, row: ParsedRow) -> Iterator[Problem]:
        values = row.values
        start, end = values.get("start_date"), values.get("end_date")
        if start and end and end < start:
            yield Problem(row.number, "end_date", f"The end date is before the start date ({start.isoformat()}).")
        if currency := values.get("currency"):
            for column in PRICED_COLUMNS:
                allowed = currency_marked(row.raw[column]) if column in values else None
                if allowed is not None and currency not in allowed:
                    yield Problem(
                        row.number,
                        column,
                        f"The amount's currency mark does not fit the row's currency {currency}: "
                        "write the number alone, like 1,234.50.",
                    )
        yield from _pricing_problems(row)

    def natural_keys(self, row: ParsedRow) -> Iterator[tuple[str, str]]:
        if "contract_number" in row.values and "sku" in row.values:
            yield "sku", f"{row.values['contract_number'].lower()}\n{row.values['sku'].lower()}"

    def duplicate_message(self, column: str, first_row: int) -> str:
        return f"Row {first_row} has the same contract number and SKU: a contract lists each SKU once."

    def check_references(self, rows: list[ParsedRow], *, rejected: list[ParsedRow]) -> list[Problem]:
        return contracts_import_check(rows=rows, rejected=rejected)

    def write(self, rows: list[ParsedRow], *, context: WriteContext) -> WriteCounts:
        return contracts_upsert(
            records=contract_records(rows),
            user=context.user,
            change_reason=context.change_reason,
            on_progress=context.on_progress,
            chunk_size=context.chunk_size,
        )


def _pricing_problems(row: ParsedRow) -> Iterator[Problem]:
    """What each pricing model needs: a quantity (but flat fees), a unit price (but tiered), and bands
    exactly when tiered."""
    values, model = row.values, row.values.get("pricing_model")
    if model is None:
        return
    label = PricingModel(model).label
    if model in NEEDS_QUANTITY and "quantity" not in row.raw:
        yield Problem(row.number, "quantity", f"{label} pricing needs a quantity.", value="")
    if model != PricingModel.TIERED and "unit_price" not in row.raw:
        yield Problem(row.number, "unit_price", f"{label} pricing needs a unit price.", value="")
    bands = values.get("tiers")
    if model != PricingModel.TIERED:
        if bands:
            yield Problem(row.number, "tiers", "Price bands only apply to tiered pricing: clear them or choose tiered.")
        return
    if "tiers" not in row.raw:
        yield Problem(row.number, "tiers", "Tiered pricing needs its price bands, like 100:10.00; *:8.00.", value="")
    elif bands is not None and "quantity" in values:
        try:
            tiered_amount(values["quantity"], bands)
        except PricingError as exc:
            yield Problem(row.number, "tiers", str(exc))


# Cross-row and database checks


def _group_key(row: ParsedRow) -> str | None:
    number = row.values.get("contract_number")
    return number.lower() if number else None


def _groups(rows: Iterable[ParsedRow]) -> dict[str, list[ParsedRow]]:
    groups: dict[str, list[ParsedRow]] = {}
    for row in rows:
        if (key := _group_key(row)) is not None:
            groups.setdefault(key, []).append(row)
    return groups


def _comparable(column: str, value: Any) -> Any:
    return value.lower() if column in ("vendor", "owner_email", "department") else value


def _disagreements(group: list[ParsedRow]) -> Iterator[Problem]:
    """Every row whose contract field differs from the first row of its contract that gives one."""
    for column in AGREED_FIELDS:
        first = next((row for row in group if column in row.values), None)
        if first is None:
            continue
        for row in group:
            if column in row.values and _comparable(column, row.values[column]) != _comparable(
                column, first.values[column]
            ):
                yield Problem(
                    row.number,
                    column,
                    f"Row {first.number} of contract {first.values['contract_number']} has “{first.raw[column]}”: "
                    f"all rows of one contract must give the same {column.replace('_', ' ')}.",
                )


def _rows_text(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return f"Row {numbers[0]} of this contract has errors"
    return f"Rows {', '.join(str(n) for n in numbers[:-1])} and {numbers[-1]} of this contract have errors"


def contracts_import_check(*, rows: list[ParsedRow], rejected: list[ParsedRow]) -> list[Problem]:
    """Disagreeing rows, unknown owners and departments; then every other row of a contract that has a
    bad row is held back with a pointer to it (reads only)."""
    problems: list[Problem] = []
    for group in _groups(rows).values():
        problems.extend(_disagreements(group))
    owners = active_users_by_email(row.values["owner_email"] for row in rows if "owner_email" in row.values)
    departments = _by_lower(
        Department, "name", (row.values["department"] for row in rows if "department" in row.values)
    )
    for row in rows:
        if "owner_email" in row.values and row.values["owner_email"].lower() not in owners:
            problems.append(
                Problem(
                    row.number,
                    "owner_email",
                    "No active user has this email. A contract owner must be a user who can sign in to saasmgr; "
                    "leave the cell blank to keep the current owner.",
                )
            )
        if "department" in row.values and row.values["department"].lower() not in departments:
            problems.append(
                Problem(row.number, "department", "No department has this name. Add it under Departments first.")
            )
    flagged = {problem.row for problem in problems}
    bad_by_group: dict[str, set[int]] = {}
    for row in [*rejected, *(r for r in rows if r.number in flagged)]:
        if (key := _group_key(row)) is not None:
            bad_by_group.setdefault(key, set()).add(row.number)
    for row in rows:
        bad = bad_by_group.get(_group_key(row), set()) - {row.number}
        if bad and row.number not in flagged:
            problems.append(
                Problem(
                    row.number,
                    "contract_number",
                    f"{_rows_text(sorted(bad))}; a contract is imported with all its rows or not at all.",
                )
            )
    return problems


# Lookups


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _by_lower(model: type[Model], field_name: str, values: Iterable[str], queryset=None) -> dict[str, Model]:
    """Rows whose ``field_name`` equals one of ``values`` ignoring case, by lower value; the oldest wins."""
    found: dict[str, Model] = {}
    queryset = model.objects.all() if queryset is None else queryset
    for chunk in _chunks(sorted({value.lower() for value in values}), LOOKUP_CHUNK):
        rows = queryset.annotate(_lower=Lower(field_name)).filter(_lower__in=chunk).order_by("-pk")
        found.update({getattr(row, field_name).lower(): row for row in rows})
    return found


def active_users_by_email(emails: Iterable[str]) -> dict[str, Model]:
    return _by_lower(get_user_model(), "email", emails, queryset=get_user_model().objects.filter(is_active=True))


# Records


@dataclass
class LineRecord:
    row: int
    sku: str
    fields: dict[str, Any]  # pricing_model, unit_price, billing_period and the optional cells the row has


@dataclass
class ContractRecord:
    """One contract of the file: its fields from the rows that give them, and one line per row."""

    number: str
    vendor: str
    fields: dict[str, Any] = field(default_factory=dict)  # of CONTRACT_FIELDS
    owner_email: str | None = None
    department: str | None = None
    applications: list[str] = field(default_factory=list)
    lines: list[LineRecord] = field(default_factory=list)


def contract_records(rows: list[ParsedRow]) -> list[ContractRecord]:
    """The valid rows grouped into contracts, in the order each contract first appears."""
    records: list[ContractRecord] = []
    for group in _groups(rows).values():
        first = group[0].values
        record = ContractRecord(number=first["contract_number"], vendor=first["vendor"])
        for row in group:
            values = row.values
            for name in CONTRACT_FIELDS:
                if name in values:
                    record.fields.setdefault(name, values[name])
            record.owner_email = record.owner_email or values.get("owner_email")
            record.department = record.department or values.get("department")
            named = {name.lower() for name in record.applications}
            record.applications.extend(name for name in values.get("application", ()) if name.lower() not in named)
            record.lines.append(LineRecord(row=row.number, sku=values["sku"], fields=_line_fields(values)))
        records.append(record)
    return records


def _line_fields(values: dict[str, Any]) -> dict[str, Any]:
    model = values["pricing_model"]
    fields = {
        "pricing_model": model,
        # Tiered prices come from the bands.
        "unit_price": values.get("unit_price", Decimal("0")),
        "billing_period": values["billing_period"],
        # Bands are part of the pricing model: none unless tiered.
        "tiers": list(values["tiers"]) if model == PricingModel.TIERED else [],
        # A flat or platform fee has no quantity to speak of.
        "quantity": values.get("quantity", Decimal("1")),
    }
    fields.update({name: values[name] for name in OPTIONAL_LINE_FIELDS if name in values})
    return fields


# Writing


@dataclass
class _References:
    vendors: dict[str, Vendor]
    applications: dict[str, Application]
    owners: dict[str, Model]
    departments: dict[str, Department]


def _vendors_ensure(records: list[ContractRecord], *, user, change_reason: str) -> tuple[dict[str, Vendor], int]:
    """Vendors by lower name, found by name or alias ignoring case, or created as first spelled."""
    names: dict[str, str] = {}
    for record in records:
        names.setdefault(record.vendor.lower(), record.vendor)
    aliases = _by_lower(VendorAlias, "alias", names, queryset=VendorAlias.objects.select_related("vendor"))
    found = {lower: alias.vendor for lower, alias in aliases.items()}
    found.update(_by_lower(Vendor, "name", names))
    missing = [Vendor(name=name) for lower, name in names.items() if lower not in found]
    for vendor in bulk_create_with_history(missing, Vendor, default_user=user, default_change_reason=change_reason):
        found[vendor.name.lower()] = vendor
    return found, len(missing)


def _applications_ensure(
    records: list[ContractRecord], vendors: dict[str, Vendor], *, user, change_reason: str
) -> tuple[dict[str, Application], int]:
    """Applications by lower name; a new one gets the vendor of the first contract naming it."""
    names: dict[str, tuple[str, Vendor]] = {}
    for record in records:
        for name in record.applications:
            names.setdefault(name.lower(), (name, vendors[record.vendor.lower()]))
    found = _by_lower(Application, "name", names)
    missing = [
        Application(
            name=name,
            vendor=vendor,
            status=ApplicationStatus.UNDER_REVIEW,
            discovery_source=DiscoverySource.CONTRACT,
            first_seen=timezone.localdate(),
        )
        for lower, (name, vendor) in names.items()
        if lower not in found
    ]
    for app in bulk_create_with_history(missing, Application, default_user=user, default_change_reason=change_reason):
        found[app.name.lower()] = app
    return found, len(missing)


def _contract_desired(record: ContractRecord, refs: _References) -> dict[str, Any]:
    desired = {"vendor_id": refs.vendors[record.vendor.lower()].pk, **record.fields}
    if record.owner_email:
        desired["owner_id"] = refs.owners[record.owner_email.lower()].pk
    if record.department:
        desired["department_id"] = refs.departments[record.department.lower()].pk
    return desired


def _changes(target: Model, desired: dict[str, Any]) -> dict[str, Any]:
    return {attname: value for attname, value in desired.items() if getattr(target, attname) != value}


@dataclass
class _Plan:
    """What one chunk of contracts writes."""

    new_contracts: list[tuple[Contract, list[LineItem], list[int]]] = field(default_factory=list)
    # Stored contracts whose line items, applications or fields change; edited: whose fields change.
    changed_contracts: list[Contract] = field(default_factory=list)
    edited_contracts: list[Contract] = field(default_factory=list)
    contract_fields: set[str] = field(default_factory=set)
    new_items: list[LineItem] = field(default_factory=list)
    changed_items: list[LineItem] = field(default_factory=list)
    item_fields: set[str] = field(default_factory=set)
    removed_items: list[LineItem] = field(default_factory=list)
    links_added: list[tuple[int, int]] = field(default_factory=list)
    links_removed: list[tuple[int, int]] = field(default_factory=list)
    # Every contract of the chunk with its line items as they will be, for the stored values.
    valued: list[tuple[Contract, list[LineItem]]] = field(default_factory=list)


CREATED, CHANGED, SAME = "created", "changed", "same"


class _ContractsWriter:
    def __init__(self, *, refs: _References, existing: dict[str, Contract], rates: FxRateBook, counts, user, reason):
        self.refs, self.existing, self.rates, self.counts = refs, existing, rates, counts
        self.user, self.change_reason = user, reason

    # Planning: every decision, no writes.

    def plan(self, records: list[ContractRecord]) -> _Plan:
        plan = _Plan()
        for record in records:
            target = self.existing.get(record.number.lower())
            if target is None:
                self._plan_new(plan, record)
            else:
                self._plan_existing(plan, record, target)
        return plan

    def _plan_new(self, plan: _Plan, record: ContractRecord) -> None:
        contract = Contract(number=record.number, status=ContractStatus.ACTIVE, **_contract_desired(record, self.refs))
        contract.cancel_by = cancel_by_for(contract.end_date, contract.notice_days)
        items = [LineItem(sku=line.sku, position=position, **line.fields) for position, line in enumerate(record.lines)]
        application_ids = [self.refs.applications[name.lower()].pk for name in record.applications]
        plan.new_contracts.append((contract, items, application_ids))
        plan.valued.append((contract, items))
        self.counts.created += len(record.lines)

    def _plan_existing(self, plan: _Plan, record: ContractRecord, target: Contract) -> None:
        changes = _changes(target, _contract_desired(record, self.refs))
        for attname, value in changes.items():
            setattr(target, attname, value)
        if {"end_date", "notice_days"} & set(changes):
            target.cancel_by = cancel_by_for(target.end_date, target.notice_days)
            changes["cancel_by"] = target.cancel_by
        if changes:
            plan.edited_contracts.append(target)
            plan.contract_fields |= set(changes)
        links_changed = self._plan_applications(plan, record, target)
        stored = {item.sku.lower(): item for item in target.line_items.all()}
        items, states = [], {}
        for position, line in enumerate(record.lines):
            item, states[line.row] = self._plan_line(plan, target, stored.pop(line.sku.lower(), None), line, position)
            items.append(item)
        plan.removed_items.extend(stored.values())
        contract_changed = bool(changes) or links_changed or bool(stored)
        for state in states.values():
            if state == CREATED:
                self.counts.created += 1
            elif state == CHANGED or contract_changed:
                self.counts.updated += 1
            else:
                self.counts.unchanged += 1
        if contract_changed or set(states.values()) != {SAME}:
            plan.changed_contracts.append(target)
        plan.valued.append((target, items))

    def _plan_line(
        self, plan: _Plan, contract: Contract, item: LineItem | None, line: LineRecord, position: int
    ) -> tuple[LineItem, str]:
        if item is None:
            item = LineItem(contract=contract, sku=line.sku, position=position, **line.fields)
            plan.new_items.append(item)
            return item, CREATED
        changes = _changes(item, {"sku": line.sku, "position": position, **line.fields})
        if not changes:
            return item, SAME
        for attname, value in changes.items():
            setattr(item, attname, value)
        plan.changed_items.append(item)
        plan.item_fields |= set(changes)
        return item, CHANGED

    def _plan_applications(self, plan: _Plan, record: ContractRecord, target: Contract) -> bool:
        """A contract whose rows name applications gets exactly those; otherwise its applications stay."""
        if not record.applications:
            return False
        wanted = {self.refs.applications[name.lower()].pk for name in record.applications}
        current = {app.pk for app in target.applications.all()}
        plan.links_added.extend((target.pk, pk) for pk in sorted(wanted - current))
        plan.links_removed.extend((target.pk, pk) for pk in sorted(current - wanted))
        return wanted != current

    # Writing one plan.

    def write(self, plan: _Plan) -> None:
        revalued = self._set_values(plan.valued)
        self._remove_items(plan.removed_items)
        new_contracts = [contract for contract, _, _ in plan.new_contracts]
        self._create(Contract, new_contracts)
        new_items = list(plan.new_items)
        for contract, items, application_ids in plan.new_contracts:
            for item in items:
                item.contract = contract
            new_items.extend(items)
            plan.links_added.extend((contract.pk, pk) for pk in application_ids)
        self._create(LineItem, new_items)
        self._update(LineItem, plan.changed_items, plan.item_fields)
        self._update(Contract, plan.edited_contracts, plan.contract_fields)
        Contract.objects.bulk_update(revalued, VALUE_FIELDS)
        self._link(plan.links_added, plan.links_removed)
        self._create(Renewal, [renewal_for_new_term(contract) for contract in new_contracts])
        for contract in plan.changed_contracts:
            renewal_ensure(contract=contract)
        contract_terms_changed.send(sender=Contract, contract_ids={contract.pk for contract, _ in plan.valued})

    def _set_values(self, valued: list[tuple[Contract, list[LineItem]]]) -> list[Contract]:
        """Set what contract_refresh_values would store; returns the stored contracts whose values change."""
        revalued = []
        for contract, items in valued:
            annual, total, reporting = contract_stored_values(contract, items, rate_on=self.rates.rate_on)
            if (contract.annual_value, contract.total_value, contract.annual_value_reporting) != (
                annual,
                total,
                reporting,
            ) and contract.pk:
                revalued.append(contract)
            contract.annual_value, contract.total_value, contract.annual_value_reporting = annual, total, reporting
        return revalued

    def _remove_items(self, items: list[LineItem]) -> None:
        # One by one, so that each removal has its history row with the user and the reason; removals are rare.
        for item in items:
            item._history_user = self.user
            item._change_reason = self.change_reason
            item.delete()

    def _create(self, model: type[Model], rows: list[Model]) -> None:
        if rows:
            bulk_create_with_history(rows, model, default_user=self.user, default_change_reason=self.change_reason)

    def _update(self, model: type[Model], rows: list[Model], attnames: set[str]) -> None:
        if not rows or not attnames:
            return
        now = timezone.now()
        for row in rows:
            row.updated_at = now
        names = sorted({model._meta.get_field(attname).name for attname in attnames} | {"updated_at"})
        bulk_update_with_history(rows, model, names, default_user=self.user, default_change_reason=self.change_reason)

    @staticmethod
    def _link(added: list[tuple[int, int]], removed: list[tuple[int, int]]) -> None:
        through = Contract.applications.through
        through.objects.bulk_create([through(contract_id=c, application_id=a) for c, a in added])
        for contract_id, application_id in removed:
            through.objects.filter(contract_id=contract_id, application_id=application_id).delete()


def _record_chunks(records: list[ContractRecord], rows_per_chunk: int) -> Iterator[list[ContractRecord]]:
    chunk, rows = [], 0
    for record in records:
        chunk.append(record)
        rows += len(record.lines)
        if rows >= rows_per_chunk:
            yield chunk
            chunk, rows = [], 0
    if chunk:
        yield chunk


@transaction.atomic
def contracts_upsert(
    *,
    records: list[ContractRecord],
    user=None,
    change_reason: str = "",
    on_progress=None,
    chunk_size: int = 200,
) -> WriteCounts:
    """Create or update each contract with exactly its line items, then store its values and ensure the
    renewal of its current term, as ``contract_save`` would."""
    counts = WriteCounts()
    vendors, counts.also_created["vendor"] = _vendors_ensure(records, user=user, change_reason=change_reason)
    applications, counts.also_created["application"] = _applications_ensure(
        records, vendors, user=user, change_reason=change_reason
    )
    refs = _References(
        vendors=vendors,
        applications=applications,
        owners=active_users_by_email(r.owner_email for r in records if r.owner_email),
        departments=_by_lower(Department, "name", (r.department for r in records if r.department)),
    )
    existing = _by_lower(
        Contract,
        "number",
        (record.number for record in records),
        queryset=Contract.objects.prefetch_related("line_items", "applications"),
    )
    counts.also_created = {"contract": sum(r.number.lower() not in existing for r in records), **counts.also_created}
    writer = _ContractsWriter(
        refs=refs,
        existing=existing,
        rates=FxRateBook({record.fields["currency"] for record in records}),
        counts=counts,
        user=user,
        reason=change_reason,
    )
    processed = 0
    for chunk in _record_chunks(records, chunk_size):
        writer.write(writer.plan(chunk))
        processed += sum(len(record.lines) for record in chunk)
        if on_progress:
            on_progress(processed)
    return counts
