"""Imports racing each other, or an online joining, never create one person twice (PostgreSQL)."""

import csv
import io
import threading
import time

import pytest
from django.db import connection, connections

from gonghui.core import pg
from gonghui.members import imports
from gonghui.members.imports import roster_import
from gonghui.members.models import Member, Transfer
from gonghui.stats import tallies
from tests.concurrency import run_together
from tests.factories import make_cadre, make_member, make_org, valid_id_number

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"),
]


def roster(org_code: str, numbers: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["姓名", "身份证号", "工会代码"])
    for i, number in enumerate(numbers):
        writer.writerow([f"工人{i}", number, org_code])
    return buffer.getvalue().encode()


def start(job):
    """Run ``job`` in a thread of its own (and its own connection); the returned function waits for
    it and gives what it returned or raised."""
    box = []

    def run():
        try:
            box.append(job())
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            box.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()

    def result():
        thread.join(60)
        return box[0] if box else TimeoutError("the import did not finish")

    return result


def waiting_on_advisory_lock() -> bool:
    """Whether another session waits for an advisory lock (the import lock)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                       "AND wait_event = 'advisory' AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0] > 0


def test_an_import_waits_for_the_one_writing_and_then_finds_its_people(transactional_db, monkeypatch):
    nb = make_org(code="CNB", kind="city")
    unions = [make_org(nb, code=f"CE{i}", kind="enterprise") for i in range(2)]
    cadres = [make_cadre(union) for union in unions]
    shared = [valid_id_number() for _ in range(300)]
    files = [roster(union.code, shared + [valid_id_number() for _ in range(100)]) for union in unions]

    # The first import stops once it has inserted its chunk, holding its transaction open; the
    # second, started then, must wait for it (on the advisory lock), not race it into the table.
    inserted, go_on = threading.Event(), threading.Event()
    real_write = imports._PgStager._write_chunk

    def write_then_hold(self, *args):
        done = real_write(self, *args)
        if not inserted.is_set():
            inserted.set()
            go_on.wait(20)
        return done

    monkeypatch.setattr(imports._PgStager, "_write_chunk", write_then_hold)

    def run(i):
        return roster_import(actor=cadres[i], stream=io.BytesIO(files[i]), filename=f"r{i}.csv")

    first = start(lambda: run(0))
    try:
        assert inserted.wait(20)
        second = start(lambda: run(1))
        deadline = time.monotonic() + 20
        while not waiting_on_advisory_lock():
            assert time.monotonic() < deadline, "the second import did not wait for the first"
            time.sleep(0.05)
    finally:
        go_on.set()
    results = [first(), second()]

    assert all(not isinstance(r, Exception) for r in results), results
    assert (results[0].imported, results[0].transfers) == (400, 0)
    assert (results[1].imported, results[1].transfers) == (100, 300)  # found the first file's people
    assert Member.objects.count() == 500
    assert Transfer.objects.filter(to_org=unions[1], from_org=unions[0]).count() == 300
    assert tallies.rebuild() == 0


def test_a_person_who_joins_during_the_import_is_found_when_it_runs_again(transactional_db, monkeypatch):
    nb = make_org(code="CNB", kind="city")
    union, elsewhere = make_org(nb, code="CE0", kind="enterprise"), make_org(nb, code="CE1", kind="enterprise")
    cadre = make_cadre(union)
    numbers = [valid_id_number() for _ in range(50)]
    joiner = numbers[17]

    # Between the chunk's look-up and its COPY, another session commits a member with one of the
    # file's ID numbers (as an approved online application would): the COPY meets the key.
    real_copy = pg.copy_binary
    calls = []

    def copy_after_someone_joined(c, table, *args, **kwargs):
        if table == "members_member" and not calls:
            calls.append(table)
            assert run_together([lambda: make_member(elsewhere, id_number=joiner).pk])[0] > 0
        return real_copy(c, table, *args, **kwargs)

    monkeypatch.setattr(pg, "copy_binary", copy_after_someone_joined)
    result = roster_import(actor=cadre, stream=io.BytesIO(roster(union.code, numbers)), filename="r.csv")

    assert calls and result.written and not result.errors
    assert (result.imported, result.transfers) == (49, 1)
    assert result.transfer_lines == [19]  # line 2 is the first person
    assert Member.objects.count() == 50
    assert Member.objects.get(org=elsewhere).transfers.get().to_org == union
    assert tallies.rebuild() == 0
