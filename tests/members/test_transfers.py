"""Transfers between unions (会员转移), leaving (退会) and coming back, with the history they leave."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from gonghui.core import audit
from gonghui.core.models import AuditEntry
from gonghui.members.models import MemberStatus, Transfer, TransferSource, TransferStatus
from gonghui.members.selectors import member_periods, transfer_get, transfer_queue, transfer_sides
from gonghui.members.services import (
    member_leave,
    member_update,
    transfer_approve,
    transfer_cancel,
    transfer_object,
    transfer_refuse,
    transfer_release,
    transfer_request,
)
from gonghui.orgs.models import Org
from gonghui.stats import tallies
from tests.factories import UserFactory, grant, make_cadre, make_member, make_org, system_user, valid_id_number

ID = valid_id_number(7101, birth=dt.date(1985, 8, 8))


def agreed(transfer):
    """The sending union (a cadre of 北仑) agrees to let its member go."""
    return transfer_release(actor=make_cadre(Org.objects.get(code="BL")), transfer=transfer)


@pytest.fixture
def bl_person(tree):
    return make_member(tree.ble, name="钱师傅", id_number=ID, joined_on=dt.date(2018, 5, 1), category="courier")


def test_a_cadre_asks_for_a_member_of_another_union_by_id_number(bl_person, tree, yz_cadre):
    transfer = transfer_request(actor=yz_cadre, org=tree.yze, id_number=ID, note="已在本单位就业")
    assert (transfer.status, transfer.source, transfer.from_org, transfer.to_org) == (
        TransferStatus.PENDING, TransferSource.MANUAL, tree.ble, tree.yze)
    assert (transfer.from_path, transfer.to_path) == (tree.ble.path, tree.yze.path)
    assert AuditEntry.objects.filter(action="transfer.request").count() == 1


def test_the_request_does_not_name_the_union_outside_the_cadres_subtree(bl_person, tree, yz_cadre):
    transfer = transfer_request(actor=yz_cadre, org=tree.yze, id_number=ID)
    (row,) = transfer_queue(user=yz_cadre, org=tree.yz, direction="in")
    transfer_sides(user=yz_cadre, transfers=[row])
    assert not row.from_visible and not row.may_decide  # 北仑 has not agreed yet
    agreed(transfer)
    (row,) = transfer_queue(user=yz_cadre, org=tree.yz, direction="in")
    transfer_sides(user=yz_cadre, transfers=[row])
    assert row.may_decide and not row.from_visible


@pytest.mark.parametrize(("number", "code"), [(valid_id_number(7199), "not_a_member"), ("330212", "id_length")])
def test_a_request_needs_someone_in_the_member_database(tree, yz_cadre, number, code):
    with pytest.raises(ValidationError) as error:
        transfer_request(actor=yz_cadre, org=tree.yze, id_number=number)
    assert error.value.error_dict["id_number"][0].code == code


def test_a_member_of_the_union_itself_needs_no_transfer(bl_person, tree, bl_cadre):
    with pytest.raises(ValidationError) as error:
        transfer_request(actor=bl_cadre, org=tree.ble, id_number=ID)
    assert error.value.error_dict["id_number"][0].code == "already_here"


def test_one_waiting_transfer_per_member(bl_person, tree, yz_cadre, nb_cadre):
    transfer_request(actor=yz_cadre, org=tree.yze, id_number=ID)
    with pytest.raises(ValidationError) as error:
        transfer_request(actor=nb_cadre, org=tree.yzt, id_number=ID)
    assert error.value.error_list[0].code == "transfer_pending"


def test_only_a_cadre_of_the_receiving_union_asks(bl_person, tree, bl_cadre, yz_viewer):
    for actor in (bl_cadre, yz_viewer):
        with pytest.raises(PermissionDenied):
            transfer_request(actor=actor, org=tree.yze, id_number=ID)
    assert not Transfer.objects.exists()


def test_approval_moves_the_member_keeps_the_history_and_the_tallies(bl_person, tree, yz_cadre):
    transfer = agreed(transfer_request(actor=yz_cadre, org=tree.yze, id_number=ID))
    before = (tallies.read(tree.bl.path)["all"][""], tallies.read(tree.yz.path)["all"].get("", 0))
    transfer_approve(actor=yz_cadre, transfer=transfer)
    bl_person.refresh_from_db()
    today = timezone.localdate()
    assert (bl_person.org, bl_person.org_path, bl_person.org_since) == (tree.yze, tree.yze.path, today)
    assert bl_person.joined_on == dt.date(2018, 5, 1)  # the first joining stays
    assert list(bl_person.periods.values_list("org", "started_on", "ended_on", "ended_by")) == [
        (tree.ble.pk, dt.date(2018, 5, 1), today, "transfer")]
    after = (tallies.read(tree.bl.path)["all"][""], tallies.read(tree.yz.path)["all"][""])
    assert after == (before[0] - 1, before[1] + 1)
    assert tallies.read(tree.nb.path)["category"]["courier"] == 1
    assert tallies.rebuild() == 0
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.object_id, entry.data["from"], entry.data["to"]) == (
        "member.transfer", str(bl_person.pk), "BLE", "YZE")
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.APPROVED and transfer.decided_by == yz_cadre


def test_the_sending_union_sees_but_cannot_decide(bl_person, tree, yz_cadre, bl_cadre):
    transfer = transfer_request(actor=yz_cadre, org=tree.yze, id_number=ID)
    (out,) = transfer_queue(user=bl_cadre, org=tree.bl, direction="out")
    transfer_sides(user=bl_cadre, transfers=[out])
    assert out.from_visible and not out.may_decide
    assert transfer_get(user=bl_cadre, pk=transfer.pk) is not None
    assert not transfer_queue(user=bl_cadre, org=tree.bl, direction="in").exists()
    with pytest.raises(PermissionDenied):
        transfer_approve(actor=bl_cadre, transfer=transfer)
    with pytest.raises(PermissionDenied):
        transfer_refuse(actor=bl_cadre, transfer=transfer, reason="不放")


def test_a_transfer_outside_both_unions_is_invisible(bl_person, tree, yz_cadre):
    transfer = transfer_request(actor=yz_cadre, org=tree.yze, id_number=ID)
    other = UserFactory()
    grant(other, make_org(tree.nb, code="ZH", kind="district"))
    assert transfer_get(user=other, pk=transfer.pk) is None
    assert not transfer_queue(user=other, org=Org.objects.get(code="ZH"), direction="out").exists()


def test_refusal_and_withdrawal_leave_the_member_where_they_are(bl_person, tree, yz_cadre, nb_cadre):
    transfer = transfer_request(actor=yz_cadre, org=tree.yze, id_number=ID)
    with pytest.raises(ValidationError):
        transfer_refuse(actor=yz_cadre, transfer=transfer, reason="")
    transfer_refuse(actor=yz_cadre, transfer=transfer, reason="本人未在我单位就业")
    transfer.refresh_from_db()
    assert (transfer.status, transfer.reason) == (TransferStatus.REFUSED, "本人未在我单位就业")
    second = transfer_request(actor=yz_cadre, org=tree.yze, id_number=ID)
    with pytest.raises(PermissionDenied):
        transfer_cancel(actor=nb_cadre, transfer=second)  # only whoever asked
    transfer_cancel(actor=yz_cadre, transfer=second)
    second.refresh_from_db()
    assert second.status == TransferStatus.CANCELLED
    bl_person.refresh_from_db()
    assert bl_person.org == tree.ble and not bl_person.periods.exists()


def test_only_a_waiting_transfer_is_decided(bl_person, tree, yz_cadre):
    transfer = agreed(transfer_request(actor=yz_cadre, org=tree.yze, id_number=ID))
    transfer_approve(actor=yz_cadre, transfer=transfer)
    for decide in (lambda: transfer_approve(actor=yz_cadre, transfer=transfer),
                   lambda: transfer_refuse(actor=yz_cadre, transfer=transfer, reason="x"),
                   lambda: transfer_cancel(actor=yz_cadre, transfer=transfer)):
        with pytest.raises(ValidationError) as error:
            decide()
        assert error.value.error_list[0].code == "not_pending"
    assert bl_person.periods.count() == 1


def test_a_second_move_on_the_same_day_leaves_no_empty_period(bl_person, tree, yz_cadre, nb_cadre):
    transfer_approve(actor=yz_cadre, transfer=agreed(transfer_request(actor=yz_cadre, org=tree.yze, id_number=ID)))
    transfer_approve(actor=nb_cadre, transfer=transfer_request(actor=nb_cadre, org=tree.ble, id_number=ID))
    bl_person.refresh_from_db()
    assert bl_person.org == tree.ble and bl_person.periods.count() == 1
    assert tallies.rebuild() == 0


# --- leaving and coming back --------------------------------------------------------------------


def test_leaving_records_the_day_and_reason_and_uncounts_the_member(bl_person, tree, bl_cadre):
    member_leave(actor=bl_cadre, member=bl_person, on=dt.date(2024, 6, 30), reason="退休")
    bl_person.refresh_from_db()
    assert (bl_person.status, bl_person.left_on, bl_person.left_reason) == (
        MemberStatus.LEFT, dt.date(2024, 6, 30), "退休")
    assert tallies.read(tree.nb.path)["all"][""] == 0
    assert tallies.rebuild() == 0
    assert AuditEntry.objects.filter(action="member.leave", object_id=str(bl_person.pk)).exists()


@pytest.mark.parametrize(("on", "reason", "field"), [
    (dt.date(2018, 4, 30), "退休", "on"),  # before joining
    (timezone.localdate() + dt.timedelta(days=1), "退休", "on"),
    (None, "", "reason"),
])
def test_a_leave_with_bad_details_changes_nothing(bl_person, bl_cadre, on, reason, field):
    with pytest.raises(ValidationError) as error:
        member_leave(actor=bl_cadre, member=bl_person, on=on, reason=reason)
    assert field in error.value.message_dict
    bl_person.refresh_from_db()
    assert bl_person.status == MemberStatus.ACTIVE


def test_one_leaves_once_and_only_by_a_cadre_of_their_union(bl_person, bl_cadre, yz_cadre, tree):
    with pytest.raises(PermissionDenied):
        member_leave(actor=yz_cadre, member=bl_person, reason="x")
    member_leave(actor=bl_cadre, member=bl_person, reason="离职")
    with pytest.raises(ValidationError) as error:
        member_leave(actor=bl_cadre, member=bl_person, reason="离职")
    assert error.value.error_list[0].code == "not_active"


def test_coming_back_through_a_transfer_reactivates_in_the_new_union(bl_person, tree, bl_cadre, yz_cadre):
    member_leave(actor=bl_cadre, member=bl_person, on=dt.date(2022, 1, 1), reason="离职")
    transfer = transfer_request(actor=yz_cadre, org=tree.yze, id_number=ID)
    transfer_approve(actor=yz_cadre, transfer=transfer)
    bl_person.refresh_from_db()
    assert (bl_person.status, bl_person.org, bl_person.left_on, bl_person.left_reason) == (
        MemberStatus.ACTIVE, tree.yze, None, "")
    assert list(bl_person.periods.values_list("org", "started_on", "ended_on", "ended_by")) == [
        (tree.ble.pk, dt.date(2018, 5, 1), dt.date(2022, 1, 1), "left")]
    assert tallies.read(tree.yz.path)["all"][""] == 1 and tallies.read(tree.bl.path)["all"][""] == 0
    assert tallies.rebuild() == 0
    assert AuditEntry.objects.order_by("-seq").first().data["rejoined"] is True


def test_the_timeline_lists_the_current_period_then_the_past(bl_person, tree, yz_cadre, nb_cadre):
    transfer_approve(actor=yz_cadre, transfer=agreed(transfer_request(actor=yz_cadre, org=tree.yze, id_number=ID)))
    bl_person.refresh_from_db()
    periods = member_periods(user=nb_cadre, member=bl_person)
    assert [(p["org"].code, p["current"]) for p in periods] == [("YZE", True), ("BLE", False)]
    assert member_periods(user=system_user(), member=bl_person)[0]["ended_on"] is None


def test_the_joining_date_cannot_move_past_the_first_period(bl_person, tree, yz_cadre):
    transfer_approve(actor=yz_cadre, transfer=agreed(transfer_request(actor=yz_cadre, org=tree.yze, id_number=ID)))
    bl_person.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        member_update(actor=yz_cadre, member=bl_person, joined_on=dt.date(2019, 1, 1))
    assert "joined_on" in error.value.message_dict


def test_every_write_keeps_the_audit_chain(bl_person, tree, yz_cadre, bl_cadre):
    transfer_approve(actor=yz_cadre, transfer=agreed(transfer_request(actor=yz_cadre, org=tree.yze, id_number=ID)))
    bl_person.refresh_from_db()
    member_leave(actor=yz_cadre, member=bl_person, reason="离职")
    assert list(audit.verify()) == []


# --- the sending union's consent (转出) -----------------------------------------------------------

def test_a_member_of_another_district_moves_only_once_their_union_agrees(bl_person, tree, yz_cadre, bl_cadre):
    transfer = transfer_request(actor=yz_cadre, org=tree.yze, id_number=ID)
    with pytest.raises(ValidationError) as error:
        transfer_approve(actor=yz_cadre, transfer=transfer)
    assert error.value.code == "not_released"
    bl_person.refresh_from_db()
    assert bl_person.org_id == tree.ble.pk  # nothing moved
    (out,) = transfer_queue(user=bl_cadre, org=tree.bl, direction="out")
    transfer_sides(user=bl_cadre, transfers=[out])
    assert out.may_release and out.person_name == "钱师傅"
    with pytest.raises(PermissionDenied):
        transfer_release(actor=yz_cadre, transfer=transfer)  # the asking side cannot agree for the sender
    transfer_release(actor=bl_cadre, transfer=transfer)
    transfer_approve(actor=yz_cadre, transfer=transfer)
    bl_person.refresh_from_db()
    assert bl_person.org_id == tree.yze.pk
    assert AuditEntry.objects.filter(action="transfer.release").count() == 1


def test_the_receiving_side_learns_no_name_before_the_sender_agrees(bl_person, tree, yz_cadre):
    transfer = transfer_request(actor=yz_cadre, org=tree.yze, id_number=ID)
    row = transfer_get(user=yz_cadre, pk=transfer.pk)
    transfer_sides(user=yz_cadre, transfers=[row])
    assert "钱" not in str(row.person_name) and not row.person_visible
    agreed(transfer)
    row = transfer_get(user=yz_cadre, pk=transfer.pk)
    transfer_sides(user=yz_cadre, transfers=[row])
    assert row.person_name == "钱师傅"


def test_the_sending_union_may_object_and_the_member_stays(bl_person, tree, yz_cadre, bl_cadre):
    transfer = transfer_request(actor=yz_cadre, org=tree.yze, id_number=ID)
    with pytest.raises(ValidationError):
        transfer_object(actor=bl_cadre, transfer=transfer, reason="  ")  # a reason is needed
    transfer_object(actor=bl_cadre, transfer=transfer, reason="劳动合同未到期")
    transfer.refresh_from_db()
    assert (transfer.status, transfer.reason, transfer.released_at) == (TransferStatus.REFUSED, "劳动合同未到期", None)
    with pytest.raises(ValidationError):
        transfer_approve(actor=yz_cadre, transfer=transfer)
    bl_person.refresh_from_db()
    assert bl_person.org_id == tree.ble.pk


def test_a_cadre_over_both_unions_needs_no_separate_consent(bl_person, tree, nb_cadre):
    transfer = transfer_request(actor=nb_cadre, org=tree.yze, id_number=ID)
    assert transfer.released_at is not None
    transfer_approve(actor=nb_cadre, transfer=transfer)
    bl_person.refresh_from_db()
    assert bl_person.org_id == tree.yze.pk

