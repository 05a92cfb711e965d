"""The dispute pages through Django's test client: each page renders, who reaches which case, forms
refuse bad input with a message and change nothing, documents only behind the permission check."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from gonghui.core.models import AuditEntry
from gonghui.disputes import services
from gonghui.disputes.models import Attachment, Case, State
from gonghui.disputes.views import rmb_upper
from tests.disputes.conftest import listed_count, open_case, room_user, work_queue
from tests.factories import UserFactory, grant, valid_credit_code, valid_id_number

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
ID = valid_id_number(4711, birth=dt.date(1991, 3, 9))


def upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


@pytest.fixture
def bl_case(tree, rooms, bl_cadre):
    case = open_case(bl_cadre, tree.bl, id_number=ID, phone="13911112222",
                     claims=[{"kind": "unpaid_wages", "amount": "18600.00", "note": "2026年3-5月工资"},
                             {"kind": "overtime", "amount": "2400.50"}])
    services.attachments_add(actor=bl_cadre, case=case, documents=[upload("合同.pdf", PDF)])
    return case


@pytest.fixture
def settled_case(tree, rooms, bl_cadre, bl_mediator):
    case = open_case(bl_cadre, tree.bl)
    services.case_triage(actor=bl_cadre, case=case, room=rooms.bl)
    services.case_start(actor=bl_mediator, case=case)
    services.agreement_record(actor=bl_mediator, case=case, amount="9000.00",
                              instalments=[{"due_on": timezone.localdate(), "amount": "4000.00"},
                                           {"due_on": timezone.localdate() + dt.timedelta(days=30),
                                            "amount": "5000.00"}])
    return case


def intake_post(**overrides):
    data = {
        "channel": "window", "applicant_name": "王师傅", "id_number": ID, "phone": "13900002222",
        "employer_name": "北仑某物流有限公司", "employer_credit_code": "", "industry": "物流",
        "category": "", "employment_start": "2024-03-01", "employment_end": "", "knew_on": "2026-04-10",
        "summary": "拖欠三个月工资", "body_name": "", "reference": "", "deadline": "", "received_at": "",
        "claims-TOTAL_FORMS": "2", "claims-INITIAL_FORMS": "0", "claims-MIN_NUM_FORMS": "1",
        "claims-MAX_NUM_FORMS": "20",
        "claims-0-kind": "unpaid_wages", "claims-0-amount": "15000", "claims-0-note": "",
        "claims-1-kind": "overtime", "claims-1-amount": "1200.50", "claims-1-note": "",
    }
    data.update(overrides)
    return data


# ------------------------------------------------------------------------------ pages render

def test_every_staff_page_renders_for_the_district_cadre(client, bl_cadre, bl_case, settled_case):
    client.force_login(bl_cadre)
    for url in ("/staff/disputes/?org=BL", "/staff/disputes/intake/", "/staff/disputes/cases/",
                "/staff/disputes/overdue/", "/staff/disputes/rooms/", f"/staff/disputes/cases/{bl_case.pk}/",
                f"/staff/disputes/cases/{settled_case.pk}/", f"/staff/disputes/cases/{settled_case.pk}/agreement/",
                "/staff/disputes/cases/?state=intake&sort=-amount&claim=unpaid_wages&overdue=on"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert ID not in response.content.decode(), url  # the plain ID number never reaches a page


def test_the_module_home_shows_the_period_figures_and_the_work_queue(client, bl_cadre, bl_case, settled_case):
    client.force_login(bl_cadre)
    page = client.get("/staff/disputes/?org=BL").content.decode()
    assert 'data-testid="kpi-received">2<' in page
    assert 'data-testid="kpi-settled">1<' in page
    assert 'data-testid="kpi-recovered">0.90<' in page  # 9,000 yuan in 万元
    assert 'data-testid="queue-triage"' in page and "劳动争议调处" in page or "劳动争议" in page
    assert page.count('class="gh-chart-card') or page.count("gh-chart-card") >= 4


@pytest.fixture
def cases_in_every_state(tree, rooms, bl_cadre, bl_mediator):
    """北仑: received, routed, in mediation (assigned and not), settled, unpaid, old, with legal aid."""
    today = timezone.localdate()
    open_case(bl_cadre, tree.bl)  # intake
    open_case(bl_cadre, tree.blt)  # intake, township
    late = open_case(bl_cadre, tree.bl, received_at=timezone.now() - dt.timedelta(days=20))
    services.case_triage(actor=bl_cadre, case=late, room=rooms.bl)  # past the 15 days
    triaged = open_case(bl_cadre, tree.bl)
    services.case_triage(actor=bl_cadre, case=triaged, room=rooms.bl)
    township = open_case(bl_cadre, tree.blt)  # in the township room: not the district mediator's
    services.case_triage(actor=bl_cadre, case=township, room=rooms.blt)
    for n in range(3):
        case = open_case(bl_cadre, tree.bl)
        services.case_triage(actor=bl_cadre, case=case, room=rooms.bl)
        services.case_start(actor=bl_mediator, case=case)
        if n == 0:
            services.legal_aid_request(actor=bl_cadre, case=case, request="请律师代写仲裁申请书")
        if n >= 1:
            services.agreement_record(actor=bl_mediator, case=case, amount="6000.00",
                                      instalments=[{"due_on": today, "amount": "6000.00"}])
        if n == 2:
            services.agreement_default(actor=bl_mediator, case=case, reason="逾期未付")


@pytest.mark.parametrize("login", ["cadre", "mediator"])
def test_each_work_queue_count_is_the_length_of_the_list_it_opens(client, login, bl_cadre, bl_mediator,
                                                                  cases_in_every_state):
    user = bl_cadre if login == "cadre" else bl_mediator
    client.force_login(user)
    queue = work_queue(client.get("/staff/disputes/?org=BL" if login == "cadre" else "/staff/disputes/").content.decode())
    expected = {"cadre": {"triage", "overdue", "payments", "legal_aid"},
                "mediator": {"overdue", "sessions", "payments", "legal_aid"}}[login]
    assert set(queue) == expected  # routing is the cadre's; holding mediation the room's
    for key, (count, url) in queue.items():
        assert listed_count(client, url) == count, (key, url)
    assert all(count > 0 for count, _url in queue.values()), queue
    if login == "mediator":
        assert queue["sessions"][0] == 3  # routed to the district room or in mediation there
    else:
        assert queue["triage"][0] == 2 and queue["payments"][0] == 2


def test_the_menu_leads_to_the_module(client, bl_cadre):
    client.force_login(bl_cadre)
    page = client.get("/staff/").content.decode()
    assert 'data-testid="menu-disputes"' in page and "/staff/disputes/" in page


def test_the_case_page_shows_deadlines_claims_and_only_allowed_actions(client, bl_cadre, bl_case):
    client.force_login(bl_cadre)
    page = client.get(f"/staff/disputes/cases/{bl_case.pk}/").content.decode()
    assert bl_case.number in page and "21,000.50" in page  # total claimed
    assert 'data-testid="deadline-mediation"' in page and 'data-testid="final-award"' in page
    assert 'data-testid="action-triage"' in page  # intake: route or hand on
    assert 'data-testid="action-agree"' not in page and 'data-testid="act-start"' not in page
    assert f"/staff/disputes/documents/{bl_case.attachments.get().pk}/" in page


def test_a_room_mediator_sees_the_mediation_actions_and_not_triage(client, rooms, bl_cadre, bl_mediator, bl_case):
    services.case_triage(actor=bl_cadre, case=bl_case, room=rooms.bl)
    client.force_login(bl_mediator)
    page = client.get(f"/staff/disputes/cases/{bl_case.pk}/").content.decode()
    assert 'data-testid="act-start"' in page and 'name="room"' not in page  # may hand on, not route


def test_the_agreement_prints_on_a4_with_the_amount_in_words_and_signature_lines(client, bl_cadre, settled_case):
    client.force_login(bl_cadre)
    page = client.get(f"/staff/disputes/cases/{settled_case.pk}/agreement/").content.decode()
    assert "玖仟元整" in page and "gh-signatures" in page and "gh-seal" in page
    assert page.count("<tr><td>") >= 2  # the two instalments


@pytest.mark.parametrize(("amount", "words"), [
    ("0", "零元整"), ("10", "壹拾元整"), ("101", "壹佰零壹元整"), ("1010", "壹仟零壹拾元整"),
    ("12345.60", "壹万贰仟叁佰肆拾伍元陆角整"), ("100010", "壹拾万零壹拾元整"), ("1002003.04", "壹佰万贰仟零叁元零肆分"),
    ("100000001", "壹亿零壹元整"), ("124000000", "壹亿贰仟肆佰万元整"),
])
def test_amounts_in_words_as_agreements_write_them(amount, words):
    assert rmb_upper(Decimal(amount)) == words


# ------------------------------------------------------------------------------ scope

def test_another_districts_case_is_404(client, yz_cadre, bl_case, settled_case):
    client.force_login(yz_cadre)
    for url in (f"/staff/disputes/cases/{bl_case.pk}/", f"/staff/disputes/cases/{settled_case.pk}/agreement/",
                f"/staff/disputes/documents/{bl_case.attachments.get().pk}/"):
        assert client.get(url).status_code == 404, url
    response = client.post(f"/staff/disputes/cases/{bl_case.pk}/start/")
    assert response.status_code == 404
    assert bl_case.number not in client.get("/staff/disputes/cases/").content.decode()


def test_an_org_page_outside_the_subtree_is_404(client, yz_cadre):
    client.force_login(yz_cadre)
    assert client.get("/staff/disputes/?org=BL").status_code == 404
    assert client.get("/staff/disputes/cases/?org=BL").status_code == 404


def test_a_room_mediator_without_a_role_sees_only_the_room(client, tree, rooms, bl_cadre, blt_mediator, bl_case):
    other = open_case(bl_cadre, tree.bl)
    services.case_triage(actor=bl_cadre, case=other, room=rooms.blt)
    services.case_triage(actor=bl_cadre, case=bl_case, room=rooms.bl)
    client.force_login(blt_mediator)
    listing = client.get("/staff/disputes/cases/").content.decode()
    assert other.number in listing and bl_case.number not in listing
    assert client.get(f"/staff/disputes/cases/{other.pk}/").status_code == 200
    assert client.get(f"/staff/disputes/cases/{bl_case.pk}/").status_code == 404
    assert client.get("/staff/disputes/").status_code == 200
    rooms_page = client.get("/staff/disputes/rooms/").content.decode()
    assert "新碶街道调处工作室" in rooms_page and "北仑区劳动关系调处工作室" not in rooms_page


def test_a_member_without_role_or_room_gets_403_and_anonymous_the_login(client, worker):
    assert client.get("/staff/disputes/").status_code == 302
    client.force_login(worker)
    assert client.get("/staff/disputes/").status_code == 403
    assert client.get("/staff/disputes/cases/").status_code == 403


def test_a_worker_sees_only_their_own_cases(client, tree, bl_cadre, bl_case):
    mine_user = UserFactory(username="applicant")
    other_user = UserFactory(username="someone")
    mine = services.case_open(actor=mine_user, org=tree.bl, channel="online", applicant_name="赵六",
                              employer_name="北仑某厂", claims=[{"kind": "other", "amount": "100"}],
                              id_number=valid_id_number())
    client.force_login(other_user)
    assert client.get(f"/disputes/{mine.pk}/").status_code == 404
    assert client.get(f"/disputes/{bl_case.pk}/").status_code == 404
    assert mine.number not in client.get("/disputes/").content.decode()
    client.force_login(mine_user)
    assert client.get(f"/disputes/{mine.pk}/").status_code == 200
    assert mine.number in client.get("/disputes/").content.decode()
    assert mine.number in client.get("/services/").content.decode()  # 办事 lists it too


def test_documents_need_the_right_to_see_the_case(client, tree, bl_cadre, bl_case, worker):
    attachment = bl_case.attachments.get()
    client.force_login(bl_cadre)
    response = client.get(f"/staff/disputes/documents/{attachment.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert "no-store" in response["Cache-Control"]
    client.force_login(worker)  # a member who is not the applicant
    assert client.get(f"/disputes/documents/{attachment.pk}/").status_code == 404
    client.logout()
    assert client.get(f"/staff/disputes/documents/{attachment.pk}/").status_code == 302
    assert not attachment.file.url.startswith("/static/")


# ------------------------------------------------------------------------------ forms

def test_the_window_records_an_oral_application_with_claims_and_a_document(client, tree, bl_cadre):
    client.force_login(bl_cadre)
    client.get("/staff/?org=BL")
    data = intake_post(employer_credit_code=valid_credit_code(77), attachments=[upload("欠条.png", PNG)])
    response = client.post("/staff/disputes/intake/", data)
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/staff/disputes/cases/{case.pk}/"
    assert case.channel == "window" and case.amount_claimed == Decimal("16200.50") and case.main_claim == "unpaid_wages"
    assert case.id_masked.startswith(ID[:6]) and case.attachments.count() == 1
    assert case.org == tree.bl and case.number.startswith("BL-")


@pytest.mark.parametrize(("overrides", "message"), [
    ({"id_number": ID[:-1] + ("0" if ID[-1] != "0" else "1")}, "校验"),
    ({"claims-0-amount": "-5"}, "金额"),
    ({"claims-0-amount": "12.345"}, "两位小数"),
    ({"claims-0-kind": "", "claims-1-kind": ""}, "必填"),
    ({"employer_name": ""}, "必填"),
    ({"employer_credit_code": "91330212ABCDEFGHIJ"}, "信用代码"),
    ({"employment_start": "2026-05-01", "employment_end": "2026-01-01"}, "离职日期不能早于"),
    ({"channel": "court"}, "法院"),
    ({"attachments": [upload("virus.exe", b"MZ\x90\x00" * 10)]}, "PDF"),
])
def test_the_window_refuses_bad_input_with_a_message_and_writes_nothing(client, bl_cadre, tree, overrides, message):
    client.force_login(bl_cadre)
    client.get("/staff/?org=BL")
    audit_before = AuditEntry.objects.count()
    response = client.post("/staff/disputes/intake/", intake_post(**overrides))
    assert response.status_code == 422
    page = response.content.decode()
    assert message in page, page[page.find("invalid-feedback d-block"):][:400]
    assert ID not in page  # the ID number is not echoed back
    assert Case.objects.count() == 0 and Attachment.objects.count() == 0
    assert AuditEntry.objects.count() == audit_before


def test_a_viewer_cannot_receive_cases(client, tree):
    viewer = UserFactory()
    grant(viewer, tree.bl, "viewer")
    client.force_login(viewer)
    client.get("/staff/?org=BL")
    assert client.get("/staff/disputes/intake/").status_code == 403
    assert client.post("/staff/disputes/intake/", intake_post()).status_code == 403
    assert Case.objects.count() == 0


def test_the_whole_path_through_the_staff_pages(client, tree, rooms, bl_cadre, bl_mediator, bl_case):
    client.force_login(bl_cadre)
    r = client.post(f"/staff/disputes/cases/{bl_case.pk}/triage/", {"route": "room", "room": str(rooms.bl.pk)})
    assert r.status_code == 302
    client.force_login(bl_mediator)
    assert client.post(f"/staff/disputes/cases/{bl_case.pk}/start/").status_code == 302
    r = client.post(f"/staff/disputes/cases/{bl_case.pk}/session/", {
        "held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "place": "北仑区调处工作室",
        "attendees": "王师傅、公司人事经理、调解员", "minutes": "双方同意分两期支付"})
    assert r.status_code == 302
    today = timezone.localdate()
    r = client.post(f"/staff/disputes/cases/{bl_case.pk}/agree/", {
        "amount": "20000", "signed_on": today.isoformat(), "terms": "",
        "instalments-TOTAL_FORMS": "2", "instalments-INITIAL_FORMS": "0", "instalments-MIN_NUM_FORMS": "0",
        "instalments-MAX_NUM_FORMS": "60",
        "instalments-0-due_on": today.isoformat(), "instalments-0-amount": "12000",
        "instalments-1-due_on": (today + dt.timedelta(days=20)).isoformat(), "instalments-1-amount": "8000"})
    assert r.status_code == 302, r.content.decode()[:2000]
    for amount in ("12000", "8000"):
        r = client.post(f"/staff/disputes/cases/{bl_case.pk}/payment/", {"amount": amount, "paid_on": today.isoformat()})
        assert r.status_code == 302
    bl_case.refresh_from_db()
    assert bl_case.state == State.PAID
    page = client.get(f"/staff/disputes/cases/{bl_case.pk}/").content.decode()
    assert "协议已履行" in page or "已履行" in page
    assert page.count('class="gh-timeline-item"') >= 7


def test_an_illegal_or_bad_action_is_refused_with_a_message_and_changes_nothing(client, rooms, bl_cadre, bl_mediator,
                                                                              settled_case):
    client.force_login(bl_mediator)
    before = AuditEntry.objects.count()
    r = client.post(f"/staff/disputes/cases/{settled_case.pk}/payment/", {"amount": "9000.01", "paid_on": ""})
    assert r.status_code == 422 and "必填" in r.content.decode()
    r = client.post(f"/staff/disputes/cases/{settled_case.pk}/payment/",
                    {"amount": "9000.01", "paid_on": timezone.localdate().isoformat()})
    assert r.status_code == 422 and "9000.00" in r.content.decode()  # only 9,000 outstanding
    r = client.post(f"/staff/disputes/cases/{settled_case.pk}/start/", follow=True)  # not from settled
    assert "不能" in r.content.decode()
    r = client.post(f"/staff/disputes/cases/{settled_case.pk}/agree/", {
        "amount": "100", "signed_on": timezone.localdate().isoformat(), "instalments-TOTAL_FORMS": "0",
        "instalments-INITIAL_FORMS": "0", "instalments-MIN_NUM_FORMS": "0", "instalments-MAX_NUM_FORMS": "60"})
    assert r.status_code in (302, 422)
    settled_case.refresh_from_db()
    assert settled_case.state == State.SETTLED and settled_case.agreement.paid_amount == 0
    assert AuditEntry.objects.count() == before


def test_the_export_is_masked_and_audited(client, bl_cadre, bl_case):
    client.force_login(bl_cadre)
    client.get("/staff/?org=BL")
    response = client.get("/staff/disputes/cases/export.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == bl_case.number
    text = " ".join(str(v) for v in rows[1])
    assert ID not in text and "13911112222" not in text and bl_case.id_masked in text
    assert AuditEntry.objects.filter(action="dispute.export").count() == 1



def test_the_export_writes_applicants_and_employers_that_look_like_formulas_as_text(client, bl_cadre, tree, rooms):
    from tests.spreadsheets import FORMULAS, assert_shown_as_text, body

    for applicant, employer in zip(FORMULAS, reversed(FORMULAS), strict=True):
        open_case(bl_cadre, tree.bl, applicant_name=applicant, employer_name=employer)
    client.force_login(bl_cadre)
    client.get("/staff/?org=BL")
    assert_shown_as_text(body(client.get("/staff/disputes/cases/export.xlsx")), FORMULAS)
    assert AuditEntry.objects.filter(action="dispute.export").count() == 1

# ------------------------------------------------------------------------------ member pages

def test_a_worker_applies_on_the_member_pages(client, tree, rooms):
    account = UserFactory(username="rider")
    client.force_login(account)
    assert client.get("/disputes/apply/").status_code == 200
    data = {"district": "BL", "applicant_name": "陈小骑", "id_number": ID, "phone": "13966667777",
            "employer_name": "某外卖平台代理商", "employer_credit_code": "", "employment_start": "2025-06-01",
            "employment_end": "", "knew_on": "2026-05-15", "summary": "", "industry": "", "category": "",
            "claims-TOTAL_FORMS": "1", "claims-INITIAL_FORMS": "0", "claims-MIN_NUM_FORMS": "1",
            "claims-MAX_NUM_FORMS": "20", "claims-0-kind": "unpaid_wages", "claims-0-amount": "6800",
            "claims-0-note": "", "attachments": [upload("聊天记录.png", PNG)]}
    response = client.post("/disputes/apply/", data)
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/disputes/{case.pk}/"
    assert case.channel == "online" and case.applicant_user == account and case.org == tree.bl
    page = client.get(f"/disputes/{case.pk}/").content.decode()
    assert case.number in page and 'data-testid="next-step"' in page and "调处工作室" in page
    doc = case.attachments.get()
    assert client.get(f"/disputes/documents/{doc.pk}/").status_code == 200


def test_the_member_form_refuses_a_bad_file_and_a_missing_claim(client, tree):
    client.force_login(UserFactory())
    data = {"district": "BL", "applicant_name": "陈小骑", "id_number": ID, "employer_name": "某公司",
            "claims-TOTAL_FORMS": "1", "claims-INITIAL_FORMS": "0", "claims-MIN_NUM_FORMS": "1",
            "claims-MAX_NUM_FORMS": "20", "claims-0-kind": "", "claims-0-amount": "",
            "attachments": [upload("照片.jpg", b"not a jpeg at all")]}
    response = client.post("/disputes/apply/", data)
    page = response.content.decode()
    assert response.status_code == 422 and "JPEG" in page and "必填" in page
    assert Case.objects.count() == 0


def test_the_worker_rates_a_paid_case_once(client, tree, rooms, bl_cadre, bl_mediator):
    account = UserFactory(username="worker2")
    case = services.case_open(actor=account, org=tree.bl, channel="online", applicant_name="钱七",
                              employer_name="北仑某厂", claims=[{"kind": "unpaid_wages", "amount": "3000"}],
                              id_number=valid_id_number())
    client.force_login(account)
    assert 'data-testid="rate"' not in client.get(f"/disputes/{case.pk}/").content.decode()
    services.case_triage(actor=bl_cadre, case=case, room=rooms.bl)
    services.case_start(actor=bl_mediator, case=case)
    services.agreement_record(actor=bl_mediator, case=case, amount="3000")
    services.payment_record(actor=bl_mediator, case=case, amount="3000")
    page = client.get(f"/disputes/{case.pk}/").content.decode()
    assert 'data-testid="rate"' in page and "3,000.00" in page
    r = client.post(f"/disputes/{case.pk}/rate/", {"score": "9"})
    assert r.status_code == 422
    r = client.post(f"/disputes/{case.pk}/rate/", {"score": "5", "comment": "很及时"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.satisfaction.score == 5
    assert 'data-testid="rated"' in client.get(f"/disputes/{case.pk}/").content.decode()


# ------------------------------------------------------------------------------ referrals, legal aid, lists

def test_a_case_entrusted_by_a_court_is_recorded_with_its_reference_and_the_result_goes_back(
        client, tree, rooms, bl_cadre, bl_mediator):
    client.force_login(bl_cadre)
    client.get("/staff/?org=BL")
    deadline = timezone.localdate() + dt.timedelta(days=20)
    response = client.post("/staff/disputes/intake/", intake_post(
        channel="court", body_name="宁波市北仑区人民法院", reference="(2026)浙0206民诉前调1234号",
        deadline=deadline.isoformat()))
    case = Case.objects.get()
    assert response.status_code == 302 and case.channel == "court"
    page = client.get(f"/staff/disputes/cases/{case.pk}/").content.decode()
    assert "(2026)浙0206民诉前调1234号" in page and 'data-testid="deadline-court"' in page
    services.case_triage(actor=bl_cadre, case=case, room=rooms.bl)
    services.case_start(actor=bl_mediator, case=case)
    client.force_login(bl_mediator)
    r = client.post(f"/staff/disputes/cases/{case.pk}/fail/", {"reason": "公司不同意支付", "failed_on": ""})
    assert r.status_code == 302
    page = client.get(f"/staff/disputes/cases/{case.pk}/").content.decode()
    assert "调解不成，已退回" in page  # the result went back to the court
    r = client.post(f"/staff/disputes/cases/{case.pk}/refer/", {"target": "", "target_name": "", "reason": ""})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.state == State.REFERRED and case.target == "court"


def test_a_station_lawyer_takes_legal_aid_on_and_it_is_counted(client, tree, rooms, bl_cadre, bl_lawyer, bl_case):
    services.case_triage(actor=bl_cadre, case=bl_case, room=rooms.bl)
    client.force_login(bl_cadre)
    r = client.post(f"/staff/disputes/cases/{bl_case.pk}/legal_aid/", {"request": "代写仲裁申请书"})
    assert r.status_code == 302
    aid = bl_case.legal_aid.get()
    page = client.get(f"/staff/disputes/cases/{bl_case.pk}/").content.decode()
    assert 'data-testid="aid-accept"' not in page  # a cadre is not the room's lawyer
    client.force_login(bl_lawyer)
    page = client.get(f"/staff/disputes/cases/{bl_case.pk}/").content.decode()
    assert 'data-testid="aid-accept"' in page
    assert client.post(f"/staff/disputes/legal-aid/{aid.pk}/accept/").status_code == 302
    assert client.post(f"/staff/disputes/legal-aid/{aid.pk}/done/", {"note": "已代写"}).status_code == 302
    aid.refresh_from_db()
    assert aid.state == "done" and aid.lawyer == bl_lawyer
    client.force_login(bl_cadre)
    home = client.get("/staff/disputes/?org=BL").content.decode()
    assert 'data-testid="kpi-legal_aid">1<' in home


def test_a_lawyer_of_another_room_cannot_touch_the_request(client, tree, rooms, bl_cadre, bl_case):
    services.case_triage(actor=bl_cadre, case=bl_case, room=rooms.bl)
    aid = services.legal_aid_request(actor=bl_cadre, case=bl_case, request="咨询")
    other = room_user(rooms.blt, "lawyer", username="blt_lawyer")
    client.force_login(other)
    assert client.post(f"/staff/disputes/legal-aid/{aid.pk}/accept/").status_code == 404
    aid.refresh_from_db()
    assert aid.state == "requested"


def test_the_overdue_list_says_why_with_a_bounded_number_of_queries(client, tree, bl_cadre, django_assert_max_num_queries):
    for n in range(6):
        open_case(bl_cadre, tree.bl, received_at=timezone.now() - dt.timedelta(days=20 + n))
    open_case(bl_cadre, tree.bl)  # fresh: not overdue
    client.force_login(bl_cadre)
    client.get("/staff/?org=BL")
    with django_assert_max_num_queries(25):
        page = client.get("/staff/disputes/overdue/").content.decode()
    assert page.count('data-testid="case-row"') == 6 and "超过15日未达成协议" in page
    with django_assert_max_num_queries(25):
        listing = client.get("/staff/disputes/cases/?sort=amount").content.decode()
    assert listing.count('data-testid="case-row"') == 7 and "超期" in listing


def test_bad_filters_are_said_and_do_not_break_the_list(client, bl_cadre, bl_case):
    client.force_login(bl_cadre)
    page = client.get("/staff/disputes/cases/?start=2026-05-01&end=2026-01-01&sort=DROP&state=nonsense")
    assert page.status_code == 200 and "结束日期早于开始日期" in page.content.decode()


def test_the_kpis_compare_with_the_period_just_before(client, tree, bl_cadre):
    today = timezone.localdate()
    start, end = today - dt.timedelta(days=9), today  # ten days; the ten days before are the comparison
    now = timezone.now()
    open_case(bl_cadre, tree.bl, received_at=now - dt.timedelta(days=15))
    open_case(bl_cadre, tree.bl, received_at=now - dt.timedelta(days=2))
    open_case(bl_cadre, tree.bl, received_at=now - dt.timedelta(days=1))
    client.force_login(bl_cadre)
    page = client.get(f"/staff/disputes/?org=BL&start={start}&end={end}").content.decode()
    assert 'data-testid="kpi-received">2<' in page and "+100.0%" in page


def test_the_period_is_this_year_unless_asked_and_may_be_open(client, tree, bl_cadre):
    open_case(bl_cadre, tree.bl)
    client.force_login(bl_cadre)
    today = timezone.localdate()
    page = client.get("/staff/disputes/?org=BL").content.decode()
    assert f"{today.year}-01-01 至 {today:%Y-%m-%d}" in page
    page = client.get("/staff/disputes/?org=BL&start=&end=").content.decode()
    assert "最早记录 至 今天" in page and 'data-testid="kpi-received">1<' in page
