"""The /api/v1/aid endpoints: plans, enrolment, the insurer's feed, claims, payouts, payment batches; scope."""

import datetime as dt

import pytest
from django.test import Client

from gonghui.core.services import api_token_issue
from gonghui.mutualaid import services
from gonghui.mutualaid.models import Payout
from tests.api.conftest import assert_json_error
from tests.factories import UserFactory, grant, make_member, system_user, valid_id_number
from tests.mutualaid.conftest import jan1, stay_day
from tests.mutualaid.helpers import PDF, PNG, members_with_numbers, record


def plan_body(**over):
    today = dt.date.today()
    body = dict(product="inpatient", year=today.year + 1, name="次年在职住院互助", fee="60.00",
                window_start=str(today), window_end=str(today + dt.timedelta(days=30)), deductible="500",
                tiers=[{"upto": "10000", "ratio": "0.5"}, {"upto": None, "ratio": "0.6"}], yearly_cap="20000",
                stay_cap="15000")
    body.update(over)
    return body


def test_plans_are_defined_by_the_city_and_read_by_everyone(tree, nb_cadre, yz_cadre, worker, api_as):
    assert_json_error(api_as(yz_cadre).post("/api/v1/aid/plans", plan_body()), 403, "forbidden")
    r = api_as(nb_cadre).post("/api/v1/aid/plans", plan_body())
    assert r.status_code == 201, r.content
    plan = r.json()
    assert plan["version"] == 1 and plan["locked"] is False and plan["tiers"][1]["upto"] is None
    assert api_as(worker).get("/api/v1/aid/plans").json()[0]["id"] == plan["id"]
    assert api_as(worker).get(f"/api/v1/aid/plans/{plan['id']}").json()["fee"] == "60.00"
    assert_json_error(api_as(worker).get("/api/v1/aid/plans/999999"), 404, "not_found")
    bad = api_as(nb_cadre).post("/api/v1/aid/plans", plan_body(year=dt.date.today().year + 2,
                                                              tiers=[{"upto": "100", "ratio": "0.5"}]))
    assert_json_error(bad, 422, "invalid")
    assert_json_error(api_as(None).get("/api/v1/aid/plans"), 401)


def test_batch_enrolment_refusal_codes_and_scope(tree, plan, yz_cadre, bl_cadre, api_as):
    a = make_member(tree.yze)
    r = api_as(yz_cadre).post("/api/v1/aid/enrolments", {"plan": plan.pk, "org": "YZ"})
    assert r.status_code == 201, r.content
    assert (r.json()["enrolled"], r.json()["fee_due"]) == (1, "60.00")
    assert_json_error(api_as(bl_cadre).post("/api/v1/aid/enrolments", {"plan": plan.pk, "org": "YZ"}), 404)
    page = api_as(yz_cadre).get("/api/v1/aid/enrolments", org="YZ").json()
    assert page["count"] == 1 and page["results"][0]["id_number"] == a.id_masked
    assert_json_error(api_as(bl_cadre).get("/api/v1/aid/enrolments", org="YZ"), 404)
    assert api_as(bl_cadre).get("/api/v1/aid/enrolments", org="BL").json()["count"] == 0
    closed = services.plan_create(actor=system_user(), product="critical_illness", year=dt.date.today().year,
                                  name="特种重病", fee="20", window_start=jan1(), window_end=jan1(), deductible="0",
                                  tiers=[{"upto": None, "ratio": "0.5"}], yearly_cap="50000")
    if dt.date.today() != jan1():
        assert_json_error(api_as(yz_cadre).post("/api/v1/aid/enrolments", {"plan": closed.pk, "org": "YZ"}),
                          422, "outside_window")


def test_the_insurer_posts_records_idempotently(tree, plan, nb_cadre, yz_cadre, api_as):
    (m, number), = members_with_numbers(tree.yze, 1)
    services.enrol_batch(actor=nb_cadre, plan=plan, org=tree.nb, on=jan1())
    insurer = UserFactory(username="ybj")
    grant(insurer, tree.nb)
    body = {"org": "NB", "records": [record(number, sid="YB-1"), record(valid_id_number(), sid="YB-2"),
                                     record(number, sid="YB-3", admitted_on=str(stay_day(1)),
                                            discharged_on=str(stay_day(3)))]}
    first = api_as(insurer).post("/api/v1/aid/settlements", body)
    assert first.status_code == 200, first.content
    out = {r["settlement_id"]: r for r in first.json()["results"]}
    assert out["YB-1"]["status"] == "priced" and out["YB-1"]["payout"] == "5900.00"
    assert out["YB-2"]["status"] == "rejected" and out["YB-2"]["code"] == "not_a_member" and out["YB-2"]["reason"]
    if stay_day(1) > stay_day(3):
        assert out["YB-3"]["outcome"] == "invalid" and out["YB-3"]["column"] == "discharged_on"
    again = api_as(insurer).post("/api/v1/aid/settlements", body).json()
    assert again["stored"] == 0 and {r["outcome"] for r in again["results"]} <= {"repeated", "invalid"}
    assert {r["settlement_id"]: r["payout"] for r in again["results"]}["YB-1"] == "5900.00"
    assert Payout.objects.count() == 1
    assert number not in first.content.decode() and number not in again.__repr__()
    assert_json_error(api_as(yz_cadre).post("/api/v1/aid/settlements", body), 404)
    feed = api_as(insurer).get(f"/api/v1/aid/feeds/{first.json()['feed']}").json()
    assert feed["reasons"] == {"not_a_member": 1}
    assert_json_error(api_as(yz_cadre).get(f"/api/v1/aid/feeds/{first.json()['feed']}"), 404)
    bad = api_as(insurer).post("/api/v1/aid/settlements", {"org": "NB", "records": [{"settlement_id": "x"}]})
    assert_json_error(bad, 422, "invalid")
    assert number not in bad.content.decode()


def _multipart_claim(client_token, fields, files):
    client = Client()
    data = {**fields, **files}
    return client.post("/api/v1/aid/claims", data, headers={"Authorization": f"Bearer {client_token}"})


def test_claim_review_and_payout_detail_through_the_api(tree, plan, worker, nb_cadre, yz_cadre, bl_cadre, api_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    services.enrol_member(actor=nb_cadre, plan=plan, member=worker.member, on=jan1())
    day = stay_day(5)
    fields = dict(hospital="宁波市第二医院", admitted_on=str(day), discharged_on=str(day), total_cost="50000",
                  fund_paid="20000", self_pay_in="12000", self_pay_out="100")
    files = dict(invoice=SimpleUploadedFile("a.pdf", PDF), itemised_bill=SimpleUploadedFile("b.png", PNG),
                 discharge_summary=SimpleUploadedFile("c.pdf", PDF))
    r = _multipart_claim(api_token_issue(user=worker), fields, files)
    assert r.status_code == 201, r.content
    claim = r.json()
    assert claim["status"] == "submitted" and sorted(claim["documents"]) == ["discharge_summary", "invoice",
                                                                            "itemised_bill"]
    assert api_as(worker).get("/api/v1/aid/claims/mine").json()[0]["id"] == claim["id"]
    assert_json_error(api_as(bl_cadre).get(f"/api/v1/aid/claims/{claim['id']}"), 404)
    assert_json_error(api_as(bl_cadre).post(f"/api/v1/aid/claims/{claim['id']}/approve", {}), 404)
    assert api_as(yz_cadre).get("/api/v1/aid/claims", org="YZ").json()["count"] == 1
    approved = api_as(yz_cadre).post(f"/api/v1/aid/claims/{claim['id']}/approve", {}).json()
    assert approved["status"] == "approved" and approved["payout"]
    detail = api_as(worker).get(f"/api/v1/aid/payouts/{approved['payout']}").json()
    assert detail["amount"] == "5900.00" and detail["source"] == "claim"
    assert detail["explanation"][0].startswith("目录内自付") or "deductible" in detail["explanation"][0]
    assert_json_error(api_as(bl_cadre).get(f"/api/v1/aid/payouts/{approved['payout']}"), 404)
    assert api_as(bl_cadre).get("/api/v1/aid/payouts", org="BL").json()["count"] == 0
    assert api_as(yz_cadre).get("/api/v1/aid/payouts", org="YZ").json()["count"] == 1
    assert_json_error(api_as(yz_cadre).post(f"/api/v1/aid/claims/{claim['id']}/refuse", {"code": "other"}), 422)
    # Payment batch: create (idempotent), export, settle, a failed line retried.
    b = api_as(yz_cadre).post("/api/v1/aid/payment-batches", {"org": "YZ", "idempotency_key": "k1"})
    assert b.status_code == 201 and b.json()["total"] == "5900.00"
    assert api_as(yz_cadre).post("/api/v1/aid/payment-batches", {"org": "YZ", "idempotency_key": "k1"}).json()[
        "id"] == b.json()["id"]
    export = api_as(yz_cadre).get(f"/api/v1/aid/payment-batches/{b.json()['id']}/export", format="csv")
    assert export.status_code == 200 and "5900.00" in export.content.decode("utf-8-sig")
    assert_json_error(api_as(bl_cadre).get(f"/api/v1/aid/payment-batches/{b.json()['id']}/export"), 404)
    settled = api_as(yz_cadre).post(f"/api/v1/aid/payment-batches/{b.json()['id']}/settle",
                                    {"failed": {str(approved["payout"]): "户名不符"}}).json()
    assert settled["failed"] == 1 and settled["status"] == "closed"
    retry = api_as(yz_cadre).post(f"/api/v1/aid/payment-batches/{b.json()['id']}/retry", {})
    assert retry.status_code == 201 and retry.json()["retry_of"] == b.json()["id"]


def test_a_claim_refused_as_not_enrolled_answers_its_code(tree, plan, worker, api_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    day = stay_day(5)
    fields = dict(hospital="医院", admitted_on=str(day), discharged_on=str(day), total_cost="50000",
                  fund_paid="20000", self_pay_in="12000", self_pay_out="100")
    files = dict(invoice=SimpleUploadedFile("a.pdf", PDF), itemised_bill=SimpleUploadedFile("b.png", PNG),
                 discharge_summary=SimpleUploadedFile("c.pdf", PDF))
    assert_json_error(_multipart_claim(api_token_issue(user=worker), fields, files), 422, "not_enrolled")


@pytest.mark.parametrize("fee", [60.5, "60.005", "-1", "1000000000000"])
def test_a_plan_amount_the_money_rule_refuses_is_a_422(tree, nb_cadre, api_as, fee):
    from gonghui.mutualaid.models import Plan

    assert_json_error(api_as(nb_cadre).post("/api/v1/aid/plans", plan_body(fee=fee)), 422)
    assert not Plan.objects.exists()


def test_a_claim_typed_with_a_third_decimal_is_refused_not_rounded(tree, plan, nb_cadre, yz_cadre):
    from django.core.exceptions import ValidationError

    from tests.mutualaid.helpers import claim_fields, documents

    member = make_member(tree.yze)
    services.enrol_member(actor=nb_cadre, plan=plan, member=member, on=jan1())
    with pytest.raises(ValidationError) as refused:
        services.claim_file(actor=yz_cadre, member=member, documents=documents(),
                            **claim_fields(self_pay_in="12000.005"))
    assert "self_pay_in" in refused.value.message_dict
