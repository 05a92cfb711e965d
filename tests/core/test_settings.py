"""Production settings pass Django's deployment checks; responses carry the security headers.

One test runs `gonghui check --deploy` end to end in a fresh process; the others evaluate the
settings module under the environment they give and run the same checks in this process
(``check_deploy``), which is what `manage` does minus starting Python again.
"""

import base64
import io
import os
import runpy
import secrets
import subprocess
import sys
from unittest import mock

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

import gonghui.settings as settings_module
from gonghui.core.sms import SmsSender


class GatewaySender(SmsSender):
    """Stands for a deployment's own sender (which calls its SMS gateway)."""

    def send(self, *, phone: str, text: str) -> None:
        raise ConnectionError("no gateway in tests")


PRODUCTION = {
    "DEBUG": "0",
    "SMS_BACKEND": "tests.core.test_settings.GatewaySender",
    "SECRET_KEY": secrets.token_urlsafe(60),
    "ALLOWED_HOSTS": "example.org",
    "PII_HMAC_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
    "PII_ENCRYPTION_KEYS": "k1:" + base64.urlsafe_b64encode(os.urandom(32)).decode(),
    "AUDIT_ANCHOR_KEY": secrets.token_urlsafe(32),
}


def _environ(env: dict, tmp_path) -> dict:
    """The process environment of a deployment that sets ``env`` (DEBUG and SECRET_KEY only if it does)."""
    environ = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}}
    environ.update(env, GONGHUI_DATA_DIR=str(tmp_path))
    return environ


def manage(*args, env: dict, tmp_path) -> subprocess.CompletedProcess:
    """`gonghui ARGS` in a fresh process under ``env``."""
    return subprocess.run([sys.executable, "-m", "gonghui.manage", *args], env=_environ(env, tmp_path),
                          capture_output=True, text=True, timeout=120)


def settings_under(env: dict, tmp_path) -> dict:
    """The settings that the settings module gives under ``env`` (ImproperlyConfigured as it raises it)."""
    with mock.patch.dict(os.environ, _environ(env, tmp_path), clear=True):
        namespace = runpy.run_path(settings_module.__file__)
    values = {k: v for k, v in namespace.items() if k.isupper()}
    assert values.pop("INSTALLED_APPS") == settings.INSTALLED_APPS  # the registry of this process serves
    del values["DATABASES"]  # the test database stays
    return values


def check_deploy(env: dict, tmp_path, *, fail_level: str = "ERROR") -> tuple[bool, str]:
    """`gonghui check --deploy --fail-level LEVEL` under ``env``, in this process: (passed, output)."""
    out, err = io.StringIO(), io.StringIO()
    with override_settings(**settings_under(env, tmp_path)):
        try:
            call_command("check", "--deploy", "--fail-level", fail_level, stdout=out, stderr=err)
        except SystemCheckError as exc:
            return False, f"{out.getvalue()}{err.getvalue()}{exc}"
    return True, out.getvalue() + err.getvalue()


def test_check_deploy_is_clean_with_production_settings_end_to_end(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION, tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("extra", [{}, {"SECURE_HSTS_PRELOAD": "1"}, {"BEHIND_PROXY": "1"}],
                         ids=["plain", "hsts-preload", "behind-proxy"])
def test_check_deploy_is_clean_with_production_settings(tmp_path, extra):
    passed, output = check_deploy({**PRODUCTION, **extra}, tmp_path, fail_level="WARNING")
    assert passed, output
    assert "no issues" in output


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        settings_under(env, tmp_path)


def test_the_development_defaults_are_flagged_by_check_deploy(tmp_path):
    passed, output = check_deploy({"DEBUG": "1"}, tmp_path, fail_level="WARNING")
    assert not passed
    assert "DEBUG" in output


@pytest.mark.parametrize("path", ["/api/v1/openapi.json", "/api/v1/orgs/NB", "/healthz", "/api/v1/docs"])
def test_responses_carry_the_security_headers(client, db, path):
    response = client.get(path)
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_hsts_is_sent_over_https_in_production(client, db, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_SSL_REDIRECT = False
    response = client.get("/healthz", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000; includeSubDomains")


def test_sessions_expire_and_cookies_are_protected():
    from django.conf import settings

    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE and settings.SESSION_COOKIE_AGE <= 12 * 3600
    assert settings.SESSION_COOKIE_HTTPONLY and settings.SESSION_COOKIE_SAMESITE == "Lax"
    assert settings.AXES_FAILURE_LIMIT == 5
