"""Two cadres importing overlapping rosters at the same moment never create one person twice."""

import csv
import io
import threading

import pytest
from django.db import connection

from gonghui.members import imports
from gonghui.members.imports import roster_import
from gonghui.members.models import Member, Transfer
from gonghui.stats import tallies
from tests.concurrency import run_together
from tests.factories import make_cadre, make_org, valid_id_number

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


def test_overlapping_rosters_imported_at_once_create_each_person_once(transactional_db, monkeypatch):
    nb = make_org(code="CNB", kind="city")
    unions = [make_org(nb, code=f"CE{i}", kind="enterprise") for i in range(2)]
    cadres = [make_cadre(union) for union in unions]
    shared = [valid_id_number() for _ in range(300)]
    files = [roster(union.code, shared + [valid_id_number() for _ in range(100)]) for union in unions]

    # Hold both imports until each has validated its file and is about to insert its people
    # (on PostgreSQL they go in while the file streams), so both see the shared people as new
    # and race to insert them.
    barrier = threading.Barrier(2, timeout=20)
    real_write = imports._PgStager._write_chunk

    def write_together(self, rows, insert):
        barrier.wait()
        return real_write(self, rows, insert)

    monkeypatch.setattr(imports._PgStager, "_write_chunk", write_together)
    results = run_together([lambda i=i: roster_import(actor=cadres[i], stream=io.BytesIO(files[i]),
                                                      filename=f"r{i}.csv")
                            for i in range(2)], timeout=60)

    assert all(not isinstance(r, Exception) for r in results), results
    assert Member.objects.count() == 300 + 200  # the shared 300 once, each file's own 100
    assert sum(r.imported for r in results) == 500
    # Whoever lost the race for a shared person asked for a transfer instead.
    assert sum(r.transfers for r in results) == 300 == Transfer.objects.count()
    assert tallies.rebuild() == 0
