"""Production settings pass Django's deployment checks; responses carry the security headers."""

import base64
import os
import secrets
import subprocess
import sys

import pytest

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


def manage(*args, env: dict, tmp_path) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}}
    environ.update(env, GONGHUI_DATA_DIR=str(tmp_path))
    return subprocess.run([sys.executable, "-m", "gonghui.manage", *args], env=environ, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("extra", [{}, {"SECURE_HSTS_PRELOAD": "1"}, {"BEHIND_PROXY": "1"}],
                         ids=["plain", "hsts-preload", "behind-proxy"])
def test_check_deploy_is_clean_with_production_settings(tmp_path, extra):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION, **extra}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = manage("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_the_development_defaults_are_flagged_by_check_deploy(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env={"DEBUG": "1"}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "DEBUG" in result.stderr + result.stdout


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
