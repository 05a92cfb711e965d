"""Validators for Chinese identifiers.

- Resident identity number (公民身份号码, GB 11643-1999): 6-digit region, 8-digit birth date,
  3-digit sequence (odd = male), one check character.
- Unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from a 31-letter
  alphabet, the last one a check character.

Each validator normalises first (full-width characters, spaces, lower-case x) and raises
``django.core.exceptions.ValidationError`` with a code and a message naming what is wrong.
The messages never repeat the number itself: errors are logged and shown.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
# First two digits of a region code: the provinces, autonomous regions and municipalities.
PROVINCE_CODES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65".split()
)
EARLIEST_BIRTH = dt.date(1900, 1, 1)

CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_SPACES = re.compile(r"\s+")
# What Excel makes of an 18-digit number: 3.30212199001011E+17, 330212199001011000.0 …
_FLOAT_LIKE = re.compile(r"^[0-9]+(?:\.[0-9]*)?(?:E[+-]?[0-9]+)?$")
_EXCEL_MESSAGE = _(
    "The ID number was stored as a number (e.g. by Excel) and has lost its last digits; "
    "format the cell as text and enter the number again."
)


def normalise(raw: str) -> str:
    """Fold full-width characters to ASCII (NFKC), drop spaces, upper-case letters."""
    if raw.isascii():  # the common case, without NFKC's cost (roster imports call this per cell)
        # NFKC leaves every ASCII character as it is.
        return raw.upper() if raw.isalnum() else _SPACES.sub("", raw).upper()
    return _SPACES.sub("", unicodedata.normalize("NFKC", raw)).upper()


def id_check_char(first17: str) -> str:
    if len(first17) != 17:
        raise ValueError("an ID number has 17 digits before its check character")
    total = sum(map(operator.mul, map(int, first17), ID_WEIGHTS))
    return ID_CHECK_CHARS[total % 11]


@dataclass(frozen=True)
class IdNumber:
    """A valid resident ID number and what it tells about its holder."""

    number: str
    region_code: str
    birth_date: dt.date
    sex: str  # "M" or "F"

    @property
    def masked(self) -> str:
        return mask_id_number(self.number)


def mask_id_number(number: str) -> str:
    """Region code and last four characters (sequence and check character) shown, the birth date hidden.

    The eight hidden characters are exactly the birth date: never show it beside the masked form.
    """
    return f"{number[:6]}{'*' * 8}{number[-4:]}"


# The check character for each remainder of the first 17 digits read in base 13 (quick_id_facts).
_CHECK_BY_BASE13_REMAINDER = tuple(ID_CHECK_CHARS[2 * r % 11] for r in range(11))
# Birth dates of ID numbers already seen (the 8 digits → the date): a roster repeats them often.
# Valid calendar dates only, and at most _BIRTHS_KEPT of them (a date's 1900–today check is not cached).
_births: dict[str, dt.date] = {}
_BIRTHS_KEPT = 100_000


def quick_id_facts(raw: str, today: dt.date) -> tuple[dt.date, str] | None:
    """Birth date and sex of a valid ID number written in its plain form, else None.

    The fast path of ``parse_id_number`` for the number as rosters mostly hold it: exactly 18
    ASCII characters, 17 digits and a digit or upper-case X. ``raw`` is a ``str``. None means
    "unusual or invalid" — full-width digits, spaces, a lower-case x, any error — and
    ``parse_id_number`` then decides with its own reason; a number this accepts is exactly one
    it accepts, with the same facts.
    """
    if len(raw) != 18 or not raw.isascii():
        return None
    first17 = raw[:17]
    if not first17.isdigit() or raw[:2] not in PROVINCE_CODES:
        return None
    # The weights of GB 11643 are 2^(18-i) mod 11 and 13 ≡ 2 (mod 11): the weighted sum is
    # 2 × (the 17 digits read in base 13), modulo 11.
    if raw[17] != _CHECK_BY_BASE13_REMAINDER[int(first17, 13) % 11]:
        return None
    digits = raw[6:14]
    birth = _births.get(digits)
    if birth is None:
        try:
            birth = dt.date(int(raw[6:10]), int(raw[10:12]), int(raw[12:14]))
        except ValueError:
            return None
        if len(_births) < _BIRTHS_KEPT:
            _births[digits] = birth
    if birth > today or birth < EARLIEST_BIRTH:
        return None
    return birth, ("M" if raw[16] in "13579" else "F")


def parse_id_number(raw: str, *, today: dt.date | None = None) -> IdNumber:
    """Validate an 18-character resident ID number; return it with the facts it encodes."""
    if type(raw) is str and len(raw) == 18:
        facts = quick_id_facts(raw, today or _today())
        if facts is not None:
            return IdNumber(number=raw, region_code=raw[:6], birth_date=facts[0], sex=facts[1])
    return _parse_id_number_fully(raw, today=today)


def _parse_id_number_fully(raw: str, *, today: dt.date | None = None) -> IdNumber:
    """Every check in turn, for any input: ``parse_id_number`` without its fast path."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        raise ValidationError(_EXCEL_MESSAGE, code="id_numeric")
    if not isinstance(raw, str):
        raise ValidationError(_("The ID number must be text."), code="id_not_text")
    number = normalise(raw)
    if not number:
        raise ValidationError(_("Enter the ID number."), code="id_missing")
    if ("." in number or "E" in number) and _FLOAT_LIKE.match(number):
        raise ValidationError(_EXCEL_MESSAGE, code="id_numeric")
    if len(number) == 15 and number.isdigit():
        raise ValidationError(
            _("This is a 15-digit ID number of the old format; enter the 18-character number."),
            code="id_legacy_15",
        )
    if len(number) != 18:
        raise ValidationError(
            _("An ID number has 18 characters; this one has %(count)d.") % {"count": len(number)},
            code="id_length",
        )
    if not (number[:17].isdigit() and number[:17].isascii()) or not (
        number[17].isdigit() or number[17] == "X"
    ):
        raise ValidationError(
            _("An ID number is 17 digits followed by a digit or X."), code="id_characters"
        )
    if number[:2] not in PROVINCE_CODES:
        raise ValidationError(_("The ID number does not start with a valid region code."), code="id_region")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(_("The birth date in the ID number does not exist."), code="id_birth_date") from None
    today = today or _today()
    if birth > today or birth < EARLIEST_BIRTH:
        raise ValidationError(_("The birth date in the ID number is impossible."), code="id_birth_date")
    if number[17] != id_check_char(number[:17]):
        if number.endswith("000"):  # Excel keeps 15 significant digits: 330212199001011234 → …1011000
            raise ValidationError(_EXCEL_MESSAGE, code="id_numeric")
        raise ValidationError(
            _("The check character of the ID number is wrong; please check each digit."), code="id_check"
        )
    sex = "M" if int(number[16]) % 2 else "F"
    return IdNumber(number=number, region_code=number[:6], birth_date=birth, sex=sex)


def _today() -> dt.date:
    from django.conf import settings
    from django.utils import timezone

    # Birth dates are Chinese calendar days: compare with today in Asia/Shanghai, not the host's day.
    return timezone.localdate() if settings.configured and settings.USE_TZ else dt.date.today()


def make_id_number(region_code: str, birth: dt.date, sequence: int) -> str:
    """Build a valid ID number (demo data and tests)."""
    first17 = f"{region_code}{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_check_char(first17)


def credit_code_check_char(first17: str) -> str:
    total = sum(CREDIT_CODE_CHARS.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def parse_credit_code(raw: str) -> str:
    """Validate a unified social credit code; return it normalised."""
    if raw is not None and not isinstance(raw, str):
        raise ValidationError(_("The unified social credit code must be text."), code="credit_not_text")
    code = normalise(raw or "")
    if not code:
        raise ValidationError(_("Enter the unified social credit code."), code="credit_missing")
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(count)d.") % {"count": len(code)},
            code="credit_length",
        )
    bad = sorted({c for c in code if c not in CREDIT_CODE_CHARS})
    if bad:
        raise ValidationError(
            _("A unified social credit code cannot contain %(chars)s (I, O, S, V and Z are never used).")
            % {"chars": "、".join(bad)},
            code="credit_characters",
        )
    if not code[2:8].isdigit():
        raise ValidationError(_("Characters 3 to 8 of the credit code must be a region code."), code="credit_region")
    if code[17] != credit_code_check_char(code[:17]):
        raise ValidationError(_("The check character of the credit code is wrong."), code="credit_check")
    return code


def make_credit_code(first17: str) -> str:
    return first17 + credit_code_check_char(first17)


PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def quick_phone(raw: str) -> bool:
    """Whether ``raw`` (a ``str``) is a mobile number exactly as ``parse_phone`` returns it.

    The fast path for rosters: 11 ASCII digits starting 13–19. False says nothing: ask ``parse_phone``.
    """
    return len(raw) == 11 and raw.isascii() and raw.isdigit() and raw[0] == "1" and raw[1] in "3456789"


def parse_phone(raw: str) -> str:
    """A mainland mobile number: 11 digits starting 13–19 (a +86 prefix is dropped)."""
    if type(raw) is str and quick_phone(raw):
        return raw
    return _parse_phone_fully(raw)


def _parse_phone_fully(raw: str) -> str:
    """``parse_phone`` without its fast path."""
    if raw is not None and not isinstance(raw, str):
        raise ValidationError(_("Enter the mobile number as text."), code="phone_not_text")
    phone = normalise(raw or "").replace("-", "")
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    if not PHONE_RE.match(phone):
        raise ValidationError(_("Enter an 11-digit mobile number starting with 1."), code="phone_invalid")
    return phone


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}"


_LUHN_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)  # digit d doubled, digits of the result summed
# The Luhn sum of every group of four digits counted from the right, its last digit doubled: a
# card number's digit is then four table look-ups (a roster import numbers a card per row).
_LUHN_GROUPS = tuple(_LUHN_DOUBLED[n % 10] + n // 10 % 10 + _LUHN_DOUBLED[n // 100 % 10] + n // 1000
                     for n in range(10_000))


def luhn_check_digit(digits: str) -> str:
    """The Luhn check digit (bank cards, used for member card numbers) of a string of digits."""
    n, total = int(digits), 0  # leading zeros add nothing to the sum
    while n:
        total += _LUHN_GROUPS[n % 10_000]
        n //= 10_000
    return str(-total % 10)


def is_luhn_valid(number: str) -> bool:
    return number.isdigit() and len(number) > 1 and luhn_check_digit(number[:-1]) == number[-1]
