import json

import pytest
from django.test import Client

from gonghui.core.services import api_token_issue


class ApiClient:
    """A test client that sends a bearer token (or none) and reads JSON."""

    def __init__(self, token: str | None = None):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params):
        return self.client.get(path, params, headers=self.headers)

    def post(self, path: str, body: dict):
        return self.client.post(path, json.dumps(body), content_type="application/json", headers=self.headers)


def assert_json_error(response, status: int, code: str | None = None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"detail", "code"}, body
    if code:
        assert body["code"] == code, body
    return body


@pytest.fixture
def api_as():
    """api_as(user) → a client authenticated as ``user``; api_as(None) → anonymous."""

    def make(user):
        return ApiClient(api_token_issue(user=user) if user is not None else None)

    return make
