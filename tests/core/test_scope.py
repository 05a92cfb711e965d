"""Scope: one function turns a user into the org subtrees they reach, per permission."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from hypothesis import given, settings, strategies as st

from gonghui.core.paths import ALPHABET, subtree_q, upper_bound
from gonghui.core.scope import Perm, Scope, _minimal, forget_scope, is_staff_user, require, scope_for
from gonghui.orgs.models import Org
from tests.factories import UserFactory, grant

# --- path arithmetic ----------------------------------------------------------------------

steps = st.text(ALPHABET, min_size=4, max_size=4)
paths = st.lists(steps, min_size=1, max_size=4).map("".join)


@settings(max_examples=500, deadline=None)
@given(root=paths, other=paths)
def test_the_subtree_range_holds_exactly_the_paths_that_start_with_the_root(root, other):
    upper = upper_bound(root)
    in_range = root <= other and (upper is None or other < upper)
    assert in_range == other.startswith(root)


def test_an_all_z_path_has_no_upper_bound():
    assert upper_bound("ZZZZ") is None
    assert upper_bound("0001") == "0002"
    assert upper_bound("000Z") == "001"


def test_subtree_q_without_an_upper_bound_is_open_ended():
    assert "path__lt" not in str(subtree_q("ZZZZ"))


# --- scope --------------------------------------------------------------------------------


def test_a_cadre_reaches_their_org_and_everything_below_it(tree, yz_cadre):
    scope = scope_for(yz_cadre, Perm.MANAGE)
    assert scope.paths == (tree.yz.path,)
    assert all(scope.covers(o.path) for o in (tree.yz, tree.yzt, tree.yze))
    assert not any(scope.covers(o.path) for o in (tree.nb, tree.bl, tree.blt, tree.ble))


def test_the_query_and_covers_agree_on_every_org(tree, yz_cadre, bl_cadre, nb_cadre, yz_viewer):
    for user in (yz_cadre, bl_cadre, nb_cadre, yz_viewer):
        scope = scope_for(user)
        by_query = set(Org.objects.filter(scope.q()).values_list("code", flat=True))
        by_covers = {o.code for o in Org.objects.all() if scope.covers(o.path)}
        assert by_query == by_covers


def test_a_viewer_reads_but_does_not_manage_or_reveal(tree, yz_viewer):
    assert scope_for(yz_viewer, Perm.READ).covers(tree.yze.path)
    assert scope_for(yz_viewer, Perm.MANAGE).empty
    assert scope_for(yz_viewer, Perm.REVEAL).empty


def test_a_mediator_reads_and_mediates_only(tree):
    user = UserFactory()
    grant(user, tree.bl, "mediator")
    assert scope_for(user, Perm.MEDIATE).covers(tree.ble.path)
    assert scope_for(user, Perm.MANAGE).empty


@pytest.mark.parametrize("perm", list(Perm))
def test_a_member_without_a_role_reaches_nothing(worker, perm):
    assert scope_for(worker, perm).empty
    assert not is_staff_user(worker)


@pytest.mark.parametrize("perm", list(Perm))
def test_anonymous_reaches_nothing(db, perm):
    assert scope_for(AnonymousUser(), perm).empty
    assert scope_for(None, perm).empty


def test_an_inactive_cadre_reaches_nothing(tree, yz_cadre):
    yz_cadre.is_active = False
    forget_scope(yz_cadre)
    assert scope_for(yz_cadre).empty


def test_a_superuser_reaches_everything(tree):
    admin = UserFactory(is_superuser=True)
    assert scope_for(admin, Perm.REVEAL).everything
    assert Org.objects.filter(scope_for(admin).q()).count() == Org.objects.count()


def test_an_empty_scope_matches_no_row(tree, worker):
    assert not Org.objects.filter(scope_for(worker).q()).exists()


def test_roles_on_two_districts_reach_both(tree):
    user = UserFactory()
    grant(user, tree.yzt)
    grant(user, tree.bl)
    scope = scope_for(user)
    assert scope.covers(tree.yze.path) and scope.covers(tree.ble.path)
    assert not scope.covers(tree.yz.path) and not scope.covers(tree.nb.path)


def test_a_role_inside_another_role_adds_nothing(tree):
    user = UserFactory()
    grant(user, tree.nb)
    grant(user, tree.yze)
    assert scope_for(user).paths == (tree.nb.path,)


def test_minimal_drops_nested_paths_only():
    assert _minimal({"0001", "00010001", "0002", "00020003", "0003"}) == ("0001", "0002", "0003")
    assert _minimal({"00010001", "00010002"}) == ("00010001", "00010002")


def test_the_scope_is_cached_per_user_object_until_forgotten(tree, django_assert_num_queries):
    user = UserFactory()
    grant(user, tree.yz)
    with django_assert_num_queries(1):
        scope_for(user)
        scope_for(user)
    grant(user, tree.bl)
    assert not scope_for(user).covers(tree.bl.path)
    forget_scope(user)
    assert scope_for(user).covers(tree.bl.path)


def test_require_refuses_outside_the_subtree(tree, yz_cadre):
    require(yz_cadre, Perm.MANAGE, tree.yze.path)
    with pytest.raises(PermissionDenied):
        require(yz_cadre, Perm.MANAGE, tree.ble.path)
    with pytest.raises(PermissionDenied):
        require(yz_cadre, Perm.MANAGE, tree.nb.path)


def test_an_explicit_scope_object_covers_its_paths():
    scope = Scope(paths=("0001",))
    assert scope.covers("00010002") and not scope.covers("0002")
