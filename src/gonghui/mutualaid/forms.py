"""Forms of the mutual-aid pages. They shape input; the rules live in ``gonghui.mutualaid.services``
(and ``rules``), whose ValidationErrors come back onto the fields.

Uploaded documents are checked here for size and type (by the file's first bytes, not only its
name), and again by the service that stores them.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from gonghui.core import uploads
from gonghui.core.dates import add_years
from gonghui.core.money import MoneyField
from gonghui.members.forms import ID_ATTRS, PrivateInput, RosterUploadForm
from gonghui.mutualaid.models import CLAIM_REFUSAL_CODES, Eligibility, Product, Relation

DATE = {"type": "date"}
MONEY_ATTRS = {"inputmode": "decimal", "class": "text-end num", "autocomplete": "off"}
HUNDRED = Decimal(100)


def _date(label, **kwargs):
    return forms.DateField(label=label, widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"), **kwargs)


def _money(label, **kwargs):
    return MoneyField(label=label, **kwargs)


def _percent(label, **kwargs):
    return forms.DecimalField(label=label, max_digits=5, decimal_places=2, min_value=Decimal("0.01"),
                              max_value=HUNDRED, widget=forms.TextInput(attrs={**MONEY_ATTRS, "placeholder": "%"}),
                              **kwargs)


# --- plans ---------------------------------------------------------------------------------------


class PlanForm(forms.Form):
    """A plan year's rules. Ratios are typed in per cent, as cadres say them (报销比例 60%)."""

    product = forms.ChoiceField(label=_("Product"), choices=Product.choices)
    year = forms.IntegerField(label=_("Plan year"), min_value=2000, max_value=2100)
    name = forms.CharField(label=_("Name of the plan"), max_length=100)
    eligibility = forms.ChoiceField(label=_("Who may be enrolled"), choices=Eligibility.choices)
    fee = _money(_("Fee per head (yuan a year)"))
    window_start = _date(_("Enrolment opens"))
    window_end = _date(_("Enrolment closes"))
    cover_start = _date(_("Cover starts"))
    cover_end = _date(_("Cover ends"))
    deductible = _money(_("Deductible (yuan per stay)"),
                        help_text=_("In-catalogue self-pay below this amount is not paid."))
    ratio_1 = _percent(_("Ratio of the first band (%)"))
    upto_1 = _money(_("First band up to (yuan)"), required=False, positive=True,
                    help_text=_("Leave empty when one ratio applies to every amount."))
    ratio_2 = _percent(_("Ratio of the second band (%)"), required=False)
    upto_2 = _money(_("Second band up to (yuan)"), required=False, positive=True,
                    help_text=_("Leave empty when the second band is the last one."))
    ratio_3 = _percent(_("Ratio above that (%)"), required=False)
    yearly_cap = _money(_("Yearly cap per person (yuan)"))
    stay_cap = _money(_("Cap per stay (yuan)"), required=False, help_text=_("Leave empty for no cap per stay."))
    allows_dependants = forms.BooleanField(label=_("Members may claim for their parents and children"),
                                           required=False)

    RULE_FIELDS = ("product", "year", "name", "eligibility", "fee", "window_start", "window_end", "cover_start",
                   "cover_end", "deductible", "yearly_cap", "stay_cap", "allows_dependants")

    @classmethod
    def initial_from(cls, plan, *, next_year: bool = False) -> dict:
        """The form's values from a plan (a copy shifted one year for the next version)."""
        initial = {key: getattr(plan, key) for key in cls.RULE_FIELDS}
        for n, tier in enumerate(plan.tiers[:3], start=1):
            initial[f"ratio_{n}"] = (Decimal(str(tier["ratio"])) * HUNDRED).normalize()
            if tier.get("upto") not in (None, "") and n < 3:
                initial[f"upto_{n}"] = Decimal(str(tier["upto"]))
        if next_year:
            initial["year"] = plan.year + 1
            for key in ("window_start", "window_end", "cover_start", "cover_end"):
                initial[key] = add_years(getattr(plan, key), 1)
        return initial

    def clean(self):
        data = super().clean()
        bands = [(data.get("ratio_1"), data.get("upto_1")), (data.get("ratio_2"), data.get("upto_2")),
                 (data.get("ratio_3"), None)]
        tiers = []
        for n, (ratio, upto) in enumerate(bands, start=1):
            if ratio is None:
                if upto is not None:
                    self.add_error(f"ratio_{n}", _("Give the ratio of this band."))
                break
            tiers.append({"upto": None if upto is None else str(upto), "ratio": str(ratio / HUNDRED)})
            if upto is None:
                break
        if tiers and tiers[-1]["upto"] is not None:
            n = len(tiers)
            self.add_error(f"ratio_{n + 1}" if n < 3 else f"upto_{n}",
                           _("Give the ratio above the last bound (the last band is open)."))
        data["tiers"] = tiers
        return data

    def service_fields(self) -> dict:
        fields = {key: self.cleaned_data[key] for key in self.RULE_FIELDS}
        fields["tiers"] = self.cleaned_data["tiers"]
        return fields


class PlanFilter(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False, empty_value=None)
    product = forms.ChoiceField(label=_("Product"), required=False)

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _("All years")), *((y, str(y)) for y in years)]
        self.fields["product"].choices = [("", _("All products")), *Product.choices]


# --- enrolment -----------------------------------------------------------------------------------

LIST_SUFFIXES = (".csv", ".txt", ".xlsx")


class EnrolForm(forms.Form):
    """批量参保: all eligible members of a union's subtree, a selection, or an uploaded list."""

    MODES = (("all", _("All eligible members of the union and the unions under it")),
             ("selection", _("The members I selected in the list")),
             ("list", _("The ID numbers in a file I upload")))

    mode = forms.ChoiceField(label=_("Whom to enrol"), choices=MODES, widget=forms.RadioSelect, initial="all")
    members = forms.CharField(required=False, widget=forms.HiddenInput)  # "12,15,19": ids, never PII
    file = forms.FileField(
        label=_("List of ID numbers (CSV, TXT or XLSX)"), required=False,
        help_text=_("One ID number a line, or a column headed 身份证号. At most 5 MB."),
        widget=forms.FileInput(attrs={"accept": ".csv,.txt,.xlsx"}))

    MAX_MB = 5

    def clean_members(self):
        raw = self.cleaned_data["members"].strip()
        if not raw:
            return []
        try:
            ids = sorted({int(part) for part in raw.split(",") if part.strip()})
        except ValueError:
            raise forms.ValidationError(_("The selection could not be read; select the members again."),
                                        code="selection") from None
        if len(ids) > 10_000:
            raise forms.ValidationError(_("Select at most 10,000 members at once."), code="selection")
        return ids

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not upload:
            return None
        name = (upload.name or "").lower()
        if not name.endswith(LIST_SUFFIXES):
            raise forms.ValidationError(_("Choose a CSV, TXT or XLSX file."), code="suffix")
        if upload.size > self.MAX_MB * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than %(mb)d MB.") % {"mb": self.MAX_MB}, code="too_large")
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."), code="empty")
        return upload

    def clean(self):
        data = super().clean()
        mode = data.get("mode")
        if mode == "selection" and not data.get("members"):
            self.add_error("mode", _("No member is selected: pick them in the member list first."))
        if mode == "list" and not data.get("file") and "file" not in self.errors:
            self.add_error("file", _("Choose the file with the ID numbers."))
        return data


class EnrolmentFilter(forms.Form):
    plan = forms.TypedChoiceField(label=_("Plan"), coerce=int, required=False, empty_value=None)
    q = forms.CharField(label=_("Name (beginning) or card number"), required=False, max_length=50)

    def __init__(self, *args, plans, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].choices = [("", _("All plans")), *((p.pk, str(p)) for p in plans)]


# --- settlement feed -----------------------------------------------------------------------------

class FeedUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Settlement file (CSV or XLSX)"),
        widget=forms.FileInput(attrs={"accept": ".csv,.xlsx,text/csv,"
                                                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}))

    def __init__(self, *args, max_mb: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_mb = max_mb
        self.fields["file"].help_text = _("The first row holds the column names. At most %(mb)d MB.") % {"mb": max_mb}

    # The same file types, sizes and messages as a roster upload (the same suffixes as feeds.py reads).
    clean_file = RosterUploadForm.clean_file


# --- claims --------------------------------------------------------------------------------------

DOCUMENT_MAX_MB = uploads.MAX_BYTES // (1024 * 1024)


def DocumentField(**kwargs) -> uploads.DocumentsField:
    """A photo or a PDF, checked by the kernel's upload policy (as the service checks it again)."""
    return uploads.DocumentsField(**kwargs)


class ClaimForm(forms.Form):
    """申请互助金: a hospital stay of the member (or a parent or child when the plan allows)."""

    enrolment = forms.TypedChoiceField(label=_("Plan"), coerce=int)
    relation = forms.ChoiceField(label=_("Who was in hospital"), choices=Relation.choices, widget=forms.RadioSelect,
                                 initial=Relation.SELF)
    patient_name = forms.CharField(label=_("Patient's name"), max_length=50, required=False,
                                   help_text=_("Only for a parent or child."))
    patient_id_number = forms.CharField(label=_("Patient's ID number"), max_length=24, required=False,
                                        widget=PrivateInput(attrs=ID_ATTRS), help_text=_("Only for a parent or child."))
    hospital = forms.CharField(label=_("Hospital"), max_length=200)
    admitted_on = _date(_("Admitted on"))
    discharged_on = _date(_("Discharged on"))
    total_cost = _money(_("Total cost (yuan)"))
    fund_paid = _money(_("Paid by medical insurance (yuan)"))
    self_pay_in = _money(_("In-catalogue self-pay (yuan)"),
                         help_text=_("On the settlement slip: 个人自付 (within the catalogue)."))
    self_pay_out = _money(_("Out-of-catalogue self-pay (yuan)"), help_text=_("On the settlement slip: 自费."))
    invoice = DocumentField(label=_("Invoice"))
    itemised_bill = DocumentField(label=_("Itemised bill"))
    discharge_summary = DocumentField(label=_("Discharge summary"))
    relationship = DocumentField(label=_("Proof of relationship"), required=False,
                                 help_text=_("For a parent or child: household register or birth certificate "
                                             "(photo or PDF)."))

    DOCUMENTS = ("invoice", "itemised_bill", "discharge_summary", "relationship")

    def __init__(self, *args, enrolments, **kwargs):
        super().__init__(*args, **kwargs)
        self.enrolments = {e.pk: e for e in enrolments}
        self.fields["enrolment"].choices = [(e.pk, f"{e.plan.name}（{e.plan.year}）") for e in enrolments]
        for name in ("invoice", "itemised_bill", "discharge_summary"):  # in the request's language
            self.fields[name].help_text = _("A photo (JPG, PNG) or a PDF, at most %(mb)d MB.") % {"mb": DOCUMENT_MAX_MB}
        today = timezone.localdate().isoformat()
        self.fields["admitted_on"].widget.attrs["max"] = today
        self.fields["discharged_on"].widget.attrs["max"] = today

    def clean(self):
        data = super().clean()
        relation = data.get("relation")
        admitted, discharged = data.get("admitted_on"), data.get("discharged_on")
        if admitted and discharged and discharged < admitted:
            self.add_error("discharged_on", _("The discharge date is before the admission date."))
        if discharged and discharged > timezone.localdate():
            self.add_error("discharged_on", _("Claim after you have left hospital."))
        total, fund = data.get("total_cost"), data.get("fund_paid")
        parts = [data.get(k) for k in ("fund_paid", "self_pay_in", "self_pay_out")]
        if total is not None and all(p is not None for p in parts) and sum(parts) > total:
            self.add_error("total_cost", _("The insurance share and the self-pay parts add up to more than the "
                                           "total cost."))
        elif total is not None and fund is not None and fund > total:
            self.add_error("fund_paid", _("The insurance share is more than the total cost."))
        if relation and relation != Relation.SELF:
            enrolment = self.enrolments.get(data.get("enrolment"))
            if enrolment is not None and not enrolment.plan.allows_dependants:
                self.add_error("relation", _("This plan does not cover parents or children."))
            if not data.get("patient_name"):
                self.add_error("patient_name", _("Give the patient's name."))
            if not data.get("patient_id_number"):
                self.add_error("patient_id_number", _("Give the patient's ID number."))
            if not data.get("relationship") and "relationship" not in self.errors:
                self.add_error("relationship", _("Add a proof of relationship for a parent or child."))
        return data

    def documents(self) -> dict:
        return {kind: self.cleaned_data[kind] for kind in self.DOCUMENTS if self.cleaned_data.get(kind)}


class RefuseClaimForm(forms.Form):
    code = forms.ChoiceField(label=_("Reason code"), choices=[(c.value, c.label) for c in CLAIM_REFUSAL_CODES])
    reason = forms.CharField(label=_("Explanation for the member"), max_length=200,
                             widget=forms.Textarea(attrs={"rows": 3, "maxlength": "200"}),
                             help_text=_("The member reads it: say what is missing or where to turn."),
                             error_messages={"required": _("Give the reason; the member will see it.")})


# --- payments ------------------------------------------------------------------------------------


class FailureForm(forms.Form):
    reason = forms.CharField(label=_("Why the bank did not pay"), max_length=200,
                             help_text=_("E.g. account closed, name does not match the account."),
                             error_messages={"required": _("Give the bank's reason.")})


class YearFilter(forms.Form):
    """The module home's period: a plan year, or any period from one day to another."""

    year = forms.TypedChoiceField(label=_("Plan year"), coerce=int, required=False, empty_value=None)
    start = _date(_("or from"), required=False)
    end = _date(pgettext_lazy("period", "to"), required=False)

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, str(y)) for y in years]

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The end of the period must not be before its start."))
        return data
