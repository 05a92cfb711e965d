"""Add and edit through the pages: the services' rules and Chinese messages reach the fields."""

import datetime as dt

from gonghui.core.models import AuditEntry
from gonghui.members.models import Member
from gonghui.orgs.models import Org
from tests.factories import valid_credit_code, valid_id_number
from tests.pages.conftest import BL_MEMBER_ID, YZ_MEMBER_ID


def _member_post(**overrides):
    data = {"name": "赵六", "id_number": valid_id_number(7001, birth=dt.date(1992, 2, 29)),
            "phone": "13911112222", "category": "delivery_rider", "is_new_form": "on", "employer": "美团",
            "joined_on": "2024-03-01"}
    data.update(overrides)
    return data


def _field_error(html: str, field: str) -> str:
    start = html.index(f'id="id_{field}-error"')
    return html[start:html.index("</div>", start)]


class TestAddMember:
    def test_a_valid_member_is_created_through_the_service(self, client, yz_cadre, tree):
        client.force_login(yz_cadre)
        response = client.post("/staff/orgs/YZE/members/add/", _member_post())
        member = Member.objects.get(name="赵六")
        assert response.status_code == 302 and response["Location"] == f"/staff/members/{member.pk}/"
        assert member.org == tree.yze and member.category == "delivery_rider" and member.is_new_form
        assert member.card_number and member.phone_masked == "139****2222"
        assert AuditEntry.objects.filter(action="member.create", object_id=str(member.pk)).exists()

    def test_a_bad_id_number_shows_the_chinese_error_and_creates_nothing(self, client, yz_cadre, tree):
        client.force_login(yz_cadre)
        good = valid_id_number(7002)
        bad = good[:-1] + ("0" if good[-1] != "0" else "1")
        response = client.post("/staff/orgs/YZE/members/add/", _member_post(id_number=bad))
        html = response.content.decode()
        assert response.status_code == 200
        assert "身份证号校验位不正确，请逐位核对。" in _field_error(html, "id_number")
        assert bad not in html  # the number is not echoed back into the page
        assert 'aria-invalid="true"' in html
        assert not Member.objects.filter(name="赵六").exists()

    def test_a_wrong_length_names_the_count(self, client, yz_cadre, tree):
        client.force_login(yz_cadre)
        html = client.post("/staff/orgs/YZE/members/add/", _member_post(id_number="3302121990")).content.decode()
        assert "身份证号应为 18 位，当前为 10 位。" in html

    def test_a_bad_phone_is_refused_beside_its_field(self, client, yz_cadre, tree):
        client.force_login(yz_cadre)
        html = client.post("/staff/orgs/YZE/members/add/", _member_post(phone="12345")).content.decode()
        assert "请输入以 1 开头的 11 位手机号。" in _field_error(html, "phone")
        assert not Member.objects.filter(name="赵六").exists()

    def test_a_duplicate_gets_the_services_message(self, client, yz_cadre, yz_member):
        client.force_login(yz_cadre)
        html = client.post("/staff/orgs/YZT/members/add/", _member_post(id_number=YZ_MEMBER_ID)).content.decode()
        assert "此人已是鄞州某科技公司工会的会员。" in _field_error(html, "id_number")
        assert Member.objects.count() == 1

    def test_a_duplicate_in_another_district_does_not_name_that_union(self, client, yz_cadre, bl_member):
        client.force_login(yz_cadre)
        html = client.post("/staff/orgs/YZE/members/add/", _member_post(id_number=BL_MEMBER_ID)).content.decode()
        assert "此人已是其他工会的会员，需办理会员转移手续。" in html
        assert "北仑" not in html

    def test_a_future_joining_date_is_refused(self, client, yz_cadre, tree):
        client.force_login(yz_cadre)
        html = client.post("/staff/orgs/YZE/members/add/", _member_post(joined_on="2999-01-01")).content.decode()
        assert "入会日期不能晚于今天。" in _field_error(html, "joined_on")

    def test_a_missing_name_is_required(self, client, yz_cadre, tree):
        client.force_login(yz_cadre)
        html = client.post("/staff/orgs/YZE/members/add/", _member_post(name="")).content.decode()
        assert "这个字段是必填项。" in _field_error(html, "name")

    def test_the_form_has_labels_and_the_as_you_type_check(self, client, yz_cadre, tree):
        client.force_login(yz_cadre)
        html = client.get("/staff/orgs/YZE/members/add/").content.decode()
        for field in ("name", "id_number", "phone", "category", "is_new_form", "employer", "joined_on"):
            assert f'for="id_{field}"' in html
        assert "data-id-number" in html and "gonghui/idcheck.js" in html
        assert 'data-msg-check="身份证号校验位不正确，请逐位核对。"' in html

    def test_a_viewer_cannot_post(self, client, yz_viewer, tree):
        client.force_login(yz_viewer)
        assert client.post("/staff/orgs/YZE/members/add/", _member_post()).status_code == 403
        assert not Member.objects.exists()


class TestEditMember:
    def test_an_empty_id_number_and_phone_keep_the_stored_ones(self, client, yz_cadre, yz_member):
        client.force_login(yz_cadre)
        response = client.post(f"/staff/members/{yz_member.pk}/edit/", {
            "name": "张三", "id_number": "", "phone": "", "category": "courier", "employer": "",
            "joined_on": "2020-06-01"})
        assert response.status_code == 302
        yz_member.refresh_from_db()
        assert yz_member.name == "张三" and yz_member.phone_masked == "138****5678"
        assert yz_member.id_masked.endswith(YZ_MEMBER_ID[-4:])

    def test_the_phone_can_be_removed(self, client, yz_cadre, yz_member):
        client.force_login(yz_cadre)
        client.post(f"/staff/members/{yz_member.pk}/edit/", {
            "name": "张三丰", "clear_phone": "on", "category": "", "joined_on": "2020-06-01"})
        yz_member.refresh_from_db()
        assert yz_member.phone_masked == ""

    def test_a_bad_id_number_changes_nothing(self, client, yz_cadre, yz_member):
        client.force_login(yz_cadre)
        html = client.post(f"/staff/members/{yz_member.pk}/edit/", {
            "name": "改名", "id_number": "110101199013320011", "joined_on": "2020-06-01"}).content.decode()
        assert "身份证号中的出生日期不存在。" in html
        yz_member.refresh_from_db()
        assert yz_member.name == "张三丰"

    def test_the_form_starts_from_the_stored_values_but_not_the_plain_id(self, client, yz_cadre, yz_member):
        client.force_login(yz_cadre)
        html = client.get(f"/staff/members/{yz_member.pk}/edit/").content.decode()
        assert 'value="张三丰"' in html and 'value="2020-06-01"' in html
        assert YZ_MEMBER_ID not in html and yz_member.id_masked in html


class TestOrgForms:
    def test_a_child_union_is_added(self, client, yz_cadre, tree):
        client.force_login(yz_cadre)
        code = valid_credit_code(4242)
        response = client.post("/staff/orgs/YZT/add/", {
            "code": "yzt-new", "name": "首南某物流公司工会", "kind": "enterprise", "credit_code": code.lower(),
            "star_rating": "4"})
        org = Org.objects.get(code="YZT-NEW")
        assert response.status_code == 302 and response["Location"] == "/staff/orgs/YZT-NEW/"
        assert org.path[:-4] == tree.yzt.path and org.credit_code == code and org.star_rating == 4

    def test_a_bad_credit_code_shows_the_chinese_error_and_creates_nothing(self, client, yz_cadre, tree):
        client.force_login(yz_cadre)
        code = valid_credit_code(4243)
        bad = code[:-1] + ("0" if code[-1] != "0" else "1")
        html = client.post("/staff/orgs/YZT/add/", {
            "code": "YZT9", "name": "某公司工会", "kind": "enterprise", "credit_code": bad}).content.decode()
        assert "统一社会信用代码校验位不正确。" in _field_error(html, "credit_code")
        assert not Org.objects.filter(code="YZT9").exists()

    def test_forbidden_letters_are_named(self, client, yz_cadre, tree):
        client.force_login(yz_cadre)
        html = client.post("/staff/orgs/YZT/add/", {
            "code": "YZT9", "name": "某公司工会", "kind": "enterprise",
            "credit_code": "91330212OOOOOOOOOS"}).content.decode()
        assert "统一社会信用代码不能包含 O、S（不使用 I、O、S、V、Z）。" in html

    def test_a_taken_code_is_refused(self, client, yz_cadre, tree):
        client.force_login(yz_cadre)
        html = client.post("/staff/orgs/YZT/add/", {"code": "BLE", "name": "重复", "kind": "enterprise"}).content.decode()
        assert "该代码已被其他工会使用。" in _field_error(html, "code")

    def test_an_org_is_edited(self, client, yz_cadre, tree):
        client.force_login(yz_cadre)
        response = client.post("/staff/orgs/YZE/edit/", {"name": "鄞州某科技公司工会（新）", "kind": "enterprise",
                                                         "star_rating": "5"})
        assert response.status_code == 302
        org = Org.objects.get(code="YZE")
        assert org.name == "鄞州某科技公司工会（新）" and org.star_rating == 5
        assert AuditEntry.objects.filter(action="org.update", object_id=str(org.pk)).exists()

    def test_the_edit_form_shows_the_stored_values(self, client, yz_cadre, tree):
        client.force_login(yz_cadre)
        html = client.get("/staff/orgs/YZE/edit/").content.decode()
        assert 'value="鄞州某科技公司工会"' in html
        assert "data-credit-code" in html

    def test_a_sibling_cadre_cannot_add_under_another_district(self, client, bl_cadre, tree):
        client.force_login(bl_cadre)
        response = client.post("/staff/orgs/YZT/add/", {"code": "X1", "name": "某", "kind": "enterprise"})
        assert response.status_code == 404
        assert not Org.objects.filter(code="X1").exists()
