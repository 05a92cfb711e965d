"""The audit log: who did what, when, from where — append-only and chained by hash.

Each entry's hash covers its own fields and the previous entry's hash, so changing or
removing any line breaks the chain from there on; ``gonghui audit verify`` finds the first
broken line. Appending locks the single ``AuditHead`` row, which orders concurrent writers.
Entries never hold personal data in plain text: ``data`` takes ids, codes and masked values.
"""

from __future__ import annotations

import contextvars
import hashlib
import ipaddress
import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from gonghui.core.models import AuditEntry, AuditHead

# Where the current request comes from; set by AuditContextMiddleware, read by record().
request_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("gonghui_request_ip", default=None)

GENESIS = "0" * 64


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
    return entry


@dataclass(frozen=True)
class Break:
    seq: int
    reason: str


def verify(batch: int = 5000) -> Iterator[Break]:
    """Walk the chain in order; yield every place where it does not hold."""
    prev_hash, expected_seq = GENESIS, 1
    qs = AuditEntry.objects.order_by("seq").values(
        "seq", "at", "actor_id", "actor_name", "action", "object_type", "object_id", "org_path", "ip", "data",
        "prev_hash", "hash",
    )
    for row in qs.iterator(chunk_size=batch):
        if row["seq"] != expected_seq:
            yield Break(expected_seq, f"entries {expected_seq}…{row['seq'] - 1} are missing")
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
