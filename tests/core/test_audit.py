"""The audit log: one entry per write, append-only, and every change to it shows."""

import io
import sqlite3
from importlib import import_module

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from gonghui.core import audit
from gonghui.core.middleware import AuditContextMiddleware
from gonghui.core.models import AuditEntry, AuditHead
from gonghui.core.services import api_token_issue
from gonghui.members.services import member_create, member_reveal_id_number, member_update
from gonghui.orgs.services import org_create, org_update
from tests.factories import valid_id_number


def drop_append_only_trigger():
    """Tests that play the attacker first remove the database's own refusal (rolled back after the test)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER core_auditentry_no_update ON core_auditentry")
        else:
            cursor.execute("DROP TRIGGER core_auditentry_no_update")
            cursor.execute("DROP TRIGGER core_auditentry_no_delete")


def verify_output() -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, err.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def log(tree, nb_cadre):
    """Five entries: seq 1..5."""
    for i in range(5):
        audit.record(actor=nb_cadre, action="test.write", obj=tree.yz, org_path=tree.yz.path, data={"n": i})
    return list(AuditEntry.objects.order_by("seq"))


# --- one entry per write ------------------------------------------------------------------


def last_entry() -> AuditEntry:
    return AuditEntry.objects.order_by("-seq").first()


@pytest.mark.parametrize("write,action", [
    (lambda t, u: org_create(actor=u, parent=t.yz, code="YZNEW", name="新工会", kind="enterprise"), "org.create"),
    (lambda t, u: org_update(actor=u, org=t.yze, name="改名"), "org.update"),
    (lambda t, u: member_create(actor=u, org=t.yze, name="甲", id_number=valid_id_number(7001)), "member.create"),
])
def test_every_service_write_records_one_entry_with_actor_action_object_and_org(tree, yz_cadre, write, action):
    before = AuditEntry.objects.count()
    obj = write(tree, yz_cadre)
    assert AuditEntry.objects.count() == before + 1
    entry = last_entry()
    assert (entry.actor, entry.actor_name, entry.action) == (yz_cadre, "yz_cadre", action)
    assert (entry.object_type, entry.object_id) == (obj._meta.label_lower, str(obj.pk))
    assert entry.org_path == obj.path if hasattr(obj, "path") else entry.org_path == obj.org_path
    assert entry.org_path.startswith(tree.yz.path)


def test_a_member_update_records_what_changed_masked(tree, yz_cadre):
    member = member_create(actor=yz_cadre, org=tree.yze, name="甲", id_number=valid_id_number(7002), phone="13900001234")
    before = AuditEntry.objects.count()
    member_update(actor=yz_cadre, member=member, name="乙", phone="13900005678")
    assert AuditEntry.objects.count() == before + 1
    entry = last_entry()
    assert entry.action == "member.update"
    assert entry.data["changes"] == {"name": ["甲", "乙"], "phone_masked": ["139****1234", "139****5678"]}


def test_every_reveal_is_recorded(tree, yz_cadre):
    member = member_create(actor=yz_cadre, org=tree.yze, name="甲", id_number=valid_id_number(7003))
    member_reveal_id_number(actor=yz_cadre, member=member)
    entry = last_entry()
    assert (entry.action, entry.object_id, entry.actor) == ("member.reveal_id", str(member.pk), yz_cadre)
    assert entry.data == {"id_masked": member.id_masked}


def test_issuing_an_api_token_is_recorded(tree, yz_cadre):
    api_token_issue(user=yz_cadre)
    assert last_entry().action == "auth.token_issue"


def test_a_refused_write_records_nothing(tree, bl_cadre):
    before = AuditEntry.objects.count()
    with pytest.raises(Exception):
        org_update(actor=bl_cadre, org=tree.yze, name="越权")
    assert AuditEntry.objects.count() == before


def test_the_address_of_the_request_is_recorded(tree, yz_cadre):
    request = RequestFactory().post("/staff/x", REMOTE_ADDR="203.0.113.7")
    middleware = AuditContextMiddleware(lambda r: org_update(actor=yz_cadre, org=tree.yze, name="经由请求"))
    middleware(request)
    assert last_entry().ip == "203.0.113.7"


def test_outside_a_request_there_is_no_address(tree, yz_cadre):
    org_update(actor=yz_cadre, org=tree.yze, name="命令行")
    assert last_entry().ip is None


@pytest.mark.parametrize("raw,stored", [
    ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
    ("::ffff:192.0.2.1", "192.0.2.1"),
    ("fe80::1%eth0", "fe80::1"),
    ("not an address", None),
    ("", None),
])
def test_addresses_are_stored_in_the_form_the_database_gives_back(tree, yz_cadre, raw, stored):
    token = audit.request_ip.set(raw)
    try:
        org_update(actor=yz_cadre, org=tree.yze, name=f"地址{raw}")
    finally:
        audit.request_ip.reset(token)
    entry = AuditEntry.objects.get(pk=last_entry().pk)
    assert entry.ip == stored
    assert list(audit.verify()) == []


def test_data_with_dates_and_decimals_survives_the_round_trip(tree, yz_cadre):
    import datetime as dt
    from decimal import Decimal

    audit.record(actor=yz_cadre, action="test.types", data={"day": dt.date(2024, 1, 2), "amount": Decimal("12.30"),
                                                              "nested": {"b": [1, 2], "a": "中文"}})
    assert list(audit.verify()) == []


# --- the chain ----------------------------------------------------------------------------


def test_entries_are_chained_in_sequence(log):
    assert [e.seq for e in log] == [1, 2, 3, 4, 5]
    assert log[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(log, log[1:]))
    head = AuditHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (5, log[-1].hash)


def test_an_intact_log_verifies(log):
    assert list(audit.verify()) == []
    code, output = verify_output()
    assert code == 0 and output.startswith("audit log intact: 5 entries\n")


def test_an_empty_log_verifies(db):
    assert verify_output() == (0, "audit log intact: 0 entries\n")


def test_verify_ends_with_its_message_and_closes_the_walk(log, monkeypatch):
    drop_append_only_trigger()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE seq = 2")
    walks = []
    real = audit.verify
    monkeypatch.setattr(audit, "verify", lambda *a, **k: walks.append(real(*a, **k)) or walks[-1])
    code, message = verify_output()
    assert (code, message) == (1, "audit log broken at entry 2: entry 2 is missing\n")
    # A walk left open holds a database cursor; closed at exit after the connection, it printed a traceback.
    assert walks[0].gi_frame is None


def test_changed_data_is_detected(log):
    drop_append_only_trigger()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET data = %s WHERE seq = 3", ['{"n": 99}'])
    breaks = list(audit.verify())
    assert breaks[0].seq == 3 and "changed" in breaks[0].reason
    code, message = verify_output()
    assert code == 1 and "entry 3" in message


@pytest.mark.parametrize("field,value", [
    ("actor_name", "someone_else"), ("action", "test.other"), ("org_path", "0001"), ("object_id", "999"),
    ("ip", "198.51.100.1"),
])
def test_any_changed_field_is_detected(log, field, value):
    drop_append_only_trigger()
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE core_auditentry SET {field} = %s WHERE seq = 2", [value])  # noqa: S608
    assert next(audit.verify()).seq == 2


def test_a_changed_time_is_detected(log):
    drop_append_only_trigger()
    AuditEntry.objects.filter(seq=4).update(at=log[3].at.replace(year=2000))
    assert next(audit.verify()).seq == 4


def test_a_recomputed_hash_still_breaks_the_link_to_the_next_entry(log):
    drop_append_only_trigger()
    entry = log[2]
    fields = {k: getattr(entry, k) for k in ("seq", "at", "actor_id", "actor_name", "action", "object_type",
                                             "object_id", "org_path", "ip")}
    fields["data"] = {"n": 99}
    forged = audit._entry_hash(entry.prev_hash, **fields)
    AuditEntry.objects.filter(seq=3).update(data={"n": 99}, hash=forged)
    breaks = list(audit.verify())
    assert breaks[0].seq == 4 and "previous" in breaks[0].reason


@pytest.mark.parametrize("seq", [1, 3, 5], ids=["first", "middle", "last"])
def test_a_deleted_entry_is_detected_wherever_it_was(log, seq):
    drop_append_only_trigger()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE seq = %s", [seq])
    assert next(audit.verify()).seq == seq
    code, message = verify_output()
    assert code == 1 and f"entry {seq}" in message


def test_verify_all_lists_every_break(log):
    drop_append_only_trigger()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET action = 'x' WHERE seq IN (2, 4)")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit):
        call_command("audit", "verify", "--all", stdout=out, stderr=err)
    assert "entry 2" in err.getvalue() and "entry 4" in err.getvalue()


def test_appending_after_a_verified_log_keeps_it_intact(log, tree, yz_cadre):
    org_update(actor=yz_cadre, org=tree.yze, name="再写一条")
    assert verify_output()[0] == 0


# --- append-only --------------------------------------------------------------------------


def test_the_orm_refuses_to_save_an_existing_entry(log):
    entry = log[0]
    entry.action = "changed"
    with pytest.raises(RuntimeError, match="append-only"):
        entry.save()


def test_the_orm_refuses_to_delete_an_entry(log):
    with pytest.raises(RuntimeError, match="append-only"):
        log[0].delete()


def test_the_database_refuses_a_raw_update(log):
    with pytest.raises(DatabaseError):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE core_auditentry SET action = 'x' WHERE seq = 1")
    assert AuditEntry.objects.get(seq=1).action == "test.write"


def test_the_database_refuses_a_queryset_update(log):
    with pytest.raises(DatabaseError):
        with transaction.atomic():
            AuditEntry.objects.filter(seq=1).update(action="x")


@pytest.mark.parametrize("sql", ["DELETE FROM core_auditentry WHERE seq = 1", "DELETE FROM core_auditentry"])
def test_the_database_refuses_a_raw_delete(log, sql):
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEntry.objects.count() == 5


def test_postgresql_refuses_truncate(log):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE (DELETE is refused, above)")
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's own transaction holds deferred checks
            cursor.execute("TRUNCATE core_auditentry")
    assert AuditEntry.objects.count() == 5


def test_only_the_controlled_purge_empties_the_table(log):
    with audit.purge_allowed(), transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's own transaction holds deferred checks
            cursor.execute("TRUNCATE core_auditentry")
        else:
            cursor.execute("DELETE FROM core_auditentry")
    assert not AuditEntry.objects.exists()
    audit.record(actor=None, action="test.after")
    with pytest.raises(DatabaseError, match="append-only"):  # and only while inside it
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM core_auditentry")


def test_a_sqlite_client_without_the_application_cannot_delete():
    migration = import_module("gonghui.core.migrations.0005_audit_refuse_delete_and_truncate")
    other = sqlite3.connect(":memory:")  # e.g. the sqlite3 shell: it has no gonghui_audit_purge()
    other.execute("CREATE TABLE core_auditentry (seq integer)")
    other.execute("INSERT INTO core_auditentry VALUES (1)")
    other.executescript(migration.SQLITE_UP)
    with pytest.raises(sqlite3.OperationalError, match="gonghui_audit_purge"):
        other.execute("DELETE FROM core_auditentry")
    assert other.execute("SELECT COUNT(*) FROM core_auditentry").fetchone() == (1,)


def test_the_command_needs_a_subcommand(db):
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("audit")


def test_a_missing_head_record_is_detected(log):
    AuditHead.objects.all().delete()
    assert next(audit.verify()).seq == 1


def test_an_entry_added_behind_the_logs_back_is_detected(log):
    last = log[-1]
    fields = dict(seq=6, at=last.at, actor_id=None, actor_name="", action="forged", object_type="", object_id="",
                  org_path="", ip=None, data={})
    AuditEntry.objects.create(prev_hash=last.hash, hash=audit._entry_hash(last.hash, **fields), **fields)
    brk = next(audit.verify())
    assert brk.seq == 6 and "outside the log" in brk.reason


def test_a_user_who_acted_cannot_be_deleted_and_the_log_stays_whole(log, nb_cadre):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        nb_cadre.delete()
    assert list(audit.verify()) == []


def test_a_user_who_never_acted_can_be_deleted(db):
    from tests.factories import UserFactory

    UserFactory().delete()


def test_behind_the_proxy_the_address_it_saw_is_recorded(tree, yz_cadre, settings):
    settings.BEHIND_PROXY = True
    request = RequestFactory().post("/staff/x", REMOTE_ADDR="10.0.0.2",
                                    HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")  # first hop: client's claim
    AuditContextMiddleware(lambda r: org_update(actor=yz_cadre, org=tree.yze, name="经由代理"))(request)
    assert last_entry().ip == "203.0.113.9"


def test_without_a_proxy_a_forwarded_header_is_ignored(tree, yz_cadre):
    request = RequestFactory().post("/staff/x", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="1.2.3.4")
    AuditContextMiddleware(lambda r: org_update(actor=yz_cadre, org=tree.yze, name="直连"))(request)
    assert last_entry().ip == "203.0.113.7"
