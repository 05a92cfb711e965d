"""The batch pricing engine: every received settlement record matched, priced and paid exactly once.

Work is taken in chunks, each in its own transaction:

1. take up to ``chunk`` records still ``received``, in person order, with ``FOR UPDATE SKIP LOCKED``
   (PostgreSQL): a second worker on the same feed takes the next records, never the same ones;
2. find the people (by ID hash), their enrolments and the plans in a few set queries, and decide
   each record: a reason code (not_a_member, not_enrolled, not_covered_dates, duplicate) or the
   enrolment that pays;
3. create the missing ledger rows (ON CONFLICT DO NOTHING) and lock the chunk's ledger rows in one
   order; what each person was paid this year is read under that lock, so a person whose records
   fall in two workers' chunks is priced by one worker after the other;
4. price in memory with ``rules.price`` (the same function as a claim review), the ledger kept in a
   dict for the chunk;
5. write: payouts by multi-row INSERT … ON CONFLICT (settlement_id) DO NOTHING RETURNING (a
   conflict means a record was paid already: the chunk is rolled back), records' status by one
   UPDATE per outcome, ledgers by one UPDATE … FROM (VALUES …), statistics deltas summed for the
   chunk, the feed's counters, one audit line.

A crash rolls back the chunk in progress; committed chunks stay priced; running again finishes
the rest. Nothing is paid twice: a record leaves ``received`` in the transaction that writes its
payout, and the payout is unique per settlement record.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, OperationalError, connection, connections, transaction
from django.db.models import F
from django.utils import timezone

from gonghui.core import audit, pg
from gonghui.members.models import Member
from gonghui.mutualaid import rules
from gonghui.mutualaid.models import (
    Enrolment,
    Ledger,
    Payout,
    PayoutStatus,
    Plan,
    Reason,
    SettlementFeed,
    SettlementRecord,
    SettlementStatus,
)
from gonghui.mutualaid.services import PRODUCT_GROUP, payout_deltas, pick_cover
from gonghui.stats import activity

CHUNK = 20_000
IN_BATCH = 5_000  # values per IN (...) list: SQLite allows 32,766 parameters per statement
INSERT_ROWS = 1_000  # rows per multi-row INSERT / UPDATE … FROM VALUES
ZERO = Decimal("0.00")


@dataclass
class PricingResult:
    records: int = 0
    priced: int = 0
    rejected: int = 0
    payouts: int = 0  # payouts with an amount above zero
    amount: Decimal = ZERO
    chunks: int = 0
    seconds: float = 0.0
    by_reason: Counter = field(default_factory=Counter)

    def add(self, other: PricingResult) -> None:
        self.records += other.records
        self.priced += other.priced
        self.rejected += other.rejected
        self.payouts += other.payouts
        self.amount += other.amount
        self.chunks += other.chunks
        self.by_reason.update(other.by_reason)


def _in_parts(values):
    values = list(values)
    for start in range(0, len(values), IN_BATCH):
        yield values[start:start + IN_BATCH]


class _Plans:
    """Plans (and their parsed rules) by id, loaded once per run."""

    def __init__(self):
        self.by_id: dict[int, tuple[Plan, rules.Rule]] = {}

    def get(self, plan_id: int) -> tuple[Plan, rules.Rule]:
        if plan_id not in self.by_id:
            plan = Plan.objects.get(pk=plan_id)
            self.by_id[plan_id] = (plan, rules.Rule.of(plan))
        return self.by_id[plan_id]

    def load(self, ids) -> None:
        missing = [i for i in set(ids) if i not in self.by_id]
        for plan in Plan.objects.filter(pk__in=missing):
            self.by_id[plan.pk] = (plan, rules.Rule.of(plan))


def price_received(*, feed_id: int | None = None, chunk: int = CHUNK, on: dt.date | None = None, actor=None,
                   progress: Callable[[PricingResult], None] | None = None, audit_chunks: bool = True,
                   workers: int = 1) -> PricingResult:
    """Price every received record (of one feed, or all) until none is left; return the totals.

    ``on`` is the payouts' decision day (today; demo and bench loads give past days).
    ``progress`` is called after each committed chunk with the running totals.
    Each chunk writes one audit line (``aid.settlements_priced``) unless ``audit_chunks`` is False:
    for a caller that records one line for its whole load (the demo).
    ``workers`` > 1 runs that many engine loops in threads, each with its own database connection
    (PostgreSQL only, and only when called outside a transaction: threads cannot see a caller's
    uncommitted rows). One worker's Python runs while another's statements run in the database.
    """
    started = time.monotonic()
    shared = _Shared(progress)
    day = on or timezone.localdate()
    work = dict(feed_id=feed_id, chunk=chunk, day=day, actor=actor, audit_chunks=audit_chunks, shared=shared)
    if workers > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block:
        _in_threads(workers, work)
    else:
        _run(**work)
    shared.total.seconds = time.monotonic() - started
    return shared.total


class _Shared:
    """The running totals of every worker of one run, and the progress callback."""

    def __init__(self, progress):
        self.total = PricingResult()
        self.progress = progress
        self.lock = threading.Lock()

    def add(self, part: PricingResult) -> None:
        with self.lock:
            self.total.add(part)
            if self.progress is not None:
                self.progress(self.total)


def _in_threads(workers: int, work: dict) -> None:
    errors: list[BaseException] = []

    def loop():
        try:
            _run(**work)
        except BaseException as exc:  # reported to the caller below
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's connection

    threads = [threading.Thread(target=loop, name=f"aid-pricing-{i}") for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def _run(*, feed_id, chunk, day, actor, audit_chunks, shared: _Shared) -> None:
    """One worker: chunks until none is left. A chunk that met another worker's fresh ledger row, or
    a deadlock, is rolled back and taken again (its records are still ``received``)."""
    plans = _Plans()
    q = _queries()
    attempts = 0
    while True:
        try:
            with transaction.atomic():
                part = _price_chunk(q, feed_id=feed_id, chunk=chunk, day=day, plans=plans, actor=actor,
                                    audit_chunk=audit_chunks)
        except (_Retry, OperationalError) as exc:
            if isinstance(exc, OperationalError) and _sqlstate(exc) not in RETRY_STATES:
                raise
            attempts += 1
            if attempts >= MAX_ATTEMPTS:
                raise
            continue
        attempts = 0
        if part.records == 0:
            return
        shared.add(part)


class _Retry(Exception):
    """Another transaction created a ledger row this chunk meant to create: take the chunk again."""


RETRY_STATES = {"40P01", "40001"}  # deadlock detected, serialization failure
MAX_ATTEMPTS = 10


def _sqlstate(exc: BaseException) -> str | None:
    return getattr(exc.__cause__, "sqlstate", None)


class _Queries:
    """The chunk's set queries, portable (IN lists, multi-row VALUES): SQLite and the tests."""

    def take(self, feed_id: int | None, chunk: int) -> list[tuple]:
        """Up to ``chunk`` received records in person order, locked (PostgreSQL skips locked ones):
        (id, id_hash, product, hospital, admitted_on, discharged_on, self_pay_in, feed_id, member_id)."""
        qs = SettlementRecord.objects.filter(status=SettlementStatus.RECEIVED)
        if feed_id is not None:
            qs = qs.filter(feed_id=feed_id)
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        rows = list(qs.order_by("id_hash", "discharged_on", "settlement_id").values_list(
            "id", "id_hash", "product", "hospital", "admitted_on", "discharged_on", "self_pay_in", "feed_id")[:chunk])
        member_of: dict[str, int] = {}
        for part in _in_parts(sorted({r[1] for r in rows})):
            member_of.update((h, pk) for pk, h in Member.objects.filter(id_hash__in=part).values_list("pk", "id_hash"))
        return [(*r, member_of.get(r[1])) for r in rows]

    def enrolments(self, member_ids: list[int], products: list[str]) -> list[tuple]:
        out: list[tuple] = []
        for part in _in_parts(member_ids):
            out.extend(Enrolment.objects.filter(member_id__in=part, plan__product__in=products).values_list(
                "id", "member_id", "plan_id", "org_path", "enrolled_on", "plan__product", "plan__cover_start",
                "plan__cover_end"))
        return out

    def lock_ledgers(self, wanted: set[tuple[int, str]]) -> dict[tuple[int, str], list]:
        """The existing ledger rows of these (plan, person) keys, locked in id order:
        {key: [id, paid_total, payouts]}."""
        out: dict[tuple[int, str], list] = {}
        plan_ids = sorted({p for p, _h in wanted})
        for part in _in_parts(sorted({h for _p, h in wanted})):
            locked = (Ledger.objects.select_for_update().filter(person_hash__in=part, plan_id__in=plan_ids)
                      .order_by("id").values_list("id", "plan_id", "person_hash", "paid_total", "payouts"))
            for pk, plan_id, h, paid, n in locked:
                if (plan_id, h) in wanted:
                    out[(plan_id, h)] = [pk, paid, n]
        return out

    def priced_stays(self, hashes: list[str]) -> set[tuple]:
        seen: set[tuple] = set()
        for part in _in_parts(hashes):
            seen.update(SettlementRecord.objects.filter(id_hash__in=part, status=SettlementStatus.PRICED)
                        .values_list("id_hash", "product", "hospital", "admitted_on", "discharged_on"))
        return seen

    def insert_payouts(self, payouts: list[tuple]) -> None:
        """Write the payouts; IntegrityError if any of the records already has one."""
        table = Payout._meta.db_table
        columns = ", ".join(PAYOUT_COLUMNS)
        row = "(" + ", ".join(["%s"] * len(PAYOUT_COLUMNS)) + ")"
        inserted = 0
        with connection.cursor() as cursor:
            for start in range(0, len(payouts), INSERT_ROWS):
                part = payouts[start:start + INSERT_ROWS]
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(part))} "
                    "ON CONFLICT (settlement_id) DO NOTHING RETURNING settlement_id",
                    [v for p in part for v in p])
                inserted += len(cursor.fetchall())
        if inserted != len(payouts):
            raise IntegrityError("A settlement record being priced already has a payout.")

    def set_status(self, ids: list[int], status: str, code: str, now) -> None:
        for part in _in_parts(ids):
            SettlementRecord.objects.filter(pk__in=part, status=SettlementStatus.RECEIVED).update(
                status=status, reason_code=code, priced_at=now)

    def create_ledgers(self, rows: list[tuple], now) -> int:
        """New ledger rows (plan, person_hash, member, paid_total, payouts); returns how many were
        created (fewer when another transaction created some of them meanwhile)."""
        table = Ledger._meta.db_table
        created = 0
        with connection.cursor() as cursor:
            for start in range(0, len(rows), INSERT_ROWS):
                part = rows[start:start + INSERT_ROWS]
                cursor.execute(
                    f"INSERT INTO {table} (plan_id, person_hash, member_id, paid_total, payouts, updated_at) "
                    f"VALUES {', '.join(['(%s, %s, %s, %s, %s, %s)'] * len(part))} "
                    "ON CONFLICT (plan_id, person_hash) DO NOTHING",
                    [x for r in part for x in (*r, now)])
                created += cursor.rowcount
        return created

    def update_ledgers(self, changed: list[tuple], now) -> None:
        """(id, paid_total, payouts) of existing ledger rows."""
        table = Ledger._meta.db_table
        with connection.cursor() as cursor:
            for start in range(0, len(changed), INSERT_ROWS):
                part = changed[start:start + INSERT_ROWS]
                cursor.execute(
                    f"WITH v(id, paid_total, payouts) AS (VALUES {', '.join(['(%s, %s, %s)'] * len(part))}) "
                    f"UPDATE {table} SET paid_total = v.paid_total, payouts = v.payouts, updated_at = %s "
                    f"FROM v WHERE {table}.id = v.id",
                    [x for c in part for x in c] + [now])


class _PgQueries(_Queries):
    """The same on PostgreSQL: one statement per step with one array parameter per column
    (``= ANY(%s)``, ``unnest(%s, %s, …)``) sent in binary, and payouts by binary COPY."""

    def take(self, feed_id, chunk):
        r, m = SettlementRecord._meta.db_table, Member._meta.db_table
        where, params = "status = %s", [SettlementStatus.RECEIVED]
        if feed_id is not None:
            where, params = where + " AND feed_id = %s", params + [feed_id]
        return pg.rows(
            f"WITH t AS (SELECT id, id_hash, product, hospital, admitted_on, discharged_on, self_pay_in, feed_id, "
            f"settlement_id FROM {r} WHERE {where} ORDER BY id_hash, discharged_on, settlement_id LIMIT %s "
            "FOR UPDATE SKIP LOCKED) "
            "SELECT t.id, t.id_hash, t.product, t.hospital, t.admitted_on, t.discharged_on, t.self_pay_in, t.feed_id, "
            f"m.id FROM t LEFT JOIN {m} m ON m.id_hash = t.id_hash "
            "ORDER BY t.id_hash, t.discharged_on, t.settlement_id", params + [chunk])

    def enrolments(self, member_ids, products):
        e, p = Enrolment._meta.db_table, Plan._meta.db_table
        return pg.rows(
            f"SELECT e.id, e.member_id, e.plan_id, e.org_path, e.enrolled_on, p.product, p.cover_start, p.cover_end "
            f"FROM {e} e JOIN {p} p ON p.id = e.plan_id WHERE e.member_id = ANY(%s) AND p.product = ANY(%s)",
            [member_ids, products])

    def lock_ledgers(self, wanted):
        keys = sorted(wanted)
        rows = pg.rows(
            f"SELECT l.id, l.plan_id, l.person_hash, l.paid_total, l.payouts FROM {Ledger._meta.db_table} l "
            "JOIN unnest(%s::bigint[], %s::text[]) AS v(p, h) ON l.plan_id = v.p AND l.person_hash = v.h "
            "ORDER BY l.id FOR UPDATE OF l",
            [[k[0] for k in keys], [k[1] for k in keys]])
        return {(plan_id, h): [pk, paid, n] for pk, plan_id, h, paid, n in rows}

    def priced_stays(self, hashes):
        return set(pg.rows(
            f"SELECT id_hash, product, hospital, admitted_on, discharged_on FROM {SettlementRecord._meta.db_table} "
            "WHERE id_hash = ANY(%s) AND status = %s", [hashes, SettlementStatus.PRICED]))

    def insert_payouts(self, payouts):
        if not payouts:
            return
        import psycopg

        # Binary COPY straight into the table: no statement to build, no arrays to dump. A record
        # that already has a payout breaks the unique settlement key and the chunk rolls back.
        try:
            with pg.cursor() as cursor, cursor.copy(
                    f"COPY {Payout._meta.db_table} ({', '.join(PAYOUT_COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(PAYOUT_TYPES)
                for payout in payouts:
                    copy.write_row(payout)
        except psycopg.errors.UniqueViolation as exc:
            raise IntegrityError("A settlement record being priced already has a payout.") from exc

    def set_status(self, ids, status, code, now):
        pg.execute(
            f"UPDATE {SettlementRecord._meta.db_table} SET status = %s, reason_code = %s, priced_at = %s "
            "WHERE id = ANY(%s) AND status = %s", [status, code, now, ids, SettlementStatus.RECEIVED])

    def create_ledgers(self, rows, now):
        columns = list(zip(*rows))
        return pg.execute(
            f"INSERT INTO {Ledger._meta.db_table} (plan_id, person_hash, member_id, paid_total, payouts, updated_at) "
            "SELECT p, h, m, t, n, %s FROM unnest(%s::bigint[], %s::text[], %s::bigint[], %s::numeric[], "
            "%s::integer[]) AS v(p, h, m, t, n) ON CONFLICT (plan_id, person_hash) DO NOTHING",
            [now, *(list(c) for c in columns)])

    def update_ledgers(self, changed, now):
        columns = list(zip(*changed))
        table = Ledger._meta.db_table
        pg.execute(
            f"UPDATE {table} SET paid_total = v.p, payouts = v.n, updated_at = %s "
            "FROM unnest(%s::bigint[], %s::numeric[], %s::integer[]) AS v(id, p, n) "
            f"WHERE {table}.id = v.id",
            [now, *(list(c) for c in columns)])


def _queries() -> _Queries:
    return _PgQueries() if connection.vendor == "postgresql" else _Queries()


def _price_chunk(q: _Queries, *, feed_id: int | None, chunk: int, day: dt.date, plans: _Plans, actor,
                 audit_chunk: bool = True) -> PricingResult:
    result = PricingResult()
    rows = q.take(feed_id, chunk)
    if not rows:
        return result
    result.records, result.chunks = len(rows), 1
    products = sorted({p for r in rows for p in PRODUCT_GROUP[r[2]]})
    enrolments: dict[int, list[tuple]] = defaultdict(list)
    for e in q.enrolments(sorted({r[8] for r in rows if r[8] is not None}), products):
        enrolments[e[1]].append(e)
    plans.load({e[2] for es in enrolments.values() for e in es})

    outcome: dict[int, str] = {}  # record id → reason code, for rejected records
    matched: list[tuple[tuple, tuple]] = []  # (record, enrolment)
    for r in rows:
        member_id = r[8]
        if member_id is None:
            outcome[r[0]] = Reason.NOT_A_MEMBER
            continue
        group = PRODUCT_GROUP[r[2]]
        candidates = [(e[6], e[7], e[4], e) for e in enrolments.get(member_id, ()) if e[5] in group]
        enrolment, code = pick_cover(candidates, r[5])
        if enrolment is None:
            outcome[r[0]] = code
        else:
            matched.append((r, enrolment))

    # Each matched person's ledger for the plan year: [id (None: to create), paid, payouts, member,
    # changed].
    # Existing rows are locked in one order; what was paid this year is read under that lock, so a
    # person whose records fall in two workers' chunks is priced by one worker after the other. A
    # missing row is created at the end of the chunk; if another transaction created it meanwhile,
    # the chunk is taken again (_Retry) and then finds the row to lock.
    ledgers: dict[tuple[int, str], list] = {}
    seen: set[tuple] = set()
    if matched:
        members_of = {(e[2], r[1]): e[1] for r, e in matched}
        locked = q.lock_ledgers(set(members_of))
        ledgers = {key: [*locked.get(key, (None, ZERO, 0)), member, False] for key, member in members_of.items()}
        # Stays already priced (this chunk's people only), read under the ledger locks.
        seen = q.priced_stays(sorted({h for _p, h in members_of}))

    now = timezone.now()
    payouts: list[tuple] = []
    priced_ids: list[int] = []
    deltas = activity.Deltas()
    rule_of = {pid: rule for pid, (_plan, rule) in plans.by_id.items()}
    product_of = {pid: plan.product for pid, (plan, _rule) in plans.by_id.items()}
    paid_of: dict[int, Decimal] = {}
    for r, e in matched:
        stay = (r[1], r[2], r[3], r[4], r[5])
        if stay in seen:
            outcome[r[0]] = Reason.DUPLICATE
            continue
        seen.add(stay)
        ledger = ledgers[(e[2], r[1])]
        paid_before = ledger[1]
        amount = rules.payout_amount(rule_of[e[2]], r[6], paid_before)
        product = product_of[e[2]]
        if amount > 0:
            ledger[1] = paid_before + amount
            ledger[2] += 1
            ledger[4] = True
            result.payouts += 1
            result.amount += amount
            payout_deltas(deltas, e[3], day, product, amount)
        payouts.append((r[0], e[1], e[0], e[2], e[3], r[1], product, r[6], paid_before, amount,
                        PayoutStatus.DUE if amount > 0 else PayoutStatus.NIL, day, now))
        paid_of[r[0]] = amount
        priced_ids.append(r[0])

    q.insert_payouts(payouts)
    if priced_ids:
        q.set_status(priced_ids, SettlementStatus.PRICED, "", now)
    by_code: dict[str, list[int]] = defaultdict(list)
    for record_id, code in outcome.items():
        by_code[code].append(record_id)
    for code, ids in sorted(by_code.items()):
        q.set_status(ids, SettlementStatus.REJECTED, code, now)
    new = sorted((plan_id, h, v[3], v[1], v[2]) for (plan_id, h), v in ledgers.items() if v[0] is None)
    if new and q.create_ledgers(new, now) != len(new):
        raise _Retry
    changed = [(v[0], v[1], v[2]) for v in ledgers.values() if v[0] is not None and v[4]]
    if changed:
        q.update_ledgers(changed, now)
    activity.add(deltas)

    result.priced = len(priced_ids)
    result.rejected = len(outcome)
    result.by_reason.update({code: len(ids) for code, ids in by_code.items()})
    per_feed: dict[int, list] = defaultdict(lambda: [0, 0, ZERO])
    for r in rows:
        counts = per_feed[r[7]]
        if r[0] in outcome:
            counts[1] += 1
        else:
            counts[0] += 1
            counts[2] += paid_of.get(r[0], ZERO)
    for fid, (priced, rejected, amount) in sorted(per_feed.items()):
        SettlementFeed.objects.filter(pk=fid).update(priced=F("priced") + priced, rejected=F("rejected") + rejected,
                                                     paid_amount=F("paid_amount") + amount)
    if audit_chunk:
        audit.record(actor=actor, action="aid.settlements_priced", obj=None, org_path="",
                     data={"feeds": sorted(per_feed), "priced": result.priced, "rejected": result.rejected,
                           "payouts": result.payouts, "amount": str(result.amount),
                           "reasons": dict(sorted(result.by_reason.items()))})
    return result


PAYOUT_COLUMNS = ("settlement_id", "member_id", "enrolment_id", "plan_id", "org_path", "person_hash", "product",
                  "self_pay_in", "paid_before", "amount", "status", "decided_on", "created_at")
PAYOUT_TYPES = ("int8", "int8", "int8", "int8", "text", "text", "text", "numeric", "numeric", "numeric", "text",
                "date", "timestamptz")
