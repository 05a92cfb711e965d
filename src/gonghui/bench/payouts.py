"""`gonghui bench payouts`: the batch pricing engine on N settlement records.

Method. On the loaded database (the demo's members; when there are fewer members than records,
members are reused, so some people have several stays and their yearly cap can bite):

1. a scratch plan year is created (product ``inpatient``, a year no plan uses, e.g. 2099: its
   payouts and statistics rows are told apart from everything else by that year and its last day),
   with a deductible, two ratio bands, a cap per stay and a yearly cap;
2. the members needed are enrolled set-based (one ``INSERT … SELECT``, through the enrolment writer);
3. N settlement records are generated into one feed (``COPY`` on PostgreSQL, ``executemany`` on
   SQLite), about 1 % of them for people who are not members (rejected ``not_a_member``); then
   ``VACUUM (ANALYZE)`` of those two tables, as autovacuum would soon after such a load;
4. timed: ``pricing.price_received(feed_id=…, workers=…)`` — the same engine the pages and the feed
   task run (matching, ledger locks, ``rules.price``, payouts, statuses, ledgers, statistics, audit),
   with ``AID_PRICING_WORKERS`` threads (``--workers``) as the feed task uses on PostgreSQL;
5. timed before it, in the same run: the limit it is measured against (``_raw``), the same records
   turned into payouts by one set-based statement with the plan's rule in SQL and nothing else,
   rolled back; ``vs_raw`` = the engine's seconds ÷ that statement's;
6. checked: a random sample of priced records is re-priced one by one with ``rules.price`` and the
   person's history (their earlier payouts under the plan, in the engine's order: discharge day,
   then settlement id); the amount and ``paid_before`` must equal the batch result, and each
   sampled person's ledger must hold the sum of their payouts (``sample_mismatches`` = 0);
7. everything it created is deleted set-based (payouts, ledgers, records, feed, enrolments, plan,
   the statistics rows of its days), and on PostgreSQL those tables are vacuumed, so that runs one
   after the other start from the same state. The engine's audit lines stay: the audit log is
   append-only.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import time
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max

from gonghui.bench.common import Metric, bench_actor, peak_rss_mb, vacuum
from gonghui.members.models import Member
from gonghui.mutualaid import pricing, rules
from gonghui.mutualaid.models import (
    Eligibility,
    Enrolment,
    EnrolmentBatch,
    Ledger,
    Payout,
    PayoutStatus,
    Plan,
    Product,
    SettlementFeed,
    SettlementRecord,
    SettlementStatus,
)
from gonghui.mutualaid.services.enrolment import enrolments_write
from gonghui.mutualaid.stats import METRICS
from gonghui.orgs.models import Org
from gonghui.stats import activity
from gonghui.stats.models import Activity, ActivityTotal

SAMPLE = 1_000
NON_MEMBERS_PER_THOUSAND = 10
HOSPITALS = ("宁波市第一医院", "宁波市第二医院", "宁波大学附属第一医院", "宁波市医疗中心李惠利医院", "宁波市中医院",
             "鄞州人民医院", "宁波市北仑区人民医院", "余姚市人民医院", "慈溪市人民医院", "宁海县第一医院")
RULE = dict(deductible=Decimal("1000.00"), tiers=[{"upto": "10000.00", "ratio": "0.50"}, {"upto": None, "ratio": "0.60"}],
            yearly_cap=Decimal("30000.00"), stay_cap=Decimal("15000.00"))
RECORD_COLUMNS = ("settlement_id", "feed_id", "id_hash", "id_cipher", "id_masked", "pii_key_id", "product",
                  "hospital", "admitted_on", "discharged_on", "total_cost", "fund_paid", "self_pay_in",
                  "self_pay_out", "status", "reason_code", "org_path", "received_at")


def run(rows: int, *, sample: int = SAMPLE, chunk: int = pricing.CHUNK, seed: int = 20261121,
        profile: str | None = None, workers: int | None = None) -> list[Metric]:
    from gonghui.mutualaid.demo import insert_rows  # COPY / executemany of raw rows

    workers = workers or settings.AID_PRICING_WORKERS
    root = Org.objects.filter(depth=1).order_by("path").first()
    if root is None or not Member.objects.exists():
        raise RuntimeError("No members in the database: run `gonghui demo` first.")
    bench_actor()  # the engine records its audit lines without an actor; make sure the database is usable
    rng = random.Random(seed)
    plan = _scratch_plan(root)
    feed = None
    try:
        started = time.perf_counter()
        people = _enrol(plan, rows)
        feed = SettlementFeed.objects.create(org=root, org_path=root.path, source=SettlementFeed.Source.API,
                                             status="received", rows=rows, stored=rows)
        insert_rows(SettlementRecord, RECORD_COLUMNS, _records(plan, feed, people, rows, rng, root.path))
        _analyze()
        load_seconds = time.perf_counter() - started
        day = plan.cover_end
        raw_seconds = _raw(plan, feed, day)
        rss_before = peak_rss_mb()
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        result = pricing.price_received(feed_id=feed.pk, on=day, chunk=chunk, workers=workers)
        seconds = time.perf_counter() - started
        if profile:
            profiler.disable()
            profiler.dump_stats(profile)
        if result.records != rows:
            raise RuntimeError(f"the engine took {result.records} of {rows} records")
        mismatches, checked = _check_sample(plan, feed, sample, rng)
        extra = {"rows": rows, "members": len(people), "chunk": chunk, "workers": workers, "priced": result.priced,
                 "rejected": result.rejected, "reasons": {str(k): v for k, v in sorted(result.by_reason.items())},
                 "payouts": result.payouts, "amount": str(result.amount), "chunks": result.chunks,
                 "load_seconds": round(load_seconds, 2), "loadavg": round(os.getloadavg()[0], 2)}
        return [
            Metric("payouts", "records_per_s", round(rows / seconds), "records/s (target: 1,000,000 in ≤ 60 s)",
                   extra),
            Metric("payouts", "seconds", round(seconds, 2), "s", {"rows": rows}),
            Metric("payouts", "raw_seconds", round(raw_seconds, 3), "s (the records to payouts in one statement)",
                   {"rows": rows, "payouts": rows}),
            Metric("payouts", "vs_raw", round(seconds / max(raw_seconds, 1e-6), 2), "× the one statement (engine ÷ raw)",
                   {"rows": rows}),
            Metric("payouts", "peak_rss_mb", round(peak_rss_mb(), 1), "MiB", {"before_pricing_mb": round(rss_before, 1)}),
            Metric("payouts", "sample_mismatches", mismatches, "records (must be 0)", {"sample": checked}),
        ]
    finally:
        _clean_up(plan, feed)


def _scratch_plan(root: Org) -> Plan:
    """An inpatient plan in a year no inpatient plan uses (2099, else the nearest free year below)."""
    taken = set(Plan.objects.filter(product=Product.INPATIENT).values_list("year", flat=True))
    year = next(y for y in range(2099, 2000, -1) if y not in taken)
    version = (Plan.objects.filter(product=Product.INPATIENT).aggregate(v=Max("version"))["v"] or 0) + 1
    return Plan.objects.create(
        product=Product.INPATIENT, year=year, version=version, name=f"基准测试 {year}", org=root, org_path=root.path,
        fee=Decimal("60.00"), window_start=dt.date(year - 1, 12, 1), window_end=dt.date(year, 12, 31),
        cover_start=dt.date(year, 1, 1), cover_end=dt.date(year, 12, 31), eligibility=Eligibility.IN_SERVICE, **RULE)


def _enrol(plan: Plan, rows: int) -> list[tuple]:
    """Enrol up to ``rows`` members (lowest ids) in one statement, through the enrolment writer (one
    batch, on the plan's first day); return (id_hash, cipher, masked, key) of each."""
    root = plan.org
    with transaction.atomic():
        batch = EnrolmentBatch.objects.create(plan=plan, org=root, org_path=root.path, mode=EnrolmentBatch.Mode.ALL,
                                              enrolled_on=plan.cover_start)
        first = Member.objects.order_by("id").values("id")[:rows]
        enrolments_write(lists=[(batch, Member.objects.filter(pk__in=first))])
    return list(Member.objects.filter(pk__in=Enrolment.objects.filter(plan=plan).values("member_id")).order_by("id")
                .values_list("id_hash", "id_cipher", "id_masked", "pii_key_id"))


def _records(plan: Plan, feed: SettlementFeed, people: list[tuple], rows: int, rng: random.Random, org_path: str):
    now = dt.datetime.now(dt.timezone.utc)
    days = (plan.cover_end - plan.cover_start).days
    for i in range(rows):
        if rng.randrange(1000) < NON_MEMBERS_PER_THOUSAND:
            person = (f"{rng.getrandbits(256):064x}", rng.randbytes(48), "650102********0000", people[0][3])
        else:
            person = people[i % len(people)]
        discharged = plan.cover_start + dt.timedelta(days=rng.randrange(1, days + 1))
        # In-catalogue self-pay: most stays small, a few large (the caps bite on those).
        self_pay_in = Decimal(int(rng.lognormvariate(8.3, 1.0) * 100)) / 100
        self_pay_out = (self_pay_in * rng.randrange(0, 30) / 100).quantize(rules.FEN)
        fund_paid = (self_pay_in * rng.randrange(150, 400) / 100).quantize(rules.FEN)
        yield (f"BENCH{plan.year}{i:010d}", feed.pk, person[0], bytes(person[1]), person[2], person[3],
               Product.INPATIENT, rng.choice(HOSPITALS), discharged - dt.timedelta(days=rng.randrange(1, 20)),
               discharged, fund_paid + self_pay_in + self_pay_out, fund_paid, self_pay_in, self_pay_out,
               SettlementStatus.RECEIVED, "", org_path, now)


def _raw(plan: Plan, feed: SettlementFeed, day: dt.date) -> float:
    """The limit the engine is measured against: the feed's records turned into payouts by one
    INSERT … SELECT into the payout table (its indexes and statement-level key checks), the plan's
    rule in SQL — deductible, ratio bands, cap per stay and per year — without the engine's work:
    no matching of people to enrolments (every payout names one enrolment of the plan), no ledger
    (nothing paid before), no statistics, no statuses. Its amounts are the rule's on PostgreSQL
    (numeric); SQLite computes them in floating point (a fen off at half fens), which does not
    matter for a timing. Timed, then rolled back; on PostgreSQL the payout table is vacuumed
    after it, so the engine starts from the same state."""
    qn = connection.ops.quote_name
    greatest, least = ("GREATEST", "LEAST") if connection.vendor == "postgresql" else ("MAX", "MIN")

    def num(value: Decimal) -> str:
        return f"CAST('{value}' AS NUMERIC)"  # from the plan's own Decimals, not from input

    rule = rules.Rule.of(plan)
    eligible = f"{greatest}(r.self_pay_in - {num(rule.deductible)}, 0)"
    bands, lower = [], Decimal(0)
    for tier in rule.tiers:
        part = f"{greatest}({eligible} - {num(lower)}, 0)"
        if tier.upto is not None:
            part = f"{least}({part}, {num(tier.upto - lower)})"
            lower = tier.upto
        bands.append(f"{part} * {num(tier.ratio)}")
    caps = [num(rule.yearly_cap)] + ([num(rule.stay_cap)] if rule.stay_cap is not None else [])
    amount = f"ROUND({least}({' + '.join(bands)}, {', '.join(caps)}), 2)"
    enrolment = Enrolment.objects.filter(plan=plan).order_by("pk").values_list("pk", "member_id").first()
    sql = (
        f"INSERT INTO {qn(Payout._meta.db_table)} (settlement_id, member_id, enrolment_id, plan_id, org_path, "
        "person_hash, product, self_pay_in, paid_before, amount, status, decided_on, created_at) "
        "SELECT id, %s, %s, %s, org_path, id_hash, product, self_pay_in, 0, amount, "
        "CASE WHEN amount > 0 THEN %s ELSE %s END, %s, %s FROM ("
        f"SELECT r.id, r.org_path, r.id_hash, r.product, r.self_pay_in, {amount} AS amount "
        f"FROM {qn(SettlementRecord._meta.db_table)} r WHERE r.feed_id = %s) x")
    params = [enrolment[1], enrolment[0], plan.pk, PayoutStatus.DUE, PayoutStatus.NIL, day,
              dt.datetime.now(dt.timezone.utc), feed.pk]
    with transaction.atomic(), connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(sql, params)
        seconds = time.perf_counter() - started
        if cursor.rowcount != feed.rows:
            raise RuntimeError(f"the raw statement wrote {cursor.rowcount} of {feed.rows} payouts")
        transaction.set_rollback(True)
    vacuum((Payout,))
    return seconds


def _check_sample(plan: Plan, feed: SettlementFeed, sample: int, rng: random.Random) -> tuple[int, int]:
    """Re-price a random sample of priced records one by one; the number that differ from the batch."""
    rule = rules.Rule.of(plan)
    priced = list(Payout.objects.filter(plan=plan).values_list("id", flat=True))
    chosen = set(rng.sample(priced, min(sample, len(priced))))
    rows = list(Payout.objects.filter(pk__in=chosen).values_list(
        "pk", "person_hash", "self_pay_in", "paid_before", "amount", "settlement__discharged_on",
        "settlement__settlement_id", "settlement__status", "settlement__feed_id"))
    people = sorted({r[1] for r in rows})
    history: dict[str, list[tuple]] = defaultdict(list)
    for start in range(0, len(people), 5000):
        for person, day, sid, amount in (Payout.objects.filter(plan=plan, person_hash__in=people[start:start + 5000])
                                         .values_list("person_hash", "settlement__discharged_on",
                                                      "settlement__settlement_id", "amount")):
            history[person].append((day, sid, amount))
    ledgers = {}
    for start in range(0, len(people), 5000):
        ledgers.update(Ledger.objects.filter(plan=plan, person_hash__in=people[start:start + 5000])
                       .values_list("person_hash", "paid_total"))
    mismatches = 0
    for _pk, person, self_pay_in, paid_before, amount, day, sid, status, feed_id in rows:
        before = sum((a for d, s, a in history[person] if (d, s) < (day, sid)), rules.ZERO)
        expected = rules.price(rule, self_pay_in, before).amount
        if (expected, before, status, feed_id) != (amount, paid_before, SettlementStatus.PRICED, feed.pk):
            mismatches += 1
        elif ledgers.get(person) != sum((a for _d, _s, a in history[person]), rules.ZERO):
            mismatches += 1
    return mismatches, len(rows)


def _analyze() -> None:
    """After the load, what autovacuum would do soon after it, at once: otherwise it does it in the
    middle of the timed run, on the same two cores (inside a caller's transaction: ANALYZE only)."""
    vacuum((Enrolment, SettlementRecord), analyze_in_transaction=True)


def _clean_up(plan: Plan, feed: SettlementFeed | None) -> None:
    """Delete what the bench made, set-based, children first."""
    qn = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        for model, where, value in ((Payout, "plan_id", plan.pk), (Ledger, "plan_id", plan.pk),
                                    (SettlementRecord, "feed_id", feed.pk if feed else None),
                                    (SettlementFeed, "id", feed.pk if feed else None),
                                    (Enrolment, "plan_id", plan.pk), (EnrolmentBatch, "plan_id", plan.pk),
                                    (Plan, "id", plan.pk)):
            if value is not None:
                cursor.execute(f"DELETE FROM {qn(model._meta.db_table)} WHERE {where} = %s", [value])
        Activity.objects.filter(day__in=[plan.cover_start, plan.cover_end], metric__in=list(METRICS)).delete()
        activity.refresh_totals(METRICS)
    vacuum(TOUCHED)


TOUCHED = (Payout, Ledger, SettlementRecord, SettlementFeed, Enrolment, EnrolmentBatch, Plan, Activity, ActivityTotal)
