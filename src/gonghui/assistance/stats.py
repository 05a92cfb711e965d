"""Hardship help's figures for any subtree and period (``gonghui.stats.activity``).

Per-day metrics, added by the services in the transaction of each event: ``hardship_filed`` (files
approved, day = filed_on, by ``grade``), ``hardship_lifted_out`` and ``hardship_relieved`` (day =
closed_on), ``hardship_visits`` (people visited, 人次, by visit ``kind``), ``assistance_paid_amount``
(yuan paid, n = grants, by ``programme``), ``school_aid_students`` and ``school_aid_amount``.
``assistance_recipients`` (distinct people paid in the period) is one live query; ``hardship_files``
(files active on a day) is a stock counted from the files.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy, pgettext_lazy

from gonghui.assistance.models import FileStatus, Grant, GrantStatus, HardshipFile, ProgrammeKind, Visit
from gonghui.core.paths import subtree_q
from gonghui.stats import activity
from gonghui.stats.activity import Deltas

_TIMES = pgettext_lazy("unit", "person-times")
_FAMILIES = pgettext_lazy("unit", "households")
_PEOPLE = pgettext_lazy("unit", "people")
METRICS = activity.metrics(
    activity.Metric("hardship_filed", gettext_lazy("Hardship families filed"), "hardship files approved (households)",
                    unit=_FAMILIES, icon="house-heart"),
    activity.Metric("hardship_visits", gettext_lazy("Hardship visits"), "people visited in hardship visits (人次)",
                    unit=_TIMES, icon="door-open"),
    activity.Metric("assistance_paid_amount", gettext_lazy("Hardship help paid"), "yuan of hardship help paid",
                    kind="amount", icon="wallet2"),
    activity.Metric("hardship_lifted_out", gettext_lazy("Families lifted out"),
                    "hardship files closed as lifted out (脱困)", unit=_FAMILIES, icon="graph-up-arrow"),
    activity.Metric("hardship_relieved", gettext_lazy("Families relieved"),
                    "hardship files closed as relieved (解困)", unit=_FAMILIES, icon="shield-check", card=False),
    activity.Metric("school_aid_students", gettext_lazy("Children given school aid"),
                    "children given school aid (金秋助学)", unit=_PEOPLE, icon="mortarboard", card=False),
    activity.Metric("school_aid_amount", gettext_lazy("School aid paid"), "yuan of school aid paid",
                    kind="amount", icon="book", card=False),
)
LIVE_METRICS = activity.metrics(
    activity.Metric("assistance_recipients", gettext_lazy("People given hardship help"),
                    "distinct people paid hardship help in the period (null unless from or to is given)",
                    unit=_PEOPLE, icon="people", card=False),
)
STOCK_METRICS = activity.metrics(
    activity.Metric("hardship_files", gettext_lazy("Hardship files in force"),
                    "hardship files active on the day (filed, not closed)", unit=_FAMILIES, icon="folder2-open",
                    card=False),
)


def filed_deltas(deltas: Deltas, path: str, day: dt.date, grade: str, n: int = 1) -> None:
    for dim, key in (("", ""), ("grade", grade)):
        deltas.add(path, day, "hardship_filed", n=n, dim=dim, key=key)


def closed_deltas(deltas: Deltas, path: str, day: dt.date, status: str, n: int = 1) -> None:
    metric = {FileStatus.LIFTED_OUT: "hardship_lifted_out", FileStatus.RELIEVED: "hardship_relieved"}.get(status)
    if metric:
        deltas.add(path, day, metric, n=n)


def visit_deltas(deltas: Deltas, path: str, day: dt.date, kind: str, persons: int) -> None:
    for dim, key in (("", ""), ("kind", kind)):
        deltas.add(path, day, "hardship_visits", n=persons, dim=dim, key=key)


def paid_deltas(deltas: Deltas, path: str, day: dt.date, kind: str, amount: Decimal, students: int = 0,
                n: int = 1) -> None:
    for dim, key in (("", ""), ("programme", kind)):
        deltas.add(path, day, "assistance_paid_amount", n=n, amount=amount, dim=dim, key=key)
    if kind == ProgrammeKind.SCHOOL:
        deltas.add(path, day, "school_aid_amount", n=n, amount=amount)
        if students:
            deltas.add(path, day, "school_aid_students", n=students)


def recount() -> Deltas:
    deltas = Deltas()
    for path, day, grade, n in (HardshipFile.objects.filter(filed_on__isnull=False)
                                .values_list("org_path", "filed_on", "grade").annotate(n=Count("id")).order_by()):
        filed_deltas(deltas, path, day, grade, n)
    for path, day, status, n in (HardshipFile.objects.filter(closed_on__isnull=False,
                                                             status__in=[FileStatus.LIFTED_OUT, FileStatus.RELIEVED])
                                 .values_list("org_path", "closed_on", "status").annotate(n=Count("id")).order_by()):
        closed_deltas(deltas, path, day, status, n)
    for path, day, kind, persons in (Visit.objects.values_list("org_path", "visited_on", "kind")
                                     .annotate(p=Sum("persons")).order_by()):
        visit_deltas(deltas, path, day, kind, persons)
    for path, day, kind, n, amount, students in (
            Grant.objects.filter(status=GrantStatus.PAID).values_list("org_path", "paid_on", "kind")
            .annotate(n=Count("id"), a=Sum("amount"), s=Sum("students")).order_by()):
        paid_deltas(deltas, path, day, kind, amount, students, n)
    return deltas


def live(path: str, start: dt.date | None, end: dt.date | None) -> dict:
    qs = Grant.objects.filter(subtree_q(path, "org_path"), status=GrantStatus.PAID)
    if start is not None:
        qs = qs.filter(paid_on__gte=start)
    if end is not None:
        qs = qs.filter(paid_on__lte=end)
    return {"assistance_recipients": qs.values("person_hash").distinct().count()}


def in_force_q(day: dt.date) -> Q:
    return Q(filed_on__isnull=False, filed_on__lte=day) & (Q(closed_on__isnull=True) | Q(closed_on__gt=day))


def stock(path: str, day: dt.date) -> dict:
    return {"hardship_files": HardshipFile.objects.filter(subtree_q(path, "org_path"), in_force_q(day)).count()}


SOURCE = activity.Source(name="assistance", metrics=METRICS, recount=recount, live=live, live_metrics=LIVE_METRICS,
                         stock=stock, stock_metrics=STOCK_METRICS)
