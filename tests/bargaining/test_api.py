"""The bargaining API: a round step by step, contracts and coverage, bad input as a 4xx with nothing
changed, and nothing outside the caller's subtree (404 like an unknown one)."""

import pytest

from gonghui.bargaining.models import Contract, Round
from tests.api.conftest import assert_json_error
from tests.bargaining.helpers import D, signed_round, terms

pytestmark = pytest.mark.django_db

ROUND = {"title": "2026年工资专项集体协商", "kind": "wage", "employer": "鄞州某科技有限公司", "workers": 120,
         "offered_by": "union", "offered_on": "2026-09-01"}


def test_a_round_runs_through_the_api(tree, yz_cadre, api_as):
    api = api_as(yz_cadre)
    r = api.post("/api/v1/bargaining/rounds", {**ROUND, "org": "YZE"})
    assert r.status_code == 201, r.content
    body = r.json()
    rid = body["id"]
    assert body["waiting"]["step"] == "reply" and body["waiting"]["due"] == "2026-09-21"
    assert body["waiting"]["consequence"]
    assert api.post(f"/api/v1/bargaining/rounds/{rid}/reply", {"on": "2026-09-18"}).json()["waiting"]["due"] == \
        "2026-10-09"  # 10 working days across the National Day break (and its make-up Saturdays)
    api.post(f"/api/v1/bargaining/rounds/{rid}/talks", {"on": "2026-09-28"})
    r = api.post(f"/api/v1/bargaining/rounds/{rid}/vote", {"body": "all_workers", "held_on": "2026-10-12",
                                                          "eligible": 120, "present": 110, "in_favour": 90,
                                                          "against": 15, "abstained": 5})
    assert r.json()["votes"][0]["passed"] and r.json()["waiting"]["step"] == "sign"
    r = api.post(f"/api/v1/bargaining/rounds/{rid}/sign", {
        "signed_on": "2026-10-13", "starts_on": "2026-11-01", "ends_on": "2027-10-31", "union_signatory": "张主席",
        "employer_signatory": "王总", "wage_growth_pct": "6.5", "minimum_wage": "2600.00"})
    assert r.status_code == 200, r.content
    assert r.json()["waiting"]["step"] == "file" and r.json()["waiting"]["due"] == "2026-10-20"
    r = api.post(f"/api/v1/bargaining/rounds/{rid}/file", {"on": "2026-10-15"})
    contract_number = r.json()["contract"]
    r = api.post(f"/api/v1/bargaining/rounds/{rid}/announce", {"on": "2026-11-02"})
    assert r.json()["state"] == "concluded", r.content
    contract = Contract.objects.get(number=contract_number)
    got = api.get(f"/api/v1/bargaining/contracts/{contract.pk}").json()
    assert got["effective_on"] == "2026-10-31" and got["workers"] == 120 and got["wage_growth_pct"] == "6.50"
    assert got["coverage"] == [{"org": "YZE", "name": tree.yze.name, "workers": 120}]
    cov = api.get("/api/v1/bargaining/coverage", org="YZ", on="2026-11-15").json()
    assert (cov["contracts_in_force"], cov["enterprises"], cov["workers"], cov["rate"]) == (1, 1, 120, "100.0")
    stats = api.get("/api/v1/orgs/YZ/stats", on="2026-11-15", **{"from": "2026-01-01", "to": "2026-12-31"}).json()
    assert stats["contracts_in_force"] == 1 and stats["workers_covered"] == 120
    assert stats["contract_coverage_rate"] == "100.0" and stats["contracts_signed"] == 1


def test_bad_input_is_a_clear_4xx_and_changes_nothing(tree, yz_cadre, api_as):
    api = api_as(yz_cadre)
    rid = api.post("/api/v1/bargaining/rounds", {**ROUND, "org": "YZE"}).json()["id"]
    body = assert_json_error(api.post(f"/api/v1/bargaining/rounds/{rid}/reply", {"on": "2026-08-30"}), 422)
    assert Round.objects.get(pk=rid).replied_on is None
    assert body["detail"]
    r = api.post("/api/v1/bargaining/contracts", {
        "org": "YZE", "title": "x", "kind": "comprehensive", "employer": "x", "signed_on": "2026-01-05",
        "starts_on": "2026-02-01", "ends_on": "2026-01-01", "union_signatory": "a", "employer_signatory": "b",
        "workers": 10})
    assert_json_error(r, 422)
    assert not Contract.objects.exists()
    r = api.post("/api/v1/bargaining/contracts", {
        "org": "YZE", "title": "x", "kind": "wage", "employer": "x", "signed_on": "2026-01-05",
        "starts_on": "2026-02-01", "ends_on": "2027-01-31", "union_signatory": "a", "employer_signatory": "b",
        "workers": 10, "minimum_wage": 2600.5})
    assert_json_error(r, 422)  # amounts travel as decimal text


@pytest.mark.parametrize("who, sees", [("yz_cadre", True), ("nb_cadre", True), ("bl_cadre", False),
                                       ("yz_viewer", True)])
def test_rounds_and_contracts_stay_in_the_subtree(tree, api_as, who, sees, request):
    cadre = request.getfixturevalue("yz_cadre")
    row = signed_round(cadre, tree.yze)
    user = request.getfixturevalue(who)
    api = api_as(user)
    for path in (f"/api/v1/bargaining/rounds/{row.pk}", f"/api/v1/bargaining/contracts/{row.contract_id}"):
        r = api.get(path)
        assert r.status_code == (200 if sees else 404), (path, r.content)
    listed = api.get("/api/v1/bargaining/rounds").json()["count"]
    assert listed == (1 if sees else 0)
    if not sees:
        assert_json_error(api.get("/api/v1/bargaining/coverage", org="YZ"), 404)
        assert_json_error(api.post(f"/api/v1/bargaining/rounds/{row.pk}/file", {"on": "2026-04-29"}), 404)
        assert_json_error(api.post("/api/v1/bargaining/rounds", {**ROUND, "org": "YZE"}), 404)


def test_a_viewer_cannot_move_a_round(tree, yz_cadre, yz_viewer, api_as):
    row = signed_round(yz_cadre, tree.yze, filed=False)
    assert_json_error(api_as(yz_viewer).post(f"/api/v1/bargaining/rounds/{row.pk}/file", {"on": "2026-04-29"}), 403)
    assert Round.objects.get(pk=row.pk).filed_on is None


def test_a_sector_contract_cannot_list_an_enterprise_out_of_reach(tree, yz_cadre, yz_industry, api_as):
    base = terms(yz_industry)
    r = api_as(yz_cadre).post("/api/v1/bargaining/contracts", {
        "org": "YZH", "title": "家政行业工资集体协议", "kind": "wage", "scope": "industry", "employer": "家政协会",
        "signed_on": "2026-01-05", "starts_on": str(base.starts_on), "ends_on": str(base.ends_on),
        "union_signatory": "a", "employer_signatory": "b",
        "covered": [{"org": "YZE", "workers": 30}, {"org": "BLE", "workers": 20}]})
    assert_json_error(r, 404)
    assert not Contract.objects.exists()


def test_renewal_through_the_api_keeps_the_old_contract(tree, yz_cadre, api_as):
    api = api_as(yz_cadre)
    common = {"org": "YZE", "kind": "wage", "employer": "x", "union_signatory": "a", "employer_signatory": "b",
              "workers": 100}
    old = api.post("/api/v1/bargaining/contracts", {**common, "title": "2025", "signed_on": "2025-01-05",
                                                    "filed_on": "2025-01-06", "effective_on": "2025-01-22",
                                                    "starts_on": "2025-02-01", "ends_on": "2026-01-31"}).json()
    new = api.post("/api/v1/bargaining/contracts", {**common, "title": "2026", "signed_on": "2026-01-05",
                                                    "starts_on": "2026-02-01", "ends_on": "2027-01-31",
                                                    "renews": old["id"]})
    assert new.status_code == 201, new.content
    again = api.get(f"/api/v1/bargaining/contracts/{old['id']}").json()
    assert again["renewed_by"] == new.json()["number"] and again["ends_on"] == "2026-01-31"
    assert D(2026, 1, 31).isoformat() == again["ends_on"]
