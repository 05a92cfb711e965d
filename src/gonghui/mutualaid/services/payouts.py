"""Payouts and the per-person yearly ledger they are priced against: one writer for both.

Every payout is written by ``payouts_write``: a claim approved (one row), the batch engine's
chunk of settlement records (tens of thousands; the demo's history goes through the engine too).
In the caller's transaction and set-based, it keeps together what belongs together:

- the payout rows, at most one per source (a settlement record or a claim: unique keys), with
  their status (``due``, or ``nil`` for nothing) and the decision day;
- each (plan, person) ledger: ``paid_total`` is the sum of the person's payouts under the plan
  and ``payouts`` the number above zero; a row exists for everyone priced under the plan, even
  for nothing (the engine looks for duplicate stays only among people with one);
- the statistics: ``aid_payouts`` and ``aid_paid_amount`` of the payout's union, day and product
  (and their all-time totals, ``activity.add``).

The caller prices against the ledger as it read it under the row's lock (``ledger_lock`` for one
person, the engine's lock of a chunk's rows) and passes what it read; each payout's
``paid_before`` must follow on from it (the writer refuses a payout priced against anything
else). A ledger the caller found missing is created with its totals; if another transaction
created it meanwhile, the writer raises ``LedgerTaken`` and the caller prices again.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, connection
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from gonghui.core import pg
from gonghui.mutualaid.models import Ledger, Payout, PayoutStatus, Plan
from gonghui.mutualaid.stats import payout_deltas
from gonghui.stats import activity

ZERO = Decimal("0.00")
INSERT_ROWS = 1_000  # rows per multi-row INSERT / UPDATE … FROM VALUES (SQLite)
# What a payout row is given as: its source (the record's or the claim's id), then the rest.
ROW = ("source_id", "member_id", "enrolment_id", "plan_id", "org_path", "person_hash", "product", "self_pay_in",
       "paid_before", "amount")
SOURCES = {"settlement": "settlement_id", "claim": "claim_id"}
PAYOUT_TYPES = ("int8", "int8", "int8", "int8", "text", "text", "text", "numeric", "numeric", "numeric", "text",
                "date", "timestamptz")
LEDGER_COLUMNS = ("plan_id", "person_hash", "member_id", "paid_total", "payouts")
LEDGER_TYPES = ("int8", "text", "int8", "numeric", "int4")
NEW_LEDGERS = "aid_new_ledger"  # PostgreSQL: the chunk's new ledger rows, before they go in


class LedgerTaken(Exception):
    """A ledger row the caller found missing was created by another transaction meanwhile: what the
    caller priced against no longer holds. Roll back and price again (the row is then locked)."""


@dataclass
class Written:
    payouts: int = 0  # above zero
    amount: Decimal = ZERO
    nil: int = 0


def ledger_lock(*, plan: Plan, person_hash: str, member_id: int) -> Ledger:
    """The person's ledger row for the plan year, created if missing, locked until the transaction ends."""
    Ledger.objects.bulk_create([Ledger(plan=plan, person_hash=person_hash, member_id=member_id)],
                               ignore_conflicts=True)
    return Ledger.objects.select_for_update().get(plan=plan, person_hash=person_hash)


def payouts_write(*, source: str, rows: Sequence[tuple], ledgers: Mapping[tuple[int, str], tuple],
                  day: dt.date, now=None) -> Written:
    """Write priced payouts with their ledgers and statistics (see the module's docstring).

    ``source``: "settlement" or "claim". ``rows``: tuples in ``ROW`` order, each person's in the
    order they were priced. ``ledgers``: the existing ledger rows of these people as read under
    their lock, (plan id, person hash) → (ledger id, paid_total); a person missing has none yet.
    ``day``: the decision day (the statistics' day). IntegrityError if a source already has a
    payout; ``LedgerTaken`` as above. Must run inside the caller's transaction.
    """
    column = SOURCES[source]
    written = Written()
    if not rows:
        return written
    if not connection.in_atomic_block:
        raise TransactionManagementError("payouts_write runs in the transaction that read the ledgers.")
    now = now or timezone.now()
    due, nil = PayoutStatus.DUE, PayoutStatus.NIL
    # (plan, person) → [ledger id or None, paid when read, member, added, payouts added]
    book: dict[tuple[int, str], list] = {}
    paid_by: dict[tuple[str, str], list] = defaultdict(lambda: [0, ZERO])  # (union, product) → [n, amount]
    payouts = []
    for row in rows:
        key = (row[3], row[5])
        entry = book.get(key)
        if entry is None:
            held = ledgers.get(key)
            entry = book[key] = [None, ZERO, row[1], ZERO, 0] if held is None else [held[0], held[1], row[1], ZERO, 0]
        amount = row[9]
        if row[8] != entry[1] + entry[3]:
            raise ValueError(f"The payout of {source} {row[0]} was priced against {row[8]} paid before; "
                             f"the ledger holds {entry[1] + entry[3]}.")
        if amount > 0:
            entry[3] += amount
            entry[4] += 1
            paid = paid_by[(row[4], row[6])]
            paid[0] += 1
            paid[1] += amount
            payouts.append((*row, due, day, now))
        elif amount == 0:
            payouts.append((*row, nil, day, now))
        else:
            raise ValueError(f"The payout of {source} {row[0]} is negative: {amount}.")
    _insert_payouts(column, payouts)
    new = sorted((plan_id, person, e[2], e[3], e[4]) for (plan_id, person), e in book.items() if e[0] is None)
    if new and _create_ledgers(new, now) != len(new):
        raise LedgerTaken
    changed = sorted((e[0], e[3], e[4]) for e in book.values() if e[0] is not None and e[4])
    if changed:
        _add_to_ledgers(changed, now)
    # Last: the statistics rows are shared by every writer (the city's above all), locked until commit.
    deltas = activity.Deltas()
    for (path, product), (n, amount) in paid_by.items():
        payout_deltas(deltas, path, day, product, amount, n=n)
        written.payouts += n
        written.amount += amount
    activity.add(deltas)
    written.nil = len(payouts) - written.payouts
    return written


def _insert_payouts(column: str, payouts: list[tuple]) -> None:
    """The payout rows; IntegrityError if any of their sources already has one."""
    columns = (column, *ROW[1:], "status", "decided_on", "created_at")
    if connection.vendor == "postgresql":
        import psycopg

        # Binary COPY straight into the table. A source that already has a payout breaks its unique
        # key and the transaction rolls back.
        try:
            with pg.cursor() as cursor:
                pg.copy_binary(cursor, Payout._meta.db_table, columns, PAYOUT_TYPES, payouts)
        except psycopg.errors.UniqueViolation as exc:
            raise IntegrityError("A source being paid already has a payout.") from exc
        return
    if _insert_values(Payout._meta.db_table, columns, payouts, column) != len(payouts):
        raise IntegrityError("A source being paid already has a payout.")


def _create_ledgers(rows: list[tuple], now) -> int:
    """New ledger rows (plan, person_hash, member, paid_total, payouts); how many went in (fewer when
    another transaction created some of them meanwhile)."""
    table = Ledger._meta.db_table
    if connection.vendor != "postgresql":
        return _insert_values(table, (*LEDGER_COLUMNS, "updated_at"), [(*r, now) for r in rows],
                              "plan_id, person_hash")
    # By COPY into a scratch table (emptied at commit, and here: a caller's transaction may write
    # several times), then one INSERT that skips the keys someone else created.
    pg.execute(f"CREATE TEMP TABLE IF NOT EXISTS {NEW_LEDGERS} (plan_id bigint, person_hash text, "
               "member_id bigint, paid_total numeric, payouts integer) ON COMMIT DELETE ROWS")
    pg.execute(f"TRUNCATE {NEW_LEDGERS}")
    with pg.cursor() as cursor:
        pg.copy_binary(cursor, NEW_LEDGERS, LEDGER_COLUMNS, LEDGER_TYPES, rows)
    return pg.execute(
        f"INSERT INTO {table} (plan_id, person_hash, member_id, paid_total, payouts, updated_at) "
        f"SELECT plan_id, person_hash, member_id, paid_total, payouts, %s FROM {NEW_LEDGERS} "
        "ORDER BY plan_id, person_hash ON CONFLICT (plan_id, person_hash) DO NOTHING", [now])


def _add_to_ledgers(changed: list[tuple], now) -> None:
    """Add (ledger id, amount, payouts) to existing ledger rows (locked by the caller)."""
    table = Ledger._meta.db_table
    if connection.vendor == "postgresql":
        pg.execute(
            f"UPDATE {table} SET paid_total = {table}.paid_total + v.p, payouts = {table}.payouts + v.n, "
            "updated_at = %s FROM unnest(%s::bigint[], %s::numeric[], %s::integer[]) AS v(id, p, n) "
            f"WHERE {table}.id = v.id", [now, *(list(c) for c in zip(*changed))])
        return
    with connection.cursor() as cursor:
        for start in range(0, len(changed), INSERT_ROWS):
            part = changed[start:start + INSERT_ROWS]
            cursor.execute(
                f"WITH v(id, p, n) AS (VALUES {', '.join(['(%s, %s, %s)'] * len(part))}) "
                f"UPDATE {table} SET paid_total = {table}.paid_total + v.p, payouts = {table}.payouts + v.n, "
                f"updated_at = %s FROM v WHERE {table}.id = v.id",
                [x for c in part for x in c] + [now])


def _insert_values(table: str, columns: tuple[str, ...], rows: list[tuple], conflict: str) -> int:
    """Multi-row INSERT … ON CONFLICT (conflict) DO NOTHING, a thousand rows a statement; the rows
    inserted."""
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    inserted = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_ROWS):
            part = rows[start:start + INSERT_ROWS]
            cursor.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([row] * len(part))} "
                           f"ON CONFLICT ({conflict}) DO NOTHING", [v for r in part for v in r])
            inserted += cursor.rowcount
    return inserted
