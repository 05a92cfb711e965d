"""The batch pricing engine: every received settlement record matched, priced and paid exactly once.

Work is taken in chunks, each in its own transaction:

1. take up to ``chunk`` records still ``received``, in person order, with ``FOR UPDATE SKIP LOCKED``
   (PostgreSQL): a second worker on the same feed takes the next records, never the same ones;
2. find the people (by ID hash) and their enrolments in plans covering the chunk's days, and decide
   each record: a reason code (not_a_member, not_enrolled, not_covered_dates, duplicate) or the
   enrolment that pays;
3. lock the chunk's existing ledger rows in one order; what each person was paid this year is read
   under that lock, so a person whose records fall in two workers' chunks is priced by one worker
   after the other. A person without a ledger row gets one at step 5, with its final totals; if
   another transaction created it meanwhile, the chunk is rolled back and taken again
   (``LedgerTaken``);
4. price in memory with ``rules.payout_amount`` (the code path of ``rules.price``, which a claim
   review uses), what each person was paid kept in a dict for the chunk;
5. write: records' status per outcome; the payouts with their ledgers and statistics through the
   one payout writer, ``services.payouts.payouts_write``, which a claim approval uses too (a record
   that already has a payout breaks the unique settlement key: the chunk is rolled back); the
   feed's counters; one audit line.

On PostgreSQL the chunk is kept in a temporary table the later steps join, the writer copies
payouts and new ledgers in binary, and ``workers`` threads can share a run, each on its own range
of ID hashes (docs/mutualaid.md, "Batch pricing and exactly once").

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

from django.db import OperationalError, connection, connections, transaction
from django.db.models import F
from django.utils import timezone

from gonghui.core import audit, pg
from gonghui.members.models import Member
from gonghui.mutualaid import rules
from gonghui.mutualaid.models import (
    PRODUCT_GROUP,
    Enrolment,
    Ledger,
    Plan,
    Reason,
    SettlementFeed,
    SettlementRecord,
    SettlementStatus,
)
from gonghui.mutualaid.selectors import pick_cover
from gonghui.mutualaid.services.payouts import LedgerTaken, payouts_write

# Records a chunk (one transaction). Each chunk adds to thousands of the same statistics rows and pays a
# few fixed statements: 40,000 took 1M records in 56 s where 20,000 took 62 s (docs/benchmarks.md).
CHUNK = 40_000
IN_BATCH = 5_000  # values per IN (...) list: SQLite allows 32,766 parameters per statement
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
    Each thread takes the people of its own range of ID hashes, so a person's stays are priced in
    discharge order by one worker, as with a single one.
    """
    started = time.monotonic()
    shared = _Shared(progress)
    day = on or timezone.localdate()
    work = dict(feed_id=feed_id, chunk=chunk, day=day, actor=actor, audit_chunks=audit_chunks, shared=shared)
    if workers > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block:
        _in_threads([dict(work, people=people) for people in hash_ranges(workers)])
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


def hash_ranges(n: int) -> list[tuple[str, str | None]]:
    """``n`` contiguous ranges of (lower-case hex) ID hashes, [low, high), the last one open."""
    digits = "0123456789abcdef"
    bounds = [digits[len(digits) * i // n] for i in range(n)]
    return [(low, bounds[i + 1] if i + 1 < n else None) for i, low in enumerate(bounds)]


def _in_threads(works: list[dict]) -> None:
    errors: list[BaseException] = []

    def loop(work):
        try:
            _run(**work)
        except BaseException as exc:  # reported to the caller below
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's connection

    threads = [threading.Thread(target=loop, args=(work,), name=f"aid-pricing-{i}") for i, work in enumerate(works)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def _run(*, feed_id, chunk, day, actor, audit_chunks, shared: _Shared, people=None) -> None:
    """One worker: chunks until none is left. A chunk that met another worker's fresh ledger row, or
    a deadlock, is rolled back and taken again (its records are still ``received``)."""
    plans = _Plans()
    q = _queries()
    attempts = 0
    while True:
        try:
            with transaction.atomic():
                part = _price_chunk(q, feed_id=feed_id, chunk=chunk, day=day, plans=plans, actor=actor,
                                    audit_chunk=audit_chunks, people=people)
        except (LedgerTaken, OperationalError) as exc:
            if isinstance(exc, OperationalError) and _sqlstate(exc) not in RETRY_STATES:
                raise
            attempts += 1
            if attempts >= MAX_ATTEMPTS:
                raise
            continue
        attempts = 0
        if part.records == 0:
            if q.rewind():  # once more from the start of the range before stopping
                continue
            return
        q.advance()
        shared.add(part)


RETRY_STATES = {"40P01", "40001"}  # deadlock detected, serialization failure
MAX_ATTEMPTS = 10


def _sqlstate(exc: BaseException) -> str | None:
    return getattr(exc.__cause__, "sqlstate", None)


class _Queries:
    """The chunk's set queries, portable (IN lists, multi-row VALUES): SQLite and the tests."""

    def advance(self) -> None:
        """The chunk just taken is committed (the next take may start after it)."""

    def rewind(self) -> bool:
        """Nothing was taken: True if records before the last start could still be waiting (look again)."""
        return False

    def take(self, feed_id: int | None, chunk: int, people: tuple[str, str | None] | None = None) -> list[tuple]:
        """Up to ``chunk`` received records in person order, locked (PostgreSQL skips locked ones):
        (id, id_hash, product, hospital, admitted_on, discharged_on, self_pay_in, feed_id, member_id).
        ``people``: only ID hashes in [low, high) (high None: no bound)."""
        qs = SettlementRecord.objects.filter(status=SettlementStatus.RECEIVED)
        if feed_id is not None:
            qs = qs.filter(feed_id=feed_id)
        if people is not None:
            qs = qs.filter(id_hash__gte=people[0])
            if people[1] is not None:
                qs = qs.filter(id_hash__lt=people[1])
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        rows = list(qs.order_by("id_hash", "discharged_on", "settlement_id").values_list(
            "id", "id_hash", "product", "hospital", "admitted_on", "discharged_on", "self_pay_in", "feed_id")[:chunk])
        member_of: dict[str, int] = {}
        for part in _in_parts(sorted({r[1] for r in rows})):
            member_of.update((h, pk) for pk, h in Member.objects.filter(id_hash__in=part).values_list("pk", "id_hash"))
        return [(*r, member_of.get(r[1])) for r in rows]

    def enrolments(self, member_ids: list[int], plan_ids: list[int]) -> list[tuple]:
        out: list[tuple] = []
        if not plan_ids:
            return out
        for part in _in_parts(member_ids):
            out.extend(Enrolment.objects.filter(member_id__in=part, plan_id__in=plan_ids).values_list(
                "id", "member_id", "plan_id", "org_path", "enrolled_on", "plan__product", "plan__cover_start",
                "plan__cover_end"))
        return out

    def lock_ledgers(self, wanted: set[tuple[int, str]]) -> dict[tuple[int, str], tuple[int, Decimal]]:
        """The existing ledger rows of these (plan, person) keys, locked in id order:
        {key: (id, paid_total)}."""
        out: dict[tuple[int, str], tuple[int, Decimal]] = {}
        plan_ids = sorted({p for p, _h in wanted})
        for part in _in_parts(sorted({h for _p, h in wanted})):
            locked = (Ledger.objects.select_for_update().filter(person_hash__in=part, plan_id__in=plan_ids)
                      .order_by("id").values_list("id", "plan_id", "person_hash", "paid_total"))
            for pk, plan_id, h, paid in locked:
                if (plan_id, h) in wanted:
                    out[(plan_id, h)] = (pk, paid)
        return out

    def priced_stays(self, hashes: list[str]) -> set[tuple]:
        seen: set[tuple] = set()
        for part in _in_parts(hashes):
            seen.update(SettlementRecord.objects.filter(id_hash__in=part, status=SettlementStatus.PRICED)
                        .values_list("id_hash", "product", "hospital", "admitted_on", "discharged_on"))
        return seen

    def set_status(self, ids: list[int], status: str, code: str, now) -> None:
        for part in _in_parts(ids):
            SettlementRecord.objects.filter(pk__in=part, status=SettlementStatus.RECEIVED).update(
                status=status, reason_code=code, priced_at=now)

    def set_statuses(self, priced_ids: list[int], rejected: dict[str, list[int]], now) -> None:
        """Priced records, and rejected ones with their reason code."""
        self.set_status(priced_ids, SettlementStatus.PRICED, "", now)
        for code, ids in sorted(rejected.items()):
            self.set_status(ids, SettlementStatus.REJECTED, code, now)


class _PgQueries(_Queries):
    """The same on PostgreSQL, without sending the chunk back and forth: the records taken are kept
    in a temporary table (``aid_chunk``, emptied at commit) that the later steps join; the few
    remaining lists are binary array parameters (the payout writer copies its rows in binary)."""

    CHUNK_TABLE = "aid_chunk"

    # Keyset: each take starts at the last person of the chunk committed before it. The work index
    # has no status (so that pricing is an in-place update), and from the range's start every take
    # would step over all the records priced so far. Records skipped meanwhile (locked by another
    # run that then rolled back) are found by one last take from the start: only a take from the
    # start that finds nothing ends the run.
    start: str | None = None  # the ID hash the next take starts at (None: the range's start)
    last: str | None = None  # the last ID hash of the chunk taken

    def advance(self):
        self.start = self.last

    def rewind(self):
        if self.start is None:
            return False
        self.start = None
        return True

    def _temp_tables(self) -> None:
        pg.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {self.CHUNK_TABLE} (id bigint, id_hash text, product text, "
            "hospital text, admitted_on date, discharged_on date, self_pay_in numeric, feed_id bigint, "
            "member_id bigint, settlement_id text) ON COMMIT DELETE ROWS")
        # Emptied at commit; also here, for chunks run inside a caller's transaction (savepoints).
        pg.execute(f"TRUNCATE {self.CHUNK_TABLE}")

    # The lookups below probe unique indexes once per person of the chunk through LATERAL joins: the
    # plan's shape is fixed, whatever the (often stale) statistics of rows written during the run
    # say. A planner told "no ledger rows for this plan yet" would otherwise scan the chunk once per
    # ledger row (quadratic).

    def take(self, feed_id, chunk, people=None):
        self._temp_tables()
        # Foreign keys checked as each statement ends, not at commit: the commit comes after the
        # rows every worker shares (the city's statistics, the feed's counters, the audit chain's
        # head) are locked, so a check there would hold the other workers up.
        pg.execute("SET CONSTRAINTS ALL IMMEDIATE")
        r, m = SettlementRecord._meta.db_table, Member._meta.db_table
        where, params = "status = %s", [SettlementStatus.RECEIVED]
        if feed_id is not None:
            where, params = where + " AND feed_id = %s", params + [feed_id]
        low = max(self.start or "", people[0] if people else "")
        if low:
            where, params = where + " AND id_hash >= %s", params + [low]
        if people is not None and people[1] is not None:
            where, params = where + " AND id_hash < %s", params + [people[1]]
        pg.execute(
            f"INSERT INTO {self.CHUNK_TABLE} SELECT t.id, t.id_hash, t.product, t.hospital, t.admitted_on, "
            "t.discharged_on, t.self_pay_in, t.feed_id, m.id, t.settlement_id FROM ("
            f"SELECT id, id_hash, product, hospital, admitted_on, discharged_on, self_pay_in, feed_id, settlement_id "
            f"FROM {r} WHERE {where} ORDER BY id_hash, discharged_on, settlement_id LIMIT %s FOR UPDATE SKIP LOCKED"
            f") t LEFT JOIN LATERAL (SELECT id FROM {m} WHERE id_hash = t.id_hash) m ON true", params + [chunk])
        rows = pg.rows(
            "SELECT id, id_hash, product, hospital, admitted_on, discharged_on, self_pay_in, feed_id, member_id "
            f"FROM {self.CHUNK_TABLE} ORDER BY id_hash, discharged_on, settlement_id")
        self.last = rows[-1][1] if rows else self.start
        return rows

    def enrolments(self, member_ids, plan_ids):
        if not plan_ids:
            return []
        e, p = Enrolment._meta.db_table, Plan._meta.db_table
        return pg.rows(
            "SELECT x.* FROM (SELECT DISTINCT member_id FROM "
            f"{self.CHUNK_TABLE} WHERE member_id IS NOT NULL) c CROSS JOIN LATERAL ("
            "SELECT e.id, e.member_id, e.plan_id, e.org_path, e.enrolled_on, p.product, p.cover_start, p.cover_end "
            f"FROM {e} e JOIN {p} p ON p.id = e.plan_id WHERE e.member_id = c.member_id AND e.plan_id = ANY(%s)) x",
            [plan_ids])

    def lock_ledgers(self, wanted):
        # Found by key, then locked by id in one order (and read again under the lock: another
        # worker may have changed them in between; one created meanwhile makes this chunk retry).
        table = Ledger._meta.db_table
        found = pg.rows(
            f"SELECT x.id FROM (SELECT DISTINCT id_hash FROM {self.CHUNK_TABLE}) c "
            "CROSS JOIN unnest(%s::bigint[]) AS p(plan_id) "
            f"CROSS JOIN LATERAL (SELECT id FROM {table} l "
            "WHERE l.plan_id = p.plan_id AND l.person_hash = c.id_hash) x",
            [sorted({p for p, _h in wanted})])
        if not found:
            return {}
        rows = pg.rows(
            f"SELECT id, plan_id, person_hash, paid_total FROM {table} WHERE id = ANY(%s) "
            "ORDER BY id FOR UPDATE", [[i for (i,) in found]])
        return {(plan_id, h): (pk, paid) for pk, plan_id, h, paid in rows if (plan_id, h) in wanted}

    def priced_stays(self, hashes):
        if not hashes:
            return set()
        r = SettlementRecord._meta.db_table
        return set(pg.rows(
            "SELECT x.* FROM unnest(%s::text[]) c(id_hash) CROSS JOIN LATERAL ("
            f"SELECT id_hash, product, hospital, admitted_on, discharged_on FROM {r} "
            "WHERE id_hash = c.id_hash AND status = %s) x", [hashes, SettlementStatus.PRICED]))

    def set_status(self, ids, status, code, now):
        pg.execute(
            f"UPDATE {SettlementRecord._meta.db_table} SET status = %s, reason_code = %s, priced_at = %s "
            "WHERE id = ANY(%s) AND status = %s", [status, code, now, ids, SettlementStatus.RECEIVED])


def _queries() -> _Queries:
    return _PgQueries() if connection.vendor == "postgresql" else _Queries()


def _price_chunk(q: _Queries, *, feed_id: int | None, chunk: int, day: dt.date, plans: _Plans, actor,
                 audit_chunk: bool = True, people: tuple[str, str | None] | None = None) -> PricingResult:
    result = PricingResult()
    rows = q.take(feed_id, chunk, people)
    if not rows:
        return result
    result.records, result.chunks = len(rows), 1
    # Only plans whose cover overlaps the chunk's discharge days can cover a record or make it
    # "not yet covered" (pick_cover): the other enrolments of these people are not read.
    products = sorted({p for r in rows for p in PRODUCT_GROUP[r[2]]})
    plan_ids = sorted(Plan.objects.filter(product__in=products, cover_start__lte=max(r[5] for r in rows),
                                          cover_end__gte=min(r[5] for r in rows)).values_list("pk", flat=True))
    enrolments: dict[int, list[tuple]] = defaultdict(list)
    for e in q.enrolments(sorted({r[8] for r in rows if r[8] is not None}), plan_ids):
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

    # What each matched person has been paid under the plan year, read under the lock of their
    # ledger row: existing rows are locked in one order, so a person whose records fall in two
    # workers' chunks is priced by one worker after the other. A missing row is created by the
    # writer; if another transaction created it meanwhile, the chunk is taken again (LedgerTaken)
    # and then finds the row to lock.
    locked: dict[tuple[int, str], tuple[int, Decimal]] = {}
    seen: set[tuple] = set()
    if matched:
        locked = q.lock_ledgers({(e[2], r[1]) for r, e in matched})
        # Stays already priced, read under the ledger locks. Only people with a ledger row can have
        # one: pricing a record creates the row of its (plan, person), even for a payout of nothing.
        # (A stay matches the plan it matched before; a row created meanwhile makes the chunk retry.)
        seen = q.priced_stays(sorted({h for _p, h in locked}))

    now = timezone.now()
    payouts: list[tuple] = []
    priced_ids: list[int] = []
    rule_of = {pid: rule for pid, (_plan, rule) in plans.by_id.items()}
    product_of = {pid: plan.product for pid, (plan, _rule) in plans.by_id.items()}
    paid_so_far = {key: paid for key, (_id, paid) in locked.items()}
    paid_of: dict[int, Decimal] = {}
    for r, e in matched:
        stay = (r[1], r[2], r[3], r[4], r[5])
        if stay in seen:
            outcome[r[0]] = Reason.DUPLICATE
            continue
        seen.add(stay)
        key = (e[2], r[1])
        paid_before = paid_so_far.get(key, ZERO)
        amount = rules.payout_amount(rule_of[e[2]], r[6], paid_before)
        if amount:
            paid_so_far[key] = paid_before + amount
        payouts.append((r[0], e[1], e[0], e[2], e[3], r[1], product_of[e[2]], r[6], paid_before, amount))
        paid_of[r[0]] = amount
        priced_ids.append(r[0])

    by_code: dict[str, list[int]] = defaultdict(list)
    for record_id, code in outcome.items():
        by_code[code].append(record_id)
    q.set_statuses(priced_ids, by_code, now)
    written = payouts_write(source="settlement", rows=payouts, ledgers=locked, day=day, now=now)

    result.payouts, result.amount = written.payouts, written.amount
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
