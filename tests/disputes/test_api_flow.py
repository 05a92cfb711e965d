"""The worker → window → room → agreement → paid path through the API, and what each side sees."""

import datetime as dt

import pytest
from django.utils import timezone

from gonghui.core.models import AuditEntry
from gonghui.disputes.models import Case
from tests.api.conftest import assert_json_error
from tests.factories import valid_id_number

pytestmark = pytest.mark.django_db


def _apply(client, org="BL", **fields):
    body = {
        "org": org, "applicant_name": "李师傅", "id_number": fields.pop("id_number"), "phone": "13900001111",
        "employer_name": "宁波某港口物流有限公司", "claims": [
            {"kind": "unpaid_wages", "amount": "18000.00"}, {"kind": "overtime", "amount": "2400.50"}],
        "knew_on": (timezone.localdate() - dt.timedelta(days=40)).isoformat(),
        "employment_start": "2024-03-01", "summary": "拖欠三个月工资",
    }
    body.update(fields)
    return client.post("/api/v1/disputes/cases", body)


def test_worker_to_paid_through_the_api(api_as, tree, worker, bl_cadre, bl_mediator, rooms):
    from gonghui.members.models import Member

    me = Member.objects.get(user=worker)
    id_number = valid_id_number(7)
    # The worker's own member record has another ID number: they must apply with their own.
    response = _apply(api_as(worker), id_number=id_number)
    assert_json_error(response, 422, "invalid")
    assert not Case.objects.exists()

    # Apply with the ID number the member record holds (decrypt it the way the roster does).
    from gonghui.core import pii
    own_id = pii.decrypt(me.id_cipher, key_id=me.pii_key_id, bound_to=me.id_hash)
    response = _apply(api_as(worker), id_number=own_id)
    assert response.status_code == 201, response.content
    case = response.json()
    assert case["number"].startswith(f"BL-{timezone.localdate().year}-")
    assert case["state"] == "intake"
    assert case["id_number"] == me.id_masked and own_id not in response.content.decode()
    assert case["phone"] == "139****1111"
    assert case["amount_claimed"] == "20400.50"
    assert case["main_claim"] == "unpaid_wages"
    assert case["deadlines"]["mediation"]["due_on"] == (timezone.localdate() + dt.timedelta(days=15)).isoformat()
    url = f"/api/v1/disputes/cases/{case['id']}"

    # The worker sees it in their list; the mediator does not yet (not their room's case).
    assert api_as(worker).get("/api/v1/disputes/cases", mine="true").json()["count"] == 1
    assert_json_error(api_as(bl_mediator).get(url), 404, "not_found")

    # The worker cannot route their own case; the district's cadre does.
    assert_json_error(api_as(worker).post(f"{url}/triage", {"room": "BL-R1"}), 403, "forbidden")
    response = api_as(bl_cadre).post(f"{url}/triage", {"room": "BL-R1"})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "triaged" and response.json()["room"] == "BL-R1"

    mediator = api_as(bl_mediator)
    assert mediator.post(f"{url}/start", {}).json()["state"] == "mediating"
    response = mediator.post(f"{url}/sessions", {"held_at": timezone.now().isoformat(), "place": "北仑区调处工作室",
                                                 "attendees": "李师傅、公司人事", "minutes": "双方同意分两期支付"})
    assert response.status_code == 201, response.content
    today = timezone.localdate()
    response = mediator.post(f"{url}/agreement", {
        "amount": "18000.00", "instalments": [
            {"due_on": today.isoformat(), "amount": "10000"},
            {"due_on": (today + dt.timedelta(days=30)).isoformat(), "amount": "8000.00"}]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "settled"
    assert body["agreement"]["outstanding"] == "18000.00"
    assert [i["amount"] for i in body["agreement"]["instalments"]] == ["10000.00", "8000.00"]

    # Paying more than is owed is refused and changes nothing.
    assert_json_error(mediator.post(f"{url}/payments", {"amount": "18000.01"}), 422, "invalid")
    assert mediator.post(f"{url}/payments", {"amount": "10000"}).json()["state"] == "settled"
    # The closed loop: the district's cadre records the last payment.
    body = api_as(bl_cadre).post(f"{url}/payments", {"amount": "8000.00"}).json()
    assert body["state"] == "paid" and body["agreement"]["outstanding"] == "0.00"
    assert body["agreement"]["paid_on"] == today.isoformat()

    # Only the applicant rates, once.
    assert_json_error(api_as(bl_cadre).post(f"{url}/satisfaction", {"score": 5}), 403)
    assert api_as(worker).post(f"{url}/satisfaction", {"score": 5, "comment": "很及时"}).status_code == 201
    assert_json_error(api_as(worker).post(f"{url}/satisfaction", {"score": 4}), 422)

    assert api_as(bl_cadre).post(f"{url}/close", {}).json()["state"] == "closed"
    assert api_as(bl_cadre).get(url).json()["outcome"] == "paid"

    actions = list(AuditEntry.objects.filter(object_type="disputes.case", object_id=str(case["id"]))
                   .order_by("seq").values_list("action", flat=True))
    assert actions == ["dispute.open", "dispute.triage", "dispute.start", "dispute.session", "dispute.agree",
                       "dispute.payment", "dispute.payment", "dispute.pay_in_full", "dispute.satisfaction",
                       "dispute.close"]

    stats = api_as(bl_cadre).get("/api/v1/orgs/BL/stats", **{"from": today.isoformat(), "to": today.isoformat()}).json()
    assert stats["cases_received"] == 1 and stats["cases_settled"] == 1
    assert stats["amount_recovered"] == "18000.00"
    assert stats["breakdown"]["cases_settled"]["claim"]["unpaid_wages"]["n"] == 1


def test_window_application_by_a_cadre(api_as, tree, bl_cadre, yz_cadre):
    response = _apply(api_as(bl_cadre), channel="window", id_number=valid_id_number(11))
    assert response.status_code == 201, response.content
    assert response.json()["channel"] == "window"
    # A cadre of another district cannot record at BL's window (404: the union is outside their subtree).
    assert_json_error(_apply(api_as(yz_cadre), channel="window", id_number=valid_id_number(12)), 404)


def test_a_court_entrusted_case_goes_back_to_the_court(api_as, tree, bl_cadre, bl_mediator, bl_lawyer, rooms):
    cadre, mediator = api_as(bl_cadre), api_as(bl_mediator)
    today = timezone.localdate()
    response = cadre.post("/api/v1/disputes/referrals", {
        "org": "BL", "channel": "court", "body_name": "宁波市北仑区人民法院", "reference": "（2026）浙0206民诉前调88号",
        "deadline": (today + dt.timedelta(days=30)).isoformat(), "applicant_name": "孙八", "employer_name": "某船厂",
        "claims": [{"kind": "work_injury", "amount": "56000"}]})
    assert response.status_code == 201, response.content
    case = response.json()
    assert case["channel"] == "court" and case["referral_in"]["reference"] == "（2026）浙0206民诉前调88号"
    assert case["deadlines"]["court"]["due_on"] == (today + dt.timedelta(days=30)).isoformat()
    url = f"/api/v1/disputes/cases/{case['id']}"
    cadre.post(f"{url}/triage", {"room": "BL-R1", "mediator": "bl_mediator"})
    mediator.post(f"{url}/start", {})
    # Legal aid: asked by the mediator, taken on by the room's lawyer.
    aid = mediator.post(f"{url}/legal-aid", {"request": "工伤赔偿计算"}).json()
    assert_json_error(mediator.post(f"/api/v1/disputes/legal-aid/{aid['id']}/accept", {}), 403)
    assert api_as(bl_lawyer).post(f"/api/v1/disputes/legal-aid/{aid['id']}/accept", {}).json()["state"] == "accepted"
    body = mediator.post(f"{url}/fail", {"reason": "企业不认可工伤"}).json()
    assert body["state"] == "failed"
    assert body["referral_in"]["result"] == "returned" and body["referral_in"]["result_on"] == today.isoformat()
    # Referred without a target: back to the court that entrusted it.
    body = mediator.post(f"{url}/refer", {}).json()
    assert (body["state"], body["target"], body["target_name"]) == ("referred", "court", "宁波市北仑区人民法院")
    stats = cadre.get("/api/v1/orgs/BL/stats", **{"from": today.isoformat(), "to": today.isoformat()}).json()
    assert stats["cases_referred_in"] == 1 and stats["legal_aid_cases"] == 1 and stats["cases_settled"] == 0


def test_the_worker_withdraws_and_bad_moves_are_refused(api_as, tree, worker, bl_cadre):
    from gonghui.core import pii
    from gonghui.members.models import Member

    me = Member.objects.get(user=worker)
    own_id = pii.decrypt(me.id_cipher, key_id=me.pii_key_id, bound_to=me.id_hash)
    case = _apply(api_as(worker), id_number=own_id).json()
    url = f"/api/v1/disputes/cases/{case['id']}"
    # Closing a case still waiting for triage is not a move of the graph.
    assert_json_error(api_as(bl_cadre).post(f"{url}/close", {}), 422, "invalid")
    assert api_as(worker).post(f"{url}/withdraw", {"reason": "已自行协商解决"}).json()["state"] == "closed"
    assert_json_error(api_as(worker).post(f"{url}/withdraw", {}), 422, "invalid")
    assert api_as(worker).get(url).json()["outcome"] == "withdrawn"
    # Amounts are exact or refused.
    bad = _apply(api_as(worker), id_number=own_id, claims=[{"kind": "overtime", "amount": "12.345"}])
    assert_json_error(bad, 422, "invalid")


@pytest.mark.parametrize("amount", [18000.5, "18000.005", "-1", "1000000000000"])
def test_an_amount_the_money_rule_refuses_is_a_422_and_no_case(api_as, tree, bl_cadre, amount):
    response = _apply(api_as(bl_cadre), channel="window", id_number=valid_id_number(13),
                      claims=[{"kind": "unpaid_wages", "amount": amount}])
    assert_json_error(response, 422)
    assert not Case.objects.exists()
