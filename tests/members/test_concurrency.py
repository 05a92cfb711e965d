"""One person, one membership, also when two cadres enter the same person at the same moment."""

import threading
from contextlib import contextmanager

import pytest
from django.db import connection, transaction

from gonghui.core import audit
from gonghui.members import services
from gonghui.members.models import Member
from gonghui.members.services import AlreadyAMember, member_create
from gonghui.orgs.models import Org
from tests.concurrency import run_together
from tests.factories import make_cadre, make_org, valid_id_number

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"),
]


@pytest.fixture
def two_districts(transactional_db):
    nb = make_org(code="CNB", kind="city")
    districts = [make_org(nb, code=f"CD{i}", kind="district") for i in range(2)]
    cadres = [make_cadre(district) for district in districts]
    return list(zip(cadres, districts, strict=True))


@contextmanager
def both_past_the_duplicate_check(monkeypatch, parties: int):
    """Hold each writer at the start of its transaction until all have passed the pre-check."""
    barrier = threading.Barrier(parties, timeout=10)
    real_atomic = transaction.atomic

    class Gate:
        @staticmethod
        def atomic(*args, **kwargs):
            barrier.wait()
            return real_atomic(*args, **kwargs)

    monkeypatch.setattr(services, "transaction", Gate)
    yield


def test_two_cadres_entering_the_same_person_at_once_make_one_row(two_districts, monkeypatch):
    number = valid_id_number()
    jobs = [lambda c=cadre, d=district: member_create(actor=c, org=Org.objects.get(pk=d.pk), name="并发",
                                                       id_number=number)
            for cadre, district in two_districts]
    with both_past_the_duplicate_check(monkeypatch, len(jobs)):
        results = run_together(jobs)
    assert Member.objects.filter(name="并发").count() == 1
    assert sum(isinstance(r, Member) for r in results) == 1
    assert sum(isinstance(r, AlreadyAMember) for r in results) == 1, results
    assert list(audit.verify()) == []


@pytest.mark.parametrize("round_", range(5))
def test_racing_writers_without_a_gate_still_make_one_row(two_districts, round_):
    number = valid_id_number()
    start = threading.Barrier(4, timeout=10)

    def job(cadre, district):
        start.wait()
        return member_create(actor=cadre, org=Org.objects.get(pk=district.pk), name="赛跑", id_number=number)

    jobs = [lambda c=c, d=d: job(c, d) for c, d in two_districts * 2]
    results = run_together(jobs)
    assert Member.objects.filter(name="赛跑").count() == 1
    assert sum(isinstance(r, Member) for r in results) == 1
    assert all(isinstance(r, (Member, AlreadyAMember)) for r in results), results


def test_concurrent_writes_keep_the_audit_chain_whole(two_districts):
    def job(cadre, district, i):
        return member_create(actor=cadre, org=Org.objects.get(pk=district.pk), name=f"链{i}",
                             id_number=valid_id_number(900_000 + i))

    jobs = [lambda c=c, d=d, i=i: job(c, d, i) for i, (c, d) in enumerate(two_districts * 4)]
    results = run_together(jobs)
    assert all(isinstance(r, Member) for r in results), results
    assert list(audit.verify()) == []
