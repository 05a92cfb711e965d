"""Roster import: real files in every accepted format, every refusal reason, all-or-nothing."""

import csv
import datetime as dt
import io

import pytest
from openpyxl import Workbook

from gonghui.core.models import AuditEntry
from gonghui.members import imports
from gonghui.members.exports import import_errors_export, write_template
from gonghui.members.imports import roster_import
from gonghui.members.models import Member, Transfer
from gonghui.members.roster import CATEGORY_TEMPLATE_NAMES, RosterFormatError
from gonghui.stats import tallies
from tests.factories import UserFactory, grant, make_member, valid_id_number

HEADER = ["姓名", "身份证号", "手机号", "工会代码", "入会日期", "新就业形态", "群体"]


def row(name="张伟", id_number=None, phone="13800001234", org="YZE", joined="2023-05-01", new_form="是",
        category="快递员"):
    return [name, id_number or valid_id_number(), phone, org, joined, new_form, category]


def csv_bytes(rows, encoding="utf-8", header=HEADER):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows, header=HEADER):
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def run(actor, data: bytes, filename="roster.csv", **kwargs):
    return roster_import(actor=actor, stream=io.BytesIO(data), filename=filename, **kwargs)


def codes(result):
    return [(e.line, e.code) for e in result.errors.kept]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_it_imports_csv_in_each_encoding_excel_writes(yz_cadre, tree, encoding):
    result = run(yz_cadre, csv_bytes([row(name="王芳"), row(name="李娜")], encoding))
    assert result.written and result.imported == 2 and not result.errors
    assert set(Member.objects.filter(org=tree.yze).values_list("name", flat=True)) == {"王芳", "李娜"}


def test_it_imports_the_first_sheet_of_an_xlsx(yz_cadre, tree):
    result = run(yz_cadre, xlsx_bytes([row(name="赵磊", joined=dt.date(2022, 3, 4))]), "名册.xlsx")
    member = Member.objects.get(name="赵磊")
    assert result.imported == 1
    assert member.joined_on == dt.date(2022, 3, 4)
    assert member.is_new_form and member.category == "courier"
    assert member.card_number and member.phone_masked == "138****1234"


def test_it_accepts_english_headers_and_a_default_org(yz_cadre, tree):
    header = ["name", "id_number", "phone", "joined_on", "is_new_form", "category"]
    data = csv_bytes([["Li Lei", valid_id_number(), "", "", "no", ""]], header=header)
    result = run(yz_cadre, data, org=tree.yzt)
    assert result.imported == 1
    assert Member.objects.get(name="Li Lei").org == tree.yzt


def test_it_stores_no_plain_id_number(yz_cadre, tree):
    number = valid_id_number()
    run(yz_cadre, csv_bytes([row(id_number=number)]))
    member = Member.objects.get()
    assert number not in str(member.__dict__)
    assert member.id_masked == f"{number[:6]}********{number[-4:]}"


@pytest.mark.parametrize(
    ("cells", "code"),
    [
        ({"id_number": "33021219900101123" + "0"}, "id_check"),
        ({"id_number": "330212" + "19900230" + "1234"}, "id_birth_date"),
        ({"id_number": "3.30212199001011E+17"}, "id_numeric"),
        ({"id_number": "330212199001011000"}, "id_numeric"),  # Excel's 15 digits, shown as text
        ({"id_number": "330212900101123"}, "id_legacy_15"),
        ({"org": "NOPE"}, "org_unknown"),
        ({"org": "BLE"}, "org_unknown"),  # outside the importer's subtree
        ({"category": "宇航员"}, "category_unknown"),
        ({"name": ""}, "name_missing"),
        ({"joined": "2099-01-01"}, "date_future"),
        ({"joined": "1985-06-01"}, "date_before_birth"),  # the ID number says born 1990-01-01
        ({"joined": "去年"}, "date_invalid"),
        ({"new_form": "也许"}, "flag_invalid"),
        ({"phone": "12345"}, "phone_invalid"),
    ],
)
@pytest.mark.parametrize("kind", ["utf-8", "utf-8-sig", "gbk", "xlsx"])
def test_it_refuses_a_file_with_a_bad_row_and_names_the_reason(yz_cadre, tree, cells, code, kind):
    """Every refusal reason, in a CSV in each encoding Excel writes and in a workbook."""
    rows = [row(), row(), row(**cells)]
    data = xlsx_bytes(rows) if kind == "xlsx" else csv_bytes(rows, kind)
    result = run(yz_cadre, data, f"roster.{'xlsx' if kind == 'xlsx' else 'csv'}")
    assert result.refused and not result.written
    assert (4, code) in codes(result)
    assert all(str(e).startswith("Line 4") or str(e).startswith("第") for e in result.errors.kept)
    assert Member.objects.count() == 0


@pytest.mark.parametrize("joined", [dt.datetime(1985, 6, 1), dt.datetime(1850, 1, 1)])
def test_a_joining_date_cell_before_the_birth_date_is_refused_in_xlsx(yz_cadre, tree, joined):
    """A date cell before the birth date is refused, not counted (PostgreSQL counts joining years
    into per-year tallies as the file streams: 1850 has no slot)."""
    result = run(yz_cadre, xlsx_bytes([row(), row(joined=joined)]), "r.xlsx")
    assert codes(result) == [(3, "date_before_birth")]
    assert "出生日期" in str(result.errors.kept[0]) or "birth date" in str(result.errors.kept[0])
    assert Member.objects.count() == 0


def test_it_refuses_an_id_that_excel_made_a_number_in_xlsx(yz_cadre, tree):
    result = run(yz_cadre, xlsx_bytes([row(id_number=330212199001011234)]), "r.xlsx")
    assert codes(result) == [(2, "id_numeric")]


def test_it_normalises_full_width_digits(yz_cadre, tree):
    number = valid_id_number()
    full_width = number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    result = run(yz_cadre, csv_bytes([row(id_number=full_width)]))
    assert result.imported == 1


def test_it_refuses_duplicates_inside_the_file(yz_cadre, tree):
    number = valid_id_number()
    result = run(yz_cadre, csv_bytes([row(id_number=number), row(), row(id_number=number)]))
    assert codes(result) == [(4, "duplicate_in_file")]
    assert "2" in result.errors.kept[0].message
    assert Member.objects.count() == 0


def test_repeats_are_found_across_chunks_and_the_first_occurrence_is_written(yz_cadre, tree, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK", 2)  # the repeat lands in a later chunk than its first occurrence
    number, known = valid_id_number(), valid_id_number()
    elsewhere = make_member(tree.ble, id_number=known)
    rows = [row(id_number=number), row(), row(id_number=known), row(), row(id_number=number), row(id_number=known)]

    refused = run(yz_cadre, csv_bytes(rows))
    assert refused.refused and codes(refused) == [(6, "duplicate_in_file"), (7, "duplicate_in_file")]
    assert ["2" in e.message for e in refused.errors.kept] == [True, False]  # line 6 repeats line 2, 7 repeats 4
    assert "4" in refused.errors.kept[1].message
    assert Member.objects.count() == 1 and not Transfer.objects.exists()

    result = run(yz_cadre, csv_bytes(rows), valid_only=True)
    assert result.written and (result.imported, result.transfers) == (3, 1)
    assert result.transfer_lines == [4]
    assert Member.objects.filter(id_hash=elsewhere.id_hash).count() == 1
    assert Member.objects.count() == 4
    assert tallies.rebuild() == 0


def test_valid_only_writes_the_good_rows_and_still_reports_every_bad_one(yz_cadre, tree):
    result = run(yz_cadre, csv_bytes([row(), row(org="NOPE"), row(), row(category="x")]), valid_only=True)
    assert result.written and result.imported == 2
    assert [line for line, _ in codes(result)] == [3, 5]
    assert Member.objects.count() == 2


def test_dry_run_checks_everything_and_writes_nothing(yz_cadre, tree):
    result = run(yz_cadre, csv_bytes([row(), row()]), dry_run=True)
    assert result.imported == 2 and not result.written
    assert Member.objects.count() == 0
    assert not AuditEntry.objects.filter(action="member.import").exists()


def test_a_person_of_another_union_becomes_a_transfer_request(yz_cadre, tree):
    number = valid_id_number()
    elsewhere = make_member(tree.ble, id_number=number)
    result = run(yz_cadre, csv_bytes([row(id_number=number), row()]))
    assert result.written and result.imported == 1 and result.transfers == 1
    assert result.transfer_lines == [2]
    transfer = Transfer.objects.get()
    assert (transfer.member, transfer.from_org, transfer.to_org, transfer.status) == (elsewhere, tree.ble, tree.yze, "pending")
    assert Member.objects.filter(id_hash=elsewhere.id_hash).count() == 1
    assert tallies.rebuild() == 0  # only the new member was counted (the transfer moves nobody yet)


def test_reimporting_the_same_roster_changes_nothing(yz_cadre, tree):
    data = csv_bytes([row(), row()])
    run(yz_cadre, data)
    again = run(yz_cadre, data)
    assert (again.imported, again.unchanged, again.transfers) == (0, 2, 0)
    assert Member.objects.count() == 2


def test_one_audit_line_per_import(yz_cadre, tree):
    run(yz_cadre, csv_bytes([row(), row(), row()]))
    entry = AuditEntry.objects.get(action="member.import")
    assert entry.data["imported"] == 3 and entry.actor == yz_cadre


def test_all_or_nothing_holds_when_only_the_last_row_of_a_large_file_is_bad(yz_cadre, tree):
    rows = [row(name=f"工人{i}", id_number=valid_id_number(100_000 + i)) for i in range(12_000)]
    rows.append(row(id_number="330212199001011230"))
    result = run(yz_cadre, csv_bytes(rows))
    assert result.refused and codes(result) == [(12_002, "id_check")]
    assert Member.objects.count() == 0


def test_the_process_gets_its_thread_switch_interval_back_whatever_the_outcome(yz_cadre, tree):
    import sys

    before = sys.getswitchinterval()
    assert run(yz_cadre, csv_bytes([row(), row()])).written
    assert run(yz_cadre, csv_bytes([row(), row(id_number="330212199001011230")])).refused
    with pytest.raises(RosterFormatError):
        run(yz_cadre, b"\xff\xfe not a roster", filename="junk.xlsx")
    assert sys.getswitchinterval() == before


def test_it_refuses_a_file_without_the_required_columns(yz_cadre, tree):
    with pytest.raises(RosterFormatError, match="身份证号"):
        run(yz_cadre, csv_bytes([["x"]], header=["姓名"]))


def test_it_refuses_an_unreadable_workbook(yz_cadre, tree):
    with pytest.raises(RosterFormatError):
        run(yz_cadre, b"not a zip", "bad.xlsx")


def test_a_cadre_cannot_import_into_a_sibling_district(bl_cadre, tree):
    result = run(bl_cadre, csv_bytes([row(org="YZE")]))
    assert codes(result) == [(2, "org_unknown")]  # as for a code nobody has: codes are not enumerable
    unknown = run(bl_cadre, csv_bytes([row(org="NOPE")]))
    assert result.errors.kept[0].message == unknown.errors.kept[0].message.replace("NOPE", "YZE")


def test_a_union_seen_but_not_managed_is_named_as_such(tree):
    township_cadre = UserFactory()
    grant(township_cadre, tree.yzt)
    grant(township_cadre, tree.yz, "viewer")
    result = run(township_cadre, csv_bytes([row(org="YZ")]))
    assert codes(result) == [(2, "org_out_of_scope")]


def test_the_template_and_error_workbook_open_in_openpyxl(tmp_path, yz_cadre, tree):
    from openpyxl import load_workbook

    write_template(tmp_path / "t.xlsx")
    sheet = load_workbook(tmp_path / "t.xlsx").worksheets[0]
    assert [c.value for c in sheet[1]] == HEADER
    # The lists of the two choice columns.
    lists = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    assert lists["F2:F5000"] == '"是,否"'
    assert lists["G2:G5000"].strip('"').split(",") == list(CATEGORY_TEMPLATE_NAMES)  # what the import accepts
    # A file that still holds the sample row gets it back as a bad row, with its reason.
    sample = run(yz_cadre, (tmp_path / "t.xlsx").read_bytes(), "t.xlsx")
    assert sample.refused and codes(sample) == [(2, "sample_row")] and Member.objects.count() == 0
    assert "示例" in str(sample.errors.kept[0])
    result = run(yz_cadre, csv_bytes([row(org="NOPE")]))
    import_errors_export(actor=yz_cadre, errors=result.errors.kept, target=tmp_path / "e.xlsx")
    errors = load_workbook(tmp_path / "e.xlsx").worksheets[0]
    assert errors.cell(2, 1).value == 2 and errors.cell(2, 4).value == "org_unknown"
