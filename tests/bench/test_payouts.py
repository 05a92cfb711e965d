"""`gonghui bench payouts` on a tiny database: the JSON contract, a correct sample, nothing left behind."""

import json
from io import StringIO

from django.core.management import call_command

from gonghui.members.models import Member
from gonghui.mutualaid.models import Enrolment, EnrolmentBatch, Ledger, Payout, Plan, SettlementFeed, SettlementRecord
from gonghui.stats.models import Activity, ActivityTotal
from tests.demo.conftest import demo  # noqa: F401  (fixture)
from tests.stats.test_activity import totals_in_step

MODELS = (Plan, Enrolment, EnrolmentBatch, SettlementFeed, SettlementRecord, Payout, Ledger, Activity, ActivityTotal)


def test_bench_payouts_prices_reuses_members_checks_a_sample_and_cleans_up(demo):
    before = {m.__name__: m.objects.count() for m in MODELS}
    rows = Member.objects.count() + 500  # more records than members: some people have several stays
    out = StringIO()
    call_command("bench", "payouts", "--rows", str(rows), "--json", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert all({"bench", "db", "metric", "value"} <= set(line) and line["bench"] == "payouts" for line in lines)
    metrics = {line["metric"]: line for line in lines}
    assert set(metrics) == {"records_per_s", "seconds", "raw_seconds", "vs_raw", "peak_rss_mb", "sample_mismatches"}
    # The engine beside its limit, measured in the same run: the records to payouts in one statement.
    assert metrics["raw_seconds"]["value"] > 0 and metrics["raw_seconds"]["payouts"] == rows
    assert metrics["vs_raw"]["value"] > 1  # the engine does more than that statement
    assert metrics["sample_mismatches"]["value"] == 0 and metrics["sample_mismatches"]["sample"] == 1000
    rate = metrics["records_per_s"]
    assert rate["value"] > 0 and rate["rows"] == rows and rate["priced"] + rate["rejected"] == rows
    assert set(rate["reasons"]) <= {"not_a_member", "duplicate"} and rate["payouts"] > 0
    # Everything the bench made is gone; the demo's own rows are untouched.
    assert {m.__name__: m.objects.count() for m in MODELS} == before
    assert totals_in_step()
    assert not Plan.objects.filter(year=2099).exists()
