"""No read or write of the activities API crosses a subtree: every endpoint × cadres of YZ, BL and NB,
a viewer of YZ, a member without a role. An activity outside the caller's reach answers 404, a write
without MANAGE 403 or 404, and nothing changes."""

import pytest

from gonghui.activities import codes
from gonghui.activities.models import Activity, Attendance, Mode
from tests.activities.conftest import make_activity, member_with_login
from tests.factories import UserFactory, grant

USERS = ("yz", "bl", "nb", "yz_viewer", "member")
READS = {"yz": True, "bl": False, "nb": True, "yz_viewer": True, "member": False}
WRITES = {"yz": True, "bl": False, "nb": True, "yz_viewer": False, "member": False}


@pytest.fixture
def world(tree):
    users = {}
    for name, org, kind in (("yz", tree.yz, "cadre"), ("bl", tree.bl, "cadre"), ("nb", tree.nb, "cadre"),
                            ("yz_viewer", tree.yz, "viewer")):
        users[name] = UserFactory(username=f"scope_{name}")
        grant(users[name], org, kind)
    holder = member_with_login(tree.yze)
    users["member"] = member_with_login(tree.ble).user
    activity = make_activity(tree.yz, mode=Mode.LOTTERY, capacity=3)
    plain = make_activity(tree.yz, capacity=3)
    from gonghui.activities import services

    services.register(actor=holder.user, activity=plain, member=holder)
    return {"users": users, "lottery": activity, "plain": plain, "holder": holder,
            "session": plain.sessions.get()}


READ_PATHS = ["/api/v1/activities/{plain}", "/api/v1/activities/{plain}/registrations"]
WRITE_CALLS = [
    ("capacity", "/api/v1/activities/{plain}/capacity", {"capacity": 5}),
    ("check-in", "/api/v1/activities/sessions/{session}/check-in", {"code": "{code}"}),
    ("return", "/api/v1/activities/sessions/{session}/return", {"headcount": 10}),
]


def _fill(text, world):
    return text.format(plain=world["plain"].pk, session=world["session"].pk, code=codes.member_code(world["holder"].pk))


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("path", READ_PATHS)
def test_reads_stay_in_the_subtree(api_as, world, user, path):
    response = api_as(world["users"][user]).get(_fill(path, world))
    assert response.status_code == (200 if READS[user] else 404), response.content


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("name,path,body", WRITE_CALLS)
def test_writes_stay_in_the_subtree(api_as, world, user, name, path, body):
    body = {k: _fill(v, world) if isinstance(v, str) else v for k, v in body.items()}
    response = api_as(world["users"][user]).post(_fill(path, world), body)
    if WRITES[user]:
        assert response.status_code in (200, 422), response.content  # 422: a return before the session is held
    else:
        assert response.status_code in (403, 404), response.content
        assert Activity.objects.get(pk=world["plain"].pk).capacity == 3
        assert not Attendance.objects.exists()


@pytest.mark.parametrize("user", USERS)
def test_the_list_shows_only_the_subtree(api_as, world, user):
    listed = api_as(world["users"][user]).get("/api/v1/activities").json()
    assert bool(listed) == READS[user]
