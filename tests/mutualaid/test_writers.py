"""One writer per aggregate. Payouts: claims, the engine and the demo leave payouts, ledgers and
statistics (per day and all-time) in step, and the writer refuses what would break them.
Enrolments: a union's batch, the demo's lists and rows given directly keep the plans' counters and
the statistics in step."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.db.transaction import TransactionManagementError

from gonghui.mutualaid import feeds, pricing, services
from gonghui.mutualaid.models import (
    Enrolment,
    EnrolmentBatch,
    Ledger,
    Payout,
    PayoutStatus,
    Plan,
    SettlementFeed,
    SettlementRecord,
)
from gonghui.mutualaid.services.enrolment import enrolments_write
from gonghui.mutualaid.services.payouts import LedgerTaken, payouts_write
from gonghui.mutualaid.stats import SOURCE, plans_recount
from gonghui.stats import activity
from gonghui.stats.models import Activity
from tests.demo.conftest import demo  # noqa: F401  (fixture)
from tests.factories import make_member
from tests.mutualaid.conftest import jan1, stay_day
from tests.mutualaid.helpers import claim_fields, documents, members_with_numbers, record
from tests.stats.test_activity import totals_in_step


def ledgers_hold_their_payouts() -> bool:
    """Every ledger row is the sum and the count (above zero) of its person's payouts under its plan,
    and every (plan, person) with a payout has a row."""
    paid = {(p, h): (total, n) for p, h, total, n in Payout.objects.values_list("plan_id", "person_hash")
            .annotate(total=Sum("amount"), n=Count("id", filter=Q(amount__gt=0))).order_by()}
    held = {(p, h): (total, n) for p, h, total, n in Ledger.objects.values_list("plan_id", "person_hash",
                                                                                "paid_total", "payouts")}
    return set(paid) <= set(held) and all(held[k] == (Decimal(paid.get(k, (0, 0))[0]).quantize(Decimal("0.01")),
                                                      paid.get(k, (0, 0))[1]) for k in held)


def in_step() -> bool:
    return (ledgers_hold_their_payouts() and activity.rebuild([SOURCE]) == 0 and totals_in_step()
            and plans_recount() == 0)


@pytest.fixture
def people(tree, plan, nb_cadre):
    """Three enrolled members (two of YZE, one of BLE) and their ID numbers."""
    out = members_with_numbers(tree.yze, 2) + members_with_numbers(tree.ble, 1)
    services.enrol_batch(actor=nb_cadre, plan=plan, org=tree.nb, on=jan1())
    return out


def price_feed(org, rows) -> pricing.PricingResult:
    feed = SettlementFeed.objects.create(org=org, org_path=org.path, source="api")
    feeds.receive(feed=feed, records=enumerate(rows, start=1))
    return pricing.price_received(feed_id=feed.pk)


def test_claim_approvals_keep_the_ledger_counters_and_figures_in_step(tree, plan, people, yz_cadre):
    (member, _n), _, _ = people
    for i, self_pay in enumerate(("12000.00", "300.00", "26000.00")):  # a payout, nothing, then the cap bites
        claim = services.claim_file(actor=yz_cadre, member=member, documents=documents(),
                                    **claim_fields(self_pay_in=self_pay, days_ago=3 + 10 * i, hospital=f"医院{i}"))
        services.claim_approve(actor=yz_cadre, claim=claim)
    ledger = Ledger.objects.get(person_hash=member.id_hash)
    assert (ledger.paid_total, ledger.payouts) == (plan.yearly_cap, 2)
    assert list(Payout.objects.order_by("pk").values_list("paid_before", "status")) == [
        (Decimal("0.00"), PayoutStatus.DUE), (Decimal("5900.00"), PayoutStatus.NIL),
        (Decimal("5900.00"), PayoutStatus.DUE)]
    assert in_step()


def test_the_engine_keeps_the_ledger_counters_and_figures_in_step(tree, plan, people):
    (_m1, n1), (_m2, n2), (_m3, n3) = people
    result = price_feed(tree.nb, [
        record(n1, self_pay_in="12000.00", days_ago=30), record(n1, self_pay_in="40000.00", days_ago=20, total_cost="99000"),
        record(n1, self_pay_in="9000.00", days_ago=10),  # the yearly cap is spent: nothing
        record(n2, self_pay_in="300.00"),  # below the deductible: nothing, but a ledger row
        record(n3, self_pay_in="5000.00")])
    assert (result.priced, result.payouts) == (5, 3)
    assert Ledger.objects.count() == 3 and in_step()


def test_a_claim_and_the_feed_for_one_person_share_one_ledger(tree, plan, people, yz_cadre):
    (member, number), _, _ = people
    claim = services.claim_file(actor=yz_cadre, member=member, documents=documents(),
                                **claim_fields(self_pay_in="12000.00", days_ago=40, hospital="医院甲"))
    services.claim_approve(actor=yz_cadre, claim=claim)
    price_feed(tree.nb, [record(number, self_pay_in="12000.00", days_ago=5)])
    from_feed = Payout.objects.get(settlement__isnull=False)
    assert from_feed.paid_before == Decimal("5900.00")
    assert Ledger.objects.get().paid_total == Decimal("11800.00") and in_step()


def test_the_demo_writes_its_payouts_through_the_engine_without_an_audit_line_per_chunk(demo):
    from gonghui.core.models import AuditEntry

    assert Payout.objects.filter(settlement__isnull=False).exists()
    assert in_step()
    assert not AuditEntry.objects.filter(action="aid.settlements_priced").exists()
    assert not SettlementRecord.objects.filter(status="received").exists()


# --- what the writer refuses ------------------------------------------------------------------


def one_payout(member, plan, *, paid_before="0.00", amount="100.00", source_id=None):
    enrolment = member.aid_enrolments.get(plan=plan)
    feed = SettlementFeed.objects.create(org=enrolment.org, org_path=enrolment.org_path, source="api")
    record_id = source_id or SettlementRecord.objects.create(
        settlement_id=f"W{member.pk}-{paid_before}", feed=feed, id_hash=member.id_hash, id_cipher=b"x",
        id_masked=member.id_masked, pii_key_id="k", hospital="医院", admitted_on=stay_day(9),
        discharged_on=stay_day(5), total_cost=Decimal("1000"), fund_paid=Decimal("0"), self_pay_in=Decimal("1000"),
        self_pay_out=Decimal("0"), org_path=feed.org_path).pk
    return (record_id, member.pk, enrolment.pk, plan.pk, enrolment.org_path, member.id_hash, plan.product,
            Decimal("1000.00"), Decimal(paid_before), Decimal(amount))


def written_nothing() -> bool:
    return not (Payout.objects.exists() or Ledger.objects.exists()
                or Activity.objects.filter(metric="aid_payouts").exists())


def test_the_writer_runs_only_in_the_transaction_that_read_the_ledger(transactional_db, tree, plan, people):
    row = one_payout(people[0][0], plan)
    with pytest.raises(TransactionManagementError):
        payouts_write(source="settlement", rows=[row], ledgers={}, day=stay_day(1))


def test_the_writer_refuses_a_payout_priced_against_another_ledger_than_the_one_read(tree, plan, people):
    member = people[0][0]
    with pytest.raises(ValueError, match="priced against"), transaction.atomic():
        payouts_write(source="settlement", day=stay_day(1), ledgers={},
                      rows=[one_payout(member, plan), one_payout(member, plan, paid_before="50.00")])
    assert written_nothing()


def test_the_writer_pays_a_source_once(tree, plan, people):
    member = people[0][0]
    row = one_payout(member, plan)
    with transaction.atomic():
        payouts_write(source="settlement", rows=[row], ledgers={}, day=stay_day(1))
    ledger = Ledger.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        payouts_write(source="settlement", day=stay_day(1), rows=[(*row[:8], ledger.paid_total, row[9])],
                      ledgers={(plan.pk, member.id_hash): (ledger.pk, ledger.paid_total)})
    assert Payout.objects.count() == 1 and Ledger.objects.get().paid_total == Decimal("100.00") and in_step()


def test_a_ledger_someone_else_created_meanwhile_makes_the_caller_price_again(tree, plan, people):
    member = people[0][0]
    services.ledger_lock(plan=plan, person_hash=member.id_hash, member_id=member.pk)  # not read by the caller
    with pytest.raises(LedgerTaken), transaction.atomic():
        payouts_write(source="settlement", rows=[one_payout(member, plan)], ledgers={}, day=stay_day(1))
    assert not Payout.objects.exists() and Ledger.objects.get().paid_total == 0


# --- enrolments -------------------------------------------------------------------------------


def test_rows_enrolled_directly_count_once_each_in_the_plan_and_the_figures(tree, plan, nb_cadre):
    old, new = make_member(tree.yze), make_member(tree.ble)
    services.enrol_member(actor=nb_cadre, plan=plan, member=old, on=jan1())
    batch = EnrolmentBatch.objects.create(plan=plan, org=tree.nb, org_path=tree.nb.path, mode="list",
                                          enrolled_on=stay_day(2))
    with transaction.atomic():
        enrolled = enrolments_write(lists=[(batch, [(m.pk, m.org_id, m.org_path) for m in (old, new)])])
    assert enrolled == 1 and Plan.objects.get(pk=plan.pk).enrolled == 2
    assert Enrolment.objects.get(member=old).enrolled_on == jan1()  # already enrolled: left as it was
    assert activity.period_figures(tree.ble.path)["aid_fees"] == plan.fee
    assert in_step()


def test_the_enrolment_writer_runs_in_the_callers_transaction(transactional_db, tree, plan):
    batch = EnrolmentBatch.objects.create(plan=plan, org=tree.nb, org_path=tree.nb.path, mode="list",
                                          enrolled_on=jan1())
    member = make_member(tree.yze)
    with pytest.raises(TransactionManagementError):
        enrolments_write(lists=[(batch, [(member.pk, member.org_id, member.org_path)])])
    assert not Enrolment.objects.exists()
