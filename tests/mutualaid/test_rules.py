"""The payout rule as a pure function: examples a member can check by hand, and its properties."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given, settings, strategies as st

from gonghui.mutualaid.rules import FEN, Rule, Tier, explain, parse_tiers, payout_amount, price

D = Decimal
RULE = Rule(deductible=D("500.00"), tiers=(Tier(D("10000"), D("0.5")), Tier(None, D("0.6"))),
            yearly_cap=D("20000.00"), stay_cap=D("15000.00"))


def test_a_stay_is_paid_by_bands_above_the_deductible():
    p = price(RULE, D("12000.00"))
    # 12000 − 500 = 11500; 10000 × 50% + 1500 × 60% = 5900
    assert p.amount == D("5900.00")
    assert p.eligible == D("11500.00")
    assert [s["step"] for s in p.steps] == ["deductible", "tier", "tier", "by_tiers", "yearly_cap_ok", "payout"]


def test_below_the_deductible_nothing_is_paid():
    assert price(RULE, D("499.99")).amount == D("0.00")
    assert price(RULE, D("500.00")).amount == D("0.00")


def test_the_per_stay_cap_and_the_yearly_cap_bite():
    assert price(RULE, D("100000")).amount == D("15000.00")  # per stay
    p = price(RULE, D("100000"), D("12000.00"))
    assert p.amount == D("8000.00") and p.cap_left == D("8000.00")
    assert price(RULE, D("100000"), D("20000.00")).amount == D("0.00")
    assert price(RULE, D("100000"), D("25000.00")).amount == D("0.00")  # never negative


def test_rounding_is_half_up_to_the_fen_once():
    rule = Rule(deductible=D("0"), tiers=(Tier(None, D("0.5")),), yearly_cap=D("1000000"))
    assert price(rule, D("0.01")).amount == D("0.01")  # 0.005 → 0.01
    assert price(rule, D("0.03")).amount == D("0.02")  # 0.015 → 0.02


def test_explanation_reads_step_by_step():
    with translation.override("en"):
        lines = explain(price(RULE, D("12000.00"), D("1000.00")).steps)
    assert lines[0] == "In-catalogue self-pay 12000.00 − deductible 500.00 = 11500.00 yuan"
    assert lines[1] == "10000.00 × 50% = 5000.00 yuan"
    assert lines[-1] == "Payout: 5900.00 yuan"


@pytest.mark.parametrize("tiers", [
    [],
    [{"upto": "100", "ratio": "0.5"}],  # last band must be open
    [{"upto": None, "ratio": "0.5"}, {"upto": None, "ratio": "0.6"}],
    [{"upto": "100", "ratio": "0.5"}, {"upto": "50", "ratio": "0.6"}, {"upto": None, "ratio": "0.7"}],
    [{"upto": None, "ratio": "1.5"}],
    [{"upto": None, "ratio": "0"}],
    [{"upto": None, "ratio": "abc"}],
    [{"upto": None}],
])
def test_bad_tiers_are_refused_with_a_message(tiers):
    with pytest.raises(ValidationError):
        parse_tiers(tiers)


money = st.decimals(min_value=D("0"), max_value=D("500000"), places=2, allow_nan=False, allow_infinity=False)
ratio = st.decimals(min_value=D("0.01"), max_value=D("1"), places=2)


@st.composite
def rules_(draw):
    n = draw(st.integers(1, 4))
    bounds = sorted(draw(st.sets(st.decimals(min_value=D("1"), max_value=D("200000"), places=2),
                                 min_size=n - 1, max_size=n - 1)))
    tiers = tuple(Tier(b, draw(ratio)) for b in bounds) + (Tier(None, draw(ratio)),)
    stay_cap = draw(st.one_of(st.none(), money))
    return Rule(deductible=draw(money), tiers=tiers, yearly_cap=draw(money), stay_cap=stay_cap)


@settings(max_examples=300, deadline=None)
@given(rules_(), money, money)
def test_never_negative_never_above_the_caps_exact_to_the_fen(rule, self_pay, paid):
    p = price(rule, self_pay, paid)
    assert p.amount >= 0
    assert p.amount <= max(D(0), rule.yearly_cap - paid)
    if rule.stay_cap is not None:
        assert p.amount <= rule.stay_cap
    assert p.amount == p.amount.quantize(FEN)
    assert p.amount <= max(D(0), self_pay - rule.deductible)  # ratios ≤ 1: never more than the eligible self-pay
    assert price(rule, self_pay, paid) == p  # deterministic
    assert payout_amount(rule, self_pay, paid) == p.amount  # the batch engine's path gives the same


@settings(max_examples=300, deadline=None)
@given(rules_(), money, money, money)
def test_monotone_in_self_pay(rule, a, b, paid):
    low, high = sorted((a, b))
    assert price(rule, low, paid).amount <= price(rule, high, paid).amount


@settings(max_examples=200, deadline=None)
@given(rules_(), st.lists(money, min_size=1, max_size=8))
def test_a_year_of_stays_never_pays_more_than_the_yearly_cap(rule, stays):
    paid = D("0.00")
    for self_pay in stays:
        paid += price(rule, self_pay, paid).amount
    assert paid <= rule.yearly_cap
