"""Every error is JSON {"detail", "code"} with the right status; bad input is a 4xx, never a 500."""

import pytest

from tests.api.conftest import assert_json_error
from tests.factories import make_member

ID = "330212199001011234"


@pytest.fixture
def nb(tree, nb_cadre, api_as):
    return api_as(nb_cadre)


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "", "99999999999999999999999999", " ", "1e3"])
def test_a_bad_page_is_422(nb, page):
    body = assert_json_error(nb.get("/api/v1/members", org="NB", page=page), 422, "invalid")
    assert body["detail"][0]["loc"] == ["query", "page"]


def test_a_page_past_the_last_is_422_naming_the_last(nb, tree):
    body = assert_json_error(nb.get("/api/v1/members", org="NB", page=2), 422, "invalid")
    assert body["detail"] == {"page": ["There is no page 2; the last page is 1."]}


def test_page_one_of_an_empty_union_is_an_empty_list(nb):
    assert nb.get("/api/v1/members", org="BLE", page=1).json() == {"count": 0, "page": 1, "pages": 1, "results": []}


@pytest.mark.parametrize("params", [{}, {"org": ""}, {"page": 1}, {"org": "X" * 33}, {"org": "NB", "q": "x" * 51}])
def test_a_missing_or_bad_org_is_422(nb, params):
    assert_json_error(nb.get("/api/v1/members", **params), 422, "invalid")


@pytest.mark.parametrize("params", [
    {"on": "2024-02-30"}, {"on": "yesterday"}, {"on": "0001-01-01"}, {"on": "99999-01-01"}, {"on": "3000-01-01"},
    {"from": "2024-13-01"}, {"to": "2024-1-1x"}, {"from": "2024-02-01", "to": "2024-01-31"}, {"on": ""},
])
def test_bad_dates_are_422(nb, params):
    assert_json_error(nb.get("/api/v1/orgs/NB/stats", **params), 422, "invalid")


def test_a_period_in_order_is_accepted_and_echoed(nb):
    body = nb.get("/api/v1/orgs/NB/stats", **{"from": "2024-01-01", "to": "2024-01-01"}).json()
    assert (body["from"], body["to"]) == ("2024-01-01", "2024-01-01")


def test_the_period_message_says_what_is_wrong(nb):
    body = nb.get("/api/v1/orgs/NB/stats", **{"from": "2024-02-01", "to": "2024-01-31"}).json()
    assert "'from' must be on or before 'to'" in body["detail"][0]["msg"]


def test_validation_errors_do_not_echo_the_input(nb):
    body = assert_json_error(nb.get("/api/v1/members", org="NB", page=ID), 422)
    assert ID not in str(body)
    body = assert_json_error(nb.get("/api/v1/orgs/NB/stats", on=ID), 422)
    assert ID not in str(body)
    assert all(set(error) <= {"type", "loc", "msg"} for error in body["detail"])


def test_an_unknown_code_is_404_without_repeating_it(nb):
    body = assert_json_error(nb.get(f"/api/v1/orgs/{ID}"), 404, "not_found")
    assert ID not in str(body)


@pytest.mark.parametrize("member_id", ["0", "999999", "99999999999999999999999", "-1", "abc", "1.0"])
def test_an_impossible_or_unknown_member_id_is_404(nb, member_id):
    assert_json_error(nb.get(f"/api/v1/members/{member_id}"), 404, "not_found")


@pytest.mark.parametrize("path", ["/api/v1/", "/api/v1/nothing", "/api/v1/orgs/", "/api/v1/orgs/NB/parents",
                                  "/api/v2/orgs/NB", "/api/v1/members/1/reveal"])
def test_an_unknown_path_is_a_json_404(nb, path):
    assert_json_error(nb.get(path), 404, "not_found")


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_wrong_method_is_a_json_405(nb, tree, method):
    response = getattr(nb.client, method)("/api/v1/orgs/NB", headers=nb.headers)
    assert_json_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_get_on_the_token_endpoint_is_405(db, client):
    assert_json_error(client.get("/api/v1/auth/token"), 405)


def test_an_unexpected_error_is_a_json_500_that_leaks_nothing(nb, tree, monkeypatch, caplog):
    def boom(**kwargs):
        raise RuntimeError(f"secret detail {ID} /work/main/src")

    monkeypatch.setattr("gonghui.members.stats_api.subtree_stats", boom)
    response = nb.get("/api/v1/orgs/NB/stats")
    assert_json_error(response, 500, "server_error")
    assert "secret" not in response.content.decode() and ID not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert any(r.name == "gonghui.api" and r.exc_info for r in caplog.records)


def test_an_unexpected_error_is_json_in_debug_too(nb, tree, monkeypatch, settings):
    settings.DEBUG = True
    monkeypatch.setattr("gonghui.members.stats_api.subtree_stats", lambda **kw: 1 / 0)
    response = nb.get("/api/v1/orgs/NB/stats")
    assert_json_error(response, 500, "server_error")
    assert "ZeroDivisionError" not in response.content.decode()


def test_a_database_error_is_a_json_500(nb, tree, monkeypatch):
    from django.db import OperationalError

    def broken(*args, **kwargs):
        raise OperationalError("connection lost")

    monkeypatch.setattr("gonghui.members.api.member_get", broken)
    member = make_member(tree.yze)
    assert_json_error(nb.get(f"/api/v1/members/{member.pk}"), 500, "server_error")


def test_errors_outside_the_api_stay_pages(db, client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_a_query_string_with_odd_characters_is_handled(nb, tree):
    for q in ["%00", "' OR 1=1 --", "王%", "_", "\\"]:
        response = nb.get("/api/v1/members", org="NB", q=q)
        assert response.status_code == 200, (q, response.content)


@pytest.mark.parametrize("path,params", [
    ("/api/v1/members", {"org": "NB", "q": "王\x00"}),
    ("/api/v1/members", {"org": "N\x00B"}),
    ("/api/v1/orgs/N%00B", {}),
    ("/api/v1/orgs/N%00B/stats", {}),
])
def test_a_nul_character_is_a_4xx_on_every_database(nb, tree, path, params):
    response = nb.get(path, **params)
    assert 400 <= response.status_code < 500, response.content
    assert_json_error(response, response.status_code)


def test_a_nul_character_in_a_login_is_a_4xx(db, client):
    response = client.post("/api/v1/auth/token", {"username": "a\x00b", "password": "x"},
                           content_type="application/json")
    assert 400 <= response.status_code < 500


def test_a_foreign_host_is_a_json_400(db, client):
    response = client.get("/api/v1/orgs/NB", HTTP_HOST="evil.example")
    assert_json_error(response, 400, "bad_request")


def test_a_missing_trailing_part_redirects_to_the_api_root_then_404s(db, client):
    response = client.get("/api/v1", follow=True)
    assert_json_error(response, 404, "not_found")
