"""Money: yuan as ``Decimal`` to the fen, read in one place with one range and one rounding rule.

- **Reading an amount** someone typed, sent or put in a file (``parse_money``, the form field
  ``MoneyField``, the API type ``MoneyIn``): decimal text or a whole number, never a float (a float
  has already lost the fen it meant: ``0.1 + 0.2``); full-width digits, thousands separators and a
  leading ¥ are accepted as people write them; 0 to ``MAX_AMOUNT`` yuan; at most two decimals — an
  amount typed with a third decimal is refused, never rounded, because nobody can say which fen
  was meant.
- **Computing an amount** (a share, a ratio, a sum of shares): ``to_fen`` rounds half up to the
  fen, the way Chinese accounting rounds (四舍五入). It is the only rounding of money in the code.
"""

from __future__ import annotations

import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _, gettext_lazy
from pydantic import PlainValidator, WithJsonSchema

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_DIGITS = 14  # every money column holds 14 digits, two of them fen
MAX_AMOUNT = Decimal("999999999999.99")
INPUT_ATTRS = {"inputmode": "decimal", "autocomplete": "off", "class": "text-end num", "placeholder": "0.00"}
_DROPPED = str.maketrans("", "", ",¥ \u00a0")  # thousands separators, the yuan sign, spaces


def to_fen(value: Decimal | int | str) -> Decimal:
    """A computed amount rounded half up to the fen (the one rounding rule for money)."""
    if isinstance(value, float):
        raise TypeError("Money is never a float.")
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def _invalid(field: str | None, message: str) -> ValidationError:
    return ValidationError({field: [ValidationError(message, code="invalid")]} if field else message, code="invalid")


def parse_money(value: Any, *, field: str | None = "amount", positive: bool = False,
                required: bool = True) -> Decimal | None:
    """An amount in yuan as ``Decimal`` to the fen; ``ValidationError`` (on ``field``) with the reason.

    ``positive``: zero is refused too. ``required=False``: nothing given (None, "") is None.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        if not required:
            return None
        raise _invalid(field, _("Enter an amount in yuan, e.g. 1234.50."))
    if isinstance(value, float):
        raise _invalid(field, _("Amounts are given as decimal text, not as floating-point numbers."))
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise _invalid(field, _("Enter an amount in yuan, e.g. 1234.50."))
    if isinstance(value, str):
        text = value if value.isascii() else unicodedata.normalize("NFKC", value)  # full-width digits
        text = text.translate(_DROPPED)
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise _invalid(field, _("Enter an amount in yuan, e.g. 1234.50.")) from None
    amount = Decimal(value)
    if not amount.is_finite():
        raise _invalid(field, _("Enter an amount in yuan, e.g. 1234.50."))
    if amount < 0:
        raise _invalid(field, _("The amount cannot be negative."))
    if positive and amount == 0:
        raise _invalid(field, _("The amount must be more than zero."))
    if amount > MAX_AMOUNT:  # before quantize, which fails on huge exponents
        raise _invalid(field, _("The amount is at most 999,999,999,999.99 yuan."))
    if amount != amount.quantize(FEN, rounding=ROUND_HALF_UP):
        raise _invalid(field, _("An amount has at most two decimals (fen)."))
    return amount.quantize(FEN)


class MoneyField(forms.Field):
    """A form field for an amount in yuan, read by ``parse_money`` (the services' own rule)."""

    widget = forms.TextInput(attrs=INPUT_ATTRS)
    default_error_messages = {"required": gettext_lazy("Enter an amount in yuan, e.g. 1234.50.")}

    def __init__(self, *, positive: bool = False, **kwargs):
        self.positive = positive
        super().__init__(**kwargs)

    def to_python(self, value) -> Decimal | None:
        if value in self.empty_values:
            return None
        try:
            return parse_money(value, field=None, positive=self.positive)
        except ValidationError as exc:
            raise ValidationError(exc.messages[0], code="invalid") from None

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "maxlength": "20"}


def _api_money(value: Any) -> Decimal:
    try:
        return parse_money(value, field=None)
    except ValidationError as exc:
        raise ValueError(exc.messages[0]) from None


# An amount in an API body: decimal text ("1234.50") or a whole number of yuan; a JSON number with
# decimals is a float on the way in and is refused (422), like any amount ``parse_money`` refuses.
MoneyIn = Annotated[Decimal, PlainValidator(_api_money), WithJsonSchema({
    "anyOf": [{"type": "string", "pattern": r"^[0-9]{1,12}(\.[0-9]{1,2})?$"},
              {"type": "integer", "minimum": 0, "maximum": 999_999_999_999}],
    "description": "yuan: decimal text with at most two decimals, e.g. \"1234.50\" (a JSON number with "
                   "decimals is refused), 0 to 999,999,999,999.99",
})]
