"""The pages in a real browser: a cadre at 1366×768, a member at 390×844."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from gonghui.members.models import Category
from gonghui.orgs.models import OrgKind
from tests.factories import PASSWORD, UserFactory, grant, make_member, make_org, valid_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CATEGORIES = [Category.COURIER, Category.DELIVERY_RIDER, Category.TRUCK_DRIVER, "", Category.SECURITY_GUARD]


@pytest.fixture
def city(transactional_db):
    """A small city: NB ─ YZ ─ (a township with enterprises, a new-form union) and BL; members of all ages."""
    nb = make_org(code="NB", name="宁波市总工会", kind=OrgKind.CITY)
    yz = make_org(nb, code="YZ", name="鄞州区总工会", kind=OrgKind.DISTRICT)
    make_org(nb, code="BL", name="北仑区总工会", kind=OrgKind.DISTRICT)
    township = make_org(yz, code="YZT", name="首南街道总工会", kind=OrgKind.TOWNSHIP)
    unions = [make_org(township, code=f"YZE{i}", name=f"鄞州{n}科技有限公司工会", kind=OrgKind.ENTERPRISE)
              for i, n in enumerate("华海信明")]
    unions.append(make_org(yz, code="YZNF", name="鄞州区快递行业联合工会", kind=OrgKind.NEW_FORM))
    names = "张伟 王芳 李娜 刘洋 陈静 杨磊 赵敏 黄勇 周杰 吴霞".split()
    members = []
    for n in range(60):
        category = CATEGORIES[n % len(CATEGORIES)]
        members.append(make_member(
            unions[n % len(unions)], name=names[n % len(names)],
            id_number=valid_id_number(5000 + n, birth=dt.date(1965 + n % 38, 1 + n % 12, 1 + n % 27)),
            phone=f"139{n:08d}", category=category, is_new_form=bool(category),
            joined_on=dt.date(2016 + n % 9, 1 + n % 12, 1)))
    cadre = UserFactory(username="yz")
    grant(cadre, yz)
    worker = UserFactory(username="worker")
    card_member = members[7]
    card_member.user = worker
    card_member.save(update_fields=["user"])
    return {"yz": yz, "members": members, "card_member": card_member}


def _login(page, url: str, username: str):
    page.goto(url)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_a_cadre_works_through_stats_members_and_a_member(staff_page, live_server, city, shot):
    page = staff_page
    _login(page, f"{live_server.url}/staff/login/", "yz")
    page.wait_for_url(f"{live_server.url}/staff/")
    assert page.get_by_test_id("current-org").inner_text() == "鄞州区总工会"
    page.wait_for_selector("#chart-category svg")
    shot(page, "staff-home")

    page.get_by_role("link", name="数读").click()
    page.wait_for_url(re.compile(r"/staff/stats/"))
    for key in ("category", "sex", "age", "joined"):
        page.wait_for_selector(f"#chart-{key}[data-rendered] svg")
        assert page.locator(f"#chart-{key} svg path").count() > 3, key
    assert page.get_by_test_id("kpi-members").inner_text() == "60"
    assert page.get_by_test_id("kpi-orgs").inner_text() == "7"
    assert page.get_by_test_id("kpi-new_form_orgs").inner_text() == "1"
    assert page.locator("h1").inner_text() == "鄞州区总工会统计数读"
    page.locator("#chart-sex").scroll_into_view_if_needed()
    page.get_by_test_id("chart-sex").get_by_text("查看数据表").click()
    table = page.get_by_test_id("chart-sex").locator("details[open] table")
    assert table.locator("tfoot").inner_text().split() == ["合计", "60", "100%"]
    shot(page, "staff-stats", full_page=True)

    page.get_by_role("link", name="会员名册").first.click()
    page.wait_for_url(re.compile(r"/staff/orgs/YZ/members/"))
    assert page.get_by_test_id("member-count").inner_text().startswith("共 60 名会员")
    assert page.locator(".gh-member-table tbody tr").count() == 50
    shot(page, "staff-members")
    page.get_by_label("姓名（开头）或会员卡号").fill("黄")  # live search through htmx
    expect(page.get_by_test_id("member-count")).to_have_text(re.compile(r"^共 6 名会员"))
    assert page.locator(".gh-member-table tbody tr").count() == 6

    member = city["card_member"]
    page.get_by_label("姓名（开头）或会员卡号").fill(member.card_number)
    expect(page.get_by_test_id("member-count")).to_have_text(re.compile(r"^共 1 名会员"))
    page.get_by_role("link", name="黄勇").click()
    page.wait_for_url(re.compile(r"/staff/members/\d+/"))
    assert "在会" in page.locator("h1").inner_text()
    assert page.locator("#id-number").inner_text().startswith(member.id_masked)
    page.get_by_test_id("reveal").click()
    page.wait_for_selector("[data-testid=id-full]")
    assert re.fullmatch(r"\d{17}[\dX]", page.get_by_test_id("id-full").inner_text())
    assert page.get_by_test_id("reveal").count() == 0
    shot(page, "staff-member")
    assert page.problems == []


def test_the_add_member_form_checks_the_id_number_as_you_type(staff_page, live_server, city, shot):
    page = staff_page
    _login(page, f"{live_server.url}/staff/login/", "yz")
    page.wait_for_url(f"{live_server.url}/staff/")
    page.goto(f"{live_server.url}/staff/orgs/YZNF/members/add/")
    good = valid_id_number(777, birth=dt.date(1995, 7, 7))
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    box = page.get_by_label("身份证号")
    box.fill(bad)
    assert page.locator("#id_id_number-error").inner_text() == "身份证号校验位不正确，请逐位核对。"
    assert "is-invalid" in box.get_attribute("class")
    shot(page, "staff-member-add-invalid")
    box.fill(good)
    assert page.locator("#id_id_number-error").inner_text() == "校验位正确。"
    page.get_by_label("真实姓名").fill("骑手小林")
    page.get_by_label("所属群体").select_option("delivery_rider")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r"/staff/members/\d+/$"))
    assert page.locator("h1").inner_text().startswith("骑手小林")
    assert page.get_by_text("录入会员库").count() == 1
    assert page.problems == []


def test_a_member_logs_in_and_shows_the_card(member_page, live_server, city, shot):
    page = member_page
    page.goto(f"{live_server.url}/")
    assert page.get_by_test_id("login-button").is_visible()
    shot(page, "member-home-anonymous")
    page.get_by_test_id("login-button").click()
    page.wait_for_url(re.compile(r"/login/"))
    _login(page, f"{live_server.url}/login/", "worker")
    page.wait_for_url(f"{live_server.url}/")
    shot(page, "member-home")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的").click()
    page.wait_for_url(f"{live_server.url}/me/")
    member = city["card_member"]
    card = page.get_by_test_id("member-card")
    assert page.get_by_test_id("card-number").inner_text().replace(" ", "") == member.card_number
    assert "黄勇" in card.inner_text() and member.org.name in card.inner_text()
    qr = page.locator("[data-testid=card-qr] svg")
    box = qr.bounding_box()
    assert box and box["width"] >= 100 and box["height"] >= 100  # big enough to scan
    card_box = card.bounding_box()
    assert card_box["x"] >= 0 and card_box["x"] + card_box["width"] <= 390  # no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "member-card")
    assert page.problems == []


def test_the_union_tree_lists_children_and_searches_live(staff_page, live_server, city, shot):
    page = staff_page
    _login(page, f"{live_server.url}/staff/login/", "yz")
    page.wait_for_url(f"{live_server.url}/staff/")
    page.get_by_role("navigation", name="功能模块").get_by_role("link", name="组织架构").click()
    page.wait_for_url(re.compile(r"/staff/orgs/YZ/$"))
    rows = page.locator("#org-results tbody tr")
    assert rows.count() == 2  # the township and the new-form union
    township = page.locator("#org-results tbody tr", has_text="首南街道总工会")
    assert township.locator("td.num").inner_text() == "48"  # members of its four enterprises
    shot(page, "staff-org", full_page=True)
    page.get_by_label("按名称或代码查找工会").fill("华")
    expect(page.locator("#org-results")).to_contain_text("1 个工会匹配“华”")
    page.get_by_role("link", name="鄞州华科技有限公司工会").click()
    page.wait_for_url(re.compile(r"/staff/orgs/YZE0/$"))
    crumbs = page.get_by_role("navigation", name="组织路径").inner_text()
    assert crumbs.split("\n")[0].startswith("鄞州区总工会")
    assert page.problems == []
