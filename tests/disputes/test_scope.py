"""Who sees and works which case: sibling districts, a room's staff, the union above, the worker, anonymous."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from gonghui.disputes import selectors, services
from gonghui.disputes.models import State
from tests.api.conftest import assert_json_error
from tests.disputes.conftest import open_case, room_user
from tests.factories import UserFactory, grant, system_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(tree, rooms, bl_cadre, yz_cadre):
    """A case in each district, BL's routed to its district room, one to the township room."""
    bl = open_case(bl_cadre, tree.bl)
    services.case_triage(actor=bl_cadre, case=bl, room=rooms.bl)
    blt = open_case(bl_cadre, tree.blt)
    services.case_triage(actor=bl_cadre, case=blt, room=rooms.blt)
    yz = open_case(yz_cadre, tree.yz)
    services.case_triage(actor=yz_cadre, case=yz, room=rooms.yz)
    return {"bl": bl, "blt": blt, "yz": yz}


def seen(user):
    return {c.number for c in selectors.case_list(user=user)}


def test_sibling_districts_do_not_see_each_other(cases, bl_cadre, yz_cadre, nb_cadre):
    assert seen(bl_cadre) == {cases["bl"].number, cases["blt"].number}
    assert seen(yz_cadre) == {cases["yz"].number}
    assert seen(nb_cadre) == {c.number for c in cases.values()}
    assert selectors.case_get(user=yz_cadre, pk=cases["bl"].pk) is None


def test_a_township_cadre_sees_the_cases_of_its_room_received_above(cases, tree):
    township = UserFactory()
    grant(township, tree.blt)
    assert seen(township) == {cases["blt"].number}


def test_room_staff_see_only_their_room(cases, rooms, bl_mediator, blt_mediator, bl_lawyer):
    assert seen(bl_mediator) == {cases["bl"].number}
    assert seen(blt_mediator) == {cases["blt"].number}
    assert seen(bl_lawyer) == {cases["bl"].number}
    assert selectors.is_dispute_staff(bl_mediator)
    # Staff of a room do not mediate another room's case.
    with pytest.raises(PermissionDenied):
        services.case_start(actor=blt_mediator, case=cases["bl"])
    assert selectors.case_get(user=bl_mediator, pk=cases["bl"].pk).state == State.TRIAGED


def test_a_mediator_role_above_mediates_every_room_of_its_subtree(cases, tree):
    chief = UserFactory()
    grant(chief, tree.bl, "mediator")
    services.case_start(actor=chief, case=cases["blt"])
    assert cases["blt"].state == State.MEDIATING
    with pytest.raises(PermissionDenied):
        services.case_start(actor=chief, case=cases["yz"])


def test_cadres_route_only_their_own_intake(cases, tree, rooms, yz_cadre, bl_mediator):
    fresh = open_case(system_user(), tree.bl)
    with pytest.raises(PermissionDenied):
        services.case_triage(actor=yz_cadre, case=fresh, room=rooms.bl)
    with pytest.raises(PermissionDenied):
        services.case_triage(actor=bl_mediator, case=fresh, room=rooms.bl)


def test_a_case_is_routed_only_within_its_district(tree, rooms, nb_cadre):
    from django.core.exceptions import ValidationError

    fresh = open_case(nb_cadre, tree.bl)
    with pytest.raises(ValidationError):
        services.case_triage(actor=nb_cadre, case=fresh, room=rooms.yz)


def test_the_worker_sees_only_their_own_case(tree, worker, cases):
    from gonghui.core import pii
    from gonghui.members.models import Member

    me = Member.objects.get(user=worker)
    own = services.case_open(actor=worker, org=tree.yz, channel="online", applicant_name=me.name,
                             id_number=pii.decrypt(me.id_cipher, key_id=me.pii_key_id, bound_to=me.id_hash),
                             employer_name="某外卖站点", claims=[{"kind": "unpaid_wages", "amount": "3000"}])
    assert seen(worker) == {own.number}
    assert own.applicant_member_id == me.pk
    # Another worker sees nothing.
    assert seen(UserFactory()) == set()


def test_anonymous_sees_nothing(cases):
    assert seen(AnonymousUser()) == set()
    assert seen(None) == set()


def test_out_of_scope_answers_404_through_the_api(api_as, cases, yz_cadre, bl_mediator, worker):
    for user in (yz_cadre, bl_mediator, worker):
        url = f"/api/v1/disputes/cases/{cases['blt'].pk}"
        assert_json_error(api_as(user).get(url), 404, "not_found")
        assert_json_error(api_as(user).post(f"{url}/start", {}), 404, "not_found")
    assert_json_error(api_as(None).get("/api/v1/disputes/cases"), 401, "unauthenticated")
    # A union outside the subtree answers 404, as an unknown code.
    assert_json_error(api_as(yz_cadre).get("/api/v1/disputes/cases", org="BL"), 404, "not_found")
    assert_json_error(api_as(yz_cadre).get("/api/v1/disputes/dashboard", org="BL"), 404, "not_found")


def test_visible_but_not_allowed_answers_403(api_as, cases, bl_lawyer, tree):
    viewer = UserFactory()
    grant(viewer, tree.bl, "viewer")
    url = f"/api/v1/disputes/cases/{cases['bl'].pk}"
    assert api_as(viewer).get(url).status_code == 200
    assert_json_error(api_as(viewer).post(f"{url}/start", {}), 403, "forbidden")
    assert_json_error(api_as(viewer).post(f"{url}/triage", {"room": "BL-R1"}), 403, "forbidden")


def test_lists_filter_by_state_room_and_overdue(api_as, cases, bl_cadre, rooms):
    client = api_as(bl_cadre)
    assert client.get("/api/v1/disputes/cases", state="triaged").json()["count"] == 2
    assert client.get("/api/v1/disputes/cases", room="BLT-R1").json()["count"] == 1
    assert client.get("/api/v1/disputes/cases", overdue="true").json()["count"] == 0
    assert_json_error(client.get("/api/v1/disputes/cases", room="YZ-R1"), 404)


def test_legal_aid_is_handled_by_the_rooms_lawyer(cases, bl_cadre, bl_mediator, bl_lawyer, rooms):
    other_lawyer = room_user(rooms.blt, "lawyer")
    aid = services.legal_aid_request(actor=bl_cadre, case=cases["bl"], request="代写仲裁申请书")
    for user in (bl_mediator, bl_cadre, other_lawyer):
        with pytest.raises(PermissionDenied):
            services.legal_aid_accept(actor=user, aid=aid)
    services.legal_aid_accept(actor=bl_lawyer, aid=aid)
    assert aid.state == "accepted" and aid.lawyer == bl_lawyer
    services.legal_aid_finish(actor=bl_lawyer, aid=aid, note="已出具法律意见书")
    assert aid.state == "done"
