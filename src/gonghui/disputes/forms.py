"""Forms of the dispute pages (workbench and member pages). They shape input; the rules live in
``gonghui.disputes.services`` and their messages come back onto the fields (``apply_errors``).

ID numbers and mobiles are never echoed back after a failed submit (``PrivateInput``).
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gonghui.core.money import MoneyField
from gonghui.core.uploads import DocumentsField
from gonghui.disputes.models import ClaimKind, ReferralSource, Target
from gonghui.members.forms import ID_ATTRS, PHONE_ATTRS, PrivateInput, id_number_on_record
from gonghui.members.models import Category
from gonghui.orgs.forms import CREDIT_ATTRS

MAX_FILES = 10
DATE = {"type": "date"}


def date_field(label, *, required: bool = False, help_text: str = "", past: bool = True) -> forms.DateField:
    attrs = dict(DATE)
    field = forms.DateField(label=label, required=required, help_text=help_text,
                            widget=forms.DateInput(attrs=attrs, format="%Y-%m-%d"))
    field.gh_past = past
    return field


def money_field(label, *, required: bool = True, positive: bool = False) -> MoneyField:
    return MoneyField(label=label, required=required, positive=positive)


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


def _set_max_today(form: forms.Form) -> None:
    today = timezone.localdate().isoformat()
    for field in form.fields.values():
        if getattr(field, "gh_past", False):
            field.widget.attrs["max"] = today


# ----------------------------------------------------------------------------- attachments

def AttachmentsField(**kwargs) -> DocumentsField:
    """Photos (JPEG, PNG) and PDFs, several at once, checked by the kernel's upload policy."""
    return DocumentsField(multiple=True, max_files=MAX_FILES, **kwargs)


# ------------------------------------------------------------------------------- applying

class ClaimForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of claim"), choices=())
    amount = money_field(_("Amount (yuan)"))
    note = forms.CharField(label=_("Details"), max_length=200, required=False,
                           widget=forms.TextInput(attrs={"placeholder": _("e.g. wages of March to May 2026")}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("Choose…")), *ClaimKind.choices]
        for field in self.fields.values():
            field.widget.attrs.setdefault("data-claim-field", "")
        self.fields["amount"].widget.attrs["data-claim-amount"] = ""


class BaseClaimFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        lines = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if not lines:
            raise ValidationError(_("Enter at least one claim (what is asked for)."), code="no_claims")

    def lines(self) -> list[dict]:
        return [{"kind": f.cleaned_data["kind"], "amount": f.cleaned_data["amount"], "note": f.cleaned_data["note"]}
                for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]


ClaimFormSet = forms.formset_factory(ClaimForm, formset=BaseClaimFormSet, extra=0, min_num=1, max_num=20,
                                     validate_max=True, can_delete=True)


def claim_formset(data=None, *, prefix: str = "claims") -> BaseClaimFormSet:
    return ClaimFormSet(data, prefix=prefix)


class ApplicationForm(forms.Form):
    """What a worker (online) or a cadre (oral application at the window) records."""

    applicant_name = forms.CharField(label=_("Applicant's real name"), max_length=50,
                                     widget=forms.TextInput(attrs={"autocomplete": "name"}))
    id_number = forms.CharField(label=_("ID number"), max_length=24, widget=PrivateInput(attrs=ID_ATTRS),
                                help_text=_("The 18-character resident ID number; it is checked as you type."))
    phone = forms.CharField(label=_("Mobile"), max_length=20, required=False, widget=PrivateInput(attrs=PHONE_ATTRS))
    employer_name = forms.CharField(label=_("Employer"), max_length=200,
                                    help_text=_("The company (or platform) the dispute is with."))
    employer_credit_code = forms.CharField(label=_("Employer's unified social credit code"), max_length=40,
                                           required=False, widget=forms.TextInput(attrs=CREDIT_ATTRS),
                                           help_text=_("If known: 18 characters, on the business licence."))
    industry = forms.CharField(label=_("Industry"), max_length=50, required=False)
    category = forms.ChoiceField(label=_("Group"), choices=(), required=False)
    is_new_form = forms.BooleanField(label=_("New-form worker (rider, courier, driver, …)"), required=False)
    employment_start = date_field(_("Employment started on"))
    employment_end = date_field(_("Employment ended on"), help_text=_("Leave empty if you still work there."),
                                past=False)
    knew_on = date_field(_("When the worker knew of the problem"),
                         help_text=_("e.g. the day wages were due and not paid; the one-year arbitration limit runs "
                                     "from it."))
    summary = forms.CharField(label=_("What happened and what is asked"), max_length=5000, required=False,
                              widget=forms.Textarea(attrs={"rows": 4}))
    attachments = AttachmentsField(label=_("Documents (photos or PDF)"),
                                   help_text=_("Contract, pay slips, chat records, attendance… JPEG, PNG or PDF, "
                                               "at most 10 MB each, up to 10 files."))

    SERVICE_KEYS = ("applicant_name", "id_number", "phone", "employer_name", "employer_credit_code", "industry",
                    "category", "is_new_form", "employment_start", "employment_end", "knew_on", "summary")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("None of the groups")), *Category.choices]
        _set_max_today(self)

    def service_fields(self) -> dict:
        return {key: self.cleaned_data[key] for key in self.SERVICE_KEYS if key in self.fields}


class MemberApplicationForm(ApplicationForm):
    """The worker's own application: where to apply (the district's service centre)."""

    district = forms.ChoiceField(label=_("Service centre (district) to apply to"), choices=(),
                                 help_text=_("Usually the district where you work."))

    field_order = ["district", "applicant_name", "id_number", "phone"]

    def __init__(self, *args, districts=(), member=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [("", _("Choose…")), *((d.code, d.name) for d in districts)]
        self.fields["phone"].help_text = _("The mediator calls you on this number.")
        self.fields["knew_on"].label = _("When you knew of the problem")
        if member is not None:
            # A member applies as themselves: the name and ID number on record are used.
            self.fields["applicant_name"].disabled = True
            self.fields["applicant_name"].initial = member.name
            id_number_on_record(self.fields["id_number"], member)
            self.fields.pop("category")
            self.fields.pop("is_new_form")
            self.fields.pop("industry")

    def service_fields(self) -> dict:
        fields = super().service_fields()
        if self.fields["id_number"].disabled:  # the service takes the member's own from the record
            fields.pop("id_number")
        return fields


class WindowIntakeForm(ApplicationForm):
    """One-window intake (一窗受理): an oral application, or a case entrusted by a court or commission."""

    CHANNELS = (("window", _("Oral application at the window")),
                ("court", ReferralSource.COURT.label), ("arbitration", ReferralSource.ARBITRATION.label))

    channel = forms.ChoiceField(label=_("How the case came in"), choices=CHANNELS, initial="window",
                                widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    body_name = forms.CharField(label=_("Court or arbitration commission"), max_length=200, required=False)
    reference = forms.CharField(label=_("Their case reference"), max_length=64, required=False)
    deadline = date_field(_("Their deadline for mediation"), past=False)
    received_at = forms.DateTimeField(label=_("Time of receipt"), required=False,
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                 format="%Y-%m-%dT%H:%M"),
                                      help_text=_("Leave empty for now."))

    field_order = ["channel", "body_name", "reference", "deadline"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["id_number"].required = False  # the service asks for it for oral applications
        self.fields["id_number"].help_text = _("Required for an oral application; it is checked as you type.")


# --------------------------------------------------------------------------- the case's work

class TriageForm(forms.Form):
    ROUTE = (("room", _("Send to a mediation room")), ("hand_on", _("Hand on to another body")))

    route = forms.ChoiceField(label=_("Triage decision"), choices=ROUTE, initial="room",
                              widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    room = forms.ChoiceField(label=_("Mediation room"), choices=(), required=False)
    target = forms.ChoiceField(label=_("Hand on to"), choices=(), required=False)
    target_name = forms.CharField(label=_("Name of the receiving body"), max_length=200, required=False)
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, rooms=(), may_route: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.may_route = may_route
        if not may_route:  # the room's staff may hand a case on, not route it
            self.fields["route"].choices = [self.ROUTE[1]]
            self.fields["route"].initial = "hand_on"
        self.rooms = {str(r.pk): r for r in rooms}
        self.fields["room"].choices = [("", _("Choose…")),
                                       *((str(r.pk), f"{r.name}（{r.get_level_display()}）") for r in rooms)]
        self.fields["target"].choices = [("", _("Choose…")), *Target.choices]

    def clean(self):
        data = super().clean()
        if data.get("route") == "room" and not data.get("room"):
            self.add_error("room", _("Choose the mediation room."))
        if data.get("route") == "hand_on" and not data.get("target"):
            self.add_error("target", _("Choose where the case goes."))
        return data


class MediatorForm(forms.Form):
    mediator = forms.ChoiceField(label=_("Mediator"), choices=())

    def __init__(self, *args, mediators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {str(s.user_id): s.user for s in mediators}
        self.fields["mediator"].choices = [("", _("Choose…")), *(
            (str(s.user_id), s.user.get_full_name() or s.user.get_username()) for s in mediators)]


class SessionForm(forms.Form):
    held_at = forms.DateTimeField(label=_("Held at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                                   format="%Y-%m-%dT%H:%M"))
    place = forms.CharField(label=_("Place"), max_length=200)
    attendees = forms.CharField(label=_("Attendees"), max_length=500,
                                help_text=_("Both parties and their representatives, the mediator, others."))
    minutes = forms.CharField(label=_("Minutes"), max_length=20000, required=False,
                              widget=forms.Textarea(attrs={"rows": 4}))


class InstalmentForm(forms.Form):
    due_on = date_field(_("Due on"), required=True, past=False)
    amount = money_field(_("Amount (yuan)"), positive=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].widget.attrs["data-claim-amount"] = ""


class BaseInstalmentFormSet(forms.BaseFormSet):
    def lines(self) -> list[dict]:
        return [{"due_on": f.cleaned_data["due_on"], "amount": f.cleaned_data["amount"]}
                for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]


InstalmentFormSet = forms.formset_factory(InstalmentForm, formset=BaseInstalmentFormSet, extra=0, min_num=0,
                                          max_num=60, validate_max=True, can_delete=True)


class AgreementForm(forms.Form):
    amount = money_field(_("Agreed amount (yuan)"))
    signed_on = date_field(_("Signed on"), required=True)
    terms = forms.CharField(label=_("Terms of the agreement"), max_length=20000, required=False,
                            widget=forms.Textarea(attrs={"rows": 4}),
                            help_text=_("What each side undertakes, as written in the agreement."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _set_max_today(self)
        if not self.is_bound:
            self.initial.setdefault("signed_on", timezone.localdate())


class PaymentForm(forms.Form):
    amount = money_field(_("Amount paid (yuan)"), positive=True)
    paid_on = date_field(_("Paid on"), required=True)
    note = forms.CharField(label=_("Note"), max_length=200, required=False,
                           widget=forms.TextInput(attrs={"placeholder": _("e.g. bank transfer")}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _set_max_today(self)
        if not self.is_bound:
            self.initial.setdefault("paid_on", timezone.localdate())


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("Give the reason.")})


class FailForm(ReasonForm):
    failed_on = date_field(_("Failed on"))


class ReferForm(forms.Form):
    target = forms.ChoiceField(label=_("Refer to"), choices=(), required=False)
    target_name = forms.CharField(label=_("Name of the commission or court"), max_length=200, required=False)
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [("", _("The entrusting court or commission")),
                                         (Target.ARBITRATION, Target.ARBITRATION.label),
                                         (Target.COURT, Target.COURT.label)]


class LegalAidForm(forms.Form):
    request = forms.CharField(label=_("What help is needed"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                              error_messages={"required": _("Say what help is needed.")})


class LegalAidFinishForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AttachForm(forms.Form):
    files = AttachmentsField(label=_("Documents (photos or PDF)"), required=True,
                             help_text=_("JPEG, PNG or PDF, at most 10 MB each, up to 10 files."))
    description = forms.CharField(label=_("Description"), max_length=200, required=False)


class SatisfactionForm(forms.Form):
    SCORES = ((5, _("Very satisfied")), (4, _("Satisfied")), (3, _("Fair")), (2, _("Dissatisfied")),
              (1, _("Very dissatisfied")))

    score = forms.TypedChoiceField(label=_("How satisfied are you with how your case was handled?"),
                                   choices=SCORES, coerce=int, widget=forms.RadioSelect,
                                   error_messages={"required": _("Give a score from 1 to 5.")})
    comment = forms.CharField(label=_("Anything you want to tell us (optional)"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))


# ------------------------------------------------------------------------------ list filters

class CaseFilterForm(forms.Form):
    q = forms.CharField(label=_("Case number, applicant or employer"), max_length=50, required=False,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}))
    state = forms.ChoiceField(label=_("State"), choices=(), required=False)
    room = forms.ChoiceField(label=_("Mediation room"), choices=(), required=False)
    claim = forms.ChoiceField(label=_("Kind of claim"), choices=(), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    start = date_field(_("Received from"), past=False)
    end = date_field(_("Received until"), past=False)

    def __init__(self, *args, rooms=(), states=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", _("All states")), *states]
        self.rooms = {str(r.pk): r for r in rooms}
        self.fields["room"].choices = [("", _("All rooms")), *((str(r.pk), r.name) for r in rooms)]
        self.fields["claim"].choices = [("", _("All claims")), *ClaimKind.choices]

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end of the period is before its start."))
        return data


class PeriodForm(forms.Form):
    start = date_field(_("Period from"), past=False)
    end = date_field(_("Period to"), past=False)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end of the period is before its start."))
        return data
