"""The joining pages (/join/, /login/sms/, 办事) and the workbench queues (入会审批, 会员转移, 退会)."""

import datetime as dt
import re

import pytest

from gonghui.core.models import AccountPhone
from gonghui.core.sms import LocmemSender
from gonghui.members.models import JoinApplication, JoinStatus, Member, MemberStatus, Transfer, TransferStatus
from gonghui.members.services import join_apply, transfer_release, transfer_request
from tests.factories import UserFactory, grant, make_cadre, make_member, make_org, valid_id_number, verified_account

PHONE = "13955556666"
ID = valid_id_number(7401, birth=dt.date(1993, 9, 9))


@pytest.fixture
def rider_union(tree):
    return make_org(tree.yzt, code="YZNF", name="鄞州美团骑手工会", kind="new_form")


def sms_login(client, url, phone=PHONE):
    response = client.post(url, {"action": "send", "phone": phone})
    assert response.status_code == 302, response.content.decode()[:2000]
    html = client.get(url).content.decode()
    assert "139****6666" in html or phone[:3] in html
    return client.post(url, {"action": "verify", "code": LocmemSender.last_code(phone)})


def apply_via_page(client, **changes):
    data = {"name": "吴骑手", "id_number": ID, "employer": "美团外卖", "category": "delivery_rider",
            "district": "YZ", "q": "", "org": "YZNF"}
    data.update(changes)
    return client.post("/join/", data)


class TestJoinPages:
    def test_step_one_asks_for_the_mobile_then_the_code(self, client, tree, sms_outbox):
        html = client.get("/join/").content.decode()
        assert 'data-testid="join-step-1"' in html and 'name="phone"' in html
        response = sms_login(client, "/join/")
        assert response.status_code == 302 and response["Location"] == "/join/"
        assert len(sms_outbox) == 1
        html = client.get("/join/").content.decode()
        assert 'data-testid="join-step-2"' in html and "139****6666" in html
        assert AccountPhone.objects.get().phone_masked == "139****6666"

    def test_the_mobile_is_never_kept_in_plain_text_in_the_session(self, client, tree):
        client.post("/join/", {"action": "send", "phone": PHONE})
        session = client.session
        assert PHONE not in str(dict(session.items()))
        assert session["gonghui_sms_join"]["masked"] == "139****6666"

    def test_a_wrong_code_is_refused_in_chinese(self, client, tree):
        client.post("/join/", {"action": "send", "phone": PHONE})
        code = LocmemSender.last_code(PHONE)
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        html = client.post("/join/", {"action": "verify", "code": wrong}).content.decode()
        assert "验证码不正确" in html and "还可以再试 4 次" in html
        assert "_auth_user_id" not in client.session

    def test_asking_again_at_once_is_refused_with_the_wait(self, client, tree):
        client.post("/join/", {"action": "send", "phone": PHONE})
        html = client.post("/join/", {"action": "resend"}).content.decode()
        assert "秒后" in html

    def test_step_two_sends_the_application_and_shows_it_in_services(self, client, tree, rider_union):
        sms_login(client, "/join/")
        response = apply_via_page(client)
        assert response.status_code == 302 and response["Location"] == "/services/"
        application = JoinApplication.objects.get()
        assert (application.org, application.name, application.phone_masked) == (rider_union, "吴骑手", "139****6666")
        html = client.get("/services/").content.decode()
        assert "申请已提交" in html or "已提交" in html
        assert "审核中" in html and "鄞州美团骑手工会" in html and "撤回" in html

    def test_a_bad_id_number_is_not_echoed_back(self, client, tree, rider_union):
        sms_login(client, "/join/")
        bad = ID[:-1] + ("0" if ID[-1] != "0" else "1")
        html = apply_via_page(client, id_number=bad).content.decode()
        assert "校验位" in html and bad not in html
        assert not JoinApplication.objects.exists()

    def test_the_union_must_be_chosen(self, client, tree, rider_union):
        sms_login(client, "/join/")
        html = apply_via_page(client, org="").content.decode()
        assert "请选择要加入的工会" in html

    def test_union_search_and_suggestions(self, client, tree, rider_union):
        html = client.get("/join/unions/", {"q": "骑手"}).content.decode()
        assert "鄞州美团骑手工会" in html and 'value="YZNF"' in html
        assert "宁波市总工会" not in client.get("/join/unions/", {"q": "总工会"}).content.decode()
        suggested = client.get("/join/unions/", {"district": "YZ", "category": "delivery_rider"}).content.decode()
        assert "鄞州美团骑手工会" in suggested
        assert "鄞州美团骑手工会" not in client.get("/join/unions/", {"district": "BL"}).content.decode()

    def test_without_javascript_the_find_button_shows_the_unions(self, client, tree, rider_union):
        sms_login(client, "/join/")
        html = client.post("/join/", {"action": "search", "q": "骑手", "name": "吴骑手", "id_number": ID}).content.decode()
        assert 'value="YZNF"' in html and ID not in html and "invalid-feedback d-block" not in html

    def test_a_registered_person_is_told_without_naming_their_union(self, client, tree, rider_union):
        make_member(tree.ble, id_number=ID)
        sms_login(client, "/join/")
        apply_via_page(client)
        html = client.get("/services/").content.decode()
        assert "转会" in html and tree.ble.name not in html
        assert Transfer.objects.get().source == "join"

    def test_the_worker_withdraws_a_waiting_application(self, client, tree, rider_union):
        sms_login(client, "/join/")
        apply_via_page(client)
        application = JoinApplication.objects.get()
        assert client.post(f"/services/join/{application.pk}/withdraw/").status_code == 302
        application.refresh_from_db()
        assert application.status == JoinStatus.CANCELLED
        other = UserFactory()
        client.force_login(other)
        assert client.post(f"/services/join/{application.pk}/withdraw/").status_code == 404

    def test_home_and_me_lead_to_joining(self, client, member_without_record):
        assert 'href="/join/"' in client.get("/").content.decode()
        client.force_login(member_without_record)
        assert 'href="/join/"' in client.get("/me/").content.decode()


class TestSmsLogin:
    def test_a_worker_logs_in_with_mobile_and_code(self, client, db):
        account = verified_account(PHONE)
        response = sms_login(client, "/login/sms/")
        assert response.status_code == 302 and response["Location"] == "/"
        assert client.session["_auth_user_id"] == str(account.pk)

    def test_the_password_login_offers_the_sms_path(self, client, db):
        assert 'href="/login/sms/"' in client.get("/login/").content.decode()

    def test_a_cadre_account_is_sent_to_the_password_login(self, client, tree):
        cadre = verified_account(PHONE)
        grant(cadre, tree.yz)
        html = sms_login(client, "/login/sms/").content.decode()
        assert "用户名和密码" in html and "_auth_user_id" not in client.session

    def test_next_is_followed_only_on_this_site(self, client, db):
        verified_account(PHONE)
        client.post("/login/sms/", {"action": "send", "phone": PHONE, "next": "/services/"})
        response = client.post("/login/sms/", {"action": "verify", "code": LocmemSender.last_code(PHONE),
                                               "next": "https://evil.example/"})
        assert response["Location"] == "/"


@pytest.fixture
def waiting(tree, rider_union):
    return join_apply(applicant=verified_account(PHONE), org=rider_union, name="吴骑手", id_number=ID,
                      employer="美团外卖", category="delivery_rider")


class TestJoinQueue:
    def test_the_menu_shows_what_waits(self, client, yz_cadre, waiting):
        client.force_login(yz_cadre)
        html = client.get("/staff/?org=YZ").content.decode()
        assert "入会审批" in html and re.search(r'data-testid="joins-waiting">1<', html)

    def test_the_queue_lists_masked_applications_of_the_subtree(self, client, yz_cadre, waiting):
        client.force_login(yz_cadre)
        html = client.get("/staff/orgs/YZ/joins/").content.decode()
        assert "吴骑手" in html and waiting.id_masked in html and ID not in html
        assert "共 1 份申请" in html or "1 份申请" in html

    def test_approve_makes_the_member_and_the_worker_sees_the_card(self, client, yz_cadre, waiting):
        client.force_login(yz_cadre)
        response = client.post(f"/staff/joins/{waiting.pk}/approve/")
        assert response.status_code == 302
        member = Member.objects.get()
        html = client.get(f"/staff/joins/{waiting.pk}/").content.decode()
        assert member.card_number in html and "已同意" in html
        client.force_login(waiting.applicant)
        me = client.get("/me/").content.decode()
        assert 'data-testid="member-card"' in me and "鄞州美团骑手工会" in me
        assert "已通过" in client.get("/services/").content.decode()

    def test_refusing_needs_a_reason_the_worker_reads(self, client, yz_cadre, waiting):
        client.force_login(yz_cadre)
        response = client.post(f"/staff/joins/{waiting.pk}/refuse/", {"reason": ""})
        assert response.status_code == 422 and "请填写原因" in response.content.decode()
        client.post(f"/staff/joins/{waiting.pk}/refuse/", {"reason": "请补充平台接单记录"})
        waiting.refresh_from_db()
        assert waiting.status == JoinStatus.REFUSED
        client.force_login(waiting.applicant)
        html = client.get("/services/").content.decode()
        assert "未通过" in html and "请补充平台接单记录" in html and 'href="/join/"' in html

    def test_a_viewer_sees_but_cannot_decide(self, client, yz_viewer, waiting):
        client.force_login(yz_viewer)
        html = client.get(f"/staff/joins/{waiting.pk}/").content.decode()
        assert 'data-testid="approve"' not in html
        assert client.post(f"/staff/joins/{waiting.pk}/approve/").status_code == 403
        assert not Member.objects.exists()

    def test_another_district_gets_404_for_the_queue_and_the_application(self, client, bl_cadre, waiting):
        client.force_login(bl_cadre)
        assert client.get("/staff/orgs/YZ/joins/").status_code == 404
        assert client.get(f"/staff/joins/{waiting.pk}/").status_code == 404
        assert client.post(f"/staff/joins/{waiting.pk}/approve/").status_code == 404

    def test_deciding_needs_a_post(self, client, yz_cadre, waiting):
        client.force_login(yz_cadre)
        assert client.get(f"/staff/joins/{waiting.pk}/approve/").status_code == 405


class TestTransferPages:
    @pytest.fixture
    def person(self, tree):
        return make_member(tree.ble, name="冯师傅", id_number=ID, joined_on=dt.date(2020, 3, 1))

    def test_a_cadre_asks_for_a_member_by_id_number(self, client, yz_cadre, person, tree):
        client.force_login(yz_cadre)
        assert client.get("/staff/orgs/YZE/transfers/new/").status_code == 200
        response = client.post("/staff/orgs/YZE/transfers/new/", {"id_number": ID, "note": "3月入职"})
        transfer = Transfer.objects.get()
        assert response.status_code == 302 and response["Location"] == f"/staff/transfers/{transfer.pk}/"
        html = client.get(f"/staff/transfers/{transfer.pk}/").content.decode()
        # 北仑 is asked first: until it agrees, 鄞州 sees neither the union nor the person's name.
        assert "冯师傅" not in html and tree.ble.name not in html and "另一工会" in html
        assert 'data-testid="awaiting-release"' in html and 'data-testid="approve"' not in html
        transfer_release(actor=make_cadre(tree.bl), transfer=transfer)
        html = client.get(f"/staff/transfers/{transfer.pk}/").content.decode()
        assert "冯师傅" in html and 'data-testid="approve"' in html
        html = client.get("/staff/orgs/YZ/transfers/").content.decode()
        assert "冯师傅" in html and "待决定" in html

    def test_an_unknown_id_number_is_explained(self, client, yz_cadre, tree):
        client.force_login(yz_cadre)
        html = client.post("/staff/orgs/YZE/transfers/new/", {"id_number": ID}).content.decode()
        assert "会员库中没有" in html and ID not in html

    def test_the_sending_union_follows_read_only(self, client, yz_cadre, bl_cadre, person, tree):
        transfer = transfer_request(actor=yz_cadre, org=tree.yze, id_number=ID)
        client.force_login(bl_cadre)
        html = client.get("/staff/orgs/BL/transfers/?direction=out").content.decode()
        assert "冯师傅" in html and tree.ble.name in html
        detail = client.get(f"/staff/transfers/{transfer.pk}/").content.decode()
        assert 'data-testid="approve"' not in detail and 'data-testid="release"' in detail
        assert client.post(f"/staff/transfers/{transfer.pk}/approve/").status_code == 403
        client.post(f"/staff/transfers/{transfer.pk}/release/")
        transfer.refresh_from_db()
        assert transfer.released_at is not None and transfer.status == TransferStatus.PENDING
        assert 'data-testid="release"' not in client.get(f"/staff/transfers/{transfer.pk}/").content.decode()

    def test_the_sending_union_objects_on_the_page(self, client, yz_cadre, bl_cadre, person, tree):
        transfer = transfer_request(actor=yz_cadre, org=tree.yze, id_number=ID)
        client.force_login(bl_cadre)
        response = client.post(f"/staff/transfers/{transfer.pk}/object/", {"reason": ""})
        assert response.status_code == 422 and "请填写原因" in response.content.decode()
        client.post(f"/staff/transfers/{transfer.pk}/object/", {"reason": "合同未到期"})
        transfer.refresh_from_db()
        assert (transfer.status, transfer.reason) == (TransferStatus.REFUSED, "合同未到期")

    def test_approval_moves_the_member_and_the_timeline_shows_the_periods(self, client, yz_cadre, person, tree):
        transfer = transfer_release(actor=make_cadre(tree.bl), transfer=transfer_request(actor=yz_cadre, org=tree.yze,
                                                                                         id_number=ID))
        client.force_login(yz_cadre)
        client.post(f"/staff/transfers/{transfer.pk}/approve/")
        transfer.refresh_from_db()
        assert transfer.status == TransferStatus.APPROVED
        html = client.get(f"/staff/members/{person.pk}/").content.decode()
        assert 'data-testid="periods"' in html and tree.yze.name in html and "（转出）" in html

    def test_a_refusal_without_reason_is_shown_beside_the_field(self, client, yz_cadre, person, tree):
        transfer = transfer_request(actor=yz_cadre, org=tree.yze, id_number=ID)
        client.force_login(yz_cadre)
        response = client.post(f"/staff/transfers/{transfer.pk}/refuse/", {"reason": ""})
        assert response.status_code == 422 and "请填写原因" in response.content.decode()

    def test_a_stranger_gets_404(self, client, yz_cadre, person, tree):
        transfer = transfer_request(actor=yz_cadre, org=tree.yze, id_number=ID)
        other = UserFactory()
        grant(other, make_org(tree.nb, code="ZH", kind="district"))
        client.force_login(other)
        assert client.get(f"/staff/transfers/{transfer.pk}/").status_code == 404


class TestLeavePage:
    def test_a_cadre_records_a_member_leaving(self, client, yz_cadre, yz_member):
        client.force_login(yz_cadre)
        assert 'data-testid="leave"' in client.get(f"/staff/members/{yz_member.pk}/").content.decode()
        assert client.get(f"/staff/members/{yz_member.pk}/leave/").status_code == 200
        response = client.post(f"/staff/members/{yz_member.pk}/leave/", {"on": "2024-12-31", "reason": "退休"})
        assert response.status_code == 302
        yz_member.refresh_from_db()
        assert (yz_member.status, yz_member.left_on) == (MemberStatus.LEFT, dt.date(2024, 12, 31))
        html = client.get(f"/staff/members/{yz_member.pk}/").content.decode()
        assert "退休" in html and 'data-testid="leave"' not in html

    def test_a_viewer_cannot(self, client, yz_viewer, yz_member):
        client.force_login(yz_viewer)
        assert client.get(f"/staff/members/{yz_member.pk}/leave/").status_code == 403

    def test_a_date_before_joining_is_refused_beside_the_form(self, client, yz_cadre, yz_member):
        client.force_login(yz_cadre)
        html = client.post(f"/staff/members/{yz_member.pk}/leave/", {"on": "2001-01-01", "reason": "退休"}).content.decode()
        assert "2020-06-01" in html
        yz_member.refresh_from_db()
        assert yz_member.status == MemberStatus.ACTIVE
