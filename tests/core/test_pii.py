"""Personal data at rest: never in plain text anywhere, bound to its row, readable after a key rotation."""

import base64
import hashlib
import hmac
import io
import logging
import os
import threading

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from gonghui.core import pii
from gonghui.core.logging import RedactPIIFilter
from gonghui.core.models import AuditEntry
from gonghui.members.models import Member
from gonghui.members.services import member_create, member_reveal_id_number, member_update
from tests.factories import make_member, valid_id_number

ID_NUMBER = valid_id_number(424242)
PHONE = "13987654321"


def b64key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


HMAC_KEY = b64key()
K1 = f"k1:{b64key()}"
K2 = f"k2:{b64key()}"


@pytest.fixture
def clear_keys():
    pii.keys.cache_clear()
    yield
    pii.keys.cache_clear()


def every_stored_value():
    """Every value of every column of every table, read with raw SQL, as text."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - table names from the schema
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, (bytes, bytearray, memoryview)):
                        yield table, bytes(value).decode("latin-1")
                    elif value is not None:
                        yield table, str(value)


def test_no_plain_id_number_or_phone_is_stored_anywhere(tree, nb_cadre):
    member = member_create(actor=nb_cadre, org=tree.yze, name="张三", id_number=ID_NUMBER, phone=PHONE)
    member_update(actor=nb_cadre, member=member, phone="13911112222", id_number=valid_id_number(424243))
    member_reveal_id_number(actor=nb_cadre, member=member)
    plains = [ID_NUMBER, ID_NUMBER[:17], PHONE, "13911112222", valid_id_number(424243)]
    leaks = [(table, plain) for table, text in every_stored_value() for plain in plains if plain in text]
    assert leaks == []


def test_no_plain_id_number_or_phone_is_sent_to_the_database(tree, nb_cadre):
    with CaptureQueriesContext(connection) as queries:
        member = member_create(actor=nb_cadre, org=tree.yze, name="张三", id_number=ID_NUMBER, phone=PHONE)
        member_update(actor=nb_cadre, member=member, phone="13911112222")
    sql = "\n".join(q["sql"] for q in queries.captured_queries)
    assert ID_NUMBER not in sql and PHONE not in sql and "13911112222" not in sql


def test_a_failed_or_duplicate_entry_leaves_no_plain_number_either(tree, nb_cadre):
    make_member(tree.yze, id_number=ID_NUMBER)
    with pytest.raises(ValidationError) as info:
        member_create(actor=nb_cadre, org=tree.ble, name="李四", id_number=ID_NUMBER, phone=PHONE)
    assert ID_NUMBER not in str(info.value) and PHONE not in str(info.value)
    assert not any(PHONE in text for _t, text in every_stored_value())


def test_the_stored_forms_are_hash_cipher_and_mask(tree):
    member = make_member(tree.yze, id_number=ID_NUMBER, phone=PHONE)
    member.refresh_from_db()
    assert member.id_hash == pii.digest("id", ID_NUMBER)
    assert member.id_masked == f"{ID_NUMBER[:6]}********{ID_NUMBER[-4:]}"
    assert member.phone_masked == "139****4321"
    assert pii.decrypt(member.id_cipher, key_id=member.pii_key_id, bound_to=member.id_hash) == ID_NUMBER
    assert pii.decrypt(member.phone_cipher, key_id=member.pii_key_id, bound_to=member.phone_hash) == PHONE


def test_the_same_number_hashes_the_same_and_kinds_are_kept_apart():
    assert pii.digest("id", ID_NUMBER) == pii.digest("id", ID_NUMBER)
    assert pii.digest("id", ID_NUMBER) != pii.digest("phone", ID_NUMBER)


def test_encrypting_twice_gives_different_ciphertexts():
    first, _ = pii.encrypt(ID_NUMBER, bound_to="h")
    second, _ = pii.encrypt(ID_NUMBER, bound_to="h")
    assert first != second


def test_a_ciphertext_moved_to_another_row_does_not_decrypt(tree, nb_cadre):
    a = make_member(tree.yze, id_number=ID_NUMBER)
    b = make_member(tree.yze, id_number=valid_id_number(424244))
    Member.objects.filter(pk=b.pk).update(id_cipher=a.id_cipher)
    b.refresh_from_db()
    with pytest.raises(pii.CannotDecrypt):
        member_reveal_id_number(actor=nb_cadre, member=b)


def test_an_altered_ciphertext_does_not_decrypt(tree):
    member = make_member(tree.yze, id_number=ID_NUMBER)
    blob = bytearray(member.id_cipher)
    blob[-1] ^= 1
    with pytest.raises(pii.CannotDecrypt):
        pii.decrypt(bytes(blob), key_id=member.pii_key_id, bound_to=member.id_hash)


def test_rows_under_an_old_key_still_decrypt_after_a_new_key_is_put_first(tree, nb_cadre, clear_keys):
    with override_settings(PII_HMAC_KEY=HMAC_KEY, PII_ENCRYPTION_KEYS=K1):
        old = member_create(actor=nb_cadre, org=tree.yze, name="旧", id_number=ID_NUMBER, phone=PHONE)
        assert old.pii_key_id == "k1"
    with override_settings(PII_HMAC_KEY=HMAC_KEY, PII_ENCRYPTION_KEYS=f"{K2},{K1}"):
        old.refresh_from_db()
        assert member_reveal_id_number(actor=nb_cadre, member=old) == ID_NUMBER
        new = member_create(actor=nb_cadre, org=tree.yze, name="新", id_number=valid_id_number(424245))
        assert new.pii_key_id == "k2"


def test_a_missing_old_key_is_a_clear_configuration_error(tree, nb_cadre, clear_keys):
    with override_settings(PII_HMAC_KEY=HMAC_KEY, PII_ENCRYPTION_KEYS=K1):
        old = member_create(actor=nb_cadre, org=tree.yze, name="旧", id_number=ID_NUMBER)
    with override_settings(PII_HMAC_KEY=HMAC_KEY, PII_ENCRYPTION_KEYS=K2):
        with pytest.raises(ImproperlyConfigured, match="k1"):
            pii.decrypt(old.id_cipher, key_id=old.pii_key_id, bound_to=old.id_hash)


def test_changing_the_phone_moves_the_whole_row_to_the_new_key(tree, nb_cadre, clear_keys):
    with override_settings(PII_HMAC_KEY=HMAC_KEY, PII_ENCRYPTION_KEYS=K1):
        member = member_create(actor=nb_cadre, org=tree.yze, name="旧", id_number=ID_NUMBER, phone=PHONE)
    with override_settings(PII_HMAC_KEY=HMAC_KEY, PII_ENCRYPTION_KEYS=f"{K2},{K1}"):
        member_update(actor=nb_cadre, member=member, phone="13911112222")
    with override_settings(PII_HMAC_KEY=HMAC_KEY, PII_ENCRYPTION_KEYS=K2):  # k1 retired
        member.refresh_from_db()
        assert member.pii_key_id == "k2"
        assert member_reveal_id_number(actor=nb_cadre, member=member) == ID_NUMBER


def test_changing_the_id_number_moves_the_phone_to_the_new_key_too(tree, nb_cadre, clear_keys):
    other = valid_id_number(424246)
    with override_settings(PII_HMAC_KEY=HMAC_KEY, PII_ENCRYPTION_KEYS=K1):
        member = member_create(actor=nb_cadre, org=tree.yze, name="旧", id_number=ID_NUMBER, phone=PHONE)
    with override_settings(PII_HMAC_KEY=HMAC_KEY, PII_ENCRYPTION_KEYS=f"{K2},{K1}"):
        member_update(actor=nb_cadre, member=member, id_number=other)
    with override_settings(PII_HMAC_KEY=HMAC_KEY, PII_ENCRYPTION_KEYS=K2):
        member.refresh_from_db()
        assert member.pii_key_id == "k2"
        assert pii.decrypt(member.phone_cipher, key_id="k2", bound_to=member.phone_hash) == PHONE
        assert member_reveal_id_number(actor=nb_cadre, member=member) == other


def test_the_rotate_command_moves_old_rows_to_the_current_key(tree, nb_cadre, clear_keys):
    with override_settings(PII_HMAC_KEY=HMAC_KEY, PII_ENCRYPTION_KEYS=K1):
        members = [member_create(actor=nb_cadre, org=tree.yze, name=f"员{i}", id_number=valid_id_number(500 + i),
                                 phone=f"1390000{i:04d}") for i in range(3)]
    out = io.StringIO()
    with override_settings(PII_HMAC_KEY=HMAC_KEY, PII_ENCRYPTION_KEYS=f"{K2},{K1}"):
        call_command("pii_keys", "--rotate", stdout=out)
    assert "re-encrypted under key 'k2': 0 core.AccountPhone, 3 members.Member, 0 members.JoinApplication" in (
        out.getvalue())
    assert "keys still in use besides it: none" in out.getvalue()
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "pii.rotate"
    assert entry.data["key_id"] == "k2" and entry.data["rows"]["members.Member"] == 3
    with override_settings(PII_HMAC_KEY=HMAC_KEY, PII_ENCRYPTION_KEYS=K2):
        for i, member in enumerate(members):
            member.refresh_from_db()
            assert member_reveal_id_number(actor=nb_cadre, member=member) == valid_id_number(500 + i)
            assert pii.decrypt(member.phone_cipher, key_id="k2", bound_to=member.phone_hash) == f"1390000{i:04d}"


def test_the_pii_keys_command_prints_fresh_usable_keys(clear_keys):
    out = io.StringIO()
    call_command("pii_keys", stdout=out)
    lines = dict(line.split("=", 1) for line in out.getvalue().splitlines() if not line.startswith("#"))
    with override_settings(PII_HMAC_KEY=lines["PII_HMAC_KEY"], PII_ENCRYPTION_KEYS=lines["PII_ENCRYPTION_KEYS"]):
        assert not pii.keys().derived
        assert pii.keys().current_id == "k1"
        cipher, kid = pii.encrypt("x", bound_to="h")
        assert pii.decrypt(cipher, key_id=kid, bound_to="h") == "x"
    second = io.StringIO()
    call_command("pii_keys", stdout=second)
    assert second.getvalue() != out.getvalue()


@pytest.mark.parametrize("hmac_key,enc_keys,message", [
    (HMAC_KEY, "", "both"),
    ("", K1, "both"),
    ("not base64!!", K1, "base64"),
    (base64.urlsafe_b64encode(b"short").decode(), K1, "at least 32"),
    (HMAC_KEY, "k1:" + base64.urlsafe_b64encode(b"short").decode(), "32 bytes"),
    (HMAC_KEY, f"{K1},{K1}", "twice"),
    (HMAC_KEY, f"a-key-id-far-too-long:{b64key()}", "1 to 16"),
    (HMAC_KEY, f":{b64key()}", "1 to 16"),
], ids=["no-encryption-key", "no-hmac-key", "hmac-not-base64", "hmac-short", "aead-short", "key-id-twice",
        "key-id-long", "key-id-empty"])
def test_bad_key_settings_are_refused_clearly(hmac_key, enc_keys, message, clear_keys):
    with override_settings(PII_HMAC_KEY=hmac_key, PII_ENCRYPTION_KEYS=enc_keys):
        with pytest.raises(ImproperlyConfigured, match=message):
            pii.keys()


def test_without_keys_production_refuses_to_start(clear_keys):
    with override_settings(PII_HMAC_KEY="", PII_ENCRYPTION_KEYS="", DEBUG=False, PII_DEV_KEYS_ALLOWED=False):
        with pytest.raises(ImproperlyConfigured):
            pii.keys()


def test_development_keys_say_so(clear_keys, caplog):
    with override_settings(PII_HMAC_KEY="", PII_ENCRYPTION_KEYS="", PII_DEV_KEYS_ALLOWED=True):
        with caplog.at_level(logging.WARNING, logger="gonghui.core.pii"):
            assert pii.keys().derived
    assert "development keys" in caplog.text


def test_member_logs_carry_no_plain_number(tree, nb_cadre, caplog):
    with caplog.at_level(logging.DEBUG):
        member = member_create(actor=nb_cadre, org=tree.yze, name="张三", id_number=ID_NUMBER, phone=PHONE)
        member_reveal_id_number(actor=nb_cadre, member=member)
        with pytest.raises(ValidationError):
            member_create(actor=nb_cadre, org=tree.yze, name="张三", id_number=ID_NUMBER)
    assert ID_NUMBER not in caplog.text and PHONE not in caplog.text


def test_the_configured_log_handlers_redact():
    loggers = [logging.getLogger(), logging.getLogger("django"), logging.getLogger("django.server")]
    # pytest adds its own capturing handlers while a test runs; the configured ones are plain streams.
    handlers = [h for lg in loggers for h in lg.handlers if type(h) is logging.StreamHandler]
    assert len(handlers) == 3
    for handler in handlers:
        assert any(isinstance(f, RedactPIIFilter) for f in handler.filters), handler


def test_the_rotate_command_moves_account_mobiles_and_join_applications_too(tree, clear_keys):
    from gonghui.core.services import account_for_verified_phone
    from gonghui.members.models import JoinApplication
    from gonghui.members.services import join_apply

    with override_settings(PII_HMAC_KEY=HMAC_KEY, PII_ENCRYPTION_KEYS=K1):
        applicant, _ = account_for_verified_phone(phone=PHONE)
        application = join_apply(applicant=applicant, org=tree.yze, name="申", id_number=ID_NUMBER, employer="某公司")
    out = io.StringIO()
    with override_settings(PII_HMAC_KEY=HMAC_KEY, PII_ENCRYPTION_KEYS=f"{K2},{K1}"):
        call_command("pii_keys", "--rotate", stdout=out)
    assert "1 core.AccountPhone, 0 members.Member, 1 members.JoinApplication" in out.getvalue()
    assert "keys still in use besides it: none" in out.getvalue()
    with override_settings(PII_HMAC_KEY=HMAC_KEY, PII_ENCRYPTION_KEYS=K2):
        application = JoinApplication.objects.get(pk=application.pk)
        assert application.pii_key_id == "k2"
        assert pii.decrypt(application.id_cipher, key_id="k2", bound_to=application.id_hash) == ID_NUMBER
        phone = applicant.phone
        phone.refresh_from_db()
        assert pii.decrypt(phone.phone_cipher, key_id="k2", bound_to=phone.phone_hash) == PHONE


# --- the fast forms: the same stored values as the plain HMAC and AES-GCM ---------------------


@pytest.mark.parametrize("key_bytes", [32, 64, 65, 100])  # around SHA-256's block: longer keys are hashed first
def test_the_hash_is_the_standard_hmac_sha256_of_kind_and_value(key_bytes, clear_keys):
    key = os.urandom(key_bytes)
    with override_settings(PII_HMAC_KEY=base64.urlsafe_b64encode(key).decode(), PII_ENCRYPTION_KEYS=K1):
        for kind, value in (("id", ID_NUMBER), ("phone", PHONE), ("id", "")):
            expected = hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
            assert pii.digest(kind, value) == expected
            assert pii.protect(kind, value, "m").hash == expected
            assert pii.protector(kind)(value, "m").hash == expected


def test_a_protector_stores_what_protect_stores(clear_keys):
    with override_settings(PII_HMAC_KEY=HMAC_KEY, PII_ENCRYPTION_KEYS=f"{K2},{K1}"):
        slow = pii.protect("phone", PHONE, "139****4321")
        fast = pii.protector("phone")(PHONE, "139****4321")
        assert (fast.hash, fast.masked, fast.key_id) == (slow.hash, slow.masked, slow.key_id) == (
            pii.digest("phone", PHONE), "139****4321", "k2")
        # nonce ‖ ciphertext ‖ tag, bound to the hash: it opens under the key id and hash only.
        assert len(fast.cipher) == len(slow.cipher) == 12 + len(PHONE) + 16
        assert pii.decrypt(fast.cipher, key_id="k2", bound_to=fast.hash) == PHONE
        with pytest.raises(pii.CannotDecrypt):
            pii.decrypt(fast.cipher, key_id="k2", bound_to=pii.digest("phone", "13900000000"))


def test_every_encryption_gets_a_fresh_nonce_in_every_thread():
    protect = pii.protector("id")
    nonces: list[bytes] = []

    def encrypt_many():
        # More than one batch of nonces read from the kernel, in each thread.
        got = [protect(ID_NUMBER, "m").cipher[:12] for _ in range(2500)]
        got += [pii.encrypt(ID_NUMBER, bound_to="h")[0][:12] for _ in range(100)]
        nonces.extend(got)

    threads = [threading.Thread(target=encrypt_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    encrypt_many()
    assert len(nonces) == 5 * 2600
    assert len(set(nonces)) == len(nonces)


def test_a_forked_process_does_not_reuse_the_nonces_of_its_parent():
    pii.new_nonce()  # the parent holds a batch of nonces not yet used
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next nonces and leave without running anything else
        try:
            os.write(write_end, b"".join(pii.new_nonce() for _ in range(50)))
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        child = pipe.read()
    os.waitpid(pid, 0)
    parent = b"".join(pii.new_nonce() for _ in range(50))
    assert len(child) == 50 * 12
    child_nonces = {child[i : i + 12] for i in range(0, len(child), 12)}
    assert not child_nonces & {parent[i : i + 12] for i in range(0, len(parent), 12)}
