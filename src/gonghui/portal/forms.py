"""Forms of the member pages: the SMS step and the join application. Rules live in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from gonghui.members.forms import ID_ATTRS, PHONE_ATTRS, PrivateInput, id_number_on_record
from gonghui.members.models import Category


class PhoneForm(forms.Form):
    phone = forms.CharField(label=_("Mobile number"), max_length=20,
                            widget=PrivateInput(attrs={**PHONE_ATTRS, "autocomplete": "tel", "placeholder": "1XXXXXXXXXX"}))


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the text message"), max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "6",
                                      "pattern": "[0-9]*", "class": "font-monospace gh-code-input"}),
    )


class JoinForm(forms.Form):
    name = forms.CharField(label=_("Real name"), max_length=50,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    id_number = forms.CharField(label=_("ID number"), max_length=24, widget=PrivateInput(attrs=ID_ATTRS),
                                help_text=_("The 18-character resident ID number; it is checked as you type."))
    employer = forms.CharField(label=_("Employer or trade"), max_length=200,
                               help_text=_("Riders, couriers and drivers: the platform or trade, e.g. 美团外卖."))
    category = forms.ChoiceField(label=_("Group"), choices=(), required=False)
    is_new_form = forms.BooleanField(label=_("I am a new-form worker (rider, courier, driver, …)"), required=False)
    district = forms.ChoiceField(label=_("District where you work"), choices=(), required=False)
    q = forms.CharField(label=_("Search a union by name"), max_length=50, required=False,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off",
                                                      "placeholder": _("e.g. the name of your company")}))
    org = forms.CharField(label=_("The union to join"), max_length=32,
                          error_messages={"required": _("Choose the union to join.")})

    def __init__(self, *args, districts=(), member=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("None of the groups")), *Category.choices]
        self.fields["district"].choices = [("", _("All of the city")), *((d.code, d.name) for d in districts)]
        if member is not None:  # a member applies as themselves: the ID number on record
            id_number_on_record(self.fields["id_number"], member)
            self.fields["name"].initial = member.name
            self.fields["employer"].initial = member.employer
            self.fields["category"].initial = member.category
            self.fields["is_new_form"].initial = member.is_new_form

    def service_fields(self) -> dict:
        keys = ("name", "id_number", "employer", "category", "is_new_form")
        return {key: self.cleaned_data[key] for key in keys if not self.fields[key].disabled}

