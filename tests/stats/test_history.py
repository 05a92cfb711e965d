"""Statistics as of a day stay right after moves, leaving and coming back (membership periods)."""

import datetime as dt
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gonghui.members.figures import subtree_stats
from gonghui.members.selectors import members_on
from gonghui.members.services import member_leave, transfer_approve, transfer_request
from gonghui.stats import tallies
from tests.factories import make_member, system_user, valid_id_number


@pytest.fixture
def on_day(monkeypatch):
    """Run the services as if today were ``day`` (they date moves and periods by today)."""

    @contextmanager
    def run(day: dt.date):
        with monkeypatch.context() as patch:
            patch.setattr(timezone, "localdate", lambda *args, **kwargs: day)
            yield

    return run


def move(on_day, day, person, org):
    with on_day(day):
        actor = system_user()
        transfer_approve(actor=actor, transfer=transfer_request(actor=actor, org=org, id_number=person))


def leave(on_day, day, member):
    with on_day(day):
        member_leave(actor=system_user(), member=member, on=day, reason="离职")


@pytest.fixture
def history(tree, on_day):
    """P1: YZE from 2020, moved to BLE on 2022-03-01.
    P2: YZE from 2019, left 2021-06-01, back in YZE on 2023-01-01.
    P3: BLE from 2018, left 2022-01-01, back in YZE on 2024-01-01."""
    ids = {name: valid_id_number() for name in ("p1", "p2", "p3")}
    make_member(tree.yze, name="一", id_number=ids["p1"], joined_on=dt.date(2020, 1, 1), category="courier")
    p2 = make_member(tree.yze, name="二", id_number=ids["p2"], joined_on=dt.date(2019, 1, 1))
    p3 = make_member(tree.ble, name="三", id_number=ids["p3"], joined_on=dt.date(2018, 1, 1))
    leave(on_day, dt.date(2021, 6, 1), p2)
    leave(on_day, dt.date(2022, 1, 1), p3)
    move(on_day, dt.date(2022, 3, 1), ids["p1"], tree.ble)
    move(on_day, dt.date(2023, 1, 1), ids["p2"], tree.yze)
    move(on_day, dt.date(2024, 1, 1), ids["p3"], tree.yze)
    return tree


@pytest.mark.parametrize(("day", "in_yz", "in_bl"), [
    (dt.date(2017, 12, 31), set(), set()),
    (dt.date(2018, 1, 1), set(), {"三"}),
    (dt.date(2021, 1, 1), {"一", "二"}, {"三"}),
    (dt.date(2021, 6, 1), {"一"}, {"三"}),  # P2 left that day
    (dt.date(2022, 2, 28), {"一"}, set()),  # P3 left on 1 January
    (dt.date(2022, 3, 1), set(), {"一"}),  # P1 counts in BL from the day of the move
    (dt.date(2023, 6, 1), {"二"}, {"一"}),
    (dt.date(2024, 6, 1), {"二", "三"}, {"一"}),
])
def test_a_member_counts_where_they_were_on_the_day(history, day, in_yz, in_bl):
    tree = history
    assert set(members_on(path=tree.yz.path, day=day).values_list("name", flat=True)) == in_yz
    assert set(members_on(path=tree.bl.path, day=day).values_list("name", flat=True)) == in_bl
    assert subtree_stats(org=tree.yz, on=day)["members"] == len(in_yz)
    assert subtree_stats(org=tree.bl, on=day)["members"] == len(in_bl)
    assert subtree_stats(org=tree.nb, on=day)["members"] == len(in_yz) + len(in_bl)


def test_breakdowns_follow_the_member_too(history):
    tree = history
    assert subtree_stats(org=tree.yz, on=dt.date(2021, 1, 1))["by_category"]["courier"] == 1
    assert subtree_stats(org=tree.yz, on=dt.date(2023, 1, 1))["by_category"]["courier"] == 0
    assert subtree_stats(org=tree.bl, on=dt.date(2023, 1, 1))["by_category"]["courier"] == 1
    assert subtree_stats(org=tree.bl, on=dt.date(2023, 1, 1))["joined_per_year"] == {"2020": 1}


def test_today_the_tallies_agree_with_the_live_count(history):
    tree = history
    assert tallies.rebuild() == 0
    today = timezone.localdate()
    for org in (tree.nb, tree.yz, tree.yze, tree.bl, tree.ble):
        assert subtree_stats(org=org)["members"] == members_on(path=org.path, day=today).count(), org.code
    assert subtree_stats(org=tree.yz)["members"] == 2 and subtree_stats(org=tree.bl)["members"] == 1


def test_the_periods_of_a_member_never_overlap(history):
    from gonghui.members.models import Member

    for member in Member.objects.all():
        spans = sorted([(p.started_on, p.ended_on) for p in member.periods.all()]
                       + [(member.period_start, member.left_on or dt.date.max)])
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:])), member.name


DAYS = [dt.date(2017, 12, 31), dt.date(2018, 1, 1), dt.date(2021, 6, 1), dt.date(2022, 2, 28), dt.date(2022, 3, 1),
        dt.date(2023, 12, 31), dt.date(2024, 6, 1)]


@pytest.mark.parametrize("day", DAYS)
def test_a_snapshot_gives_the_figures_counted_live_for_its_day(history, day):
    tree = history
    orgs = (tree.nb, tree.yz, tree.yzt, tree.yze, tree.bl, tree.ble)
    live = {org.code: subtree_stats(org=org, on=day) for org in orgs}
    tallies.take_snapshot(day)
    for org in orgs:
        assert subtree_stats(org=org, on=day) == live[org.code], org.code


def test_figures_of_a_day_with_a_snapshot_read_no_member_rows(history):
    tree = history
    day = dt.date(2023, 12, 31)
    tallies.take_snapshot(day)
    with CaptureQueriesContext(connection) as queries:
        figures = subtree_stats(org=tree.yz, on=day)
    assert figures["members"] == 1 and figures["by_category"]["courier"] == 0
    assert len(queries) == 3  # the snapshot, its rows, today's unions
    assert not any("members_member" in q["sql"] for q in queries.captured_queries)


def test_a_snapshot_taken_again_replaces_the_first(history, on_day):
    tree = history
    day = dt.date(2023, 12, 31)
    tallies.take_snapshot(day)
    make_member(tree.yze, name="迟报", joined_on=dt.date(2023, 5, 1))  # a late roster, dated into that year
    assert subtree_stats(org=tree.yz, on=day)["members"] == 1  # the snapshot as taken
    tallies.take_snapshot(day)
    assert subtree_stats(org=tree.yz, on=day)["members"] == 2
    assert subtree_stats(org=tree.yz, on=day)["joined_per_year"] == {"2019": 1, "2023": 1}


def test_the_snapshot_command_keeps_the_end_of_last_year_and_refuses_bad_days(history):
    from io import StringIO

    from django.core.management import CommandError, call_command

    from gonghui.stats.models import Snapshot

    out = StringIO()
    call_command("stats", "snapshot", stdout=out)
    year_end = dt.date(timezone.localdate().year - 1, 12, 31)
    assert f"tallies as of {year_end} kept" in out.getvalue()
    assert list(Snapshot.objects.values_list("day", flat=True)) == [year_end]
    with pytest.raises(CommandError, match="is not a date"):
        call_command("stats", "snapshot", "--day", "2024-13-01")
    with pytest.raises(CommandError, match="not before today"):
        call_command("stats", "snapshot", "--day", timezone.localdate().isoformat())
    assert Snapshot.objects.count() == 1
