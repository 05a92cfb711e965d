"""Workbench forms for decisions on requests (joining, transfers) and for leaving (退会)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gonghui.members.forms import ID_ATTRS, PrivateInput


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the refusal"), max_length=200,
                             widget=forms.Textarea(attrs={"rows": 3, "maxlength": "200"}),
                             help_text=_("The person concerned reads it: say what is missing or where to turn."),
                             error_messages={"required": _("Give the reason; the person concerned will see it.")})


class TransferRequestForm(forms.Form):
    id_number = forms.CharField(label=_("ID number of the member"), max_length=24, widget=PrivateInput(attrs=ID_ATTRS),
                                help_text=_("The person must already be in the member database (in any union)."))
    note = forms.CharField(label=_("Note"), max_length=200, required=False,
                           help_text=_("E.g. the date they started working here."))


class LeaveForm(forms.Form):
    on = forms.DateField(label=_("Left on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reason = forms.CharField(label=_("Reason for leaving"), max_length=200,
                             help_text=_("E.g. retired, left the company, asked to leave."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].widget.attrs["max"] = timezone.localdate().isoformat()
        if not self.is_bound:
            self.initial.setdefault("on", timezone.localdate())
