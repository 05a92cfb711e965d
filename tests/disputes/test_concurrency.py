"""Two people recording the last payment of an agreement at the same moment count it once (PostgreSQL)."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from gonghui.disputes import services
from gonghui.disputes.models import Agreement, Case, Payment, State
from gonghui.orgs.models import OrgKind
from tests.concurrency import run_together
from tests.factories import UserFactory, make_cadre, make_org, system_user, valid_id_number

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"),
]


@pytest.fixture
def settled(transactional_db):
    city = make_org(code="XNB", kind=OrgKind.CITY)
    district = make_org(city, code="XD", kind=OrgKind.DISTRICT)
    admin = system_user()
    room = services.room_create(actor=admin, org=district, code="XD-R", name="调处室", level="district")
    mediators = [UserFactory() for _ in range(4)]
    for user in mediators:
        services.room_staff_add(actor=admin, room=room, user=user, kind="mediator")
    cadre = make_cadre(district)
    case = services.case_open(actor=cadre, org=district, channel="window", applicant_name="并发", employer_name="某公司",
                              id_number=valid_id_number(), claims=[{"kind": "unpaid_wages", "amount": "9000"}])
    services.case_triage(actor=cadre, case=case, room=room)
    services.case_start(actor=mediators[0], case=case)
    services.agreement_record(actor=mediators[0], case=case, amount="9000.00",
                              instalments=[{"due_on": case.received_on, "amount": "6000"},
                                           {"due_on": case.received_on, "amount": "3000"}])
    services.payment_record(actor=mediators[0], case=case, amount="6000")
    return case, mediators


@pytest.mark.parametrize("round_", range(3))
def test_racing_last_payments_are_counted_once(settled, round_):
    case, mediators = settled
    start = threading.Barrier(len(mediators), timeout=10)

    def pay(user):
        start.wait()
        return services.payment_record(actor=user, case=Case.objects.get(pk=case.pk), amount="3000.00")

    results = run_together([lambda u=u: pay(u) for u in mediators])
    assert sum(isinstance(r, Payment) for r in results) == 1, results
    assert all(isinstance(r, (Payment, ValidationError)) for r in results), results
    agreement = Agreement.objects.get(case=case)
    assert agreement.paid_amount == Decimal("9000.00") == sum(p.amount for p in agreement.payments.all())
    assert Case.objects.get(pk=case.pk).state == State.PAID
    assert all(i.paid_amount == i.amount for i in agreement.instalments.all())


def test_racing_case_numbers_are_unique(transactional_db):
    city = make_org(code="YNB", kind=OrgKind.CITY)
    district = make_org(city, code="YD", kind=OrgKind.DISTRICT)
    cadres = [make_cadre(district) for _ in range(4)]
    start = threading.Barrier(len(cadres), timeout=10)

    def open_one(cadre):
        start.wait()
        return services.case_open(actor=cadre, org=district, channel="window", applicant_name="并发",
                                  employer_name="某公司", id_number=valid_id_number(),
                                  claims=[{"kind": "other", "amount": "1"}]).number

    numbers = run_together([lambda c=c: open_one(c) for c in cadres])
    assert all(isinstance(n, str) for n in numbers), numbers
    assert len(set(numbers)) == 4
