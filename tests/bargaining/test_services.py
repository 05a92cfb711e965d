"""A round from offer to announcement; bad input refused with nothing changed; scope; renewal keeps history."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from gonghui.bargaining import figures, selectors, services
from gonghui.bargaining.models import Contract, ContractKind, Coverage, Round, RoundState, Scope, SkillFactor, VoteBody
from gonghui.bargaining.rules import Step
from gonghui.bargaining.services import Covered, Grade
from gonghui.core.models import AuditEntry
from tests.bargaining.helpers import TODAY, D, open_round, signed_round, terms


def test_a_round_runs_from_offer_to_announcement_with_an_audit_line_each_step(tree, yz_cadre):
    row = signed_round(yz_cadre, tree.yze)
    contract = row.contract
    # filed 29 April 2026; 15 days end 14 May; in force on the 15th.
    assert contract.effective_on == D(2026, 5, 15)
    assert selectors.standing(row, D(2026, 5, 10)).waiting.step is Step.REVIEW
    waiting = selectors.standing(row, D(2026, 5, 25)).waiting
    assert (waiting.step, waiting.due, waiting.overdue) == (Step.ANNOUNCE, D(2026, 5, 20), True)
    row = services.round_announce(actor=yz_cadre, round=row, announced_on=D(2026, 5, 18), today=TODAY)
    assert row.state == RoundState.CONCLUDED
    contract.refresh_from_db()
    assert contract.announced_on == D(2026, 5, 18) and contract.workers == 200
    actions = list(AuditEntry.objects.filter(action__startswith="bargaining.").values_list("action", flat=True))
    assert actions == ["bargaining.round_open", "bargaining.round_reply", "bargaining.round_talks",
                       "bargaining.round_vote", "bargaining.round_sign", "bargaining.contract_signed",
                       "bargaining.round_file", "bargaining.round_announce"]


def test_a_reply_dated_before_the_offer_is_refused_and_nothing_changes(tree, yz_cadre):
    row = open_round(yz_cadre, tree.yze)
    with pytest.raises(ValidationError) as refused:
        services.round_reply(actor=yz_cadre, round=row, replied_on=D(2026, 3, 31), today=TODAY)
    assert "回应" in str(refused.value) or "reply" in str(refused.value)
    row.refresh_from_db()
    assert row.replied_on is None
    assert not AuditEntry.objects.filter(action="bargaining.round_reply").exists()


def test_steps_are_taken_in_order(tree, yz_cadre):
    row = open_round(yz_cadre, tree.yze)
    with pytest.raises(ValidationError):
        services.round_talks(actor=yz_cadre, round=row, talks_on=D(2026, 4, 5), today=TODAY)


def test_a_vote_with_more_ballots_than_people_present_is_refused(tree, yz_cadre):
    row = open_round(yz_cadre, tree.yze)
    services.round_reply(actor=yz_cadre, round=row, replied_on=D(2026, 4, 2), today=TODAY)
    services.round_talks(actor=yz_cadre, round=row, talks_on=D(2026, 4, 3), today=TODAY)
    with pytest.raises(ValidationError):
        services.round_vote(actor=yz_cadre, round=row, body=VoteBody.CONGRESS, held_on=D(2026, 4, 8), eligible=50,
                            present=40, in_favour=35, against=5, abstained=1, today=TODAY)
    with pytest.raises(ValidationError):  # more voters than the enterprise's 200 workers
        services.round_vote(actor=yz_cadre, round=row, body=VoteBody.CONGRESS, held_on=D(2026, 4, 8), eligible=201,
                            present=200, in_favour=150, against=0, abstained=0, today=TODAY)
    assert not row.votes.exists()


def test_a_failed_vote_is_kept_and_the_round_votes_again(tree, yz_cadre):
    row = open_round(yz_cadre, tree.yze)
    services.round_reply(actor=yz_cadre, round=row, replied_on=D(2026, 4, 2), today=TODAY)
    services.round_talks(actor=yz_cadre, round=row, talks_on=D(2026, 4, 3), today=TODAY)
    failed = services.round_vote(actor=yz_cadre, round=row, body=VoteBody.ALL_WORKERS, held_on=D(2026, 4, 8),
                                 eligible=200, present=180, in_favour=100, against=80, abstained=0, today=TODAY)
    assert not failed.passed  # 100 of 200 is half, not more than half
    row.refresh_from_db()
    assert row.voted_on is None
    passed = services.round_vote(actor=yz_cadre, round=row, body=VoteBody.ALL_WORKERS, held_on=D(2026, 4, 15),
                                 eligible=200, present=180, in_favour=101, against=79, abstained=0, today=TODAY)
    assert passed.passed
    row.refresh_from_db()
    assert row.voted_on == D(2026, 4, 15) and row.votes.count() == 2


def test_a_contract_ending_before_it_starts_is_refused(tree, yz_cadre):
    with pytest.raises(ValidationError):
        services.contract_record(actor=yz_cadre, org=tree.yze, title="合同", kind=ContractKind.COMPREHENSIVE,
                                 employer="某公司", signed_on=D(2026, 1, 5),
                                 terms=terms(tree.yze, starts_on=D(2026, 2, 1), ends_on=D(2026, 1, 31)), today=TODAY)
    assert not Contract.objects.exists()


def test_an_enterprise_outside_the_union_subtree_is_refused(tree, yz_cadre, yz_industry):
    sector = terms(yz_industry)
    sector = sector.__class__(**{**sector.__dict__, "covered": [Covered(tree.yze, 100), Covered(tree.ble, 50)]})
    with pytest.raises(ValidationError) as refused:
        services.contract_record(actor=yz_cadre, org=yz_industry, title="家政行业集体合同", kind=ContractKind.WAGE,
                                 scope=Scope.INDUSTRY, employer="鄞州区家政服务协会", signed_on=D(2026, 1, 5),
                                 terms=sector, today=TODAY)
    assert tree.ble.name in str(refused.value)
    assert not Contract.objects.exists() and not Coverage.objects.exists()


def test_a_cadre_cannot_act_outside_their_subtree(tree, bl_cadre, yz_cadre):
    with pytest.raises(PermissionDenied):
        open_round(bl_cadre, tree.yze)
    row = open_round(yz_cadre, tree.yze)
    with pytest.raises(PermissionDenied):
        services.round_reply(actor=bl_cadre, round=row, replied_on=D(2026, 4, 2), today=TODAY)
    assert selectors.round_get(user=bl_cadre, pk=row.pk) is None
    assert selectors.round_get(user=yz_cadre, pk=row.pk) is not None


def test_the_bureau_objects_and_the_draft_goes_back_to_a_vote(tree, yz_cadre):
    row = signed_round(yz_cadre, tree.yze)
    row = services.round_review(actor=yz_cadre, round=row, decided_on=D(2026, 5, 8), objection="工资条款低于最低工资标准",
                                today=D(2026, 5, 9))
    assert selectors.standing(row, D(2026, 5, 9)).waiting.step is Step.VOTE
    assert Contract.objects.get().effective_on is None
    assert figures.coverage(tree.yz.path, D(2026, 6, 1))["contracts_in_force"] == 0


def test_the_bureau_confirms_early(tree, yz_cadre):
    row = signed_round(yz_cadre, tree.yze)
    services.round_review(actor=yz_cadre, round=row, decided_on=D(2026, 5, 6), today=D(2026, 5, 9))
    assert Contract.objects.get().effective_on == D(2026, 5, 6)


def test_a_renewal_is_a_new_contract_and_the_old_one_stays_as_it_was(tree, yz_cadre):
    old = services.contract_record(actor=yz_cadre, org=tree.yze, title="2025年工资专项集体合同", kind=ContractKind.WAGE,
                                   employer="某公司", signed_on=D(2025, 1, 5), filed_on=D(2025, 1, 6),
                                   effective_on=D(2025, 1, 22), today=TODAY,
                                   terms=terms(tree.yze, starts_on=D(2025, 2, 1), ends_on=D(2026, 1, 31),
                                               wage_growth_pct="5.5"))
    before = Contract.objects.filter(pk=old.pk).values().get()
    new = services.contract_record(actor=yz_cadre, org=tree.yze, title="2026年工资专项集体合同", kind=ContractKind.WAGE,
                                   employer="某公司", signed_on=D(2026, 1, 5), filed_on=D(2026, 1, 6),
                                   effective_on=D(2026, 1, 22), renews=old, today=TODAY,
                                   terms=terms(tree.yze, starts_on=D(2026, 2, 1), ends_on=D(2027, 1, 31),
                                               wage_growth_pct="6"))
    assert Contract.objects.filter(pk=old.pk).values().get() == before
    assert str(old.wage_growth_pct) == "5.50" and str(new.wage_growth_pct) == "6.00"
    assert [c.pk for c in selectors.contract_history(old)] == [old.pk, new.pk]
    with pytest.raises(ValidationError):
        services.contract_record(actor=yz_cadre, org=tree.yze, title="又一份", kind=ContractKind.WAGE, employer="某公司",
                                 signed_on=D(2026, 1, 6), renews=old,
                                 terms=terms(tree.yze, starts_on=D(2026, 3, 1), ends_on=D(2027, 1, 31)), today=TODAY)


def test_a_skill_grade_contract_lists_its_grades_and_what_counts(tree, yz_cadre):
    kw = dict(actor=yz_cadre, org=tree.yze, title="能级工资集体协议", kind=ContractKind.SKILL_WAGE, employer="某公司",
              signed_on=D(2026, 1, 5), today=TODAY)
    with pytest.raises(ValidationError):
        services.contract_record(terms=terms(tree.yze, skill_factors=[SkillFactor.SKILL_LEVEL]), **kw)
    contract = services.contract_record(terms=terms(
        tree.yze, skill_factors=[SkillFactor.SKILL_LEVEL, SkillFactor.PATENTS],
        grades=[Grade("初级工", "4800.00", "初级职业资格"), Grade("高级工", "7200", "高级职业资格或发明专利一项")]), **kw)
    assert [(g.rank, g.name, str(g.monthly_pay)) for g in contract.grades.all()] == [
        (1, "初级工", "4800.00"), (2, "高级工", "7200.00")]
    with pytest.raises(ValidationError):
        services.contract_record(terms=terms(tree.yze, skill_factors=["patents"], grades=[Grade("x", 0.5)]), **kw)


def _direct(path_prefix: str, day: dt.date):
    """Coverage counted the slow way, contract by contract."""
    per_enterprise: dict[int, int] = {}
    for contract in Contract.objects.all():
        binding = (contract.effective_on and contract.effective_on <= day and contract.starts_on <= day
                   <= contract.ends_on and (contract.terminated_on is None or day < contract.terminated_on))
        if not binding:
            continue
        for row in contract.coverage.all():
            if row.org.path.startswith(path_prefix):
                per_enterprise[row.org_id] = max(per_enterprise.get(row.org_id, 0), row.workers)
    return len(per_enterprise), sum(per_enterprise.values())


def test_coverage_figures_match_a_direct_count(tree, yz_cadre, nb_cadre, yz_industry):
    from tests.factories import make_org

    firms = [make_org(tree.yzt, name=f"鄞州家政公司{i}工会") for i in range(3)]
    common = dict(actor=nb_cadre, kind=ContractKind.COMPREHENSIVE, employer="某公司", today=TODAY)
    services.contract_record(org=tree.yze, title="综合", signed_on=D(2026, 1, 5), filed_on=D(2026, 1, 6),
                             effective_on=D(2026, 1, 22), terms=terms(tree.yze, workers=300), **common)
    services.contract_record(org=tree.ble, title="综合", signed_on=D(2026, 1, 5), filed_on=D(2026, 1, 6),
                             effective_on=D(2026, 1, 22), terms=terms(tree.ble, workers=80), **common)
    sector = terms(yz_industry)
    sector = sector.__class__(**{**sector.__dict__, "covered": [Covered(f, 20 + i) for i, f in enumerate(firms)]
                                 + [Covered(tree.yze, 250)]})
    services.contract_record(actor=nb_cadre, org=yz_industry, title="家政行业工资集体协议", kind=ContractKind.WAGE,
                             scope=Scope.INDUSTRY, employer="家政协会", signed_on=D(2026, 1, 5), filed_on=D(2026, 1, 6),
                             effective_on=D(2026, 1, 22), terms=sector, today=TODAY)
    services.contract_record(org=firms[0], title="未生效", signed_on=D(2026, 6, 1), terms=terms(firms[0]), **common)
    for day in (D(2026, 1, 21), D(2026, 6, 1), D(2029, 5, 1)):
        for org in (tree.nb, tree.yz, tree.bl, tree.yzt):
            got = figures.coverage(org.path, day)
            assert (got["enterprises"], got["workers"]) == _direct(org.path, day)
    got = figures.coverage(tree.nb.path, D(2026, 6, 1))
    assert got["contracts_in_force"] == 3 and got["by_kind"]["wage"] == 1
    assert got["unionised"] == 5 and got["enterprises"] == 5 and str(got["rate"]) == "100.0"
    assert got["workers"] == 300 + 80 + 20 + 21 + 22  # the firm with two contracts counts its workers once
    assert figures.coverage(tree.yz.path, D(2026, 6, 1))["expiring"] == {30: 0, 60: 0, 90: 0}
    assert figures.coverage(tree.yz.path, D(2029, 3, 1))["expiring"][60] == 2


def test_a_contract_ended_early_no_longer_counts(tree, yz_cadre):
    contract = services.contract_record(actor=yz_cadre, org=tree.yze, title="综合", kind=ContractKind.COMPREHENSIVE,
                                        employer="某公司", signed_on=D(2026, 1, 5), filed_on=D(2026, 1, 6),
                                        effective_on=D(2026, 1, 22), terms=terms(tree.yze), today=TODAY)
    services.contract_terminate(actor=yz_cadre, contract=contract, on=D(2026, 6, 1), reason="企业关闭", today=TODAY)
    assert figures.coverage(tree.yz.path, D(2026, 5, 31))["enterprises"] == 1
    assert figures.coverage(tree.yz.path, D(2026, 6, 1))["enterprises"] == 0


def test_overdue_rounds_are_counted_for_the_badge(tree, yz_cadre, bl_cadre):
    open_round(yz_cadre, tree.yze, offered_on=D(2026, 4, 1))  # reply due 21 April
    assert selectors.overdue_count(user=yz_cadre, org=tree.yz, today=D(2026, 4, 21)) == 0
    assert selectors.overdue_count(user=yz_cadre, org=tree.yz, today=D(2026, 4, 22)) == 1
    assert selectors.overdue_count(user=bl_cadre, org=tree.bl, today=D(2026, 4, 22)) == 0
    assert Round.objects.count() == 1
