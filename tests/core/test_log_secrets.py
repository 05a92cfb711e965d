"""No secret reaches a log line: API tokens, session ids and SMS codes sent through real requests
are looked for in what the configured log handler writes."""

import io
import logging

import pytest

from gonghui.core.logging import RedactPIIFilter
from gonghui.core.services import api_token_issue
from gonghui.core.sms import SmsSender

PHONE = "13900007777"


@pytest.fixture
def log_output(settings):
    """What the project's console handler writes during the test (its filters included)."""
    settings.DEBUG = True  # django-ninja logs a wrong authentication scheme only in DEBUG
    handler = next(h for h in logging.getLogger().handlers
                   if any(isinstance(f, RedactPIIFilter) for f in h.filters))
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream.getvalue
    handler.setStream(previous)


@pytest.fixture
def token(yz_cadre):
    return api_token_issue(user=yz_cadre)


@pytest.mark.parametrize("header", ["Token {token}", "{token}", "token={token}", "Basic {token}"],
                         ids=["token-scheme", "bare", "as-a-pair", "basic"])
def test_a_token_sent_with_the_wrong_scheme_is_not_logged(client, log_output, token, header):
    response = client.get("/api/v1/orgs/YZ", headers={"Authorization": header.format(token=token)})
    assert response.status_code == 401
    output = log_output()
    assert "Unauthorized" in output
    assert token not in output and token[3:] not in output


def test_a_credential_of_any_shape_in_the_authorization_header_is_not_logged(client, log_output, db):
    secret = "s3cr3t-value-of-another-system"  # no scheme, not our token's shape: only the header tells
    client.get("/api/v1/orgs/YZ", headers={"Authorization": secret})
    output = log_output()
    assert "Unexpected auth" in output and secret not in output


def test_a_token_in_a_path_is_not_logged(client, log_output, token):
    response = client.get(f"/api/v1/orgs/{token}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404
    output = log_output()
    assert "Not Found" in output and token not in output


def test_a_session_id_is_not_logged(client, log_output, yz_cadre):
    client.force_login(yz_cadre)
    session_id = client.cookies["sessionid"].value
    assert client.get(f"/staff/nothing/{session_id}/").status_code == 404
    assert client.get(f"/api/v1/nothing?sessionid={session_id}").status_code == 404
    output = log_output()
    assert "Not Found" in output and session_id not in output


class RefusingGateway(SmsSender):
    """A gateway whose error repeats the whole text, code included (as some client libraries do)."""

    texts: list[str] = []

    def send(self, *, phone: str, text: str) -> None:
        RefusingGateway.texts.append(text)
        raise ConnectionError(f"gateway answered 500 for {phone}: {text!r}")


def test_an_sms_code_is_not_logged_when_the_gateway_repeats_it(client, log_output, settings, db):
    settings.SMS_BACKEND = f"{__name__}.RefusingGateway"
    RefusingGateway.texts.clear()
    client.post("/login/sms/", {"action": "send", "phone": PHONE})
    (text,) = RefusingGateway.texts
    code = next(word for word in text.replace("，", " ").split() if word.isdigit())
    output = log_output()
    assert "The SMS gateway refused a code" in output and "ConnectionError" in output
    assert code not in output and PHONE not in output


def test_the_development_sender_shows_the_code_outside_the_log(client, log_output, settings, capfd, db):
    settings.SMS_BACKEND = "gonghui.core.sms.ConsoleSender"
    client.post("/login/sms/", {"action": "send", "phone": PHONE})
    shown = capfd.readouterr().err
    assert "[development SMS] to 139****7777" in shown and PHONE not in shown
    code = next(word for word in shown.replace("，", " ").split() if len(word) == 6 and word.isdigit())
    assert code not in log_output()
