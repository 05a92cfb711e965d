"""Plans count their enrolments (``Plan.enrolled``), so a list of plans no longer counts millions of rows.

The trigger of 0002 refused every UPDATE of a plan with enrolments; the counter must move with
each enrolment, so the trigger now refuses a change of any other column (the plan's rules). Then
the counter is filled from the enrolments. On SQLite, adding a column remakes the table, which
drops its triggers: the trigger is (re)created after the column, and the old one restored after
the column is removed on the way back.
"""

from django.db import migrations, models

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION mutualaid_plan_locked() RETURNS trigger AS $$
DECLARE
    rules mutualaid_plan;
BEGIN
    -- The row as it was, but for the enrolment counter: anything else is a change of the rules.
    rules := NEW;
    rules.enrolled := OLD.enrolled;
    IF rules IS DISTINCT FROM OLD AND EXISTS (SELECT 1 FROM mutualaid_enrolment WHERE plan_id = OLD.id) THEN
        RAISE EXCEPTION 'mutual-aid plan % has enrolments: it can no longer change', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""
PG_OLD_FUNCTION = """
CREATE OR REPLACE FUNCTION mutualaid_plan_locked() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM mutualaid_enrolment WHERE plan_id = OLD.id) THEN
        RAISE EXCEPTION 'mutual-aid plan % has enrolments: it can no longer change', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""
SQLITE_TRIGGER = """
CREATE TRIGGER mutualaid_plan_locked BEFORE UPDATE ON mutualaid_plan
WHEN EXISTS (SELECT 1 FROM mutualaid_enrolment WHERE plan_id = OLD.id) AND ({changed})
BEGIN
    SELECT RAISE(ABORT, 'mutual-aid plan has enrolments: it can no longer change');
END;
"""
SQLITE_OLD_TRIGGER = """
CREATE TRIGGER mutualaid_plan_locked BEFORE UPDATE ON mutualaid_plan
WHEN EXISTS (SELECT 1 FROM mutualaid_enrolment WHERE plan_id = OLD.id)
BEGIN
    SELECT RAISE(ABORT, 'mutual-aid plan has enrolments: it can no longer change');
END;
"""
SQLITE_DROP = "DROP TRIGGER IF EXISTS mutualaid_plan_locked;"
BACKFILL = """
UPDATE mutualaid_plan SET enrolled = (SELECT COUNT(*) FROM mutualaid_enrolment e WHERE e.plan_id = mutualaid_plan.id)
"""


def lock_rules(apps, schema_editor):
    """The trigger that lets only the counter change once anyone is enrolled; then the counts."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION, None)
    elif vendor == "sqlite":
        qn = schema_editor.quote_name
        columns = [f.column for f in apps.get_model("mutualaid", "Plan")._meta.concrete_fields
                   if f.column not in ("id", "enrolled")]
        schema_editor.execute(SQLITE_DROP)
        schema_editor.execute(SQLITE_TRIGGER.format(
            changed=" OR ".join(f"OLD.{qn(c)} IS NOT NEW.{qn(c)}" for c in columns)))
    schema_editor.execute(BACKFILL, None)


def unlock_counter(apps, schema_editor):
    """Back to 0002's trigger (on SQLite it comes back after the column is gone: see restore_old)."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_OLD_FUNCTION, None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP)


def restore_old(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP)
        schema_editor.execute(SQLITE_OLD_TRIGGER)


class Migration(migrations.Migration):

    dependencies = [
        ("mutualaid", "0004_payout_enrolment_index"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, restore_old),
        migrations.AddField(
            model_name="plan",
            name="enrolled",
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name="members enrolled"),
        ),
        migrations.RunPython(lock_rules, unlock_counter),
    ]
