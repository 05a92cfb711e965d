"""Tokens: issued for a username and password, required everywhere else, guessing locked out."""

import datetime as dt

import pytest
from django.utils import timezone

from gonghui.core.models import ApiToken
from gonghui.core.services import api_token_issue
from tests.api.conftest import ApiClient, assert_json_error
from tests.factories import PASSWORD, UserFactory

TOKEN_URL = "/api/v1/auth/token"


def login(username, password, **extra):
    return ApiClient().client.post(TOKEN_URL, {"username": username, "password": password},
                                   content_type="application/json", **extra)


def test_a_right_password_gets_a_working_token(tree, yz_cadre):
    response = login("yz_cadre", PASSWORD)
    assert response.status_code == 200
    token = response.json()["token"]
    assert token.startswith("gh_")
    assert ApiClient(token).get("/api/v1/orgs/YZ").status_code == 200


def test_only_the_digest_of_a_token_is_stored(tree, yz_cadre):
    token = login("yz_cadre", PASSWORD).json()["token"]
    assert not ApiToken.objects.filter(key_hash=token).exists()
    assert token not in str(list(ApiToken.objects.values()))


def test_a_wrong_password_is_401(tree, yz_cadre):
    assert_json_error(login("yz_cadre", "wrong"), 401, "unauthenticated")


def test_an_unknown_user_is_401(db):
    assert_json_error(login("nobody", "wrong"), 401, "unauthenticated")


def test_an_inactive_user_gets_no_token(db):
    UserFactory(username="gone", is_active=False)
    assert_json_error(login("gone", PASSWORD), 401)


@pytest.mark.parametrize("body", [{}, {"username": "x"}, {"password": "x"}, {"username": ["x"], "password": "y"},
                                  {"username": "x" * 151, "password": "y"}])
def test_a_malformed_body_is_422(db, body):
    response = ApiClient().client.post(TOKEN_URL, body, content_type="application/json")
    assert_json_error(response, 422, "invalid")


def test_a_body_that_is_not_json_is_a_json_error(db):
    response = ApiClient().client.post(TOKEN_URL, "username=x", content_type="application/x-www-form-urlencoded")
    assert 400 <= response.status_code < 500
    assert_json_error(response, response.status_code)


def test_five_wrong_passwords_lock_the_login_with_429(tree, yz_cadre):
    statuses = [login("yz_cadre", "wrong").status_code for _ in range(5)]
    assert statuses[:4] == [401] * 4
    assert statuses[4] == 429
    body = assert_json_error(login("yz_cadre", PASSWORD), 429, "throttled")
    assert "try again later" in body["detail"]


def test_a_lock_is_per_username_and_address(tree, yz_cadre, bl_cadre):
    for _ in range(5):
        login("yz_cadre", "wrong")
    assert login("bl_cadre", PASSWORD).status_code == 200
    assert login("yz_cadre", PASSWORD, REMOTE_ADDR="198.51.100.9").status_code == 200


def test_a_success_before_the_limit_resets_the_count(tree, yz_cadre):
    for _ in range(4):
        login("yz_cadre", "wrong")
    assert login("yz_cadre", PASSWORD).status_code == 200
    assert login("yz_cadre", "wrong").status_code == 401


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer"}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Token abc"},
    {"Authorization": "Basic eXo6cGFzcw=="}, {"Authorization": "Bearer " + "x" * 10_000},
])
def test_without_a_valid_token_every_endpoint_is_401(tree, headers):
    client = ApiClient()
    client.headers = headers
    body = assert_json_error(client.get("/api/v1/orgs/NB"), 401, "unauthenticated")
    assert "Bearer" in body["detail"]


def test_a_401_names_the_scheme(tree):
    assert ApiClient().get("/api/v1/orgs/NB")["WWW-Authenticate"] == "Bearer"


def test_an_expired_token_is_401(tree, yz_cadre):
    token = api_token_issue(user=yz_cadre)
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert_json_error(ApiClient(token).get("/api/v1/orgs/YZ"), 401)


def test_a_deactivated_users_token_stops_working(tree, yz_cadre):
    token = api_token_issue(user=yz_cadre)
    yz_cadre.is_active = False
    yz_cadre.save()
    assert_json_error(ApiClient(token).get("/api/v1/orgs/YZ"), 401)


def test_a_session_login_is_not_an_api_login(tree, yz_cadre, client):
    client.force_login(yz_cadre)
    assert_json_error(client.get("/api/v1/orgs/YZ"), 401)


def test_a_token_login_records_the_last_login(tree, yz_cadre):
    assert yz_cadre.last_login is None
    login("yz_cadre", PASSWORD)
    yz_cadre.refresh_from_db()
    assert yz_cadre.last_login is not None


def test_a_form_login_is_refused(tree, yz_cadre):
    response = ApiClient().client.post(TOKEN_URL, {"username": "yz_cadre", "password": PASSWORD})
    assert_json_error(response, 400, "bad_request")


def test_json_sent_under_another_content_type_is_415(tree, yz_cadre):
    response = ApiClient().client.post(TOKEN_URL, '{"username": "yz_cadre", "password": "x"}', content_type="text/plain")
    assert_json_error(response, 415, "unsupported_media_type")


def test_a_broken_multipart_login_is_a_4xx(tree, yz_cadre):
    response = ApiClient().client.post(TOKEN_URL, b'{"username": "yz_cadre", "password": "x"}',
                                       content_type="multipart/form-data")
    assert 400 <= response.status_code < 500


def test_behind_the_proxy_each_client_address_is_locked_on_its_own(tree, yz_cadre, settings):
    settings.BEHIND_PROXY = True
    for _ in range(5):
        login("yz_cadre", "wrong", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert login("yz_cadre", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    assert login("yz_cadre", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 200


def test_the_token_issue_is_audited_with_the_address(tree, yz_cadre):
    from gonghui.core.models import AuditEntry

    login("yz_cadre", PASSWORD, REMOTE_ADDR="192.0.2.44")
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.actor, entry.ip) == ("auth.token_issue", yz_cadre, "192.0.2.44")


def test_the_token_endpoint_needs_no_csrf_cookie(tree, yz_cadre):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(TOKEN_URL, {"username": "yz_cadre", "password": PASSWORD},
                                                     content_type="application/json")
    assert response.status_code == 200
