"""Bulk import of stations from a spreadsheet (XLSX, first sheet; or CSV), all-or-nothing.

Like the roster: every row is checked first, with the same rules as the form (coordinates inside
China and not swapped, opening hours in order, known kinds and facilities, no second station of a
kind at one place — in the file or already on the platform); one bad row refuses the whole file
and every bad row is named by its line in the file (line 1 is the header). Only when every row is
good are they all written, in one transaction with one audit line.

Columns by header (Chinese or English): 名称 name, 类型 kind, 工会代码 org, 地址 address, 纬度 lat,
经度 lon, 坐标系 datum (WGS-84 / GCJ-02 (高德, 腾讯) / BD-09 (百度); empty: WGS-84), 营业时间 hours,
设施 facilities (labels or codes separated by 、 or commas), 承办单位 host_name, 联系人 contact_name,
联系电话 phone, 荣誉 honours (separated by ；), 开放日期 opened_on.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.core import audit
from gonghui.core.scope import Perm, scope_for
from gonghui.members.roster import RosterFormatError, read_table
from gonghui.orgs.models import Org
from gonghui.stations import conf, geo, services
from gonghui.stations.models import HostKind, Station, StationStatus

COLUMN_LABELS = {"name": "名称", "kind": "类型", "org": "工会代码", "address": "地址", "lat": "纬度", "lon": "经度",
                 "datum": "坐标系", "hours": "营业时间", "facilities": "设施", "host_name": "承办单位",
                 "contact_name": "联系人", "phone": "联系电话", "honours": "荣誉", "opened_on": "开放日期"}
HEADERS = {key: (label, key) for key, label in COLUMN_LABELS.items()}
HEADERS["lat"] += ("latitude",)
HEADERS["lon"] += ("longitude", "lng")
REQUIRED = ("name", "kind", "address", "lat", "lon", "hours")
DATUM_WORDS = {"": geo.WGS84, "wgs84": geo.WGS84, "wgs-84": geo.WGS84, "gps": geo.WGS84, "gcj02": geo.GCJ02,
               "gcj-02": geo.GCJ02, "高德": geo.GCJ02, "腾讯": geo.GCJ02, "火星": geo.GCJ02, "bd09": geo.BD09,
               "bd-09": geo.BD09, "百度": geo.BD09}


class ImportFormatError(Exception):
    """The file as a whole cannot be read."""


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    code: str
    message: str

    def __str__(self) -> str:
        return _("Line %(line)d, %(column)s: %(message)s") % {
            "line": self.line, "column": COLUMN_LABELS.get(self.column, self.column), "message": self.message}


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _header_map(cells: list[object]) -> dict[str, int]:
    wanted = {alias.lower(): key for key, aliases in HEADERS.items() for alias in aliases}
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = wanted.get(str(cell or "").strip().lstrip("\ufeff").lower())
        if key and key not in found:
            found[key] = index
    return found


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _by_label(mapping: dict, text: str) -> str | None:
    """The code of a configured kind or facility, written as its code or its (Chinese) label."""
    if text in mapping:
        return text
    for code in mapping:
        if text.lower() in (a.lower() for a in conf.ALIASES.get(code, ())):
            return code
    for code, label in mapping.items():
        label = label[0] if isinstance(label, tuple) else label
        if text == str(label) or text == _(str(label)):
            return code
    return None


def _messages(exc: ValidationError) -> list[tuple[str, str, str]]:
    if hasattr(exc, "error_dict"):
        return [(f, e.code or "invalid", " ".join(e.messages)) for f, errors in exc.error_dict.items() for e in errors]
    return [("name", e.code or "invalid", " ".join(e.messages)) for e in exc.error_list]


def station_import(*, actor, stream: IO[bytes], filename: str, org: Org | None = None) -> ImportResult:
    """Import every row of the file, or none; ``org`` stands for a missing 工会代码 column or cell."""
    try:
        rows = list(read_table(stream, filename, header_map=_header_map, labels=COLUMN_LABELS, required=REQUIRED))
    except RosterFormatError as exc:
        raise ImportFormatError(str(exc)) from None
    result = ImportResult(rows=len(rows))
    scope = scope_for(actor, Perm.MANAGE)
    if org is not None and not scope.covers(org.path):
        raise PermissionDenied(_("You have no right to do this for this union."))
    codes = {_text(raw.get("org")) for _line, raw in rows} - {""}
    orgs = {o.code: o for o in Org.objects.filter(code__in=codes)}
    kinds, facilities = conf.kinds(), conf.facilities()
    prepared: list[tuple[int, Station]] = []
    for line, raw in rows:
        errors_before = len(result.errors)

        def bad(column: str, code: str, message: str, line=line) -> None:
            result.errors.append(RowError(line, column, code, message))

        code = _text(raw.get("org"))
        row_org = orgs.get(code) if code else org
        if row_org is None or not scope.covers(row_org.path):
            bad("org", "org_unknown", _("No union with code %(code)s in your subtree.") % {"code": code or "—"}
                if code else _("Give the union's code."))
        kind = _by_label(kinds, _text(raw.get("kind")))
        if kind is None:
            bad("kind", "kind_unknown", _("Unknown kind of station: %(kind)s.") % {"kind": _text(raw.get("kind"))})
        found, unknown = [], []
        for word in re.split(r"[、,，;；/\s]+", _text(raw.get("facilities"))):
            if word:
                (found if _by_label(facilities, word) else unknown).append(_by_label(facilities, word) or word)
        if unknown:
            bad("facilities", "facility_unknown", _("Unknown facility: %(codes)s.") % {"codes": "、".join(unknown)})
        datum = DATUM_WORDS.get(_text(raw.get("datum")).lower().replace(" ", ""))
        if datum is None:
            bad("datum", "coords_datum", _("Write the coordinate system as WGS-84, GCJ-02 (高德) or BD-09 (百度)."))
        opened_on = raw.get("opened_on")
        if isinstance(opened_on, dt.datetime):
            opened_on = opened_on.date()
        elif opened_on not in (None, ""):
            try:
                opened_on = dt.date.fromisoformat(_text(opened_on))
            except ValueError:
                bad("opened_on", "date_format", _("Write the date as 2024-05-01."))
                opened_on = None
        else:
            opened_on = None
        if len(result.errors) > errors_before:
            continue
        try:
            fields = services._fields(
                name=_text(raw.get("name")), kind=kind, host_kind=HostKind.OTHER if _text(raw.get("host_name"))
                else HostKind.UNION, host_name=_text(raw.get("host_name")), address=_text(raw.get("address")),
                lat=_text(raw.get("lat")), lon=_text(raw.get("lon")), datum=datum, hours=_text(raw.get("hours")),
                facilities=found, contact_name=_text(raw.get("contact_name")),
                honours="\n".join(h.strip() for h in re.split(r"[；;\n]", _text(raw.get("honours"))) if h.strip()),
                status=StationStatus.OPEN, opened_on=opened_on)
            station = Station(org=row_org, org_path=row_org.path, qr_secret=secrets.token_hex(16),
                              created_by=actor if actor.is_authenticated else None, **fields)
            services._set_phone(station, _text(raw.get("phone")))
        except ValidationError as exc:
            for column, code, message in _messages(exc):
                bad(column, code, message)
            continue
        for earlier_line, earlier in prepared:
            if earlier.kind == station.kind and geo.haversine_m(earlier.lat, earlier.lon, station.lat,
                                                                station.lon) <= services.DUPLICATE_M:
                bad("lat", "duplicate_in_file", _("The same kind of station is already at this place on line "
                                                  "%(line)d.") % {"line": earlier_line})
                break
        else:
            prepared.append((line, station))
    if result.errors:
        return result
    with audit_transaction():
        for line, station in prepared:
            other = services._duplicate(station.kind, station.lat, station.lon)
            if other is not None:
                result.errors.append(RowError(line, "lat", "duplicate", _(
                    "%(name)s, a station of the same kind, is already at this place.") % {"name": other.name}))
        if result.errors:
            raise _Refused
        taken = set()
        for _line, station in prepared:
            station.code = services.new_code()
            while station.code in taken:
                station.code = services.new_code()
            taken.add(station.code)
        Station.objects.bulk_create([s for _line, s in prepared], batch_size=500)
        audit.record(actor=actor, action="station.import", org_path=(org.path if org else ""),
                     data={"file": filename[-100:], "created": len(prepared)})
        result.created = len(prepared)
    return result


class _Refused(Exception):
    pass


class audit_transaction:
    """One transaction for the writes; a refusal found inside it (a duplicate already on the
    platform) rolls back and leaves the errors in the result."""

    def __enter__(self):
        from django.db import transaction

        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        return self

    def __exit__(self, kind, exc, tb):
        self._atomic.__exit__(kind, exc, tb)
        return kind is _Refused


def template_rows() -> list[list[str]]:
    """The header and one example row of the template workbook."""
    return [list(COLUMN_LABELS.values()),
            ["首南街道户外劳动者驿站", str(conf.kinds()["outdoor_station"]) if "outdoor_station" in conf.kinds() else "",
             "YZ", "宁波市鄞州区天童南路 588 号", "29.8167", "121.5530", "WGS-84", "24小时", "座椅、饮用水、微波炉",
             "中国银行宁波鄞州支行", "王站长", "13800000000", "", timezone.localdate().isoformat()]]
