"""The audit log: who did what, when, from where — append-only and chained by hash.

Each entry's hash covers its own fields and the previous entry's hash, so changing or
removing any line breaks the chain from there on; ``gonghui audit verify`` finds the first
broken line. Appending locks the single ``AuditHead`` row, which orders concurrent writers.
Entries never hold personal data in plain text: ``data`` takes ids, codes and masked values.

Someone who can write to the database could still cut entries from the end (and set the head
back) or rewrite the chain from an edited entry on: the hashes alone cannot tell. So the chain is
anchored outside the database: after every audited write commits, a checkpoint of the new head
(seq, hash, time) signed with HMAC-SHA256 under ``AUDIT_ANCHOR_KEY`` — a key the database does
not hold — is appended to ``AUDIT_ANCHOR_FILE``. ``verify`` compares the database with every
checkpoint: one beyond the last entry is a cut, one whose entry differs is a rewrite.

The table refuses UPDATE and DELETE in the database itself (and TRUNCATE on PostgreSQL). Only
``purge_allowed()``, which the test suite's flush uses, lets one connection empty it.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import ipaddress
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from gonghui.core.models import AuditEntry, AuditHead

logger = logging.getLogger(__name__)

# Where the current request comes from; set by AuditContextMiddleware, read by record().
request_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("gonghui_request_ip", default=None)

GENESIS = "0" * 64
ANCHOR_VERSION = "v1"
MIN_ANCHOR_KEY_LENGTH = 32


def _entry_hash(prev_hash: str, *, seq, at, actor_id, actor_name, action, object_type, object_id, org_path, ip, data) -> str:
    payload = json.dumps(
        [seq, at.isoformat(), actor_id, actor_name, action, object_type, object_id, org_path, ip, data],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(f"{prev_hash}|{payload}".encode()).hexdigest()


def clean_ip(raw: str | None) -> str | None:
    """The address as the database gives it back, so the entry's hash survives the round trip.

    PostgreSQL stores it as ``inet`` and prints its own canonical form; an unparsable value would
    make the whole write fail there, so it is dropped instead.
    """
    if not raw:
        return None
    try:
        ip = ipaddress.ip_address(raw.strip().split("%", 1)[0])
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip)


def history(obj, limit: int = 50):
    """The audit lines of one object, newest first, with their actors (the caller checks scope)."""
    return (AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
            .select_related("actor").order_by("-seq")[:limit])


def record(*, actor, action: str, obj=None, org_path: str = "", data: dict | None = None) -> AuditEntry:
    """Append one line; call it inside the service's transaction."""
    data = data or {}
    object_type = obj._meta.label_lower if obj is not None else ""
    object_id = str(obj.pk) if obj is not None else ""
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    actor_name = actor.get_username() if actor_id else ""
    with transaction.atomic():
        AuditHead.objects.get_or_create(pk=1)
        head = AuditHead.objects.select_for_update().get(pk=1)
        fields = dict(
            seq=head.seq + 1,
            at=timezone.now(),
            actor_id=actor_id,
            actor_name=actor_name,
            action=action,
            object_type=object_type,
            object_id=object_id,
            org_path=org_path,
            ip=clean_ip(request_ip.get()),
            data=json.loads(json.dumps(data, default=str)),
        )
        digest = _entry_hash(head.hash, **fields)
        entry = AuditEntry.objects.create(prev_hash=head.hash, hash=digest, **fields)
        AuditHead.objects.filter(pk=1).update(seq=fields["seq"], hash=digest)
        # Only a committed entry is anchored: a checkpoint of one rolled back would read as a rewrite.
        transaction.on_commit(partial(_checkpoint_after_commit, fields["seq"], digest))
    return entry


# --- anchoring outside the database ---------------------------------------------------------


def anchor_key() -> tuple[bytes, bool]:
    """The checkpoint key and whether it is a development key derived from SECRET_KEY."""
    raw = settings.AUDIT_ANCHOR_KEY
    if raw:
        if len(raw) < MIN_ANCHOR_KEY_LENGTH:
            raise ImproperlyConfigured(
                f"AUDIT_ANCHOR_KEY must have at least {MIN_ANCHOR_KEY_LENGTH} characters.")
        return raw.encode(), False
    if settings.DEBUG or getattr(settings, "AUDIT_ANCHOR_DEV_KEY_ALLOWED", False):
        return hashlib.sha256(f"gonghui-dev-audit-anchor:{settings.SECRET_KEY}".encode()).digest(), True
    raise ImproperlyConfigured("Set AUDIT_ANCHOR_KEY (see README, Configuration).")


def _signature(key: bytes, seq: int, digest: str, at: str) -> str:
    return hmac.new(key, f"{ANCHOR_VERSION}|{seq}|{digest}|{at}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: str  # when it was written, ISO 8601
    line: int  # in the anchor file


def anchor_path() -> Path:
    return Path(settings.AUDIT_ANCHOR_FILE)


def write_checkpoint(seq: int, digest: str) -> None:
    """Append one signed checkpoint line; a single write with O_APPEND, so concurrent writers'
    lines never interleave."""
    key, _derived = anchor_key()
    at = timezone.now().isoformat(timespec="seconds")
    line = f"{ANCHOR_VERSION} {seq} {digest} {at} {_signature(key, seq, digest, at)}\n"
    path = anchor_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line.encode("ascii"))
    finally:
        os.close(fd)


def _checkpoint_after_commit(seq: int, digest: str) -> None:
    # The write has committed: a missing checkpoint must not turn it into an error page. The gap
    # shows in `audit verify` ("not anchored yet") and `audit anchor` closes it.
    try:
        write_checkpoint(seq, digest)
    except Exception:  # noqa: BLE001
        logger.exception("Could not write the audit checkpoint of entry %s to %s", seq, settings.AUDIT_ANCHOR_FILE)


def anchor() -> int:
    """Checkpoint the current head now (``gonghui audit anchor``); the entry's seq, 0 for an empty log."""
    head = AuditHead.objects.filter(pk=1).first()
    if head is None or head.seq == 0:
        return 0
    write_checkpoint(head.seq, head.hash)
    return head.seq


def checkpoints() -> Iterator[Checkpoint | Break]:
    """The anchor file's checkpoints in file order, and a Break for each line that is not one."""
    path = anchor_path()
    if not path.exists():
        return
    key, _derived = anchor_key()
    unreadable = None
    with path.open(encoding="ascii", errors="replace") as lines:
        for number, text in enumerate(lines, 1):
            if unreadable is not None:  # only the very last line may be torn (a crash while writing)
                yield unreadable
                unreadable = None
            parts = text.split()
            try:
                version, seq, digest, at, signature = parts
                seq = int(seq)
            except ValueError:
                unreadable = Break(0, f"line {number} of {path} is not a checkpoint")
                continue
            if version != ANCHOR_VERSION or not hmac.compare_digest(signature, _signature(key, seq, digest, at)):
                yield Break(seq, f"the checkpoint on line {number} of {path} is not signed with AUDIT_ANCHOR_KEY "
                                 "(the file was edited, or the key changed)")
                continue
            yield Checkpoint(seq, digest, at, number)


def _anchor_breaks(last: int, batch: int) -> Iterator[Break]:
    """Compare the database (entries 1…last) with every checkpoint."""
    furthest: Checkpoint | None = None
    first_mismatch: tuple[Checkpoint, str] | None = None
    mismatches = 0
    pending: list[Checkpoint] = []

    def compare(group: list[Checkpoint]) -> None:
        nonlocal first_mismatch, mismatches
        stored = dict(AuditEntry.objects.filter(seq__in={c.seq for c in group if c.seq <= last})
                      .values_list("seq", "hash"))
        for point in group:
            if point.seq > last or stored.get(point.seq) == point.hash:
                continue
            mismatches += 1
            state = "is missing" if point.seq not in stored else "differs from"
            if first_mismatch is None or point.seq < first_mismatch[0].seq:
                first_mismatch = (point, state)

    for item in checkpoints():
        if isinstance(item, Break):
            yield item
            continue
        if furthest is None or item.seq > furthest.seq:
            furthest = item
        pending.append(item)
        if len(pending) >= batch:
            compare(pending)
            pending = []
    compare(pending)
    if first_mismatch is not None:
        point, state = first_mismatch
        also = f"; {mismatches - 1} later checkpoints do not match either" if mismatches > 1 else ""
        yield Break(point.seq, f"{state} its checkpoint of {point.at} (line {point.line} of the anchor file): "
                               f"the chain was rewritten from this entry or an earlier one{also}")
    if furthest is not None and furthest.seq > last:
        yield Break(last + 1, f"entries {last + 1}…{furthest.seq} are missing at the end of the log: a checkpoint of "
                              f"{furthest.at} recorded entry {furthest.seq} (the log was cut and its head set back)")


def furthest_checkpoint() -> Checkpoint | None:
    """The valid checkpoint of the highest entry, if any (what `audit verify` reports as anchored)."""
    best = None
    for item in checkpoints():
        if isinstance(item, Checkpoint) and (best is None or item.seq > best.seq):
            best = item
    return best


# --- emptying the table: the test suite's flush only ----------------------------------------

_purging: contextvars.ContextVar[bool] = contextvars.ContextVar("gonghui_audit_purge", default=False)


@contextmanager
def purge_allowed(using: str = DEFAULT_DB_ALIAS):
    """Let this connection empty the audit table (SQLite DELETE, PostgreSQL TRUNCATE) while inside.

    For a test database's flush between tests; nothing in the application calls it. On SQLite the
    trigger asks ``gonghui_audit_purge()``, a function only this application's connections have (so
    the sqlite3 shell cannot delete either); on PostgreSQL it reads the session setting
    ``gonghui.audit_purge``.
    """
    connection = connections[using]
    token = _purging.set(True)
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('gonghui.audit_purge', 'on', false)")
        yield
    finally:
        _purging.reset(token)
        if connection.vendor == "postgresql" and connection.is_usable():
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('gonghui.audit_purge', 'off', false)")


def add_sqlite_functions(sender, connection, **kwargs) -> None:
    """connection_created: the function the SQLite delete trigger asks (see purge_allowed)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("gonghui_audit_purge", 0, lambda: int(_purging.get()))


@dataclass(frozen=True)
class Break:
    seq: int
    reason: str


def verify(batch: int = 5000) -> Iterator[Break]:
    """Walk the chain in order, then hold it against the checkpoints outside the database; yield
    every place where it does not hold."""
    prev_hash, expected_seq = GENESIS, 1
    qs = AuditEntry.objects.order_by("seq").values(
        "seq", "at", "actor_id", "actor_name", "action", "object_type", "object_id", "org_path", "ip", "data",
        "prev_hash", "hash",
    )
    for row in qs.iterator(chunk_size=batch):
        if row["seq"] != expected_seq:
            missing = (f"entry {expected_seq} is" if row["seq"] == expected_seq + 1
                       else f"entries {expected_seq}…{row['seq'] - 1} are")
            yield Break(expected_seq, f"{missing} missing")
        if row["prev_hash"] != prev_hash:
            yield Break(row["seq"], "does not follow the previous entry")
        fields = {k: row[k] for k in ("seq", "at", "actor_id", "actor_name", "action", "object_type", "object_id",
                                      "org_path", "ip", "data")}
        if _entry_hash(row["prev_hash"], **fields) != row["hash"]:
            yield Break(row["seq"], "content was changed after it was written")
        prev_hash, expected_seq = row["hash"], row["seq"] + 1
    head = AuditHead.objects.filter(pk=1).first()
    last = expected_seq - 1
    if head is None:
        if last:
            yield Break(1, "the record of the last entry is missing")
    elif head.seq > last:
        yield Break(last + 1, f"entries {last + 1}…{head.seq} are missing at the end of the log")
    elif head.seq < last:
        yield Break(head.seq + 1, f"entries after {head.seq}, recorded as the last, were added outside the log")
    elif head.hash != prev_hash:
        yield Break(last, "the last entry is not the one recorded")
    yield from _anchor_breaks(last, batch)
