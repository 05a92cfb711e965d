"""Key rotation: every registered ciphertext moved to the current encryption key.

After a new ``id:key`` is put first in ``PII_ENCRYPTION_KEYS``, ``pii_rotate`` re-encrypts every
row of every model registered with ``pii.register_fields`` whose key id is another one, then
``keys_in_use`` tells which old keys rows still need. An old key may be dropped only when no
row needs it. The HMAC key never changes, so keyed hashes stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

from gonghui.core import audit, pii

BATCH = 500  # rows re-encrypted per transaction


@dataclass(frozen=True)
class Rotation:
    key_id: str
    moved: dict[str, int]  # rows re-encrypted, by model label ("members.Member")
    left: dict[str, list[str]]  # key ids other than the current one still in use, with the models using them


def _old_rows(registration: pii.Registration, current: str):
    key = registration.key_id
    # An empty key id: the row holds no ciphertext (e.g. a case taken without an ID number).
    return registration.model._base_manager.exclude(**{key: current}).exclude(**{key: ""})


def _rekey_batch(registration: pii.Registration, pks: list, current: str) -> int:
    """Decrypt and encrypt again, under the current key, the ciphertexts of the rows ``pks``."""
    model, key, ciphers = registration.model, registration.key_id, registration.ciphers
    columns = {key, *(v.hash for v in ciphers), *(v.cipher for v in ciphers)}
    with transaction.atomic():
        rows = list(_old_rows(registration, current).select_for_update().filter(pk__in=pks).only(*columns))
        params = []
        for row in rows:
            old, blobs = getattr(row, key), []
            for value in ciphers:
                blob = getattr(row, value.cipher)
                if blob:  # else an optional value the row does not have (no phone): it stays empty
                    bound = getattr(row, value.hash)
                    blob = pii.encrypt(pii.decrypt(blob, key_id=old, bound_to=bound), bound_to=bound)[0]
                blobs.append(blob)
            params.append([current, *blobs, row.pk])
        # One statement per row, sent together (executemany): Django's bulk_update builds a CASE per
        # column that costs more than the encryption itself.
        quote = connection.ops.quote_name
        sets = ", ".join(f"{quote(model._meta.get_field(name).column)} = %s"
                         for name in (key, *(v.cipher for v in ciphers)))
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {quote(model._meta.db_table)} SET {sets} "  # noqa: S608 - names from the model
                               f"WHERE {quote(model._meta.pk.column)} = %s", params)
    return len(rows)


def _rotate_model(registration: pii.Registration, current: str) -> int:
    moved, last = 0, None
    while True:  # in primary-key order, one batch at a time: no cursor stays open while rows are written
        rows = _old_rows(registration, current).order_by("pk")
        if last is not None:
            rows = rows.filter(pk__gt=last)
        pks = list(rows.values_list("pk", flat=True)[:BATCH])
        if not pks:
            return moved
        moved += _rekey_batch(registration, pks, current)
        last = pks[-1]


def keys_in_use(*, besides: str | None = None) -> dict[str, list[str]]:
    """Each encryption key id that some registered row needs, with the models whose rows need it."""
    used: dict[str, list[str]] = {}
    for registration in pii.registered():
        if not registration.key_id:
            continue
        ids = (registration.model._base_manager.exclude(**{registration.key_id: ""}).order_by()
               .values_list(registration.key_id, flat=True).distinct())
        for key_id in ids:
            if key_id != besides:
                used.setdefault(key_id, []).append(registration.label)
    return dict(sorted(used.items()))


def pii_rotate() -> Rotation:
    """Move every registered ciphertext to the current key; audited (one line for the whole run).

    Not a business write: no value changes, only the key that protects it. Rows are moved in
    batches, each in its own transaction, so a run stopped half-way is finished by running it
    again; rows written meanwhile are already under the current key.
    """
    current = pii.current_key_id()
    moved = {r.label: _rotate_model(r, current) for r in pii.registered() if r.key_id}
    with transaction.atomic():
        audit.record(actor=None, action="pii.rotate", data={"key_id": current, "rows": moved})
    return Rotation(key_id=current, moved=moved, left=keys_in_use(besides=current))
