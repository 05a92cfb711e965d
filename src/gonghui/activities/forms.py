"""Forms of the activities pages. They shape input; the rules live in ``services``, whose
ValidationErrors come back onto the fields."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from gonghui.activities.models import ActivityKind, Eligibility, Mode
from gonghui.members.models import Category

DT = {"type": "datetime-local"}


def _dt(label, **kwargs):
    return forms.DateTimeField(label=label, widget=forms.DateTimeInput(attrs=DT, format="%Y-%m-%dT%H:%M"),
                               input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"], **kwargs)


def priority_choices():
    return [*Eligibility.choices, ("new_form", _("New-form workers")), *Category.choices]


class ActivityForm(forms.Form):
    """Everything of an activity on one page: a cadre creates one in a minute (a kind, a title, the
    first session; the rest has defaults)."""

    kind = forms.ModelChoiceField(label=pgettext_lazy("activities", "Kind"), queryset=ActivityKind.objects.all(),
                                  empty_label=None)
    title = forms.CharField(label=_("Title"), max_length=100)
    mode = forms.ChoiceField(label=_("How places are given"), choices=Mode.choices, initial=Mode.FIRST_COME)
    capacity = forms.IntegerField(label=_("Places"), min_value=1, max_value=10_000_000, required=False,
                                  help_text=_("Leave empty for no limit (first come) or an open activity."))
    place = forms.CharField(label=pgettext_lazy("activities", "Place"), max_length=200, required=False)
    first_session = _dt(_("First session starts"))
    duration_minutes = forms.IntegerField(label=_("Each session lasts (minutes)"), min_value=10, max_value=60 * 24 * 14,
                                          initial=120)
    sessions = forms.IntegerField(label=_("Number of sessions"), min_value=1, max_value=500, initial=1)
    every_days = forms.IntegerField(label=_("Days between sessions"), min_value=1, max_value=366, initial=7)
    opens_at = _dt(_("Registration opens"), required=False)
    closes_at = _dt(_("Registration closes"), required=False, help_text=_("A lottery is drawn after this."))
    audience_categories = forms.MultipleChoiceField(label=_("Only these groups"), choices=Category.choices,
                                                    required=False, widget=forms.CheckboxSelectMultiple)
    audience_new_form = forms.BooleanField(label=_("New-form workers only"), required=False)
    audience_women = forms.BooleanField(label=_("Women workers only"), required=False)
    audience_eligibility = forms.ChoiceField(label=_("Only members with this standing eligibility"),
                                             choices=[("", "—"), *Eligibility.choices], required=False)
    priority_groups = forms.MultipleChoiceField(label=_("Lottery: drawn first"), choices=priority_choices,
                                                required=False, widget=forms.CheckboxSelectMultiple)
    offer_hours = forms.IntegerField(label=_("Hours to accept an offered place"), min_value=1, max_value=336,
                                     initial=48)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def session_times(self) -> list[tuple[dt.datetime, dt.datetime]]:
        data = self.cleaned_data
        length = dt.timedelta(minutes=data["duration_minutes"])
        first = data["first_session"]
        return [(first + dt.timedelta(days=i * data["every_days"]), first + dt.timedelta(days=i * data["every_days"])
                 + length) for i in range(data["sessions"])]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return dict(kind=data["kind"], title=data["title"], mode=data["mode"], capacity=data["capacity"],
                    place=data["place"], description=data["description"], sessions=self.session_times(),
                    opens_at=data["opens_at"], closes_at=data["closes_at"],
                    audience_categories=data["audience_categories"], audience_new_form=data["audience_new_form"],
                    audience_women=data["audience_women"], audience_eligibility=data["audience_eligibility"],
                    priority_groups=data["priority_groups"], offer_hours=data["offer_hours"])


class CopyForm(forms.Form):
    first_session = _dt(_("First session of the copy starts"))


class CapacityForm(forms.Form):
    capacity = forms.IntegerField(label=_("Places"), min_value=1, max_value=10_000_000)


class DrawForm(forms.Form):
    seed = forms.CharField(label=_("Seed (leave empty for a random one)"), max_length=64, required=False)


class ShareForm(forms.Form):
    org = forms.CharField(label=_("Union code"), max_length=40)
    places = forms.IntegerField(label=_("Places"), min_value=0, max_value=10_000_000)


class NameForm(forms.Form):
    member = forms.IntegerField(label=_("Member number"), min_value=1)


class ScanForm(forms.Form):
    code = forms.CharField(label=_("Check-in code"), max_length=200,
                           widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}))


class ReturnForm(forms.Form):
    headcount = forms.IntegerField(label=_("People present"), min_value=1, max_value=1_000_000)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


def default_first_session() -> str:
    start = (timezone.localtime() + dt.timedelta(days=7)).replace(hour=14, minute=0, second=0, microsecond=0)
    return start.strftime("%Y-%m-%dT%H:%M")
