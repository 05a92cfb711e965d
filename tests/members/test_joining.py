"""Online joining (入会申请): a worker with a verified mobile applies, the union decides."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from gonghui.core import audit
from gonghui.core.models import AuditEntry
from gonghui.members.models import JoinApplication, JoinStatus, Member, Transfer, TransferSource
from gonghui.members.services import (
    join_apply,
    join_approve,
    join_cancel,
    join_refuse,
    member_leave,
    transfer_approve,
)
from gonghui.stats import tallies
from tests.factories import UserFactory, grant, make_member, make_org, system_user, valid_id_number, verified_account

ID = valid_id_number(7001, birth=dt.date(1992, 4, 5))


@pytest.fixture
def applicant(db):
    return verified_account("13911112222")


@pytest.fixture
def rider_union(tree):
    return make_org(tree.yzt, code="YZNF", name="鄞州美团骑手工会", kind="new_form")


def apply(applicant, org, **fields):
    data = dict(name="赵骑手", id_number=ID, employer="美团外卖", category="delivery_rider")
    data.update(fields)
    return join_apply(applicant=applicant, org=org, **data)


def codes(error) -> set[str]:
    exc = error.value
    groups = exc.error_dict.values() if hasattr(exc, "error_dict") else [exc.error_list]
    return {e.code for errors in groups for e in errors}


def test_an_application_keeps_the_id_number_and_mobile_protected(applicant, rider_union):
    application = apply(applicant, rider_union)
    assert application.status == JoinStatus.PENDING and application.org_path == rider_union.path
    assert application.id_masked == f"{ID[:6]}********{ID[-4:]}"
    assert application.phone_masked == "139****2222"
    row = " ".join(str(v) for v in JoinApplication.objects.values_list().get())
    assert ID not in row and "13911112222" not in row
    assert application.is_new_form  # a delivery rider is a new-form worker
    assert AuditEntry.objects.filter(action="join.apply").count() == 1


def test_without_a_verified_mobile_there_is_no_application(tree):
    with pytest.raises(PermissionDenied):
        apply(UserFactory(), tree.yze)


def test_federations_take_no_direct_members(applicant, tree):
    with pytest.raises(ValidationError) as error:
        apply(applicant, tree.yzt)
    assert codes(error) == {"not_joinable"}


@pytest.mark.parametrize(("field", "value"), [("name", " "), ("employer", ""), ("category", "pilot"),
                                              ("id_number", "330212199001011235")])
def test_bad_details_are_refused_beside_the_field(applicant, rider_union, field, value):
    with pytest.raises(ValidationError) as error:
        apply(applicant, rider_union, **{field: value})
    assert field in error.value.message_dict
    assert not JoinApplication.objects.exists()


def test_children_cannot_join(applicant, rider_union):
    young = valid_id_number(birth=dt.date.today().replace(year=dt.date.today().year - 15) - dt.timedelta(days=40))
    with pytest.raises(ValidationError) as error:
        apply(applicant, rider_union, id_number=young)
    assert "16" in error.value.message_dict["id_number"][0]


def test_one_waiting_application_per_person(applicant, rider_union, tree):
    apply(applicant, rider_union)
    with pytest.raises(ValidationError) as error:
        apply(verified_account("13911113333"), tree.yze)
    assert codes(error) == {"join_pending"}


def test_approval_makes_the_member_with_a_card_linked_to_the_account(applicant, rider_union, yz_cadre):
    application = apply(applicant, rider_union)
    member = join_approve(actor=yz_cadre, application=application)
    application.refresh_from_db()
    assert application.status == JoinStatus.APPROVED and application.member == member
    assert application.decided_by == yz_cadre and application.decided_at
    assert member.user == applicant and member.card_number.startswith("5105")
    assert (member.org, member.name, member.employer, member.category) == (rider_union, "赵骑手", "美团外卖",
                                                                             "delivery_rider")
    assert member.phone_masked == "139****2222" and member.is_new_form
    actions = list(AuditEntry.objects.order_by("seq").values_list("action", flat=True))
    assert actions[-2:] == ["member.create", "join.approve"]
    assert tallies.rebuild() == 0
    assert list(audit.verify()) == []


def test_only_a_waiting_application_is_decided(applicant, rider_union, yz_cadre):
    application = apply(applicant, rider_union)
    join_approve(actor=yz_cadre, application=application)
    for decide in (lambda: join_approve(actor=yz_cadre, application=application),
                   lambda: join_refuse(actor=yz_cadre, application=application, reason="重复"),
                   lambda: join_cancel(actor=applicant, application=application)):
        with pytest.raises(ValidationError) as error:
            decide()
        assert codes(error) == {"not_pending"}
    assert Member.objects.count() == 1


def test_a_refusal_needs_a_reason_the_worker_will_read(applicant, rider_union, yz_cadre):
    application = apply(applicant, rider_union)
    with pytest.raises(ValidationError) as error:
        join_refuse(actor=yz_cadre, application=application, reason="  ")
    assert "reason" in error.value.message_dict
    join_refuse(actor=yz_cadre, application=application, reason="请先提供劳动合同或平台接单证明")
    application.refresh_from_db()
    assert application.status == JoinStatus.REFUSED and application.reason.startswith("请先提供")
    with pytest.raises(ValidationError):
        join_approve(actor=yz_cadre, application=application)
    assert not Member.objects.exists()


def test_after_a_refusal_the_worker_may_apply_again(applicant, rider_union, yz_cadre):
    join_refuse(actor=yz_cadre, application=apply(applicant, rider_union), reason="材料不全")
    assert apply(applicant, rider_union).status == JoinStatus.PENDING


def test_only_the_applicant_withdraws(applicant, rider_union, yz_cadre):
    application = apply(applicant, rider_union)
    with pytest.raises(PermissionDenied):
        join_cancel(actor=yz_cadre, application=application)
    join_cancel(actor=applicant, application=application)
    application.refresh_from_db()
    assert application.status == JoinStatus.CANCELLED


def test_cadres_decide_only_in_their_subtree(applicant, rider_union, bl_cadre, yz_viewer):
    application = apply(applicant, rider_union)
    for actor in (bl_cadre, yz_viewer):
        with pytest.raises(PermissionDenied):
            join_approve(actor=actor, application=application)
        with pytest.raises(PermissionDenied):
            join_refuse(actor=actor, application=application, reason="不行")
    application.refresh_from_db()
    assert application.status == JoinStatus.PENDING


def test_someone_already_registered_elsewhere_gets_a_transfer_request(applicant, rider_union, tree, yz_cadre):
    # The mobile the worker verified is the member's own: they speak for themself, no union is asked.
    elsewhere = make_member(tree.ble, name="赵骑手", id_number=ID, employer="北仑港", phone="13911112222")
    result = apply(applicant, rider_union)
    assert result.released_at is not None
    assert isinstance(result, Transfer)
    assert (result.source, result.to_org, result.from_org, result.requested_by) == (
        TransferSource.JOIN, rider_union, tree.ble, applicant)
    assert result.changes["employer"] == "美团外卖"
    assert not JoinApplication.objects.exists()
    transfer_approve(actor=yz_cadre, transfer=result)
    elsewhere.refresh_from_db()
    assert elsewhere.org == rider_union and elsewhere.user == applicant
    assert elsewhere.employer == "美团外卖" and elsewhere.category == "delivery_rider" and elsewhere.is_new_form
    assert tallies.rebuild() == 0


def test_a_member_of_the_chosen_union_is_told_so(applicant, rider_union):
    make_member(rider_union, id_number=ID)
    with pytest.raises(ValidationError) as error:
        apply(applicant, rider_union)
    assert codes(error) == {"already_member"}


def test_someone_who_left_comes_back_through_the_same_path(applicant, rider_union, tree, yz_cadre):
    old = make_member(tree.yze, id_number=ID, joined_on=dt.date(2015, 3, 1))
    member_leave(actor=system_user(), member=old, on=dt.date(2020, 1, 1), reason="离职")
    transfer = apply(applicant, tree.yze)  # back to the same union
    transfer_approve(actor=yz_cadre, transfer=transfer)
    old.refresh_from_db()
    assert old.status == "active" and old.left_on is None and old.org == tree.yze
    assert list(old.periods.values_list("started_on", "ended_on", "ended_by")) == [
        (dt.date(2015, 3, 1), dt.date(2020, 1, 1), "left")]
    assert tallies.rebuild() == 0


def test_an_account_of_a_member_cannot_apply_with_another_id_number(worker, rider_union):
    from gonghui.core.services import account_for_verified_phone

    account_for_verified_phone(phone="13900009999", user=worker)
    with pytest.raises(ValidationError) as error:
        apply(worker, rider_union, id_number=valid_id_number())
    assert "id_number" in error.value.message_dict


def test_an_approval_of_someone_entered_meanwhile_is_refused_and_changes_nothing(applicant, rider_union, yz_cadre):
    application = apply(applicant, rider_union)
    make_member(rider_union, id_number=ID)
    with pytest.raises(ValidationError):
        join_approve(actor=yz_cadre, application=application)
    application.refresh_from_db()
    assert application.status == JoinStatus.PENDING and Member.objects.count() == 1


def test_an_id_number_typed_from_another_mobile_waits_for_the_members_union(applicant, rider_union, tree, yz_cadre):
    """Typing someone's ID number is no way to take them over: the member's union is asked first,
    and the account is linked only once the transfer is agreed and approved."""
    from gonghui.members.services import transfer_release

    elsewhere = make_member(tree.ble, name="赵骑手", id_number=ID, phone="13800001111")
    result = apply(applicant, rider_union)
    assert result.released_at is None
    with pytest.raises(ValidationError):
        transfer_approve(actor=yz_cadre, transfer=result)
    elsewhere.refresh_from_db()
    assert elsewhere.org == tree.ble and elsewhere.user is None
    bl_cadre = UserFactory()
    grant(bl_cadre, tree.bl)
    transfer_approve(actor=yz_cadre, transfer=transfer_release(actor=bl_cadre, transfer=result))
    elsewhere.refresh_from_db()
    assert elsewhere.org == rider_union
