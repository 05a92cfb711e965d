"""Forms for the union tree. They only shape input; the rules (credit code, kinds) live in
``gonghui.orgs.services`` and their messages come back onto the fields."""

from django import forms
from django.utils.translation import gettext, gettext_lazy as _, ngettext

from gonghui.orgs.models import OrgKind

# static/gonghui/idcheck.js checks the code as the user types, with the messages (and so the
# translations) of gonghui.core.ids, which checks it again on submit.
CREDIT_ATTRS = {
    "autocomplete": "off", "spellcheck": "false", "data-credit-code": "", "class": "font-monospace",
    "data-msg-length": _("A unified social credit code has 18 characters; this one has %(count)d."),
    "data-msg-chars": _("A unified social credit code cannot contain %(chars)s (I, O, S, V and Z are never used)."),
    "data-msg-region": _("Characters 3 to 8 of the credit code must be a region code."),
    "data-msg-check": _("The check character of the credit code is wrong."),
    "data-msg-ok": _("Check character correct."),
}


def star_choices() -> list[tuple[str, str]]:
    stars = [(str(n), ngettext("%(n)d star", "%(n)d stars", n) % {"n": n}) for n in range(1, 6)]
    return [("", gettext("Not rated")), *stars]


class OrgForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=OrgKind.choices)
    is_new_form = forms.BooleanField(
        label=_("New-form union (for new-form workers such as riders, couriers, drivers)"), required=False
    )
    credit_code = forms.CharField(
        label=_("Unified social credit code"), required=False, max_length=40,
        help_text=_("18 characters, for an enterprise union: the code of the company or of the union."),
        widget=forms.TextInput(attrs=CREDIT_ATTRS),
    )
    star_rating = forms.TypedChoiceField(
        label=_("Star rating (vibrant grassroots union)"), choices=(), required=False,
        coerce=int, empty_value=None,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["star_rating"].choices = star_choices()  # built per request: in the user's language

    def service_fields(self) -> dict:
        return {key: self.cleaned_data[key] for key in ("name", "kind", "is_new_form", "credit_code", "star_rating")}


class OrgCreateForm(OrgForm):
    code = forms.CharField(
        label=_("Union code"), max_length=32,
        help_text=_("A short stable code used in addresses and imports, e.g. YZ0123."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "class": "font-monospace"}),
    )
    field_order = ["code", "name", "kind", "is_new_form", "credit_code", "star_rating"]

    def service_fields(self) -> dict:
        return {"code": self.cleaned_data["code"], **super().service_fields()}


class OrgSearchForm(forms.Form):
    q = forms.CharField(label=_("Search unions by name or code"), required=False, max_length=100)
