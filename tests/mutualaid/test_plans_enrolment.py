"""Plans (city union only, immutable once enrolled) and batch enrolment (window, eligibility, scope)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from gonghui.core.models import AuditEntry
from gonghui.members.services import member_leave
from gonghui.mutualaid import selectors, services
from gonghui.mutualaid.models import Enrolment, EnrolmentBatch, Plan, Product, Reason
from gonghui.stats.activity import period_figures
from tests.factories import make_member, valid_id_number
from tests.mutualaid.conftest import jan1, open_plan


def codes(exc) -> str:
    return services.reason_of(exc.value)


def test_only_the_city_union_defines_plans(tree, yz_cadre, nb_cadre):
    with pytest.raises(PermissionDenied):
        services.plan_create(actor=yz_cadre, product=Product.INPATIENT, year=2030, name="x", fee="60",
                             window_start=dt.date(2029, 11, 1), window_end=dt.date(2029, 12, 31),
                             deductible="500", tiers=[{"upto": None, "ratio": "0.5"}], yearly_cap="20000")
    plan = services.plan_create(actor=nb_cadre, product=Product.INPATIENT, year=2030, name="2030年住院互助",
                                fee="60", window_start=dt.date(2029, 11, 1), window_end=dt.date(2029, 12, 31),
                                deductible="500", tiers=[{"upto": None, "ratio": "0.5"}], yearly_cap="20000")
    assert plan.version == 1 and plan.cover_start == dt.date(2030, 1, 1) and plan.fee == Decimal("60.00")
    nxt = services.plan_next_year(actor=nb_cadre, plan=plan)
    assert (nxt.year, nxt.version, nxt.name) == (2031, 2, "2031年住院互助")
    assert nxt.window_start == dt.date(2030, 11, 1)
    with pytest.raises(ValidationError):  # one plan per product and year
        services.plan_next_year(actor=nb_cadre, plan=plan)


def test_bad_plan_input_is_refused_with_field_messages(tree, nb_cadre):
    with pytest.raises(ValidationError) as exc:
        services.plan_create(actor=nb_cadre, product=Product.INPATIENT, year=2030, name="", fee="-1",
                             window_start=dt.date(2029, 12, 31), window_end=dt.date(2029, 11, 1),
                             deductible="x", tiers=[{"upto": "100", "ratio": "0.5"}], yearly_cap="20000")
    assert {"name", "fee", "deductible", "tiers", "window_end"} <= set(exc.value.message_dict)
    assert not Plan.objects.exists()


def test_a_plan_year_is_immutable_once_anyone_is_enrolled(tree, plan, nb_cadre):
    services.plan_update(actor=nb_cadre, plan=plan, fee="80")  # nobody enrolled yet: fine
    make_member(tree.yze)
    services.enrol_batch(actor=nb_cadre, plan=plan, org=tree.nb, on=jan1())
    with pytest.raises(ValidationError) as exc:
        services.plan_update(actor=nb_cadre, plan=plan, yearly_cap="99999")
    assert codes(exc) == Reason.PLAN_LOCKED
    plan.refresh_from_db()
    assert plan.yearly_cap == Decimal("20000.00") and plan.fee == Decimal("80.00")
    # The database refuses too, whoever writes.
    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.filter(pk=plan.pk).update(yearly_cap=Decimal("99999"))


def test_enrolment_outside_the_window_is_refused_as_a_whole(tree, plan, yz_cadre):
    make_member(tree.yze)
    with pytest.raises(ValidationError) as exc:
        services.enrol_batch(actor=yz_cadre, plan=plan, org=tree.yz, on=plan.window_end + dt.timedelta(days=1))
    assert codes(exc) == Reason.OUTSIDE_WINDOW
    with pytest.raises(ValidationError):
        services.enrol_batch(actor=yz_cadre, plan=plan, org=tree.yz, on=plan.window_start - dt.timedelta(days=1))
    assert not Enrolment.objects.exists() and not EnrolmentBatch.objects.exists()


def test_a_union_enrols_all_eligible_members_of_its_subtree_once(tree, plan, yz_cadre, bl_cadre):
    yz_members = [make_member(tree.yze) for _ in range(3)] + [make_member(tree.yzt)]
    make_member(tree.ble)
    retired = make_member(tree.yze, id_number=valid_id_number(birth=dt.date(1950, 5, 5)))
    left = make_member(tree.yze)
    member_leave(actor=yz_cadre, member=left, reason="调离")
    batch = services.enrol_batch(actor=yz_cadre, plan=plan, org=tree.yz, on=jan1())
    assert batch.enrolled == 4 and batch.already == 0
    assert batch.fee_due == Decimal("240.00")
    assert batch.refused == 1  # the retiree; a member who left is not a candidate
    assert set(Enrolment.objects.values_list("member_id", flat=True)) == {m.pk for m in yz_members}
    e = Enrolment.objects.get(member=yz_members[-1])
    assert (e.org_id, e.org_path, e.fee) == (tree.yzt.pk, tree.yzt.path, Decimal("60.00"))
    again = services.enrol_batch(actor=yz_cadre, plan=plan, org=tree.yz, on=jan1())
    assert (again.enrolled, again.already, again.fee_due) == (0, 4, Decimal("0.00"))
    assert Enrolment.objects.count() == 4
    assert AuditEntry.objects.filter(action="aid.enrol_batch").count() == 2
    with pytest.raises(PermissionDenied):
        services.enrol_batch(actor=bl_cadre, plan=plan, org=tree.yz, on=jan1())
    assert retired.pk not in set(Enrolment.objects.values_list("member_id", flat=True))


def test_retirees_are_enrolled_in_the_retiree_plan_by_their_community_union(tree, yz_cadre):
    plan = open_plan(product=Product.RETIREE_INPATIENT, name="退休职工住院互助", fee="30")
    retired = make_member(tree.yzt, id_number=valid_id_number(birth=dt.date(1955, 1, 1)))
    make_member(tree.yzt)  # in service: not eligible here
    batch = services.enrol_batch(actor=yz_cadre, plan=plan, org=tree.yzt, on=jan1())
    assert batch.enrolled == 1
    assert Enrolment.objects.get().member_id == retired.pk
    in_service = make_member(tree.yzt)
    with pytest.raises(ValidationError) as exc:
        services.enrol_member(actor=yz_cadre, plan=plan, member=in_service, on=jan1())
    assert codes(exc) == Reason.NOT_ELIGIBLE


def test_selection_and_uploaded_list_report_each_refusal(tree, plan, yz_cadre):
    a, b = make_member(tree.yze), make_member(tree.yze)
    outsider = make_member(tree.ble)
    batch = services.enrol_batch(actor=yz_cadre, plan=plan, org=tree.yz, mode="selection",
                                 member_ids=[a.pk, outsider.pk], on=jan1())
    assert batch.enrolled == 1 and batch.asked == 2
    assert batch.report["lines"] == [{"member": outsider.pk, "code": "not_in_union"}]
    b_number = valid_id_number()
    b2 = make_member(tree.yze, id_number=b_number)
    batch = services.enrol_batch(actor=yz_cadre, plan=plan, org=tree.yz, mode="list",
                                 id_numbers=[b_number, "123", valid_id_number()], on=jan1())
    assert batch.enrolled == 1 and batch.asked == 3
    assert sorted(r["code"] for r in batch.report["lines"]) == ["invalid", "not_in_union"]
    assert Enrolment.objects.filter(member=b2).exists() and not Enrolment.objects.filter(member=b).exists()
    assert "123" not in str(batch.report)


def test_preview_shows_the_fee_due_and_stats_count_enrolments_and_fees(tree, plan, yz_cadre, nb_cadre, api_as):
    for _ in range(3):
        make_member(tree.yze)
    preview = selectors.enrolment_preview(user=yz_cadre, plan=plan, org=tree.yz)
    assert preview == {"eligible": 3, "already": 0, "to_enrol": 3, "fee_due": Decimal("180.00"), "not_eligible": 0}
    services.enrol_batch(actor=yz_cadre, plan=plan, org=tree.yz, on=jan1())
    figures = period_figures(tree.nb.path, jan1(), jan1())
    assert figures["aid_enrolments"] == 3 and figures["aid_fees"] == Decimal("180.00")
    assert figures["breakdown"]["aid_enrolments"]["product"]["inpatient"]["n"] == 3
    assert period_figures(tree.bl.path, jan1(), jan1())["aid_enrolments"] == 0
    body = api_as(nb_cadre).get("/api/v1/orgs/YZ/stats", **{"from": str(jan1()), "to": str(jan1())}).json()
    assert body["aid_enrolments"] == 3 and body["aid_fees"] == "180.00"
