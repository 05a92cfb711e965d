"""Forms of the bargaining pages. They shape input; the rules live in ``services`` and their
messages come back beside the fields (``apply_errors``)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from gonghui.bargaining.models import ContractKind, RoundState, Scope, Side, SkillFactor, VoteBody
from gonghui.core.money import MoneyField
from gonghui.core.uploads import DocumentsField

EXPIRY_CHOICES = [("", pgettext_lazy("bargaining", "Any")), ("30", _("Within 30 days")), ("60", _("Within 60 days")),
                  ("90", _("Within 90 days"))]


def date_field(label, *, required: bool = True) -> forms.DateField:
    return forms.DateField(label=label, required=required,
                           widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


def count_field(label, *, minimum: int = 0) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=minimum, max_value=10_000_000,
                              widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "num"}))


def apply_errors(form: forms.Form, exc: ValidationError, aliases: dict[str, str] | None = None) -> None:
    """Put a service's ValidationError beside the fields it names (others above the form)."""
    aliases = aliases or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.error_dict.items():
        name = aliases.get(key, key)
        target = name if name in form.fields else None
        for error in errors:
            form.add_error(target if key != NON_FIELD_ERRORS else None, error)


def _choices(enum, blank=True):
    return ([("", _("All"))] if blank else []) + list(enum.choices)


class RoundFilterForm(forms.Form):
    q = forms.CharField(label=_("Title or employer"), required=False, max_length=100)
    state = forms.ChoiceField(label=_("State"), choices=_choices(RoundState), required=False)
    kind = forms.ChoiceField(label=_("Contract kind"), choices=_choices(ContractKind), required=False)
    overdue = forms.BooleanField(label=_("Only past a deadline"), required=False)


class ContractFilterForm(forms.Form):
    q = forms.CharField(label=_("Title, employer or number"), required=False, max_length=100)
    kind = forms.ChoiceField(label=_("Contract kind"), choices=_choices(ContractKind), required=False)
    scope = forms.ChoiceField(label=pgettext_lazy("bargaining", "Scope"), choices=_choices(Scope), required=False)
    in_force = forms.BooleanField(label=_("Only in force today"), required=False)
    expiring = forms.ChoiceField(label=pgettext_lazy("bargaining", "Expiring"), choices=EXPIRY_CHOICES, required=False)


class RoundOpenForm(forms.Form):
    title = forms.CharField(label=pgettext_lazy("bargaining", "Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Contract kind"), choices=ContractKind.choices)
    scope = forms.ChoiceField(label=pgettext_lazy("bargaining", "Scope"), choices=Scope.choices, initial=Scope.ENTERPRISE)
    employer = forms.CharField(label=_("Employer side"), max_length=200,
                               help_text=_("The enterprise, or the employers' association of the sector or area."))
    workers = count_field(pgettext_lazy("bargaining", "Workers"), minimum=1)
    offered_by = forms.ChoiceField(label=_("Offer made by"), choices=Side.choices)
    offered_on = date_field(_("Offer date"))
    renews = forms.IntegerField(required=False, widget=forms.HiddenInput)


class DayForm(forms.Form):
    on = date_field(pgettext_lazy("bargaining", "Date"))

    def __init__(self, *args, label=None, **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["on"].label = label
        self.fields["on"].widget.attrs["max"] = timezone.localdate().isoformat()


class VoteForm(forms.Form):
    body = forms.ChoiceField(label=_("Voted by"), choices=VoteBody.choices)
    held_on = date_field(_("Vote date"))
    eligible = count_field(_("Delegates or workers entitled to vote"), minimum=1)
    present = count_field(pgettext_lazy("bargaining", "Present"))
    in_favour = count_field(pgettext_lazy("bargaining", "In favour"))
    against = count_field(pgettext_lazy("bargaining", "Against"))
    abstained = count_field(pgettext_lazy("bargaining", "Abstained"))


class SignForm(forms.Form):
    signed_on = date_field(_("Signing date"))
    starts_on = date_field(_("Term starts"))
    ends_on = date_field(_("Term ends"))
    union_signatory = forms.CharField(label=_("Signed for the union by"), max_length=60)
    employer_signatory = forms.CharField(label=_("Signed for the employer by"), max_length=60)
    covered = forms.CharField(
        label=_("Enterprises covered"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sector-wide or area-wide contracts: one enterprise a line, its union code and its workers, "
                    "e.g. YZ0001 120. One enterprise's own contract covers its workers of the round."))
    wage_growth_pct = forms.DecimalField(label=_("Wage growth (%)"), required=False, max_digits=5, decimal_places=2)
    minimum_wage = MoneyField(label=_("Minimum monthly wage in the firm (yuan)"), required=False)
    skill_factors = forms.MultipleChoiceField(label=_("What counts for the grade"), choices=SkillFactor.choices,
                                              required=False, widget=forms.CheckboxSelectMultiple)
    grades = forms.CharField(
        label=_("Skill grades"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Skill-grade wage contracts: one grade a line, from the lowest: name, monthly pay, criteria, "
                    "separated by a vertical bar, e.g. 高级工|7200|高级职业资格"))
    document = DocumentsField(label=_("Signed text (PDF or photo)"), required=False)

    def clean_covered(self):
        lines = []
        for n, line in enumerate((self.cleaned_data.get("covered") or "").splitlines(), start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2 or not parts[1].isdigit():
                raise forms.ValidationError(_("Line %(n)d: write the union code and the workers, e.g. YZ0001 120.")
                                            % {"n": n})
            lines.append((parts[0].upper(), int(parts[1])))
        return lines

    def clean_grades(self):
        grades = []
        for n, line in enumerate((self.cleaned_data.get("grades") or "").splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) not in (2, 3):
                raise forms.ValidationError(_("Line %(n)d: write the name, the monthly pay and the criteria, "
                                              "separated by a vertical bar.") % {"n": n})
            grades.append((parts[0], parts[1], parts[2] if len(parts) == 3 else ""))
        return grades


class ReviewForm(forms.Form):
    on = date_field(_("Date of the bureau's answer"))
    objection = forms.CharField(label=pgettext_lazy("bargaining", "Objection"), required=False, max_length=500,
                                widget=forms.Textarea(attrs={"rows": 2}),
                                help_text=_("Leave empty when the bureau has no objection."))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=pgettext_lazy("bargaining", "Reason"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}))


class TerminateForm(ReasonForm):
    on = date_field(_("Ends on"))
