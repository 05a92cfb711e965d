"""The attendance list of an activity, written by the core exporter (audited, formula-safe)."""

from __future__ import annotations

from django.utils import timezone

from gonghui.activities.models import Activity, Attendance
from gonghui.core.exports import XLSX, Sheet, export_bytes
from gonghui.core.scope import Perm, require

HEADERS = ("场次", "开始时间", "姓名", "会员卡号", "工会", "签到方式", "签到时间")


def attendance_export(*, actor, activity: Activity) -> tuple[bytes, str, str]:
    require(actor, Perm.MANAGE, activity.org_path)
    rows = ([a.session.number, timezone.localtime(a.session.starts_at).strftime("%Y-%m-%d %H:%M"), a.member.name,
             a.member.card_number or "", a.member.org.name, str(a.get_method_display()),
             timezone.localtime(a.checked_in_at).strftime("%Y-%m-%d %H:%M")]
            for a in Attendance.objects.filter(session__activity=activity)
            .select_related("session", "member__org").order_by("session__number", "checked_in_at")
            .iterator(chunk_size=2000))
    content = export_bytes(actor=actor, action="activities.attendance_export", obj=activity,
                           org_path=activity.org_path, sheets=Sheet("签到", HEADERS, rows),
                           data={"activity": activity.pk})
    return content, f"attendance-{activity.pk}.xlsx", XLSX
