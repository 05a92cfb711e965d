"""No read or write crosses a subtree: every endpoint and service write × every kind of user.

Users: cadres of YZ and BL (sibling districts), the cadre of NB (their parent), a viewer of YZ,
a member with no role, and anonymous. Targets: an enterprise union and a member in each district.
Adding an endpoint or a write is one line in ENDPOINTS or WRITES.
"""

from dataclasses import dataclass, field
from typing import Callable

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from gonghui.core.models import AuditEntry
from gonghui.members.models import JoinApplication, Member, Transfer
from gonghui.members.services import (
    join_apply,
    join_approve,
    join_refuse,
    member_create,
    member_leave,
    member_reveal_id_number,
    member_update,
    transfer_approve,
    transfer_object,
    transfer_refuse,
    transfer_release,
    transfer_request,
)
from gonghui.orgs.models import Org
from gonghui.orgs.services import org_create, org_update
from tests.api.conftest import assert_json_error
from tests.factories import UserFactory, grant, make_member, system_user, valid_id_number, verified_account

DISTRICTS = ("YZ", "BL")
USERS = ("yz", "bl", "nb", "yz_viewer", "member", "anonymous")
# Which districts each user may read.
READS = {"yz": {"YZ"}, "bl": {"BL"}, "nb": {"YZ", "BL"}, "yz_viewer": {"YZ"}, "member": set(), "anonymous": set()}
# Which districts each user may write in and reveal ID numbers of.
WRITES_IN = {"yz": {"YZ"}, "bl": {"BL"}, "nb": {"YZ", "BL"}, "yz_viewer": set(), "member": set(), "anonymous": set()}


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str  # {org}: the code of a union in the district; {member}: the id of a member there
    level: str  # "org": a union's figures or lists; "object": one record. Outside the subtree both are 404

    def url(self, world, district: str) -> str:
        return self.path.format(org=world.orgs[district].code, member=world.members[district].pk,
                                join=world.joins[district].pk, transfer=world.transfers[district].pk)


ENDPOINTS = [
    Endpoint("org detail", "/api/v1/orgs/{org}", "org"),
    Endpoint("org children", "/api/v1/orgs/{org}/children", "org"),
    Endpoint("org stats", "/api/v1/orgs/{org}/stats", "org"),
    Endpoint("org stats on a day", "/api/v1/orgs/{org}/stats?on=2024-01-01&from=2024-01-01&to=2024-12-31", "org"),
    Endpoint("member list", "/api/v1/members?org={org}", "org"),
    Endpoint("member list page 1", "/api/v1/members?org={org}&page=1&q=%E7%8E%8B", "org"),
    Endpoint("member detail", "/api/v1/members/{member}", "object"),
    Endpoint("join queue", "/api/v1/joins?org={org}", "org"),
    Endpoint("join queue, refused", "/api/v1/joins?org={org}&status=refused&page=1", "org"),
    Endpoint("join detail", "/api/v1/joins/{join}", "object"),
    Endpoint("transfers in", "/api/v1/transfers?org={org}&direction=in", "org"),
    Endpoint("transfers out", "/api/v1/transfers?org={org}&direction=out&status=approved", "org"),
    Endpoint("transfer detail", "/api/v1/transfers/{transfer}", "object"),
    # The service modules' lists and figures of a union's subtree.
    Endpoint("hardship files", "/api/v1/hardship/files?org={org}", "org"),
    Endpoint("hardship notices", "/api/v1/hardship/notices?org={org}", "org"),
    Endpoint("activities", "/api/v1/activities?org={org}", "org"),
    Endpoint("stations", "/api/v1/stations?org={org}", "org"),
    Endpoint("bargaining rounds", "/api/v1/bargaining/rounds?org={org}", "org"),
    Endpoint("contracts", "/api/v1/bargaining/contracts?org={org}", "org"),
    Endpoint("contract coverage", "/api/v1/bargaining/coverage?org={org}", "org"),
]


@dataclass
class World:
    users: dict
    orgs: dict  # district code → a union deep in that district
    districts: dict
    members: dict  # district code → a member of that union
    joins: dict = field(default_factory=dict)  # district code → a waiting application to that union
    transfers: dict = field(default_factory=dict)  # district code → a waiting re-joining into that union
    ids: dict = field(default_factory=dict)  # district code → the plain ID number of its member
    outgoing: dict = field(default_factory=dict)  # district code → a transfer out, awaiting its consent


@pytest.fixture
def world(tree, yz_cadre, bl_cadre, nb_cadre, yz_viewer, worker):
    ids = {"YZ": valid_id_number(), "BL": valid_id_number()}
    w = World(
        users={"yz": yz_cadre, "bl": bl_cadre, "nb": nb_cadre, "yz_viewer": yz_viewer, "member": worker,
               "anonymous": None},
        orgs={"YZ": tree.yze, "BL": tree.ble},
        districts={"YZ": tree.yz, "BL": tree.bl},
        members={"YZ": make_member(tree.yze, name="王鄞州", id_number=ids["YZ"]),
                 "BL": make_member(tree.ble, name="王北仑", id_number=ids["BL"])},
        ids=ids,
    )
    for n, district in enumerate(DISTRICTS):
        org = w.orgs[district]
        w.joins[district] = join_apply(applicant=verified_account(f"1390000{n:04d}"), org=org, name="申请人",
                                       id_number=valid_id_number(), employer="某单位")
        back = make_member(org, name="回来了", id_number=(number := valid_id_number()))
        member_leave(actor=system_user(), member=back, reason="离职")
        w.transfers[district] = transfer_request(actor=system_user(), org=org, id_number=number)
        # A member of the district asked for by a cadre of the other one: waiting for this district.
        other = w.orgs["BL" if district == "YZ" else "YZ"]
        asked = make_member(org, name="被商调", id_number=(number := valid_id_number()))
        w.outgoing[district] = Transfer.objects.create(member=asked, from_org=org, from_path=org.path,
                                                       to_org=other, to_path=other.path, source="manual")
    return w


def expected_status(endpoint: Endpoint, user: str, district: str) -> int:
    if user == "anonymous":
        return 401
    if district in READS[user]:
        return 200
    return 404  # a union or object outside the subtree looks exactly like one that does not exist


@pytest.mark.parametrize("district", DISTRICTS)
@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_every_endpoint_answers_only_within_the_callers_subtree(world, api_as, endpoint, user, district):
    response = api_as(world.users[user]).get(endpoint.url(world, district))
    status = expected_status(endpoint, user, district)
    if status == 200:
        assert response.status_code == 200, response.content
    else:
        assert_json_error(response, status)


@pytest.mark.parametrize("user", ["yz", "bl", "nb", "yz_viewer", "member"])
@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if "{org}" in e.path], ids=lambda e: e.name)
def test_an_unknown_union_is_404_for_everyone_signed_in(world, api_as, endpoint, user):
    response = api_as(world.users[user]).get(endpoint.path.format(org="NOSUCH", member=0))
    assert_json_error(response, 404, "not_found")


@pytest.mark.parametrize("user", ["yz", "bl", "nb"])
def test_a_refusal_does_not_reveal_what_is_there(world, api_as, user):
    other = ({"YZ", "BL"} - READS[user])
    for district in other:
        body = api_as(world.users[user]).get(f"/api/v1/members/{world.members[district].pk}").json()
        assert body == {"detail": "Not found.", "code": "not_found"}
        body = api_as(world.users[user]).get(f"/api/v1/orgs/{world.orgs[district].code}").json()
        assert world.orgs[district].name not in str(body)


@pytest.mark.parametrize("user", ["yz", "bl", "nb"])
def test_lists_hold_only_rows_of_the_callers_subtree(world, api_as, user):
    client = api_as(world.users[user])
    for district in READS[user]:
        names = {m["name"] for m in client.get("/api/v1/members", org=district).json()["results"]}
        path = world.districts[district].path
        assert names == set(Member.objects.filter(org_path__startswith=path, status="active")
                            .values_list("name", flat=True))
        assert world.members[district].name in names
    if user == "nb":
        names = {m["name"] for m in client.get("/api/v1/members", org="NB").json()["results"]}
        assert names == {"王鄞州", "王北仑", "李师傅", "被商调"}
        children = {o["code"] for o in client.get("/api/v1/orgs/NB/children").json()}
        assert children == {"YZ", "BL"}


@pytest.mark.parametrize("user", ["yz", "bl"])
def test_a_district_cannot_query_its_parent(world, api_as, user):
    client = api_as(world.users[user])
    for path in ("/api/v1/orgs/NB", "/api/v1/orgs/NB/children", "/api/v1/orgs/NB/stats"):
        assert_json_error(client.get(path), 404, "not_found")
    assert_json_error(client.get("/api/v1/members", org="NB"), 404, "not_found")


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if "{org}" in e.path], ids=lambda e: e.name)
def test_a_union_of_another_district_answers_as_an_unknown_code(world, api_as, endpoint):
    client = api_as(world.users["yz"])
    elsewhere = client.get(endpoint.url(world, "BL"))
    unknown = client.get(endpoint.path.format(org="NOSUCH"))
    assert (elsewhere.status_code, elsewhere.json()) == (unknown.status_code, unknown.json())


def test_a_union_seen_but_not_managed_still_answers_403(world, api_as):
    body = {"org": world.orgs["YZ"].code, "id_number": world.ids["BL"], "name": "王北仑"}
    assert_json_error(api_as(world.users["yz_viewer"]).post("/api/v1/transfers", body), 403, "forbidden")


# --- service writes -----------------------------------------------------------------------


@dataclass(frozen=True)
class Write:
    name: str
    run: Callable  # (actor, world, district) → None
    reveals: bool = False
    audits: int = 1  # audit lines it writes


def _create_org(actor, w, d):
    org_create(actor=actor, parent=w.orgs[d], code=f"NEW{d}", name="新工会", kind="enterprise")


def _update_org(actor, w, d):
    org_update(actor=actor, org=w.orgs[d], name="改名了")


def _create_member(actor, w, d):
    member_create(actor=actor, org=w.orgs[d], name="新会员", id_number=valid_id_number(), phone="13900002222")


def _update_member(actor, w, d):
    member_update(actor=actor, member=w.members[d], name="改名了", phone="13900003333")


def _reveal(actor, w, d):
    member_reveal_id_number(actor=actor, member=w.members[d])


def _leave(actor, w, d):
    member_leave(actor=actor, member=w.members[d], reason="离职")


def _approve_join(actor, w, d):
    join_approve(actor=actor, application=w.joins[d])


def _refuse_join(actor, w, d):
    join_refuse(actor=actor, application=w.joins[d], reason="材料不全")


def _request_transfer(actor, w, d):
    other = "BL" if d == "YZ" else "YZ"  # anyone in the member database may be asked for
    transfer_request(actor=actor, org=w.orgs[d], id_number=w.ids[other])


def _approve_transfer(actor, w, d):
    transfer_approve(actor=actor, transfer=w.transfers[d])


def _refuse_transfer(actor, w, d):
    transfer_refuse(actor=actor, transfer=w.transfers[d], reason="不符合条件")


def _release_transfer(actor, w, d):
    transfer_release(actor=actor, transfer=w.outgoing[d])


def _object_to_transfer(actor, w, d):
    transfer_object(actor=actor, transfer=w.outgoing[d], reason="合同未到期")


WRITES = [
    Write("org_create", _create_org),
    Write("org_update", _update_org),
    Write("member_create", _create_member),
    Write("member_update", _update_member),
    Write("member_reveal_id_number", _reveal, reveals=True),
    Write("member_leave", _leave),
    Write("join_approve", _approve_join, audits=2),  # member.create and join.approve
    Write("join_refuse", _refuse_join),
    Write("transfer_request", _request_transfer),
    Write("transfer_approve", _approve_transfer),
    Write("transfer_refuse", _refuse_transfer),
    Write("transfer_release", _release_transfer),
    Write("transfer_object", _object_to_transfer),
]


def state():
    """Everything a write could change."""
    return (
        list(Org.objects.order_by("pk").values_list("pk", "code", "name", "path", "star_rating")),
        list(Member.objects.order_by("pk").values_list("pk", "name", "org_id", "phone_hash", "id_hash", "pii_key_id",
                                                       "status")),
        AuditEntry.objects.count(),
        list(JoinApplication.objects.order_by("pk").values_list("pk", "status")),
        list(Transfer.objects.order_by("pk").values_list("pk", "status")),
    )


@pytest.mark.parametrize("district", DISTRICTS)
@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.name)
def test_every_write_is_allowed_only_within_the_callers_subtree(world, write, user, district):
    actor = world.users[user] or AnonymousUser()
    before = state()
    if district in WRITES_IN[user]:
        write.run(actor, world, district)
        assert AuditEntry.objects.count() == before[2] + write.audits
    else:
        with pytest.raises(PermissionDenied):
            write.run(actor, world, district)
        assert state() == before


def test_a_viewer_of_the_city_still_cannot_write_or_reveal(world):
    viewer = UserFactory()
    grant(viewer, Org.objects.get(code="NB"), "viewer")
    for write in WRITES:
        before = state()
        with pytest.raises(PermissionDenied):
            write.run(viewer, world, "YZ")
        assert state() == before


def test_a_cadre_below_a_union_cannot_write_above_it(world, tree):
    township_cadre = UserFactory()
    grant(township_cadre, tree.yzt)
    before = state()
    with pytest.raises(PermissionDenied):
        org_update(actor=township_cadre, org=tree.yz, name="越级")
    with pytest.raises(PermissionDenied):
        member_create(actor=township_cadre, org=tree.yz, name="越级", id_number=valid_id_number())
    assert state() == before
