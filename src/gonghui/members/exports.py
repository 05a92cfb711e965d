"""Spreadsheets out: the roster template, error workbooks, and member list exports.

Error workbooks and member lists go through ``gonghui.core.exports`` (cells that never run as
formulas, one audit line each). The template holds no one's data: it is written here directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from typing import IO

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from gonghui.core import pii
from gonghui.core.exports import Sheet, export
from gonghui.core.scope import Perm, require
from gonghui.members.roster import (
    CATEGORY_BY_NAME,
    CATEGORY_TEMPLATE_NAMES,
    COLUMN_LABELS,
    SAMPLE_ID_NUMBER,
    RowError,
)
from gonghui.members.selectors import member_list
from gonghui.orgs.models import Org

TEMPLATE_HEADERS = ("姓名", "身份证号", "手机号", "工会代码", "入会日期", "新就业形态", "群体")


def write_template(target: str | IO[bytes]) -> None:
    """The roster template: headers, a sample row, lists for 新就业形态 and 群体, ID column as text."""
    wb = Workbook()
    ws = wb.active
    ws.title = "会员名册"
    ws.append(TEMPLATE_HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.append(["张三", SAMPLE_ID_NUMBER, "13800000000", "YZ", "2024-05-01", "是", "网约送餐员"])
    for column in "BC":  # typed as text so Excel keeps all 18 characters
        for row in range(2, 5001):
            ws[f"{column}{row}"].number_format = "@"
    ws.column_dimensions["B"].width = 22
    ws.column_dimensions["C"].width = 14
    ws.column_dimensions["E"].width = 12
    yes_no = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
    groups = DataValidation(type="list", formula1='"' + ",".join(CATEGORY_TEMPLATE_NAMES) + '"', allow_blank=True)
    ws.add_data_validation(yes_no)
    ws.add_data_validation(groups)
    yes_no.add("F2:F5000")
    groups.add("G2:G5000")
    notes = wb.create_sheet("填写说明")
    for line in (
        "第 2 行（张三）是示例：填写前请删除；留在文件里时，导入会把它列为错误行。",
        "每行一名会员；表头不可修改（也可使用英文表头 name, id_number, phone, org, joined_on, is_new_form, category）。",
        "身份证号、手机号两列已设为文本格式：请勿改为数字，否则 Excel 会丢失末几位。",
        "工会代码：会员所在工会的代码；整个文件属于同一工会时可留空，导入时选择该工会。",
        "入会日期：如 2024-05-01；留空为导入当天。新就业形态：是/否。群体：八大群体之一或留空。",
        "任何一行有错误时整个文件都不会导入，并列出每一行错误；也可选择“仅导入正确的行”。",
    ):
        notes.append([line])
    wb.save(target)


ERROR_HEADERS = ("行号", "姓名", "列", "错误代码", "原因")


def import_errors_export(*, actor, errors: Iterable[RowError], target: str | IO[bytes], job=None,
                         org_path: str = "") -> int:
    """The error workbook (错误清单) of an import: line, name, column, code and reason of each bad row.

    Names come from the uploaded file, so they go through the exporter like any export; audited
    (``member.import_errors_export``) against the import job when there is one."""
    rows = ([e.line, e.name, COLUMN_LABELS.get(e.column, e.column), e.code, e.message] for e in errors)
    return export(actor=actor, action="member.import_errors_export", obj=job, org_path=org_path,
                  sheets=Sheet("错误清单", ERROR_HEADERS, rows, widths=(8, 12, 12, 20, 60)), target=target)


# ---------------------------------------------------------------------------------------------
# Member list exports (导出): exactly the list the page shows, masked unless asked and allowed.

# The first seven columns are the import template's, so a sheet can be edited and imported again.
EXPORT_HEADERS = (*TEMPLATE_HEADERS, "工会名称", "性别", "年龄", "状态", "离会日期", "会员卡号")
_EXPORT_FIELDS = ("name", "id_masked", "phone_masked", "org__code", "joined_on", "is_new_form", "category",
                  "org__name", "sex", "birth_date", "status", "left_on", "card_number", "id_cipher", "pii_key_id",
                  "id_hash")
_CATEGORY_NAMES = {CATEGORY_BY_NAME[name]: name for name in CATEGORY_TEMPLATE_NAMES}
_SEX_NAMES = {"M": "男", "F": "女"}
_STATUS_NAMES = {"active": "会员", "left": "已离会"}
EXPORT_WIDTHS = (10, 21, 13, 10, 12, 10, 12, 28, 6, 6, 8, 12, 21)
EXPORT_CHUNK = 2_000


def _age(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _member_rows(rows: Iterable[tuple], *, unmasked: bool) -> Iterator[list]:
    today = timezone.localdate()
    for row in rows:
        (name, id_masked, phone_masked, org_code, joined_on, is_new_form, category, org_name, sex, birth_date,
         status, left_on, card_number) = row[:13]
        # Only an unmasked export reads the ciphertext (the last three fields) at all.
        id_number = pii.decrypt(row[13], key_id=row[14], bound_to=row[15]) if unmasked else id_masked
        yield [name, id_number, phone_masked, org_code, joined_on, "是" if is_new_form else "否",
               _CATEGORY_NAMES.get(category, ""), org_name, _SEX_NAMES.get(sex, sex), _age(birth_date, today),
               _STATUS_NAMES.get(status, status), left_on, card_number or ""]


def member_export(*, actor, org: Org, target: str | IO[bytes], text: str = "", include_left: bool = False,
                  unmasked: bool = False, progress: Callable[[int], None] | None = None) -> int:
    """Export the member list the actor sees for ``org`` (same filters as the page); audited.

    ID numbers are masked unless ``unmasked``, which needs the reveal right on the union. The
    rows stream from the database in chunks into a write-only workbook, so memory stays flat
    whatever the list's length. ``progress(rows written)`` is called every few thousand rows
    (background exports). Returns the number of members written.
    """
    require(actor, Perm.READ, org.path)
    if unmasked:
        require(actor, Perm.REVEAL, org.path)
    members = member_list(user=actor, org=org, text=text, include_left=include_left)
    fields = _EXPORT_FIELDS if unmasked else _EXPORT_FIELDS[:-3]
    rows = members.values_list(*fields).iterator(chunk_size=EXPORT_CHUNK)
    sheet = Sheet("会员名册", EXPORT_HEADERS, _member_rows(rows, unmasked=unmasked), widths=EXPORT_WIDTHS,
                  freeze_header=True)
    return export(actor=actor, action="member.export", org_path=org.path, sheets=sheet, target=target,
                  progress=progress, progress_every=EXPORT_CHUNK, count_key="count",
                  data={"org": org.code, "unmasked": unmasked, "searched": bool(text.strip()),
                        "include_left": include_left})
