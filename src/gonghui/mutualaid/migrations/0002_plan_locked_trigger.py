"""The database refuses to change a plan year once anyone is enrolled in it (the services refuse first)."""

from django.db import migrations

PG_CREATE = """
CREATE OR REPLACE FUNCTION mutualaid_plan_locked() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM mutualaid_enrolment WHERE plan_id = OLD.id) THEN
        RAISE EXCEPTION 'mutual-aid plan % has enrolments: it can no longer change', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER mutualaid_plan_locked BEFORE UPDATE ON mutualaid_plan
    FOR EACH ROW EXECUTE FUNCTION mutualaid_plan_locked();
"""
PG_DROP = """
DROP TRIGGER IF EXISTS mutualaid_plan_locked ON mutualaid_plan;
DROP FUNCTION IF EXISTS mutualaid_plan_locked();
"""
SQLITE_CREATE = """
CREATE TRIGGER mutualaid_plan_locked BEFORE UPDATE ON mutualaid_plan
WHEN EXISTS (SELECT 1 FROM mutualaid_enrolment WHERE plan_id = OLD.id)
BEGIN
    SELECT RAISE(ABORT, 'mutual-aid plan has enrolments: it can no longer change');
END;
"""
SQLITE_DROP = "DROP TRIGGER IF EXISTS mutualaid_plan_locked;"


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_CREATE, None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DROP, None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP)


class Migration(migrations.Migration):
    dependencies = [("mutualaid", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
