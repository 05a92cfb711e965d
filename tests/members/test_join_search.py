"""Choosing the union to join: the search and the suggestions reach the city's and the district's
industry and new-form unions, and a trade's suggestions fit that trade."""

import pytest

from gonghui.members.selectors import join_suggestions, join_union_search
from tests.factories import make_org


@pytest.fixture
def unions(tree):
    return {
        "city_courier": make_org(tree.nb, code="NBI01", name="宁波市物流快递行业工会", kind="industry",
                                 is_new_form=True),
        "city_estate": make_org(tree.nb, code="NBI02", name="宁波市房产中介行业工会", kind="industry",
                                is_new_form=True),
        "yz_courier": make_org(tree.yzt, code="YZNF1", name="鄞州中通快递网点联合工会", kind="new_form",
                               is_new_form=True),
        "yz_rider": make_org(tree.yzt, code="YZNF2", name="鄞州美团骑手工会", kind="new_form", is_new_form=True),
        "yz_joint": make_org(tree.yz, code="YZJ", name="鄞州区新就业形态劳动者联合工会", kind="new_form",
                             is_new_form=True),
        "bl_courier": make_org(tree.blt, code="BLNF1", name="北仑顺丰快递工会", kind="new_form", is_new_form=True),
        # An enterprise union directly under the city is no union of the district's workers.
        "city_firm": make_org(tree.nb, code="NBE1", name="宁波快递设备有限公司工会", kind="enterprise"),
    }


def codes(orgs) -> list[str]:
    return [o.code for o in orgs]


def test_a_courier_of_yz_searching_kuaidi_finds_the_city_courier_union(tree, unions):
    found = codes(join_union_search(text="快递", district=tree.yz))
    assert "NBI01" in found
    assert "YZNF1" in found
    assert "BLNF1" not in found  # another district's union stays out
    assert "NBE1" not in found  # an enterprise union of the city level is not the district's
    assert found.index("YZNF1") < found.index("NBI01")  # the district's own first


def test_without_a_district_the_search_covers_the_whole_city(tree, unions):
    assert {"NBI01", "YZNF1", "BLNF1", "NBE1"} <= set(codes(join_union_search(text="快递")))


def test_suggestions_for_a_courier_fit_the_trade_and_include_the_city_union(tree, unions):
    suggested = codes(join_suggestions(district=tree.yz, category="courier"))
    assert suggested[:2] == ["YZNF1", "NBI01"]
    # A union of another trade is no suggestion for a courier; a general one for new-form workers is.
    assert "YZNF2" not in suggested and "NBI02" not in suggested
    assert "YZJ" in suggested
    assert "BLNF1" not in suggested


def test_suggestions_without_a_trade_show_the_district_and_city_unions(tree, unions):
    suggested = set(codes(join_suggestions(district=tree.yz)))
    assert {"YZNF1", "YZNF2", "YZJ", "NBI01", "NBI02"} <= suggested
    assert "BLNF1" not in suggested and "NBE1" not in suggested


def test_the_join_page_lists_the_city_union_for_the_district(client, tree, unions):
    response = client.get("/join/unions/", {"district": "YZ", "q": "快递"})
    assert response.status_code == 200
    assert "宁波市物流快递行业工会" in response.content.decode()
    response = client.get("/join/unions/", {"district": "YZ", "category": "courier"})
    assert "宁波市物流快递行业工会" in response.content.decode()
    assert "鄞州美团骑手工会" not in response.content.decode()
