"""活动 in a real browser on phones: a worker finds an activity on the 甬工惠 home, registers, shows the
check-in code; the organiser's scanner page on a phone reads it and checks the worker in, once."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from gonghui.activities import services
from gonghui.activities.models import ActivityKind, Attendance, Mode, Registration, RegStatus
from gonghui.orgs.models import OrgKind
from tests.browser.conftest import MEMBER_VIEWPORT, _page
from tests.factories import PASSWORD, UserFactory, grant, make_member, make_org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def city(transactional_db):
    nb = make_org(code="NB", name="宁波市总工会", kind=OrgKind.CITY)
    yz = make_org(nb, code="YZ", name="鄞州区总工会", kind=OrgKind.DISTRICT)
    yze = make_org(yz, code="YZE", name="鄞州某科技公司工会", kind=OrgKind.ENTERPRISE)
    cadre = UserFactory(username="yz")
    grant(cadre, yz)
    worker = UserFactory(username="worker")
    member = make_member(yze, name="李师傅")
    member.user = worker
    member.save(update_fields=["user"])
    kind, _ = ActivityKind.objects.get_or_create(code="training", defaults={"name": "职工培训"})
    start = timezone.now() + dt.timedelta(days=3)
    activity = services.activity_create(actor=cadre, org=yz, kind=kind, title="新就业形态劳动者技能培训班",
                                        mode=Mode.FIRST_COME, capacity=20, place="鄞州区职工服务中心",
                                        sessions=[(start, start + dt.timedelta(hours=2))])
    return {"activity": activity, "member": member}


def _login(page, base: str, username: str, path: str):
    page.goto(f"{base}{path}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_register_on_the_phone_then_check_in_with_the_code(browser, live_server, city, shot):
    base = live_server.url
    phone = _page(browser, viewport=MEMBER_VIEWPORT, is_mobile=True, has_touch=True, device_scale_factor=2)
    _login(phone, base, "worker", "/login/")
    phone.wait_for_url(f"{base}/")
    phone.get_by_role("link", name="普惠活动").click()
    phone.wait_for_url(f"{base}/activities/")
    phone.get_by_test_id("activity").first.click()
    phone.wait_for_url(re.compile(r"/activities/\d+/$"))
    phone.get_by_test_id("register").click()
    expect(phone.get_by_test_id("my-registration")).to_contain_text("名额已确认")
    shot(phone, "activities-member-registered", full_page=True)
    assert Registration.objects.get(member=city["member"]).status == RegStatus.CONFIRMED
    phone.get_by_role("link", name="我的签到码").first.click()
    expect(phone.get_by_test_id("check-in-code").locator("svg")).to_be_visible()
    code = phone.get_by_test_id("code-text").inner_text()
    shot(phone, "activities-member-code", full_page=True)
    assert phone.problems == []

    scanner = _page(browser, viewport=MEMBER_VIEWPORT, is_mobile=True, has_touch=True, device_scale_factor=2)
    _login(scanner, base, "yz", "/staff/login/")
    scanner.wait_for_url(re.compile(r"/staff/"))
    scanner.goto(f"{base}/staff/activities/{city['activity'].pk}/")
    scanner.get_by_test_id("scan-1").click()
    scanner.get_by_role("textbox", name="签到码").fill(code)
    scanner.get_by_test_id("scan-submit").click()
    expect(scanner.get_by_test_id("scan-result")).to_contain_text("李师傅 签到成功")
    scanner.get_by_role("textbox", name="签到码").fill(code)
    scanner.get_by_test_id("scan-submit").click()
    expect(scanner.get_by_test_id("scan-result")).to_contain_text("只计一次")
    expect(scanner.get_by_test_id("attended")).to_have_text("1")
    shot(scanner, "activities-scanner", full_page=True)
    assert Attendance.objects.filter(member=city["member"]).count() == 1
    assert scanner.problems == []
