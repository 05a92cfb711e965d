"""互助保障 in a real browser: the city defines a plan, a district enrols its members, the insurer's
settlement file is priced with its progress shown, the payments go to the bank, and the member sees
the payout and how it was computed on the phone; a member's claim approved by the union."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from gonghui.mutualaid.models import Claim, ClaimStatus, Enrolment, PaymentBatch, Payout, PayoutStatus, Plan
from gonghui.orgs.models import OrgKind
from tests.factories import PASSWORD, UserFactory, grant, make_member, make_org, valid_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def city(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    nb = make_org(code="NB", name="宁波市总工会", kind=OrgKind.CITY)
    yz = make_org(nb, code="YZ", name="鄞州区总工会", kind=OrgKind.DISTRICT)
    yze = make_org(yz, code="YZE", name="鄞州某科技公司工会", kind=OrgKind.ENTERPRISE)
    people = []
    for n, name in enumerate("张伟 王芳 李娜 刘洋".split()):
        number = valid_id_number(8100 + n, birth=dt.date(1985, 3, 1 + n))
        people.append((make_member(yze, name=name, id_number=number), number))
    cadres = {}
    for code, org in (("nb", nb), ("yz", yz)):
        cadres[code] = UserFactory(username=code)
        grant(cadres[code], org)
    worker = UserFactory(username="worker")
    member = people[0][0]
    member.user = worker
    member.save(update_fields=["user"])
    return {"nb": nb, "yz": yz, "people": people, "member": member}


def _login(page, base: str, username: str, path: str = "/staff/login/"):
    page.goto(f"{base}{path}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def _settlement_csv(people, today: dt.date) -> bytes:
    admitted = (today - dt.timedelta(days=6)).isoformat()
    lines = ["结算编号,身份证号,医院,入院日期,出院日期,医疗总费用,统筹支付,目录内自付,目录外自费"]
    lines.append(f"YB0001,{people[0][1]},宁波市第一医院,{admitted},{today.isoformat()},50000.00,30000.00,12000.00,800.00")
    lines.append(f"YB0002,{people[1][1]},鄞州区人民医院,{admitted},{today.isoformat()},8000.00,6000.00,1800.00,200.00")
    lines.append(f"YB0003,{valid_id_number(8900)},宁波市第二医院,{admitted},{today.isoformat()},9000.00,6000.00,2500.00,0")
    lines.append(f"YB0004,33020219900101123,宁波市第二医院,{admitted},{today.isoformat()},9000.00,6000.00,2500.00,0")
    return ("\n".join(lines) + "\n").encode("gbk")


def test_plan_enrolment_settlement_payment_and_the_members_payout(browser, live_server, city, shot, settings):
    from tests.browser.conftest import MEMBER_VIEWPORT, STAFF_VIEWPORT, _page

    # The task stays queued until the test runs it: the page shows the progress bar meanwhile.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    base, today = live_server.url, timezone.localdate()
    staff = _page(browser, viewport=STAFF_VIEWPORT)

    # 1. The city cadre defines this year's in-service inpatient plan with two ratio bands.
    _login(staff, base, "nb")
    staff.wait_for_url(f"{base}/staff/")
    staff.get_by_test_id("menu-aid").click()
    staff.wait_for_url(f"{base}/staff/aid/")
    staff.get_by_role("link", name="保障方案").click()
    staff.get_by_test_id("plan-new").click()
    staff.get_by_label("保障项目").select_option("inpatient")
    staff.get_by_label("保障年度").fill(str(today.year))
    staff.get_by_label("方案名称").fill(f"{today.year}年在职职工住院医疗互助保障")
    staff.get_by_label("每人每年参保费（元）").fill("60")
    staff.get_by_label("参保登记开始").fill(f"{today.year - 1}-11-01")
    staff.get_by_label("参保登记截止").fill((today + dt.timedelta(days=30)).isoformat())
    staff.get_by_label("保障开始").fill(f"{today.year}-01-01")
    staff.get_by_label("保障结束").fill(f"{today.year}-12-31")
    staff.get_by_label("起付线（元/次住院）").fill("500")
    staff.get_by_label("第一档给付比例（%）").fill("50")
    staff.get_by_label("第一档上限（元）").fill("10000")
    staff.get_by_label("第二档给付比例（%）").fill("60")
    staff.get_by_label("每人年度封顶（元）").fill("20000")
    staff.evaluate("window.scrollTo(0, 0)")
    shot(staff, "aid-plan-form", full_page=True)
    staff.get_by_role("button", name="制定方案").click()
    staff.wait_for_url(re.compile(r"/staff/aid/plans/\d+/$"))
    rules = staff.get_by_test_id("plan-rules")
    expect(rules).to_contain_text("超过起付线部分的前 10,000.00 元按 50%")
    expect(rules).to_contain_text("超过 10,000.00 元的部分按 60%")
    shot(staff, "aid-plan")
    plan = Plan.objects.get()
    staff.context.clear_cookies()

    # 2. The district cadre enrols all eligible members, seeing the fee due before confirming.
    _login(staff, base, "yz")
    staff.wait_for_url(f"{base}/staff/")
    staff.goto(f"{base}/staff/aid/plans/{plan.pk}/")
    staff.get_by_test_id("plan-enrol").click()
    expect(staff.get_by_test_id("fee-due-all")).to_have_text("240.00 元")
    shot(staff, "aid-enrol")
    staff.get_by_test_id("enrol-confirm").click()
    staff.wait_for_url(re.compile(r"/staff/aid/enrolments/batches/\d+/$"))
    expect(staff.get_by_test_id("batch-enrolled")).to_have_text("4")
    expect(staff.get_by_test_id("batch-fee")).to_have_text("240.00 元")
    assert Enrolment.objects.count() == 4

    # 3. The settlement file from medical insurance: uploaded, followed while priced, result by line.
    staff.get_by_role("link", name="医保结算").click()
    staff.get_by_label("医保结算文件（CSV 或 XLSX）").set_input_files(
        {"name": "医保结算.csv", "mimeType": "text/csv", "buffer": _settlement_csv(city["people"], today)})
    staff.get_by_role("button", name="上传并核算").click()
    staff.wait_for_url(re.compile(r"/staff/aid/feeds/\d+/$"))
    expect(staff.get_by_test_id("feed-progress-text")).to_contain_text("等待后台任务处理")
    expect(staff.locator("#feed-job .progress")).to_be_visible()
    shot(staff, "aid-feed-progress")
    from gonghui.mutualaid.feeds import feed_run
    from gonghui.mutualaid.models import SettlementFeed

    feed_run(feed_id=SettlementFeed.objects.get().pk)  # what the background worker does
    outcome = staff.get_by_test_id("feed-outcome")  # htmx polls every second and swaps the result in
    expect(outcome).to_contain_text("核算完成", timeout=10_000)
    expect(staff.get_by_test_id("feed-priced")).to_have_text("2")
    expect(staff.get_by_test_id("feed-rejected")).to_have_text("1")
    expect(staff.get_by_test_id("feed-invalid")).to_have_text("1")
    expect(staff.get_by_test_id("feed-rejected-lines")).to_contain_text("非工会会员")
    expect(staff.get_by_test_id("feed-bad-lines")).to_contain_text("身份证号")
    # 12,000 − 500 = 11,500 → 5,000 + 900 = 5,900; 1,800 − 500 = 1,300 → 650.
    expect(staff.get_by_test_id("feed-amount")).to_have_text("6,550.00 元")
    with staff.expect_download() as download:
        staff.get_by_test_id("feed-download").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    shot(staff, "aid-feed-result", full_page=True)

    # 4. Payments: a batch for the bank, exported, marked paid.
    staff.get_by_role("link", name="给付与支付").first.click()
    staff.get_by_test_id("batch-new").click()
    staff.wait_for_url(re.compile(r"/staff/aid/batches/\d+/$"))
    expect(staff.get_by_test_id("batch-total")).to_have_text("6,550.00 元")
    with staff.expect_download() as download:
        staff.get_by_test_id("batch-export").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    staff.get_by_test_id("batch-paid").click()
    expect(staff.get_by_test_id("batch-paid-count")).to_have_text("2")
    shot(staff, "aid-batch", full_page=True)
    assert PaymentBatch.objects.get().status == PaymentBatch.Status.CLOSED
    assert set(Payout.objects.values_list("status", flat=True)) == {PayoutStatus.PAID}

    # The module home counts it all.
    staff.get_by_role("link", name="概览").click()
    expect(staff.get_by_test_id("kpi-aid_enrolments")).to_have_text("4")
    expect(staff.get_by_test_id("kpi-aid_payouts")).to_have_text("2")
    expect(staff.get_by_test_id("kpi-aid_paid_members")).to_have_text("2")
    staff.wait_for_selector("#chart-aid-enrol-product svg")
    shot(staff, "aid-home")
    assert staff.problems == []

    # 5. The member sees the cover, the payout and the rule applied, on the phone.
    phone = _page(browser, viewport=MEMBER_VIEWPORT, is_mobile=True, has_touch=True, device_scale_factor=2)
    _login(phone, base, "worker", "/login/")
    phone.wait_for_url(f"{base}/")
    phone.get_by_role("link", name="医疗互助").click()
    phone.wait_for_url(f"{base}/aid/")
    expect(phone.get_by_test_id("cap-left")).to_have_text("14,100.00 元")
    shot(phone, "aid-member-cover", full_page=True)
    phone.get_by_test_id("payout").first.click()
    phone.wait_for_url(re.compile(r"/aid/payouts/\d+/$"))
    expect(phone.get_by_test_id("payout-amount")).to_have_text("5,900.00 元")
    steps = phone.get_by_test_id("payout-steps")
    expect(steps).to_contain_text("目录内自付 12000.00 元 − 起付线 500.00 元 = 11500.00 元")
    expect(steps).to_contain_text("本次给付：5900.00 元")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "aid-member-payout", full_page=True)
    assert phone.problems == []
    phone.context.close()
    staff.context.close()


@pytest.fixture
def covered(city):
    """A plan with enrolment since 1 January, so a stay of last week is covered."""
    from gonghui.mutualaid.services import enrol_batch, plan_create
    from tests.factories import system_user

    today = timezone.localdate()
    plan = plan_create(actor=system_user(), product="inpatient", year=today.year, name=f"{today.year}年住院互助",
                       fee=Decimal("60"), window_start=dt.date(today.year - 1, 11, 1),
                       window_end=today + dt.timedelta(days=30), deductible=Decimal("500"),
                       tiers=[{"upto": None, "ratio": "0.5"}], yearly_cap=Decimal("20000"))
    enrol_batch(actor=system_user(), plan=plan, org=city["yz"], on=dt.date(today.year, 1, 1))
    return plan


PDF = b"%PDF-1.4\n% invoice\n"
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 200


def test_a_member_claims_the_union_approves_and_the_member_sees_it(browser, live_server, city, covered, shot):
    from tests.browser.conftest import MEMBER_VIEWPORT, STAFF_VIEWPORT, _page

    base, today = live_server.url, timezone.localdate()
    phone = _page(browser, viewport=MEMBER_VIEWPORT, is_mobile=True, has_touch=True, device_scale_factor=2)
    _login(phone, base, "worker", "/login/")
    phone.wait_for_url(f"{base}/")
    phone.goto(f"{base}/aid/")
    phone.get_by_test_id("claim-new").click()
    phone.wait_for_url(f"{base}/aid/claims/new/")
    phone.get_by_label("医院").fill("上海瑞金医院")
    phone.get_by_label("入院日期").fill((today - dt.timedelta(days=12)).isoformat())
    phone.get_by_label("出院日期").fill((today - dt.timedelta(days=5)).isoformat())
    phone.get_by_label("医疗总费用（元）").fill("30000")
    phone.get_by_label("医保统筹支付（元）").fill("20000")
    phone.get_by_label("目录内个人自付（元）").fill("4500")
    phone.get_by_label("目录外自费（元）").fill("300")
    phone.get_by_label("发票").set_input_files({"name": "发票.jpg", "mimeType": "image/jpeg", "buffer": JPG})
    phone.get_by_label("费用明细清单").set_input_files({"name": "清单.pdf", "mimeType": "application/pdf", "buffer": PDF})
    phone.get_by_label("出院小结").set_input_files({"name": "小结.pdf", "mimeType": "application/pdf", "buffer": PDF})
    shot(phone, "aid-member-claim-form", full_page=True)
    phone.get_by_test_id("claim-submit").click()
    phone.wait_for_url(re.compile(r"/aid/claims/\d+/$"))
    expect(phone.get_by_test_id("claim-status")).to_have_text("待审核")
    shot(phone, "aid-member-claim-submitted")
    claim = Claim.objects.get()

    staff = _page(browser, viewport=STAFF_VIEWPORT)
    _login(staff, base, "yz")
    staff.wait_for_url(f"{base}/staff/")
    staff.goto(f"{base}/staff/aid/")
    expect(staff.get_by_test_id("queue-claims")).to_have_text("1")
    staff.get_by_role("link", name="理赔审核").click()
    staff.get_by_test_id("claim-row").click()
    # (4,500 − 500) × 50% = 2,000, shown with its steps before the decision.
    expect(staff.get_by_test_id("claim-preview")).to_have_text("2,000.00 元")
    expect(staff.get_by_test_id("claim-documents")).to_contain_text("发票")
    shot(staff, "aid-claim-review", full_page=True)
    with staff.expect_popup() as popup:
        staff.get_by_test_id("claim-documents").get_by_role("link", name="查看").first.click()
    assert popup.value.url.startswith(f"{base}/staff/aid/documents/")
    popup.value.close()
    staff.get_by_test_id("approve").click()
    expect(staff.get_by_test_id("claim-payout")).to_have_text("2,000.00 元")
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.APPROVED
    assert staff.problems == []

    phone.goto(f"{base}/services/")
    expect(phone.get_by_test_id("aid-claims")).to_contain_text("上海瑞金医院")
    phone.get_by_test_id("aid-claims").get_by_role("link", name="查看").click()
    expect(phone.get_by_test_id("claim-status")).to_have_text("已通过")
    expect(phone.get_by_test_id("claim-payout")).to_have_text("2,000.00 元")
    expect(phone.get_by_test_id("payout-steps")).to_contain_text("目录内自付 4500.00 元 − 起付线 500.00 元 = 4000.00 元")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "aid-member-claim-approved", full_page=True)
    assert phone.problems == []
    phone.context.close()
    staff.context.close()
