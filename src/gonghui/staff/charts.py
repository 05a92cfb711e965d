"""Turn figures into what the pages show: KPI cards and chart specs (every module's home uses these).

A chart spec is plain JSON (it travels to the browser through ``json_script``) and carries its
own title, unit and rows, so the same dict draws the ECharts chart and the table beneath it.
"""

from __future__ import annotations

from django.utils.translation import gettext as _, pgettext

from gonghui.members.models import Category, Sex
from gonghui.stats import activity
from gonghui.workbench.charts import change, chart_spec

AGE_BAND_LABELS = {
    "under_30": lambda: _("Under 30"),
    "30_39": lambda: _("30–39"),
    "40_49": lambda: _("40–49"),
    "50_59": lambda: _("50–59"),
    "60_plus": lambda: _("60 and over"),
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
    """The modules' work in the period and their figures as of the day, one card per metric a
    module registered with ``card`` set (``gonghui.stats.activity``), in the order declared."""
    return [{"key": m.key, "label": m.label, "value": figures.get(m.key, m.zero), "unit": m.unit, "icon": m.icon,
             "change": None, "wan": m.kind == "amount", "rate": m.kind == "rate"}
            for m in activity.registered() if m.card]


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
