"""The statutory deadlines as pure functions: examples from the law, and properties for any dates."""

import datetime as dt
from decimal import Decimal

from hypothesis import assume, given, strategies as st

from gonghui.disputes import rules

days = st.dates(min_value=dt.date(2008, 5, 1), max_value=dt.date(2040, 12, 31))
amounts = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False)
wages = st.decimals(min_value=1000, max_value=5000, places=2, allow_nan=False, allow_infinity=False)
claim_kinds = st.sampled_from(["unpaid_wages", "overtime", "social_insurance", "work_injury",
                               "dismissal_compensation", "contract", "other"])


# ------------------------------------------------------------------------------ 15-day mediation

def test_mediation_deadline_examples():
    d = rules.mediation_deadline(dt.date(2026, 3, 1), dt.date(2026, 3, 16))
    assert d.due_on == dt.date(2026, 3, 16) and not d.passed and d.days_left == 0
    d = rules.mediation_deadline(dt.date(2026, 3, 1), dt.date(2026, 3, 17))
    assert d.passed and d.days_left == -1


@given(received=days, today=days)
def test_mediation_deadline_is_15_days_and_passes_the_day_after(received, today):
    d = rules.mediation_deadline(received, today)
    assert d.due_on - received == dt.timedelta(days=15)
    assert d.passed == (today > d.due_on) == (d.days_left < 0)


# ---------------------------------------------------------------------------------- limitation

def test_one_year_from_when_the_worker_knew():
    lim = rules.limitation(knew_on=dt.date(2025, 3, 10), today=dt.date(2026, 3, 10), claim="overtime")
    assert lim.ends_on == dt.date(2026, 3, 10) and not lim.barred
    assert rules.limitation(knew_on=dt.date(2025, 3, 10), today=dt.date(2026, 3, 11), claim="overtime").barred


def test_29_february_ends_on_28_february():
    assert rules.limitation(knew_on=dt.date(2024, 2, 29), today=dt.date(2024, 3, 1)).ends_on == dt.date(2025, 2, 28)


def test_an_interruption_restarts_the_year():
    lim = rules.limitation(knew_on=dt.date(2024, 1, 10), today=dt.date(2025, 6, 1), claim="dismissal_compensation",
                           interruptions=[dt.date(2024, 11, 1)])
    assert lim.ends_on == dt.date(2025, 11, 1) and not lim.barred and lim.starts_on == dt.date(2024, 11, 1)


def test_an_interruption_after_the_year_ran_out_revives_nothing():
    lim = rules.limitation(knew_on=dt.date(2023, 1, 10), today=dt.date(2025, 6, 1), claim="overtime",
                           interruptions=[dt.date(2024, 2, 1)])
    assert lim.ends_on == dt.date(2024, 1, 10) and lim.barred


def test_a_suspension_stops_the_clock_for_its_days():
    lim = rules.limitation(knew_on=dt.date(2025, 1, 1), today=dt.date(2025, 6, 1), claim="overtime",
                           suspensions=[(dt.date(2025, 5, 1), dt.date(2025, 5, 10))])
    assert lim.ends_on == dt.date(2026, 1, 11)


def test_unpaid_wages_are_not_barred_while_employed_then_one_year_from_the_end():
    during = rules.limitation(knew_on=dt.date(2015, 1, 1), today=dt.date(2026, 1, 1), claim="unpaid_wages")
    assert during.ends_on is None and not during.barred and during.reason == "employment"
    after = rules.limitation(knew_on=dt.date(2015, 1, 1), today=dt.date(2026, 1, 1), claim="unpaid_wages",
                             employment_end=dt.date(2025, 6, 30))
    assert after.ends_on == dt.date(2026, 6, 30) and not after.barred
    # Other claims of the same worker run from when they knew, employment or not.
    assert rules.limitation(knew_on=dt.date(2015, 1, 1), today=dt.date(2026, 1, 1), claim="overtime").barred


@given(knew=days, today=days, claim=claim_kinds)
def test_without_events_the_period_is_one_year(knew, today, claim):
    assume(claim != "unpaid_wages")
    lim = rules.limitation(knew_on=knew, today=today, claim=claim)
    assert lim.ends_on == rules.add_years(knew, 1)
    assert 365 <= (lim.ends_on - knew).days <= 366
    assert lim.barred == (today > lim.ends_on)


@given(knew=days, today=days, interruption=days)
def test_an_interruption_never_shortens_the_period(knew, today, interruption):
    plain = rules.limitation(knew_on=knew, today=today, claim="overtime")
    interrupted = rules.limitation(knew_on=knew, today=today, claim="overtime", interruptions=[interruption])
    assert interrupted.ends_on >= plain.ends_on
    if knew < interruption <= plain.ends_on:
        assert interrupted.ends_on == rules.add_years(interruption, 1)
    else:
        assert interrupted.ends_on == plain.ends_on


@given(knew=days, today=days, events=st.lists(days, max_size=5))
def test_the_period_ends_one_year_after_the_last_effective_interruption(knew, today, events):
    lim = rules.limitation(knew_on=knew, today=today, claim="contract", interruptions=events)
    assert lim.ends_on == rules.add_years(lim.starts_on, 1)
    assert lim.starts_on == knew or lim.starts_on in events


@given(knew=days, today=days, first=days, length=st.integers(0, 400))
def test_a_suspension_inside_the_period_adds_its_days_and_outside_it_adds_nothing(knew, today, first, length):
    last = first + dt.timedelta(days=length)
    assume(last <= dt.date(2045, 1, 1))
    plain = rules.limitation(knew_on=knew, today=today, claim="overtime")
    suspended = rules.limitation(knew_on=knew, today=today, claim="overtime", suspensions=[(first, last)])
    if knew < first <= plain.ends_on:
        assert (suspended.ends_on - plain.ends_on).days == length + 1
    else:
        assert suspended.ends_on == plain.ends_on


@given(knew=days, today=days, end=st.one_of(st.none(), days))
def test_wage_arrears_rule(knew, today, end):
    lim = rules.limitation(knew_on=knew, today=today, claim="unpaid_wages", employment_end=end)
    if end is None or end >= today:
        assert lim.ends_on is None and not lim.barred
    else:
        assert lim.ends_on == rules.add_years(max(knew, end), 1)
        assert lim.barred == (today > lim.ends_on)


# -------------------------------------------------------------------------------- arbitration

@given(day=days, extended=st.booleans())
def test_arbitration_acceptance_and_award(day, extended):
    assert (rules.acceptance_due(day) - day).days == 5
    assert (rules.award_due(day, extended=extended) - day).days == (60 if extended else 45)


# ---------------------------------------------------------------------------------- 一裁终局

def test_final_award_examples_with_ningbo_wage():
    wage = Decimal("2490.00")
    assert rules.final_award_threshold(wage) == Decimal("29880.00")
    assert rules.final_award_hint([("unpaid_wages", Decimal("29880.00"))], wage)
    assert not rules.final_award_hint([("unpaid_wages", Decimal("29880.01"))], wage)
    # Item by item: two claims each under the threshold stay final even if their sum is not.
    assert rules.final_award_hint([("unpaid_wages", Decimal("20000")), ("overtime", Decimal("20000"))], wage)
    assert rules.final_award_hint([("social_insurance", Decimal("90000"))], wage)
    assert not rules.final_award_hint([("contract", Decimal("100"))], wage)
    assert not rules.final_award_hint([], wage)


@given(claims=st.lists(st.tuples(claim_kinds, amounts), min_size=1, max_size=5), wage=wages)
def test_final_award_hint_property(claims, wage):
    threshold = wage * 12
    expected = all(kind == "social_insurance" or (kind in rules.MONEY_CLAIMS and amount <= threshold)
                   for kind, amount in claims)
    assert rules.final_award_hint(claims, wage) == expected


@given(claims=st.lists(st.tuples(st.sampled_from(sorted(rules.MONEY_CLAIMS)), amounts), min_size=1, max_size=4),
       low=wages, rise=st.decimals(min_value=0, max_value=2000, places=2))
def test_a_higher_minimum_wage_never_takes_finality_away(claims, low, rise):
    if rules.final_award_hint(claims, low):
        assert rules.final_award_hint(claims, low + rise)


# ------------------------------------------------------------------------------------ overdue

@given(received=days, today=days, state=st.sampled_from(["intake", "triaged", "mediating", "settled", "paid",
                                                          "unpaid", "failed", "referred", "closed", "handed_on"]))
def test_overdue_mediation_only_while_mediating(received, today, state):
    reasons = rules.overdue_reasons(state=state, received_on=received, today=today)
    late = today > received + dt.timedelta(days=15)
    assert ("mediation" in reasons) == (late and state in {"intake", "triaged", "mediating"})


def test_overdue_instalments_and_court_deadline():
    today = dt.date(2026, 5, 1)
    due = [rules.DueItem(dt.date(2026, 4, 1), Decimal("100"), Decimal("50"))]
    assert rules.overdue_reasons(state="settled", received_on=today, today=today, instalments=due) == ["instalment"]
    paid = [rules.DueItem(dt.date(2026, 4, 1), Decimal("100"), Decimal("100"))]
    assert rules.overdue_reasons(state="settled", received_on=today, today=today, instalments=paid) == []
    assert rules.overdue_reasons(state="mediating", received_on=dt.date(2026, 4, 25), today=today,
                                 court_deadline=dt.date(2026, 4, 30)) == ["court"]
    assert rules.overdue_reasons(state="paid", received_on=dt.date(2026, 1, 1), today=today,
                                 court_deadline=dt.date(2026, 2, 1)) == []

