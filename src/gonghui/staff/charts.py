"""Turn figures into what the pages show: KPI cards and chart specs (every module's home uses these).

A chart spec is plain JSON (it travels to the browser through ``json_script``) and carries its
own title, unit and rows, so the same dict draws the ECharts chart and the table beneath it.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.translation import gettext as _, pgettext

from gonghui.core.money import to_fen
from gonghui.members.models import Category, Sex

AGE_BAND_LABELS = {
    "under_30": lambda: _("Under 30"),
    "30_39": lambda: _("30–39"),
    "40_49": lambda: _("40–49"),
    "50_59": lambda: _("50–59"),
    "60_plus": lambda: _("60 and over"),
}


WAN = Decimal(10000)
TENTH = Decimal("0.1")


def wan(amount) -> Decimal:
    """Yuan in 万元 (ten-thousand yuan) to two places, half up: 1,234,567.89 → 123.46."""
    return to_fen(Decimal(amount or 0) / WAN)


def change(now, before) -> Decimal | None:
    """``now`` against ``before`` as a fraction (0.0123 is +1.23 %); None when there is nothing to
    compare with (no figure before, or zero). Not rounded here: ``signed_pct`` rounds once, for
    display (rounding twice would show 2.05245 % as 2.0 %)."""
    if not before:
        return None
    return (Decimal(now) - Decimal(before)) / Decimal(before)


def chart_spec(key: str, kind: str, title: str, rows: Sequence[tuple[str, int | Decimal]], *, unit: str,
               series: str) -> dict:
    """One chart and its table: ``rows`` are (label, value), counts as int, amounts as Decimal.

    The element id is ``chart-<key>`` (a module prefixes its keys: ``aid-enrol-year``). Values go
    to ECharts as given (a Decimal travels as a string, which ECharts reads as a number); the
    total is exact (an int for counts) and each row's share of it is in per cent to one place.
    """
    total = sum(value for _label, value in rows)
    return {
        "id": f"chart-{key}",
        "kind": kind,
        "title": title,
        "unit": unit,
        "series": series,
        "labels": [label for label, _value in rows],
        "values": [value for _label, value in rows],
        "total": total,
        "rows": [[label, value, (Decimal(value) * 100 / Decimal(total)).quantize(TENTH) if total else 0]
                 for label, value in rows],
    }


def kpi_cards(stats: dict, previous: dict | None = None) -> list[dict]:
    """The "数读" row: big number, unit, and the change against a year before where known."""
    previous = previous or {}
    unions, people = pgettext("unit", "unions"), pgettext("unit", "people")
    return [
        {"key": "orgs", "label": _("Number of unions"), "value": stats["orgs"], "unit": unions,
         "icon": "diagram-3", "change": None},
        {"key": "members", "label": _("Number of members"), "value": stats["members"], "unit": people,
         "icon": "people", "change": change(stats["members"], previous.get("members"))},
        {"key": "new_form_orgs", "label": _("New-form unions"), "value": stats["new_form_orgs"], "unit": unions,
         "icon": "bicycle", "change": None},
        {"key": "new_form_members", "label": _("New-form members"), "value": stats["new_form_members"],
         "unit": people, "icon": "person-badge",
         "change": change(stats["new_form_members"], previous.get("new_form_members"))},
    ]


def activity_cards(figures: dict) -> list[dict]:
    """The period's work of the modules: disputes and mutual aid, from ``period_figures``."""
    cases, people = pgettext("unit", "cases"), pgettext("unit", "people")
    times = pgettext("unit", "person-times")

    def card(key, label, unit, icon, *, wan=False):
        return {"key": key, "label": label, "value": figures.get(key, 0), "unit": unit, "icon": icon,
                "change": None, "wan": wan}

    return [
        card("cases_received", _("Dispute cases received"), cases, "inbox"),
        card("cases_settled", _("Dispute cases settled"), cases, "check2-circle"),
        card("amount_recovered", _("Recovered for workers"), "", "cash-coin", wan=True),
        card("legal_aid_cases", _("Legal-aid cases"), cases, "bank"),
        card("aid_enrolments", _("Mutual-aid enrolments"), times, "shield-plus"),
        card("aid_payouts", _("Mutual-aid payouts"), times, "heart-pulse"),
        card("aid_paid_amount", _("Mutual aid paid"), "", "wallet2", wan=True),
        card("aid_paid_members", _("Members helped by mutual aid"), people, "person-heart"),
    ]


def stats_charts(stats: dict) -> list[dict]:
    members, people = _("Members"), pgettext("unit", "people")
    by_category = [(str(label), stats["by_category"].get(value, 0)) for value, label in Category.choices]
    by_sex = [(str(label), stats["by_sex"].get(value, 0)) for value, label in Sex.choices]
    by_age = [(AGE_BAND_LABELS[key](), n) for key, n in stats["by_age_band"].items() if key in AGE_BAND_LABELS]
    per_year = stats["joined_per_year"]
    if per_year:
        years = [int(y) for y in per_year]
        # Years without anyone joining are shown as zero, not skipped: the axis is time.
        joined = [(str(y), per_year.get(str(y), 0)) for y in range(min(years), max(years) + 1)]
    else:
        joined = []
    return [
        chart_spec("category", "barh", _("Members by group (eight groups of new-form workers)"), by_category,
                   unit=people, series=members),
        chart_spec("sex", "pie", _("Members by sex"), by_sex, unit=people, series=members),
        chart_spec("age", "bar", _("Members by age"), by_age, unit=people, series=members),
        chart_spec("joined", "line", _("Members by year of joining"), joined, unit=people, series=_("Joined")),
    ]
