"""A member's union and account are checked per statement on PostgreSQL (members migration 0007):
raw SQL that bypasses the ORM still cannot leave a member pointing at nothing."""

import threading

import psycopg
import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import ProtectedError

from gonghui.members.models import Member
from gonghui.orgs.models import Org
from tests.factories import UserFactory, make_member, make_org

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the statement-level guards are PostgreSQL triggers"),
]

MISSING = 10**9


def run(sql: str, params: list) -> None:
    with connection.cursor() as cursor, transaction.atomic():
        cursor.execute(sql, params)


def copy_of(member_id: int, **changes) -> tuple[str, list]:
    """An INSERT of a new member copied from ``member_id`` with columns changed (another person)."""
    changes = {"id_hash": "x" * 64, "card_number": None, **changes}
    columns = ("org_id", "org_path", "name", "id_hash", "id_cipher", "id_masked", "birth_date", "sex",
               "region_code", "phone_hash", "phone_masked", "pii_key_id", "category", "is_new_form", "employer",
               "joined_on", "left_reason", "status", "card_number", "user_id", "created_at", "updated_at")
    select = ", ".join("%s" if c in changes else c for c in columns)
    params = [changes[c] for c in columns if c in changes]
    return (f"INSERT INTO members_member ({', '.join(columns)}) SELECT {select} FROM members_member WHERE id = %s",
            [*params, member_id])


def test_a_member_cannot_name_a_union_or_account_that_does_not_exist(db):
    org = make_org()
    member = make_member(org)
    with pytest.raises(IntegrityError, match="names a union that does not exist"):
        run(*copy_of(member.pk, org_id=MISSING))
    with pytest.raises(IntegrityError, match="names an account that does not exist"):
        run(*copy_of(member.pk, user_id=MISSING))
    with pytest.raises(IntegrityError, match="names a union that does not exist"):
        run("UPDATE members_member SET org_id = %s WHERE id = %s", [MISSING, member.pk])
    with pytest.raises(IntegrityError, match="names an account that does not exist"):
        run("UPDATE members_member SET user_id = %s WHERE id = %s", [MISSING, member.pk])
    # Real ones go in.
    user = UserFactory()
    run(*copy_of(member.pk, user_id=user.pk))
    other = make_org()
    run("UPDATE members_member SET org_id = %s WHERE id = %s", [other.pk, member.pk])
    assert list(other.members.all()) == [member] and user.member.org_id == org.pk


def test_a_union_with_members_cannot_be_deleted_and_a_deleted_account_lets_go_of_its_member(db):
    org, empty = make_org(), make_org()
    user = UserFactory()
    member = make_member(org)
    Member.objects.filter(pk=member.pk).update(user=user)
    with pytest.raises(IntegrityError, match="union with members cannot be deleted"):
        run("DELETE FROM orgs_org WHERE id = %s", [org.pk])
    with pytest.raises(ProtectedError):
        org.delete()
    run("DELETE FROM orgs_org WHERE id = %s", [empty.pk])
    assert not Org.objects.filter(pk=empty.pk).exists()
    run("DELETE FROM auth_user WHERE id = %s", [user.pk])
    member.refresh_from_db()
    assert member.user_id is None and member.org_id == org.pk


def test_a_union_being_deleted_waits_for_the_member_written_meanwhile(transactional_db):
    """As a foreign key's check does, the trigger locks the unions it finds: a delete of the union
    in another session waits for the writing transaction (here: until its lock timeout)."""
    org = make_org()
    member = make_member(make_org())
    outcome = []

    def delete_union():
        try:
            with connection.cursor() as cursor, transaction.atomic():
                cursor.execute("SET LOCAL lock_timeout = '300ms'")
                cursor.execute("DELETE FROM orgs_org WHERE id = %s", [org.pk])
            outcome.append("deleted")
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            outcome.append(exc)
        finally:
            connections.close_all()

    with transaction.atomic():
        run(*copy_of(member.pk, org_id=org.pk))  # not committed yet
        thread = threading.Thread(target=delete_union)
        thread.start()
        thread.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0].__cause__, psycopg.errors.LockNotAvailable), outcome
    assert Org.objects.filter(pk=org.pk).exists() and org.members.count() == 1
