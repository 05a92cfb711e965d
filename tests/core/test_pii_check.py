"""Without DEBUG, missing or malformed PII keys make `gonghui check --deploy` fail with a clear
message, instead of the first member read failing in production."""

import base64
import io
import os

import pytest
from django.core.management import call_command
from django.test import override_settings

from gonghui.core.checks import pii_keys_check
from tests.core.test_settings import PRODUCTION, check_deploy, settings_under

GOOD_HMAC = PRODUCTION["PII_HMAC_KEY"]
GOOD_KEYS = PRODUCTION["PII_ENCRYPTION_KEYS"]
SHORT = base64.urlsafe_b64encode(os.urandom(16)).decode()


@pytest.mark.parametrize(("keys", "says"), [
    ({}, "Set PII_HMAC_KEY and PII_ENCRYPTION_KEYS"),
    ({"PII_HMAC_KEY": GOOD_HMAC}, "Set both PII_HMAC_KEY and PII_ENCRYPTION_KEYS"),
    ({"PII_HMAC_KEY": GOOD_HMAC, "PII_ENCRYPTION_KEYS": "k1:" + SHORT}, "32 bytes"),
    ({"PII_HMAC_KEY": "not base64 at all!", "PII_ENCRYPTION_KEYS": GOOD_KEYS}, "PII_HMAC_KEY must be base64"),
    ({"PII_HMAC_KEY": GOOD_HMAC, "PII_ENCRYPTION_KEYS": "key with spaces:" + SHORT}, "A PII_ENCRYPTION_KEYS id is 1 to 16"),
], ids=["none", "hmac-only", "short-key", "bad-base64", "bad-key-id"])
def test_check_deploy_fails_on_missing_or_malformed_pii_keys(tmp_path, keys, says):
    env = {k: v for k, v in PRODUCTION.items() if not k.startswith("PII_")} | keys
    passed, output = check_deploy(env, tmp_path)
    assert not passed, output
    assert "gonghui.E001" in output and "Personal data cannot be protected" in output
    assert says in output
    assert "gonghui pii_keys" in output  # the hint says how to make keys


def test_the_key_printer_still_runs_where_no_keys_are_set(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if not k.startswith("PII_")}
    out = io.StringIO()
    with override_settings(**settings_under(env, tmp_path)):
        call_command("pii_keys", skip_checks=False, stdout=out)  # with the checks a command line runs
    assert "PII_HMAC_KEY=" in out.getvalue()


def test_the_check_is_quiet_with_debug_or_with_good_keys(settings):
    settings.DEBUG = True
    settings.PII_HMAC_KEY = settings.PII_ENCRYPTION_KEYS = ""
    assert pii_keys_check() == []
    settings.DEBUG = False
    assert [e.id for e in pii_keys_check()] == ["gonghui.E001"]
    settings.PII_HMAC_KEY, settings.PII_ENCRYPTION_KEYS = GOOD_HMAC, GOOD_KEYS
    assert pii_keys_check() == []
