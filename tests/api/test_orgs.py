"""GET /api/v1/orgs/{code}, /children and /stats."""

import datetime as dt

import pytest

from gonghui.members.models import Member, MemberStatus
from gonghui.stats import tallies
from tests.factories import make_member


@pytest.fixture
def nb(tree, nb_cadre, api_as):
    return api_as(nb_cadre)


def test_an_org_is_described_with_its_parent(nb, tree):
    assert nb.get("/api/v1/orgs/YZT").json() == {
        "code": "YZT", "name": "首南街道总工会", "kind": "township", "is_new_form": False, "credit_code": "",
        "star_rating": None, "depth": 3, "parent": "YZ",
    }


def test_the_root_has_no_parent(nb, tree):
    assert nb.get("/api/v1/orgs/NB").json()["parent"] is None


def test_a_district_cadre_sees_the_code_of_the_union_above_its_own(tree, yz_cadre, api_as):
    assert api_as(yz_cadre).get("/api/v1/orgs/YZ").json()["parent"] == "NB"


def test_children_are_the_unions_one_level_down(nb, tree):
    body = nb.get("/api/v1/orgs/NB/children").json()
    assert [(o["code"], o["parent"], o["depth"]) for o in body] == [("YZ", "NB", 2), ("BL", "NB", 2)]
    assert nb.get("/api/v1/orgs/YZE/children").json() == []


def test_stats_have_the_contract_keys(nb, tree):
    body = nb.get("/api/v1/orgs/NB/stats").json()
    assert {"orgs", "members", "new_form_orgs", "new_form_members"} <= set(body)
    assert {"by_category", "by_sex", "by_age_band", "joined_per_year", "on", "from", "to"} <= set(body)
    assert body["orgs"] == 7


def test_stats_count_members_as_of_a_day(nb, tree):
    member = make_member(tree.yze, joined_on=dt.date(2020, 1, 1))
    make_member(tree.ble, joined_on=dt.date(2022, 1, 1))
    Member.objects.filter(pk=member.pk).update(left_on=dt.date(2023, 1, 1), status=MemberStatus.LEFT)
    tallies.rebuild()  # the leaving above was written past the services
    assert nb.get("/api/v1/orgs/NB/stats").json()["members"] == 1
    assert nb.get("/api/v1/orgs/NB/stats", on="2021-06-01").json()["members"] == 1
    assert nb.get("/api/v1/orgs/NB/stats", on="2022-06-01").json()["members"] == 2
    assert nb.get("/api/v1/orgs/NB/stats", on="2023-01-01").json()["members"] == 1
    assert nb.get("/api/v1/orgs/NB/stats", on="2022-06-01").json()["on"] == "2022-06-01"


def test_stats_are_of_the_asked_subtree(nb, tree):
    make_member(tree.yze)
    make_member(tree.ble)
    make_member(tree.ble)
    assert nb.get("/api/v1/orgs/BL/stats").json()["members"] == 2
    assert nb.get("/api/v1/orgs/YZ/stats").json()["members"] == 1
    assert nb.get("/api/v1/orgs/BLE/stats").json()["orgs"] == 1
