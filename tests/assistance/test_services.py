"""Filing, notice, approval, review, visits and exits: each rule and each refusal, nothing written on refusal."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from gonghui.assistance import selectors, services
from gonghui.assistance.models import FileStatus, Grading, HardshipFile, HouseholdMember, MonthlyIncome
from gonghui.core.models import AuditEntry
from gonghui.stats import activity
from tests.assistance.conftest import certificate, filed, past, poor
from tests.factories import UserFactory, grant, make_cadre, make_member, valid_id_number

pytestmark = pytest.mark.django_db


def fresh(**extra):
    fields = poor(**extra)
    fields.pop("cause")
    return fields


def test_an_application_is_graded_with_its_working_and_the_standard_kept(member, yzt_cadre):
    f = services.file_apply(actor=yzt_cadre, member=member, **poor())
    # (20000 + 10000 − 6000) ÷ 12 ÷ 3 = 666.67 < 1062
    assert (f.status, f.grade, f.per_capita, f.standard) == ("submitted", "deep", Decimal("666.67"),
                                                             Decimal("1062.00"))
    g = f.gradings.get()
    assert g.inputs["size"] == 3 and g.working["rule"] == "below_standard" and g.standard_from is None
    people = HouseholdMember.objects.filter(file=f)
    assert people.count() == 3 and all(p.id_cipher and len(p.id_masked) == 18 for p in people)
    assert not HouseholdMember.objects.filter(id_masked=valid_id_number(9001)).exists()  # never plain
    assert AuditEntry.objects.filter(action="hardship.file_apply").count() == 1


def test_a_later_standard_does_not_rewrite_a_grading(member, yzt_cadre, yz_cadre, tree):
    f = services.file_apply(actor=yzt_cadre, member=member, **poor())
    services.standard_set(actor=yz_cadre, org=tree.yz, amount="1200", effective_from=dt.date.today())
    f.refresh_from_db()
    assert f.standard == Decimal("1062.00") and f.gradings.get().standard == Decimal("1062.00")
    assert selectors.standard_for(f.org_path, dt.date.today()) == (Decimal("1200.00"), dt.date.today())
    assert selectors.standard_for(f.org_path, past(1))[0] == Decimal("1062.00")


def test_the_district_standard_is_used_for_its_unions(member, yzt_cadre, yz_cadre, tree):
    services.standard_set(actor=yz_cadre, org=tree.yz, amount="2000", effective_from=past(10))
    f = services.file_apply(actor=yzt_cadre, member=member, **poor(income="50000"))
    # (50000 + 10000 − 6000) ÷ 36 = 1500 < 2000
    assert (f.grade, f.standard) == ("deep", Decimal("2000.00"))


@pytest.mark.parametrize("change, field", [
    (dict(income="-100"), "income"),
    (dict(income="1e9999"), "income"),
    (dict(household=[{"name": "甲", "relation": "spouse", "id_number": valid_id_number(9001)},
                     {"name": "乙", "relation": "child", "id_number": valid_id_number(9001)}]), "household.1"),
    (dict(household=[{"name": "甲", "relation": "spouse", "id_number": "330212199001011234"}]), "household.0"),
    (dict(costs=[{"kind": "illness", "amount": "-1"}]), "costs.0"),
])
def test_bad_figures_are_refused_and_nothing_is_written(member, yzt_cadre, change, field):
    with pytest.raises(ValidationError) as exc:
        services.file_apply(actor=yzt_cadre, member=member, **poor(**change))
    assert field in exc.value.message_dict
    assert not HardshipFile.objects.exists() and not AuditEntry.objects.filter(action__startswith="hardship").exists()


def test_the_member_listed_in_their_own_household_is_refused(member, yzt_cadre):
    with pytest.raises(ValidationError, match="已在家庭成员中|already"):
        services.file_apply(actor=yzt_cadre, member=member, **poor(household=[
            {"name": "张建国", "relation": "other", "id_number": valid_id_number(8001)}]))


def test_a_family_above_the_lines_or_excluded_is_refused_with_the_reason(member, yzt_cadre):
    with pytest.raises(ValidationError) as exc:
        services.file_apply(actor=yzt_cadre, member=member, **poor(income="200000", costs=[]))
    assert exc.value.code == "not_eligible"
    with pytest.raises(ValidationError):
        services.file_apply(actor=yzt_cadre, member=member, **poor(flags={"homes": 2}))
    assert not HardshipFile.objects.exists()


def test_a_non_member_or_a_stranger_cannot_be_filed(member, tree, bl_cadre):
    with pytest.raises(ValidationError):
        services.file_apply(actor=bl_cadre, member=None, **poor())
    with pytest.raises(PermissionDenied):
        services.file_apply(actor=bl_cadre, member=member, **poor())


def test_the_member_may_apply_for_themselves(worker, tree):
    f = services.file_apply(actor=worker, member=worker.member, **poor())
    assert f.applied_by_member and f.status == FileStatus.SUBMITTED
    assert selectors.my_open_file(worker) == f


def test_a_second_open_file_is_refused(member, yzt_cadre):
    services.file_apply(actor=yzt_cadre, member=member, **poor())
    with pytest.raises(ValidationError, match="open|已有"):
        services.file_apply(actor=yzt_cadre, member=member, **poor())


def test_the_notice_needs_the_unit_certificate_and_runs_working_days(member, yzt_cadre):
    f = services.file_apply(actor=yzt_cadre, member=member, **poor())
    with pytest.raises(ValidationError):
        services.file_start_notice(actor=yzt_cadre, file=f)
    services.file_add_documents(actor=yzt_cadre, file=f, documents=certificate())
    monday = dt.date(2026, 3, 2)
    f = services.file_start_notice(actor=yzt_cadre, file=f, on=monday)
    assert (f.status, f.notice_end) == ("notice", dt.date(2026, 3, 9))  # five working days, the weekend skipped


def test_approval_waits_for_the_notice_and_comes_from_the_union_above(member, yzt_cadre, yz_cadre, tree):
    f = services.file_apply(actor=yzt_cadre, member=member, documents=certificate(), **poor())
    f = services.file_start_notice(actor=yzt_cadre, file=f)
    with pytest.raises(ValidationError, match="公示|notice"):
        services.file_approve(actor=yz_cadre, file=f)
    enterprise = make_cadre(tree.yze)
    HardshipFile.objects.filter(pk=f.pk).update(notice_end=past(1))
    f.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.file_approve(actor=enterprise, file=f)  # the filing union itself
    with pytest.raises(PermissionDenied):
        services.file_approve(actor=yzt_cadre, file=f)  # the one who filed it
    f = services.file_approve(actor=yz_cadre, file=f)
    assert f.status == FileStatus.ACTIVE and f.review_due == f.filed_on.replace(year=f.filed_on.year + 1)
    figures = activity.period_figures(tree.nb.path, f.filed_on, f.filed_on)
    assert figures["hardship_filed"] == 1


def test_two_approvers_when_the_policy_asks(member, yzt_cadre, yz_cadre, nb_cadre, tree):
    services.policy_set(actor=yz_cadre, org=tree.yz, notice_days=3, approvals_required=2)
    f = services.file_apply(actor=yzt_cadre, member=member, documents=certificate(), on=past(20), **poor())
    f = services.file_start_notice(actor=yzt_cadre, file=f, on=past(20))
    f = services.file_approve(actor=yz_cadre, file=f)
    assert f.status == FileStatus.NOTICE
    with pytest.raises(ValidationError):
        services.file_approve(actor=yz_cadre, file=f)
    assert services.file_approve(actor=nb_cadre, file=f).status == FileStatus.ACTIVE


def test_objections_are_recorded_during_the_notice_and_a_refusal_needs_a_reason(member, yzt_cadre):
    f = services.file_apply(actor=yzt_cadre, member=member, documents=certificate(), **poor())
    f = services.file_start_notice(actor=yzt_cadre, file=f)
    services.file_object(actor=yzt_cadre, file=f, text="邻居反映其家中有营业门店")
    with pytest.raises(ValidationError):
        services.file_refuse(actor=yzt_cadre, file=f, code="objection", reason="")
    f = services.file_refuse(actor=yzt_cadre, file=f, code="objection", reason="经核实家中经营门店一间")
    assert (f.status, f.close_reason) == ("refused", "经核实家中经营门店一间")


def test_a_review_grades_again_and_keeps_the_first_grading(member, yzt_cadre, yz_cadre):
    f = filed(member, cadre=yzt_cadre, approver=yz_cadre)
    g = services.file_review(actor=yzt_cadre, file=f, **fresh(income="60000"))
    # (60000 + 10000 − 6000) ÷ 36 = 1777.78: relative
    assert g.grade == "relative" and f.gradings.count() == 2
    assert list(f.gradings.order_by("pk").values_list("kind", "grade")) == [("filing", "deep"), ("review", "relative")]
    assert MonthlyIncome.objects.get(file=f).per_capita == Decimal("1777.78")


def test_a_review_never_resurrects_a_paused_or_closed_file(member, yzt_cadre, yz_cadre):
    f = filed(member, cadre=yzt_cadre, approver=yz_cadre)
    services.file_pause(actor=yzt_cadre, file=f, reason="外出务工半年")
    with pytest.raises(ValidationError):
        services.file_review(actor=yzt_cadre, file=f, **fresh())
    f.refresh_from_db()
    assert f.status == FileStatus.PAUSED and f.gradings.count() == 1


def test_lifted_out_after_six_months_above_the_standard(member, yzt_cadre, yz_cadre, tree):
    f = filed(member, cadre=yzt_cadre, approver=yz_cadre)
    today = dt.date.today()
    month = today.replace(day=1)
    for i in range(6):
        with pytest.raises(ValidationError, match=str(i)):
            services.file_lift_out(actor=yzt_cadre, file=f)
        services.visit_record(actor=yzt_cadre, file=f, visited_on=max(month, past(400)), visitors="王主席",
                              kind="night", persons=2, per_capita="1300")
        month = (month - dt.timedelta(days=1)).replace(day=1)
    f = services.file_lift_out(actor=yzt_cadre, file=f)
    assert f.status == FileStatus.LIFTED_OUT and f.closed_on == today
    figures = activity.period_figures(tree.nb.path, past(400), today)
    assert figures["hardship_visits"] == 12 and figures["hardship_lifted_out"] == 1


def test_a_visit_in_the_future_is_refused(member, yzt_cadre, yz_cadre):
    f = filed(member, cadre=yzt_cadre, approver=yz_cadre)
    with pytest.raises(ValidationError):
        services.visit_record(actor=yzt_cadre, file=f, visited_on=dt.date.today() + dt.timedelta(days=1),
                              visitors="王主席")


def test_relieved_then_reopened_as_a_new_episode(member, yzt_cadre, yz_cadre):
    f = filed(member, cadre=yzt_cadre, approver=yz_cadre)
    with pytest.raises(ValidationError):
        services.file_relieve(actor=yzt_cadre, file=f, reason="")
    services.file_relieve(actor=yzt_cadre, file=f, reason="重度残疾，转民政兜底")
    again = services.file_apply(actor=yzt_cadre, member=member, **poor())
    assert again.episode == 2 and again.previous_id == f.pk
    f.refresh_from_db()
    assert f.status == FileStatus.RELIEVED and Grading.objects.filter(file=f).count() == 1


def test_a_cadre_elsewhere_cannot_act_on_a_file(member, yzt_cadre, yz_cadre, bl_cadre):
    f = filed(member, cadre=yzt_cadre, approver=yz_cadre)
    for call in (lambda: services.file_pause(actor=bl_cadre, file=f, reason="x"),
                 lambda: services.visit_record(actor=bl_cadre, file=f, visited_on=past(1), visitors="x")):
        with pytest.raises(PermissionDenied):
            call()
    with pytest.raises(Exception) as exc:
        selectors.file_get(bl_cadre, f.pk)
    assert exc.typename == "Http404"


def test_the_self_test_writes_nothing(tree):
    g = services.self_test(org_path=tree.yze.path, income="48000", household_size=2)
    assert g.grade == "relative" and not HardshipFile.objects.exists()


def test_a_viewer_sees_but_does_not_act(member, yzt_cadre, yz_cadre, tree):
    viewer = UserFactory()
    grant(viewer, tree.yz, "viewer")
    f = filed(member, cadre=yzt_cadre, approver=yz_cadre)
    assert selectors.file_get(viewer, f.pk) == f
    with pytest.raises(PermissionDenied):
        services.file_pause(actor=viewer, file=f, reason="x")
    other = make_member(tree.ble, name="外区职工", id_number=valid_id_number(8100))
    assert not selectors.files_for(viewer).filter(member=other).exists()
