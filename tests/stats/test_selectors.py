"""Subtree statistics: right figures, as of any day, in a fixed number of queries."""

import datetime as dt

import pytest
from django.utils import timezone

from gonghui.core.ids import make_id_number
from gonghui.members.figures import AGE_BANDS, subtree_stats
from gonghui.members.models import Member, MemberStatus
from gonghui.orgs.models import OrgKind
from gonghui.stats import tallies
from tests.factories import make_member, make_org

ON = dt.date(2024, 6, 30)
_n = iter(range(10_000))


def person(org, *, born, sex="M", joined=dt.date(2020, 1, 1), left=None, category="", new_form=False):
    sequence = next(_n) * 2 % 1000 + (1 if sex == "M" else 0)
    member = make_member(org, id_number=make_id_number("330212", born, sequence), category=category,
                         is_new_form=new_form, joined_on=joined)
    if left:
        Member.objects.filter(pk=member.pk).update(left_on=left, status=MemberStatus.LEFT)
    return member


@pytest.fixture
def roster(tree):
    make_org(tree.yzt, code="YZNF", kind=OrgKind.NEW_FORM)
    person(tree.yze, born=dt.date(1994, 7, 1), sex="F", category="courier", new_form=True)  # 29 on ON
    person(tree.yze, born=dt.date(1994, 6, 30), category="courier", joined=dt.date(2021, 3, 1))  # 30 on ON
    person(tree.yzt, born=dt.date(1964, 6, 30), sex="F", category="care_worker")  # 60 on ON
    person(tree.yzt, born=dt.date(1975, 1, 1), joined=dt.date(2024, 7, 1))  # joins after ON
    person(tree.yz, born=dt.date(1980, 1, 1), joined=dt.date(2019, 5, 5), left=dt.date(2024, 6, 30))  # left on ON
    person(tree.yz, born=dt.date(1985, 1, 1), joined=dt.date(2018, 1, 1), left=dt.date(2024, 7, 1))  # leaves after
    person(tree.ble, born=dt.date(1990, 1, 1), category="courier")  # other district
    tallies.rebuild()  # the leavers above were written past the services


def test_org_counts_include_the_root_and_new_form_unions(tree, roster):
    stats = subtree_stats(org=tree.yz)
    assert (stats["orgs"], stats["new_form_orgs"]) == (4, 1)
    assert subtree_stats(org=tree.nb)["orgs"] == 8
    assert subtree_stats(org=tree.yze)["orgs"] == 1


def test_today_counts_current_members_of_the_subtree(tree, roster):
    stats = subtree_stats(org=tree.yz)
    assert stats["members"] == 4  # the two who left are out
    assert stats["new_form_members"] == 1
    assert stats["on"] == timezone.localdate().isoformat()
    assert subtree_stats(org=tree.nb)["members"] == 5


def test_as_of_a_day_uses_joining_and_leaving_dates(tree, roster):
    stats = subtree_stats(org=tree.yz, on=ON)
    # joined by ON and not left by ON: the two couriers, the care worker and the one leaving on 1 July
    assert stats["members"] == 4
    assert stats["on"] == "2024-06-30"
    assert subtree_stats(org=tree.yz, on=dt.date(2019, 12, 31))["members"] == 2
    assert subtree_stats(org=tree.yz, on=dt.date(2017, 1, 1))["members"] == 0


def test_breakdowns_by_category_and_sex(tree, roster):
    stats = subtree_stats(org=tree.yz, on=ON)
    assert stats["by_category"]["courier"] == 2
    assert stats["by_category"]["care_worker"] == 1
    assert sum(stats["by_category"].values()) == 3  # one has no category
    assert stats["by_sex"] == {"M": 2, "F": 2}


def test_age_bands_count_age_as_the_year_asked_minus_the_birth_year(tree, roster):
    stats = subtree_stats(org=tree.yz, on=ON)
    # members on ON: born 1994 (two, age 30), 1964 (age 60) and 1985 (age 39)
    assert stats["by_age_band"] == {"under_30": 0, "30_39": 3, "40_49": 0, "50_59": 0, "60_plus": 1}
    assert list(stats["by_age_band"]) == [key for key, _lo, _hi in AGE_BANDS]


def test_a_member_moves_to_the_next_band_on_new_years_day(tree):
    person(tree.yze, born=dt.date(1994, 12, 31))
    assert subtree_stats(org=tree.yz, on=dt.date(2023, 12, 31))["by_age_band"]["under_30"] == 1
    assert subtree_stats(org=tree.yz, on=dt.date(2024, 1, 1))["by_age_band"]["30_39"] == 1


def test_todays_figures_from_the_tallies_equal_a_live_count(tree, roster):
    today = timezone.localdate()
    for org in (tree.nb, tree.yz, tree.yzt, tree.yze, tree.bl):
        from_tallies = subtree_stats(org=org)
        counted = subtree_stats(org=org, on=today - dt.timedelta(days=1))
        # nobody in the roster joined or left yesterday or today, so the two days agree
        assert {k: v for k, v in from_tallies.items() if k != "on"} == {k: v for k, v in counted.items() if k != "on"}


def test_joined_per_year_counts_members_of_that_day_by_joining_year(tree, roster):
    assert subtree_stats(org=tree.yz, on=ON)["joined_per_year"] == {"2018": 1, "2020": 2, "2021": 1}


def test_an_empty_subtree_counts_zero(tree):
    stats = subtree_stats(org=tree.ble)
    assert stats["members"] == 0 and stats["orgs"] == 1
    assert stats["joined_per_year"] == {} and set(stats["by_sex"].values()) == {0}


def test_a_very_early_day_does_not_break_the_age_bands(tree, roster):
    assert subtree_stats(org=tree.yz, on=dt.date(1, 1, 1))["members"] == 0


@pytest.mark.parametrize("extra_orgs,extra_members", [(0, 0), (20, 40)])
def test_the_query_count_does_not_grow_with_the_subtree(tree, django_assert_num_queries, extra_orgs, extra_members):
    parent = tree.yzt
    for i in range(extra_orgs):
        parent = make_org(parent if i % 3 else tree.yzt)
    for i in range(extra_members):
        person(tree.yze, born=dt.date(1960 + i % 40, 1, 1), category="courier" if i % 2 else "")
    with django_assert_num_queries(1):  # today: the subtree's tallies, unions counted there too
        subtree_stats(org=tree.nb)
    with django_assert_num_queries(4):  # another day: no snapshot of it, so counted from the member table
        subtree_stats(org=tree.yz, on=ON)
    tallies.take_snapshot(ON)
    with django_assert_num_queries(3):  # a day with a snapshot: the snapshot, its rows, today's unions
        subtree_stats(org=tree.yz, on=ON)
