"""API tokens end: DELETE /api/v1/auth/token revokes the token sent, and expired tokens are refused."""

import datetime as dt

from django.test import Client
from django.utils import timezone

from gonghui.core.models import ApiToken, AuditEntry
from gonghui.core.services import api_token_issue
from tests.api.conftest import ApiClient, assert_json_error


def _delete(token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Client().delete("/api/v1/auth/token", headers=headers)


def test_a_revoked_token_stops_working_and_others_keep_working(tree, yz_cadre):
    token, other = api_token_issue(user=yz_cadre), api_token_issue(user=yz_cadre)
    assert ApiClient(token).get("/api/v1/orgs/YZ").status_code == 200
    response = _delete(token)
    assert response.status_code == 204 and response.content == b""
    assert_json_error(ApiClient(token).get("/api/v1/orgs/YZ"), 401, "unauthenticated")
    assert ApiClient(other).get("/api/v1/orgs/YZ").status_code == 200  # another device stays logged in
    assert ApiToken.objects.filter(user=yz_cadre).count() == 1


def test_revoking_is_audited_without_the_token(tree, yz_cadre):
    token = api_token_issue(user=yz_cadre)
    _delete(token)
    entry = AuditEntry.objects.get(action="auth.token_revoke")
    assert entry.actor_id == yz_cadre.pk
    assert token not in str(entry.data) and token[3:20] not in str(entry.data)


def test_revoking_twice_or_without_a_token_is_a_json_401(tree, yz_cadre):
    token = api_token_issue(user=yz_cadre)
    assert _delete(token).status_code == 204
    body = assert_json_error(_delete(token), 401, "unauthenticated")
    assert "Bearer" in body["detail"]
    assert_json_error(_delete(None), 401, "unauthenticated")
    assert_json_error(_delete("gh_not-a-token"), 401, "unauthenticated")
    assert AuditEntry.objects.filter(action="auth.token_revoke").count() == 1


def test_an_expired_token_can_neither_read_nor_be_revoked(tree, yz_cadre):
    token = api_token_issue(user=yz_cadre)
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert_json_error(ApiClient(token).get("/api/v1/orgs/YZ"), 401, "unauthenticated")
    assert_json_error(_delete(token), 401, "unauthenticated")
    assert ApiToken.objects.count() == 1  # left for `gonghui cleanup`


def test_the_revoke_endpoint_is_in_the_openapi_description(db):
    spec = Client().get("/api/v1/openapi.json").json()
    operation = spec["paths"]["/api/v1/auth/token"]["delete"]
    assert set(operation["responses"]) == {"204", "401"}
