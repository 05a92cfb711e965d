"""Forms for the member database. They shape input; the rules live in
``gonghui.members.services`` and their messages come back onto the fields.

ID numbers and phones are never written back into a re-rendered form (``PrivateInput``): a
page with an error must not carry a plain ID number.
"""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gonghui.members.models import Category


class PrivateInput(forms.TextInput):
    """A text box that does not echo its value back after a failed submit (like a password box)."""

    def get_context(self, name, value, attrs):
        return super().get_context(name, None, attrs)


def id_number_on_record(field: forms.Field, member) -> None:
    """Turn an ID-number field into the member's own number on record, shown masked and not
    editable: the service reads the number from the record, and the plain number never reaches
    the page. (A disabled field ignores what is posted; drop it from the service's arguments.)"""
    field.disabled = True
    field.required = False
    field.initial = member.id_masked
    field.widget = forms.TextInput(attrs={"class": "font-monospace", "readonly": True, "data-on-record": ""})
    field.help_text = _("Your ID number on record (shown in part) is used.")


# static/gonghui/idcheck.js checks these as the user types, with the same messages (and so the
# same translations) as gonghui.core.ids, which checks them again on submit.
ID_ATTRS = {
    "autocomplete": "off", "spellcheck": "false", "inputmode": "text", "maxlength": "24",
    "data-id-number": "", "class": "font-monospace",
    "data-msg-legacy": _("This is a 15-digit ID number of the old format; enter the 18-character number."),
    "data-msg-length": _("An ID number has 18 characters; this one has %(count)d."),
    "data-msg-chars": _("An ID number is 17 digits followed by a digit or X."),
    "data-msg-region": _("The ID number does not start with a valid region code."),
    "data-msg-birth": _("The birth date in the ID number does not exist."),
    "data-msg-impossible": _("The birth date in the ID number is impossible."),
    "data-msg-check": _("The check character of the ID number is wrong; please check each digit."),
    "data-msg-ok": _("Check character correct."),
}
PHONE_ATTRS = {
    "autocomplete": "off", "inputmode": "tel", "maxlength": "20", "data-phone": "",
    "data-msg-invalid": _("Enter an 11-digit mobile number starting with 1."),
}


class MemberForm(forms.Form):
    name = forms.CharField(label=_("Real name"), max_length=50)
    id_number = forms.CharField(
        label=_("ID number"), max_length=24, widget=PrivateInput(attrs=ID_ATTRS),
        help_text=_("The 18-character resident ID number; it is checked as you type."),
    )
    phone = forms.CharField(label=_("Mobile"), max_length=20, required=False, widget=PrivateInput(attrs=PHONE_ATTRS))
    category = forms.ChoiceField(label=_("Group"), choices=(), required=False)
    is_new_form = forms.BooleanField(label=_("New-form worker (rider, courier, driver, …)"), required=False)
    employer = forms.CharField(label=_("Employer or trade"), max_length=200, required=False)
    joined_on = forms.DateField(label=_("Joined on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("None of the groups")), *Category.choices]
        self.fields["joined_on"].widget.attrs["max"] = timezone.localdate().isoformat()
        if not self.is_bound and "joined_on" not in self.initial:
            self.initial["joined_on"] = timezone.localdate()

    def service_fields(self) -> dict:
        keys = ("name", "id_number", "phone", "category", "is_new_form", "employer", "joined_on")
        return {key: self.cleaned_data[key] for key in keys}


class MemberEditForm(MemberForm):
    """Editing: an empty ID number or phone keeps what is stored (it is never shown in full)."""

    clear_phone = forms.BooleanField(label=_("Remove the stored mobile number"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["id_number"].required = False
        self.fields["id_number"].help_text = _("Leave empty to keep the stored number; enter all 18 characters to correct it.")
        self.fields["phone"].help_text = _("Leave empty to keep the stored number.")

    def service_fields(self) -> dict:
        fields = super().service_fields()
        fields["id_number"] = fields["id_number"] or None
        fields["phone"] = "" if self.cleaned_data["clear_phone"] else (fields["phone"] or None)
        return fields


class MemberSearchForm(forms.Form):
    q = forms.CharField(label=_("Name (beginning) or card number"), required=False, max_length=50)
    left = forms.BooleanField(label=_("Include members who left"), required=False)


ROSTER_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".txt")


class RosterUploadForm(forms.Form):
    """批量导入: the roster file and the two choices the import service offers."""

    file = forms.FileField(
        label=_("Roster file (CSV or XLSX)"),
        widget=forms.FileInput(attrs={"accept": ".csv,.xlsx,text/csv,"
                                                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}),
    )
    valid_only = forms.BooleanField(
        label=_("Import only the correct rows"), required=False,
        help_text=_("Without this, one bad row refuses the whole file and nothing is written."),
    )
    dry_run = forms.BooleanField(
        label=_("Only check, do not import"), required=False,
        help_text=_("Every row is checked and the result shown; nothing is written."),
    )

    def __init__(self, *args, max_mb: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_mb = max_mb
        self.fields["file"].help_text = _(
            "The first row holds the column names, as in the template. At most %(mb)d MB.") % {"mb": max_mb}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if name.endswith(".xls"):
            raise forms.ValidationError(
                _("Old Excel files (.xls) cannot be read; in Excel choose Save As → Excel Workbook (.xlsx)."),
                code="xls")
        if not name.endswith(ROSTER_SUFFIXES):
            raise forms.ValidationError(_("Choose a CSV or XLSX file."), code="suffix")
        if upload.size > self.max_mb * 1024 * 1024:
            raise forms.ValidationError(
                _("The file is %(size)s MB; the limit is %(mb)d MB. Split it into smaller files and import each."),
                params={"size": f"{upload.size / 1024 / 1024:.1f}", "mb": self.max_mb}, code="too_large")
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."), code="empty")
        return upload
