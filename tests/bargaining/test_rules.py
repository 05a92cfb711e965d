"""The law's clock of a bargaining round, as pure functions over the Chinese calendar (holidays, 调休)."""

import datetime as dt

from hypothesis import given, strategies as st

from gonghui.bargaining import rules
from gonghui.bargaining.rules import Dates, Step
from gonghui.core.workdays import Calendar, weekday_rule, workdays_between

D = dt.date
CAL = Calendar(overrides={})  # the package's schedules only, no database
days = st.dates(min_value=D(2010, 1, 1), max_value=D(2026, 11, 30))


def test_the_reply_is_due_20_days_after_the_offer():
    assert rules.reply_due(D(2026, 3, 2), CAL) == D(2026, 3, 23)  # a Monday


def test_a_period_ending_on_a_holiday_ends_on_the_next_working_day():
    # 12 September + 20 days = 2 October, inside the National Day break: the reply may come on the 8th.
    assert rules.reply_due(D(2026, 9, 12), CAL) == D(2026, 10, 8)
    # 7 days from 1 February 2026 end on Sunday 8 February... which is no 调休 day: Monday 9.
    assert rules.filing_due(D(2026, 2, 1), CAL) == D(2026, 2, 9)


def test_a_period_ending_on_a_make_up_saturday_ends_that_saturday():
    # Saturday 14 February 2026 is worked (春节调休): a deadline may fall on it.
    assert rules.filing_due(D(2026, 2, 7), CAL) == D(2026, 2, 14)


def test_talks_start_within_10_working_days_across_the_national_day_break():
    assert rules.talks_due(D(2026, 9, 30), CAL) == D(2026, 10, 20)
    assert rules.talks_due(D(2026, 2, 13), CAL) == D(2026, 3, 5)  # 14th and 28th worked, 15–23 off


def test_the_contract_is_in_force_the_day_after_15_days_without_objection():
    filed = Dates(offered_on=D(2026, 3, 2), replied_on=D(2026, 3, 10), talks_on=D(2026, 3, 16),
                  voted_on=D(2026, 4, 1), signed_on=D(2026, 4, 2), filed_on=D(2026, 4, 3))
    assert rules.review_ends(filed.filed_on, CAL) == D(2026, 4, 20)  # the 18th is a Saturday
    assert rules.in_force_on(filed, CAL) == D(2026, 4, 21)
    cleared = Dates(**{**filed.__dict__, "cleared_on": D(2026, 4, 8)})
    assert rules.in_force_on(cleared, CAL) == D(2026, 4, 8)
    objected = Dates(**{**filed.__dict__, "objected_on": D(2026, 4, 10)})
    assert rules.in_force_on(objected, CAL) is None


def test_announcement_is_due_5_days_after_entry_into_force():
    assert rules.announce_due(D(2026, 4, 21), CAL) == D(2026, 4, 27)  # the 26th is a Sunday


def test_the_renewal_window_is_the_60_days_before_expiry():
    assert rules.renewal_window(D(2026, 12, 31)) == (D(2026, 11, 1), D(2026, 12, 31))
    assert not rules.renewal_due(D(2026, 12, 31), D(2026, 10, 31))
    assert rules.renewal_due(D(2026, 12, 31), D(2026, 11, 1))


def test_a_wage_agreement_runs_one_year():
    assert rules.wage_term_end(D(2026, 1, 1)) == D(2026, 12, 31)
    assert rules.wage_term_end(D(2024, 2, 29)) == D(2025, 2, 27)


def test_a_vote_needs_two_thirds_present_and_more_than_half_of_all_in_favour():
    assert rules.vote_passes(eligible=100, present=67, in_favour=51)
    assert not rules.vote_passes(eligible=100, present=66, in_favour=60)  # no quorum
    assert not rules.vote_passes(eligible=100, present=90, in_favour=50)  # half is not more than half
    assert not rules.vote_passes(eligible=100, present=70, in_favour=40)  # a majority of those present only


def test_vote_counts_that_do_not_add_up_are_named():
    assert rules.vote_problems(eligible=100, present=80, in_favour=60, against=10, abstained=10) == []
    assert rules.vote_problems(eligible=100, present=120, in_favour=60, against=0, abstained=0) == [
        "present_exceeds_eligible"]
    assert rules.vote_problems(eligible=100, present=80, in_favour=70, against=20, abstained=0) == [
        "ballots_exceed_present"]


def test_where_a_round_stands_step_by_step():
    today = D(2026, 5, 1)
    assert rules.next_step(Dates(), today, CAL) is Step.OFFER
    waiting = rules.waiting_for(Dates(offered_on=D(2026, 4, 1)), today, CAL)
    assert (waiting.step, waiting.due, waiting.overdue, waiting.consequence) == (
        Step.REPLY, D(2026, 4, 21), True, "no_reply")
    waiting = rules.waiting_for(Dates(offered_on=D(2026, 4, 1), replied_on=D(2026, 4, 20)), today, CAL)
    assert (waiting.step, waiting.due, waiting.overdue) == (Step.TALKS, D(2026, 5, 7), False)  # 劳动节: 1–5 May off
    voted = Dates(offered_on=D(2026, 4, 1), replied_on=D(2026, 4, 2), talks_on=D(2026, 4, 3), voted_on=D(2026, 4, 8))
    assert rules.waiting_for(voted, today, CAL).step is Step.SIGN
    assert rules.waiting_for(voted, today, CAL).due is None  # the law sets no period for signing
    filed = Dates(**{**voted.__dict__, "signed_on": D(2026, 4, 9), "filed_on": D(2026, 4, 10)})
    waiting = rules.waiting_for(filed, D(2026, 4, 20), CAL)
    assert (waiting.step, waiting.due, waiting.overdue) == (Step.REVIEW, D(2026, 4, 27), False)
    waiting = rules.waiting_for(filed, D(2026, 5, 20), CAL)  # in force on 28 April; announce by 6 May
    assert (waiting.step, waiting.due, waiting.overdue, waiting.consequence) == (
        Step.ANNOUNCE, D(2026, 5, 6), True, "not_announced")
    done = Dates(**{**filed.__dict__, "announced_on": D(2026, 4, 29)})
    assert rules.waiting_for(done, D(2026, 5, 20), CAL) is None


def test_dates_out_of_order_are_named():
    assert rules.order_problems(Dates(offered_on=D(2026, 4, 10), replied_on=D(2026, 4, 9))) == [
        "replied_on_before_offered_on"]
    assert rules.order_problems(Dates(offered_on=D(2026, 4, 1), cleared_on=D(2026, 4, 2))) == [
        "cleared_on_before_filed_on"]


@given(start=days, n=st.integers(0, 60))
def test_a_period_in_days_ends_on_a_working_day_no_earlier_than_its_calendar_end(start, n):
    end = rules.end_of_period(start, n, CAL)
    assert end >= start + dt.timedelta(days=n)
    assert CAL(end)
    # every day between the calendar end and the deadline is a rest day
    assert all(not CAL(start + dt.timedelta(days=k)) for k in range(n, (end - start).days))


@given(replied=days)
def test_talks_are_due_on_the_tenth_working_day_after_the_reply(replied):
    due = rules.talks_due(replied, CAL)
    assert CAL(due)
    assert workdays_between(replied, due, CAL) == 10
    assert workdays_between(replied, due - dt.timedelta(days=1), CAL) == 9


@given(replied=days)
def test_holidays_never_shorten_the_talks_period(replied):
    # Mon–Fri alone gives the earliest the 10th working day can be only when no 调休 Saturday falls inside.
    plain = rules.talks_due(replied, weekday_rule)
    due = rules.talks_due(replied, CAL)
    assert due >= plain - dt.timedelta(days=7)  # make-up weekends pull it in by days, never by weeks
    assert (due - replied).days >= 10


@given(offered=days, gaps=st.lists(st.integers(0, 40), min_size=6, max_size=6), today=days)
def test_the_next_step_of_a_well_ordered_round_is_the_first_undone(offered, gaps, today):
    names = ["offered_on", "replied_on", "talks_on", "voted_on", "signed_on", "filed_on"]
    values, day = {}, offered
    for name, gap in zip(names, gaps):
        day = day + dt.timedelta(days=gap)
        values[name] = day
    for upto in range(len(names) + 1):
        dates = Dates(**{k: values[k] for k in names[:upto]})
        assert rules.order_problems(dates) == []
        step = rules.next_step(dates, today, CAL)
        assert step is rules.ORDER[upto] or (upto == 6 and step in (Step.REVIEW, Step.ANNOUNCE))
        waiting = rules.waiting_for(dates, today, CAL)
        if waiting is not None and waiting.due is not None:
            assert waiting.overdue == (today > waiting.due and waiting.step is not Step.REVIEW)


def test_in_force_on_a_day():
    kw = dict(starts_on=D(2026, 1, 1), ends_on=D(2026, 12, 31), effective_on=D(2026, 1, 20))
    assert not rules.in_force(day=D(2026, 1, 19), **kw)
    assert rules.in_force(day=D(2026, 1, 20), **kw)
    assert rules.in_force(day=D(2026, 12, 31), **kw)
    assert not rules.in_force(day=D(2027, 1, 1), **kw)
    assert not rules.in_force(day=D(2026, 6, 1), terminated_on=D(2026, 6, 1), **kw)
