"""Reads of the member database, within the caller's scope."""

import datetime as dt

import pytest

from gonghui.members.models import Member, MemberStatus
from gonghui.members.selectors import active_on, member_get, member_list, member_of_user
from tests.factories import make_member


@pytest.fixture
def people(tree):
    return {
        "yz": make_member(tree.yze, name="鄞州甲"),
        "yz_left": make_member(tree.yzt, name="鄞州乙"),
        "bl": make_member(tree.ble, name="北仑丙"),
    }


def mark_left(member, day=dt.date(2024, 6, 1)):
    Member.objects.filter(pk=member.pk).update(status=MemberStatus.LEFT, left_on=day, joined_on=dt.date(2020, 1, 1))


def names(qs):
    return sorted(m.name for m in qs)


def test_a_district_lists_only_its_own_members(tree, yz_cadre, people):
    assert names(member_list(user=yz_cadre, org=tree.yz)) == ["鄞州乙", "鄞州甲"]


def test_the_city_lists_both_districts(tree, nb_cadre, people):
    assert names(member_list(user=nb_cadre, org=tree.nb)) == ["北仑丙", "鄞州乙", "鄞州甲"]


def test_asking_for_a_parent_still_gives_only_the_callers_subtree(tree, yz_cadre, people):
    assert names(member_list(user=yz_cadre, org=tree.nb)) == ["鄞州乙", "鄞州甲"]


def test_a_member_without_a_role_lists_nobody(tree, worker, people):
    assert names(member_list(user=worker, org=tree.yz)) == []


def test_members_who_left_are_listed_only_on_request(tree, yz_cadre, people):
    mark_left(people["yz_left"])
    assert names(member_list(user=yz_cadre, org=tree.yz)) == ["鄞州甲"]
    assert names(member_list(user=yz_cadre, org=tree.yz, include_left=True)) == ["鄞州乙", "鄞州甲"]


def test_the_list_is_newest_first(tree, nb_cadre, people):
    assert [m.pk for m in member_list(user=nb_cadre, org=tree.nb)] == sorted(
        (m.pk for m in people.values()), reverse=True)


def test_text_matches_the_start_of_a_name_or_a_card_number(tree, yz_cadre, people):
    assert names(member_list(user=yz_cadre, org=tree.yz, text="鄞州甲")) == ["鄞州甲"]
    assert names(member_list(user=yz_cadre, org=tree.yz, text=people["yz"].card_number)) == ["鄞州甲"]
    assert names(member_list(user=yz_cadre, org=tree.yz, text=people["bl"].card_number)) == []


def test_member_get_answers_none_outside_the_scope(tree, yz_cadre, people):
    assert member_get(user=yz_cadre, pk=people["yz"].pk) == people["yz"]
    assert member_get(user=yz_cadre, pk=people["bl"].pk) is None


@pytest.mark.parametrize("pk", [0, -1, 2**63, 10**30])
def test_member_get_answers_none_for_impossible_ids(tree, nb_cadre, pk):
    assert member_get(user=nb_cadre, pk=pk) is None


def test_member_of_user_is_the_workers_own_record(tree, worker, yz_cadre):
    assert member_of_user(user=worker).name == "李师傅"
    assert member_of_user(user=yz_cadre) is None


def test_active_on_counts_the_joining_day_and_not_the_leaving_day(tree, people):
    mark_left(people["yz"], day=dt.date(2024, 6, 1))
    qs = Member.objects.filter(pk=people["yz"].pk)
    assert not qs.filter(active_on(dt.date(2019, 12, 31))).exists()
    assert qs.filter(active_on(dt.date(2020, 1, 1))).exists()
    assert qs.filter(active_on(dt.date(2024, 5, 31))).exists()
    assert not qs.filter(active_on(dt.date(2024, 6, 1))).exists()


def test_a_name_search_matches_the_prefix_exactly_at_its_edges(tree, nb_cadre, people):
    # 鄞州 and 鄞工 share their first character; 鄟 is the code point after 鄞: never a match for 鄞.
    make_member(tree.yze, name="鄞工丁")
    make_member(tree.yze, name="鄟戊")
    assert names(member_list(user=nb_cadre, org=tree.nb, text="鄞")) == ["鄞州乙", "鄞州甲", "鄞工丁"]
    assert names(member_list(user=nb_cadre, org=tree.nb, text="鄞州")) == ["鄞州乙", "鄞州甲"]
    assert names(member_list(user=nb_cadre, org=tree.nb, text="鄞州甲")) == ["鄞州甲"]
    assert names(member_list(user=nb_cadre, org=tree.nb, text="鄟")) == ["鄟戊"]
    # A card number matches whole; a masked ID number by its visible start.
    card = people["bl"].card_number
    assert names(member_list(user=nb_cadre, org=tree.nb, text=card)) == ["北仑丙"]
    assert "北仑丙" in names(member_list(user=nb_cadre, org=tree.nb, text=people["bl"].id_masked[:6]))
