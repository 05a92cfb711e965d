"""The activities engine's figures for any subtree and period (``gonghui.stats.activity``).

Per-day metrics, added by the services in the transaction of each event:
``activities_held`` (场次 held: a session counts on its day at its first check-in or return),
``participants`` (人次: check-ins and the headcounts of organisers' returns, on the
session's day) and ``registrations`` (registrations made, on their day; the organiser's
union for sessions, the member's union for people). Each is also broken down by ``kind`` (the
activity kind's code) and ``audience`` (all, new_form, women, groups or an eligibility code).
"""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy

from gonghui.activities.models import Activity, ActivitySession, Attendance, AttendanceReturn, Registration
from gonghui.core.paths import subtree_q
from gonghui.stats import activity
from gonghui.stats.activity import Deltas

METRICS = activity.metrics(
    activity.Metric("activities_held", gettext_lazy("Activity sessions held"),
                    "activity sessions held (场次): counted on the session's day at its first check-in or return",
                    unit=pgettext_lazy("unit", "sessions"), icon="calendar-event"),
    activity.Metric("participants", gettext_lazy("Activity participants"),
                    "participants of activity sessions (人次): check-ins and organisers' headcounts",
                    unit=pgettext_lazy("unit", "person-times"), icon="people"),
    activity.Metric("registrations", gettext_lazy("Activity registrations"),
                    "registrations for activities made in the period (人次)",
                    unit=pgettext_lazy("unit", "person-times"), icon="pencil-square"),
)


def _keys(kind_code: str, audience: str):
    return (("", ""), ("kind", kind_code), ("audience", audience))


def _audience(row: dict) -> str:
    from gonghui.activities.services import audience_key

    return audience_key(Activity(audience_eligibility=row["audience_eligibility"],
                                 audience_new_form=row["audience_new_form"], audience_women=row["audience_women"],
                                 audience_categories=row["audience_categories"]))


def recount(path: str | None = None) -> Deltas:
    """The per-day rows from the tables (``gonghui stats rebuild``); of the activities organised in
    ``path``'s subtree only when given (the demo's load)."""
    deltas = Deltas()
    tz = timezone.get_current_timezone()
    scope = subtree_q(path, "org_path") if path else Q()
    inside = subtree_q(path, "session__activity__org_path") if path else Q()
    acts = {a["pk"]: a for a in Activity.objects.filter(scope).values("pk", "kind__code", "audience_eligibility",
                                                        "audience_new_form", "audience_women",
                                                        "audience_categories").order_by()}
    for a in acts.values():
        a["aud"] = _audience(a)
    paths = dict(Activity.objects.filter(scope).values_list("pk", "org_path"))

    def add(pk, path, day, metric, n):
        for dim, key in _keys(acts[pk]["kind__code"], acts[pk]["aud"]):
            deltas.add(path, day, metric, n=n, dim=dim, key=key)

    own = subtree_q(path, "activity__org_path") if path else Q()
    held = (ActivitySession.objects.filter(own, held=True).annotate(day=TruncDate("starts_at", tzinfo=tz))
            .values_list("activity_id", "day").annotate(n=Count("id")).order_by())
    for pk, day, n in held:
        add(pk, paths[pk], day, "activities_held", n)
    rows = (Attendance.objects.filter(inside).annotate(day=TruncDate("session__starts_at", tzinfo=tz))
            .values_list("session__activity_id", "org_path", "day").annotate(n=Count("id")).order_by())
    for pk, path, day, n in rows:
        add(pk, path, day, "participants", n)
    rows = (AttendanceReturn.objects.filter(inside).annotate(day=TruncDate("session__starts_at", tzinfo=tz))
            .values_list("session__activity_id", "day").annotate(n=Sum("headcount")).order_by())
    for pk, day, n in rows:
        add(pk, paths[pk], day, "participants", n)
    rows = (Registration.objects.filter(own).annotate(day=TruncDate("created_at", tzinfo=tz))
            .values_list("activity_id", "org_path", "day").annotate(n=Count("id")).order_by())
    for pk, path, day, n in rows:
        add(pk, path, day, "registrations", n)
    return deltas


SOURCE = activity.Source(name="activities", metrics=METRICS, recount=lambda: recount())
