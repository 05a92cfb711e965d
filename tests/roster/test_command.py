"""`gonghui import-members`: what a cadre at the terminal sees, and the exit code scripts rely on."""

import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from gonghui.members.models import Member, Transfer
from tests.factories import make_member, valid_id_number
from tests.roster.test_imports import csv_bytes, row


def import_members(path, *args):
    """Run the command; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import-members", str(path), *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def roster_file(tmp_path):
    def write(rows, name="roster.csv", encoding="gbk"):
        path = tmp_path / name
        path.write_bytes(csv_bytes(rows, encoding))
        return path
    return write


def test_a_good_file_is_imported_and_exits_0(yz_cadre, tree, roster_file):
    code, out, _ = import_members(roster_file([row(name="王芳"), row(name="李娜")]), "--as", "yz_cadre")
    assert code == 0
    assert "已导入 2 名会员" in out
    assert set(Member.objects.values_list("name", flat=True)) == {"王芳", "李娜"}


def test_a_bad_file_exits_1_lists_every_bad_row_in_chinese_and_writes_nothing(yz_cadre, tree, roster_file, tmp_path):
    rows = [row(), row(org="NOPE"), row(), row(id_number="330212199001011230")]
    errors = tmp_path / "errors.xlsx"
    code, out, err = import_members(roster_file(rows), "--as", "yz_cadre", "--errors-xlsx", str(errors))
    assert code == 1
    assert "文件被拒绝，未写入任何数据" in out and "4 行中 2 行有错误" in out
    assert "第 3 行" in err and "第 5 行" in err and "工会代码" in err and "校验" in err
    sheet = load_workbook(errors).worksheets[0]
    assert [sheet.cell(r, 1).value for r in (2, 3)] == [3, 5]
    assert Member.objects.count() == 0


def test_valid_only_and_dry_run(yz_cadre, tree, roster_file):
    path = roster_file([row(name="王芳"), row(org="NOPE")])
    code, out, _ = import_members(path, "--as", "yz_cadre", "--dry-run")
    assert code == 1 and Member.objects.count() == 0
    code, out, _ = import_members(path, "--as", "yz_cadre", "--valid-only", "--dry-run")
    assert code == 0 and "将导入 1 名会员" in out and Member.objects.count() == 0
    code, out, _ = import_members(path, "--as", "yz_cadre", "--valid-only")
    assert code == 0 and list(Member.objects.values_list("name", flat=True)) == ["王芳"]


def test_people_of_other_unions_become_transfer_requests_with_their_lines(yz_cadre, tree, roster_file):
    number = valid_id_number()
    make_member(tree.ble, id_number=number)
    code, out, _ = import_members(roster_file([row(), row(id_number=number)]), "--as", "yz_cadre")
    assert code == 0 and "转会申请所在行：3" in out
    assert Transfer.objects.get().to_org == tree.yze


def test_the_default_union_comes_from_org(yz_cadre, tree, tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes([["赵磊", valid_id_number()]], header=["姓名", "身份证号"]))
    assert import_members(path, "--as", "yz_cadre", "--org", "yzt")[0] == 0
    assert Member.objects.get().org == tree.yzt
    with pytest.raises(CommandError, match="没有工会代码为 NOPE"):
        import_members(path, "--as", "yz_cadre", "--org", "NOPE")


def test_a_user_without_rights_or_a_file_that_is_not_a_roster_gets_a_message(yz_cadre, bl_cadre, tree, roster_file,
                                                                             tmp_path):
    with pytest.raises(CommandError, match="无权导入"):
        import_members(roster_file([["王芳", valid_id_number()]]), "--as", "bl_cadre", "--org", "YZE")
    with pytest.raises(CommandError, match="找不到文件"):
        import_members(tmp_path / "missing.csv", "--as", "yz_cadre")
    junk = tmp_path / "photo.xlsx"
    junk.write_bytes(b"\x89PNG not a workbook")
    code, _, err = import_members(junk, "--as", "yz_cadre")
    assert code == 1 and "文件被拒绝" in err
    assert Member.objects.count() == 0


def test_a_long_list_of_transfer_lines_is_cut_short(yz_cadre, tree, roster_file, monkeypatch):
    from importlib import import_module

    monkeypatch.setattr(import_module("gonghui.members.management.commands.import-members"),
                        "TRANSFER_LINES_SHOWN", 1)
    numbers = [valid_id_number(), valid_id_number()]
    for number in numbers:
        make_member(tree.ble, id_number=number)
    code, out, _ = import_members(roster_file([row(id_number=n) for n in numbers]), "--as", "yz_cadre")
    assert code == 0 and "转会申请所在行：2 等" in out and Transfer.objects.count() == 2


def test_the_error_workbook_of_the_command_writes_formula_like_names_as_text(yz_cadre, tree, roster_file, tmp_path):
    from gonghui.core.models import AuditEntry
    from tests.spreadsheets import FORMULAS, assert_shown_as_text

    errors = tmp_path / "errors.xlsx"
    code, _out, _err = import_members(roster_file([row(name=n, org="NOPE") for n in FORMULAS]), "--as", "yz_cadre",
                                      "--errors-xlsx", str(errors))
    assert code == 1
    assert_shown_as_text(errors.read_bytes(), FORMULAS)
    assert AuditEntry.objects.filter(action="member.import_errors_export", actor_name="yz_cadre").count() == 1


def test_a_dry_run_says_the_transfer_requests_would_be_made(yz_cadre, tree, roster_file):
    number = valid_id_number()
    make_member(tree.ble, id_number=number)
    code, out, _ = import_members(roster_file([row(), row(id_number=number)]), "--as", "yz_cadre", "--dry-run")
    assert code == 0 and not Transfer.objects.exists()
    assert "将生成转会申请" in out and "已生成" not in out
    assert "将生成转会申请的行：3" in out
