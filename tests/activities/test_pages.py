"""The workbench and member pages: they render, keep to the user's subtree, refuse bad input in
Chinese and change nothing, and take a worker from registering to checking in."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gonghui.activities import codes, services
from gonghui.activities.models import Activity, Attendance, Mode, Registration, RegStatus
from tests.activities.conftest import kind, make_activity, member_with_login

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


def test_the_home_lists_the_subtree_activities_with_their_cards(tree, yz_cadre):
    make_activity(tree.yz, capacity=3, title="鄞州宣讲")
    make_activity(tree.bl, capacity=3, title="北仑宣讲")
    page = client_of(yz_cadre).get(reverse("staff:activities:home"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "鄞州宣讲" in text and "北仑宣讲" not in text
    assert 'data-kpi="activities_held"' in text and 'data-testid="menu-activities"' in text


def test_a_cadre_creates_an_activity_in_one_form(tree, yz_cadre):
    kind("talk")
    start = (timezone.localtime() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = client_of(yz_cadre).post(reverse("staff:activities:new"), {
        "kind": kind("talk").pk, "title": "工会法宣讲", "mode": Mode.FIRST_COME, "capacity": "50",
        "first_session": start, "duration_minutes": "90", "sessions": "12", "every_days": "7", "offer_hours": "48"})
    activity = Activity.objects.get(title="工会法宣讲")
    assert response.status_code == 302 and response["Location"].endswith(f"/{activity.pk}/")
    assert activity.sessions.count() == 12


def test_a_past_session_is_refused_in_chinese_and_nothing_is_made(tree, yz_cadre):
    start = (timezone.localtime() - dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = client_of(yz_cadre).post(reverse("staff:activities:new"), {
        "kind": kind("talk").pk, "title": "过去的活动", "mode": Mode.FIRST_COME, "first_session": start,
        "duration_minutes": "90", "sessions": "1", "every_days": "7", "offer_hours": "48"})
    assert response.status_code == 400
    assert "过去" in response.content.decode()  # 场次不能开始于过去
    assert not Activity.objects.exists()


def test_an_activity_outside_the_subtree_is_not_found(tree, bl_cadre):
    activity = make_activity(tree.yz, capacity=3)
    client = client_of(bl_cadre)
    assert client.get(reverse("staff:activities:detail", args=[activity.pk])).status_code == 404
    assert client.get(reverse("staff:activities:scan", args=[activity.sessions.get().pk])).status_code == 404
    assert client.post(reverse("staff:activities:draw", args=[activity.pk])).status_code == 404


def test_the_detail_page_shows_registrations_and_the_scanner_checks_in(tree, yz_cadre):
    activity = make_activity(tree.yz, capacity=3)
    member = member_with_login(tree.yze, name="张阿姨")
    services.register(actor=member.user, activity=activity, member=member)
    client = client_of(yz_cadre)
    detail = client.get(reverse("staff:activities:detail", args=[activity.pk]))
    assert "张阿姨" in detail.content.decode()
    scan_url = reverse("staff:activities:scan", args=[activity.sessions.get().pk])
    first = client.post(scan_url, {"code": codes.member_code(member.pk)})
    again = client.post(scan_url, {"code": codes.member_code(member.pk)})
    forged = client.post(scan_url, {"code": codes.member_code(member.pk) + "x"})
    assert "张阿姨" in first.content.decode() and "已签到" in again.content.decode()
    assert "无效" in forged.content.decode()
    assert Attendance.objects.count() == 1
    export = client.get(reverse("staff:activities:attendance_export", args=[activity.pk]))
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")


def test_a_worker_sees_registers_and_cancels(tree):
    activity = make_activity(tree.yz, capacity=1, title="职工篮球赛")
    make_activity(tree.bl, capacity=1, title="北仑的活动")
    member = member_with_login(tree.yze)
    client = client_of(member.user)
    home = client.get(reverse("portal:activities:home")).content.decode()
    assert "职工篮球赛" in home and "北仑的活动" not in home
    client.post(reverse("portal:activities:register", args=[activity.pk]))
    reg = Registration.objects.get(member=member)
    assert reg.status == RegStatus.CONFIRMED
    detail = client.get(reverse("portal:activities:detail", args=[activity.pk])).content.decode()
    assert "名额已确认" in detail
    client.post(reverse("portal:activities:cancel", args=[reg.pk]))
    reg.refresh_from_db()
    assert reg.status == RegStatus.CANCELLED


def test_the_waiting_list_position_is_shown(tree):
    activity = make_activity(tree.yz, capacity=1)
    holder, waiter = member_with_login(tree.yze), member_with_login(tree.yze)
    services.register(actor=holder.user, activity=activity, member=holder)
    client = client_of(waiter.user)
    client.post(reverse("portal:activities:register", args=[activity.pk]), {"wait": "1"})
    page = client.get(reverse("portal:activities:detail", args=[activity.pk])).content.decode()
    assert "候补" in page and "第 1 位" in page


def test_my_code_page_shows_a_signed_code(tree):
    member = member_with_login(tree.yze)
    page = client_of(member.user).get(reverse("portal:activities:code")).content.decode()
    assert codes.member_code(member.pk) in page and "<svg" in page


def test_a_worker_checks_in_with_the_session_code(tree):
    activity = make_activity(tree.yz, mode=Mode.OPEN)
    member = member_with_login(tree.yze)
    url = reverse("portal:activities:self_check_in", args=[codes.session_code(activity.sessions.get().pk)])
    response = client_of(member.user).post(url)
    assert response.status_code == 200 and Attendance.objects.filter(member=member).count() == 1


def test_the_tile_leads_here(tree):
    member = member_with_login(tree.yze)
    home = client_of(member.user).get(reverse("portal:home")).content.decode()
    assert reverse("portal:activities:home") in home
