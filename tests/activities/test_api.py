"""The activities API: create, register (first come, waiting list), draw, shares, check-in; scope and refusals."""

import pytest

from gonghui.activities import codes
from gonghui.activities.models import Activity, Mode, Registration
from tests.activities.conftest import kind, make_activity, member_with_login, soon
from tests.api.conftest import assert_json_error


def _payload(**overrides):
    kind("talk")
    body = {"org": "YZ", "kind": "talk", "title": "劳动法宣讲", "mode": "first_come", "capacity": 2,
            "sessions": [{"starts_at": soon(5).isoformat()}]}
    body.update(overrides)
    return body


def test_a_cadre_creates_an_activity(api_as, yz_cadre):
    response = api_as(yz_cadre).post("/api/v1/activities", _payload())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["org"] == "YZ" and body["capacity"] == 2 and len(body["sessions"]) == 1


def test_a_session_in_the_past_is_refused_and_nothing_is_made(api_as, yz_cadre):
    response = api_as(yz_cadre).post("/api/v1/activities", _payload(sessions=[{"starts_at": soon(-1).isoformat()}]))
    assert_json_error(response, 422)
    assert not Activity.objects.exists()


def test_a_union_outside_the_subtree_is_not_found(api_as, bl_cadre, tree):
    assert_json_error(api_as(bl_cadre).post("/api/v1/activities", _payload()), 404, "not_found")
    activity = make_activity(tree.yz, capacity=3)
    assert_json_error(api_as(bl_cadre).get(f"/api/v1/activities/{activity.pk}"), 404, "not_found")
    assert api_as(bl_cadre).get("/api/v1/activities").json() == []


def test_register_then_full_then_waiting_list(api_as, tree):
    activity = make_activity(tree.yz, capacity=1)
    a, b, c = (member_with_login(tree.yze) for _ in range(3))
    first = api_as(a.user).post(f"/api/v1/activities/{activity.pk}/register", {})
    assert first.status_code == 201 and first.json()["status"] == "confirmed"
    assert_json_error(api_as(a.user).post(f"/api/v1/activities/{activity.pk}/register", {}), 409, "duplicate")
    assert_json_error(api_as(b.user).post(f"/api/v1/activities/{activity.pk}/register", {}), 409, "full")
    waiting = api_as(c.user).post(f"/api/v1/activities/{activity.pk}/register", {"wait": True})
    assert waiting.json()["status"] == "waiting" and waiting.json()["position"] == 1
    cancel = api_as(a.user).post(f"/api/v1/activities/registrations/{first.json()['id']}/cancel", {})
    assert cancel.json()["status"] == "cancelled"
    mine = api_as(c.user).get("/api/v1/activities/mine/registrations").json()
    assert mine[0]["status"] == "offered"
    accepted = api_as(c.user).post(f"/api/v1/activities/registrations/{mine[0]['id']}/accept", {})
    assert accepted.json()["status"] == "confirmed"


def test_someone_elses_registration_is_not_found(api_as, tree):
    activity = make_activity(tree.yz, capacity=3)
    a, b = member_with_login(tree.yze), member_with_login(tree.yze)
    reg = api_as(a.user).post(f"/api/v1/activities/{activity.pk}/register", {}).json()
    assert_json_error(api_as(b.user).post(f"/api/v1/activities/registrations/{reg['id']}/cancel", {}), 404)
    assert Registration.objects.get(pk=reg["id"]).status == "confirmed"


def test_member_outside_the_audience_is_refused(api_as, tree):
    activity = make_activity(tree.yz, capacity=3, audience_women=True)
    man = member_with_login(tree.yze)
    type(man).objects.filter(pk=man.pk).update(sex="M")
    assert_json_error(api_as(man.user).post(f"/api/v1/activities/{activity.pk}/register", {}), 422, "women_only")
    outsider = member_with_login(tree.ble)
    assert_json_error(api_as(outsider.user).post(f"/api/v1/activities/{activity.pk}/register", {}), 404)


def test_draw_is_published_and_refused_twice(api_as, yz_cadre, tree):
    activity = make_activity(tree.yz, mode=Mode.LOTTERY, capacity=1, closes_at=soon(0, 1))
    for _ in range(3):
        m = member_with_login(tree.yze)
        assert api_as(m.user).post(f"/api/v1/activities/{activity.pk}/register", {}).json()["status"] == "applied"
    Activity.objects.filter(pk=activity.pk).update(closes_at=soon(-1))
    drawn = api_as(yz_cadre).post(f"/api/v1/activities/{activity.pk}/draw", {"seed": "2026-五一"})
    assert drawn.status_code == 200, drawn.content
    assert drawn.json()["seed"] == "2026-五一" and len(drawn.json()["winners"]) == 1
    assert len(drawn.json()["entrants"]) == 3
    assert_json_error(api_as(yz_cadre).post(f"/api/v1/activities/{activity.pk}/draw", {}), 409, "already_drawn")


def test_check_in_by_card_code_counts_once_and_refuses_forgeries(api_as, yz_cadre, tree):
    activity = make_activity(tree.yz, capacity=3)
    m = member_with_login(tree.yze)
    api_as(m.user).post(f"/api/v1/activities/{activity.pk}/register", {})
    session = activity.sessions.get()
    code = api_as(m.user).get("/api/v1/activities/mine/card").json()["code"]
    url = f"/api/v1/activities/sessions/{session.pk}/check-in"
    assert api_as(yz_cadre).post(url, {"code": code}).json() == {"member": m.pk, "first_time": True}
    assert api_as(yz_cadre).post(url, {"code": code}).json() == {"member": m.pk, "first_time": False}
    assert_json_error(api_as(yz_cadre).post(url, {"code": code[:-2] + "zz"}), 422, "forged_code")
    assert_json_error(api_as(yz_cadre).post(url, {"code": f"GONGHUI:CARD:{m.card_number}"}), 422, "portal_card")


def test_a_cadre_outside_cannot_scan(api_as, bl_cadre, tree):
    activity = make_activity(tree.yz, capacity=3)
    session = activity.sessions.get()
    m = member_with_login(tree.yze)
    assert_json_error(api_as(bl_cadre).post(f"/api/v1/activities/sessions/{session.pk}/check-in",
                                            {"code": codes.member_code(m.pk)}), 404)


@pytest.mark.parametrize("places", [0, 2])
def test_shares_of_an_allocated_activity(api_as, nb_cadre, yz_cadre, tree, places):
    activity = make_activity(tree.nb, mode=Mode.ALLOCATED, capacity=2)
    share = api_as(nb_cadre).post(f"/api/v1/activities/{activity.pk}/shares", {"org": "YZ", "places": places})
    assert share.status_code == 200, share.content
    m = member_with_login(tree.yze)
    named = api_as(yz_cadre).post(f"/api/v1/activities/shares/{share.json()['id']}/name", {"member": m.pk})
    if places:
        assert named.status_code == 201 and named.json()["status"] == "confirmed"
    else:
        assert_json_error(named, 422, "share_full")
