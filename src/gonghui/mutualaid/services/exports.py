"""The files mutual aid hands out (each audited): the bank's payment file of a batch, the enrolment
list of a union, a feed's result line by line."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gonghui.core import audit
from gonghui.core.scope import Perm, require
from gonghui.mutualaid.models import (
    PaymentBatch,
    PaymentLine,
    Plan,
    Product,
    Reason,
    SettlementRecord,
    SettlementStatus,
)
from gonghui.mutualaid.selectors import enrolment_list
from gonghui.orgs.models import Org

EXPORT_HEADERS = ("序号", "给付编号", "姓名", "会员卡号", "身份证号", "金额（元）", "保障项目", "工会")


def payment_batch_export(*, actor, batch: PaymentBatch, fmt: str = "xlsx") -> tuple[bytes, str, str]:
    """The batch as the bank takes it: (content, file name, content type). XLSX or CSV (UTF-8 with BOM).

    One line per payout still pending or paid: name, member card number (the 5·1 card is a bank
    card), masked ID number, amount. No full ID number leaves the system. The export is audited.
    """
    require(actor, Perm.MANAGE, batch.org_path)
    if fmt not in ("xlsx", "csv"):
        raise ValidationError({"format": _("Choose xlsx or csv.")}, code="invalid")
    lines = (PaymentLine.objects.filter(batch=batch).exclude(status=PaymentLine.Status.FAILED)
             .select_related("payout__member__org").order_by("pk"))
    rows = [(i, line.payout_id, line.payout.member.name, line.payout.member.card_number or "",
             line.payout.member.id_masked, line.amount, str(Product(line.payout.product).label),
             line.payout.member.org.name) for i, line in enumerate(lines, start=1)]
    name = f"aid-payments-{batch.pk}.{fmt}"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(EXPORT_HEADERS)
        writer.writerows([(*r[:5], f"{r[5]:.2f}", *r[6:]) for r in rows])
        content, ctype = out.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8"
    else:
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("给付")
        ws.append(EXPORT_HEADERS)
        for r in rows:
            ws.append([*r[:5], r[5], *r[6:]])
        buffer = io.BytesIO()
        wb.save(buffer)
        content = buffer.getvalue()
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    with transaction.atomic():
        audit.record(actor=actor, action="aid.payment_batch_export", obj=batch, org_path=batch.org_path,
                     data={"format": fmt, "lines": len(rows)})
    return content, name, ctype


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(sheets: list[tuple[str, tuple, Iterable]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for title, headers, rows in sheets:
        ws = wb.create_sheet(title)
        ws.append(list(headers))
        for row in rows:
            ws.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


ENROLMENT_EXPORT_HEADERS = ("姓名", "身份证号", "会员卡号", "工会", "保障项目", "年度", "参保日期", "费用（元）")


def enrolment_export(*, actor, org: Org, plan: Plan | None = None, text: str = "") -> tuple[bytes, str, str]:
    """The enrolment list of ``org``'s subtree as ``selectors.enrolment_list`` filters it, as XLSX;
    masked ID numbers; audited (``aid.enrolment_export`` with the count)."""
    require(actor, Perm.READ, org.path)
    qs = enrolment_list(user=actor, org=org, plan=plan, text=text).select_related("member", "plan", "org")
    rows = [(e.member.name, e.member.id_masked, e.member.card_number or "", e.org.name,
             str(Product(e.plan.product).label), e.plan.year, e.enrolled_on, e.fee) for e in qs.iterator(chunk_size=2000)]
    content = _xlsx([("参保名单", ENROLMENT_EXPORT_HEADERS, rows)])
    with transaction.atomic():
        audit.record(actor=actor, action="aid.enrolment_export", obj=plan, org_path=org.path,
                     data={"org": org.code, "plan": plan.pk if plan else None, "rows": len(rows)})
    return content, f"aid-enrolments-{org.code}.xlsx", XLSX


FEED_EXPORT_HEADERS = ("结算编号", "身份证号", "医院", "出院日期", "目录内自付", "结果", "原因代码", "原因", "给付（元）")
FEED_BAD_HEADERS = ("行号", "结算编号", "列", "原因代码", "原因")


def feed_result_export(*, actor, feed) -> tuple[bytes, str, str]:
    """A feed's outcome line by line as XLSX (records, then the unreadable lines); audited."""
    require(actor, Perm.READ, feed.org_path)
    records = (SettlementRecord.objects.filter(feed=feed).select_related("payout").order_by("pk")
               .iterator(chunk_size=2000))

    def rows():
        for r in records:
            payout = getattr(r, "payout", None) if r.status == SettlementStatus.PRICED else None
            yield (r.settlement_id, r.id_masked, r.hospital, r.discharged_on, r.self_pay_in, r.get_status_display(),
                   r.reason_code, str(Reason(r.reason_code).label) if r.reason_code in Reason.values else "",
                   payout.amount if payout is not None else None)

    bad = [(line.get("line"), line.get("settlement_id"), line.get("column"), line.get("code"), line.get("message"))
           for line in (feed.report or {}).get("lines", [])]
    content = _xlsx([("记录", FEED_EXPORT_HEADERS, rows()), ("无法读取的行", FEED_BAD_HEADERS, bad)])
    with transaction.atomic():
        audit.record(actor=actor, action="aid.feed_result_export", obj=feed, org_path=feed.org_path,
                     data={"feed": feed.pk})
    return content, f"aid-feed-{feed.pk}.xlsx", XLSX
