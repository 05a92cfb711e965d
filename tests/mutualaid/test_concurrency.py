"""Exactly once under real concurrency (PostgreSQL, threads on their own connections)."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum

from gonghui.core import audit
from gonghui.mutualaid import feeds, pricing, services
from gonghui.mutualaid.models import (
    Ledger,
    PaymentLine,
    Payout,
    SettlementFeed,
    SettlementRecord,
    SettlementStatus,
)
from gonghui.mutualaid.stats import SOURCE
from gonghui.stats import activity
from tests.concurrency import run_together
from tests.factories import make_cadre, make_member, make_org, system_user, valid_id_number
from tests.mutualaid.conftest import jan1, open_plan
from tests.mutualaid.helpers import claim_fields, documents, record

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"),
]


@pytest.fixture
def union(transactional_db):
    city = make_org(code="XNB", kind="city")
    district = make_org(city, code="XD", kind="district")
    enterprise = make_org(district, code="XE", kind="enterprise")
    plan = open_plan()
    return city, district, enterprise, plan


def together(jobs):
    start = threading.Barrier(len(jobs), timeout=10)

    def wrap(job):
        def run():
            start.wait()
            return job()
        return run

    return run_together([wrap(j) for j in jobs], timeout=60)


def four_stays_each(union, people: int) -> tuple[SettlementFeed, list[dict]]:
    """``people`` enrolled members with four stays each in one received feed (caps bite)."""
    city, district, enterprise, plan = union
    numbers = [valid_id_number() for _ in range(people)]
    for n in numbers:
        make_member(enterprise, id_number=n)
    services.enrol_batch(actor=system_user(), plan=plan, org=city, on=jan1())
    feed = SettlementFeed.objects.create(org=city, org_path=city.path, source="api")
    rows = [record(n, self_pay_in=f"{9000 + 1000 * k}", days_ago=3 + 10 * k, hospital=f"H{k}", total_cost="99000")
            for n in numbers for k in range(4)]
    feeds.receive(feed=feed, records=enumerate(rows, start=1))
    return feed, rows


@pytest.mark.parametrize("round_", range(2))
def test_two_workers_pricing_the_same_feed_pay_each_record_once(union, round_):
    plan = union[3]
    feed, rows = four_stays_each(union, 30)
    results = together([lambda: pricing.price_received(feed_id=feed.pk, chunk=9) for _ in range(3)])
    assert all(isinstance(r, pricing.PricingResult) for r in results), results
    assert sum(r.records for r in results) == len(rows)  # every record taken by exactly one worker
    assert not SettlementRecord.objects.filter(status=SettlementStatus.RECEIVED).exists()
    assert Payout.objects.count() == len(rows)
    for ledger in Ledger.objects.all():
        paid = Payout.objects.filter(person_hash=ledger.person_hash, plan=ledger.plan).aggregate(s=Sum("amount"))["s"]
        assert ledger.paid_total == paid <= plan.yearly_cap
    assert sum((r.amount for r in results), Decimal(0)) == Payout.objects.aggregate(s=Sum("amount"))["s"]
    assert activity.rebuild([SOURCE]) == 0  # the statistics added per chunk match a recount
    assert list(audit.verify()) == []


def test_a_crashed_worker_and_a_live_one_finish_the_feed_once(union):
    city, district, enterprise, plan = union
    numbers = [valid_id_number() for _ in range(10)]
    for n in numbers:
        make_member(enterprise, id_number=n)
    services.enrol_batch(actor=system_user(), plan=plan, org=city, on=jan1())
    feed = SettlementFeed.objects.create(org=city, org_path=city.path, source="api")
    feeds.receive(feed=feed, records=enumerate([record(n, days_ago=d, hospital=f"H{d}") for n in numbers
                                                for d in (3, 20, 40)], start=1))

    def crashing():
        def stop(_progress):
            raise RuntimeError("worker killed")
        return pricing.price_received(feed_id=feed.pk, chunk=4, progress=stop)

    results = together([crashing, lambda: pricing.price_received(feed_id=feed.pk, chunk=4)])
    assert isinstance(results[0], RuntimeError)
    pricing.price_received(feed_id=feed.pk)  # the re-run
    assert Payout.objects.count() == 30 == SettlementRecord.objects.filter(status="priced").count()
    assert activity.rebuild([SOURCE]) == 0


def test_the_yearly_cap_holds_under_concurrent_claim_approvals_for_one_member(union):
    city, district, enterprise, plan = union
    member = make_member(enterprise)
    services.enrol_member(actor=system_user(), plan=plan, member=member, on=jan1())
    claims = [services.claim_file(actor=system_user(), member=member, documents=documents(),
                                  **claim_fields(self_pay_in="30000", days_ago=3 + 10 * i, hospital=f"医院{i}"))
              for i in range(4)]
    cadres = [make_cadre(district) for _ in range(4)]
    results = together([lambda c=c, k=k: services.claim_approve(actor=c, claim=k) for c, k in zip(cadres, claims)])
    assert all(isinstance(r, Payout) for r in results), results
    total = Payout.objects.aggregate(s=Sum("amount"))["s"]
    assert total == plan.yearly_cap == Ledger.objects.get().paid_total  # 15000 + 5000 + 0 + 0
    assert sorted(p.amount for p in results) == [0, 0, 5000, 15000]
    for p in results:  # each explanation is consistent with what was paid before it
        assert p.paid_before + p.amount <= plan.yearly_cap


def test_two_cadres_racing_to_approve_one_claim_pay_it_once(union):
    city, district, enterprise, plan = union
    member = make_member(enterprise)
    services.enrol_member(actor=system_user(), plan=plan, member=member, on=jan1())
    claim = services.claim_file(actor=system_user(), member=member, documents=documents(), **claim_fields())
    cadres = [make_cadre(district) for _ in range(3)]
    results = together([lambda c=c: services.claim_approve(actor=c, claim=claim) for c in cadres])
    assert sum(isinstance(r, Payout) for r in results) == 1
    assert all(isinstance(r, (Payout, ValidationError)) for r in results), results
    assert Payout.objects.count() == 1 and Ledger.objects.get().paid_total == Decimal("5900.00")


def test_two_payment_batches_made_at_once_never_hold_the_same_payout(union):
    city, district, enterprise, plan = union
    members = [make_member(enterprise, id_number=valid_id_number()) for _ in range(5)]
    services.enrol_batch(actor=system_user(), plan=plan, org=city, on=jan1())
    for m in members:
        c = services.claim_file(actor=system_user(), member=m, documents=documents(), **claim_fields())
        services.claim_approve(actor=system_user(), claim=c)
    cadres = [make_cadre(district) for _ in range(3)]
    results = together([lambda c=c: services.payment_batch_create(actor=c, org=district) for c in cadres])
    assert PaymentLine.objects.count() == 5
    assert PaymentLine.objects.values("payout").distinct().count() == 5
    assert all(not isinstance(r, Exception) or isinstance(r, ValidationError) for r in results), results


def test_worker_threads_of_one_run_price_each_record_once_in_each_persons_order(union):
    plan = union[3]
    feed, rows = four_stays_each(union, 40)
    result = pricing.price_received(feed_id=feed.pk, chunk=7, workers=3)  # people straddle the chunks
    assert result.records == len(rows) == Payout.objects.count()
    assert not SettlementRecord.objects.filter(status=SettlementStatus.RECEIVED).exists()
    # Each person's stays were priced one after the other, in discharge order, against the yearly cap.
    rule = pricing.rules.Rule.of(plan)
    for person in Ledger.objects.values_list("person_hash", flat=True):
        paid = Decimal(0)
        for p in Payout.objects.filter(person_hash=person).order_by("settlement__discharged_on"):
            assert (p.paid_before, p.amount) == (paid, pricing.rules.payout_amount(rule, p.self_pay_in, paid))
            paid += p.amount
        assert Ledger.objects.get(person_hash=person).paid_total == paid
    assert activity.rebuild([SOURCE]) == 0


def test_a_ledger_created_by_another_transaction_meanwhile_makes_the_chunk_price_again(union):
    """The engine prices a person it found without a ledger; a claim review creates that ledger and
    pays first: the engine's chunk is taken again and prices against what the review paid."""
    city, district, enterprise, plan = union
    number = valid_id_number()
    member = make_member(enterprise, id_number=number)
    services.enrol_member(actor=system_user(), plan=plan, member=member, on=jan1())
    feed = SettlementFeed.objects.create(org=city, org_path=city.path, source="api")
    feeds.receive(feed=feed, records=enumerate([record(number, self_pay_in="30000", days_ago=3, total_cost="99000")], start=1))
    holding, release = threading.Event(), threading.Event()

    def review_pays_first():
        from django.db import transaction

        with transaction.atomic():
            ledger = services.ledger_lock(plan=plan, person_hash=member.id_hash, member_id=member.pk)
            Ledger.objects.filter(pk=ledger.pk).update(paid_total=Decimal("12000.00"), payouts=1)
            holding.set()
            release.wait(timeout=20)
        return "committed"

    def engine():
        holding.wait(timeout=20)
        return pricing.price_received(feed_id=feed.pk)

    def release_when_engine_waits():
        holding.wait(timeout=20)
        # The engine found no committed ledger, priced with nothing paid, and now waits on the
        # review's uncommitted row at its insert: let the review commit.
        for _ in range(200):
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                               "AND query LIKE 'INSERT INTO mutualaid_ledger%%'")
                if cursor.fetchone()[0]:
                    break
            threading.Event().wait(0.05)
        release.set()

    results = together([review_pays_first, engine, release_when_engine_waits])
    assert results[0] == "committed" and isinstance(results[1], pricing.PricingResult), results
    assert list(SettlementRecord.objects.values_list("status", "reason_code")) == [("priced", "")], results[1]
    payout = Payout.objects.get()
    assert payout.paid_before == Decimal("12000.00")  # read again under the lock after the retry
    assert payout.amount == pricing.rules.payout_amount(pricing.rules.Rule.of(plan), payout.self_pay_in,
                                                        Decimal("12000.00"))
    assert Ledger.objects.get().paid_total == Decimal("12000.00") + payout.amount <= plan.yearly_cap
