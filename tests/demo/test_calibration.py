"""The plan, the tree and the member counts, without a database: exact at every scale."""

import random
from decimal import Decimal

import pytest

from gonghui.core.ids import parse_credit_code
from gonghui.demo.calibration import (
    SEED_FIGURES,
    SMALL_SCALE,
    DemoError,
    apportion,
    make_plan,
    parse_scale,
    scale_label,
    scaled,
)
from gonghui.demo.people import plan_members
from gonghui.demo.places import DISTRICT_CODES
from gonghui.demo.tree import build_city, child_path
from gonghui.orgs.models import OrgKind

SCALES = ["0.001", "0.0015", "0.002", "0.005", "0.01", "0.0123", "0.05", "0.1", "0.333", "0.5", "1"]


def test_named_scales():
    assert parse_scale("small") == SMALL_SCALE == Decimal("0.01")
    assert parse_scale("ningbo") == Decimal(1)
    assert parse_scale("0.05") == Decimal("0.05")
    assert scale_label(parse_scale("0.050")) == "0.05"
    assert scale_label(parse_scale("ningbo")) == "1"


@pytest.mark.parametrize("raw", ["0", "-0.5", "1.5", "abc", "", "0.0001", "NaN", "Infinity"])
def test_it_refuses_a_bad_scale(raw):
    with pytest.raises(DemoError, match="scale"):
        parse_scale(raw)


def test_rounding_is_half_up():
    assert scaled(2_559, Decimal("0.01")) == 26  # 25.59
    assert scaled(2_637, Decimal("0.002")) == 5  # 5.274
    assert scaled(15_063, Decimal("0.01")) == 151  # 150.63
    assert scaled(5, Decimal("0.1")) == 1  # 0.5 goes up, not to the even 0


def test_apportion_is_exact_and_respects_floors_and_caps():
    assert apportion(10, [1, 1, 1]) == [4, 3, 3]
    assert apportion(7, [100, 1], floor=2) == [5, 2]
    assert apportion(9, [10, 10, 1], caps=[2, 100, 100]) == [2, 6, 1]
    assert sum(apportion(1_000_003, [7, 13, 1, 0, 99])) == 1_000_003
    with pytest.raises(DemoError):
        apportion(5, [1, 1], caps=[2, 2])


@pytest.mark.parametrize("raw", SCALES)
def test_plan_hits_the_seed_figures_exactly(raw):
    scale = Decimal(raw)
    plan = make_plan(scale, DISTRICT_CODES)
    assert plan.city.as_tuple() == tuple(scaled(v, scale) for v in SEED_FIGURES["NB"].as_tuple())
    for code in ("YZ", "BL", "FH", "YY"):
        assert plan.districts[code].as_tuple() == tuple(scaled(v, scale) for v in SEED_FIGURES[code].as_tuple())


@pytest.mark.parametrize("raw", SCALES)
def test_tree_and_members_follow_the_plan(raw):
    plan = make_plan(Decimal(raw), DISTRICT_CODES)
    tree = build_city(plan, "0001")
    assert len(tree.orgs) == plan.city.orgs
    assert sum(org.is_new_form for org in tree.orgs) == plan.city.new_form_orgs
    assert len({org.code for org in tree.orgs}) == len(tree.orgs)
    assert len({org.path for org in tree.orgs}) == len(tree.orgs)
    members = new_form_members = 0
    for part in tree.parts:
        counts = plan_members(part, random.Random(0))
        assert sum(u.active for u in counts) == part.figures.members
        assert sum(u.new_form for u in counts) == part.figures.new_form_members
        assert all(0 <= u.new_form <= u.active for u in counts)
        members += part.figures.members
        new_form_members += part.figures.new_form_members
    assert (members, new_form_members) == (plan.city.members, plan.city.new_form_members)


def test_tree_shape_at_ningbo_scale():
    plan = make_plan(Decimal(1), DISTRICT_CODES)
    tree = build_city(plan, "0001")
    by_code = {org.code: org for org in tree.orgs}
    assert by_code["NB"].kind == OrgKind.CITY and by_code["NB"].numchild == 13
    assert [by_code[c].name for c in ("YZ", "YY", "CX", "NH")] == ["鄞州区总工会", "余姚市总工会", "慈溪市总工会", "宁海县总工会"]
    kinds = {org.kind for org in tree.orgs}
    assert kinds == set(OrgKind.values)
    assert by_code["NBI01"].name == "宁波市物流快递行业工会"
    for org in tree.orgs:
        if org.kind == OrgKind.ENTERPRISE:
            assert parse_credit_code(org.credit_code) == org.credit_code
        if org.kind == OrgKind.NEW_FORM:
            assert org.is_new_form
    credit_codes = [org.credit_code for org in tree.orgs if org.credit_code]
    assert len(set(credit_codes)) == len(credit_codes)
    assert by_code["YZ"].credit_code == "" and by_code["YZ01"].name.endswith("总工会")
    assert all(org.credit_code[2:8] == "330212" for org in tree.orgs if org.code.startswith("YZ") and org.credit_code)


def test_child_paths_match_treebeard():
    assert child_path("", 1) == "0001"
    assert child_path("0001", 10) == "0001000A"
    assert child_path("0001", 36) == "00010010"
