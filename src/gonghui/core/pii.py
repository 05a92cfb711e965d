"""Personal data at rest: keyed hash, authenticated encryption, masked form.

An ID number or phone is stored as three things and never in plain text:
- ``hash``: HMAC-SHA256 under ``PII_HMAC_KEY`` — unique per person city-wide, for lookups and
  de-duplication without decrypting anything;
- ``cipher``: AES-256-GCM under the current key of ``PII_ENCRYPTION_KEYS`` (nonce ‖ ciphertext),
  the hash bound as associated data so a ciphertext cannot be moved to another row; the key id
  is stored beside it so keys can be rotated;
- ``masked``: what lists and pages show.

Without keys in the environment (DEBUG only) development keys are derived from SECRET_KEY and
a warning says so once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import re
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver

logger = logging.getLogger(__name__)

DEV_KEY_ID = "dev"
# The key id is stored beside every ciphertext (Member.pii_key_id, 16 characters).
KEY_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,16}$")


class CannotDecrypt(Exception):
    """The ciphertext does not open under its key and hash: moved, altered or the wrong key."""


@dataclass(frozen=True)
class Keys:
    hmac_key: bytes
    current_id: str
    aead: dict[str, AESGCM]
    derived: bool
    # HMAC-SHA256 with its keyed first blocks hashed once (RFC 2104: H(K^opad ‖ H(K^ipad ‖ m))):
    # a copy of each state per value instead of keying afresh, the same digest for half the cost.
    hmac_inner: hashlib._Hash = field(init=False, repr=False, compare=False)
    hmac_outer: hashlib._Hash = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        key = self.hmac_key if len(self.hmac_key) <= 64 else hashlib.sha256(self.hmac_key).digest()
        key = key.ljust(64, b"\0")  # SHA-256's block size
        object.__setattr__(self, "hmac_inner", hashlib.sha256(bytes(b ^ 0x36 for b in key)))
        object.__setattr__(self, "hmac_outer", hashlib.sha256(bytes(b ^ 0x5C for b in key)))


def _b64(raw: str, what: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(raw.strip() + "=" * (-len(raw.strip()) % 4))
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(f"{what} is not valid base64 (see `gonghui pii_keys`).") from None


def _derive(label: str) -> bytes:
    return hashlib.sha256(f"gonghui-dev-pii:{label}:{settings.SECRET_KEY}".encode()).digest()


@cache
def keys() -> Keys:
    hmac_raw = settings.PII_HMAC_KEY
    enc_raw = settings.PII_ENCRYPTION_KEYS
    if not hmac_raw and not enc_raw:
        if not settings.DEBUG and not getattr(settings, "PII_DEV_KEYS_ALLOWED", False):
            raise ImproperlyConfigured("Set PII_HMAC_KEY and PII_ENCRYPTION_KEYS (see README, Configuration).")
        logger.warning("PII keys are not set: using development keys derived from SECRET_KEY (not for real data).")
        return Keys(_derive("hmac"), DEV_KEY_ID, {DEV_KEY_ID: AESGCM(_derive("aead"))}, derived=True)
    if not hmac_raw or not enc_raw:
        raise ImproperlyConfigured("Set both PII_HMAC_KEY and PII_ENCRYPTION_KEYS, or neither (development).")
    aead: dict[str, AESGCM] = {}
    current = ""
    for item in filter(str.strip, enc_raw.split(",")):
        kid, _, b64 = item.strip().partition(":")
        if not KEY_ID_RE.match(kid):
            raise ImproperlyConfigured("A PII_ENCRYPTION_KEYS id is 1 to 16 letters, digits, '.', '_' or '-'.")
        if kid in aead:
            raise ImproperlyConfigured(f"PII_ENCRYPTION_KEYS names the key id {kid!r} twice.")
        key = _b64(b64, f"The PII encryption key {kid!r}")
        if len(key) != 32:
            raise ImproperlyConfigured("PII_ENCRYPTION_KEYS entries are 'id:base64 of 32 bytes'.")
        aead[kid] = AESGCM(key)
        current = current or kid
    if not aead:
        raise ImproperlyConfigured("PII_ENCRYPTION_KEYS lists no key.")
    hmac_key = _b64(hmac_raw, "PII_HMAC_KEY")
    if len(hmac_key) < 32:
        raise ImproperlyConfigured("PII_HMAC_KEY must be base64 of at least 32 bytes.")
    return Keys(hmac_key, current, aead, derived=False)


@receiver(setting_changed)
def _forget_keys(*, setting, **kwargs):
    # Tests (and override_settings) change keys at run time; the cached Keys must follow.
    if setting in {"PII_HMAC_KEY", "PII_ENCRYPTION_KEYS", "SECRET_KEY", "DEBUG", "PII_DEV_KEYS_ALLOWED"}:
        keys.cache_clear()


def current_key_id() -> str:
    return keys().current_id


def new_key_b64() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def digest(kind: str, value: str) -> str:
    """The keyed hash of a normalised value; ``kind`` separates ID numbers from phones."""
    k = keys()
    inner = k.hmac_inner.copy()
    inner.update(f"{kind}:{value}".encode())
    outer = k.hmac_outer.copy()
    outer.update(inner.digest())
    return outer.hexdigest()


NONCE_SIZE = 12
_NONCE_BATCH = 1024  # nonces read from the kernel at once: one getrandom call instead of 1,024
_SPLIT_NONCES = struct.Struct(f"{NONCE_SIZE}s" * _NONCE_BATCH)


class _NoncePool(threading.local):
    """Fresh random 96-bit GCM nonces, cut from one ``os.urandom`` read per batch.

    The bytes of a urandom read are independent and uniform, so a 12-byte slice of a large read
    is as good a nonce as a read of its own, and each slice is handed out once. Each thread has
    its own batch, and a forked child starts with none: no two encryptions get the same nonce.
    """

    batch = iter(())  # a thread's first call finds this empty iterator and reads a batch of its own


_nonces = _NoncePool()


def _forget_nonces() -> None:
    global _nonces
    _nonces = _NoncePool()


os.register_at_fork(after_in_child=_forget_nonces)


def new_nonce() -> bytes:
    nonce = next(_nonces.batch, None)
    if nonce is None:
        _nonces.batch = batch = iter(_SPLIT_NONCES.unpack(os.urandom(NONCE_SIZE * _NONCE_BATCH)))
        nonce = next(batch)
    return nonce


def encrypt(value: str, *, bound_to: str) -> tuple[bytes, str]:
    k = keys()
    nonce = new_nonce()
    return nonce + k.aead[k.current_id].encrypt(nonce, value.encode(), bound_to.encode()), k.current_id


def decrypt(blob: bytes, *, key_id: str, bound_to: str) -> str:
    k = keys()
    try:
        aead = k.aead[key_id]
    except KeyError:
        raise ImproperlyConfigured(f"PII key {key_id!r} is not configured; it is needed to read old rows.") from None
    blob = bytes(blob)
    try:
        return aead.decrypt(blob[:12], blob[12:], bound_to.encode()).decode()
    except (InvalidTag, ValueError):
        raise CannotDecrypt("The protected value does not belong to this row or was altered.") from None


class Protected(NamedTuple):
    """A value as it is stored (a named tuple: roster imports build millions of them)."""

    hash: str
    cipher: bytes
    masked: str
    key_id: str


def protect(kind: str, value: str, masked: str) -> Protected:
    h = digest(kind, value)
    cipher, kid = encrypt(value, bound_to=h)
    return Protected(hash=h, cipher=cipher, masked=masked, key_id=kid)


def protector(kind: str) -> Callable[[str, str], Protected]:
    """``protect`` for one kind of value, under the keys as they are now: for loops over many values.

    ``protector("id")(number, masked)`` gives what ``protect("id", number, masked)`` gives — the
    same hash, a ciphertext under the same key and associated data, with a fresh nonce each time —
    with the per-value work that does not depend on the value done once.
    """
    k = keys()
    kid = k.current_id
    encrypt_with = k.aead[kid].encrypt
    keyed = k.hmac_inner.copy()
    keyed.update(f"{kind}:".encode())  # the inner hash's input starts with the kind
    outer_keyed = k.hmac_outer
    make = tuple.__new__

    def protect_one(value: str, masked: str) -> Protected:
        plain = value.encode()
        inner = keyed.copy()
        inner.update(plain)
        outer = outer_keyed.copy()
        outer.update(inner.digest())
        h = outer.hexdigest()
        nonce = new_nonce()
        return make(Protected, (h, nonce + encrypt_with(nonce, plain, h.encode()), masked, kid))

    return protect_one


# --- the registry of protected fields -----------------------------------------------------------
# Every model field that holds a keyed hash or a ciphertext of personal data is declared here by
# its app (``AppConfig.ready()``). Key rotation, the report of keys still in use and the tests that
# scan the database iterate over the declarations; no module is named in core.
#
# The marker of a field "of the PII kind" (``is_pii_kind``): a ``BinaryField`` (ciphertexts are
# the only binary columns), or a ``CharField`` named ``hash`` or ``…_hash``. Each such field of
# every installed model is either registered here or declared a digest of something else
# (``register_other_digests``: the audit chain, token and code hashes); the system check
# ``gonghui.E005`` names any that is neither.


@dataclass(frozen=True)
class Value:
    """One protected value of a row: its keyed hash (``digest(kind, value)``) and, when the value
    can be read back, its ciphertext field, encrypted with the hash as associated data."""

    kind: str
    hash: str
    cipher: str | None = None


@dataclass(frozen=True)
class Registration:
    """The protected values of one model.

    ``key_id``: the field naming the encryption key of the row's ciphertexts (one key per row;
    empty when the row holds none; None when the model keeps keyed hashes only).
    """

    model: type
    values: tuple[Value, ...]
    key_id: str | None

    @property
    def label(self) -> str:
        return self.model._meta.label

    @property
    def ciphers(self) -> tuple[Value, ...]:
        return tuple(v for v in self.values if v.cipher)

    def fields(self) -> set[str]:
        return {name for v in self.values for name in (v.hash, v.cipher) if name}


_registry: dict[type, Registration] = {}
_other_digests: dict[tuple[type, str], str] = {}


def _is_binary(field) -> bool:
    return isinstance(field, models.BinaryField)


def is_pii_kind(field) -> bool:
    """Whether a model field looks like protected personal data (see the marker above)."""
    if not getattr(field, "concrete", False):
        return False
    if _is_binary(field):
        return True
    return isinstance(field, models.CharField) and (field.name == "hash" or field.name.endswith("_hash"))


def register_fields(model, *values: Value, key_id: str = "pii_key_id") -> Registration:
    """Declare the protected values of ``model`` (from its app's ``ready()``).

    ``key_id`` names the field that holds the key id of the row's ciphertexts (not used by a
    model with keyed hashes only). A wrong declaration is refused at start-up.
    """
    def get(name: str):
        try:
            return model._meta.get_field(name)
        except FieldDoesNotExist:
            raise ImproperlyConfigured(f"PII registration of {model._meta.label}: no field {name!r}.") from None

    if not values:
        raise ImproperlyConfigured(f"PII registration of {model._meta.label} names no value.")
    for value in values:
        if not is_pii_kind(get(value.hash)) or _is_binary(get(value.hash)):
            raise ImproperlyConfigured(f"PII registration of {model._meta.label}: {value.hash!r} is not a hash field "
                                       "(a CharField named …_hash).")
        if value.cipher and not _is_binary(get(value.cipher)):
            raise ImproperlyConfigured(f"PII registration of {model._meta.label}: {value.cipher!r} is not a "
                                       "BinaryField.")
    if any(v.cipher for v in values):
        if not key_id:
            raise ImproperlyConfigured(f"PII registration of {model._meta.label}: ciphertexts need a key_id field.")
        get(key_id)
    else:
        key_id = None  # keyed hashes only: the HMAC key never changes, nothing to rotate
    if model in _registry and (_registry[model].values, _registry[model].key_id) != (tuple(values), key_id):
        raise ImproperlyConfigured(f"{model._meta.label} is registered twice for PII, differently.")
    registration = Registration(model=model, values=tuple(values), key_id=key_id)
    _registry[model] = registration
    return registration


def register_other_digests(model, *names: str, why: str) -> None:
    """Declare fields that look like protected data (``…_hash``) but are digests of something else."""
    for name in names:
        model._meta.get_field(name)
        _other_digests[(model, name)] = why


def registered() -> list[Registration]:
    """Every registration, in the order the apps made them (INSTALLED_APPS)."""
    return list(_registry.values())


def unregistered_fields(models) -> list[str]:
    """``app.Model.field`` of each field of the PII kind in ``models`` that nobody declared."""
    missing = []
    for model in models:
        known = _registry[model].fields() if model in _registry else set()
        for f in model._meta.get_fields():
            if is_pii_kind(f) and f.name not in known and (model, f.name) not in _other_digests:
                missing.append(f"{model._meta.label}.{f.name}")
    return missing
