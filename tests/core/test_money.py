"""Money is read in one place: floats refused, one range, at most two decimals; computed amounts round half up."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django import forms
from django.core.exceptions import ValidationError
from hypothesis import given, strategies as st
from pydantic import BaseModel, ValidationError as SchemaError

from gonghui.core.money import FEN, MAX_AMOUNT, MoneyField, MoneyIn, parse_money, to_fen

amounts = st.decimals(min_value=0, max_value=MAX_AMOUNT, places=2)


def test_amounts_are_read_exactly():
    assert parse_money("1234.5") == Decimal("1234.50") and parse_money(7) == Decimal("7.00")
    assert parse_money("1,234.50") == parse_money("¥1234.50") == parse_money("１２３４．５０") == Decimal("1234.50")
    assert parse_money("12.3400") == Decimal("12.34")  # trailing zeros say no more than the fen
    assert parse_money(" ", required=False) is None and parse_money(None, required=False) is None


@pytest.mark.parametrize("bad", [12.5, 0.1, "abc", "", None, True, "-1", "1.005", "12.345", "NaN", "Infinity",
                                 "1e999999", "-1e999999", "1000000000000", [], "¥"])
def test_anything_else_is_refused_with_a_reason_on_its_field(bad):
    with pytest.raises(ValidationError) as refused:
        parse_money(bad, field="fee")
    assert list(refused.value.message_dict) == ["fee"] and refused.value.message_dict["fee"][0]


def test_a_float_is_refused_because_it_is_a_float():
    with pytest.raises(ValidationError, match="floating-point|浮点"):
        parse_money(0.1 + 0.2)


def test_zero_may_be_refused():
    assert parse_money("0") == Decimal("0.00")
    with pytest.raises(ValidationError):
        parse_money("0.00", positive=True)


@given(amounts)
def test_every_amount_in_range_reads_back_as_itself(amount):
    for written in (str(amount), f"{amount:,.2f}", f"¥{amount}", amount):
        assert parse_money(written) == amount
    assert parse_money(str(amount)).as_tuple().exponent == -2


@given(st.decimals(allow_nan=True, allow_infinity=True))
def test_any_decimal_is_either_itself_to_the_fen_or_refused(value):
    try:
        amount = parse_money(value)
    except ValidationError:
        assert not value.is_finite() or value < 0 or value > MAX_AMOUNT or value != value.quantize(FEN)
        return
    assert amount == value and amount.as_tuple().exponent == -2 and 0 <= amount <= MAX_AMOUNT


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_no_float_is_ever_read(value):
    with pytest.raises(ValidationError):
        parse_money(value)


@given(st.decimals(min_value=-10**9, max_value=10**9, allow_nan=False, allow_infinity=False))
def test_computed_amounts_round_half_up_to_the_fen(value):
    rounded = to_fen(value)
    assert rounded.as_tuple().exponent == -2 and abs(rounded - value) <= Decimal("0.005")
    assert to_fen(rounded) == rounded
    if abs(rounded - value) == Decimal("0.005"):
        assert abs(rounded) > abs(value)  # a half fen goes away from zero


def test_computing_with_a_float_is_a_bug():
    with pytest.raises(TypeError):
        to_fen(0.5)
    assert to_fen(Decimal("2.345")) == Decimal("2.35") and to_fen("2.344") == Decimal("2.34")


class Form(forms.Form):
    fee = MoneyField()
    cap = MoneyField(required=False, positive=True)


@given(amounts)
def test_the_form_field_reads_what_the_services_read(amount):
    form = Form({"fee": f"{amount:,}", "cap": ""})
    assert form.is_valid() and form.cleaned_data == {"fee": amount, "cap": None}


def test_the_form_field_gives_the_services_reason():
    form = Form({"fee": "12.345", "cap": "0"})
    assert not form.is_valid()
    assert form.errors["fee"] == ["金额最多保留两位小数（到分）。"]
    assert form.errors["cap"] == ["金额必须大于零。"]
    assert Form({"fee": ""}).errors["fee"] == ["请填写金额（元），如 1234.50。"]


class Body(BaseModel):
    amount: MoneyIn


def test_the_api_type_takes_decimal_text_and_whole_numbers_only():
    assert Body(amount="12.5").amount == Decimal("12.50") and Body(amount=12).amount == Decimal("12.00")
    for bad in (12.5, "12.345", "-1", "x", None):
        with pytest.raises(SchemaError):
            Body(amount=bad)
    schema = Body.model_json_schema()["properties"]["amount"]
    assert {option["type"] for option in schema["anyOf"]} == {"string", "integer"}
