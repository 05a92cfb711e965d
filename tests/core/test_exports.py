"""The one exporter: text never runs as a formula, typed values stay typed, one audit line per file."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from gonghui.core.exports import Sheet, csv_text, export, export_bytes, write_xlsx
from gonghui.core.models import AuditEntry
from tests.factories import UserFactory
from tests.spreadsheets import assert_csv_neutralised, assert_shown_as_text, cells, csv_rows

EVERY_PREFIX = ("=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0")


def workbook(rows, headers=("a", "b", "c")) -> bytes:
    out = io.BytesIO()
    write_xlsx([Sheet("s", headers, rows)], out)
    return out.getvalue()


def test_every_dangerous_first_character_is_written_as_text():
    content = workbook([[text, "plain", None] for text in EVERY_PREFIX])
    assert_shown_as_text(content, EVERY_PREFIX)
    plain = [c for c in cells(content) if c.value == "plain"]
    assert plain and not any(c.quotePrefix for c in plain)  # ordinary text is left alone


def test_numbers_money_and_dates_stay_typed():
    content = workbook([[-5, Decimal("-12.50"), dt.date(2024, 2, 29)]])
    values = {c.coordinate: c for c in cells(content)}
    assert values["A2"].value == -5 and values["A2"].data_type == "n"
    assert values["B2"].value == Decimal("-12.50") and values["B2"].data_type == "n"
    assert values["C2"].value == dt.datetime(2024, 2, 29) and values["C2"].is_date


def test_a_header_that_looks_like_a_formula_is_text_too():
    assert_shown_as_text(workbook([], headers=("=HYPERLINK(\"x\")",)), ["=HYPERLINK(\"x\")"])


@given(st.text(max_size=30).filter(lambda s: "\x00" not in s))
def test_csv_text_neutralises_exactly_the_formula_starts(text):
    out = csv_text(text)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        assert out == "'" + text
    else:
        assert out == text


@pytest.mark.django_db
def test_a_csv_export_quotes_text_and_keeps_numbers(tmp_path):
    actor = UserFactory(username="exporter")
    content = export_bytes(actor=actor, action="test.export", fmt="csv",
                           sheets=Sheet("s", ("名称", "金额", "日期"),
                                        [[t, Decimal("-3.00"), dt.date(2024, 2, 29)] for t in EVERY_PREFIX]))
    assert_csv_neutralised(content, EVERY_PREFIX)
    rows = csv_rows(content)
    assert rows[0] == ["名称", "金额", "日期"] and rows[1][1:] == ["-3.00", "2024-02-29"]
    assert content.startswith("\ufeff".encode())  # Excel reads the Chinese as UTF-8


@pytest.mark.django_db
def test_an_export_writes_one_audit_line_with_its_row_count():
    actor = UserFactory(username="exporter")
    count = export(actor=actor, action="test.export", target=io.BytesIO(), org_path="0001", data={"org": "NB"},
                   sheets=[Sheet("a", ("x",), [[1], [2]]), Sheet("b", ("y",), [[3]])])
    assert count == 3
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_name, entry.org_path, entry.data) == ("test.export", "exporter", "0001",
                                                                          {"org": "NB", "rows": 3})


@pytest.mark.django_db
def test_a_file_that_fails_half_way_leaves_no_audit_line():
    def rows():
        yield [1]
        raise RuntimeError("the database went away")

    from openpyxl.worksheet._writer import ALL_TEMP_FILES

    before = list(ALL_TEMP_FILES)
    with pytest.raises(RuntimeError):
        export(actor=UserFactory(), action="test.export", target=io.BytesIO(), sheets=Sheet("a", ("x",), rows()))
    assert not AuditEntry.objects.exists()
    assert ALL_TEMP_FILES == before  # the rows written so far did not stay behind in a temporary file
