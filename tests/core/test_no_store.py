"""Answers that carry personal data are never stored by a browser or proxy: every API answer and
every page of a logged-in user says Cache-Control: no-store. Public pages stay cacheable."""

import json

import pytest

from gonghui.core.services import api_token_issue
from tests.factories import PASSWORD, make_member


def no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_api_answers_with_personal_data_are_not_stored(client, yz_cadre, tree):
    member = make_member(tree.yze, name="王存储")
    headers = {"Authorization": f"Bearer {api_token_issue(user=yz_cadre)}"}
    for path in (f"/api/v1/members/{member.pk}", "/api/v1/members?org=YZ", "/api/v1/orgs/YZ/stats"):
        response = client.get(path, headers=headers)
        assert response.status_code == 200 and no_store(response), path


def test_the_token_and_every_api_error_are_not_stored(client, yz_cadre):
    yz_cadre.set_password(PASSWORD)
    yz_cadre.save()
    token = client.post("/api/v1/auth/token", json.dumps({"username": "yz_cadre", "password": PASSWORD}),
                        content_type="application/json")
    assert token.status_code == 200 and no_store(token)
    for response in (client.get("/api/v1/orgs/YZ"), client.get("/api/v1/no/such/path")):
        assert response.status_code in (401, 404) and no_store(response)


@pytest.mark.parametrize("path", ["/staff/", "/staff/orgs/YZ/members/", "/"])
def test_pages_of_a_logged_in_user_are_not_stored(client, yz_cadre, path):
    client.force_login(yz_cadre)
    assert no_store(client.get(path))


def test_public_pages_stay_cacheable(client, db):
    assert not no_store(client.get("/"))
