"""ID numbers (GB 11643) and credit codes (GB 32100): property tests over generated numbers."""

import datetime as dt
import re
import unicodedata

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from hypothesis import given, settings, strategies as st

from gonghui.core.ids import (  # the paths without their fast path
    CREDIT_CODE_CHARS,
    PROVINCE_CODES,
    _parse_id_number_fully,
    _parse_phone_fully,
    credit_code_check_char,
    id_check_char,
    is_luhn_valid,
    luhn_check_digit,
    make_credit_code,
    make_id_number,
    mask_id_number,
    mask_phone,
    normalise,
    parse_credit_code,
    parse_id_number,
    parse_phone,
    quick_id_facts,
    quick_phone,
)

TODAY = timezone.localdate()
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")

regions = st.builds(
    lambda province, rest: province + rest,
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.text("0123456789", min_size=4, max_size=4),
)
births = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999)
id_numbers = st.builds(make_id_number, regions, births, sequences)
credit_bodies = st.builds(
    lambda head, region, org: head + region + org,
    st.text(CREDIT_CODE_CHARS, min_size=2, max_size=2),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(CREDIT_CODE_CHARS, min_size=9, max_size=9),
)


def one_changed(text: str, position: int, alphabet: str, data) -> str:
    """``text`` with the character at ``position`` replaced by another one of ``alphabet``."""
    replacement = data.draw(st.sampled_from([c for c in alphabet if c != text[position]]))
    return text[:position] + replacement + text[position + 1 :]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def refusal(fn, raw) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        fn(raw)
    return info.value


# --- ID numbers ---------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(region=regions, birth=births, sequence=sequences)
def test_every_generated_id_number_parses_with_its_birth_date_sex_and_region(region, birth, sequence):
    number = make_id_number(region, birth, sequence)
    info = parse_id_number(number)
    assert info.number == number
    assert info.birth_date == birth
    assert info.region_code == region
    assert info.sex == ("M" if sequence % 2 else "F")


@settings(max_examples=300, deadline=None)
@given(number=id_numbers, position=st.integers(0, 17), data=st.data())
def test_changing_any_single_character_makes_an_id_number_invalid(number, position, data):
    alphabet = "0123456789X" if position == 17 else "0123456789"
    with pytest.raises(ValidationError):
        parse_id_number(one_changed(number, position, alphabet, data))


@settings(max_examples=100, deadline=None)
@given(number=id_numbers)
def test_full_width_digits_are_normalised(number):
    assert parse_id_number(number.translate(FULL_WIDTH)).number == number


@settings(max_examples=100, deadline=None)
@given(number=id_numbers)
def test_spaces_and_a_lower_case_x_are_normalised(number):
    spaced = f" {number[:6]} {number[6:14]} {number[14:].lower()} "
    assert parse_id_number(spaced).number == number


@settings(max_examples=200, deadline=None)
@given(number=id_numbers)
def test_no_refusal_message_repeats_the_number(number):
    for bad in (number[:-1] + ("0" if number[-1] != "0" else "1"), number[:17], number + "1", number[:15]):
        error = refusal(parse_id_number, bad)
        for message in error.messages:
            assert number[:15] not in message and bad not in message


def test_a_15_digit_number_is_refused_with_its_own_message():
    error = refusal(parse_id_number, "330212900101123")
    assert error.code == "id_legacy_15"
    assert "15" in error.messages[0]


@pytest.mark.parametrize("birth", ["19900230", "19900231", "19000229", "20230229", "19901301", "19900100"])
def test_impossible_birth_dates_are_refused(birth):
    first17 = f"330212{birth}123"
    error = refusal(parse_id_number, first17 + id_check_char(first17))
    assert error.code == "id_birth_date"


def test_a_29_february_of_a_leap_year_is_accepted():
    assert parse_id_number(make_id_number("330212", dt.date(2000, 2, 29), 12)).birth_date == dt.date(2000, 2, 29)


def test_a_future_birth_date_is_refused():
    tomorrow = TODAY + dt.timedelta(days=1)
    error = refusal(parse_id_number, make_id_number("330212", tomorrow, 12))
    assert error.code == "id_birth_date"


def test_a_birth_date_today_is_accepted():
    assert parse_id_number(make_id_number("330212", TODAY, 12)).birth_date == TODAY


def test_a_birth_before_1900_is_refused():
    assert refusal(parse_id_number, make_id_number("330212", dt.date(1899, 12, 31), 12)).code == "id_birth_date"


@pytest.mark.parametrize("raw", ["3.30212199001011e+17", "3.30212199001011E+17", "330212199001011000.0",
                                 "３.３０２１２１９９００１０１１Ｅ＋１７"])
def test_a_number_mangled_by_excel_is_refused_saying_so(raw):
    error = refusal(parse_id_number, raw)
    assert error.code == "id_numeric"
    assert "Excel" in error.messages[0]


@pytest.mark.parametrize("raw", [330212199001011234, 3.30212199001011e17])
def test_a_numeric_cell_is_refused_saying_so(raw):
    assert refusal(parse_id_number, raw).code == "id_numeric"


@pytest.mark.parametrize("raw,code", [
    ("", "id_missing"), ("   ", "id_missing"), (None, "id_not_text"),
    ("33021219900101123", "id_length"), ("3302121990010112345", "id_length"),
    ("33021219900101123Y", "id_characters"), ("3302121990X101123X", "id_characters"),
    ("٣٣٠٢١٢١٩٩٠٠١٠١١٢٣٤", "id_characters"),
])
def test_malformed_id_numbers_are_refused_with_a_code(raw, code):
    assert refusal(parse_id_number, raw).code == code


@pytest.mark.parametrize("province", ["00", "10", "20", "39", "66", "71", "81", "82", "91", "99"])
def test_an_unknown_province_is_refused(province):
    first17 = f"{province}0212199001011{'23'}"
    assert refusal(parse_id_number, first17 + id_check_char(first17)).code == "id_region"


def test_the_check_character_follows_the_standard_example():
    # GB 11643-1999 appendix example: 11010519491231002X
    assert id_check_char("11010519491231002") == "X"
    assert parse_id_number("11010519491231002x").sex == "F"


def test_the_masked_form_hides_birth_date_and_keeps_region_and_last_four():
    assert mask_id_number("11010519491231002X") == "110105********002X"


# --- the fast path for plain ID numbers agrees with the full parser -----------------------

# Near misses as well as valid numbers: any province code, impossible and future dates, any check
# character, lower-case x, a space, a full-width digit, one character too many or too few.
near_misses = st.builds(
    lambda region, date, sequence, check: f"{region}{date}{sequence}{check}",
    st.text("0123456789", min_size=6, max_size=6) | regions,
    st.text("0123456789", min_size=8, max_size=8) | births.map(lambda d: f"{d:%Y%m%d}")
    | st.dates(min_value=TODAY, max_value=dt.date(2200, 1, 1)).map(lambda d: f"{d:%Y%m%d}"),
    st.text("0123456789", min_size=3, max_size=3),
    st.sampled_from(list("0123456789Xx") + [" ", "１", "", "12", "Ｘ"]),
)
id_like = id_numbers | near_misses | st.text("0123456789Xx ", min_size=17, max_size=19)
QUICK_TODAYS = st.sampled_from([TODAY, dt.date(2000, 1, 1), dt.date(1990, 6, 15)])


def full_parse(raw, today):
    try:
        return _parse_id_number_fully(raw, today=today)
    except ValidationError:
        return None


@settings(max_examples=2000, deadline=None)
@given(raw=id_like, today=QUICK_TODAYS)
def test_the_quick_id_path_accepts_exactly_the_plain_valid_numbers_with_the_same_facts(raw, today):
    quick, full = quick_id_facts(raw, today), full_parse(raw, today)
    if full is not None and full.number == raw:  # valid and already in its plain form
        assert quick == (full.birth_date, full.sex)
    else:
        assert quick is None
    if full is None:
        given_reason = refusal(lambda r: parse_id_number(r, today=today), raw)
        full_reason = refusal(lambda r: _parse_id_number_fully(r, today=today), raw)
        assert (given_reason.code, given_reason.messages) == (full_reason.code, full_reason.messages)
    else:
        assert parse_id_number(raw, today=today) == full


@settings(max_examples=300, deadline=None)
@given(first17=st.text("0123456789", min_size=17, max_size=17))
def test_the_quick_check_character_is_the_standard_one(first17):
    check = id_check_char(first17)
    number = first17 + check
    accepted = {c for c in "0123456789X" if quick_id_facts(first17 + c, dt.date(9999, 1, 1)) is not None}
    assert accepted == ({check} if full_parse(number, dt.date(9999, 1, 1)) else set())


@settings(max_examples=1000, deadline=None)
@given(raw=st.text("0123456789+- １", min_size=9, max_size=15) | st.from_regex(r"1[0-9]{10}", fullmatch=True))
def test_the_quick_phone_path_agrees_with_the_full_parser(raw):
    try:
        full = _parse_phone_fully(raw)
    except ValidationError:
        full = None
    assert quick_phone(raw) == (full == raw)
    if full is None:
        assert refusal(parse_phone, raw).code == "phone_invalid"
    else:
        assert parse_phone(raw) == full


@settings(max_examples=500, deadline=None)
@given(raw=st.text(st.characters(max_codepoint=127)) | st.text())
def test_normalising_folds_full_width_drops_spaces_and_upper_cases(raw):
    assert normalise(raw) == re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw)).upper()


# --- credit codes -------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(body=credit_bodies)
def test_every_generated_credit_code_parses(body):
    code = make_credit_code(body)
    assert parse_credit_code(code) == code
    assert parse_credit_code(f" {code.lower()} ") == code


@settings(max_examples=300, deadline=None)
@given(body=credit_bodies, position=st.integers(0, 17), data=st.data())
def test_changing_any_single_character_makes_a_credit_code_invalid(body, position, data):
    with pytest.raises(ValidationError):
        parse_credit_code(one_changed(make_credit_code(body), position, CREDIT_CODE_CHARS, data))


@settings(max_examples=100, deadline=None)
@given(body=credit_bodies)
def test_full_width_credit_codes_are_normalised(body):
    code = make_credit_code(body)
    full = "".join(chr(ord(c) + 0xFEE0) for c in code)
    assert parse_credit_code(full) == code


@pytest.mark.parametrize("letter", list("IOSVZ"))
def test_the_letters_i_o_s_v_z_are_refused(letter):
    code = make_credit_code("91330212MA2H00001")
    changed = code[:9] + letter + code[10:]
    error = refusal(parse_credit_code, changed)
    assert error.code == "credit_characters"
    assert letter in error.messages[0]
    assert changed not in error.messages[0]


@pytest.mark.parametrize("raw,code", [
    ("", "credit_missing"), (None, "credit_missing"), ("9133020071780374", "credit_length"),
    ("91AB0200717803745M", "credit_region"), (913302007178037450, "credit_not_text"),
])
def test_malformed_credit_codes_are_refused_with_a_code(raw, code):
    assert refusal(parse_credit_code, raw).code == code


@settings(max_examples=200, deadline=None)
@given(body=credit_bodies)
def test_a_credit_code_refusal_never_repeats_the_code(body):
    code = make_credit_code(body)
    wrong = code[:17] + next(c for c in CREDIT_CODE_CHARS if c != code[17])
    for message in refusal(parse_credit_code, wrong).messages:
        assert wrong not in message and code[:17] not in message


def test_the_credit_check_character_never_needs_a_refused_letter():
    assert all(credit_code_check_char(f"9133020000000{n:04d}") in CREDIT_CODE_CHARS for n in range(2000))


# --- phones and card numbers --------------------------------------------------------------


@pytest.mark.parametrize("raw", ["13912345678", "+86 139 1234 5678", "0086-139-1234-5678", "１３９１２３４５６７８"])
def test_mobile_numbers_are_normalised(raw):
    assert parse_phone(raw) == "13912345678"


@pytest.mark.parametrize("raw", ["", "12912345678", "1391234567", "139123456789", "0574-87654321", "abc"])
def test_bad_mobile_numbers_are_refused_without_repeating_them(raw):
    error = refusal(parse_phone, raw)
    assert error.code == "phone_invalid"
    assert not raw or raw not in error.messages[0]


def test_a_phone_is_masked_to_its_first_three_and_last_four_digits():
    assert mask_phone("13912345678") == "139****5678"


@settings(max_examples=200, deadline=None)
@given(body=st.text("0123456789", min_size=5, max_size=18))
def test_luhn_check_digits_validate_and_catch_single_digit_errors(body):
    backwards = [int(d) for d in reversed(body)]  # the rule as written: every other digit from the right doubled
    total = sum(sum(divmod(2 * d, 10)) if i % 2 == 0 else d for i, d in enumerate(backwards))
    assert luhn_check_digit(body) == str((10 - total % 10) % 10)
    number = body + luhn_check_digit(body)
    assert is_luhn_valid(number)
    for i in range(len(number)):
        changed = number[:i] + str((int(number[i]) + 1) % 10) + number[i + 1 :]
        assert not is_luhn_valid(changed)
