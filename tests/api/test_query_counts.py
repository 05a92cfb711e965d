"""Hot endpoints run a fixed number of queries, however big the page or the subtree."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gonghui.stats import activity
from tests.factories import make_member, make_org

# token + user, the union, the caller's roles, then the endpoint's own reads
MEMBER_PAGE_QUERIES = 5  # … count, page with unions joined
# … the subtree tallies (another day instead: orgs aggregate, members aggregate, joined per year),
# the activity totals (with a period: the per-day rows, and one more query for each module with
# live figures: distinct people)
STATS_QUERIES = 5
LIVE_QUERIES = sum(1 for source in activity.SOURCES.values() if source.live)
DETAIL_QUERIES = 4  # … parent code


@pytest.fixture
def nb(tree, nb_cadre, api_as):
    return api_as(nb_cadre)


def queries(client, path, **params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, **params)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


def grow(tree, orgs: int, members: int):
    parents = [tree.yzt, tree.blt]
    for i in range(orgs):
        parents.append(make_org(parents[i % len(parents)]))
    for i in range(members):
        make_member(parents[i % len(parents)], name=f"会员{i}")


@pytest.mark.parametrize("orgs,members", [(0, 1), (12, 60)])
def test_a_page_of_members_takes_a_fixed_number_of_queries(nb, tree, orgs, members):
    grow(tree, orgs, members)
    assert queries(nb, "/api/v1/members", org="NB") == MEMBER_PAGE_QUERIES
    if members > 50:
        assert queries(nb, "/api/v1/members", org="NB", page=2) == MEMBER_PAGE_QUERIES


@pytest.mark.parametrize("orgs,members", [(0, 0), (15, 40)])
def test_stats_take_a_fixed_number_of_queries(nb, tree, orgs, members):
    grow(tree, orgs, members)
    assert queries(nb, "/api/v1/orgs/NB/stats") == STATS_QUERIES  # today: from the subtree tallies
    # a day without a snapshot: looked for, then counted live
    assert queries(nb, "/api/v1/orgs/YZ/stats", on="2024-01-01") == STATS_QUERIES + 3
    period = {"from": "2024-01-01", "to": "2024-12-31"}
    assert queries(nb, "/api/v1/orgs/NB/stats", **period) == STATS_QUERIES + LIVE_QUERIES


@pytest.mark.parametrize("orgs", [0, 20])
def test_children_take_a_fixed_number_of_queries(nb, tree, orgs):
    grow(tree, orgs, 0)
    assert queries(nb, "/api/v1/orgs/YZT/children") == 4


def test_one_union_and_one_member_take_a_few_queries(nb, tree):
    member = make_member(tree.yze)
    assert queries(nb, "/api/v1/orgs/YZE") == DETAIL_QUERIES
    assert queries(nb, f"/api/v1/members/{member.pk}") == 3
