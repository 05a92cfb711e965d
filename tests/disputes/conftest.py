"""Rooms, room staff and cases for the disputes tests, built through the services."""

import datetime as dt
import html
import re
from dataclasses import dataclass

import pytest
from django.utils import timezone

from gonghui.disputes import services
from gonghui.disputes.models import MediationRoom, RoomLevel, StaffKind
from tests.api.conftest import api_as  # noqa: F401  (fixture)
from tests.factories import UserFactory, system_user, valid_id_number


@dataclass
class Rooms:
    bl: MediationRoom  # district room of 北仑
    blt: MediationRoom  # township room under 北仑
    yz: MediationRoom  # district room of 鄞州


@pytest.fixture
def rooms(tree):
    admin = system_user()
    return Rooms(
        bl=services.room_create(actor=admin, org=tree.bl, code="BL-R1", name="北仑区劳动关系调处工作室",
                                level=RoomLevel.DISTRICT),
        blt=services.room_create(actor=admin, org=tree.blt, code="BLT-R1", name="新碶街道调处工作室",
                                 level=RoomLevel.TOWNSHIP),
        yz=services.room_create(actor=admin, org=tree.yz, code="YZ-R1", name="鄞州区调处工作室",
                                level=RoomLevel.DISTRICT),
    )


def room_user(room, kind=StaffKind.MEDIATOR, **fields):
    user = UserFactory(**fields)
    services.room_staff_add(actor=system_user(), room=room, user=user, kind=kind)
    return user


@pytest.fixture
def bl_mediator(rooms):
    return room_user(rooms.bl, username="bl_mediator")


@pytest.fixture
def blt_mediator(rooms):
    return room_user(rooms.blt, username="blt_mediator")


@pytest.fixture
def bl_lawyer(rooms):
    return room_user(rooms.bl, StaffKind.LAWYER, username="bl_lawyer")


@pytest.fixture
def yz_mediator(rooms):
    return room_user(rooms.yz, username="yz_mediator")


def claim(kind="unpaid_wages", amount="12000.00"):
    return {"kind": kind, "amount": amount}


def open_case(actor, org, *, channel="window", claims=None, id_number=None, received_at=None, **fields):
    fields.setdefault("applicant_name", "张三")
    fields.setdefault("employer_name", "宁波某制造有限公司")
    fields.setdefault("knew_on", timezone.localdate() - dt.timedelta(days=30))
    return services.case_open(actor=actor, org=org, channel=channel, claims=claims or [claim()],
                              id_number=id_number if id_number is not None else valid_id_number(),
                              received_at=received_at, **fields)


def work_queue(page: str) -> dict[str, tuple[int, str]]:
    """The work queue of a module home page: key → (count, the link it opens)."""
    return {m["key"]: (int(m["count"].replace(",", "")), html.unescape(m["url"])) for m in re.finditer(
        r'href="(?P<url>[^"]+)" data-testid="queue-(?P<key>[a-z_]+)">.*?gh-queue-count[^>]*>(?P<count>[\d,]+)<',
        page, re.S)}


def listed_count(client, url: str) -> int:
    """The count a case list page shows."""
    page = client.get(url).content.decode()
    return int(re.search(r'data-testid="case-count">\D*([\d,]+)', page)[1].replace(",", ""))
