"""The database refuses to delete audit lines on SQLite too, and to TRUNCATE them on PostgreSQL.

Both leave one way open: a connection inside ``gonghui.core.audit.purge_allowed()`` (the test
suite's flush between tests). On SQLite the trigger asks ``gonghui_audit_purge()``, a function
that only the application's connections define, so other clients (the sqlite3 shell) are refused
too; on PostgreSQL it reads the session setting ``gonghui.audit_purge``.
"""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION core_auditentry_no_truncate() RETURNS trigger AS $$
BEGIN
  IF coalesce(current_setting('gonghui.audit_purge', true), '') = 'on' THEN RETURN NULL; END IF;
  RAISE EXCEPTION 'the audit log is append-only';
END; $$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditentry_no_truncate BEFORE TRUNCATE ON core_auditentry
FOR EACH STATEMENT EXECUTE FUNCTION core_auditentry_no_truncate();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS core_auditentry_no_truncate ON core_auditentry;
DROP FUNCTION IF EXISTS core_auditentry_no_truncate();
"""
SQLITE_UP = """
CREATE TRIGGER core_auditentry_no_delete BEFORE DELETE ON core_auditentry WHEN NOT gonghui_audit_purge()
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS core_auditentry_no_delete;"


def forwards(apps, schema_editor):
    schema_editor.execute(PG_UP if schema_editor.connection.vendor == "postgresql" else SQLITE_UP)


def backwards(apps, schema_editor):
    sql = PG_DOWN if schema_editor.connection.vendor == "postgresql" else SQLITE_DOWN
    for statement in filter(str.strip, sql.split(";")):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("core", "0004_accountphone_smscode")]
    operations = [migrations.RunPython(forwards, backwards)]
