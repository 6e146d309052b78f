"""Writes of the inventory.

The import upserts are bulk: the existing rows are looked up by natural key in a few
queries, then created and updated in chunks, with their history records. A blank cell
never erases a stored value: an export that lacks a field (Google Workspace knows no
start dates) must not wipe what the HR import wrote.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from saasmgr.core.imports.base import Problem, WriteCounts
from saasmgr.inventory.choices import AliasKind, DiscoverySource, PersonStatus
from saasmgr.inventory.models import Application, Category, Department, Person, PersonAlias, Vendor, VendorAlias

LOOKUP_CHUNK = 500
PERSON_FIELDS = ("name", "job_title", "status", "employment_type", "start_date", "termination_date")
APPLICATION_FIELDS = ("status", "discovery_source", "first_seen", "website", "description")

Progress = Callable[[int], None]


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _by_lower(model: type[Model], field_name: str, values: Iterable[str]) -> dict[str, Model]:
    """Rows of ``model`` whose ``field_name`` equals one of ``values`` ignoring case, by lower value.

    Where two rows differ only by case, the older one wins.
    """
    found: dict[str, Model] = {}
    wanted = sorted({value.lower() for value in values})
    for chunk in _chunks(wanted, LOOKUP_CHUNK):
        rows = model.objects.annotate(_lower=Lower(field_name)).filter(_lower__in=chunk).order_by("-pk")
        found.update({getattr(row, field_name).lower(): row for row in rows})
    return found


def normalise_person_name(name: str) -> str:
    """``"Smith, John"`` and ``"john  smith"`` -> ``"john smith"``."""
    if "," in name:
        last, first = name.split(",", 1)
        name = f"{first} {last}"
    return " ".join(name.casefold().split())


def _person_ids_by_email(emails: Iterable[str]) -> dict[str, int]:
    """Person ids by lower email, through the primary email or an email alias."""
    emails = {email.lower() for email in emails}
    ids = {alias.value.lower(): alias.person_id for alias in _email_aliases(emails).values()}
    ids.update({email: person.pk for email, person in _by_lower(Person, "email", emails).items()})
    return ids


def _email_aliases(values: Iterable[str]) -> dict[str, PersonAlias]:
    found: dict[str, PersonAlias] = {}
    wanted = sorted({value.lower() for value in values})
    for chunk in _chunks(wanted, LOOKUP_CHUNK):
        rows = PersonAlias.objects.filter(kind=AliasKind.EMAIL).annotate(_lower=Lower("value")).filter(_lower__in=chunk)
        found.update({row.value.lower(): row for row in rows})
    return found


def _named_records_ensure(
    model: type[Model], names: Iterable[str], *, user, change_reason: str, aliases: dict[str, Model] | None = None
) -> tuple[dict[str, Model], int]:
    """Find (ignoring case, and through ``aliases``) or create one row per name, spelled as
    it first appears; returns them by lower name, and how many were created."""
    names_by_lower = {}
    for name in names:
        names_by_lower.setdefault(name.lower(), name)
    found = {**(aliases or {}), **_by_lower(model, "name", names_by_lower)}
    missing = [model(name=name) for lower, name in names_by_lower.items() if lower not in found]
    if missing:
        for row in bulk_create_with_history(missing, model, default_user=user, default_change_reason=change_reason):
            found[row.name.lower()] = row
    return found, len(missing)


def _changes(target: Model, desired: dict[str, Any]) -> dict[str, Any]:
    return {attname: value for attname, value in desired.items() if getattr(target, attname) != value}


def _bulk_update(model: type[Model], rows: list[Model], attnames: set[str], *, user, change_reason: str) -> None:
    if not rows:
        return
    now = timezone.now()
    for row in rows:
        row.updated_at = now
    names = {model._meta.get_field(attname).name for attname in attnames} | {"updated_at"}
    bulk_update_with_history(rows, model, sorted(names), default_user=user, default_change_reason=change_reason)


# People


@dataclass
class PersonRecord:
    """One row of a people import, with only the values the row has."""

    row: int
    email: str
    employee_id: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)  # of PERSON_FIELDS
    department: str | None = None
    manager_email: str | None = None
    manager_name: str | None = None
    aliases: tuple[tuple[str, str], ...] = ()  # (column, email)
    # The status comes from an account directory, which knows accounts, not employment:
    # it never overrides a termination that HR recorded.
    directory_status: bool = False

    @property
    def email_key(self) -> str:
        return self.email.lower()


class _People:
    """The people a set of import records refers to, looked up in a few queries."""

    def __init__(self, records: list[PersonRecord]):
        self.records = records
        self.in_file = {record.email_key: record for record in records}
        emails = set(self.in_file)
        emails |= {r.manager_email.lower() for r in records if r.manager_email}
        emails |= {value.lower() for r in records for _, value in r.aliases}
        self.by_email: dict[str, Person] = _by_lower(Person, "email", emails)
        self.by_employee_id = self._by_employee_id(sorted({r.employee_id for r in records if r.employee_id}))
        self.aliases = _email_aliases(emails)
        self._names_in_file, self._names_stored = self._names([r.manager_name for r in records if r.manager_name])

    def _by_employee_id(self, employee_ids: list[str]) -> dict[str, Person]:
        """Most people found by employee id were found by email already: one instance per
        person, and only the others are loaded."""
        pk_by_employee_id: dict[str, int] = {}
        for chunk in _chunks(employee_ids, LOOKUP_CHUNK):
            pk_by_employee_id.update(Person.objects.filter(employee_id__in=chunk).values_list("employee_id", "pk"))
        loaded = {person.pk: person for person in self.by_email.values()}
        for chunk in _chunks(sorted(set(pk_by_employee_id.values()) - set(loaded)), LOOKUP_CHUNK):
            loaded.update(Person.objects.in_bulk(chunk))
        return {employee_id: loaded[pk] for employee_id, pk in pk_by_employee_id.items()}

    def _names(self, wanted: list[str]) -> tuple[dict[str, list[PersonRecord]], dict[str, list[Person]]]:
        if not wanted:
            return {}, {}
        in_file: dict[str, list[PersonRecord]] = {}
        for record in self.records:
            if "name" in record.fields:
                in_file.setdefault(normalise_person_name(record.fields["name"]), []).append(record)
        keys = sorted({normalise_person_name(name) for name in wanted})
        stored: dict[str, list[Person]] = {}
        for chunk in _chunks(keys, LOOKUP_CHUNK):
            for person in Person.objects.annotate(_lower=Lower("name")).filter(_lower__in=chunk):
                stored.setdefault(normalise_person_name(person.name), []).append(person)
        return in_file, stored

    def target(self, record: PersonRecord) -> Person | None:
        """The stored person this record updates: by employee id, else by email."""
        by_id = self.by_employee_id.get(record.employee_id) if record.employee_id else None
        return by_id or self.by_email.get(record.email_key)

    def conflict(self, record: PersonRecord) -> Problem | None:
        by_id = self.by_employee_id.get(record.employee_id) if record.employee_id else None
        by_email = self.by_email.get(record.email_key)
        if by_id and by_email and by_id.pk != by_email.pk:
            return Problem(
                record.row,
                "email",
                f"This email belongs to {by_email.name} (employee id {by_email.employee_id or 'none'}), "
                f"but employee id {record.employee_id} is {by_id.name}.",
            )
        if not by_id and by_email and record.employee_id and by_email.employee_id:
            return Problem(
                record.row,
                "employee_id",
                f"{by_email.name} has this email and employee id {by_email.employee_id}, not {record.employee_id}.",
            )
        return None

    def manager(self, record: PersonRecord) -> tuple[str, Any] | Problem | None:
        """("stored", person id) or ("new", email of a person this file creates); None when
        the row names no manager."""
        if record.manager_email:
            key = record.manager_email.lower()
            column = "manager_email"
            found = self.in_file.get(key)
        elif record.manager_name:
            column = "manager_name"
            found = self._record_named(record)
            if isinstance(found, Problem):
                return found
            key = found.email_key if found else None
        else:
            return None
        if found is not None:
            stored = self.target(found)
            return ("stored", stored.pk) if stored else ("new", found.email_key)
        if key is not None:
            if key in self.by_email:
                return ("stored", self.by_email[key].pk)
            if key in self.aliases:
                return ("stored", self.aliases[key].person_id)
            return Problem(record.row, column, "No person has this email, in this file or in saasmgr.")
        return self._stored_named(record)

    def _record_named(self, record: PersonRecord) -> PersonRecord | Problem | None:
        matches = self._names_in_file.get(normalise_person_name(record.manager_name), [])
        if len(matches) > 1:
            rows = ", ".join(str(m.row) for m in matches)
            return Problem(record.row, "manager_name", f"Rows {rows} all have this name; give the manager's email.")
        return matches[0] if matches else None

    def _stored_named(self, record: PersonRecord) -> tuple[str, int] | Problem:
        matches = self._names_stored.get(normalise_person_name(record.manager_name), [])
        if len(matches) == 1:
            return ("stored", matches[0].pk)
        if matches:
            return Problem(
                record.row, "manager_name", f"{len(matches)} people have this name; give the manager's email."
            )
        return Problem(record.row, "manager_name", "No person has this name, in this file or in saasmgr.")

    def new_aliases(self, record: PersonRecord, target: Person | None) -> list[str]:
        own = {record.email_key} | ({target.email.lower()} if target else set())
        fresh = []
        for _, value in record.aliases:
            if value.lower() not in own and value.lower() not in self.aliases and value not in fresh:
                fresh.append(value)
        return fresh


def _person_desired(record: PersonRecord, target: Person | None) -> dict[str, Any]:
    """The values this record sets (by attname), other than department and manager."""
    desired = dict(record.fields)
    if record.directory_status and target is not None and target.status == PersonStatus.TERMINATED:
        desired.pop("status", None)
    if record.employee_id:
        desired["employee_id"] = record.employee_id
    # Emails match ignoring case; a change of case alone is not an update.
    if target is None or target.email.lower() != record.email_key:
        desired["email"] = record.email
    return desired


def people_import_check(*, records: list[PersonRecord], rejected_emails: dict[str, int]) -> list[Problem]:
    """What the database and the other rows say against each record (reads only).

    ``rejected_emails`` maps the email of each row already in error to its row number.
    """
    people = _People(records)
    problems: list[Problem] = []
    row_of_target: dict[int, int] = {}
    row_of_alias: dict[str, int] = {}
    for record in records:
        target = people.target(record)
        conflict = people.conflict(record)
        if conflict:
            problems.append(conflict)
            continue
        if target is not None:
            first = row_of_target.setdefault(target.pk, record.row)
            if first != record.row:
                problems.append(Problem(record.row, "email", f"Row {first} already updates {target.name}."))
        problems.extend(_alias_problems(record, target, people, row_of_alias))
        problems.extend(_manager_problems(record, target, people, rejected_emails))
        problems.extend(_date_problems(record, target))
    return problems


def _alias_problems(record, target, people: _People, row_of_alias: dict[str, int]) -> Iterator[Problem]:
    for column, value in record.aliases:
        key = value.lower()
        if key == record.email_key:
            continue
        owner = people.by_email.get(key)
        alias = people.aliases.get(key)
        if key in people.in_file:
            yield Problem(record.row, column, f"Row {people.in_file[key].row} has this as its primary email.")
        elif owner and (target is None or owner.pk != target.pk):
            yield Problem(record.row, column, f"This is the email of {owner.name}.")
        elif alias and (target is None or alias.person_id != target.pk):
            yield Problem(record.row, column, "This email is already an alias of another person.")
        elif row_of_alias.setdefault(key, record.row) != record.row:
            yield Problem(record.row, column, f"Row {row_of_alias[key]} has the same email as an alias.")


def _manager_problems(record, target, people: _People, rejected_emails: dict[str, int]) -> Iterator[Problem]:
    manager = people.manager(record)
    column = "manager_email" if record.manager_email else "manager_name"
    if isinstance(manager, Problem):
        key = (record.manager_email or "").lower()
        if key in rejected_emails:
            yield Problem(record.row, column, f"The manager's own row (row {rejected_emails[key]}) has errors.")
        else:
            yield manager
    elif manager is not None:
        is_self = manager == ("new", record.email_key) or (target is not None and manager == ("stored", target.pk))
        if is_self:
            yield Problem(record.row, column, "A person cannot be their own manager.")


def _date_problems(record: PersonRecord, target: Person | None) -> Iterator[Problem]:
    desired = _person_desired(record, target)
    start = desired.get("start_date", target.start_date if target else None)
    end = desired.get("termination_date", target.termination_date if target else None)
    status = desired.get("status", target.status if target else PersonStatus.ACTIVE)
    if start and end and end < start:
        where = "this row" if "start_date" in desired else "saasmgr"
        yield Problem(
            record.row, "termination_date", f"The termination date is before the start date ({start} in {where})."
        )
    if status == PersonStatus.TERMINATED and not end:
        yield Problem(record.row, "termination_date", "A terminated person needs a termination date.", value="")


def _managers_first(records: list[PersonRecord], people: _People) -> list[list[PersonRecord]]:
    """The records in levels: a person this file creates sits in a level before the people
    they manage, so their id exists when the reports are written. In a cycle of managers
    (bad data, but possible) one manager is set after everyone is written."""
    manager_of = {}
    for record in records:
        manager = people.manager(record)
        if isinstance(manager, tuple) and manager[0] == "new":
            manager_of[record.email_key] = manager[1]
    depth: dict[str, int] = {}
    for record in records:
        chain, seen, current = [], set(), record.email_key
        while current is not None and current not in depth and current not in seen:
            chain.append(current)
            seen.add(current)
            current = manager_of.get(current)
        level = depth.get(current, -1) if current is not None else -1
        for email in reversed(chain):
            level += 1
            depth[email] = level
    levels: dict[int, list[PersonRecord]] = {}
    for record in records:
        levels.setdefault(depth[record.email_key], []).append(record)
    return [levels[level] for level in sorted(levels)]


class _PeopleWriter:
    """Writes people chunk by chunk, remembering the ids of the people it created."""

    def __init__(self, records: list[PersonRecord], *, user, change_reason: str):
        self.people = _People(records)
        self.user, self.change_reason = user, change_reason
        self.counts = WriteCounts()
        self.departments, self.counts.also_created["department"] = _named_records_ensure(
            Department, [r.department for r in records if r.department], user=user, change_reason=change_reason
        )
        self.created_ids: dict[str, int] = {}
        self.deferred_managers: list[tuple[Person, str]] = []
        self.aliases_created = 0

    def write_chunk(self, chunk: list[PersonRecord]) -> None:
        to_create, to_update, changed_fields, new_aliases = [], [], set(), []
        for record in chunk:
            target = self.people.target(record)
            desired = _person_desired(record, target)
            if record.department:
                desired["department_id"] = self.departments[record.department.lower()].pk
            waits_for = _set_manager(desired, self.people.manager(record), self.created_ids)
            aliases = self.people.new_aliases(record, target)
            person = target or Person()
            changes = _changes(person, desired) if target else desired
            for attname, value in changes.items():
                setattr(person, attname, value)
            if target is None:
                to_create.append(person)
                self.counts.created += 1
            else:
                if changes:
                    to_update.append(person)
                    changed_fields |= set(changes)
                self._count_existing(bool(changes or aliases or waits_for))
            if waits_for:
                self.deferred_managers.append((person, waits_for))
            new_aliases.extend((person, value) for value in aliases)
        for person in bulk_create_with_history(
            to_create, Person, default_user=self.user, default_change_reason=self.change_reason
        ):
            self.created_ids[person.email.lower()] = person.pk
        _bulk_update(Person, to_update, changed_fields, user=self.user, change_reason=self.change_reason)
        aliases = [PersonAlias(person_id=person.pk, kind=AliasKind.EMAIL, value=value) for person, value in new_aliases]
        self.aliases_created += len(PersonAlias.objects.bulk_create(aliases))

    def _count_existing(self, changed: bool) -> None:
        if changed:
            self.counts.updated += 1
        else:
            self.counts.unchanged += 1

    def finish(self) -> WriteCounts:
        for person, manager_email in self.deferred_managers:
            person.manager_id = self.created_ids[manager_email]
        people = [person for person, _ in self.deferred_managers]
        _bulk_update(Person, people, {"manager_id"}, user=self.user, change_reason=self.change_reason)
        self.counts.also_created["email alias"] = self.aliases_created
        return self.counts


@transaction.atomic
def people_upsert(
    *,
    records: list[PersonRecord],
    user=None,
    change_reason: str = "",
    on_progress: Progress | None = None,
    chunk_size: int = 200,
) -> WriteCounts:
    """Create or update one person per record (matched by employee id, else by email
    ignoring case), with their departments, managers and email aliases."""
    writer = _PeopleWriter(records, user=user, change_reason=change_reason)
    processed = 0
    for level in _managers_first(records, writer.people):
        for chunk in _chunks(level, chunk_size):
            writer.write_chunk(chunk)
            processed += len(chunk)
            if on_progress:
                on_progress(processed)
    return writer.finish()


def _set_manager(desired: dict[str, Any], manager, created_ids: dict[str, int]) -> str | None:
    """Put the manager's id into ``desired``; returns the email of a manager not created yet."""
    if not isinstance(manager, tuple):
        return None
    kind, key = manager
    if kind == "stored":
        desired["manager_id"] = key
    elif key in created_ids:
        desired["manager_id"] = created_ids[key]
    else:
        return key
    return None


# Applications


@dataclass
class ApplicationRecord:
    row: int
    name: str
    fields: dict[str, Any] = field(default_factory=dict)  # of APPLICATION_FIELDS
    vendor: str | None = None
    category: str | None = None
    business_owner_email: str | None = None
    it_owner_email: str | None = None

    @property
    def owner_emails(self) -> dict[str, str]:
        return {
            column: email
            for column, email in (
                ("business_owner_email", self.business_owner_email),
                ("it_owner_email", self.it_owner_email),
            )
            if email
        }


def applications_import_check(*, records: list[ApplicationRecord]) -> list[Problem]:
    """Owners must be people saasmgr knows, by email or email alias (reads only)."""
    known = _person_ids_by_email(email for record in records for email in record.owner_emails.values())
    return [
        Problem(
            record.row,
            column,
            "No person has this email or email alias. Add them under People, or import people first.",
        )
        for record in records
        for column, email in record.owner_emails.items()
        if email.lower() not in known
    ]


@transaction.atomic
def applications_upsert(
    *,
    records: list[ApplicationRecord],
    user=None,
    change_reason: str = "",
    on_progress: Progress | None = None,
    chunk_size: int = 200,
) -> WriteCounts:
    """Create or update one application per record, matched by name ignoring case; vendors
    (also matched through their aliases) and categories are created when new."""
    counts = WriteCounts()
    vendor_names = [r.vendor for r in records if r.vendor]
    aliases = _by_lower(VendorAlias, "alias", vendor_names)
    aliased_vendors = Vendor.objects.in_bulk({alias.vendor_id for alias in aliases.values()})
    vendor_aliases = {lower: aliased_vendors[alias.vendor_id] for lower, alias in aliases.items()}
    vendors, counts.also_created["vendor"] = _named_records_ensure(
        Vendor, vendor_names, user=user, change_reason=change_reason, aliases=vendor_aliases
    )
    categories, counts.also_created["category"] = _named_records_ensure(
        Category, [r.category for r in records if r.category], user=user, change_reason=change_reason
    )
    owners = _person_ids_by_email(email for record in records for email in record.owner_emails.values())
    existing = _by_lower(Application, "name", (record.name for record in records))
    processed = 0
    for chunk in _chunks(records, chunk_size):
        to_create, to_update, changed_fields = [], [], set()
        for record in chunk:
            desired = _application_desired(record, vendors, categories, owners)
            target = existing.get(record.name.lower())
            if target is None:
                to_create.append(
                    Application(name=record.name, **{"discovery_source": DiscoverySource.IMPORT, **desired})
                )
                counts.created += 1
                continue
            changes = _changes(target, desired)
            for attname, value in changes.items():
                setattr(target, attname, value)
            if changes:
                to_update.append(target)
                changed_fields |= set(changes)
                counts.updated += 1
            else:
                counts.unchanged += 1
        bulk_create_with_history(to_create, Application, default_user=user, default_change_reason=change_reason)
        _bulk_update(Application, to_update, changed_fields, user=user, change_reason=change_reason)
        processed += len(chunk)
        if on_progress:
            on_progress(processed)
    return counts


def _application_desired(record: ApplicationRecord, vendors, categories, owners) -> dict[str, Any]:
    desired = dict(record.fields)
    if record.vendor:
        desired["vendor_id"] = vendors[record.vendor.lower()].pk
    if record.category:
        desired["category_id"] = categories[record.category.lower()].pk
    for column, email in record.owner_emails.items():
        desired[column.removesuffix("_email") + "_id"] = owners[email.lower()]
    return desired
