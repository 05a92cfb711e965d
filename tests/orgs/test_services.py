"""Writes to the union tree: validated, scoped, one audit entry, nothing changed on refusal."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from gonghui.core.models import AuditEntry
from gonghui.orgs.models import Org, OrgKind
from gonghui.orgs.services import org_create, org_update
from tests.factories import valid_credit_code


def create(actor, parent, **fields):
    fields = {"code": "NEW1", "name": "新工会", "kind": OrgKind.ENTERPRISE, **fields}
    return org_create(actor=actor, parent=parent, **fields)


def test_it_creates_a_child_under_the_parent(tree, yz_cadre):
    org = create(yz_cadre, tree.yzt, code=" new1 ", credit_code=valid_credit_code(5))
    assert org.code == "NEW1"
    assert Org.objects.get_parent(org) == tree.yzt
    assert org.path.startswith(tree.yzt.path) and org.depth == tree.yzt.depth + 1
    assert org.credit_code == valid_credit_code(5)


def test_children_of_one_parent_get_consecutive_paths(tree, yz_cadre):
    a = create(yz_cadre, tree.yzt, code="A1")
    b = create(yz_cadre, tree.yzt, code="B1")
    assert a.path < b.path and a.path[:-4] == b.path[:-4]


def test_a_new_form_union_is_flagged_new_form(tree, yz_cadre):
    assert create(yz_cadre, tree.yz, kind=OrgKind.NEW_FORM).is_new_form


def test_a_credit_code_is_normalised(tree, yz_cadre):
    code = valid_credit_code(6)
    assert create(yz_cadre, tree.yz, credit_code=code.lower()).credit_code == code


@pytest.mark.parametrize("fields,field", [
    ({"code": ""}, "code"),
    ({"code": "a b"}, "code"),
    ({"code": "X/Y"}, "code"),
    ({"code": "C" * 33}, "code"),
    ({"code": "YZ"}, "code"),  # taken
    ({"name": "  "}, "name"),
    ({"name": "长" * 201}, "name"),
    ({"kind": "club"}, "kind"),
    ({"credit_code": "91330212MA2H0000O1"}, "credit_code"),
    ({"credit_code": "913302120000000000"}, "credit_code"),
    ({"star_rating": 6}, "star_rating"),
    ({"star_rating": 0}, "star_rating"),
    ({"star_rating": "many"}, "star_rating"),
])
def test_bad_input_is_refused_per_field_and_changes_nothing(tree, yz_cadre, fields, field):
    orgs, entries = Org.objects.count(), AuditEntry.objects.count()
    with pytest.raises(ValidationError) as info:
        create(yz_cadre, tree.yz, **fields)
    assert field in info.value.message_dict
    assert (Org.objects.count(), AuditEntry.objects.count()) == (orgs, entries)


def test_a_code_is_unique_whatever_its_case(tree, yz_cadre):
    with pytest.raises(ValidationError):
        create(yz_cadre, tree.yz, code="yze")


@pytest.mark.parametrize("who", ["bl_cadre", "yz_viewer", "worker"])
def test_creating_outside_the_subtree_or_without_manage_is_refused(tree, request, who):
    user = request.getfixturevalue(who)
    orgs = Org.objects.count()
    with pytest.raises(PermissionDenied):
        create(user, tree.yzt)
    assert Org.objects.count() == orgs


def test_a_district_cannot_create_beside_itself(tree, yz_cadre):
    with pytest.raises(PermissionDenied):
        create(yz_cadre, tree.nb)


def test_it_updates_the_editable_fields(tree, yz_cadre):
    org = org_update(actor=yz_cadre, org=tree.yze, name="新名字", star_rating=5, credit_code=valid_credit_code(7))
    org.refresh_from_db()
    assert (org.name, org.star_rating, org.credit_code) == ("新名字", 5, valid_credit_code(7))


def test_an_update_records_only_what_changed(tree, yz_cadre):
    org_update(actor=yz_cadre, org=tree.yze, name=tree.yze.name, star_rating=4)
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.data == {"changes": {"star_rating": [None, 4]}}


def test_code_and_path_are_not_editable(tree, yz_cadre):
    with pytest.raises(ValueError):
        org_update(actor=yz_cadre, org=tree.yze, code="HACK")
    with pytest.raises(ValueError):
        org_update(actor=yz_cadre, org=tree.yze, path="0002")


@pytest.mark.parametrize("who", ["bl_cadre", "yz_viewer", "worker"])
def test_updating_outside_the_subtree_or_without_manage_is_refused(tree, request, who):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        org_update(actor=user, org=tree.yze, name="越权")
    tree.yze.refresh_from_db()
    assert tree.yze.name == "鄞州某科技公司工会"


def test_a_bad_update_changes_nothing(tree, yz_cadre):
    entries = AuditEntry.objects.count()
    with pytest.raises(ValidationError):
        org_update(actor=yz_cadre, org=tree.yze, name="好名字", star_rating=9)
    tree.yze.refresh_from_db()
    assert tree.yze.name == "鄞州某科技公司工会"
    assert AuditEntry.objects.count() == entries


def test_todays_union_counts_follow_creation_and_a_change_of_form(tree, yz_cadre):
    from gonghui.members.figures import subtree_stats
    from gonghui.stats import tallies

    def counts(org):
        stats = subtree_stats(org=org)
        return stats["orgs"], stats["new_form_orgs"]

    before = {org.code: counts(org) for org in (tree.nb, tree.yz, tree.yzt, tree.bl)}
    org = create(yz_cadre, tree.yzt, kind=OrgKind.NEW_FORM)
    for parent in (tree.nb, tree.yz, tree.yzt):
        orgs, new_form = before[parent.code]
        assert counts(parent) == (orgs + 1, new_form + 1)
    assert counts(tree.bl) == before["BL"]
    assert counts(org) == (1, 1)
    org_update(actor=yz_cadre, org=org, kind=OrgKind.ENTERPRISE, is_new_form=False)
    assert counts(tree.nb) == (before["NB"][0] + 1, before["NB"][1])
    org_update(actor=yz_cadre, org=org, name="改名工会")  # no change of form: counted once still
    assert counts(tree.yz) == (before["YZ"][0] + 1, before["YZ"][1])
    assert tallies.rebuild() == 0  # the kept counts agree with the union table
