"""An uploaded enrolment list names each line it cannot take by its line in the file, as the
roster import does (line 1 is the header; blank lines are counted though skipped)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from gonghui.mutualaid.models import EnrolmentBatch
from tests.factories import valid_id_number
from tests.mutualaid.helpers import members_with_numbers


def upload(client, plan, name: str, body: bytes) -> EnrolmentBatch:
    response = client.post(f"/staff/aid/plans/{plan.pk}/enrol/?org=YZ",
                           {"mode": "list", "confirm": "1", "file": SimpleUploadedFile(name, body)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return EnrolmentBatch.objects.latest("pk")


def lines(batch) -> dict[int, str]:
    return {row["line"]: row["code"] for row in batch.report["lines"] if "line" in row}


@pytest.fixture
def people(tree):
    return members_with_numbers(tree.yze, 2)


def test_a_csv_with_a_header_counts_the_lines_of_the_file(client, tree, yz_cadre, plan, people):
    outsider = valid_id_number()
    body = "身份证号\n" + "\n".join([people[0][1], "", "12345", outsider, people[1][1]]) + "\n"
    client.force_login(yz_cadre)
    batch = upload(client, plan, "名单.csv", body.encode())
    assert batch.enrolled == 2
    assert lines(batch) == {4: "invalid", 5: "not_in_union"}


def test_a_list_without_a_header_starts_at_line_one(client, tree, yz_cadre, plan, people):
    body = "\n".join(["12345", people[0][1]]) + "\n"
    client.force_login(yz_cadre)
    batch = upload(client, plan, "名单.csv", body.encode())
    assert lines(batch) == {1: "invalid"}


def test_a_workbook_counts_its_rows_as_excel_shows_them(client, tree, yz_cadre, plan, people):
    book = Workbook()
    sheet = book.active
    for row in (["姓名", "身份证号"], ["甲", people[0][1]], [None, None], ["乙", "12345"]):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    client.force_login(yz_cadre)
    batch = upload(client, plan, "名单.xlsx", out.getvalue())
    assert lines(batch) == {4: "invalid"}
