"""Files of medical mutual aid that users take away: the bank's payment list, enrolment lists, a
settlement feed's result. Each is written by the core exporter (no cell runs as a formula) and
audited; ID numbers are masked in all of them.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from gonghui.core.exports import FORMATS, XLSX, Sheet, export_bytes
from gonghui.core.scope import Perm, require
from gonghui.mutualaid.feeds import COLUMN_LABELS
from gonghui.mutualaid.models import PaymentBatch, PaymentLine, Plan, Product, Reason, SettlementStatus
from gonghui.mutualaid.selectors import enrolment_list, feed_records
from gonghui.orgs.models import Org

CHUNK = 2_000
EXPORT_HEADERS = ("序号", "给付编号", "姓名", "会员卡号", "身份证号", "金额（元）", "保障项目", "工会")
ENROLMENT_EXPORT_HEADERS = ("姓名", "身份证号", "会员卡号", "工会", "保障项目", "年度", "参保日期", "费用（元）")


def reason_label(code: str) -> str:
    """The Chinese reason of a refusal code (the code itself when it is not one of ours)."""
    return str(Reason(code).label) if code in Reason.values else code


def payment_batch_export(*, actor, batch: PaymentBatch, fmt: str = "xlsx") -> tuple[bytes, str, str]:
    """The batch as the bank takes it: (content, file name, content type). XLSX or CSV (UTF-8 with BOM).

    One line per payout still pending or paid: name, member card number (the 5·1 card is a bank
    card), masked ID number, amount. No full ID number leaves the system. The export is audited.
    """
    require(actor, Perm.MANAGE, batch.org_path)
    if fmt not in FORMATS:
        raise ValidationError({"format": _("Choose xlsx or csv.")}, code="invalid")
    lines = (PaymentLine.objects.filter(batch=batch).exclude(status=PaymentLine.Status.FAILED)
             .select_related("payout__member__org").order_by("pk"))
    rows = ([i, line.payout_id, line.payout.member.name, line.payout.member.card_number or "",
             line.payout.member.id_masked, line.amount, str(Product(line.payout.product).label),
             line.payout.member.org.name] for i, line in enumerate(lines.iterator(chunk_size=CHUNK), start=1))
    content = export_bytes(actor=actor, action="aid.payment_batch_export", obj=batch, org_path=batch.org_path,
                           sheets=Sheet("给付", EXPORT_HEADERS, rows), fmt=fmt, data={"format": fmt},
                           count_key="lines")
    return content, f"aid-payments-{batch.pk}.{fmt}", FORMATS[fmt]


def enrolment_export(*, actor, org: Org, plan: Plan | None = None, text: str = "") -> tuple[bytes, str, str]:
    """The enrolment list of ``org``'s subtree as ``selectors.enrolment_list`` filters it, as XLSX;
    masked ID numbers; audited (``aid.enrolment_export`` with the count)."""
    require(actor, Perm.READ, org.path)
    qs = enrolment_list(user=actor, org=org, plan=plan, text=text).select_related("member", "plan", "org")
    rows = ([e.member.name, e.member.id_masked, e.member.card_number or "", e.org.name,
             str(Product(e.plan.product).label), e.plan.year, e.enrolled_on, e.fee]
            for e in qs.iterator(chunk_size=CHUNK))
    content = export_bytes(actor=actor, action="aid.enrolment_export", obj=plan, org_path=org.path,
                           sheets=Sheet("参保名单", ENROLMENT_EXPORT_HEADERS, rows),
                           data={"org": org.code, "plan": plan.pk if plan else None})
    return content, f"aid-enrolments-{org.code}.xlsx", XLSX


def feed_result_export(*, actor, feed) -> tuple[bytes, str, str]:
    """A feed's outcome line by line as XLSX: each record priced (with its payout) or rejected (code and
    reason), then the lines that could not be read; audited (``aid.feed_result_export``)."""
    require(actor, Perm.READ, feed.org_path)
    records = feed_records(feed=feed).select_related("payout").iterator(chunk_size=CHUNK)

    def rows():
        for r in records:
            payout = getattr(r, "payout", None) if r.status == SettlementStatus.PRICED else None
            yield [r.settlement_id, r.id_masked, r.hospital, r.discharged_on, r.self_pay_in, r.get_status_display(),
                   r.reason_code, reason_label(r.reason_code) if r.reason_code else "",
                   payout.amount if payout is not None else None]

    bad = ([line.get("line"), line.get("settlement_id"), COLUMN_LABELS.get(line.get("column"), line.get("column")),
            line.get("code"), line.get("message")] for line in (feed.report or {}).get("lines", []))
    sheets = [
        Sheet(_("Records"), (_("Settlement id"), _("ID number"), _("Hospital"), _("Discharged on"),
                             _("In-catalogue self-pay"), _("Outcome"), _("Reason code"), _("Reason"),
                             _("Payout (yuan)")), rows()),
        Sheet(_("Unreadable lines"), (_("Line"), _("Settlement id"), _("Column"), _("Reason code"), _("Reason")), bad),
    ]
    content = export_bytes(actor=actor, action="aid.feed_result_export", obj=feed, org_path=feed.org_path,
                           sheets=sheets, data={"feed": feed.pk})
    return content, f"aid-feed-{feed.pk}.xlsx", XLSX
