"""Subtree statistics: a fixed handful of aggregate queries over path ranges, never a tree walk."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.db.models.functions import ExtractYear
from django.utils import timezone

from gonghui.core.paths import subtree_q
from gonghui.members.models import Category, Sex
from gonghui.members.selectors import members_on
from gonghui.orgs.models import Org
from gonghui.stats import tallies

# Age bands as the yearly reports print them: (key, lowest age, highest age or None).
AGE_BANDS = (("under_30", 0, 29), ("30_39", 30, 39), ("40_49", 40, 49), ("50_59", 50, 59), ("60_plus", 60, None))


def _age_band_q(day: dt.date, low: int, high: int | None) -> Q:
    """Age as the yearly reports count it: the year of ``day`` minus the birth year."""
    if day.year - low < dt.MINYEAR:
        return Q(pk__in=[])  # nobody was born yet
    q = Q(birth_date__year__lte=day.year - low)
    if high is not None and day.year - high >= dt.MINYEAR:
        q &= Q(birth_date__year__gte=day.year - high)
    return q


def _age_band(age: int) -> str:
    for key, low, high in AGE_BANDS:
        if age >= low and (high is None or age <= high):
            return key
    return AGE_BANDS[0][0]  # born after the day asked about: counts with the youngest


def subtree_stats(*, org: Org, on: dt.date | None = None) -> dict:
    """Membership figures of ``org``'s subtree on ``on`` (today when None). The caller checks scope.

    Today's figures come from the subtree tallies (one query, whatever the subtree's size), and
    those of a day whose snapshot was taken (the year-ends) from the snapshot; another day's are
    counted from the member table and the membership periods (moves, leaving and coming back), so
    a member counts where they were on that day. Unions are today's in all three.
    """
    today = timezone.localdate()
    day = on or today
    if day == today:
        return _from_tallies(tallies.read(org.path), day)
    if day < today and (kept := tallies.read_on(org.path, day)) is not None:
        kept["orgs"] = tallies.read(org.path, only=("orgs",))["orgs"]  # today's unions, as counted live
        return _from_tallies(kept, day)
    orgs = Org.objects.filter(subtree_q(org.path)).aggregate(
        orgs=Count("*"), new_form_orgs=Count("pk", filter=Q(is_new_form=True))
    )
    members = members_on(path=org.path, day=on)
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


def _from_tallies(t: dict[str, dict[str, int]], day: dt.date) -> dict:
    ages = {key: 0 for key, _lo, _hi in AGE_BANDS}
    for year, n in t["birth_year"].items():
        ages[_age_band(day.year - int(year))] += n
    return {
        "orgs": t["orgs"].get("", 0),
        "members": t["all"].get("", 0),
        "new_form_orgs": t["orgs"].get("new_form", 0),
        "new_form_members": t["new_form"].get("", 0),
        "by_category": {c: t["category"].get(c, 0) for c in Category.values},
        "by_sex": {s: t["sex"].get(s, 0) for s in Sex.values},
        "by_age_band": ages,
        "joined_per_year": {year: n for year, n in sorted(t["joined_year"].items()) if n},
        "on": day.isoformat(),
    }
