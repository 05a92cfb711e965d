"""The grading rule as a pure function: examples a cadre can check by hand, and its properties."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, strategies as st

from gonghui.assistance import rules
from gonghui.assistance.rules import Household, Policy, grade

D = Decimal
STD = D("1062.00")


def test_a_family_below_the_standard_is_deep_hardship():
    # (30000 − 6000) ÷ 12 ÷ 3 = 666.67 < 1062
    g = grade(Household(yearly_income=D("30000"), unavoidable_costs=D("6000"), size=3), STD)
    assert (g.grade, g.rule, g.per_capita, g.standard) == ("deep", "below_standard", D("666.67"), STD)
    assert g.steps[0]["per_capita"] == "666.67" and g.steps[1]["relative_line"] == "2124.00"


def test_below_twice_the_standard_is_relative_hardship():
    # 60000 ÷ 12 ÷ 3 = 1666.67: between 1× and 2×
    assert grade(Household(yearly_income=D("60000"), size=3), STD).grade == "relative"


def test_the_lines_are_strict():
    # exactly the standard is not below it; exactly twice is not below twice
    assert grade(Household(yearly_income=D("12744"), size=1), STD).grade == "relative"
    assert grade(Household(yearly_income=D("25488"), size=1), STD).grade == "none"


def test_an_accident_or_a_costly_illness_makes_accident_hardship_above_the_lines():
    rich = dict(yearly_income=D("200000"), size=2)
    assert grade(Household(**rich, accident="work_injury"), STD).grade == "accident"
    # an illness costing 170,000 of 200,000 (85 % > 80 %), 15,000 a month per head left: still 意外致困
    g = grade(Household(**rich, unavoidable_costs=D("170000"), illness_cost=D("170000")), STD)
    assert (g.grade, g.rule) == ("relative", "below_relative")  # 30000/12/2 = 1250 < 2124
    g = grade(Household(yearly_income=D("400000"), size=2, unavoidable_costs=D("330000"),
                        illness_cost=D("330000")), STD)
    assert (g.grade, g.rule) == ("accident", "illness")
    assert grade(Household(yearly_income=D("400000"), size=2, unavoidable_costs=D("310000"),
                           illness_cost=D("310000")), STD).grade == "none"  # 77.5 %


@pytest.mark.parametrize("kwargs, code", [
    (dict(homes=2), "two_homes"),
    (dict(owns_business=True), "business"),
    (dict(private_school_fee=D("30000"), public_school_fee=D("10000")), "private_school"),
    (dict(abroad_self_paid=True), "abroad"),
    (dict(migrant=True, employed_months=11), "migrant_short"),
])
def test_each_exclusion_refuses_a_poor_family(kwargs, code):
    g = grade(Household(yearly_income=D("1000"), size=3, **kwargs), STD)
    assert (g.grade, g.rule, g.exclusions) == ("excluded", code, (code,))


def test_a_migrant_worker_with_a_year_of_work_and_a_fee_at_twice_the_public_one_are_not_excluded():
    assert grade(Household(yearly_income=D("1000"), size=3, migrant=True, employed_months=12), STD).grade == "deep"
    assert grade(Household(yearly_income=D("1000"), size=3, private_school_fee=D("20000"),
                           public_school_fee=D("10000")), STD).grade == "deep"


def test_an_exclusion_switched_off_by_the_policy_does_not_apply():
    policy = Policy(exclusions=frozenset({"business"}))
    assert grade(Household(yearly_income=D("1000"), size=1, homes=3), STD, policy).grade == "deep"


@pytest.mark.parametrize("kwargs, field", [
    (dict(yearly_income=D("-1"), size=1), "yearly_income"),
    (dict(yearly_income=D("1000"), size=0), "size"),
    (dict(yearly_income=D("1000"), size=21), "size"),
    (dict(yearly_income=D("1e15"), size=1), "yearly_income"),
    (dict(yearly_income=D("1000"), size=1, unavoidable_costs=D("-5")), "unavoidable_costs"),
    (dict(yearly_income=D("1000"), size=1, illness_cost=D("5")), "illness_cost"),
    (dict(yearly_income=D("1000"), size=1, accident="flu"), "accident"),
])
def test_absurd_figures_are_refused(kwargs, field):
    with pytest.raises(ValidationError) as exc:
        grade(Household(**kwargs), STD)
    assert field in exc.value.message_dict


def test_a_float_is_refused_and_so_is_a_zero_standard():
    with pytest.raises(ValidationError):
        grade(Household(yearly_income=1000.5, size=1), STD)
    with pytest.raises(ValidationError):
        grade(Household(yearly_income=D("1000"), size=1), D("0"))


def test_the_inputs_round_trip_through_json():
    h = Household(yearly_income=D("12345.67"), size=4, unavoidable_costs=D("100.00"), migrant=True,
                  employed_months=20)
    assert Household.from_json(h.as_json()) == h


amounts = st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False, allow_infinity=False)
sizes = st.integers(min_value=1, max_value=20)
standards = st.decimals(min_value=D("100"), max_value=D("5000"), places=2)
ORDER = {"deep": 0, "relative": 1, "accident": 2, "none": 2}


@given(amounts, amounts, sizes, standards)
def test_per_capita_is_the_formula_to_the_fen_and_never_negative(income, costs, size, standard):
    g = grade(Household(yearly_income=income, unavoidable_costs=min(costs, income * 2), size=size), standard)
    exact = max(income - min(costs, income * 2), D(0)) / 12 / size
    assert g.per_capita >= 0
    assert abs(g.per_capita - exact) <= D("0.005")
    assert g.per_capita == g.per_capita.quantize(D("0.01"))


@given(amounts, amounts, sizes, standards)
def test_more_income_never_makes_a_deeper_grade(income, extra, size, standard):
    poorer = grade(Household(yearly_income=income, size=size), standard)
    richer = grade(Household(yearly_income=income + extra, size=size), standard)
    assert ORDER[richer.grade] >= ORDER[poorer.grade]


@given(amounts, sizes, standards, standards)
def test_a_higher_standard_never_makes_a_lighter_grade(income, size, low, high):
    low, high = min(low, high), max(low, high)
    assert ORDER[grade(Household(yearly_income=income, size=size), high).grade] <= \
        ORDER[grade(Household(yearly_income=income, size=size), low).grade]


@given(amounts, sizes, standards)
def test_the_grade_matches_the_lines(income, size, standard):
    g = grade(Household(yearly_income=income, size=size), standard)
    if g.per_capita < standard:
        assert g.grade == "deep"
    elif g.per_capita < 2 * standard:
        assert g.grade == "relative"
    else:
        assert g.grade == "none"


@given(amounts, sizes, st.sampled_from(rules.EXCLUSIONS))
def test_an_exclusion_always_wins(income, size, code):
    kwargs = {"two_homes": dict(homes=2), "business": dict(owns_business=True),
              "private_school": dict(private_school_fee=D("50000"), public_school_fee=D("1000")),
              "abroad": dict(abroad_self_paid=True), "migrant_short": dict(migrant=True)}[code]
    g = grade(Household(yearly_income=income, size=size, **kwargs), STD)
    assert g.grade == "excluded" and code in g.exclusions and not g.qualifies


def _records(values, last):
    return dict(zip(rules.months(last, len(values)), values))


def test_six_months_above_the_standard_lift_a_family_out():
    last = dt.date(2026, 6, 15)
    assert rules.lifted_out(_records([D("1100")] * 6, last), STD, last)
    assert not rules.lifted_out(_records([D("1100")] * 5, last), STD, last)
    assert not rules.lifted_out(_records([D("1100")] * 2 + [D("1062")] + [D("1100")] * 3, last), STD, last)


def test_a_month_without_a_record_breaks_the_run():
    last = dt.date(2026, 6, 1)
    records = _records([D("1100")] * 7, last)
    del records[dt.date(2026, 3, 1)]
    assert rules.months_above(records, STD, last) == 3


@given(st.lists(st.decimals(min_value=0, max_value=5000, places=2), min_size=0, max_size=24))
def test_lifted_out_means_the_last_six_months_were_above(values):
    last = dt.date(2026, 12, 31)
    records = _records(values, last)
    expected = len(values) >= 6 and all(v > STD for v in values[-6:])
    assert rules.lifted_out(records, STD, last) is expected
