"""Reads of the union tree, within the caller's scope."""

import pytest

from gonghui.orgs.selectors import (
    OrgNotFound,
    OrgOutOfScope,
    org_ancestors_in_scope,
    org_children,
    org_get,
    org_roots,
    org_search,
    org_visible,
)
from tests.factories import UserFactory, make_org


def codes(orgs):
    return [o.code for o in orgs]


def test_org_get_finds_an_org_in_scope(tree, yz_cadre):
    assert org_get(user=yz_cadre, code="YZE") == tree.yze


def test_org_get_answers_an_org_outside_scope_as_an_unknown_code(tree, yz_cadre):
    for code in ("BLE", "NB", "NOPE"):
        with pytest.raises(OrgNotFound) as found:
            org_get(user=yz_cadre, code=code)
        assert not isinstance(found.value, OrgOutOfScope)


def test_org_get_refuses_a_permission_on_an_org_the_user_sees(tree, yz_viewer):
    assert org_get(user=yz_viewer, code="YZE") == tree.yze
    with pytest.raises(OrgOutOfScope):
        org_get(user=yz_viewer, code="YZE", perm="manage")
    with pytest.raises(OrgNotFound):
        org_get(user=yz_viewer, code="BLE", perm="manage")


def test_org_get_says_not_found_for_an_unknown_code(tree, yz_cadre):
    with pytest.raises(OrgNotFound):
        org_get(user=yz_cadre, code="NOPE")


def test_org_get_refuses_everything_to_a_member(tree, worker):
    with pytest.raises(OrgNotFound):
        org_get(user=worker, code="YZE")


def test_org_visible_is_the_subtree(tree, yz_cadre, nb_cadre):
    assert sorted(codes(org_visible(user=yz_cadre))) == ["YZ", "YZE", "YZT"]
    assert len(org_visible(user=nb_cadre)) == 7


def test_children_are_one_level_down_in_path_order(tree, nb_cadre):
    assert codes(org_children(user=nb_cadre, org=tree.nb)) == ["YZ", "BL"]
    assert codes(org_children(user=nb_cadre, org=tree.yz)) == ["YZT"]
    assert codes(org_children(user=nb_cadre, org=tree.yze)) == []


def test_children_never_leave_the_callers_scope(tree, yz_cadre):
    assert codes(org_children(user=yz_cadre, org=tree.nb)) == ["YZ"]
    assert codes(org_children(user=yz_cadre, org=tree.bl)) == []


def test_roots_are_where_the_workbench_starts(tree, yz_cadre, worker):
    assert org_roots(user=yz_cadre) == [tree.yz]
    assert org_roots(user=worker) == []
    assert org_roots(user=UserFactory(is_superuser=True)) == [tree.nb]


def test_breadcrumbs_show_only_ancestors_in_scope(tree, yz_cadre, nb_cadre):
    assert codes(org_ancestors_in_scope(user=yz_cadre, org=tree.yze)) == ["YZ", "YZT", "YZE"]
    assert codes(org_ancestors_in_scope(user=nb_cadre, org=tree.yze)) == ["NB", "YZ", "YZT", "YZE"]


def test_search_stays_in_scope_and_subtree(tree, yz_cadre, nb_cadre):
    make_org(tree.ble, code="BLX", name="北仑某科技公司工会")
    assert codes(org_search(user=nb_cadre, within=tree.nb, text="科技")) == ["YZE", "BLX"]
    assert codes(org_search(user=yz_cadre, within=tree.nb, text="科技")) == ["YZE"]
    assert codes(org_search(user=nb_cadre, within=tree.bl, text="bl")) == ["BL", "BLT", "BLE", "BLX"]
