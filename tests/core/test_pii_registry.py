"""Every ciphertext and keyed hash of personal data is registered, and key rotation reaches all of them.

The database these tests rotate holds every kind of protected row because it is the demo: each
module's demo data includes its protected rows, and the tests fail when a registered field has
none there (so a new module's rows are covered once its demo makes them).
"""

import base64
import io
import os
import re
from dataclasses import replace

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import models, transaction
from django.test import override_settings
from django.test.utils import isolate_apps

from gonghui.core import pii
from gonghui.core.checks import pii_registry_check
from gonghui.core.models import AuditEntry
from gonghui.core.rotation import keys_in_use
from gonghui.core.sms import sms_code_send
from gonghui.demo.calibration import MIN_SCALE
from gonghui.demo.services import demo_load
from tests.core.test_pii import every_stored_value


def b64key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


HMAC_KEY = b64key()
K1 = f"k1:{b64key()}"
K2 = f"k2:{b64key()}"
OLD = {"PII_HMAC_KEY": HMAC_KEY, "PII_ENCRYPTION_KEYS": K1}
BOTH = {"PII_HMAC_KEY": HMAC_KEY, "PII_ENCRYPTION_KEYS": f"{K2},{K1}"}
NEW_ONLY = {"PII_HMAC_KEY": HMAC_KEY, "PII_ENCRYPTION_KEYS": K2}  # the old key removed


@pytest.fixture
def protected_db(db):
    """The demo (members, accounts, join applications, cases, settlement records, claims, payouts…)
    and an SMS code, all under the key k1."""
    pii.keys.cache_clear()
    with override_settings(**OLD):
        demo_load(scale=MIN_SCALE, password="registry-test-pass")
        sms_code_send(phone="13900000099")
    yield pii.registered()
    pii.keys.cache_clear()


def _rows(registration):
    fields = ["pk", *sorted(registration.fields()), *([registration.key_id] if registration.key_id else [])]
    return registration.model._base_manager.order_by("pk").values(*fields).iterator()


def unreadable(registrations) -> list[str]:
    """``model.field`` of each registered ciphertext that some row cannot open, or whose hash is not
    the keyed hash of what it opens to; [] when every row of every registered model reads back."""
    failures = set()
    for registration in registrations:
        for row in _rows(registration):
            for value in registration.values:
                if not value.cipher or not row[value.cipher]:
                    continue
                try:
                    plain = pii.decrypt(row[value.cipher], key_id=row[registration.key_id], bound_to=row[value.hash])
                except (pii.CannotDecrypt, ImproperlyConfigured):
                    failures.add(f"{registration.label}.{value.cipher}")
                    continue
                if pii.digest(value.kind, plain) != row[value.hash]:
                    failures.add(f"{registration.label}.{value.hash}")
    return sorted(failures)


def every_registered_cipher(registrations) -> list[str]:
    return sorted(f"{r.label}.{v.cipher}" for r in registrations for v in r.values if v.cipher)


# --- the registry covers every field of the PII kind -------------------------------------------


def test_every_ciphertext_and_keyed_hash_of_every_installed_model_is_registered():
    assert pii.unregistered_fields(apps.get_models(include_auto_created=True)) == []
    assert pii_registry_check() == []


def test_the_modules_protected_rows_are_registered():
    labels = {r.label for r in pii.registered()}
    assert {"core.AccountPhone", "members.Member", "members.JoinApplication", "disputes.Case",
            "mutualaid.SettlementRecord", "mutualaid.Claim", "mutualaid.Payout", "mutualaid.Ledger"} <= labels


@isolate_apps("tests.core")
def test_a_new_models_ciphertext_or_hash_left_unregistered_is_named():
    class HardshipFile(models.Model):
        name = models.CharField(max_length=50)
        id_hash = models.CharField(max_length=64)
        income_cipher = models.BinaryField()
        pii_key_id = models.CharField(max_length=16)

        class Meta:
            app_label = "core"

    assert pii.unregistered_fields([HardshipFile]) == ["core.HardshipFile.id_hash", "core.HardshipFile.income_cipher"]


@isolate_apps("tests.core")
@pytest.mark.parametrize(("values", "key_id", "says"), [
    ((pii.Value("id", "id_hash", "id_ciphertext"),), "pii_key_id", "no field 'id_ciphertext'"),
    ((pii.Value("id", "name", "id_cipher"),), "pii_key_id", "'name' is not a hash field"),
    ((pii.Value("id", "id_hash", "name"),), "pii_key_id", "'name' is not a BinaryField"),
    ((pii.Value("id", "id_hash", "id_cipher"),), "key", "no field 'key'"),
    ((), "pii_key_id", "names no value"),
], ids=["missing-field", "hash-not-a-hash", "cipher-not-binary", "no-key-id-field", "nothing"])
def test_a_wrong_registration_is_refused_at_start_up(values, key_id, says):
    class Stay(models.Model):
        name = models.CharField(max_length=50)
        id_hash = models.CharField(max_length=64)
        id_cipher = models.BinaryField()

        class Meta:
            app_label = "core"

    with pytest.raises(ImproperlyConfigured, match=says):
        pii.register_fields(Stay, *values, key_id=key_id)
    assert Stay not in {r.model for r in pii.registered()}


# --- the database: every registered field holds data, none of it in plain text ------------------

ID_OR_PHONE_RUN = re.compile(r"[0-9Xx]{11,}")


def test_every_registered_field_has_rows_and_no_table_holds_their_plain_values(protected_db):
    plains = set()
    with override_settings(**OLD):
        for registration in protected_db:
            rows = list(_rows(registration))
            for value in registration.values:
                filled = [row for row in rows if row[value.cipher or value.hash]]
                assert filled, f"no row holds {registration.label}.{value.cipher or value.hash}: add one to the demo"
                assert all(re.fullmatch(r"[0-9a-f]{64}", row[value.hash]) for row in filled)
                if value.cipher:
                    plains |= {pii.decrypt(row[value.cipher], key_id=row[registration.key_id],
                                           bound_to=row[value.hash]) for row in filled}
    plains |= {plain[:17] for plain in plains if len(plain) == 18}  # an ID number without its check character
    lengths = {len(plain) for plain in plains}
    leaks = set()
    for table, text in every_stored_value():
        for run in ID_OR_PHONE_RUN.findall(text):
            windows = {run[i:i + n].upper() for n in lengths for i in range(len(run) - n + 1)}
            leaks |= {(table, plain) for plain in windows & plains}
    assert len(plains) > 3000
    assert leaks == set()


# --- rotation --------------------------------------------------------------------------------


def test_after_a_rotation_every_row_reads_back_without_the_old_key(protected_db, monkeypatch):
    with override_settings(**OLD):
        assert unreadable(protected_db) == []
        assert set(keys_in_use()) == {"k1"}
    # The read-back sees a skipped field: a rotation that moves the rows' key ids but not their
    # ciphertexts leaves every registered ciphertext unreadable without the old key.
    with pytest.raises(AssertionError, match="skipped"):
        with transaction.atomic():
            skipping = [replace(r, values=tuple(replace(v, cipher=None) for v in r.values)) for r in protected_db]
            with monkeypatch.context() as patch, override_settings(**BOTH):
                patch.setattr(pii, "registered", lambda: skipping)
                call_command("pii_keys", "--rotate", stdout=io.StringIO())
            with override_settings(**NEW_ONLY):
                assert unreadable(protected_db) == every_registered_cipher(protected_db)
            raise AssertionError("skipped")  # undo the broken rotation (savepoint)

    out = io.StringIO()
    with override_settings(**BOTH):
        call_command("pii_keys", "--rotate", stdout=out)
    assert out.getvalue().endswith("keys still in use besides it: none\n")
    entry = AuditEntry.objects.filter(action="pii.rotate").get()
    assert entry.data["key_id"] == "k2" and set(entry.data["rows"]) == {r.label for r in protected_db if r.key_id}
    assert all(n > 0 for n in entry.data["rows"].values())
    with override_settings(**NEW_ONLY):
        assert unreadable(protected_db) == []
        assert set(keys_in_use()) == {"k2"}
        call_command("pii_keys", "--rotate", stdout=out)  # again: nothing left to move
    assert AuditEntry.objects.filter(action="pii.rotate").order_by("seq").last().data["rows"] == dict.fromkeys(
        entry.data["rows"], 0)

