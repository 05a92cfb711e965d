"""The settlement feed (医保联网): records of hospital stays from the medical insurer, by file or API.

A record is stored once per settlement id: sending it again answers what became of it (never a
second payout); sending the same id with different data is refused (code ``conflict``). Lines that
cannot be read (no settlement id, a bad ID number, amounts or dates that do not parse or do not
add up) are not stored: they are reported with the code ``invalid``, the column and the reason.
Stored records are then priced by ``pricing.price_received``; those of non-members, of members not
enrolled or of stays outside the cover are kept as ``rejected`` with their reason code.

File format (CSV in UTF-8, UTF-8 with BOM or GBK, or XLSX first sheet; columns found by header,
Chinese or English; see docs/mutualaid.md): 结算编号, 身份证号, 医院, 入院日期, 出院日期,
医疗总费用, 统筹支付, 目录内自付, 目录外自费, and optionally 保障类别 (住院 / 特种重病).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gonghui.core import audit, jobs, pii
from gonghui.core.ids import parse_id_number
from gonghui.core.money import parse_money
from gonghui.core.scope import Perm, require
from gonghui.members.roster import RosterFormatError, _parse_date, read_table
from gonghui.mutualaid import rules
from gonghui.mutualaid.models import (
    FeedStatus,
    Product,
    Reason,
    SettlementFeed,
    SettlementRecord,
)
from gonghui.orgs.models import Org

logger = logging.getLogger(__name__)

HEADERS: dict[str, tuple[str, ...]] = {
    "settlement_id": ("结算编号", "结算单号", "结算id", "settlement_id"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "id_number"),
    "hospital": ("医院", "医疗机构", "定点医疗机构", "hospital"),
    "admitted_on": ("入院日期", "admitted_on"),
    "discharged_on": ("出院日期", "discharged_on"),
    "total_cost": ("医疗总费用", "总费用", "total_cost"),
    "fund_paid": ("统筹支付", "基金支付", "fund_paid"),
    "self_pay_in": ("目录内自付", "个人自付", "self_pay_in"),
    "self_pay_out": ("目录外自费", "自费", "self_pay_out"),
    "product": ("保障类别", "product"),
}
REQUIRED = ("settlement_id", "id_number", "hospital", "admitted_on", "discharged_on", "total_cost", "fund_paid",
            "self_pay_in", "self_pay_out")
COLUMN_LABELS = {key: aliases[0] for key, aliases in HEADERS.items()}
PRODUCT_NAMES = {"住院": Product.INPATIENT, "在职住院": Product.INPATIENT, "退休住院": Product.RETIREE_INPATIENT,
                 "特种重病": Product.CRITICAL_ILLNESS, "重病": Product.CRITICAL_ILLNESS,
                 **{p.value: p.value for p in Product}}
SETTLEMENT_ID_RE = re.compile(r"^[A-Za-z0-9_.:/-]{1,64}$")
CHUNK = 5_000
API_MAX_RECORDS = 5_000
REPORT_LINES = 500


@dataclass(frozen=True)
class Line:
    """The outcome of one line or record: stored, repeated (with the stored record), conflict or invalid."""

    line: int
    settlement_id: str
    outcome: str  # "stored" | "repeated" | "conflict" | "invalid"
    code: str = ""
    column: str = ""
    message: str = ""
    record_id: int | None = None


@dataclass
class ReceiveResult:
    rows: int = 0
    stored: int = 0
    repeated: int = 0
    invalid: int = 0
    conflicts: int = 0
    lines: list[Line] = field(default_factory=list)  # every line (API) or the bad ones (files)


# ---------------------------------------------------------------------------------------------
# Validation


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _amount(value: object) -> Decimal:
    if isinstance(value, float):
        value = repr(value)  # a spreadsheet cell: its shortest repr is what the sheet shows
    return parse_money(value if isinstance(value, int | Decimal) else _text(value), field=None)


def clean_record(raw: dict[str, object], *, today: dt.date) -> tuple[dict | None, list[tuple[str, str]]]:
    """(values to store with the ID number protected, []) or (None, [(column, message), …])."""
    errors: list[tuple[str, str]] = []
    out: dict = {}
    sid = _text(raw.get("settlement_id"))
    if not SETTLEMENT_ID_RE.match(sid):
        errors.append(("settlement_id", _("A settlement id is 1 to 64 letters, digits or - _ . : /.")))
    out["settlement_id"] = sid
    try:
        info = parse_id_number(_text(raw.get("id_number")))
        out["id"] = info
    except ValidationError as exc:
        errors.append(("id_number", exc.messages[0]))
    hospital = " ".join(_text(raw.get("hospital")).split())
    if not hospital or len(hospital) > 200:
        errors.append(("hospital", _("Enter the hospital (at most 200 characters).")))
    out["hospital"] = hospital
    for column in ("admitted_on", "discharged_on"):
        try:
            out[column] = _parse_date(raw.get(column))
        except (ValueError, TypeError):
            errors.append((column, _("Not a date (use 2024-03-01).")))
    for column in ("total_cost", "fund_paid", "self_pay_in", "self_pay_out"):
        try:
            out[column] = _amount(raw.get(column))
        except ValidationError as exc:
            errors.append((column, exc.messages[0]))
    product = _text(raw.get("product")) or Product.INPATIENT
    if product not in PRODUCT_NAMES:
        errors.append(("product", _("Unknown product: use 住院 or 特种重病.")))
    out["product"] = PRODUCT_NAMES.get(product, Product.INPATIENT)
    if not errors:
        if out["discharged_on"] < out["admitted_on"]:
            errors.append(("discharged_on", _("Discharge is before admission.")))
        elif out["discharged_on"] > today:
            errors.append(("discharged_on", _("The discharge date is in the future.")))
        if out["fund_paid"] + out["self_pay_in"] + out["self_pay_out"] > out["total_cost"]:
            errors.append(("total_cost", _("The fund's share and the self-pay add up to more than the total cost.")))
    return (None, errors) if errors else (out, [])


def _fingerprint(values: dict | SettlementRecord, id_hash: str) -> tuple:
    get = values.get if isinstance(values, dict) else lambda k: getattr(values, k)
    return (id_hash, get("product"), get("hospital"), get("admitted_on"), get("discharged_on"),
            rules.yuan(get("total_cost")), rules.yuan(get("fund_paid")), rules.yuan(get("self_pay_in")),
            rules.yuan(get("self_pay_out")))


# ---------------------------------------------------------------------------------------------
# Storing


def _store_chunk(feed: SettlementFeed, chunk: list[tuple[int, dict]], result: ReceiveResult, *,
                 keep_good_lines: bool, today: dt.date) -> None:
    """Validate and store one chunk of (line, raw record); one transaction."""
    valid: dict[str, tuple[int, dict, str]] = {}
    for line, raw in chunk:
        result.rows += 1
        values, errors = clean_record(raw, today=today)
        sid = _text(raw.get("settlement_id"))[:64]
        if errors:
            result.invalid += 1
            column, message = errors[0]
            result.lines.append(Line(line, sid, "invalid", Reason.INVALID, column,
                                     "; ".join(m for _c, m in errors)))
            continue
        h = pii.digest("id", values["id"].number)
        if sid in valid:  # twice in the same delivery
            first = valid[sid]
            same = _fingerprint(first[1], first[2]) == _fingerprint(values, h)
            result.lines.append(Line(line, sid, "repeated" if same else "conflict",
                                     "" if same else Reason.CONFLICT))
            if same:
                result.repeated += 1
            else:
                result.conflicts += 1
            continue
        valid[sid] = (line, values, h)
    if not valid:
        return
    existing = {r.settlement_id: r for r in SettlementRecord.objects.filter(settlement_id__in=list(valid))}
    new: list[SettlementRecord] = []
    for sid, (line, values, h) in valid.items():
        old = existing.get(sid)
        if old is not None:
            if _fingerprint(old, old.id_hash) == _fingerprint(values, h):
                result.repeated += 1
                result.lines.append(Line(line, sid, "repeated", old.reason_code, record_id=old.pk))
            else:
                result.conflicts += 1
                result.lines.append(Line(line, sid, "conflict", Reason.CONFLICT))
            continue
        info = values["id"]
        cipher, key_id = pii.encrypt(info.number, bound_to=h)
        new.append(SettlementRecord(
            settlement_id=sid, feed=feed, id_hash=h, id_cipher=cipher, id_masked=info.masked, pii_key_id=key_id,
            product=values["product"], hospital=values["hospital"], admitted_on=values["admitted_on"],
            discharged_on=values["discharged_on"], total_cost=values["total_cost"], fund_paid=values["fund_paid"],
            self_pay_in=values["self_pay_in"], self_pay_out=values["self_pay_out"], org_path=feed.org_path))
    with transaction.atomic():
        SettlementRecord.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
        ours = dict(SettlementRecord.objects.filter(feed=feed, settlement_id__in=[r.settlement_id for r in new])
                    .values_list("settlement_id", "pk"))
        SettlementFeed.objects.filter(pk=feed.pk).update(rows=result.rows)
    for record in new:
        line = valid[record.settlement_id][0]
        if record.settlement_id in ours:
            result.stored += 1
            if keep_good_lines:
                result.lines.append(Line(line, record.settlement_id, "stored", record_id=ours[record.settlement_id]))
        else:  # another delivery stored the same id between our look-up and our insert
            result.repeated += 1
            result.lines.append(Line(line, record.settlement_id, "repeated"))


def receive(*, feed: SettlementFeed, records: Iterable[tuple[int, dict]], keep_good_lines: bool = False,
            progress: Callable[[int], None] | None = None) -> ReceiveResult:
    """Store a feed's records chunk by chunk (each chunk commits on its own)."""
    result = ReceiveResult()
    today = timezone.localdate()
    chunk: list[tuple[int, dict]] = []
    for item in records:
        chunk.append(item)
        if len(chunk) >= CHUNK:
            _store_chunk(feed, chunk, result, keep_good_lines=keep_good_lines, today=today)
            chunk = []
            if progress is not None:
                progress(result.rows)
    if chunk:
        _store_chunk(feed, chunk, result, keep_good_lines=keep_good_lines, today=today)
    result.lines.sort(key=lambda line: line.line)
    return result


def _finish_counts(feed: SettlementFeed, result: ReceiveResult) -> None:
    feed.rows, feed.stored, feed.repeated = result.rows, result.stored, result.repeated
    feed.invalid = result.invalid + result.conflicts
    feed.report = {
        "lines": [{"line": ln.line, "settlement_id": ln.settlement_id, "code": ln.code, "column": ln.column,
                   "message": ln.message} for ln in result.lines if ln.outcome in ("invalid", "conflict")][
            :REPORT_LINES],
        "bad_total": result.invalid + result.conflicts,
    }


def feed_receive_api(*, actor, org: Org, records: list[dict]) -> tuple[SettlementFeed, ReceiveResult]:
    """The insurer's API call: store the records, price them at once, answer every record's outcome."""
    from gonghui.mutualaid.pricing import price_received

    require(actor, Perm.MANAGE, org.path)
    if not records:
        raise ValidationError({"records": _("Send at least one record.")}, code="invalid")
    if len(records) > API_MAX_RECORDS:
        raise ValidationError({"records": _("Send at most %(n)d records per call.") % {"n": API_MAX_RECORDS}},
                              code="invalid")
    with transaction.atomic():
        feed = SettlementFeed.objects.create(org=org, org_path=org.path, source=SettlementFeed.Source.API,
                                             status=FeedStatus.RECEIVING, created_by=actor)
        audit.record(actor=actor, action="aid.feed_receive", obj=feed, org_path=org.path,
                     data={"source": "api", "records": len(records)})
    result = receive(feed=feed, records=enumerate(records, start=1), keep_good_lines=True)
    _finish_counts(feed, result)
    feed.status = FeedStatus.PRICING
    feed.save(update_fields=["rows", "stored", "repeated", "invalid", "report", "status"])
    price_received(feed_id=feed.pk, actor=actor)
    SettlementFeed.objects.filter(pk=feed.pk).update(status=FeedStatus.DONE, finished_at=timezone.now())
    feed.refresh_from_db()
    return feed, result


# ---------------------------------------------------------------------------------------------
# Files


def _feed_columns(header: list) -> dict[str, int]:
    wanted = {alias.lower(): key for key, aliases in HEADERS.items() for alias in aliases}
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = wanted.get(str(cell or "").strip().lstrip("\ufeff").lower())
        if key and key not in columns:
            columns[key] = index
    return columns


def read_feed_rows(stream: IO[bytes], filename: str) -> Iterator[tuple[int, dict[str, object]]]:
    """Yield (line, {column: cell}) of a settlement file; line 1 is the header."""
    return read_table(stream, filename, header_map=_feed_columns, labels=COLUMN_LABELS, required=REQUIRED)


FEED_UPLOAD_MAX_MB = 200
FEED_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")


def feed_file_create(*, actor, org: Org, upload: UploadedFile, language: str = "") -> SettlementFeed:
    """Keep an uploaded settlement file in private storage and queue it (read, then priced)."""
    require(actor, Perm.MANAGE, org.path)
    name = Path(upload.name or "settlements.csv").name[:200]
    if Path(name).suffix.lower() not in FEED_SUFFIXES:
        raise ValidationError({"file": _("Upload a CSV or XLSX file.")}, code="invalid")
    if (upload.size or 0) > FEED_UPLOAD_MAX_MB * 1024 * 1024:
        raise ValidationError({"file": _("The file is larger than %(mb)d MB.") % {"mb": FEED_UPLOAD_MAX_MB}},
                              code="invalid")
    feed = SettlementFeed(org=org, org_path=org.path, source=SettlementFeed.Source.FILE, filename=name,
                          size=upload.size or 0, created_by=actor, language=language or settings.LANGUAGE_CODE)
    return jobs.queue(feed, actor=actor, action="aid.feed_queued", org_path=org.path, upload=upload, filename=name,
                      task="gonghui.mutualaid.tasks.run_feed", data={"file": name, "size": feed.size})


def feed_run(*, feed_id: int) -> str:
    """Read a queued file feed and price it (the task's body); safe to run again after a crash.

    A queued feed is claimed by a conditional update (a task delivered twice reads it once); a feed
    left in ``receiving``/``pricing`` by a crash is taken up again: records already stored answer
    as repeated, records already priced are not priced again.
    """
    from gonghui.mutualaid.pricing import price_received

    claimed = jobs.claim(SettlementFeed, feed_id, waiting=FeedStatus.QUEUED, running=FeedStatus.RECEIVING)
    feed = SettlementFeed.objects.select_related("created_by").get(pk=feed_id)
    if not claimed and feed.status not in (FeedStatus.RECEIVING, FeedStatus.PRICING):
        return "skipped"
    with translation.override(feed.language or settings.LANGUAGE_CODE):
        if feed.status == FeedStatus.RECEIVING:
            if not feed.upload:
                return _fail(feed, _("The file is no longer there; upload it again."))
            try:
                with feed.upload.storage.open(feed.upload.name, "rb") as handle:
                    result = receive(feed=feed, records=read_feed_rows(handle, feed.filename),
                                     progress=lambda n: SettlementFeed.objects.filter(pk=feed.pk).update(progress=n))
            except RosterFormatError as exc:
                feed.upload.delete(save=False)
                feed.status, feed.report, feed.finished_at = FeedStatus.REFUSED, {"file_error": str(exc)}, timezone.now()
                feed.save(update_fields=["status", "report", "finished_at", "upload"])
                return feed.status
            except Exception:
                logger.exception("Settlement feed %s stopped while reading", feed.pk)
                return _fail(feed, _("Reading the file stopped on an unexpected error; run it again."))
            feed.upload.delete(save=False)  # plain ID numbers: gone as soon as the records are stored
            _finish_counts(feed, result)
            feed.status = FeedStatus.PRICING
            feed.save(update_fields=["rows", "stored", "repeated", "invalid", "report", "status", "upload"])
        try:
            price_received(feed_id=feed.pk, actor=feed.created_by, workers=settings.AID_PRICING_WORKERS,
                           progress=lambda r: SettlementFeed.objects.filter(pk=feed.pk).update(progress=r.records))
        except Exception:
            logger.exception("Settlement feed %s stopped while pricing", feed.pk)
            return _fail(feed, _("Pricing stopped on an unexpected error; what was priced stays; run it again."),
                         keep_status=True)
    SettlementFeed.objects.filter(pk=feed.pk).update(status=FeedStatus.DONE, finished_at=timezone.now())
    return FeedStatus.DONE


def _fail(feed: SettlementFeed, message: str, *, keep_status: bool = False) -> str:
    report = dict(feed.report or {})
    report["failure"] = message
    fields = {"report": report}
    if not keep_status:
        fields.update(status=FeedStatus.FAILED, finished_at=timezone.now())
    SettlementFeed.objects.filter(pk=feed.pk).update(**fields)
    return fields.get("status", feed.status)
