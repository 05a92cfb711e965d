"""The words of the rule, for pages and answers: exclusions, accidents, and the working as sentences."""

from __future__ import annotations

from django.utils.translation import gettext as _, gettext_lazy

from gonghui.assistance import rules
from gonghui.assistance.models import Grade

EXCLUSION_LABELS = {
    rules.TWO_HOMES: gettext_lazy("the household owns two homes or more"),
    rules.BUSINESS: gettext_lazy("the household owns a business or employs others"),
    rules.PRIVATE_SCHOOL: gettext_lazy("a child is at a private school costing more than twice the public fee"),
    rules.ABROAD: gettext_lazy("a child studies abroad at the family's own cost"),
    rules.MIGRANT_SHORT: gettext_lazy("a migrant worker with less than a year of employment here"),
}
ACCIDENT_LABELS = {
    "": gettext_lazy("None"),
    "disaster": gettext_lazy("Natural disaster"),
    "accident": gettext_lazy("Accident"),
    "work_injury": gettext_lazy("Injury on duty"),
    "work_death": gettext_lazy("Death on duty"),
}


def exclusion_label(code: str):
    return EXCLUSION_LABELS.get(code, code)


def explain(working: dict) -> list[str]:
    """The grading's working (``rules.Grading.as_json``) as sentences a worker can check by hand."""
    out = []
    for step in working.get("steps", []):
        kind = step.get("step")
        if kind == "per_capita":
            out.append(_("Per-capita monthly income = (%(income)s − %(costs)s) ÷ 12 ÷ %(size)s = %(pc)s yuan.") % {
                "income": step["yearly_income"], "costs": step["unavoidable_costs"], "size": step["size"],
                "pc": step["per_capita"]})
        elif kind == "standard":
            out.append(_("低保 standard %(std)s yuan a month; twice the standard is %(line)s yuan.") % {
                "std": step["standard"], "line": step["relative_line"]})
        elif kind == "excluded":
            out.append(_("Excluded: %(why)s.") % {
                "why": "、".join(str(exclusion_label(c)) for c in step["exclusions"])})
        elif kind == "illness":
            out.append(_("A major illness costs %(cost)s yuan a year, more than 80%% of the income (%(limit)s).") % {
                "cost": step["illness_cost"], "limit": step["limit"]})
        elif kind == "grade":
            rule = {"below_standard": _("below the 低保 standard"),
                    "below_relative": _("below twice the 低保 standard"),
                    "accident": _("struck by an accident, a disaster or an injury on duty"),
                    "illness": _("a major illness costing more than 80 per cent of the income"),
                    "above": _("at or above twice the standard, no accident")}.get(step["rule"], step["rule"])
            out.append(_("Grade: %(grade)s (%(rule)s).") % {"grade": Grade(step["grade"]).label, "rule": rule})
    return out


def mask_name(name: str) -> str:
    """The public notice shows the family name only: 张** (a notice names no one in full)."""
    return (name[:1] + "*" * max(1, len(name) - 1)) if name else ""


def district_path(org_path: str) -> str:
    """The district (second level) above a union, whose notice board a member reads."""
    from gonghui.core.paths import STEP

    return org_path[: 2 * STEP] if len(org_path) >= 2 * STEP else org_path
