"""Roster files (the Excel sheets cadres keep): reading and validating them row by row.

A roster is CSV (UTF-8, UTF-8 with BOM, or GBK/GB18030 as Chinese Excel writes it) or XLSX
(first sheet), with columns found by header (Chinese or English, see ``HEADERS``). Reading
streams: a file of three million rows is never held in memory. Validation turns each row into
either the values to store (ID number and phone already hashed, encrypted and masked) or a list
of ``RowError`` naming the line, the column and the reason.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, NamedTuple

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.core import pii
from gonghui.core.ids import (
    make_id_number,
    mask_phone,
    normalise,
    parse_id_number,
    parse_phone,
    quick_id_facts,
    quick_phone,
)
from gonghui.members.models import Category

# Canonical column → the headers accepted for it (compared after trimming and lower-casing).
HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "id_number"),
    "phone": ("手机号", "手机号码", "手机", "phone"),
    "org": ("工会代码", "org"),
    "joined_on": ("入会日期", "joined_on"),
    "is_new_form": ("新就业形态", "is_new_form"),
    "category": ("群体", "category"),
}
REQUIRED = ("name", "id_number")
COLUMN_LABELS = {"name": "姓名", "id_number": "身份证号", "phone": "手机号", "org": "工会代码",
                 "joined_on": "入会日期", "is_new_form": "新就业形态", "category": "群体"}

# The Chinese names cadres write in the 群体 column (the template offers them as a list).
CATEGORY_BY_NAME: dict[str, str] = {
    "货车司机": Category.TRUCK_DRIVER,
    "快递员": Category.COURIER,
    "护工护理员": Category.CARE_WORKER,
    "护工": Category.CARE_WORKER,
    "护理员": Category.CARE_WORKER,
    "家政服务员": Category.DOMESTIC_WORKER,
    "商场信息员": Category.MALL_PROMOTER,
    "网约送餐员": Category.DELIVERY_RIDER,
    "外卖骑手": Category.DELIVERY_RIDER,
    "房产中介员": Category.ESTATE_AGENT,
    "房产中介": Category.ESTATE_AGENT,
    "保安员": Category.SECURITY_GUARD,
    "网约车司机": Category.RIDE_HAILING_DRIVER,
    **{c.value: c.value for c in Category},
}
CATEGORY_TEMPLATE_NAMES = ("货车司机", "快递员", "护工护理员", "家政服务员", "商场信息员", "网约送餐员",
                           "房产中介员", "保安员", "网约车司机")
# The template's sample row (张三) carries this valid synthetic number (born on the earliest day an
# ID number may say, which no real worker and no generated roster has); a file that still holds
# the row gets it back as a bad row instead of importing 张三.
SAMPLE_ID_NUMBER = make_id_number("330212", dt.date(1900, 1, 1), 1)
YES = frozenset({"是", "y", "yes", "true", "1"})
NO = frozenset({"否", "n", "no", "false", "0", ""})
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
_DATES_KEPT = 10_000  # distinct joining dates a validator remembers (a roster has a few thousand)
MAX_KEPT_ERRORS = 100_000  # beyond this only the count grows: a report, not a copy of the file


class RosterFormatError(Exception):
    """The file as a whole cannot be read (format, encoding, headers)."""


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    code: str
    message: str
    name: str = ""

    def __str__(self) -> str:
        label = COLUMN_LABELS.get(self.column, self.column)
        who = f"（{self.name}）" if self.name else ""
        return _("Line %(line)d%(who)s, %(column)s: %(message)s") % {
            "line": self.line, "who": who, "column": label, "message": self.message}


class LineSet:
    """The distinct line numbers added, one bit a line: a file of three million bad rows holds
    375 KiB here, not a set of three million ints (over 100 MiB)."""

    def __init__(self):
        self._bits = bytearray()
        self._count = 0

    def add(self, line: int) -> None:
        byte, bit = divmod(line, 8)
        if byte >= len(self._bits):
            self._bits.extend(bytes(max(byte + 1 - len(self._bits), len(self._bits))))  # at least double
        if not self._bits[byte] & (1 << bit):
            self._bits[byte] |= 1 << bit
            self._count += 1

    def __len__(self) -> int:
        return self._count

    def __repr__(self) -> str:
        return f"LineSet({self._count} lines)"


@dataclass
class ErrorLog:
    """Every bad row, up to MAX_KEPT_ERRORS kept in full, all of them counted."""

    kept: list[RowError] = field(default_factory=list)
    bad_lines: LineSet = field(default_factory=LineSet)  # to count the bad rows (a row may have several errors)
    total: int = 0

    def add(self, error: RowError) -> None:
        self.total += 1
        self.bad_lines.add(error.line)
        if len(self.kept) < MAX_KEPT_ERRORS:
            self.kept.append(error)

    def __bool__(self) -> bool:
        return self.total > 0


# ---------------------------------------------------------------------------------------------
# Reading


def _header_map(cells: list[object]) -> dict[str, int]:
    wanted = {alias.lower(): key for key, aliases in HEADERS.items() for alias in aliases}
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = wanted.get(str(cell or "").strip().lstrip("\ufeff").lower())
        if key and key not in found:
            found[key] = index
    return found


def _detect_text_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        # A chunk may end inside a multi-byte character: an incremental decoder tolerates that.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"  # what Chinese Excel writes ("GBK"), as its superset


def _csv_rows(stream: IO[bytes]) -> Iterator[list[object]]:
    head = stream.read(256 * 1024)
    stream.seek(0)
    encoding = _detect_text_encoding(head)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    sample = head[:8192].decode(encoding if encoding != "utf-8-sig" else "utf-8", errors="ignore")
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    try:
        yield from csv.reader(text, delimiter=delimiter)
    except UnicodeDecodeError:
        raise RosterFormatError(_("The file is not valid UTF-8 or GBK text; save it again as CSV (UTF-8).")) from None
    except csv.Error as exc:
        raise RosterFormatError(_("The CSV file is malformed: %(error)s") % {"error": exc}) from None
    finally:
        if not text.closed:  # (the caller may have closed the stream before closing this generator)
            text.detach()  # the wrapper would close the caller's stream, which a retried import reads again


def _xlsx_rows(stream: IO[bytes]) -> Iterator[list[object]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise RosterFormatError(_("The file is not a readable Excel workbook (.xlsx).")) from None
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        workbook.close()


def read_table(stream: IO[bytes], filename: str, *, header_map: Callable[[list], dict[str, int]],
               labels: dict[str, str], required: Iterable[str]) -> Iterator[tuple[int, dict[str, object]]]:
    """Yield (line number, {column: raw cell}) for each data row of a CSV or XLSX table.

    Line 1 is the header row; ``header_map(header)`` says which cell holds which column. A file
    without one of the ``required`` columns is refused, naming them by their ``labels``.
    """
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(stream)
    elif suffix in (".csv", ".txt", ""):
        rows = _csv_rows(stream)
    else:
        raise RosterFormatError(_("Unsupported file type %(suffix)s: use CSV or XLSX.") % {"suffix": suffix})
    header = next(rows, None)
    if header is None:
        raise RosterFormatError(_("The file is empty."))
    columns = header_map(header)
    missing = [labels[c] for c in required if c not in columns]
    if missing:
        raise RosterFormatError(
            _("Column(s) missing from the header row: %(columns)s.") % {"columns": "、".join(missing)}
        )
    width = len(header)
    for line, cells in enumerate(rows, start=2):
        # any() alone would also skip a row of zeros or False (Excel cells): only a row of blanks is skipped.
        if not any(cells) and not any(c not in (None, "") for c in cells):
            continue  # blank lines are not rows
        if len(cells) < width:
            cells = list(cells) + [None] * (width - len(cells))
        yield line, {key: cells[index] for key, index in columns.items()}


def read_rows(stream: IO[bytes], filename: str) -> Iterator[tuple[int, dict[str, object]]]:
    """Yield (line number, {column: raw cell}) for each data row of a roster; line 1 is the header."""
    return read_table(stream, filename, header_map=_header_map, labels=COLUMN_LABELS, required=REQUIRED)


# ---------------------------------------------------------------------------------------------
# Validation


@dataclass(frozen=True)
class OrgRef:
    id: int
    path: str


class ValidRow(NamedTuple):
    """A row ready to store: no plain ID number or phone left in it."""

    line: int
    name: str
    org: OrgRef
    id: pii.Protected
    birth_date: dt.date
    sex: str
    region_code: str
    phone: pii.Protected | None
    category: str
    is_new_form: bool
    joined_on: dt.date


_new_tuple = tuple.__new__


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _parse_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = normalise(_text(value))
    try:
        return dt.date.fromisoformat(text)  # the common case, and far faster than strptime
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


class RowValidator:
    """Turns raw rows into ``ValidRow`` or errors; knows the unions the importer may write to."""

    def __init__(self, *, orgs_by_code: dict[str, OrgRef], default_org: OrgRef | None,
                 code_exists: Callable[[str], bool], today: dt.date | None = None):
        self.orgs_by_code = orgs_by_code  # the unions the importer may write to
        # True for a union the importer sees but may not write to; a union outside their subtree is
        # as unknown as a code nobody has, so that codes cannot be enumerated through an import.
        self.code_exists = code_exists
        self.default_org = default_org
        self.today = today or timezone.localdate()
        # For the fast path: the cells that need no cleaning, mapped to what the full path makes of them.
        self._orgs_as_written = {code: org for code, org in orgs_by_code.items()
                                 if code and code == code.strip().upper()}
        if default_org is not None:  # an empty cell means the file's union
            self._orgs_as_written[""] = default_org
        self._flags = {flag: True for flag in YES} | {flag: False for flag in NO}
        self._categories = {name: key for name, key in CATEGORY_BY_NAME.items() if name == name.strip()}
        self._categories[""] = ""
        self._dates: dict[str, dt.date] = {}  # joining dates as written → the date, valid ones only
        self._protect_id = pii.protector("id")
        self._protect_phone = pii.protector("phone")

    def __call__(self, line: int, row: dict[str, object]) -> tuple[ValidRow | None, list[RowError]]:
        """The row's values to store, or None and every error of the row.

        Most rows are clean — plain text cells, an ID number of 18 ASCII characters, a known
        union code as it is stored — and take a fast path. Anything else (another cell type,
        spaces or full-width characters to fold, any error) goes through ``check``, which gives
        the same values for every row the fast path takes, and the reasons for a bad one.
        """
        get = row.get
        name = get("name")
        raw_id = get("id_number")
        phone = get("phone")
        code = get("org")
        joined = get("joined_on")
        flag = get("is_new_form")
        category = get("category")
        if (type(name) is not str or type(raw_id) is not str
                or not (type(phone) is str or phone is None) or not (type(code) is str or code is None)
                or not (type(flag) is str or flag is None) or not (type(category) is str or category is None)):
            return self.check(line, row)
        name = " ".join(name.split())
        facts = quick_id_facts(raw_id, self.today)
        org = self._orgs_as_written.get(code or "")
        is_new_form = self._flags.get(flag or "")
        category = self._categories.get(category or "")
        if (not name or len(name) > 50 or facts is None or org is None or is_new_form is None or category is None
                or raw_id == SAMPLE_ID_NUMBER):
            return self.check(line, row)
        if phone and not quick_phone(phone):
            return self.check(line, row)
        if joined is None or joined == "":
            joined = self.today
        elif type(joined) is str:
            joined_on = self._dates.get(joined)
            if joined_on is None:
                try:
                    joined_on = _parse_date(joined)
                except ValueError:
                    return self.check(line, row)
                if joined_on > self.today:
                    return self.check(line, row)
                if len(self._dates) < _DATES_KEPT:
                    self._dates[joined] = joined_on
            joined = joined_on
        elif type(joined) is dt.datetime and joined.date() <= self.today:  # an Excel date cell
            joined = joined.date()
        else:
            return self.check(line, row)
        if joined < facts[0]:  # before the birth date
            return self.check(line, row)
        ident = self._protect_id(raw_id, f"{raw_id[:6]}********{raw_id[-4:]}")
        if phone:
            phone = self._protect_phone(phone, f"{phone[:3]}****{phone[-4:]}")
        # The tuple made directly: ValidRow(...) would add a Python call to each row.
        return _new_tuple(ValidRow, (line, name, org, ident, facts[0], facts[1], raw_id[:6], phone or None,
                                     category, is_new_form, joined)), []

    def check(self, line: int, row: dict[str, object]) -> tuple[ValidRow | None, list[RowError]]:
        """Every check, one after the other, for any row: what ``__call__`` does for the unusual ones."""
        errors: list[RowError] = []
        name = " ".join(_text(row.get("name")).split())

        def bad(column: str, code: str, message: str) -> None:
            errors.append(RowError(line, column, code, str(message), name))

        if not name:
            bad("name", "name_missing", _("The name is missing."))
        elif len(name) > 50:
            bad("name", "name_too_long", _("A name has at most 50 characters."))

        ident = info = None
        raw_id = row.get("id_number")
        try:
            # A numeric cell (Excel's doing) is refused by parse_id_number with its own message.
            info = parse_id_number(raw_id if isinstance(raw_id, (int, float)) else _text(raw_id), today=self.today)
        except ValidationError as exc:
            bad("id_number", exc.error_list[0].code or "id_invalid", exc.messages[0])
        else:
            if info.number == SAMPLE_ID_NUMBER:
                bad("id_number", "sample_row", _("This is the template's sample row: delete it before importing."))
            ident = self._protect_id(info.number, info.masked)

        phone = None
        raw_phone = _text(row.get("phone"))
        if raw_phone:
            try:
                number = parse_phone(raw_phone)
            except ValidationError as exc:
                bad("phone", "phone_invalid", exc.messages[0])
            else:
                phone = self._protect_phone(number, mask_phone(number))

        org = self._org(_text(row.get("org")).upper(), bad)

        joined_on = self.today
        raw_joined = row.get("joined_on")
        if _text(raw_joined):
            try:
                joined_on = _parse_date(raw_joined)
            except ValueError:
                bad("joined_on", "date_invalid", _("The joining date is not a date (write 2024-05-01)."))
            else:
                if joined_on > self.today:
                    bad("joined_on", "date_future", _("The joining date is in the future."))
                elif info is not None and joined_on < info.birth_date:
                    bad("joined_on", "date_before_birth", _("The joining date is before the birth date in the ID number."))

        is_new_form = False
        flag = _text(row.get("is_new_form")).lower()
        if flag in YES:
            is_new_form = True
        elif flag not in NO:
            bad("is_new_form", "flag_invalid", _("Write 是 or 否."))

        category = ""
        raw_category = _text(row.get("category"))
        if raw_category:
            category = CATEGORY_BY_NAME.get(raw_category, "")
            if not category:
                bad("category", "category_unknown",
                    _("Unknown group; use one of: %(names)s.") % {"names": "、".join(CATEGORY_TEMPLATE_NAMES)})

        if errors:
            return None, errors
        return ValidRow(line=line, name=name, org=org, id=ident, birth_date=info.birth_date, sex=info.sex,
                        region_code=info.region_code, phone=phone, category=category,
                        is_new_form=is_new_form, joined_on=joined_on), []

    def _org(self, code: str, bad) -> OrgRef | None:
        if not code:
            if self.default_org is None:
                bad("org", "org_missing", _("The union code is missing (or give --org for the whole file)."))
            return self.default_org
        org = self.orgs_by_code.get(code)
        if org is not None:
            return org
        if self.code_exists(code):
            bad("org", "org_out_of_scope", _("Your role does not allow adding members to union %(code)s.")
                % {"code": code})
        else:
            bad("org", "org_unknown", _("No union in your subtree has the code %(code)s.") % {"code": code})
        return None
