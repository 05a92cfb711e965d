"""The grading rule of a hardship file: a pure function of the household's figures and the 低保 standard.

    per-capita monthly income = max(0, yearly disposable income − unavoidable costs) ÷ 12 ÷ household size
    深度困难 (deep)      per-capita < 1 × standard
    相对困难 (relative)  per-capita < 2 × standard
    意外致困 (accident)  otherwise, when a disaster, an accident, an injury or death on duty struck, or a
                         major illness costs more than 80 % of the household's yearly income
    not in hardship     otherwise

The exclusions come first (a family excluded is never graded): two homes or more, owning a business
or employing others, a child at a private school costing more than twice the public fee or studying
abroad at the family's own cost, and a migrant worker with less than a year of de-facto employment.
Which exclusions apply is configurable (``Policy.exclusions``), as are the factors.

No database, no clock: the filing, the yearly review and the self-test page call the same function,
and ``Grading.as_json`` is what the file keeps (the inputs, the standard and the steps) so that a
later change of the standard does not rewrite a grading already made.

Also the exit rule: ``lifted_out`` (脱困) when the per-capita income was above the standard for six
consecutive months.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from gonghui.core.money import MAX_AMOUNT, to_fen

ZERO = Decimal("0.00")
DEFAULT_STANDARD = Decimal("1062.00")  # Ningbo's 低保 per person and month, the default of a district without one
MAX_HOUSEHOLD = 20

# Grades (codes kept in files; labels in models.Grade).
DEEP, RELATIVE, ACCIDENT, NONE, EXCLUDED = "deep", "relative", "accident", "none", "excluded"
GRADED = (DEEP, RELATIVE, ACCIDENT)  # grades that make a file

# Accident kinds (意外致困): what struck the family.
ACCIDENTS = ("disaster", "accident", "work_injury", "work_death")

# Exclusion codes.
TWO_HOMES, BUSINESS, PRIVATE_SCHOOL, ABROAD, MIGRANT_SHORT = (
    "two_homes", "business", "private_school", "abroad", "migrant_short")
EXCLUSIONS = (TWO_HOMES, BUSINESS, PRIVATE_SCHOOL, ABROAD, MIGRANT_SHORT)


@dataclass(frozen=True)
class Policy:
    """The configurable parts of the rule (a union may switch an exclusion off)."""

    relative_factor: Decimal = Decimal("2")
    illness_share: Decimal = Decimal("0.80")
    private_school_factor: Decimal = Decimal("2")
    migrant_months: int = 12
    exclusions: frozenset[str] = frozenset(EXCLUSIONS)


@dataclass(frozen=True)
class Household:
    """The figures a grading reads, as typed at the window or on the member's page (yuan per year)."""

    yearly_income: Decimal  # the household's yearly disposable income
    size: int  # people in the household
    unavoidable_costs: Decimal = ZERO  # major illness, disability, schooling (yearly)
    illness_cost: Decimal = ZERO  # of which a major illness (yearly), for the 80 % rule
    accident: str = ""  # one of ACCIDENTS, or ""
    homes: int = 1
    owns_business: bool = False  # owns shops or a business, or employs others
    private_school_fee: Decimal = ZERO  # a child's yearly private-school fee, 0 when none
    public_school_fee: Decimal = ZERO  # the public school's yearly fee it is compared with
    abroad_self_paid: bool = False
    migrant: bool = False
    employed_months: int = 0  # de-facto employment here, for a migrant worker

    def as_json(self) -> dict:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: Mapping) -> Household:
        kwargs = dict(data)
        for name in ("yearly_income", "unavoidable_costs", "illness_cost", "private_school_fee",
                     "public_school_fee"):
            if name in kwargs:
                kwargs[name] = Decimal(str(kwargs[name]))
        return cls(**kwargs)


@dataclass(frozen=True)
class Grading:
    grade: str  # DEEP, RELATIVE, ACCIDENT, NONE or EXCLUDED
    rule: str  # which rule decided: "below_standard", "below_relative", "accident", "illness", "above", or an exclusion
    per_capita: Decimal  # monthly, to the fen
    standard: Decimal  # the 低保 standard used (monthly per person)
    exclusions: tuple[str, ...]  # every exclusion that applies (empty unless EXCLUDED)
    steps: tuple[dict, ...] = field(default=())

    @property
    def qualifies(self) -> bool:
        return self.grade in GRADED

    def as_json(self) -> dict:
        return {"grade": self.grade, "rule": self.rule, "per_capita": str(self.per_capita),
                "standard": str(self.standard), "exclusions": list(self.exclusions), "steps": list(self.steps)}


def _amount(value, name: str, errors: dict) -> Decimal:
    if isinstance(value, float) or isinstance(value, bool) or not isinstance(value, Decimal | int):
        errors[name] = _("Amounts are decimal yuan.")
        return ZERO
    value = Decimal(value)
    if not value.is_finite() or value < 0:
        errors[name] = _("An amount cannot be negative.")
    elif value > MAX_AMOUNT:
        errors[name] = _("The amount is at most 999,999,999,999.99 yuan.")
    return value


def validate(household: Household, standard: Decimal) -> None:
    """Refuse figures no household has: a negative or absurd amount, a household of zero."""
    errors: dict[str, str] = {}
    for name in ("yearly_income", "unavoidable_costs", "illness_cost", "private_school_fee", "public_school_fee"):
        _amount(getattr(household, name), name, errors)
    if not isinstance(household.size, int) or isinstance(household.size, bool) or not (
            1 <= household.size <= MAX_HOUSEHOLD):
        errors["size"] = _("A household has 1 to %(n)d people.") % {"n": MAX_HOUSEHOLD}
    if not errors.get("illness_cost") and not errors.get("unavoidable_costs") \
            and household.illness_cost > household.unavoidable_costs:
        errors["illness_cost"] = _("The illness cost is part of the unavoidable costs, so it cannot be larger.")
    if household.accident and household.accident not in ACCIDENTS:
        errors["accident"] = _("Unknown kind of accident.")
    if not isinstance(household.homes, int) or not (0 <= household.homes <= 50):
        errors["homes"] = _("Enter the number of homes the household owns (0 to 50).")
    if not isinstance(household.employed_months, int) or not (0 <= household.employed_months <= 600):
        errors["employed_months"] = _("Enter the months of employment (0 to 600).")
    if isinstance(standard, float) or not isinstance(standard, Decimal | int) or not Decimal(standard) > 0:
        errors["standard"] = _("The 低保 standard must be more than zero.")
    if errors:
        raise ValidationError({k: [ValidationError(v, code="invalid")] for k, v in errors.items()})


def per_capita_monthly(yearly_income: Decimal, unavoidable_costs: Decimal, size: int) -> Decimal:
    """(income − costs) ÷ 12 ÷ size, never below zero, rounded once half up to the fen."""
    disposable = max(Decimal(yearly_income) - Decimal(unavoidable_costs), Decimal(0))
    return to_fen(disposable / 12 / size)


def exclusions_of(household: Household, policy: Policy = Policy()) -> tuple[str, ...]:
    found = []
    if household.homes >= 2:
        found.append(TWO_HOMES)
    if household.owns_business:
        found.append(BUSINESS)
    if household.private_school_fee > 0 and household.private_school_fee > \
            policy.private_school_factor * household.public_school_fee:
        found.append(PRIVATE_SCHOOL)
    if household.abroad_self_paid:
        found.append(ABROAD)
    if household.migrant and household.employed_months < policy.migrant_months:
        found.append(MIGRANT_SHORT)
    return tuple(code for code in found if code in policy.exclusions)


def grade(household: Household, standard: Decimal, policy: Policy = Policy()) -> Grading:
    """The grading of a household against the monthly 低保 standard, with its working."""
    validate(household, standard)
    standard = to_fen(standard)
    per_capita = per_capita_monthly(household.yearly_income, household.unavoidable_costs, household.size)
    relative_line = to_fen(standard * policy.relative_factor)
    steps: list[dict] = [
        {"step": "per_capita", "yearly_income": str(to_fen(household.yearly_income)),
         "unavoidable_costs": str(to_fen(household.unavoidable_costs)), "size": household.size,
         "per_capita": str(per_capita)},
        {"step": "standard", "standard": str(standard), "relative_line": str(relative_line)},
    ]
    excluded = exclusions_of(household, policy)
    if excluded:
        steps.append({"step": "excluded", "exclusions": list(excluded)})
        return Grading(EXCLUDED, excluded[0], per_capita, standard, excluded, tuple(steps))
    if per_capita < standard:
        result, rule = DEEP, "below_standard"
    elif per_capita < relative_line:
        result, rule = RELATIVE, "below_relative"
    elif household.accident:
        result, rule = ACCIDENT, "accident"
    elif household.illness_cost > 0 and household.illness_cost > to_fen(
            policy.illness_share * household.yearly_income):
        result, rule = ACCIDENT, "illness"
        steps.append({"step": "illness", "illness_cost": str(to_fen(household.illness_cost)),
                      "limit": str(to_fen(policy.illness_share * household.yearly_income))})
    else:
        result, rule = NONE, "above"
    steps.append({"step": "grade", "grade": result, "rule": rule})
    return Grading(result, rule, per_capita, standard, (), tuple(steps))


def ratio(per_capita: Decimal, standard: Decimal) -> Decimal:
    """Per-capita income as a multiple of the standard, two decimals (for display)."""
    return (Decimal(per_capita) / Decimal(standard)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# ---- exit (脱困) -----------------------------------------------------------------------------------

LIFT_OUT_MONTHS = 6


def months_above(records: Mapping[dt.date, Decimal], standards: Mapping[dt.date, Decimal] | Decimal,
                 upto: dt.date) -> int:
    """How many consecutive months, ending with the month of ``upto``, had a per-capita income above the
    standard of that month (``records``: first day of a month → per-capita monthly income). A month
    without a record breaks the run."""
    month = upto.replace(day=1)
    run = 0
    while month in records:
        standard = standards if isinstance(standards, Decimal) else standards.get(month, DEFAULT_STANDARD)
        if not records[month] > standard:
            break
        run += 1
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return run


def lifted_out(records: Mapping[dt.date, Decimal], standards: Mapping[dt.date, Decimal] | Decimal,
               upto: dt.date, months: int = LIFT_OUT_MONTHS) -> bool:
    """脱困: above the standard for ``months`` consecutive months up to the month of ``upto``."""
    return months_above(records, standards, upto) >= months


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def months(last: dt.date, n: int) -> Iterable[dt.date]:
    """The first days of the ``n`` months ending with ``last``'s month, oldest first."""
    out = []
    month = last.replace(day=1)
    for _i in range(n):
        out.append(month)
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return reversed(out)
