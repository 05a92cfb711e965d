"""困难职工帮扶 in a real browser: a worker self-tests and applies on the phone, the union checks and
puts the file in public notice, the union above approves, a night visit records the month's income,
送温暖 is paid from a list exactly once, the family is lifted out, and the worker sees it all."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from gonghui.assistance import rules
from gonghui.assistance.models import FileStatus, Grant, HardshipFile, MonthlyIncome
from gonghui.orgs.models import OrgKind
from tests.factories import PASSWORD, UserFactory, grant, make_member, make_org, valid_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PDF = b"%PDF-1.4\n%unit certificate\n"


@pytest.fixture
def city(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    nb = make_org(code="NB", name="宁波市总工会", kind=OrgKind.CITY)
    yz = make_org(nb, code="YZ", name="鄞州区总工会", kind=OrgKind.DISTRICT)
    yzt = make_org(yz, code="YZT", name="首南街道总工会", kind=OrgKind.TOWNSHIP)
    yze = make_org(yzt, code="YZE", name="鄞州某科技公司工会", kind=OrgKind.ENTERPRISE)
    for code, org in (("yz", yz), ("yzt", yzt)):
        grant(UserFactory(username=code), org)
    worker = UserFactory(username="worker")
    member = make_member(yze, name="张建国", id_number=valid_id_number(8001))
    member.user = worker
    member.save(update_fields=["user"])
    return {"member": member}


def _login(page, base: str, username: str, path: str = "/staff/login/"):
    page.goto(f"{base}{path}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_apply_notice_approve_visit_help_and_lift_out(browser, live_server, city, shot):
    from tests.browser.conftest import MEMBER_VIEWPORT, STAFF_VIEWPORT, _page

    base, today = live_server.url, timezone.localdate()
    phone = _page(browser, viewport=MEMBER_VIEWPORT, is_mobile=True, has_touch=True)

    # 1. The worker checks on the phone whether the family may qualify, then applies.
    _login(phone, base, "worker", "/login/")
    phone.goto(f"{base}/hardship/")
    phone.get_by_test_id("self-test").click()
    phone.get_by_label("家庭年可支配收入（元）").fill("30000")
    phone.get_by_label("家庭人口").fill("3")
    phone.get_by_test_id("self-test-submit").click()
    expect(phone.get_by_test_id("self-test-result")).to_contain_text("深度困难")
    expect(phone.get_by_test_id("self-test-result")).to_contain_text("1062")
    shot(phone, "hardship-self-test", full_page=True)
    phone.get_by_test_id("apply-with-figures").click()
    phone.get_by_label("本人年收入（元）").fill("20000")
    rows = phone.get_by_test_id("household-rows")
    phone.locator("#id_p0_name").fill("张丽")
    phone.locator("#id_p0_relation").select_option("spouse")
    phone.locator("#id_p0_id").fill(valid_id_number(9001))
    phone.locator("#id_p0_income").fill("10000")
    expect(rows).to_be_visible()
    phone.get_by_label("重大疾病年支出").fill("6000")
    phone.get_by_label("致困原因说明").fill("妻子患慢性肾病，长期透析")
    phone.locator("#id_documents").set_input_files({"name": "单位证明.pdf", "mimeType": "application/pdf",
                                                    "buffer": PDF})
    phone.get_by_test_id("apply-submit").click()
    phone.wait_for_url(f"{base}/hardship/")
    expect(phone.get_by_test_id("my-file-status")).to_have_text("已申请，待工会审核")
    shot(phone, "hardship-applied")
    f = HardshipFile.objects.get()
    assert (f.grade, f.per_capita) == ("deep", Decimal("1000.00"))  # (30000 − 6000) ÷ 12 ÷ 2

    # 2. The township union checks it and starts the public notice; the menu badge shows the work.
    staff = _page(browser, viewport=STAFF_VIEWPORT)
    _login(staff, base, "yzt")
    staff.wait_for_url(f"{base}/staff/")
    expect(staff.get_by_test_id("assistance-waiting")).to_contain_text("1")
    staff.get_by_test_id("menu-assistance").click()
    staff.wait_for_url(f"{base}/staff/hardship/")
    expect(staff.get_by_test_id("queue-submitted")).to_have_text("1")
    shot(staff, "hardship-home")
    staff.goto(f"{base}/staff/hardship/files/{f.pk}/")
    expect(staff.get_by_test_id("working")).to_contain_text("1000.00")
    expect(staff.get_by_test_id("working")).to_contain_text("深度困难")
    shot(staff, "hardship-file", full_page=True)
    staff.get_by_test_id("start-notice").click()
    expect(staff.get_by_test_id("file-status")).to_have_text("公示中")
    staff.context.clear_cookies()
    HardshipFile.objects.filter(pk=f.pk).update(notice_end=today - dt.timedelta(days=1))  # five working days later

    # 3. The district union (the union above) approves after the notice.
    _login(staff, base, "yz")
    staff.wait_for_url(f"{base}/staff/")
    staff.goto(f"{base}/staff/hardship/files/{f.pk}/")
    staff.get_by_test_id("approve").click()
    expect(staff.get_by_test_id("file-status")).to_have_text("已建档")

    # 4. A night visit records this month's income; five earlier months were above the standard too.
    for month in list(rules.months(today, 6))[:-1]:
        MonthlyIncome.objects.create(file=f, month=month, per_capita=Decimal("1200.00"))
    form = staff.get_by_test_id("visit-form")
    form.locator("#id_kind").select_option("night")
    form.get_by_label("走访人员").fill("王主席、萤火虫志愿者")
    form.get_by_label("送去物品").fill("米、油")
    form.get_by_label("本月家庭人均收入（如了解）").fill("1300")
    staff.get_by_test_id("visit-submit").click()
    expect(staff.get_by_test_id("visits")).to_contain_text("王主席")

    # 5. 送温暖: a programme, a list of the filed families, approved, paid — a second click pays nothing.
    staff.goto(f"{base}/staff/hardship/programmes/")
    staff.get_by_label("名称").fill(f"{today.year}年送温暖")
    staff.get_by_label("预算").fill("10000")
    staff.get_by_label("深度困难").fill("2000")
    staff.get_by_test_id("programme-submit").click()
    staff.wait_for_url(re.compile(r"/staff/hardship/programmes/\d+/$"))
    staff.get_by_test_id("pick").check()
    staff.get_by_test_id("list-submit").click()
    staff.wait_for_url(re.compile(r"/staff/hardship/lists/\d+/$"))
    staff.get_by_test_id("list-approve").click()
    staff.get_by_test_id("list-pay").click()
    expect(staff.get_by_test_id("message")).to_contain_text("1")
    shot(staff, "hardship-list", full_page=True)
    assert Grant.objects.get().status == "paid"

    # 6. Six months above the standard: the family is lifted out.
    staff.goto(f"{base}/staff/hardship/files/{f.pk}/")
    staff.get_by_test_id("lift-out").click()
    expect(staff.get_by_test_id("file-status")).to_have_text("已脱困")
    assert HardshipFile.objects.get().status == FileStatus.LIFTED_OUT

    # 7. The worker sees the file closed and what was received.
    phone.goto(f"{base}/hardship/")
    expect(phone.get_by_test_id("my-file-status")).to_have_text("已脱困")
    expect(phone.get_by_test_id("grants")).to_contain_text("2,000.00")
    shot(phone, "hardship-member")
    assert not staff.problems and not phone.problems, staff.problems + phone.problems
