"""集体协商 in a real browser: a cadre opens a round with the written offer, records the reply,
the talks, the workers' congress vote with its counts, the signature, the filing and the bureau's
confirmation, and announces the contract, which then counts in the module's figures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from gonghui.bargaining.models import Contract, Round, RoundState
from gonghui.orgs.models import OrgKind
from tests.factories import PASSWORD, UserFactory, grant, make_org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def city(transactional_db):
    nb = make_org(code="NB", name="宁波市总工会", kind=OrgKind.CITY)
    yz = make_org(nb, code="YZ", name="鄞州区总工会", kind=OrgKind.DISTRICT)
    yze = make_org(yz, code="YZE", name="鄞州某科技公司工会", kind=OrgKind.ENTERPRISE)
    cadre = UserFactory(username="yze")
    grant(cadre, yze)
    return {"yze": yze}


def _login(page, base: str, username: str):
    page.goto(f"{base}/staff/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def _day(today: dt.date, back: int) -> str:
    return (today - dt.timedelta(days=back)).isoformat()


def _record(page, fields: dict[str, str]):
    form = page.get_by_test_id("step-form")
    for label, value in fields.items():
        form.get_by_label(label, exact=True).fill(value)
    form.get_by_test_id("step-submit").click()


def test_open_offer_vote_file_and_in_force(staff_page, live_server, city, shot):
    page, base, today = staff_page, live_server.url, timezone.localdate()
    _login(page, base, "yze")
    page.goto(f"{base}/staff/bargaining/")
    expect(page.get_by_test_id("menu-bargaining")).to_be_visible()
    page.get_by_test_id("open-round").click()
    form = page.get_by_test_id("round-form")
    form.get_by_label("名称", exact=True).fill("2026年工资专项集体协商")
    form.get_by_label("合同类型").select_option("wage")
    form.get_by_label("企业方", exact=True).fill("鄞州某科技有限公司")
    form.get_by_label("职工人数", exact=True).fill("120")
    form.get_by_label("要约提出方").select_option("union")
    form.get_by_label("要约日期").fill(_day(today, 30))
    form.get_by_test_id("round-submit").click()

    standing = page.get_by_test_id("round-standing")
    expect(standing).to_contain_text("书面回应")
    expect(standing).to_contain_text("逾期")  # 30 days after the offer the reply is late
    _record(page, {"回应日期": _day(today, 25)})
    expect(standing).to_contain_text("开始协商")
    _record(page, {"协商会议日期": _day(today, 20)})
    expect(standing).to_contain_text("草案表决")
    page.get_by_test_id("step-form").get_by_label("表决方式").select_option("congress")
    _record(page, {"表决日期": _day(today, 15), "应到职工代表或职工人数": "40", "实到": "36", "赞成": "33",
                   "反对": "2", "弃权": "1"})
    expect(page.get_by_test_id("votes")).to_contain_text("通过")
    _record(page, {"签订日期": _day(today, 14), "期限起始": _day(today, 5), "期限截止": _day(today, -355),
                   "工会方签字人": "张主席", "企业方签字人": "王总经理", "工资增长（%）": "6.5"})
    expect(standing).to_contain_text("报送人社部门")
    _record(page, {"报送日期": _day(today, 12)})
    expect(standing).to_contain_text("人社部门审查")
    _record(page, {"人社部门答复日期": _day(today, 10)})
    expect(standing).to_contain_text("向职工公布")
    shot(page, "bargaining-round", full_page=True)
    _record(page, {"公布日期": _day(today, 9)})
    expect(page.get_by_test_id("round-state")).to_have_text("已完成")
    row = Round.objects.get()
    assert row.state == RoundState.CONCLUDED and row.votes.get().passed
    contract = Contract.objects.get()
    assert contract.effective_on == today - dt.timedelta(days=10) and contract.workers == 120

    page.get_by_test_id("contract-link").click()
    expect(page.get_by_test_id("contract-state")).to_have_text("有效")
    expect(page.get_by_test_id("coverage")).to_contain_text("鄞州某科技公司工会")
    page.goto(f"{base}/staff/bargaining/")
    expect(page.get_by_test_id("kpi-contracts_in_force")).to_have_text("1")
    expect(page.get_by_test_id("kpi-workers")).to_have_text("120")
    shot(page, "bargaining-home", full_page=True)
    assert not page.problems, page.problems
