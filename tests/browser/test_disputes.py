"""Labour-dispute mediation in a real browser: a worker applies on the phone, a district cadre routes
the case at the window, the room's mediator records a session and an agreement, payments are
recorded until paid, and the worker sees it and rates the service."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from gonghui.disputes import services
from gonghui.disputes.models import Case, RoomLevel, StaffKind, State
from gonghui.orgs.models import OrgKind
from tests.browser.conftest import ARTIFACTS as ARTIFACTS_DIR
from tests.factories import PASSWORD, UserFactory, grant, make_member, make_org, system_user, valid_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ID = valid_id_number(8801, birth=dt.date(1994, 8, 8))
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


@pytest.fixture
def city(transactional_db):
    nb = make_org(code="NB", name="宁波市总工会", kind=OrgKind.CITY)
    make_org(nb, code="YZ", name="鄞州区总工会", kind=OrgKind.DISTRICT)
    bl = make_org(nb, code="BL", name="北仑区总工会", kind=OrgKind.DISTRICT)
    blt = make_org(bl, code="BLT", name="新碶街道总工会", kind=OrgKind.TOWNSHIP)
    ble = make_org(blt, code="BLE", name="北仑港务有限公司工会", kind=OrgKind.ENTERPRISE)
    admin = system_user()
    room = services.room_create(actor=admin, org=bl, code="BL-R1", name="北仑区劳动关系调处工作室",
                                level=RoomLevel.DISTRICT, address="北仑区新碶街道明州路 1 号")
    services.room_create(actor=admin, org=blt, code="BLT-R1", name="新碶街道调处工作室", level=RoomLevel.TOWNSHIP)
    cadre = UserFactory(username="bl", first_name="北仑区总工会干部")
    grant(cadre, bl)
    mediator = UserFactory(username="mediator", first_name="李调解")
    services.room_staff_add(actor=admin, room=room, user=mediator, kind=StaffKind.MEDIATOR)
    worker = UserFactory(username="worker")
    member = make_member(ble, name="陈师傅", id_number=ID, employer="北仑某港口物流有限公司")
    member.user = worker
    member.save(update_fields=["user"])
    # A case received earlier and not triaged: the module home shows it as overdue.
    old = services.case_open(actor=cadre, org=bl, channel="window", applicant_name="周某",
                             employer_name="北仑某模具厂", id_number=valid_id_number(8802),
                             claims=[{"kind": "overtime", "amount": "4200.00"}],
                             received_at=timezone.now() - dt.timedelta(days=20))
    return {"bl": bl, "room": room, "old": old}


def _login(page, url: str, username: str):
    page.goto(url)
    page.locator("[name=username]").fill(username)
    page.locator("[name=password]").fill(PASSWORD)
    page.locator("[name=password]").press("Enter")


def test_worker_applies_cadre_routes_mediator_settles_payments_until_paid_worker_rates(
        member_page, staff_page, browser, live_server, city, shot, tmp_path):
    from tests.browser.conftest import STAFF_VIEWPORT, _page

    # 1. The worker applies on the phone.
    page = member_page
    _login(page, f"{live_server.url}/login/", "worker")
    page.wait_for_url(f"{live_server.url}/")
    page.locator('a.gh-tile[href="/disputes/"]').click()
    page.wait_for_url(re.compile(r"/disputes/$"))
    shot(page, "disputes-m1-intro")
    page.get_by_test_id("dispute-apply").click()
    page.wait_for_url(re.compile(r"/disputes/apply/$"))
    expect(page.locator("[name=district]")).to_have_value("BL")  # the member's district, preselected
    expect(page.locator("#id_applicant_name")).to_have_value("陈师傅")
    # A member applies as themselves: the ID number on record, masked, not to be typed again.
    expect(page.locator("#id_id_number")).to_have_value(ID[:6] + "********" + ID[-4:])
    expect(page.locator("#id_id_number")).to_be_disabled()
    assert ID not in page.content()
    page.locator("#id_phone").fill("13977778888")
    page.locator("#id_employer_name").fill("北仑某港口物流有限公司")
    page.locator("#id_employment_start").fill("2023-04-01")
    page.locator("[name=claims-0-kind]").select_option("unpaid_wages")
    page.locator("[name=claims-0-amount]").fill("18600")
    page.locator("[name=claims-0-note]").fill("2026年7—9月工资")
    page.get_by_test_id("claim-add").click()
    page.locator("[name=claims-1-kind]").select_option("overtime")
    page.locator("[name=claims-1-amount]").fill("2400.50")
    expect(page.get_by_test_id("claim-sum")).to_have_text("21,000.50")
    page.locator("[name=claims-0-kind]").scroll_into_view_if_needed()
    shot(page, "disputes-m2b-claims")
    page.locator("#id_knew_on").fill((timezone.localdate() - dt.timedelta(days=40)).isoformat())
    photo = tmp_path / "工资条.png"
    photo.write_bytes(PNG)
    page.locator("#id_attachments").set_input_files(str(photo))
    shot(page, "disputes-m2-apply", full_page=True)
    page.get_by_test_id("apply-submit").click()
    page.wait_for_url(re.compile(r"/disputes/\d+/$"))
    case = Case.objects.get(channel="online")
    expect(page.get_by_test_id("case-number")).to_have_text(case.number)
    assert case.amount_claimed == 21000.50 and case.attachments.count() == 1 and case.id_masked != ID
    shot(page, "disputes-m3-received", full_page=True)

    # 2. The district cadre routes it at the window.
    staff = staff_page
    _login(staff, f"{live_server.url}/staff/login/", "bl")
    staff.wait_for_url(f"{live_server.url}/staff/")
    staff.get_by_test_id("menu-disputes").click()
    staff.wait_for_url(re.compile(r"/staff/disputes/$"))
    expect(staff.get_by_test_id("kpi-received")).to_have_text("2")
    expect(staff.get_by_test_id("queue-overdue")).to_contain_text("1")
    staff.wait_for_selector("#chart-claims svg")
    shot(staff, "disputes-s1-home")
    staff.get_by_test_id("queue-triage").click()
    expect(staff.get_by_test_id("case-count")).to_contain_text("2")
    shot(staff, "disputes-s2-list")
    staff.get_by_role("link", name=case.number).click()
    staff.wait_for_url(re.compile(rf"/staff/disputes/cases/{case.pk}/$"))
    expect(staff.get_by_test_id("deadline-mediation")).to_contain_text("15")
    shot(staff, "disputes-s3-intake-case", full_page=True)
    staff.locator("[name=room]").select_option(str(city["room"].pk))
    staff.get_by_test_id("triage-submit").click()
    expect(staff.locator(".gh-messages")).to_contain_text(city["room"].name)
    case.refresh_from_db()
    assert case.state == State.TRIAGED and case.room_id == city["room"].pk

    # 3. The room's mediator (no role, a place in the room) mediates and records the agreement.
    mediator = _page(browser, viewport=STAFF_VIEWPORT)
    try:
        _login(mediator, f"{live_server.url}/staff/login/?next=/staff/disputes/cases/{case.pk}/", "mediator")
        mediator.wait_for_url(re.compile(rf"/staff/disputes/cases/{case.pk}/$"))
        mediator.get_by_test_id("act-start").click()
        mediator.get_by_test_id("action-session").locator("summary").click()
        mediator.locator("#id_held_at").fill(timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
        mediator.locator("#id_place").fill("北仑区劳动关系调处工作室")
        mediator.locator("#id_attendees").fill("陈师傅；公司人事经理王某；调解员李调解")
        mediator.locator("#id_minutes").fill("公司承认拖欠工资，同意分两期支付。")
        mediator.get_by_test_id("session-submit").click()
        expect(mediator.get_by_test_id("session")).to_have_count(1)
        agree = mediator.get_by_test_id("action-agree")
        agree.locator("summary").click()
        agree.locator("#id_amount").fill("20000")
        agree.locator("#id_terms").fill("被申请人于签字当日支付12,000元，余款8,000元于30日内付清。")
        today = timezone.localdate()
        agree.get_by_test_id("instalment-add").click()
        agree.locator("[name=instalments-0-due_on]").fill(today.isoformat())
        agree.locator("[name=instalments-0-amount]").fill("12000")
        agree.get_by_test_id("instalment-add").click()
        agree.locator("[name=instalments-1-due_on]").fill((today + dt.timedelta(days=30)).isoformat())
        agree.locator("[name=instalments-1-amount]").fill("8000")
        shot(mediator, "disputes-s4-agreement-form", full_page=True)
        agree.get_by_test_id("agree-submit").click()
        expect(mediator.get_by_test_id("agreed")).to_contain_text("20,000.00")
        shot(mediator, "disputes-s5-settled", full_page=True)
        mediator.get_by_test_id("print-agreement").click()
        expect(mediator.get_by_test_id("agreement-paper")).to_contain_text("贰万元整")
        shot(mediator, "disputes-s6-agreement-a4", full_page=True)
        pdf = mediator.pdf(format="A4", print_background=True, prefer_css_page_size=True)
        (ARTIFACTS_DIR / "disputes-agreement.pdf").write_bytes(pdf)
        assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1  # fits on one A4 sheet
        mediator.go_back()

        # 4. Payments until paid (the closed loop).
        for amount in ("12000.00", "8000.00"):
            expect(mediator.locator("#id_amount")).to_have_value(amount)  # what is due next
            mediator.get_by_test_id("payment-submit").click()
            expect(mediator.locator(".gh-messages")).to_be_visible()
        expect(mediator.get_by_test_id("outstanding")).to_contain_text("0.00")
        shot(mediator, "disputes-s7-paid", full_page=True)
        assert mediator.problems == []
    finally:
        mediator.context.close()
    case.refresh_from_db()
    assert case.state == State.PAID and case.agreement.paid_amount == 20000

    # 5. The worker sees it paid in 办事 and rates the service.
    page.goto(f"{live_server.url}/services/")
    expect(page.get_by_test_id("dispute-case")).to_contain_text(case.number)
    shot(page, "disputes-m4-services", full_page=True)
    page.get_by_test_id("dispute-case").get_by_role("link").click()
    expect(page.get_by_test_id("paid")).to_contain_text("20,000.00")
    page.locator("label[for=id_score_0]").click()
    page.locator("#id_comment").fill("调解员很耐心，钱都拿到了。")
    shot(page, "disputes-m5-rate", full_page=True)
    page.get_by_test_id("rate-submit").click()
    expect(page.get_by_test_id("rated")).to_be_visible()
    shot(page, "disputes-m6-rated", full_page=True)
    case.refresh_from_db()
    assert case.satisfaction.score == 5
    assert page.problems == [] and staff.problems == []


def test_the_window_records_an_oral_application_checked_as_typed(staff_page, live_server, city, shot, tmp_path):
    page = staff_page
    _login(page, f"{live_server.url}/staff/login/?next=/staff/disputes/intake/", "bl")
    page.wait_for_url(re.compile(r"/staff/disputes/intake/$"))
    page.locator("#id_applicant_name").fill("郑师傅")
    wrong = ID[:-1] + ("1" if ID[-1] != "1" else "2")
    page.locator("#id_id_number").fill(wrong)
    page.locator("#id_id_number").blur()
    expect(page.locator("#id_id_number-error")).to_contain_text("校验位")
    page.locator("#id_id_number").fill(valid_id_number(8803))
    page.locator("#id_employer_name").fill("北仑某模具厂")
    page.locator("#id_employer_credit_code").fill("91330206MA2AB12345")
    page.locator("#id_employer_credit_code").blur()
    expect(page.locator("#id_employer_credit_code-error")).not_to_be_empty()
    page.locator("#id_employer_credit_code").fill("")
    page.locator("[name=claims-0-kind]").select_option("dismissal_compensation")
    page.locator("[name=claims-0-amount]").fill("36000")
    page.locator("#id_knew_on").fill((timezone.localdate() - dt.timedelta(days=10)).isoformat())
    page.locator("#id_summary").fill("公司以经营困难为由口头辞退，未支付经济补偿。")
    shot(page, "disputes-s8-intake", full_page=True)
    page.get_by_test_id("intake-submit").click()
    page.wait_for_url(re.compile(r"/staff/disputes/cases/\d+/$"))
    case = Case.objects.get(channel="window", applicant_name="郑师傅")
    expect(page.get_by_test_id("case-number")).to_have_text(case.number)
    # Not a case for a final award: 36,000 is above 12 × the minimum wage.
    expect(page.get_by_test_id("final-award")).to_contain_text("预计不适用")

    page.get_by_test_id("disputes-tab-overdue").click()
    expect(page.get_by_test_id("case-count")).to_contain_text("1")
    shot(page, "disputes-s9-overdue")
    page.get_by_test_id("disputes-tab-rooms").click()
    expect(page.get_by_test_id("room-row")).to_have_count(2)
    shot(page, "disputes-s10-rooms")
    assert page.problems == []
