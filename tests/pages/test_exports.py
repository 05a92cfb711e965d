"""导出 on the member roster: exactly the list shown, masked unless asked and allowed, always audited."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from gonghui.core.models import AuditEntry
from gonghui.members.exports import EXPORT_HEADERS, member_export
from gonghui.members.models import MemberStatus
from tests.factories import make_member, valid_id_number
from tests.pages.conftest import YZ_MEMBER_ID

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet_rows(response) -> list[tuple]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == XLSX
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return list(workbook.worksheets[0].iter_rows(values_only=True))


def url(code="YZ"):
    return reverse("staff:member_export", kwargs={"code": code})


@pytest.fixture
def roster(tree, yz_member):
    second = make_member(tree.yzt, name="王五", id_number=valid_id_number(9010), joined_on=dt.date(2021, 3, 1))
    gone = make_member(tree.yze, name="张六", id_number=valid_id_number(9011), joined_on=dt.date(2018, 1, 1))
    gone.status, gone.left_on = MemberStatus.LEFT, dt.date(2022, 1, 1)
    gone.save(update_fields=["status", "left_on"])
    return {"first": yz_member, "second": second, "gone": gone}


def exports():
    return list(AuditEntry.objects.filter(action="member.export").values_list("actor_name", "data"))


def test_a_cadre_exports_the_list_masked(client, yz_cadre, roster, bl_member):
    client.force_login(yz_cadre)
    response = client.get(url())
    rows = sheet_rows(response)
    assert rows[0] == EXPORT_HEADERS
    assert [r[0] for r in rows[1:]] == ["王五", "张三丰"]  # the page's order; no one who left, no one of BL
    first = rows[2]
    assert first[1] == roster["first"].id_masked and "*" in first[1]
    assert first[2] == "138****5678" and first[3] == "YZE" and first[5] == "是" and first[6] == "快递员"
    assert first[4] == dt.datetime(2020, 6, 1)  # a real date cell
    assert YZ_MEMBER_ID.encode() not in b"".join(client.get(url()).streaming_content)
    assert "no-store" in response["Cache-Control"]
    assert "attachment" in response["Content-Disposition"] and ".xlsx" in response["Content-Disposition"]
    assert exports()[0] == ("yz_cadre", {"org": "YZ", "count": 2, "unmasked": False, "searched": False,
                                         "include_left": False})


def test_the_export_follows_the_lists_filters(client, yz_cadre, roster):
    client.force_login(yz_cadre)
    assert [r[0] for r in sheet_rows(client.get(url(), {"q": "张"}))[1:]] == ["张三丰"]
    with_left = sheet_rows(client.get(url(), {"left": "on"}))
    assert [r[0] for r in with_left[1:]] == ["张六", "王五", "张三丰"]
    assert with_left[1][10:12] == ("已离会", dt.datetime(2022, 1, 1))
    assert [r[0] for r in sheet_rows(client.get(url("YZE")))[1:]] == ["张三丰"]
    assert [d["searched"] for _, d in exports()] == [True, False, False]


def test_a_cadre_exports_full_id_numbers_by_post(client, yz_cadre, roster):
    client.force_login(yz_cadre)
    rows = sheet_rows(client.post(url(), {"full": "1", "q": "张三"}))
    assert [r[:2] for r in rows[1:]] == [("张三丰", YZ_MEMBER_ID)]
    assert exports()[0][1]["unmasked"] is True and exports()[0][1]["count"] == 1


def test_a_get_never_unmasks(client, yz_cadre, roster):
    client.force_login(yz_cadre)
    rows = sheet_rows(client.get(url(), {"full": "1"}))
    assert YZ_MEMBER_ID not in [r[1] for r in rows]


def test_the_full_export_needs_csrf(yz_cadre, roster):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(yz_cadre)
    assert strict.post(url(), {"full": "1"}).status_code == 403
    assert exports() == []


def test_a_viewer_exports_masked_but_never_full_numbers(client, yz_viewer, roster):
    client.force_login(yz_viewer)
    assert len(sheet_rows(client.get(url()))) == 3
    assert client.post(url(), {"full": "1"}).status_code == 403
    assert [d["unmasked"] for _, d in exports()] == [False]  # the refused one left no line: nothing went out
    page = client.get(reverse("staff:members", kwargs={"code": "YZ"})).content.decode()
    assert 'data-testid="export-masked"' in page and 'data-testid="export-full"' not in page


def test_another_districts_cadre_is_refused(client, bl_cadre, roster):
    client.force_login(bl_cadre)
    assert client.get(url()).status_code == 404  # as an unknown code: the union is outside the subtree
    assert client.post(url(), {"full": "1"}).status_code == 404
    assert client.get(url("NOPE")).status_code == 404
    assert exports() == []


def test_the_roster_page_offers_both_exports_to_a_cadre(client, yz_cadre, roster):
    client.force_login(yz_cadre)
    page = client.get(reverse("staff:members", kwargs={"code": "YZ"}), {"q": "张"}).content.decode()
    assert 'href="/staff/orgs/YZ/members/export.xlsx?q=%E5%BC%A0"' in page
    assert 'data-testid="export-full"' in page and '<input type="hidden" name="q" value="张">' in page
    assert "导出完整身份证号" in page and "每次导出都会记入审计日志" in page


def test_the_service_reads_the_members_in_one_streamed_query(yz_cadre, tree, roster):
    out = io.BytesIO()
    with CaptureQueriesContext(connection) as queries:
        count = member_export(actor=yz_cadre, org=tree.yz, target=out, unmasked=True)
    assert count == 2
    member_reads = [q["sql"] for q in queries if "FROM \"members_member\"" in q["sql"]]
    assert len(member_reads) == 1 and "org__code" in member_reads[0]  # values_list with the union joined
    rows = list(load_workbook(io.BytesIO(out.getvalue()), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert rows[2][1] == YZ_MEMBER_ID


def test_names_that_look_like_formulas_come_out_as_text_in_both_exports(client, yz_cadre, tree):
    from tests.spreadsheets import FORMULAS, assert_shown_as_text, body

    for n, name in enumerate(FORMULAS):
        make_member(tree.yze, name=name, id_number=valid_id_number(9100 + n))
    client.force_login(yz_cadre)
    assert_shown_as_text(body(client.get(url())), FORMULAS)
    assert_shown_as_text(body(client.post(url(), {"full": "1"})), FORMULAS)
    assert [d["unmasked"] for _, d in exports()] == [False, True]  # one audit line per export
