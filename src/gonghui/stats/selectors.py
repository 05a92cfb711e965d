"""Subtree statistics: a fixed handful of aggregate queries over path ranges, never a tree walk."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.db.models.functions import ExtractYear
from django.utils import timezone

from gonghui.core.paths import subtree_q
from gonghui.members.models import Category, Member, Sex
from gonghui.members.selectors import active_on
from gonghui.orgs.models import Org

# Age bands as the yearly reports print them: (key, lowest age, highest age or None).
AGE_BANDS = (("under_30", 0, 29), ("30_39", 30, 39), ("40_49", 40, 49), ("50_59", 50, 59), ("60_plus", 60, None))


def _years_before(day: dt.date, years: int) -> dt.date:
    if day.year - years < dt.MINYEAR:
        return dt.date.min
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _age_band_q(day: dt.date, low: int, high: int | None) -> Q:
    # age >= low  <=>  born on or before day - low years; age <= high  <=>  born after day - (high+1) years
    q = Q(birth_date__lte=_years_before(day, low))
    if high is not None:
        q &= Q(birth_date__gt=_years_before(day, high + 1))
    return q


def subtree_stats(*, org: Org, on: dt.date | None = None) -> dict:
    """Membership figures of ``org``'s subtree on ``on`` (today when None). The caller checks scope."""
    day = on or timezone.localdate()
    orgs = Org.objects.filter(subtree_q(org.path)).aggregate(
        orgs=Count("*"), new_form_orgs=Count("pk", filter=Q(is_new_form=True))
    )
    members = Member.objects.filter(subtree_q(org.path, "org_path")).filter(active_on(on))
    aggregates = {
        "members": Count("*"),
        "new_form_members": Count("pk", filter=Q(is_new_form=True)),
        **{f"category__{c}": Count("pk", filter=Q(category=c)) for c in Category.values},
        **{f"sex__{s}": Count("pk", filter=Q(sex=s)) for s in Sex.values},
        **{f"age__{key}": Count("pk", filter=_age_band_q(day, lo, hi)) for key, lo, hi in AGE_BANDS},
    }
    row = members.aggregate(**aggregates)
    joined = (
        members.annotate(year=ExtractYear("joined_on")).values("year").annotate(n=Count("*")).order_by("year")
    )
    return {
        "orgs": orgs["orgs"],
        "members": row["members"],
        "new_form_orgs": orgs["new_form_orgs"],
        "new_form_members": row["new_form_members"],
        "by_category": {c: row[f"category__{c}"] for c in Category.values},
        "by_sex": {s: row[f"sex__{s}"] for s in Sex.values},
        "by_age_band": {key: row[f"age__{key}"] for key, _lo, _hi in AGE_BANDS},
        "joined_per_year": {str(r["year"]): r["n"] for r in joined},
        "on": day.isoformat(),
    }
