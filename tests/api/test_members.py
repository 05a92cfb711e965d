"""GET /api/v1/members?org=&page= and /api/v1/members/{id}: masked, paginated, scoped."""

import re

import pytest

from gonghui.members.models import Member
from tests.factories import make_member, valid_id_number


@pytest.fixture
def nb(tree, nb_cadre, api_as):
    return api_as(nb_cadre)


MASKED_ID = re.compile(r"^\d{6}\*{8}\d{3}[\dX]$")


def test_a_member_is_shown_with_masked_id_number_and_phone(nb, tree):
    number = valid_id_number()
    member = make_member(tree.yze, name="张三", id_number=number, phone="13912345678", category="courier")
    body = nb.get(f"/api/v1/members/{member.pk}").json()
    assert body["id_number"] == f"{number[:6]}********{number[-4:]}"
    assert body["phone"] == "139****5678"
    assert (body["name"], body["org"], body["org_name"], body["category"]) == ("张三", "YZE", tree.yze.name, "courier")
    assert number not in str(body) and "13912345678" not in str(body)


def test_no_answer_lets_a_reader_rebuild_the_id_number(nb, tree):
    number = valid_id_number()
    member = make_member(tree.yze, id_number=number)
    body = nb.get(f"/api/v1/members/{member.pk}").json()
    assert "birth_date" not in body
    assert number[6:14] not in str(body)  # the birth date digits the mask hides
    listed = nb.get("/api/v1/members", org="YZE").json()["results"][0]
    assert set(listed) == set(body)


def test_no_answer_holds_the_stored_secrets(nb, tree):
    member = make_member(tree.yze, phone="13912345678")
    text = nb.get(f"/api/v1/members/{member.pk}").content.decode() + nb.get("/api/v1/members", org="NB").content.decode()
    for secret in ("id_hash", "id_cipher", "phone_hash", "phone_cipher", "pii_key_id", member.id_hash, member.phone_hash):
        assert secret not in text


def test_the_list_is_50_a_page_newest_first(nb, tree):
    for i in range(53):
        make_member(tree.yze if i % 2 else tree.ble, name=f"会员{i:02d}")
    first = nb.get("/api/v1/members", org="NB").json()
    assert (first["count"], first["page"], first["pages"], len(first["results"])) == (53, 1, 2, 50)
    assert first["results"][0]["name"] == "会员52"
    second = nb.get("/api/v1/members", org="NB", page=2).json()
    assert [m["name"] for m in second["results"]] == ["会员02", "会员01", "会员00"]
    assert all(MASKED_ID.match(m["id_number"]) for m in first["results"] + second["results"])


def test_the_list_searches_names(nb, tree):
    make_member(tree.yze, name="王小明")
    make_member(tree.yze, name="李四")
    assert [m["name"] for m in nb.get("/api/v1/members", org="NB", q="王").json()["results"]] == ["王小明"]


def test_members_who_left_are_not_listed(nb, tree):
    member = make_member(tree.yze)
    Member.objects.filter(pk=member.pk).update(status="left", left_on=member.joined_on)
    assert nb.get("/api/v1/members", org="NB").json()["count"] == 0
