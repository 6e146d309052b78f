"""Demo inventory: a realistic company built from a seed, and its loader.

``demo_company_build`` is pure: the same seed, profile and ``today`` give the
same company, byte for byte, in any process. It draws every random choice from
one ``random.Random(seed)`` in a fixed order and never iterates a set, so hash
randomisation cannot change the result. All dates are relative to ``today``.
The names, titles and products it draws from are in ``demo_catalogue``.

``demo_inventory_load`` writes that company, keyed on natural keys (department,
category, vendor and application name, person email; compared ignoring case).
It only inserts rows that are missing and never updates, re-links or deletes an
existing row, so running it twice adds nothing and a real company's edits
survive. Links of a new row (a person's manager, an alias, an application's
owners) are only written when the row itself is created.
"""

import random
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import models, transaction
from simple_history.utils import bulk_create_with_history

from saasmgr.inventory.choices import AliasKind, ApplicationStatus, EmploymentType, PersonStatus
from saasmgr.inventory.demo_catalogue import (
    ALWAYS_RETIRED,
    APPLICATION_CATALOGUE,
    BILLING_WORDS,
    CATEGORY_CATALOGUE,
    CATEGORY_OWNER_ROOTS,
    CEO_TITLE,
    DEPARTMENT_CATALOGUE,
    DISCOVERY_WEIGHTS,
    FEATURED_NAMES,
    INDIVIDUAL_TITLES,
    LEGACY_EMAIL_DOMAIN,
    LEGAL_FORMS,
    LONG_TAIL_CATEGORY_WEIGHTS,
    MANAGER_TITLES,
    NAME_POOLS,
    PRODUCT_NOUNS,
    ROOT_HEAD_TITLES,
    STATUS_WEIGHTS_CATALOGUE,
    STATUS_WEIGHTS_LONG_TAIL,
    STATUS_WEIGHTS_SHADOW,
    STEM_PREFIXES,
    STEM_SUFFIXES,
    VENDOR_CATALOGUE,
)
from saasmgr.inventory.models import (
    Application,
    Category,
    Department,
    Person,
    PersonAlias,
    Vendor,
    VendorAlias,
)

SEED_CHANGE_REASON = "Created by seed_demo"
BULK_BATCH_SIZE = 2000


@dataclass(frozen=True)
class DemoProfile:
    """The shape of a demo company."""

    name: str
    people: int
    applications: int
    departments: int
    terminated_share: float = 0.08
    on_leave_share: float = 0.02
    contractor_share: float = 0.10
    years: int = 8
    domain: str = "acme-corp.example"


@dataclass(frozen=True)
class DemoDepartment:
    name: str
    parent: str | None
    cost_centre: str


@dataclass(frozen=True)
class DemoCategory:
    name: str
    description: str


@dataclass(frozen=True)
class DemoPerson:
    employee_id: str
    email: str
    name: str
    job_title: str
    department: str
    manager_email: str | None
    status: str
    employment_type: str
    start_date: date
    termination_date: date | None
    aliases: tuple[tuple[str, str], ...]  # (AliasKind, value)


@dataclass(frozen=True)
class DemoVendor:
    name: str
    website: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class DemoApplication:
    name: str
    vendor: str
    category: str
    status: str
    discovery_source: str
    first_seen: date
    business_owner_email: str | None
    it_owner_email: str | None
    website: str


@dataclass(frozen=True)
class DemoCompany:
    """Everything the loader writes; people are listed managers first, level by level."""

    categories: tuple[DemoCategory, ...]
    departments: tuple[DemoDepartment, ...]
    people: tuple[DemoPerson, ...]
    vendors: tuple[DemoVendor, ...]
    applications: tuple[DemoApplication, ...]


CATEGORIES: tuple[DemoCategory, ...] = tuple(
    DemoCategory(name, description) for name, description in CATEGORY_CATALOGUE
)

DEMO_PROFILES: dict[str, DemoProfile] = {
    "small": DemoProfile(name="small", people=300, applications=60, departments=15),
    # The scale of DESIGN.md section 8 (its contracts, licenses and usage come with those layers).
    "enterprise": DemoProfile(
        name="enterprise", people=50_000, applications=1_000, departments=len(DEPARTMENT_CATALOGUE)
    ),
}


# --- Generation (pure) ------------------------------------------------------


def demo_company_build(*, seed: int, profile: DemoProfile, today: date) -> DemoCompany:
    """The demo company for ``seed``: identical for identical arguments."""
    rng = random.Random(seed)
    departments = demo_departments(profile=profile)
    people = demo_people(rng=rng, profile=profile, departments=departments, today=today)
    vendors, applications = demo_applications(
        rng=rng, profile=profile, departments=departments, people=people, today=today
    )
    return DemoCompany(
        categories=CATEGORIES,
        departments=departments,
        people=people,
        vendors=vendors,
        applications=applications,
    )


def demo_departments(*, profile: DemoProfile) -> tuple[DemoDepartment, ...]:
    if not 1 <= profile.departments <= len(DEPARTMENT_CATALOGUE):
        raise ValueError(f"A demo profile has 1 to {len(DEPARTMENT_CATALOGUE)} departments, not {profile.departments}.")
    return tuple(
        DemoDepartment(name=name, parent=parent, cost_centre=cost_centre)
        for name, parent, cost_centre, _share in DEPARTMENT_CATALOGUE[: profile.departments]
    )


@dataclass
class _Slot:
    """A person's place in the organisation, before they get a name."""

    department: str
    root: str
    manager: int | None  # index of the manager's slot
    depth: int
    title: str
    leads: bool  # has reports: stays active and an employee, so the hierarchy holds


def demo_people(
    *, rng: random.Random, profile: DemoProfile, departments: Sequence[DemoDepartment], today: date
) -> tuple[DemoPerson, ...]:
    """People with a proper hierarchy: the CEO, heads of departments, then teams under each head."""
    slots = _organisation_slots(rng, departments, _headcounts(profile, departments))
    leaves = [index for index, slot in enumerate(slots) if not slot.leads]
    statuses = _statuses(rng, profile, slots, leaves)
    contractors = set(rng.sample(leaves, min(len(leaves), round(profile.people * profile.contractor_share))))
    names = _names(rng, len(slots), leaves)
    emails = _unique_emails(names, profile.domain)
    start_dates = _start_dates(rng, profile, slots, today)
    aliases = _person_aliases(rng, names, emails)
    employee_ids = _employee_ids(start_dates, contractors)
    people = []
    for index, slot in enumerate(slots):
        status = statuses[index]
        people.append(
            DemoPerson(
                employee_id=employee_ids[index],
                email=emails[index],
                name=names[index].display,
                job_title=slot.title,
                department=slot.department,
                manager_email=None if slot.manager is None else emails[slot.manager],
                status=status,
                employment_type=(EmploymentType.CONTRACTOR if index in contractors else EmploymentType.EMPLOYEE).value,
                start_date=start_dates[index],
                termination_date=_termination_date(rng, start_dates[index], today)
                if status == PersonStatus.TERMINATED
                else None,
                aliases=aliases[index],
            )
        )
    # Managers before their reports, so the loader can link each batch to people already written.
    order = sorted(range(len(slots)), key=lambda index: (slots[index].depth, index))
    return tuple(people[index] for index in order)


def _headcounts(profile: DemoProfile, departments: Sequence[DemoDepartment]) -> list[int]:
    """Split the headcount by each department's share (largest remainder), at least one head each."""
    if profile.people < len(departments):
        raise ValueError(f"{profile.people} people cannot fill {len(departments)} departments.")
    shares = [DEPARTMENT_CATALOGUE[index][3] for index in range(len(departments))]
    spare = profile.people - len(departments)
    exact = [spare * share / sum(shares) for share in shares]
    counts = [int(value) for value in exact]
    by_remainder = sorted(range(len(exact)), key=lambda index: (counts[index] - exact[index], index))
    for index in by_remainder[: spare - sum(counts)]:
        counts[index] += 1
    return [count + 1 for count in counts]


def _organisation_slots(
    rng: random.Random, departments: Sequence[DemoDepartment], headcounts: Sequence[int]
) -> list[_Slot]:
    """Department heads report to the head of the parent department (roots to the CEO); inside a
    department, people form a tree with a span of control of 5 to 8."""
    slots: list[_Slot] = []
    head_of: dict[str, int] = {}
    root_of = {department.name: department.parent or department.name for department in departments}
    ceo_department = departments[0].name
    for department, headcount in zip(departments, headcounts, strict=True):
        root = root_of[department.name]
        if department.parent:
            manager = head_of[department.parent]
        elif department.name == ceo_department:
            manager = None
        else:
            manager = head_of[ceo_department]
        head_index = len(slots)
        head_depth = 0 if manager is None else slots[manager].depth + 1
        head_of[department.name] = head_index
        slots.append(_Slot(department.name, root, manager, head_depth, _head_title(department), leads=True))
        span = rng.randint(5, 8)
        team_titles = INDIVIDUAL_TITLES.get(root, ("Specialist",))
        for position in range(1, headcount):
            boss_position = (position - 1) // span
            boss_index = head_index + boss_position
            leads = position * span + 1 < headcount
            title = MANAGER_TITLES.get(root, "Manager") if leads else rng.choice(team_titles)
            slots.append(_Slot(department.name, root, boss_index, slots[boss_index].depth + 1, title, leads))
    return slots


def _head_title(department: DemoDepartment) -> str:
    if department.parent:
        return f"Director of {department.name}"
    if department.name == DEPARTMENT_CATALOGUE[0][0]:
        return CEO_TITLE
    return ROOT_HEAD_TITLES.get(department.name, f"Head of {department.name}")


def _statuses(rng: random.Random, profile: DemoProfile, slots: Sequence[_Slot], leaves: list[int]) -> list[str]:
    """Exactly the profile's shares of terminated and on-leave people, drawn from those without reports."""
    terminated_count = min(len(leaves), round(profile.people * profile.terminated_share))
    on_leave_count = min(len(leaves) - terminated_count, round(profile.people * profile.on_leave_share))
    drawn = rng.sample(leaves, terminated_count + on_leave_count)
    statuses = [PersonStatus.ACTIVE.value] * len(slots)
    for position, index in enumerate(drawn):
        statuses[index] = (PersonStatus.TERMINATED if position < terminated_count else PersonStatus.ON_LEAVE).value
    return statuses


@dataclass(frozen=True)
class _Name:
    given: str
    family: str
    family_first: bool = False
    middle: str = ""

    @property
    def display(self) -> str:
        if self.family_first:
            return " ".join(part for part in (self.family, self.middle, self.given) if part)
        return " ".join(part for part in (self.given, self.middle, self.family) if part)


_ASCII_LETTERS = str.maketrans(
    {"ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L"}
    | {"þ": "th", "Þ": "Th", "ð": "d", "Ð": "D", "ı": "i", "œ": "oe", "Œ": "OE"}
)


def ascii_slug(text: str) -> str:
    """'Siobhán O'Connor' -> 'siobhanoconnor': letters an email's local part can hold."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII_LETTERS))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[^a-z0-9-]", "", plain.lower())


def _names(rng: random.Random, count: int, leaves: list[int]) -> list[_Name]:
    weights = [pool.weight for pool in NAME_POOLS]
    names = []
    for _ in range(count):
        pool = rng.choices(NAME_POOLS, weights=weights)[0]
        middle = rng.choice(pool.middle) if pool.middle else ""
        names.append(_Name(rng.choice(pool.given), rng.choice(pool.family), pool.family_first, middle))
    featured = FEATURED_NAMES[: len(leaves)]
    for index, (given, family, family_first, middle) in zip(rng.sample(leaves, len(featured)), featured, strict=True):
        names[index] = _Name(given, family, family_first, middle)
    return names


def _email_local(name: _Name) -> str:
    # Mail admins use the first given name only; 64 characters is the most a local part may have.
    return f"{ascii_slug(name.given.split()[0])}.{ascii_slug(name.family)}"[:64].rstrip(".-")


def _unique_emails(names: Sequence[_Name], domain: str) -> list[str]:
    """first.last@domain; a repeated name gets a number, as mail admins do (jane.doe2)."""
    taken: set[str] = set()
    emails = []
    for name in names:
        local = _email_local(name)
        candidate, number = local, 1
        while candidate in taken:
            number += 1
            candidate = f"{local[: 64 - len(str(number))]}{number}"
        taken.add(candidate)
        emails.append(f"{candidate}@{domain}")
    return emails


def _person_aliases(rng: random.Random, names: Sequence[_Name], emails: Sequence[str]) -> list[tuple]:
    """Some people have a username (jmuller) or an address from the acquired company."""
    taken: set[str] = set()
    aliases = []
    for name, email in zip(names, emails, strict=True):
        own = []
        if rng.random() < 0.2:
            base = (ascii_slug(name.given)[:1] + ascii_slug(name.family))[:30]
            username, number = base, 1
            while username in taken:
                number += 1
                username = f"{base}{number}"
            taken.add(username)
            own.append((AliasKind.USERNAME.value, username))
        if rng.random() < 0.04:
            own.append((AliasKind.EMAIL.value, f"{email.split('@')[0]}@{LEGACY_EMAIL_DOMAIN}"))
        aliases.append(tuple(own))
    return aliases


def _start_dates(rng: random.Random, profile: DemoProfile, slots: Sequence[_Slot], today: date) -> list[date]:
    """Leaders joined in the first years; hiring grew since, so most people joined recently."""
    founded = today - timedelta(days=profile.years * 365)
    history_days = (today - founded).days
    dates = []
    for slot in slots:
        if slot.depth == 0:
            dates.append(founded)
        elif slot.depth == 1:
            dates.append(founded + timedelta(days=rng.randint(0, 365)))
        else:
            dates.append(today - timedelta(days=int(history_days * rng.random() ** 1.5)))
    return dates


def _employee_ids(start_dates: Sequence[date], contractors: set[int]) -> list[str]:
    """Numbered in hiring order: E000001 for employees, CW00001 for contingent workers."""
    ids = [""] * len(start_dates)
    employees = contingent = 0
    for index in sorted(range(len(start_dates)), key=lambda index: (start_dates[index], index)):
        if index in contractors:
            contingent += 1
            ids[index] = f"CW{contingent:05d}"
        else:
            employees += 1
            ids[index] = f"E{employees:06d}"
    return ids


def _termination_date(rng: random.Random, start: date, today: date) -> date:
    return start + timedelta(days=rng.randint(0, (today - start).days))


def demo_applications(
    *,
    rng: random.Random,
    profile: DemoProfile,
    departments: Sequence[DemoDepartment],
    people: Sequence[DemoPerson],
    today: date,
) -> tuple[tuple[DemoVendor, ...], tuple[DemoApplication, ...]]:
    """The real catalogue first (its core apps always), then long-tail products up to the profile's count."""
    chosen = _catalogue_choice(rng, profile.applications)
    vendors = [
        DemoVendor(name=vendor, website=VENDOR_CATALOGUE[vendor][0], aliases=VENDOR_CATALOGUE[vendor][1])
        for vendor in _unique_in_order(app[1] for app in chosen)
    ]
    products = [(name, vendor, category, shadow) for name, vendor, category, shadow, _core in chosen]
    websites = {vendor.name: vendor.website for vendor in vendors}
    long_tail_vendors, long_tail_products = _long_tail(rng, profile.applications - len(chosen))
    vendors.extend(long_tail_vendors)
    websites.update({vendor.name: vendor.website for vendor in long_tail_vendors})
    owners = _OwnerPools(departments, people)
    applications = []
    for name, vendor, category, status_weights in _with_status_weights(products, long_tail_products):
        status = ApplicationStatus.RETIRED.value if name in ALWAYS_RETIRED else _weighted(rng, status_weights)
        applications.append(
            DemoApplication(
                name=name,
                vendor=vendor,
                category=category,
                status=status,
                discovery_source=_weighted(rng, DISCOVERY_WEIGHTS[status]),
                first_seen=_first_seen(rng, status, profile, today),
                business_owner_email=owners.business_owner(rng, category, status),
                it_owner_email=owners.it_owner(rng, status),
                website=websites[vendor],
            )
        )
    return tuple(vendors), tuple(applications)


def _catalogue_choice(rng: random.Random, count: int) -> list[tuple[str, str, str, bool, bool]]:
    core = [app for app in APPLICATION_CATALOGUE if app[4]]
    optional = [app for app in APPLICATION_CATALOGUE if not app[4]]
    if count <= len(core):
        picked = rng.sample(core, count)
    else:
        picked = core + rng.sample(optional, min(len(optional), count - len(core)))
    position = {app[0]: index for index, app in enumerate(APPLICATION_CATALOGUE)}
    return sorted(picked, key=lambda app: position[app[0]])


def _unique_in_order(values) -> list:
    return list(dict.fromkeys(values))


def _long_tail(rng: random.Random, count: int) -> tuple[list[DemoVendor], list[tuple[str, str, str]]]:
    """Plausible products of plausible vendors: 'Cobaltpath Ledger' by 'Cobaltpath Labs'."""
    if count <= 0:
        return [], []
    real_names = {name.lower() for name in VENDOR_CATALOGUE} | {app[0].lower() for app in APPLICATION_CATALOGUE}
    stems = [f"{prefix}{suffix}" for prefix in STEM_PREFIXES for suffix in STEM_SUFFIXES]
    stems = [stem for stem in stems if stem.lower() not in real_names]
    rng.shuffle(stems)
    categories = list(LONG_TAIL_CATEGORY_WEIGHTS)
    weights = list(LONG_TAIL_CATEGORY_WEIGHTS.values())
    vendors: list[DemoVendor] = []
    products: list[tuple[str, str, str]] = []
    for stem in stems:
        if len(products) >= count:
            break
        legal_form = rng.choice(LEGAL_FORMS)
        vendor = f"{stem} {legal_form}"
        raw_names = (f"{stem.upper()} {legal_form.upper().rstrip('.')}", f"{stem.upper()}*{rng.choice(BILLING_WORDS)}")
        vendors.append(DemoVendor(name=vendor, website=f"https://www.{stem.lower()}.example", aliases=raw_names))
        category = rng.choices(categories, weights=weights)[0]
        product_count = min(rng.choice((1, 1, 1, 2, 2, 3)), count - len(products))
        for noun in rng.sample(PRODUCT_NOUNS[category], product_count):
            products.append((f"{stem} {noun}", vendor, category))
    if len(products) < count:
        raise ValueError(f"The long-tail generator makes at most {len(stems)} vendors; {count} products asked.")
    return vendors, products


def _with_status_weights(catalogue_products, long_tail_products) -> Iterator[tuple[str, str, str, tuple]]:
    for name, vendor, category, shadow in catalogue_products:
        yield name, vendor, category, STATUS_WEIGHTS_SHADOW if shadow else STATUS_WEIGHTS_CATALOGUE
    for name, vendor, category in long_tail_products:
        yield name, vendor, category, STATUS_WEIGHTS_LONG_TAIL


def _weighted(rng: random.Random, weighted_choices) -> str:
    choices = [choice for choice, _weight in weighted_choices]
    weights = [weight for _choice, weight in weighted_choices]
    return str(rng.choices(choices, weights=weights)[0].value)


def _first_seen(rng: random.Random, status: str, profile: DemoProfile, today: date) -> date:
    """Shadow IT was found recently; sanctioned and retired apps have been around for years."""
    history_days = profile.years * 365
    if status in (ApplicationStatus.UNSANCTIONED, ApplicationStatus.UNDER_REVIEW):
        return today - timedelta(days=rng.randint(3, 365))
    if status == ApplicationStatus.RETIRED:
        return today - timedelta(days=rng.randint(2 * 365, history_days))
    return today - timedelta(days=rng.randint(60, history_days))


class _OwnerPools:
    """Active employees per root department, to pick plausible owners from."""

    def __init__(self, departments: Sequence[DemoDepartment], people: Sequence[DemoPerson]):
        root_of = {department.name: department.parent or department.name for department in departments}
        self.by_root: dict[str, list[str]] = {}
        self.everyone: list[str] = []
        for person in people:
            if person.status == PersonStatus.ACTIVE and person.employment_type == EmploymentType.EMPLOYEE:
                self.by_root.setdefault(root_of[person.department], []).append(person.email)
                self.everyone.append(person.email)

    def _pick(self, rng: random.Random, roots: Sequence[str]) -> str | None:
        candidates = [email for root in roots for email in self.by_root.get(root, [])] or self.everyone
        return rng.choice(candidates) if candidates else None

    def business_owner(self, rng: random.Random, category: str, status: str) -> str | None:
        # Half of the unsanctioned apps have nobody who admits to owning them.
        if status == ApplicationStatus.UNSANCTIONED and rng.random() < 0.5:
            return None
        return self._pick(rng, CATEGORY_OWNER_ROOTS[category])

    def it_owner(self, rng: random.Random, status: str) -> str | None:
        if status == ApplicationStatus.UNSANCTIONED:
            return None
        return self._pick(rng, ("IT",))


# --- Loading ----------------------------------------------------------------


@transaction.atomic
def demo_inventory_load(*, company: DemoCompany, with_history: bool = True) -> dict[str, int]:
    """Insert the rows of ``company`` that are missing; returns how many of each were created.

    With history, every seeded row gets a "Created by seed_demo" audit entry, so a
    detail page shows where the row came from. That costs about 3 s more for the
    50,000 enterprise people, which is worth a truthful audit trail.
    """
    created: dict[str, int] = {}
    category_pks, created["categories"] = _load_categories(company.categories, with_history)
    department_pks, created["departments"] = _load_departments(company.departments, with_history)
    vendor_pks, created["vendors"], created["vendor aliases"] = _load_vendors(company.vendors, with_history)
    person_pks, created["people"], created["person aliases"] = _load_people(
        company.people, department_pks, with_history
    )
    created["applications"] = _load_applications(
        company.applications, vendor_pks, category_pks, person_pks, with_history
    )
    return created


def _keys_to_pks(model: type[models.Model], field: str) -> dict[str, int]:
    return {str(key).lower(): pk for key, pk in model.objects.values_list(field, "pk")}


def _bulk_create(model: type[models.Model], objs: list, *, with_history: bool) -> list:
    if not objs:
        return []
    if with_history and hasattr(model, "history"):
        return bulk_create_with_history(
            objs, model, batch_size=BULK_BATCH_SIZE, default_change_reason=SEED_CHANGE_REASON
        )
    return model.objects.bulk_create(objs, batch_size=BULK_BATCH_SIZE)


def _batches_after_parents(items: Sequence, key, parent) -> Iterator[list]:
    """Batches in which nobody's parent is in the same batch, for items listed parents first."""
    batch: list = []
    keys_in_batch: set[str] = set()
    for item in items:
        if len(batch) >= BULK_BATCH_SIZE or parent(item) in keys_in_batch:
            yield batch
            batch, keys_in_batch = [], set()
        batch.append(item)
        keys_in_batch.add(key(item))
    if batch:
        yield batch


def _load_categories(categories: Sequence[DemoCategory], with_history: bool) -> tuple[dict[str, int], int]:
    pks = _keys_to_pks(Category, "name")
    new = [Category(name=c.name, description=c.description) for c in categories if c.name.lower() not in pks]
    for category in _bulk_create(Category, new, with_history=with_history):
        pks[category.name.lower()] = category.pk
    return pks, len(new)


def _load_departments(departments: Sequence[DemoDepartment], with_history: bool) -> tuple[dict[str, int], int]:
    pks = _keys_to_pks(Department, "name")
    missing = [department for department in departments if department.name.lower() not in pks]
    batches = _batches_after_parents(
        missing, key=lambda d: d.name.lower(), parent=lambda d: d.parent.lower() if d.parent else None
    )
    for batch in batches:
        objs = [
            Department(
                name=d.name,
                cost_centre=d.cost_centre,
                parent_id=pks.get(d.parent.lower()) if d.parent else None,
            )
            for d in batch
        ]
        for department in _bulk_create(Department, objs, with_history=with_history):
            pks[department.name.lower()] = department.pk
    return pks, len(missing)


def _load_vendors(vendors: Sequence[DemoVendor], with_history: bool) -> tuple[dict[str, int], int, int]:
    pks = _keys_to_pks(Vendor, "name")
    missing = [vendor for vendor in vendors if vendor.name.lower() not in pks]
    objs = [Vendor(name=vendor.name, website=vendor.website) for vendor in missing]
    for vendor in _bulk_create(Vendor, objs, with_history=with_history):
        pks[vendor.name.lower()] = vendor.pk
    taken_aliases = set(_keys_to_pks(VendorAlias, "alias"))
    aliases = []
    for vendor in missing:
        for alias in vendor.aliases:
            if alias.lower() not in taken_aliases:
                taken_aliases.add(alias.lower())
                aliases.append(VendorAlias(vendor_id=pks[vendor.name.lower()], alias=alias))
    _bulk_create(VendorAlias, aliases, with_history=with_history)
    return pks, len(missing), len(aliases)


def _load_people(
    people: Sequence[DemoPerson], department_pks: dict[str, int], with_history: bool
) -> tuple[dict[str, int], int, int]:
    pks = _keys_to_pks(Person, "email")
    # A real person may already hold one of the generated employee ids: the new person goes without.
    taken_ids = set(Person.objects.exclude(employee_id=None).values_list("employee_id", flat=True))
    missing = [person for person in people if person.email.lower() not in pks]
    batches = _batches_after_parents(
        missing,
        key=lambda p: p.email.lower(),
        parent=lambda p: p.manager_email.lower() if p.manager_email else None,
    )
    for batch in batches:
        objs = [_person_row(person, department_pks, pks, taken_ids) for person in batch]
        for person in _bulk_create(Person, objs, with_history=with_history):
            pks[person.email.lower()] = person.pk
    return pks, len(missing), _load_person_aliases(missing, pks)


def _person_row(person: DemoPerson, department_pks: dict[str, int], person_pks: dict[str, int], taken_ids) -> Person:
    return Person(
        employee_id=None if person.employee_id in taken_ids else person.employee_id,
        email=person.email,
        name=person.name,
        job_title=person.job_title,
        department_id=department_pks.get(person.department.lower()),
        manager_id=person_pks[person.manager_email.lower()] if person.manager_email else None,
        status=person.status,
        employment_type=person.employment_type,
        start_date=person.start_date,
        termination_date=person.termination_date,
    )


def _load_person_aliases(new_people: Sequence[DemoPerson], person_pks: dict[str, int]) -> int:
    taken = {(kind, value.lower()) for kind, value in PersonAlias.objects.values_list("kind", "value")}
    rows = []
    for person in new_people:
        for kind, value in person.aliases:
            if (kind, value.lower()) not in taken:
                taken.add((kind, value.lower()))
                rows.append(PersonAlias(person_id=person_pks[person.email.lower()], kind=kind, value=value))
    PersonAlias.objects.bulk_create(rows, batch_size=BULK_BATCH_SIZE)
    return len(rows)


def _load_applications(
    applications: Sequence[DemoApplication],
    vendor_pks: dict[str, int],
    category_pks: dict[str, int],
    person_pks: dict[str, int],
    with_history: bool,
) -> int:
    existing = _keys_to_pks(Application, "name")

    def person_pk(email: str | None) -> int | None:
        return person_pks.get(email.lower()) if email else None

    objs = [
        Application(
            name=app.name,
            vendor_id=vendor_pks.get(app.vendor.lower()),
            category_id=category_pks.get(app.category.lower()),
            business_owner_id=person_pk(app.business_owner_email),
            it_owner_id=person_pk(app.it_owner_email),
            status=app.status,
            discovery_source=app.discovery_source,
            first_seen=app.first_seen,
            website=app.website,
        )
        for app in applications
        if app.name.lower() not in existing
    ]
    _bulk_create(Application, objs, with_history=with_history)
    return len(objs)
