"""The roster import service: validate a whole file, then write it set-based, all or nothing.

Rows are validated while the file streams, so memory stays flat whatever the file's size. On
PostgreSQL each chunk's new people are copied into the member table as the file streams (see
``_PgStager``) and only the rows that need the checks at the end are staged; on SQLite every row
is staged (``executemany``) and written at the end. The checks that need the whole file or the
database — duplicates inside the file, people already in a union — are single SQL statements
over the staging table. Then, in the same transaction: people already in another union become
transfer requests, people already in this union are left as they are. Any bad row refuses the
whole file (the transaction rolls back) unless the caller asked for the valid rows only; either
way every bad row is reported.
"""

from __future__ import annotations

import sys
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.core import audit, pg
from gonghui.core.paths import ancestors
from gonghui.core.scope import Perm, require, scope_for
from gonghui.members import dimensions
from gonghui.members.models import MemberStatus, Transfer, TransferSource, TransferStatus
from gonghui.members.roster import ErrorLog, OrgRef, RowError, RowValidator, ValidRow, read_rows
from gonghui.members.services import card_number_for
from gonghui.orgs.models import Org
from gonghui.stats import tallies

CHUNK = 5_000
STAGE = "gh_roster_stage"
MATCHES = "gh_roster_matches"
STAGE_COLUMNS = (
    "line", "id", "name", "org_id", "org_path", "id_hash", "id_cipher", "id_masked", "birth_date", "sex",
    "region_code", "phone_hash", "phone_cipher", "phone_masked", "pii_key_id", "category", "is_new_form",
    "joined_on", "card_number",
)
STAGE_TYPES = ("int4", "int8", "text", "int8", "text", "text", "bytea", "text", "date", "text", "text", "text",
               "bytea", "text", "text", "text", "bool", "date", "text")
# The member table's columns an import writes (the others take their defaults), with their types
# for binary COPY.
MEMBER_COLUMNS = (
    "id", "org_id", "org_path", "name", "id_hash", "id_cipher", "id_masked", "birth_date", "sex", "region_code",
    "phone_hash", "phone_cipher", "phone_masked", "pii_key_id", "category", "is_new_form", "employer", "joined_on",
    "status", "card_number", "created_at", "updated_at",
)
MEMBER_TYPES = ("int8", "int8", "text", "text", "text", "bytea", "text", "date", "text", "text", "text", "bytea",
                "text", "text", "text", "bool", "text", "date", "text", "text", "timestamptz", "timestamptz")
# How long the validating thread may keep the GIL while the database thread waits for it (CPython's
# default: 5 ms). That thread gives the GIL up at every wait on the socket — a chunk's COPY goes in
# 128 KiB blocks — and winning it back can take the whole interval each time while PostgreSQL
# sits idle: 0.5 ms makes a 500,000-row import 11 % faster (docs/benchmarks.md, "Roster import").
SWITCH_INTERVAL = 0.0005
MAX_LISTED_TRANSFERS = 1_000
ATTEMPTS = 3  # runs of a file whose people someone else inserted meanwhile


@dataclass
class ImportResult:
    filename: str
    dry_run: bool
    valid_only: bool
    rows: int = 0
    imported: int = 0
    unchanged: int = 0
    transfers: int = 0
    transfer_lines: list[int] = field(default_factory=list)
    errors: ErrorLog = field(default_factory=ErrorLog)
    written: bool = False
    seconds: float = 0.0

    @property
    def refused(self) -> bool:
        return bool(self.errors) and not self.valid_only

    @property
    def valid_rows(self) -> int:
        return self.rows - len(self.errors.bad_lines)


class _Refused(Exception):
    """Raised inside the transaction to roll everything back."""


def _stage_ddl(vendor: str) -> list[str]:
    blob = "bytea" if vendor == "postgresql" else "blob"
    suffix = " ON COMMIT DROP" if vendor == "postgresql" else ""
    return [
        f"DROP TABLE IF EXISTS {STAGE}",
        f"""CREATE TEMP TABLE {STAGE} (
            line integer NOT NULL, id bigint NOT NULL, name varchar(50) NOT NULL, org_id bigint NOT NULL,
            org_path varchar(255) NOT NULL, id_hash varchar(64) NOT NULL, id_cipher {blob} NOT NULL,
            id_masked varchar(18) NOT NULL, birth_date date NOT NULL, sex varchar(1) NOT NULL,
            region_code varchar(6) NOT NULL, phone_hash varchar(64) NOT NULL, phone_cipher {blob} NULL,
            phone_masked varchar(11) NOT NULL, pii_key_id varchar(16) NOT NULL, category varchar(32) NOT NULL,
            is_new_form boolean NOT NULL, joined_on date NOT NULL, card_number varchar(19) NOT NULL,
            inserted boolean NULL
        ){suffix}""",
    ]


MEMBER_INSERT = """INSERT INTO members_member (id, org_id, org_path, name, id_hash, id_cipher, id_masked, birth_date,
        sex, region_code, phone_hash, phone_cipher, phone_masked, pii_key_id, category, is_new_form, employer,
        joined_on, left_on, status, card_number, user_id, created_at, updated_at)
    SELECT s.id, s.org_id, s.org_path, s.name, s.id_hash, s.id_cipher, s.id_masked, s.birth_date, s.sex,
        s.region_code, s.phone_hash, s.phone_cipher, s.phone_masked, s.pii_key_id, s.category, s.is_new_form,
        '', s.joined_on, NULL, 'active', s.card_number, NULL, %s, %s
    FROM {source} s {where}
    ON CONFLICT (id_hash) DO NOTHING"""


class _Stager:
    """Allocates member ids and writes validated rows into the staging table, a chunk at a time.

    ``inserts`` is False: the members are inserted from the staging table once the whole file is
    checked (``_write``)."""

    inserts = False

    def __init__(self, cursor, errors: ErrorLog):
        self.cursor = cursor
        self.buffer: list[ValidRow] = []
        self.inserted = 0
        # The IMMEDIATE transaction holds SQLite's write lock: nobody else allocates meanwhile.
        cursor.execute(
            "SELECT MAX(m) FROM (SELECT COALESCE(MAX(id), 0) AS m FROM members_member "
            "UNION ALL SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'members_member')"
        )
        self.next_id = cursor.fetchone()[0] + 1

    def add(self, row: ValidRow) -> None:
        self.buffer.append(row)
        if len(self.buffer) >= CHUNK:
            self.flush()

    @staticmethod
    def records(rows: list[ValidRow], ids: list[int]):
        return (
            (r.line, pk, r.name, r.org.id, r.org.path, r.id.hash, r.id.cipher, r.id.masked, r.birth_date, r.sex,
             r.region_code, r.phone.hash if r.phone else "", r.phone.cipher if r.phone else None,
             r.phone.masked if r.phone else "", r.id.key_id, r.category, r.is_new_form, r.joined_on,
             card_number_for(pk))
            for r, pk in zip(rows, ids, strict=True)
        )

    def flush(self) -> None:
        if not self.buffer:
            return
        ids = list(range(self.next_id, self.next_id + len(self.buffer)))
        self.next_id += len(self.buffer)
        marks = ", ".join(["%s"] * len(STAGE_COLUMNS))
        self.cursor.executemany(f"INSERT INTO {STAGE} ({', '.join(STAGE_COLUMNS)}) VALUES ({marks})",
                                list(self.records(self.buffer, ids)))
        self.buffer.clear()

    def close(self) -> None:
        """Wait for any chunk still being written (none here)."""

    def apply_tallies(self, cursor) -> None:
        """Count the members this import inserted (staged rows marked ``inserted``) in the tallies."""
        tallies.apply_query(cursor, _inserted_tallies())


class _PgStager(_Stager):
    """PostgreSQL: each chunk goes to the database in a second thread while this one reads and
    validates the next (two cores: Python on one, PostgreSQL on the other). This thread also builds
    the chunk's binary COPY data, with member ids the database thread allocated for it while
    writing the chunk before: that thread only sends bytes and runs statements, and holds the GIL
    as little as possible.

    A chunk's new people are copied (binary COPY) straight into the member table: the database
    thread first looks the chunk's ID hashes up there (earlier chunks of this file included, since
    they are in the same transaction), and only the people it finds are kept out of the COPY. A
    person found who came from an earlier chunk of this file is a repeat inside the file (a bad
    row); anyone else found is staged for the checks at the end (transfer or unchanged). Repeats
    inside one chunk are found here, before the data is built. All of it is in the import's
    transaction: a refused file or a dry run rolls it back.

    Imports take one transaction-level advisory lock, so two imports never insert at once: an
    import waits for the one before it to commit and then finds its people. A member inserted by
    anyone else (an approved online application) between a chunk's look-up and its COPY makes the
    COPY fail on the ID-hash key; ``roster_import`` then runs the file again.
    """

    inserts = True
    LOCK = "SELECT pg_advisory_xact_lock(hashtext('gonghui.roster_import'))"

    def __init__(self, cursor, errors: ErrorLog):
        from concurrent.futures import ThreadPoolExecutor

        self.buffer = []
        self.errors = errors
        self.inserted = 0
        self.staged = 0
        self.now = timezone.now()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="roster-import")
        self.pending = None
        self.conn = cursor.cursor.connection
        cursor.execute(self.LOCK)
        # Every member id handed to a row of this file, with the row's line, in allocation order
        # (ids only grow): a person found in the member table with one of these ids was inserted by
        # an earlier chunk of this file. 12 bytes a row, not the rows themselves.
        self.ids = array("q")
        self.lines = array("i")
        self.tally = _TallyCounter()  # the tally deltas of the rows inserted
        # Member ids for the next two chunks (unused ones are a gap), so that this thread can build a
        # chunk's data while the database thread still writes the one before; each chunk written
        # allocates another block.
        cursor.execute("SELECT pg_get_serial_sequence('members_member', 'id')")
        self.sequence = cursor.fetchone()[0]
        self.blocks = [self._allocate(), self._allocate()]
        self.switch_interval = sys.getswitchinterval()  # the process's, given back by close()
        sys.setswitchinterval(min(self.switch_interval, SWITCH_INTERVAL))

    def flush(self) -> None:
        if not self.buffer:
            return
        rows, self.buffer = self.buffer, []
        # In ID-hash order: the chunk's inserts walk the member table's largest index once, in order.
        rows.sort(key=_id_hash)
        hashes = [r.id.hash for r in rows]
        if len(set(hashes)) < len(rows):
            rows = self._drop_repeats(rows)
            hashes = [r.id.hash for r in rows]
        ids = self.blocks.pop(0)[:len(rows)]
        self.ids.extend(ids)
        self.lines.extend(r.line for r in rows)
        self.tally.count(rows, +1)
        with self.conn.cursor() as c:  # builds the data only: nothing is sent from this thread
            data = pg.binary_copy_data(c, MEMBER_TYPES, self.member_records(rows, ids, self.now))
        self._wait()  # at most one chunk in the database while the next is validated
        self.pending = self.pool.submit(self._write_chunk, rows, ids, hashes, data)

    def _drop_repeats(self, rows: list[ValidRow]) -> list[ValidRow]:
        """The chunk without repeats of an ID number inside it; each repeat is a bad row."""
        first: dict[str, int] = {}
        kept = []
        for r in sorted(rows, key=_line):  # the earliest line is the one kept
            line = first.setdefault(r.id.hash, r.line)
            if line == r.line:
                kept.append(r)
            else:
                self.errors.add(_repeat(r, line))
        kept.sort(key=_id_hash)
        return kept

    def _wait(self) -> None:
        if self.pending is not None:
            inserted, left_out, repeats, block = self.pending.result()  # re-raises the database thread's error
            self.inserted += inserted
            self.staged += len(left_out) - len(repeats)
            self.tally.count(left_out, -1)  # counted when the chunk was built
            for error in repeats:
                self.errors.add(error)
            self.blocks.append(block)
            self.pending = None

    def _allocate(self) -> range | list[int]:
        """A chunk's member ids from the sequence: a range, unless another session took ids meanwhile."""
        with self.conn.cursor() as cur:
            cur.execute("SELECT MIN(v), MAX(v), CASE WHEN MAX(v) - MIN(v) >= COUNT(*) THEN array_agg(v) END "
                        "FROM (SELECT nextval(%s::regclass) AS v FROM generate_series(1, %s)) AS ids",
                        [self.sequence, CHUNK])
            low, high, scattered = cur.fetchone()
            return sorted(scattered) if scattered is not None else range(low, high + 1)

    @staticmethod
    def member_records(rows: list[ValidRow], ids: list[int], now):
        return (
            (pk, r.org.id, r.org.path, r.name, r.id.hash, r.id.cipher, r.id.masked, r.birth_date, r.sex,
             r.region_code, r.phone.hash if r.phone else "", r.phone.cipher if r.phone else None,
             r.phone.masked if r.phone else "", r.id.key_id, r.category, r.is_new_form, "", r.joined_on, "active",
             card_number_for(pk), now, now)
            for r, pk in zip(rows, ids, strict=True)
        )

    def close(self) -> None:
        """Wait for the chunk in flight (re-raising its error) and stop the thread; called before
        the transaction ends, whatever happened, so the connection is free for it."""
        try:
            self._wait()
        finally:
            self.pool.shutdown(wait=True)
            sys.setswitchinterval(self.switch_interval)

    def apply_tallies(self, cursor) -> None:
        """Count the members this import inserted in the tallies (counted as the file streamed)."""
        tallies.apply_rolled_up(self.tally.rows())

    def _write_chunk(self, rows: list[ValidRow], ids: list[int], hashes: list[str],
                     data: bytes) -> tuple[int, list[ValidRow], list[RowError], range | list[int]]:
        """Insert a chunk's new people; return how many, the rows left out (staged, or repeats of
        earlier chunks of the file), those repeats, and the next chunk's ids."""
        # Runs in the pool's thread on the same psycopg connection (its own lock serialises use):
        # the main thread does not touch the database meanwhile, except the rare union-code lookup.
        import psycopg

        with psycopg.Cursor(self.conn) as cur:
            cur.execute("SELECT id_hash, id FROM members_member WHERE id_hash = ANY(%b)", [hashes])
            found = dict(cur.fetchall())
            repeats: list[RowError] = []
            left_out: list[ValidRow] = []
            staged: list[tuple[ValidRow, int]] = []
            if found:  # people already there, or earlier in this file: not copied
                new_rows, new_ids = [], []
                for r, pk in zip(rows, ids, strict=True):
                    member = found.get(r.id.hash)
                    if member is None:
                        new_rows.append(r)
                        new_ids.append(pk)
                        continue
                    left_out.append(r)
                    if (first := self._line_of(member)) is not None:
                        repeats.append(_repeat(r, first))
                    else:
                        staged.append((r, pk))
                rows, ids = new_rows, new_ids
                with self.conn.cursor() as c:
                    data = pg.binary_copy_data(c, MEMBER_TYPES, self.member_records(rows, ids, self.now))
                if staged:
                    pg.copy_binary(cur, STAGE, STAGE_COLUMNS, STAGE_TYPES,
                                   self.records([r for r, _ in staged], [pk for _, pk in staged]))
            if rows:
                pg.copy_binary(cur, "members_member", MEMBER_COLUMNS, data=data)
        return len(rows), left_out, repeats, self._allocate()

    def _line_of(self, member_id: int) -> int | None:
        """The line of this file whose row was given ``member_id``, if one was."""
        from bisect import bisect_left

        i = bisect_left(self.ids, member_id)
        return self.lines[i] if i < len(self.ids) and self.ids[i] == member_id else None


class _TallyCounter:
    """The tally deltas of the rows an import inserts, counted as they stream: one array of counts
    per union touched (all, new-form, sex, group, birth year, joining year), 1.6 KiB a union
    whatever the number of rows: a city-wide file over 21,000 unions holds some 35 MiB."""

    def __init__(self):
        self.unions: dict[str, array] = {}

    def count(self, rows: list[ValidRow], sign: int) -> None:
        unions, size, counters = self.unions, len(dimensions.SLOTS), dimensions.COUNTERS
        for r in rows:
            counts = unions.get(r.org.path)
            if counts is None:
                counts = unions[r.org.path] = array("i", bytes(4 * size))
            for key_of, index in counters:  # dimensions.slots_of, inlined: this runs for every row
                key = key_of(r)
                if key is not None:
                    counts[index[key]] += sign

    def rows(self):
        """(path, dim, key, n) of every union touched and all their ancestors, rolled up (each key
        once: a union that is also above another union touched is merged into its total)."""
        slots = dimensions.SLOTS
        above: dict[str, array] = {}
        for path, counts in self.unions.items():
            used = [(i, n) for i, n in enumerate(counts) if n]
            for ancestor in ancestors(path)[:-1]:
                total = above.get(ancestor)
                if total is None:
                    total = above[ancestor] = array("i", bytes(4 * len(slots)))
                for i, n in used:
                    total[i] += n
        for path, counts in self.unions.items():
            total = above.get(path)
            if total is None:
                yield from ((path, *slots[i], n) for i, n in enumerate(counts) if n)
            else:
                for i, n in enumerate(counts):
                    total[i] += n
        for path, total in above.items():
            yield from ((path, *slots[i], n) for i, n in enumerate(total) if n)




def _id_hash(row: ValidRow) -> str:
    return row.id.hash


def _line(row: ValidRow) -> int:
    return row.line


def _repeat(row: ValidRow, first: int) -> RowError:
    return RowError(row.line, "id_number", "duplicate_in_file",
                    _("The same ID number is already on line %(line)d of this file.") % {"line": first}, row.name)


def _scope_orgs(actor) -> dict[str, OrgRef]:
    rows = Org.objects.filter(scope_for(actor, Perm.MANAGE).q("path")).values_list("code", "id", "path")
    return {code: OrgRef(pk, path) for code, pk, path in rows}


def _code_exists_cache(actor) -> Callable[[str], bool]:
    """Whether the importer sees a union with this code (outside their subtree it does not exist)."""
    seen: dict[str, bool] = {}
    visible = scope_for(actor, Perm.READ)

    def exists(code: str) -> bool:
        if code not in seen:
            seen[code] = Org.objects.filter(visible.q("path"), code=code).exists()
        return seen[code]

    return exists


def roster_import(*, actor, stream: IO[bytes], filename: str, org: Org | None = None, dry_run: bool = False,
                  valid_only: bool = False, progress: Callable[[int], None] | None = None) -> ImportResult:
    """Import a roster file into the unions of the actor's subtree. See the module docstring."""
    if scope_for(actor, Perm.MANAGE).empty:
        raise PermissionDenied(_("You have no right to do this for this union."))
    if org is not None:
        require(actor, Perm.MANAGE, org.path)
    started = time.perf_counter()
    validate = RowValidator(orgs_by_code=_scope_orgs(actor),
                            default_org=OrgRef(org.pk, org.path) if org else None,
                            code_exists=_code_exists_cache(actor))
    for attempt in range(1, ATTEMPTS + 1):
        result = ImportResult(filename=filename, dry_run=dry_run, valid_only=valid_only)
        try:
            _import(actor, stream, org, result, validate, progress)
            break
        except Exception as exc:
            # Someone else inserted one of the file's people between a chunk's look-up and its COPY
            # (PostgreSQL): everything was rolled back; the next run finds that person.
            if not (_inserted_meanwhile(exc) and attempt < ATTEMPTS and stream.seekable()):
                raise
            stream.seek(0)
    result.errors.kept.sort(key=lambda e: e.line)
    result.seconds = time.perf_counter() - started
    return result


def _inserted_meanwhile(exc: BaseException) -> bool:
    """Whether ``exc`` is the member table's ID-hash key refusing a person (raised by psycopg in the
    import's database thread, or wrapped by Django)."""
    for error in (exc, exc.__cause__):
        diag = getattr(error, "diag", None)
        if diag is not None and diag.constraint_name == "member_id_hash_unique":
            return True
    return False


def _import(actor, stream: IO[bytes], org: Org | None, result: ImportResult, validate: RowValidator,
            progress: Callable[[int], None] | None) -> None:
    """One run of the import in its own transaction (a savepoint when the caller has one)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in _stage_ddl(connection.vendor):
                cursor.execute(statement)
            stager = (_PgStager if connection.vendor == "postgresql" else _Stager)(cursor, result.errors)
            try:
                for line, raw in read_rows(stream, result.filename):
                    result.rows += 1
                    row, errors = validate(line, raw)
                    if row is None:
                        for error in errors:
                            result.errors.add(error)
                    else:
                        stager.add(row)
                    if progress and result.rows % CHUNK == 0:
                        progress(result.rows)
                stager.flush()
            finally:
                stager.close()
            # PostgreSQL: repeats inside the file were found while streaming, except among people
            # already in the table (staged), and only those are left to match at the end.
            if not stager.inserts or stager.staged:
                _check_staged(cursor, result)
            if result.refused:
                raise _Refused
            _write(cursor, actor, result, stager)
            if result.dry_run:
                raise _Refused
            audit.record(actor=actor, action="member.import", org_path=org.path if org else "",
                         data={"file": result.filename, "rows": result.rows, "imported": result.imported,
                               "transfers": result.transfers, "unchanged": result.unchanged,
                               "bad_rows": len(result.errors.bad_lines), "valid_only": result.valid_only})
            cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
            result.written = True
    except _Refused:
        pass


def _check_staged(cursor, result: ImportResult) -> None:
    cursor.execute(f"CREATE INDEX {STAGE}_hash ON {STAGE} (id_hash, line)")
    if connection.vendor == "postgresql":
        # A temporary table has no statistics until analysed, and with the default
        # random_page_cost (spinning disks) the planner scans all three million members
        # to match a file of 50,000 (2.6 s) rather than probe the hash index (0.5 s).
        # For this transaction only; a file of a million rows still gets the hash join.
        cursor.execute(f"ANALYZE {STAGE}")
        cursor.execute("SET LOCAL random_page_cost = 1.1")
    _report_duplicates(cursor, result)


def _report_duplicates(cursor, result: ImportResult) -> None:
    """Every repeat of an ID number inside the file is a bad row; the first occurrence stays."""
    cursor.execute(
        f"""SELECT s.line, s.name, d.first FROM {STAGE} s
            JOIN (SELECT id_hash, MIN(line) AS first FROM {STAGE} GROUP BY id_hash HAVING COUNT(*) > 1) d
              ON d.id_hash = s.id_hash
            WHERE s.line > d.first ORDER BY s.line"""
    )
    repeats = cursor.fetchall()
    for line, name, first in repeats:
        result.errors.add(RowError(line, "id_number", "duplicate_in_file",
                                   _("The same ID number is already on line %(line)d of this file.") % {"line": first},
                                   name))
    if repeats:  # only the first occurrence is written (valid-only imports)
        cursor.execute(
            f"DELETE FROM {STAGE} WHERE EXISTS "
            f"(SELECT 1 FROM {STAGE} d WHERE d.id_hash = {STAGE}.id_hash AND d.line < {STAGE}.line)"
        )


def _inserted_tallies() -> str:
    """A query of the tally deltas (path, dim, key, n) of the rows this import inserted (staged rows
    marked ``inserted``)."""
    return dimensions.deltas_sql(STAGE, "s.inserted")


def _write(cursor, actor, result: ImportResult, stager: _Stager) -> None:
    now = timezone.now()
    # People of the file already in the table: found once, then every step reads this small table.
    suffix = " ON COMMIT DROP" if connection.vendor == "postgresql" else ""
    # Only rows not inserted while the file streamed (PostgreSQL) can match someone already there.
    matched = (f"SELECT s.line, s.org_id AS to_org, s.org_path AS to_path, m.id AS member_id, m.org_id AS from_org, "
               f"m.org_path AS from_path, m.status FROM {STAGE} s JOIN members_member m ON m.id_hash = s.id_hash "
               "AND m.id <> s.id WHERE s.inserted IS NOT TRUE")
    cursor.execute(f"DROP TABLE IF EXISTS {MATCHES}")
    cursor.execute(f"CREATE TEMP TABLE {MATCHES}{suffix} AS {matched}")
    cursor.execute(f"CREATE INDEX {MATCHES}_line ON {MATCHES} (line)")
    if stager.inserts:  # inserted while the file streamed
        result.imported = stager.inserted
    else:
        new = f"NOT EXISTS (SELECT 1 FROM {MATCHES} x WHERE x.line = s.line)"
        cursor.execute(MEMBER_INSERT.format(source=STAGE, where=f"WHERE {new}"), [now, now])
        result.imported = cursor.rowcount
        cursor.execute(f"UPDATE {STAGE} SET inserted = NOT EXISTS "
                       f"(SELECT 1 FROM {MATCHES} x WHERE x.line = {STAGE}.line)")
    if result.imported:
        stager.apply_tallies(cursor)
    cursor.execute(f"SELECT COUNT(*) FROM {MATCHES} WHERE from_org = to_org AND status = 'active'")
    result.unchanged = cursor.fetchone()[0]
    movers = f"FROM {MATCHES} x WHERE (x.from_org <> x.to_org OR x.status <> 'active')"
    cursor.execute(
        f"""INSERT INTO members_transfer (member_id, from_org_id, to_org_id, from_path, to_path, status, source,
                note, requested_by_id, requested_at, reason)
            SELECT x.member_id, x.from_org, x.to_org, x.from_path, x.to_path, 'pending', 'import', %s, %s, %s, ''
            {movers}
              AND NOT EXISTS (SELECT 1 FROM members_transfer t WHERE t.member_id = x.member_id AND t.status = 'pending')""",
        [result.filename[:200], actor.pk, now],
    )
    result.transfers = cursor.rowcount
    if result.transfers:
        _release_what_the_importer_speaks_for(actor, now)
    cursor.execute(f"SELECT x.line {movers} ORDER BY x.line LIMIT {MAX_LISTED_TRANSFERS}")
    result.transfer_lines = [r[0] for r in cursor.fetchall()]
    cursor.execute(f"DROP TABLE IF EXISTS {MATCHES}")


def _release_what_the_importer_speaks_for(actor, now) -> None:
    """The import's transfers of people whose union the importing cadre also manages, or who had
    left, need no separate consent (``services.speaks_for_sender``); the others wait for it."""
    (Transfer.objects.filter(source=TransferSource.IMPORT, requested_by=actor, requested_at=now,
                             status=TransferStatus.PENDING,
                             released_at__isnull=True)
     .filter(scope_for(actor, Perm.MANAGE).q("from_path") | ~Q(member__status=MemberStatus.ACTIVE))
     .update(released_at=now, released_by=actor))
