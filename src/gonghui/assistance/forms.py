"""Forms of the hardship pages: the figures a household gives, the actions on a file, help lists."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from gonghui.assistance.models import (
    DocumentKind,
    FileStatus,
    Grade,
    Programme,
    ProgrammeKind,
    RefusalCode,
    Relation,
    VisitKind,
)
from gonghui.assistance.texts import ACCIDENT_LABELS
from gonghui.core.money import MoneyField
from gonghui.core.uploads import DocumentsField

PEOPLE_ROWS = 5
RELATIONS = [(v, label) for v, label in Relation.choices if v != Relation.SELF]


class SelfTestForm(forms.Form):
    income = MoneyField(label=_("Household's yearly disposable income (yuan)"))
    household_size = forms.IntegerField(label=_("People in the household"), min_value=1, max_value=20)
    costs = MoneyField(label=_("Unavoidable costs a year (illness, disability, schooling)"), required=False)


class FiguresForm(forms.Form):
    """The household and its figures. The member is the first person; up to five others."""

    income = MoneyField(label=_("Your own yearly income (yuan)"))
    cost_illness = MoneyField(label=_("Major illness costs a year"), required=False)
    cost_disability = MoneyField(label=_("Disability costs a year"), required=False)
    cost_schooling = MoneyField(label=_("Schooling costs a year"), required=False)
    accident = forms.ChoiceField(label=_("Struck by"), choices=list(ACCIDENT_LABELS.items()), required=False)
    homes = forms.IntegerField(label=_("Homes the household owns"), min_value=0, max_value=50, initial=1)
    owns_business = forms.BooleanField(label=_("Owns a shop or business, or employs others"), required=False)
    abroad_self_paid = forms.BooleanField(label=_("A child studies abroad at the family's cost"), required=False)
    migrant = forms.BooleanField(label=_("Migrant worker"), required=False)
    employed_months = forms.IntegerField(label=_("Months employed here"), min_value=0, max_value=600, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(PEOPLE_ROWS):
            self.fields[f"p{i}_name"] = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=50,
                                                        required=False)
            self.fields[f"p{i}_relation"] = forms.ChoiceField(label=_("Relation"), choices=[("", "—")] + RELATIONS,
                                                              required=False)
            self.fields[f"p{i}_id"] = forms.CharField(label=_("ID number"), max_length=24, required=False)
            self.fields[f"p{i}_work"] = forms.CharField(label=_("Work or school"), max_length=100, required=False)
            self.fields[f"p{i}_income"] = MoneyField(label=_("Yearly income"), required=False)

    def people_rows(self):
        return [[self[f"p{i}_{k}"] for k in ("name", "relation", "id", "work", "income")] for i in range(PEOPLE_ROWS)]

    def figures(self) -> dict:
        d = self.cleaned_data
        household = [{"name": d[f"p{i}_name"], "relation": d[f"p{i}_relation"], "id_number": d[f"p{i}_id"],
                      "work": d[f"p{i}_work"], "yearly_income": d[f"p{i}_income"] or "0"}
                     for i in range(PEOPLE_ROWS) if d.get(f"p{i}_name") or d.get(f"p{i}_id")]
        costs = [{"kind": kind, "amount": d[f"cost_{kind}"]} for kind in ("illness", "disability", "schooling")
                 if d.get(f"cost_{kind}")]
        flags = {"accident": d.get("accident") or "", "homes": d.get("homes") if d.get("homes") is not None else 1,
                 "owns_business": d.get("owns_business"), "abroad_self_paid": d.get("abroad_self_paid"),
                 "migrant": d.get("migrant"), "employed_months": d.get("employed_months") or 0}
        return {"income": d["income"], "household": household, "costs": costs, "flags": flags}


class ApplyForm(FiguresForm):
    cause = forms.CharField(label=_("What brought the hardship"), max_length=200, required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))
    documents = DocumentsField(label=_("Documents (unit certificate, medical bills, 低保 certificate)"),
                               multiple=True, max_files=10)
    document_kind = forms.ChoiceField(label=_("These documents are"), choices=DocumentKind.choices,
                                      initial=DocumentKind.UNIT_CERTIFICATE)


class FileForMemberForm(ApplyForm):
    id_number = forms.CharField(label=_("The member's ID number"), max_length=24)

    field_order = ["id_number"]


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=DocumentKind.choices)
    documents = DocumentsField(label=_("Files"), multiple=True, max_files=10, required=True)


class ObjectionForm(forms.Form):
    text = forms.CharField(label=_("Objection"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class RefuseForm(forms.Form):
    code = forms.ChoiceField(label=_("Reason"), choices=RefusalCode.choices)
    reason = forms.CharField(label=_("What the worker will read"), max_length=200)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class VisitForm(forms.Form):
    visited_on = forms.DateField(label=_("Visited on"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=VisitKind.choices)
    visitors = forms.CharField(label=_("Visitors"), max_length=200)
    persons = forms.IntegerField(label=_("People visited"), min_value=1, max_value=20, initial=1)
    brought = forms.CharField(label=_("What was brought"), max_length=200, required=False)
    found = forms.CharField(label=_("What was found"), max_length=500, required=False)
    follow_up = forms.CharField(label=_("Follow-up"), max_length=500, required=False)
    per_capita = MoneyField(label=_("This month's per-capita income (if learnt)"), required=False)


class FileFilter(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("All"))] + FileStatus.choices, required=False)
    grade = forms.ChoiceField(label=_("Grade"), choices=[("", _("All"))] + Grade.choices[:3], required=False)
    queue = forms.ChoiceField(label=_("Waiting"), required=False, choices=[
        ("", _("All")), ("submitted", _("Applications to check")), ("notice", _("In public notice")),
        ("approval", _("Waiting for approval")), ("review", _("Due for review"))])
    q = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=50, required=False)


class ProgrammeForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ProgrammeKind.choices)
    name = forms.CharField(label=pgettext_lazy("thing", "Name"), max_length=100)
    cycle = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    budget = MoneyField(label=_("Budget"), positive=True)
    amount_rule = forms.ChoiceField(label=_("Amount rule"), choices=Programme.AmountRule.choices)
    amount_deep = MoneyField(label=_("Deep hardship"), required=False)
    amount_relative = MoneyField(label=_("Relative hardship"), required=False)
    amount_accident = MoneyField(label=_("Hardship by accident"), required=False)
    min_amount = MoneyField(label=_("Least"), required=False)
    max_amount = MoneyField(label=_("Most"), required=False)
    open_to = forms.ChoiceField(label=_("Who may receive it"), choices=Programme.OpenTo.choices)

    def fields_for_service(self) -> dict:
        d = self.cleaned_data
        return {"kind": d["kind"], "name": d["name"], "cycle": d["cycle"], "budget": d["budget"],
                "amount_rule": d["amount_rule"], "open_to": d["open_to"],
                "amounts": {g: d[f"amount_{g}"] for g in ("deep", "relative", "accident") if d.get(f"amount_{g}")},
                "min_amount": d.get("min_amount"), "max_amount": d.get("max_amount")}
