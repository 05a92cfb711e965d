"""Forms of the station pages: they read and shape input; the rules live in the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from gonghui.core.uploads import DocumentsField
from gonghui.stations import conf, geo
from gonghui.stations.models import HostKind, StationReport, StationReview, StationStatus
from gonghui.stations.rules import WEEKDAY_NAMES

DATUM_CHOICES = [(geo.WGS84, _("WGS-84 (GPS, OpenStreetMap)")), (geo.GCJ02, _("GCJ-02 (Amap, Tencent maps)")),
                 (geo.BD09, _("BD-09 (Baidu maps)"))]


def kind_choices(blank: bool = False):
    choices = [(code, label) for code, label in conf.kinds().items()]
    return ([("", _("All kinds"))] if blank else []) + choices


def facility_choices(blank: bool = False):
    choices = [(code, label) for code, (label, _icon) in conf.facilities().items()]
    return ([("", _("Any facility"))] if blank else []) + choices


class StationForm(forms.Form):
    org = forms.ChoiceField(label=_("Operating union"))
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"))
    host_kind = forms.ChoiceField(label=_("Host"), choices=HostKind.choices)
    host_name = forms.CharField(label=_("Host partner"), max_length=100, required=False,
                                help_text=_("The shop, bank branch or petrol station that hosts it."))
    address = forms.CharField(label=_("Address"), max_length=200)
    lat = forms.CharField(label=_("Latitude"), max_length=20)
    lon = forms.CharField(label=_("Longitude"), max_length=20)
    datum = forms.ChoiceField(label=_("Coordinates from"), choices=DATUM_CHOICES, initial=geo.WGS84,
                              help_text=_("Coordinates copied from Amap or Baidu maps are converted to WGS-84."))
    always_open = forms.BooleanField(label=_("Open 24 hours"), required=False)
    facilities = forms.MultipleChoiceField(label=_("Facilities"), required=False, widget=forms.CheckboxSelectMultiple)
    contact_name = forms.CharField(label=_("Contact"), max_length=50, required=False)
    phone = forms.CharField(label=_("Contact's mobile"), max_length=20, required=False)
    honours = forms.CharField(label=_("Honours"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                              help_text=_("One a line, e.g. 全国最美工会户外劳动者服务站点."))
    status = forms.ChoiceField(label=pgettext_lazy("stations", "Status"), choices=StationStatus.choices)
    opened_on = forms.DateField(label=_("Opened on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    photos = DocumentsField(label=_("Photos"), required=False, multiple=True, max_files=9)

    def __init__(self, *args, orgs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = [(o.code, o.name) for o in orgs]
        self.fields["kind"].choices = kind_choices()
        self.fields["facilities"].choices = facility_choices()
        for day, name in enumerate(WEEKDAY_NAMES):
            self.fields[f"day{day}"] = forms.CharField(label=name, required=False, max_length=60,
                                                       widget=forms.TextInput(attrs={"placeholder": "08:00-20:00"}))

    @property
    def day_fields(self):
        return [self[f"day{d}"] for d in range(7)]


class ReviewForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=StationReview.Kind.choices)
    reviewed_on = forms.DateField(label=_("Reviewed on"), widget=forms.DateInput(attrs={"type": "date"}))
    score = forms.IntegerField(label=_("Score"), min_value=0, max_value=100)
    facilities_found = forms.MultipleChoiceField(label=_("Facilities found in working order"), required=False,
                                                 widget=forms.CheckboxSelectMultiple)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    photos = DocumentsField(label=_("Photos of the checklist"), required=False, multiple=True, max_files=9)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facilities_found"].choices = facility_choices()


class StationFilter(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=50)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    status = forms.ChoiceField(label=pgettext_lazy("stations", "Status"), required=False,
                               choices=[("", _("Any status"))] + list(StationStatus.choices))
    facility = forms.ChoiceField(label=_("Facility"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kind_choices(blank=True)
        self.fields["facility"].choices = facility_choices(blank=True)

    def values(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {k: data.get(k) or "" for k in ("q", "kind", "status", "facility")}


class NearFilter(forms.Form):
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lon = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    district = forms.ChoiceField(label=_("Or pick a district"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    facility = forms.ChoiceField(label=_("Facility"), required=False)
    open_now = forms.BooleanField(label=_("Open now"), required=False)

    def __init__(self, *args, districts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [("", _("Choose…"))] + [(d["code"], d["name"]) for d in districts]
        self.fields["kind"].choices = kind_choices(blank=True)
        self.fields["facility"].choices = facility_choices(blank=True)


class ResolveForm(forms.Form):
    resolution = forms.CharField(label=_("What was done"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ReportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What is wrong"), widget=forms.RadioSelect)
    text = forms.CharField(label=_("Describe it (optional)"), max_length=500, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from gonghui.stations.services import WORKER_REPORT_KINDS

        self.fields["kind"].choices = [(k.value, k.label) for k in WORKER_REPORT_KINDS]


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(label=_("Your rating"), coerce=int, widget=forms.RadioSelect,
                                    choices=[(n, "★" * n) for n in range(5, 0, -1)])


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Spreadsheet (XLSX or CSV)"))


REPORT_KINDS = StationReport.Kind
