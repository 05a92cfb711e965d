"""Two cadres deciding the same request at the same moment decide it once (PostgreSQL, real threads)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from gonghui.core import audit
from gonghui.members.models import JoinApplication, JoinStatus, Member, MembershipPeriod, Transfer, TransferStatus
from gonghui.members.services import (
    join_apply,
    join_approve,
    join_refuse,
    transfer_approve,
    transfer_release,
    transfer_request,
)
from gonghui.stats import tallies
from tests.concurrency import run_together
from tests.factories import make_cadre, make_member, make_org, valid_id_number, verified_account

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"),
]


@pytest.fixture
def union(transactional_db):
    city = make_org(code="XNB", kind="city")
    district = make_org(city, code="XD", kind="district")
    enterprise = make_org(district, code="XE", kind="enterprise")
    other = make_org(city, code="XO", kind="enterprise")
    cadres = [make_cadre(district) for _ in range(4)]
    return enterprise, other, cadres


def together(cadres, decide):
    start = threading.Barrier(len(cadres), timeout=10)

    def job(cadre):
        start.wait()
        return decide(cadre)

    return run_together([lambda c=c: job(c) for c in cadres])


@pytest.mark.parametrize("round_", range(3))
def test_racing_approvals_of_one_application_make_one_member(union, round_):
    enterprise, _other, cadres = union
    application = join_apply(applicant=verified_account(f"1391000{round_:04d}"), org=enterprise, name="并发申请",
                             id_number=valid_id_number(), employer="某公司")
    results = together(cadres, lambda c: join_approve(actor=c, application=application))
    assert Member.objects.filter(name="并发申请").count() == 1
    assert sum(isinstance(r, Member) for r in results) == 1
    assert all(isinstance(r, (Member, ValidationError)) for r in results), results
    assert JoinApplication.objects.get().status == JoinStatus.APPROVED
    assert tallies.rebuild() == 0
    assert list(audit.verify()) == []


def test_an_approval_racing_a_refusal_leaves_one_decision(union):
    enterprise, _other, cadres = union
    application = join_apply(applicant=verified_account("13910009999"), org=enterprise, name="二选一",
                             id_number=valid_id_number(), employer="某公司")
    results = together(cadres[:2], lambda c: (join_approve(actor=c, application=application) if c == cadres[0]
                                              else join_refuse(actor=c, application=application, reason="材料不全")))
    status = JoinApplication.objects.get().status
    assert sum(not isinstance(r, Exception) for r in results) == 1, results
    assert Member.objects.filter(name="二选一").count() == (1 if status == JoinStatus.APPROVED else 0)


@pytest.mark.parametrize("round_", range(3))
def test_racing_approvals_of_one_transfer_move_the_member_once(union, round_):
    enterprise, other, cadres = union
    number = valid_id_number()
    member = make_member(other, name="转会", id_number=number)
    transfer = transfer_request(actor=cadres[0], org=enterprise, id_number=number)
    transfer_release(actor=make_cadre(other), transfer=transfer)
    results = together(cadres, lambda c: transfer_approve(actor=c, transfer=transfer))
    assert sum(isinstance(r, Transfer) for r in results) == 1, results
    assert Transfer.objects.get().status == TransferStatus.APPROVED
    assert MembershipPeriod.objects.filter(member=member).count() <= 1
    member.refresh_from_db()
    assert member.org == enterprise
    assert tallies.rebuild() == 0
