"""A member's union and account are checked once per statement, not once per row.

As foreign keys, ``Member.org`` and ``Member.user`` queued a deferred check for every member
written, run at commit: for a million-row roster import that was a million look-ups (and row locks)
on the unions and a million more calls for the empty account, 12 s of an 86 s import. On
PostgreSQL, statement-level triggers keep what the two keys promised, set-based:

- ``members_member_keys_exist`` (after an INSERT, COPY or UPDATE of members): every union and
  account the rows name exists, else the statement fails (foreign_key_violation). The rows named
  are locked FOR KEY SHARE, as a foreign key's check locks them, so a union or account being
  deleted meanwhile waits for the writing transaction and then sees its members;
- ``members_org_kept`` (after a DELETE of unions): none of them has a member, else the statement
  fails (restrict_violation), as PROTECT does in the ORM;
- ``members_user_gone`` (after a DELETE of accounts): their members keep no account (SET_NULL).

The indexes on ``org_id`` and ``user_id`` stay: the union's member lists and the account's
``member`` read them, and so do the delete triggers. SQLite keeps no such guard: there the ORM's
``on_delete`` is the only one, as for the mutual-aid keys (mutualaid 0008).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from gonghui.core.pg import on_postgresql

CREATE = """
CREATE FUNCTION members_member_keys_exist() RETURNS trigger AS $$
DECLARE
    named bigint;
    found bigint;
BEGIN
    SELECT count(DISTINCT org_id) INTO named FROM new_members;
    PERFORM FROM orgs_org o WHERE o.id IN (SELECT org_id FROM new_members) FOR KEY SHARE OF o;
    GET DIAGNOSTICS found = ROW_COUNT;
    IF found < named THEN
        RAISE EXCEPTION 'a member names a union that does not exist'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    SELECT count(DISTINCT user_id) INTO named FROM new_members WHERE user_id IS NOT NULL;
    IF named > 0 THEN
        PERFORM FROM auth_user u WHERE u.id IN (SELECT user_id FROM new_members) FOR KEY SHARE OF u;
        GET DIAGNOSTICS found = ROW_COUNT;
        IF found < named THEN
            RAISE EXCEPTION 'a member names an account that does not exist'
                USING ERRCODE = 'foreign_key_violation';
        END IF;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER members_member_keys_exist AFTER INSERT ON members_member
    REFERENCING NEW TABLE AS new_members FOR EACH STATEMENT EXECUTE FUNCTION members_member_keys_exist();
CREATE TRIGGER members_member_keys_exist_update AFTER UPDATE ON members_member
    REFERENCING NEW TABLE AS new_members FOR EACH STATEMENT EXECUTE FUNCTION members_member_keys_exist();

CREATE FUNCTION members_org_kept() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM gone g JOIN members_member m ON m.org_id = g.id) THEN
        RAISE EXCEPTION 'a union with members cannot be deleted'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER members_org_kept AFTER DELETE ON orgs_org
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION members_org_kept();

CREATE FUNCTION members_user_gone() RETURNS trigger AS $$
BEGIN
    UPDATE members_member SET user_id = NULL WHERE user_id IN (SELECT id FROM gone);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER members_user_gone AFTER DELETE ON auth_user
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION members_user_gone();
"""
DROP = """
DROP TRIGGER IF EXISTS members_member_keys_exist ON members_member;
DROP TRIGGER IF EXISTS members_member_keys_exist_update ON members_member;
DROP TRIGGER IF EXISTS members_org_kept ON orgs_org;
DROP TRIGGER IF EXISTS members_user_gone ON auth_user;
DROP FUNCTION IF EXISTS members_member_keys_exist();
DROP FUNCTION IF EXISTS members_org_kept();
DROP FUNCTION IF EXISTS members_user_gone();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0006_exportjob'),
        ('orgs', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Backwards, the triggers go before the keys come back (RunPython reverses first).
        migrations.AlterField(
            model_name='member',
            name='org',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='members', to='orgs.org', verbose_name='union'),
        ),
        migrations.AlterField(
            model_name='member',
            name='user',
            field=models.OneToOneField(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='member', to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunPython(on_postgresql(CREATE), on_postgresql(DROP)),
    ]
