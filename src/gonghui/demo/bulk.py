"""Set-based writes for the demo: one statement per batch, never one ORM save per row.

- Orgs (at most 21,000): ``bulk_create``; the database hands back their ids.
- Members (up to 3.1 million): SQLite gets ``executemany`` in the surrounding transaction
  (``bulk_create`` would be capped at ~111 rows a statement there); PostgreSQL gets ``COPY``.
  For a big load into an empty table on PostgreSQL the secondary indexes and foreign keys are
  dropped first and rebuilt once at the end: building an index once is far cheaper than
  updating it three million times, and Django's deferred foreign-key checks would otherwise
  queue one trigger event per row. Building a row (hashing, encrypting, check digits) costs
  more than storing it, so for a big load forked producers build the COPY text in parallel.
  It all happens inside the caller's transaction, so a crash leaves the table as it was.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import islice
from queue import Empty

from django.core.management.color import no_style
from django.db import connection
from django.db.models import NOT_PROVIDED

from gonghui.demo.calibration import DemoError
from gonghui.demo.people import COLUMNS, MemberRows
from gonghui.demo.tree import OrgSpec
from gonghui.members.models import Member
from gonghui.orgs.models import Org

SQLITE_BATCH = 5_000
BARE_TABLE_MIN_ROWS = 200_000  # below this, rebuilding the indexes costs more than it saves
PARALLEL_MIN_ROWS = 200_000  # below this, starting producer processes costs more than it saves
MAX_WORKERS = 4
CHUNK_ROWS = 5_000  # rows per message from a producer (about 2 MB)


def insert_orgs(specs: list[OrgSpec]) -> None:
    """Insert the tree in path order and note each org's id on its spec."""
    models = [spec.as_model() for spec in specs]
    Org.objects.bulk_create(models, batch_size=1_000)
    for spec, model in zip(specs, models, strict=True):
        spec.pk = model.pk


def member_columns() -> tuple[list[str], tuple]:
    """The generator's columns, plus constant defaults for fields the generator does not know.

    Other apps may add fields to Member; a field with a default is filled with it, one without
    stops the load with a message instead of failing half-way.
    """
    fields = {f.column: f for f in Member._meta.concrete_fields}
    unknown = [c for c in COLUMNS if c not in fields]
    if unknown:
        raise DemoError(f"The member table has no column {', '.join(unknown)}: update gonghui.demo.people.")
    # A field with a database default is left to the database.
    extras = [f for column, f in fields.items() if column not in COLUMNS and f.db_default is NOT_PROVIDED]
    for f in extras:
        if not f.null and not f.has_default():
            raise DemoError(f"Member.{f.name} has no default: teach gonghui.demo.people to fill it.")
    values = tuple(f.get_db_prep_save(f.get_default(), connection) for f in extras)
    return list(COLUMNS) + [f.column for f in extras], values


def created_stamp(now):
    """created_at / updated_at as the database expects them in a raw statement."""
    return now if connection.vendor == "postgresql" else connection.ops.adapt_datetimefield_value(now)


def insert_members(sources: list[MemberRows], log: Callable[[str], None]) -> int:
    """Write every source's rows; return how many. Sources carry explicit ids, so the order of
    writing does not matter and producers may run in parallel."""
    columns, extra = member_columns()
    total = sum(source.count for source in sources)
    if connection.vendor != "postgresql":
        return sum(_timed(source, log, lambda s: _executemany(columns, _rows(s, extra))) for source in sources)
    workers = _worker_count(total)
    if workers > 1:
        return _copy_in_parallel(columns, extra, sources, workers, log)
    return sum(_timed(source, log, lambda s: _copy(columns, _rows(s, extra))) for source in sources)


def _rows(source: MemberRows, extra: tuple) -> Iterator[tuple]:
    return (row + extra for row in source) if extra else iter(source)


def _timed(source: MemberRows, log, write) -> int:
    started = time.monotonic()
    count = write(source)
    log(f"  {source.label}: {count:,} member rows in {time.monotonic() - started:.1f} s")
    return count


def _worker_count(rows: int) -> int:
    if rows < PARALLEL_MIN_ROWS or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


def _executemany(columns: list[str], rows: Iterator[tuple]) -> int:
    qn = connection.ops.quote_name
    sql = (f"INSERT INTO {qn(Member._meta.db_table)} ({', '.join(qn(c) for c in columns)}) "
           f"VALUES ({', '.join(['%s'] * len(columns))})")
    count = 0
    with connection.cursor() as cursor:
        while batch := list(islice(rows, SQLITE_BATCH)):
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def _copy_sql(columns: list[str]) -> str:
    qn = connection.ops.quote_name
    return f"COPY {qn(Member._meta.db_table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN"


def _copy(columns: list[str], rows: Iterator[tuple]) -> int:
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(_copy_sql(columns)) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _copy_in_parallel(columns: list[str], extra: tuple, sources: list[MemberRows], workers: int, log) -> int:
    """Forked producers build COPY text, this process only forwards it to PostgreSQL.

    The producers never touch the database connection they inherit; multiprocessing ends a
    forked child with os._exit, so not even a finaliser closes it under the parent's feet.
    """
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=4 * workers)
    producers = [context.Process(target=_produce, args=(group, extra, queue), daemon=True)
                 for group in _balance(sources, workers)]
    for producer in producers:
        producer.start()
    count, running = 0, len(producers)
    try:
        with connection.cursor() as cursor, cursor.cursor.copy(_copy_sql(columns)) as copy:
            while running:
                kind, payload = _next_message(queue, producers)
                if kind == "data":
                    copy.write(payload)
                elif kind == "done":
                    label, rows, seconds = payload
                    count += rows
                    log(f"  {label}: {rows:,} member rows in {seconds:.1f} s")
                elif kind == "end":
                    running -= 1
                else:
                    raise RuntimeError(f"a demo producer failed:\n{payload}")
    finally:
        for producer in producers:
            if producer.is_alive():
                producer.terminate()
            producer.join()
    return count


def _balance(sources: list[MemberRows], workers: int) -> list[list[MemberRows]]:
    """Largest source first to the least loaded producer."""
    groups: list[list[MemberRows]] = [[] for _ in range(workers)]
    loads = [0] * workers
    for source in sorted(sources, key=lambda s: -s.count):
        least = loads.index(min(loads))
        groups[least].append(source)
        loads[least] += source.count
    return [group for group in groups if group]


def _next_message(queue, producers) -> tuple[str, object]:
    while True:
        try:
            return queue.get(timeout=5)
        except Empty:
            dead = [p for p in producers if p.exitcode not in (None, 0)]
            if dead:
                raise RuntimeError(f"a demo producer died (exit code {dead[0].exitcode})") from None


def _produce(sources: list[MemberRows], extra: tuple, queue) -> None:
    try:
        for source in sources:
            started = time.monotonic()
            lines: list[str] = []
            for row in _rows(source, extra):
                lines.append(copy_line(row))
                if len(lines) == CHUNK_ROWS:
                    queue.put(("data", "".join(lines).encode()))
                    lines = []
            if lines:
                queue.put(("data", "".join(lines).encode()))
            queue.put(("done", (source.label, source.count, time.monotonic() - started)))
        queue.put(("end", None))
    except BaseException:  # noqa: BLE001 - the parent must learn of any failure, or it waits forever
        queue.put(("error", traceback.format_exc()))


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_TEXT = {
    type(None): lambda v: "\\N",
    bool: lambda v: "t" if v else "f",
    int: str,
    str: lambda v: v.translate(_ESCAPES),
    bytes: lambda v: "\\\\x" + v.hex(),  # bytea's hex form, its backslash escaped for COPY
    dt.date: dt.date.isoformat,
    dt.datetime: dt.datetime.isoformat,
}


def copy_line(row: tuple) -> str:
    """One row in PostgreSQL's COPY text format."""
    return "\t".join([_TEXT.get(type(value), _other_text)(value) for value in row]) + "\n"


def _other_text(value) -> str:
    if isinstance(value, str):  # e.g. a TextChoices member
        return str.translate(value, _ESCAPES)
    raise TypeError(f"no COPY text form for {type(value).__name__}")


def reset_member_ids() -> None:
    """Ids were given explicitly: move PostgreSQL's sequence past them (SQLite follows by itself)."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Member]):
            cursor.execute(sql)


def vacuum_after_big_load(rows: int) -> None:
    """After the commit: VACUUM sets the visibility map, so counts can be answered from indexes
    alone, and the first readers do not each rewrite three million rows' hint bits."""
    if connection.vendor != "postgresql" or rows < BARE_TABLE_MIN_ROWS or connection.in_atomic_block:
        return  # VACUUM cannot run inside a transaction (e.g. a test's)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(Member._meta.db_table)}")


def analyze() -> None:
    """Fresh planner statistics, so the first subtree query after a big load uses the indexes."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (Org, Member):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


@contextmanager
def bare_member_table(rows: int, log: Callable[[str], None] = lambda _: None):
    """On PostgreSQL, for a big load into an empty table: drop secondary indexes and foreign
    keys, rebuild them afterwards. Anywhere else: do nothing."""
    if connection.vendor != "postgresql" or rows < BARE_TABLE_MIN_ROWS or Member.objects.exists():
        yield
        return
    table = Member._meta.db_table
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        # Deferred foreign-key checks queued earlier in this transaction (rows of a replaced demo
        # deleted, a member linked to a user) would forbid ALTER TABLE: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY contype DESC, conname",
            [table],
        )
        constraints = cursor.fetchall()  # unique first (contype 'u' > 'f'), then foreign keys
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass) "
            "ORDER BY indexname",
            [table, table],
        )
        indexes = cursor.fetchall()
        for name, _definition, _kind in constraints:
            cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {qn(name)}")
    log(f"Dropped {len(indexes)} indexes and {len(constraints)} constraints of {table} for the load.")
    yield
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for name, definition, _kind in constraints:
            cursor.execute(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's foreign keys are initially deferred
    log(f"Rebuilt them in {time.monotonic() - started:.1f} s.")
