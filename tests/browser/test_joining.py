"""Joining and transfers in a real browser: a worker on the phone, cadres on the workbench."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from gonghui.core.models import SmsCode
from gonghui.core.sms import LocmemSender
from gonghui.members.models import JoinApplication, Member, Transfer
from gonghui.orgs.models import OrgKind
from gonghui.stats import tallies
from tests.factories import PASSWORD, UserFactory, grant, make_member, make_org, valid_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13966667777"
ID = valid_id_number(7501, birth=dt.date(1996, 7, 12))


@pytest.fixture
def city(transactional_db):
    nb = make_org(code="NB", name="宁波市总工会", kind=OrgKind.CITY)
    yz = make_org(nb, code="YZ", name="鄞州区总工会", kind=OrgKind.DISTRICT)
    bl = make_org(nb, code="BL", name="北仑区总工会", kind=OrgKind.DISTRICT)
    town = make_org(yz, code="YZT", name="首南街道总工会", kind=OrgKind.TOWNSHIP)
    make_org(town, code="YZE", name="鄞州华海科技有限公司工会", kind=OrgKind.ENTERPRISE)
    make_org(yz, code="YZNF", name="美团外卖首南站点骑手工会", kind=OrgKind.NEW_FORM)
    make_org(yz, code="YZKD", name="中通快递宁波鄞州网点工会", kind=OrgKind.NEW_FORM)
    make_org(yz, code="YZIN", name="鄞州区餐饮行业工会", kind=OrgKind.INDUSTRY)
    ble = make_org(bl, code="BLE", name="北仑港务有限公司工会", kind=OrgKind.ENTERPRISE)
    cadres = {}
    for username, org in (("yz", yz), ("bl", bl)):
        cadres[username] = UserFactory(username=username, first_name=f"{org.name}干部")
        grant(cadres[username], org)
    return {"yz": yz, "bl": bl, "ble": ble}


def _staff_login(page, live_server, username: str):
    page.goto(f"{live_server.url}/staff/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/staff/")


def _sms(page, phone: str, button: str):
    page.get_by_label("手机号码").fill(phone)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_test_id("sms-code-form")).to_be_visible()
    code = LocmemSender.last_code(phone)
    assert len(code) == 6
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name=button).click()


def test_a_worker_joins_a_cadre_approves_and_the_worker_sees_the_card(
        member_page, staff_page, live_server, city, shot):
    page = member_page
    page.goto(f"{live_server.url}/")
    page.get_by_test_id("join-button").click()
    page.wait_for_url(re.compile(r"/join/$"))
    shot(page, "join-1-mobile")
    _sms(page, PHONE, "下一步")
    expect(page.get_by_test_id("join-step-2")).to_contain_text("139****7777")

    page.get_by_label("真实姓名").fill("陈小骑")
    page.get_by_label("身份证号").fill(ID)
    expect(page.locator("#id_id_number-error")).to_have_text("校验位正确。")
    page.get_by_label("工作单位或从业领域").fill("美团外卖")
    page.get_by_label("所属群体").select_option("delivery_rider")
    page.get_by_label("工作所在区县").select_option("YZ")
    choices = page.get_by_test_id("union-choices")
    expect(choices).to_contain_text("美团外卖首南站点骑手工会")  # the rider union first, suggested by trade
    assert choices.locator("label").first.inner_text().startswith("美团外卖首南站点骑手工会")
    page.get_by_label("按名称查找工会").fill("骑手")
    expect(choices).to_contain_text("找到 1 个名称包含“骑手”的工会")
    choices.get_by_text("美团外卖首南站点骑手工会").click()
    shot(page, "join-2-details", full_page=True)
    page.get_by_test_id("join-submit").click()
    page.wait_for_url(re.compile(r"/services/$"))
    expect(page.get_by_test_id("application-status")).to_have_text(re.compile("审核中"))
    expect(page.get_by_test_id("next-step")).to_contain_text("美团外卖首南站点骑手工会正在审核您的信息")
    shot(page, "join-3-services", full_page=True)
    application = JoinApplication.objects.get()
    assert application.id_masked == f"{ID[:6]}********{ID[-4:]}"

    staff = staff_page
    _staff_login(staff, live_server, "yz")
    expect(staff.get_by_test_id("joins-waiting")).to_have_text(re.compile("^1"))
    staff.get_by_test_id("menu-joins").click()
    expect(staff.get_by_test_id("join-count")).to_have_text("共 1 份申请")
    shot(staff, "staff-joins-queue")
    staff.get_by_test_id("join-row").click()
    shot(staff, "staff-join-detail")
    staff.get_by_test_id("approve").click()
    expect(staff.get_by_test_id("join-status")).to_have_text("已同意")
    expect(staff.locator(".gh-messages")).to_contain_text("会员卡号 5105")
    shot(staff, "staff-join-approved")
    member = Member.objects.get()
    assert member.user_id == application.applicant_id and tallies.rebuild() == 0

    # The worker comes back another day: logs in with the mobile and a code, sees the card.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.get_by_test_id("login-sms").click()
    page.wait_for_url(re.compile(r"/login/sms/"))
    # A mobile gets one code a minute: the first one was sent moments ago, so make it older.
    SmsCode.objects.update(created_at=SmsCode.objects.first().created_at - dt.timedelta(minutes=2))
    _sms(page, PHONE, "登录")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/me/")
    card = page.get_by_test_id("member-card")
    expect(card).to_contain_text("陈小骑")
    expect(card).to_contain_text("美团外卖首南站点骑手工会")
    expect(page.get_by_test_id("card-number")).to_have_text(re.compile(r"^5105 "))
    shot(page, "join-4-card", full_page=True)
    assert page.problems == [] and staff.problems == []


def test_a_transfer_asked_by_one_union_agreed_by_the_other_and_approved(
        staff_page, browser, live_server, city, shot):
    from tests.browser.conftest import STAFF_VIEWPORT, _page

    person = make_member(city["ble"], name="郑师傅", id_number=ID, joined_on=dt.date(2019, 4, 1))
    page = staff_page
    _staff_login(page, live_server, "yz")
    page.get_by_test_id("menu-transfers").click()
    page.get_by_test_id("transfer-new").click()
    page.get_by_label("会员身份证号").fill(ID)
    page.get_by_label("备注").fill("2026年3月起在本单位工作")
    page.get_by_role("button", name="登记申请").click()
    expect(page.get_by_test_id("transfer-status")).to_have_text("待转出工会同意")
    expect(page.locator("main")).to_contain_text("另一工会")  # the sending union is not named to YZ
    assert "北仑港务有限公司工会" not in page.locator("main").inner_text()
    assert "郑师傅" not in page.locator("main").inner_text()  # nor the person, before 北仑 agrees
    expect(page.get_by_test_id("awaiting-release")).to_be_visible()
    expect(page.get_by_test_id("approve")).to_have_count(0)
    shot(page, "staff-transfer-requested")

    sending = _page(browser, viewport=STAFF_VIEWPORT)
    try:
        _staff_login(sending, live_server, "bl")
        sending.goto(f"{live_server.url}/staff/orgs/BL/transfers/")
        sending.get_by_test_id("tab-out").click()
        expect(sending.get_by_test_id("transfer-count")).to_have_text("共 1 份转会申请")
        expect(sending.locator("tbody")).to_contain_text("北仑港务有限公司工会")
        shot(sending, "staff-transfers-outgoing")
        sending.get_by_test_id("transfer-row").click()
        expect(sending.get_by_test_id("approve")).to_have_count(0)  # the receiving union approves
        shot(sending, "staff-transfer-to-agree")
        sending.get_by_test_id("release").click()  # 北仑 lets its member go
        expect(sending.get_by_test_id("transfer-release")).to_contain_text("已同意")
        expect(sending.get_by_test_id("release")).to_have_count(0)
        assert sending.problems == []
    finally:
        sending.context.close()

    page.goto(f"{live_server.url}/staff/orgs/YZ/transfers/")
    expect(page.get_by_test_id("transfers-waiting")).to_have_text(re.compile("^1"))
    shot(page, "staff-transfers-incoming")
    page.get_by_test_id("transfer-row").click()
    expect(page.get_by_test_id("transfer-person")).to_contain_text("郑师傅")
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("transfer-status")).to_have_text("已同意")
    person.refresh_from_db()
    assert person.org.code == "YZ" and person.org_since == dt.date.today()
    page.goto(f"{live_server.url}/staff/members/{person.pk}/")
    expect(page.get_by_test_id("periods")).to_contain_text("北仑港务有限公司工会")
    shot(page, "staff-member-periods", full_page=True)
    assert Transfer.objects.get().status == "approved" and tallies.rebuild() == 0
    assert page.problems == []
