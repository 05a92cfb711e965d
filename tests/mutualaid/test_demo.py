"""Mutual aid in the demo: five calibrated plan years through the stats API, payouts that are what
the plan's rule gives for their settlement record, this year's work in every state, load and replace."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from gonghui.demo.calibration import scaled
from gonghui.demo.services import demo_load
from gonghui.members.models import Member
from gonghui.mutualaid import rules
from gonghui.mutualaid.demo import SEEDS, figures
from gonghui.mutualaid.models import (
    Claim,
    ClaimStatus,
    Enrolment,
    EnrolmentBatch,
    Ledger,
    PaymentBatch,
    PaymentLine,
    Payout,
    PayoutStatus,
    Plan,
    SettlementFeed,
    SettlementRecord,
    SettlementStatus,
)
from gonghui.orgs.models import Org
from gonghui.stats import activity
from tests.demo.conftest import PASSWORD, TEST_SCALE, demo  # noqa: F401  (fixture)

PERIOD = {"from": "2018-01-01", "to": "2022-12-31"}
# The figures (scale 1): district → {metric: figure}.
TARGETS = {
    "BL": {"aid_enrolments": 1_017_000, "aid_payouts": 623_500, "aid_paid_amount": 58_010_000},
    "YZ": {"aid_enrolments": 1_578_100},
    "FH": {"aid_enrolments": 320_000, "aid_payouts": 16_000},
    "YY": {"aid_enrolments": 620_000, "aid_paid_members": 5_462, "aid_paid_amount": 14_380_000},
}
AID_MODELS = (PaymentLine, PaymentBatch, Payout, Ledger, Claim, SettlementRecord, SettlementFeed, Enrolment,
              EnrolmentBatch, Plan)


def expected(metric: str, figure: int, scale: Decimal):
    if metric == "aid_paid_amount":
        return (Decimal(figure) * scale).quantize(Decimal("0.01"))
    return scaled(figure, scale)


def check_calibration(client, scale: Decimal) -> None:
    districts = list(Org.objects.filter(depth=2).values_list("code", flat=True))
    totals = dict.fromkeys(("aid_enrolments", "aid_payouts", "aid_paid_amount", "aid_paid_members"), 0)
    for code in districts:
        body = client.get(f"/api/v1/orgs/{code}/stats", **PERIOD).json()
        for metric, figure in TARGETS.get(code, {}).items():
            got = Decimal(body[metric]) if metric == "aid_paid_amount" else body[metric]
            assert got == expected(metric, figure, scale), (code, metric)
        # Consistent, whatever the seeds say or not.
        assert body["aid_payouts"] >= body["aid_paid_members"], code
        assert body["aid_enrolments"] <= body["members"] * 10, code
        assert (Decimal(body["aid_paid_amount"]) > 0) == (body["aid_payouts"] > 0), code
        if code not in SEEDS and body["aid_enrolments"]:  # the others are smaller than the reporting districts
            assert body["aid_payouts"] / body["aid_enrolments"] < 0.05
        for metric in totals:
            totals[metric] += Decimal(body[metric]) if metric == "aid_paid_amount" else body[metric]
    city = client.get("/api/v1/orgs/NB/stats", **PERIOD).json()
    assert (city["aid_enrolments"], city["aid_payouts"], Decimal(city["aid_paid_amount"]),
            city["aid_paid_members"]) == tuple(totals.values())
    # Nothing of the five years leaks out of the period.
    before = client.get("/api/v1/orgs/BL/stats", **{"from": "2017-01-01", "to": "2017-12-31"}).json()
    assert before["aid_enrolments"] == before["aid_payouts"] == 0


@pytest.mark.parametrize("scale", ["0.001", "0.002", "0.01", "0.0123", "0.1", "1"])
def test_the_targets_are_the_seed_figures_times_the_scale(scale):
    scale = Decimal(scale)
    for code, targets in TARGETS.items():
        f = figures(code, 10**9, scale)
        got = {"aid_enrolments": f.enrolments, "aid_payouts": f.payouts, "aid_paid_amount": f.amount,
               "aid_paid_members": f.members}
        for metric, figure in targets.items():
            assert got[metric] == expected(metric, figure, scale), (code, metric)
        assert f.payouts >= f.members


def test_the_demo_reproduces_the_five_years_through_the_stats_api(demo, api_as):
    client = api_as(get_user_model().objects.get(username="nb"))
    check_calibration(client, TEST_SCALE)
    # The statistics rows the demo and the engine wrote are the ones a recount gives.
    assert activity.rebuild([activity.SOURCES["mutualaid"]]) == 0


def test_every_payout_is_what_the_rule_gives_for_its_record(demo):
    payouts = list(Payout.objects.filter(plan__year__lt=timezone.localdate().year)  # 2018 to last year
                   .select_related("plan", "settlement", "enrolment", "member"))
    assert payouts
    history: dict[tuple, list[Payout]] = {}
    for p in payouts:
        history.setdefault((p.plan_id, p.person_hash), []).append(p)
    for p in random.Random(5).sample(payouts, min(300, len(payouts))):
        record, plan, enrolment = p.settlement, p.plan, p.enrolment
        # Priced by the plan's rule against what the person had been paid before in that year.
        earlier = [q.amount for q in history[(plan.pk, p.person_hash)]
                   if (q.settlement.discharged_on, q.settlement.settlement_id)
                   < (record.discharged_on, record.settlement_id)]
        assert p.paid_before == sum(earlier, Decimal("0.00"))
        assert rules.price(rules.Rule.of(plan), record.self_pay_in, p.paid_before).amount == p.amount > 0
        # Only for enrolled members, on covered days, and the record is the member's.
        assert record.status == SettlementStatus.PRICED and record.id_hash == p.member.id_hash == p.person_hash
        assert enrolment.member_id == p.member_id and enrolment.plan_id == plan.pk
        assert max(plan.cover_start, enrolment.enrolled_on) <= record.discharged_on <= plan.cover_end
        assert plan.window_start <= enrolment.enrolled_on <= plan.window_end
        assert p.decided_on.year == plan.year and p.status == PayoutStatus.PAID
        assert record.total_cost == record.fund_paid + record.self_pay_in + record.self_pay_out
    # Ledgers hold what was paid; no yearly cap was exceeded.
    for ledger in Ledger.objects.select_related("plan"):
        paid = Payout.objects.filter(plan=ledger.plan, person_hash=ledger.person_hash).aggregate(s=Sum("amount"))["s"]
        assert ledger.paid_total == (paid or 0) <= ledger.plan.yearly_cap
    # Enrolled members are active and had joined by the enrolment day.
    assert not Enrolment.objects.filter(Q(member__status="left") | Q(member__joined_on__gt=F("enrolled_on"))).exists()


def test_the_plan_years_run_from_2018_to_this_year_without_a_gap(demo, api_as):
    today = timezone.localdate()
    assert set(Plan.objects.values_list("year", flat=True)) == set(range(2018, today.year + 1))
    client = api_as(get_user_model().objects.get(username="nb"))
    for year in range(2023, today.year):
        for product in ("inpatient", "critical_illness"):
            plan = Plan.objects.get(year=year, product=product)
            assert Enrolment.objects.filter(plan=plan).count() > 0, (year, product)
        body = client.get("/api/v1/orgs/NB/stats", **{"from": f"{year}-01-01", "to": f"{year}-12-31"}).json()
        assert body["aid_enrolments"] > 0 and body["aid_payouts"] > 0, year
        assert not Payout.objects.filter(plan__year=year).exclude(status=PayoutStatus.PAID).exists()
    # Each year since pays at the five years' yearly rate (our choice: no document gives them).
    five = client.get("/api/v1/orgs/BL/stats", **PERIOD).json()["aid_payouts"]
    since = client.get("/api/v1/orgs/BL/stats", **{"from": "2023-01-01", "to": f"{today.year - 1}-12-31"}).json()
    assert abs(since["aid_payouts"] - five * (today.year - 2023) / 5) <= 1


def test_this_year_has_work_in_every_state(demo, api_as):
    today = timezone.localdate()
    current = Plan.objects.filter(year=today.year)
    assert current.count() == 2
    assert all(p.window_start <= today <= p.window_end for p in current)
    worker = Member.objects.get(user__username="worker")
    assert set(Enrolment.objects.filter(member=worker, plan__in=current).values_list("plan__product", flat=True)) \
        == {"inpatient", "critical_illness"}
    if today >= dt.date(today.year, 2, 20):  # early in January there are no stays of this year yet
        mine = Payout.objects.get(member=worker)
        assert mine.status == PayoutStatus.PAID and mine.amount == Decimal("1430.00")
        assert Claim.objects.filter(member=worker, status=ClaimStatus.SUBMITTED).count() == 1
        assert Claim.objects.get(member=worker).documents.count() == 3
        assert Payout.objects.filter(plan__in=current, status=PayoutStatus.DUE).exists()
        assert PaymentBatch.objects.filter(status=PaymentBatch.Status.OPEN).exists()
        assert PaymentLine.objects.filter(status=PaymentLine.Status.FAILED, payout__status=PayoutStatus.FAILED).exists()
        reasons = set(SettlementRecord.objects.filter(status=SettlementStatus.REJECTED)
                      .values_list("reason_code", flat=True))
        assert reasons == {"not_a_member", "not_enrolled"}
        client = api_as(get_user_model().objects.get(username="worker"))
        assert client.get("/api/v1/orgs/YZ/stats").status_code in (403, 404)  # a member sees no union figures


def test_loading_again_changes_nothing_and_another_scale_replaces_it(demo, api_as):
    def counts():
        return {m.__name__: m.objects.count() for m in AID_MODELS}

    before = counts()
    again = demo_load(scale=TEST_SCALE, password=PASSWORD)
    assert not again.loaded and counts() == before
    other = Decimal("0.003")
    demo_load(scale=other, password=PASSWORD)
    after = counts()
    assert after["Plan"] == before["Plan"] == 2 * (timezone.localdate().year - 2017) and after["Enrolment"] > before["Enrolment"]
    nb = Org.objects.get(code="NB")
    for model in (Enrolment, Payout, Claim, PaymentBatch):  # nothing of the replaced demo is left
        assert not model.objects.exclude(org_path__startswith=nb.path).exists()
    check_calibration(api_as(get_user_model().objects.get(username="nb")), other)
    assert activity.rebuild([activity.SOURCES["mutualaid"]]) == 0


def test_remove_leaves_no_mutual_aid_rows(demo):
    from gonghui.mutualaid.demo import remove

    nb = Org.objects.get(code="NB")
    remove(nb)
    assert {m.__name__: m.objects.count() for m in AID_MODELS} == dict.fromkeys((m.__name__ for m in AID_MODELS), 0)
    assert not activity.period_rows(nb.path, None, None).filter(metric__startswith="aid_").exists()
    assert Enrolment.objects.aggregate(n=Count("id"))["n"] == 0
