"""Writes to the real-name member database."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from gonghui.core.ids import is_luhn_valid, make_id_number
from gonghui.core.models import AuditEntry
from gonghui.members.models import Member
from gonghui.members.services import (
    CARD_PREFIX,
    AlreadyAMember,
    member_create,
    member_reveal_id_number,
    member_update,
)
from tests.factories import make_member, valid_id_number

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
ID_X = make_id_number("330212", dt.date(1985, 6, 15), 9)  # ends with X
assert ID_X.endswith("X")


def create(actor, org, **fields):
    fields = {"name": "王小明", "id_number": valid_id_number(), **fields}
    return member_create(actor=actor, org=org, **fields)


def snapshot():
    return Member.objects.count(), AuditEntry.objects.count()


# --- create -------------------------------------------------------------------------------


def test_it_creates_a_member_with_what_the_id_number_tells(tree, yz_cadre):
    number = make_id_number("330212", dt.date(1990, 5, 17), 123)
    member = create(yz_cadre, tree.yze, id_number=number, phone="13912345678", category="courier",
                    is_new_form=True, employer=" 某某  快递 ", joined_on=dt.date(2020, 1, 1))
    member.refresh_from_db()
    assert (member.birth_date, member.sex, member.region_code) == (dt.date(1990, 5, 17), "M", "330212")
    assert member.id_masked == number[:6] + "********" + number[-4:]
    assert (member.org, member.org_path) == (tree.yze, tree.yze.path)
    assert (member.category, member.is_new_form, member.employer) == ("courier", True, "某某 快递")
    assert member.status == "active" and member.left_on is None


def test_the_joining_date_defaults_to_today(tree, yz_cadre):
    assert create(yz_cadre, tree.yze).joined_on == timezone.localdate()


def test_a_member_card_number_is_issued(tree, yz_cadre):
    member = create(yz_cadre, tree.yze)
    assert member.card_number.startswith(CARD_PREFIX) and len(member.card_number) == 16
    assert is_luhn_valid(member.card_number)


def test_it_refuses_a_second_membership_in_another_union(tree, yz_cadre, bl_cadre):
    number = valid_id_number()
    create(yz_cadre, tree.yze, id_number=number)
    before = snapshot()
    with pytest.raises(AlreadyAMember) as info:
        create(bl_cadre, tree.ble, id_number=number)
    [error] = info.value.error_dict["id_number"]
    assert error.code == "already_member"
    assert tree.yze.name not in error.messages[0] and tree.yz.name not in error.messages[0]
    assert snapshot() == before


def test_the_refusal_names_the_union_only_when_the_cadre_may_see_it(tree, yz_cadre, nb_cadre):
    number = valid_id_number()
    create(yz_cadre, tree.yze, id_number=number)
    with pytest.raises(AlreadyAMember) as info:
        create(nb_cadre, tree.ble, id_number=number)
    assert tree.yze.name in info.value.messages[0]


@pytest.mark.parametrize("spelling", [
    lambda n: n.translate(FULL_WIDTH),
    lambda n: n.lower(),
    lambda n: f" {n[:6]} {n[6:14]} {n[14:]} ",
])
def test_it_refuses_a_second_membership_however_the_number_is_typed(tree, yz_cadre, bl_cadre, spelling):
    create(yz_cadre, tree.yze, id_number=ID_X)
    before = snapshot()
    with pytest.raises(AlreadyAMember):
        create(bl_cadre, tree.ble, id_number=spelling(ID_X))
    assert snapshot() == before


def test_it_refuses_the_same_person_twice_in_the_same_union(tree, yz_cadre):
    number = valid_id_number()
    create(yz_cadre, tree.yze, id_number=number)
    with pytest.raises(AlreadyAMember):
        create(yz_cadre, tree.yze, id_number=number)


@pytest.mark.parametrize("fields,field", [
    ({"id_number": "330212199001011230"}, "id_number"),
    ({"id_number": "3.30212199001011e+17"}, "id_number"),
    ({"id_number": ""}, "id_number"),
    ({"phone": "12345"}, "phone"),
    ({"name": "   "}, "name"),
    ({"name": "长" * 51}, "name"),
    ({"category": "astronaut"}, "category"),
    ({"employer": "长" * 201}, "employer"),
    ({"joined_on": timezone.localdate() + dt.timedelta(days=1)}, "joined_on"),
    ({"joined_on": dt.date(1980, 1, 1), "id_number": make_id_number("330212", dt.date(1990, 1, 1), 5)}, "joined_on"),
])
def test_bad_input_is_refused_per_field_and_changes_nothing(tree, yz_cadre, fields, field):
    before = snapshot()
    with pytest.raises(ValidationError) as info:
        create(yz_cadre, tree.yze, **fields)
    assert field in info.value.message_dict
    assert snapshot() == before


def test_refusal_messages_never_contain_the_number(tree, yz_cadre):
    for bad in ("330212199001011230", "33021219900101123", "330212199002301234"):
        with pytest.raises(ValidationError) as info:
            create(yz_cadre, tree.yze, id_number=bad)
        assert bad not in str(info.value.message_dict)


@pytest.mark.parametrize("who", ["bl_cadre", "yz_viewer", "worker"])
def test_creating_outside_the_subtree_or_without_manage_is_refused(tree, request, who):
    user = request.getfixturevalue(who)
    before = snapshot()
    with pytest.raises(PermissionDenied):
        create(user, tree.yze)
    assert snapshot() == before


# --- update -------------------------------------------------------------------------------


def test_it_updates_the_profile(tree, yz_cadre):
    member = create(yz_cadre, tree.yze)
    member_update(actor=yz_cadre, member=member, name="王大明", category="truck_driver", employer="车队")
    member.refresh_from_db()
    assert (member.name, member.category, member.employer) == ("王大明", "truck_driver", "车队")


def test_a_new_id_number_rederives_birth_date_sex_and_region(tree, yz_cadre):
    member = create(yz_cadre, tree.yze)
    number = make_id_number("110105", dt.date(1970, 3, 3), 4)
    member_update(actor=yz_cadre, member=member, id_number=number)
    member.refresh_from_db()
    assert (member.birth_date, member.sex, member.region_code) == (dt.date(1970, 3, 3), "F", "110105")
    assert member_reveal_id_number(actor=yz_cadre, member=member) == number


def test_an_update_cannot_take_another_members_id_number(tree, yz_cadre):
    first = create(yz_cadre, tree.yze)
    second = create(yz_cadre, tree.yze)
    number = member_reveal_id_number(actor=yz_cadre, member=first)
    with pytest.raises(AlreadyAMember):
        member_update(actor=yz_cadre, member=second, id_number=number)
    second.refresh_from_db()
    assert member_reveal_id_number(actor=yz_cadre, member=second) != number


def test_the_same_id_number_again_is_no_change(tree, yz_cadre):
    member = create(yz_cadre, tree.yze, id_number=ID_X)
    member_update(actor=yz_cadre, member=member, id_number=ID_X.lower())
    assert AuditEntry.objects.order_by("-seq").first().data == {"changes": {}}


def test_an_empty_phone_removes_it_and_none_leaves_it(tree, yz_cadre):
    member = create(yz_cadre, tree.yze, phone="13912345678")
    member_update(actor=yz_cadre, member=member, name="改名")
    member.refresh_from_db()
    assert member.phone_masked == "139****5678"
    member_update(actor=yz_cadre, member=member, phone="")
    member.refresh_from_db()
    assert (member.phone_hash, member.phone_cipher, member.phone_masked) == ("", None, "")


def test_a_bad_update_changes_nothing(tree, yz_cadre):
    member = create(yz_cadre, tree.yze, name="原名")
    before = snapshot()
    with pytest.raises(ValidationError):
        member_update(actor=yz_cadre, member=member, name="新名", phone="bad")
    member.refresh_from_db()
    assert member.name == "原名" and snapshot() == before


@pytest.mark.parametrize("who", ["bl_cadre", "yz_viewer", "worker"])
def test_updating_outside_the_subtree_or_without_manage_is_refused(tree, request, who):
    user = request.getfixturevalue(who)
    member = make_member(tree.yze, name="原名")
    before = snapshot()
    with pytest.raises(PermissionDenied):
        member_update(actor=user, member=member, name="越权")
    member.refresh_from_db()
    assert member.name == "原名" and snapshot() == before


def test_a_doctored_copy_of_the_member_does_not_pass_the_scope_check(tree, yz_cadre):
    member = make_member(tree.ble, name="原名")
    member.org_path = tree.yze.path  # what a caller's stale or forged object might say
    with pytest.raises(PermissionDenied):
        member_update(actor=yz_cadre, member=member, name="越权")
    assert Member.objects.get(pk=member.pk).name == "原名"


# --- reveal -------------------------------------------------------------------------------


def test_a_cadre_reveals_the_full_id_number_and_it_is_audited(tree, yz_cadre):
    member = create(yz_cadre, tree.yze, id_number=ID_X)
    assert member_reveal_id_number(actor=yz_cadre, member=member) == ID_X
    assert AuditEntry.objects.filter(action="member.reveal_id", object_id=str(member.pk), actor=yz_cadre).count() == 1


@pytest.mark.parametrize("who", ["bl_cadre", "yz_viewer", "worker"])
def test_revealing_outside_the_subtree_or_without_the_right_is_refused(tree, request, who):
    user = request.getfixturevalue(who)
    member = make_member(tree.yze)
    entries = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        member_reveal_id_number(actor=user, member=member)
    assert AuditEntry.objects.count() == entries
