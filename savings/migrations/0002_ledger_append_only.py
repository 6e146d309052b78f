"""The savings ledger is append-only in the database itself: a trigger refuses every UPDATE and DELETE of
``savings_ledgerentry`` on PostgreSQL and SQLite, whoever sends it (the ORM, a raw query, a SQL console)."""

from django.db import migrations

MESSAGE = "savings_ledgerentry is append-only: {op} is refused; correct an entry with a reversing entry"

POSTGRES_CREATE = f"""
CREATE OR REPLACE FUNCTION savings_ledger_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'restrict_violation',
        MESSAGE = replace('{MESSAGE}', '{{op}}', TG_OP);
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER savings_ledger_append_only
    BEFORE UPDATE OR DELETE ON savings_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION savings_ledger_refuse_change();
"""
POSTGRES_DROP = """
DROP TRIGGER IF EXISTS savings_ledger_append_only ON savings_ledgerentry;
DROP FUNCTION IF EXISTS savings_ledger_refuse_change();
"""
SQLITE_CREATE = [
    f"""CREATE TRIGGER savings_ledger_no_{op.lower()} BEFORE {op} ON savings_ledgerentry
    BEGIN SELECT RAISE(ABORT, '{MESSAGE.format(op=op)}'); END;"""
    for op in ("UPDATE", "DELETE")
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS savings_ledger_no_update;", "DROP TRIGGER IF EXISTS savings_ledger_no_delete;"]


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_CREATE)
    elif vendor == "sqlite":
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"The append-only ledger trigger is written for PostgreSQL and SQLite, not {vendor}.")


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("savings", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
