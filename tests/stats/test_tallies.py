"""Subtree tallies stay equal to a count of the member table through every write path."""

import csv
import datetime as dt
import io
from collections import Counter

from gonghui.members.imports import roster_import
from gonghui.members.services import member_update
from gonghui.stats import tallies
from gonghui.stats.models import Tally
from tests.factories import make_member, system_user, valid_id_number


def kept():
    return {(t.path, t.dim, t.key): t.n for t in Tally.objects.all() if t.n}


def assert_tallies_match_a_recount():
    before = kept()
    assert tallies.rebuild() == 0
    assert kept() == before


def test_a_new_member_counts_in_every_ancestor(tree):
    make_member(tree.yze, category="courier", is_new_form=True)
    for org in (tree.nb, tree.yz, tree.yzt, tree.yze):
        t = tallies.read(org.path)
        assert t["all"][""] == 1 and t["new_form"][""] == 1 and t["category"]["courier"] == 1
    assert tallies.read(tree.bl.path)["all"] == {}
    assert_tallies_match_a_recount()


def test_an_update_moves_the_member_between_keys(tree):
    member = make_member(tree.yze, category="courier", joined_on=dt.date(2020, 5, 1))
    member_update(actor=system_user(), member=member, category="security_guard", is_new_form=True,
                  joined_on=dt.date(2021, 5, 1), id_number=valid_id_number(birth=dt.date(1970, 3, 3)))
    t = tallies.read(tree.nb.path)
    assert t["category"] == {"courier": 0, "security_guard": 1}
    assert t["joined_year"] == {"2020": 0, "2021": 1}
    assert t["birth_year"].get("1970") == 1
    assert_tallies_match_a_recount()


def test_an_import_counts_the_rows_it_inserted_and_not_the_transfers(tree, yz_cadre):
    elsewhere = valid_id_number()
    make_member(tree.ble, id_number=elsewhere)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["姓名", "身份证号", "工会代码", "群体", "新就业形态"])
    writer.writerow(["甲", valid_id_number(), "YZE", "快递员", "是"])
    writer.writerow(["乙", valid_id_number(), "YZT", "", "否"])
    writer.writerow(["丙", elsewhere, "YZE", "", "否"])
    result = roster_import(actor=yz_cadre, stream=io.BytesIO(buffer.getvalue().encode()), filename="r.csv")
    assert (result.imported, result.transfers) == (2, 1)
    assert tallies.read(tree.yz.path)["all"][""] == 2
    assert tallies.read(tree.nb.path)["all"][""] == 3
    assert_tallies_match_a_recount()


def test_rebuild_reports_drift_from_writes_that_bypassed_the_services(tree):
    member = make_member(tree.yze)
    type(member).objects.filter(pk=member.pk).update(category="courier")
    assert tallies.rebuild() > 0
    assert tallies.read(tree.nb.path)["category"] == {"courier": 1}


def test_rebuild_counts_a_union_added_without_the_services(tree):
    from gonghui.orgs.models import Org, OrgKind

    orgs = tallies.read(tree.yz.path)["orgs"][""]
    Org.objects.add_child(Org.objects.get(pk=tree.yzt.pk), dict(code="RAW1", name="直接写入", kind=OrgKind.ENTERPRISE))
    assert tallies.rebuild() == 4  # its own count, and its parent's, district's and city's
    assert tallies.read(tree.yz.path)["orgs"][""] == orgs + 1


def test_rolled_up_deltas_in_bulk_add_and_subtract_as_apply_does(tree):
    """The bulk path a city-wide import takes (binary COPY and one upsert on PostgreSQL)."""
    make_member(tree.yze, id_number=valid_id_number(birth=dt.date(1980, 1, 1)))
    before = kept()
    deltas = Counter({(tree.yze.path, "birth_year", str(1000 + i)): 1 + i % 3 for i in range(3_000)})
    deltas[(tree.yze.path, "all", "")] = 2
    deltas[(tree.ble.path, "all", "")] = 5
    rolled = tallies.roll_up(deltas)
    tallies.apply_rolled_up((path, dim, key, n) for (path, dim, key), n in rolled.items())
    added = {k: n - before.get(k, 0) for k, n in kept().items() if n != before.get(k, 0)}
    assert added[(tree.nb.path, "all", "")] == 7 and added[(tree.yz.path, "all", "")] == 2
    assert added[(tree.yzt.path, "birth_year", "1999")] == 1 and added[(tree.nb.path, "birth_year", "1998")] == 3
    assert len(added) == 3_000 * 4 + 4 + 3  # birth years at the union and its three ancestors; "all" twice
    tallies.apply(Counter({key: -n for key, n in deltas.items()}))  # the small path takes them back
    assert kept() == before
    assert_tallies_match_a_recount()
