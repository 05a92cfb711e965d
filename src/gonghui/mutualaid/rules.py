"""The payout rule: a pure function of (plan rule, the stay's in-catalogue self-pay, the ledger).

    eligible = max(0, self-pay − deductible)
    by tiers = Σ over bands of (part of eligible in the band) × band ratio      (progressive, like tax)
    payout   = min(by tiers, cap per stay, yearly cap − paid this year)          (never below 0)

rounded once, to the fen, half up. No database, no clock: the batch engine and the claim review
call the same function, so a batch result equals the per-record rule. ``Pricing.steps`` explains
the result for the member's page (codes and amounts; ``explain`` renders them as sentences).

Also the age rule that tells retirees from members in service (``RETIREMENT_AGE``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from gonghui.core.dates import add_years
from gonghui.core.money import to_fen

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
ONE = Decimal("1")
# Retirement age used to tell retirees from in-service members (on the plan's first day of cover).
RETIREMENT_AGE = {"M": 60, "F": 55}


def yuan(value) -> Decimal:
    """A money value as Decimal rounded half up to the fen (strings and ints; never floats)."""
    return to_fen(value)


@dataclass(frozen=True)
class Tier:
    upto: Decimal | None  # upper bound of the eligible amount in this band; None: open
    ratio: Decimal  # 0 < ratio ≤ 1


@dataclass(frozen=True)
class Rule:
    deductible: Decimal
    tiers: tuple[Tier, ...]
    yearly_cap: Decimal
    stay_cap: Decimal | None = None

    @classmethod
    def of(cls, plan) -> Rule:
        """The rule of a Plan row (or anything with the same attributes)."""
        return cls(deductible=plan.deductible, tiers=parse_tiers(plan.tiers), yearly_cap=plan.yearly_cap,
                   stay_cap=plan.stay_cap)


def parse_tiers(raw: Sequence[dict] | Iterable[Tier]) -> tuple[Tier, ...]:
    """Validate a tier list (from JSON or a form); raise ValidationError with a clear message."""
    tiers: list[Tier] = []
    for item in raw:
        if isinstance(item, Tier):
            tiers.append(item)
            continue
        try:
            upto = item.get("upto")
            upto = None if upto in (None, "") else Decimal(str(upto))
            ratio = Decimal(str(item["ratio"]))
        except (KeyError, TypeError, AttributeError, InvalidOperation):
            raise ValidationError(_("Each tier needs a ratio and an upper bound (empty for the last tier)."),
                                  code="tiers") from None
        tiers.append(Tier(upto=upto, ratio=ratio))
    if not tiers:
        raise ValidationError(_("Give at least one ratio."), code="tiers")
    previous = ZERO
    for i, tier in enumerate(tiers):
        if not tier.ratio.is_finite() or not (ZERO < tier.ratio <= ONE):
            raise ValidationError(_("A ratio is more than 0 and at most 1 (e.g. 0.5 for 50%)."), code="tiers")
        last = i == len(tiers) - 1
        if last != (tier.upto is None):
            raise ValidationError(_("Only the last tier is open-ended; every other tier has an upper bound."),
                                  code="tiers")
        if tier.upto is not None:
            if not tier.upto.is_finite() or tier.upto <= previous:
                raise ValidationError(_("Tier upper bounds must be positive and increasing."), code="tiers")
            previous = tier.upto
    return tuple(tiers)


def tiers_json(tiers: Iterable[Tier]) -> list[dict]:
    return [{"upto": None if t.upto is None else str(t.upto), "ratio": str(t.ratio)} for t in tiers]


@dataclass(frozen=True)
class Pricing:
    amount: Decimal  # the payout, to the fen
    eligible: Decimal  # self-pay above the deductible
    by_tiers: Decimal  # before the caps
    cap_left: Decimal  # yearly cap left before this payout
    steps: tuple[dict, ...]

    def as_json(self) -> dict:
        return {"amount": str(self.amount), "eligible": str(self.eligible), "by_tiers": str(self.by_tiers),
                "cap_left": str(self.cap_left), "steps": list(self.steps)}


def price(rule: Rule, self_pay_in: Decimal, paid_this_year: Decimal = ZERO) -> Pricing:
    """The payout for one stay, given what the person was already paid under this plan year."""
    steps: list[dict] = []
    amount, eligible, by_tiers, cap_left = _compute(rule, self_pay_in, paid_this_year, steps)
    return Pricing(amount=amount, eligible=eligible, by_tiers=by_tiers, cap_left=cap_left, steps=tuple(steps))


def payout_amount(rule: Rule, self_pay_in: Decimal, paid_this_year: Decimal = ZERO) -> Decimal:
    """``price(…).amount`` without the explanation: the same code path, for the batch engine."""
    return _compute(rule, self_pay_in, paid_this_year, None)[0]


def _compute(rule: Rule, self_pay_in: Decimal, paid_this_year: Decimal,
             steps: list | None) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    self_pay = yuan(self_pay_in)
    if self_pay < ZERO:
        raise ValueError("self-pay cannot be negative")
    paid = yuan(paid_this_year)
    eligible = max(ZERO, self_pay - rule.deductible)
    if steps is not None:
        steps.append({"step": "deductible", "self_pay": str(self_pay), "deductible": str(rule.deductible),
                      "eligible": str(eligible)})
    raw = Decimal(0)
    lower = ZERO
    for tier in rule.tiers:
        upper = eligible if tier.upto is None else min(eligible, tier.upto)
        if upper > lower:
            part = upper - lower
            raw += part * tier.ratio
            if steps is not None:
                steps.append({"step": "tier", "part": str(part), "ratio": str(tier.ratio),
                              "amount": str(yuan(part * tier.ratio))})
        if tier.upto is None or eligible <= tier.upto:
            break
        lower = tier.upto
    by_tiers = to_fen(raw)
    amount = by_tiers
    if steps is not None:
        steps.append({"step": "by_tiers", "amount": str(by_tiers)})
    if rule.stay_cap is not None and amount > rule.stay_cap:
        amount = rule.stay_cap
        if steps is not None:
            steps.append({"step": "stay_cap", "cap": str(rule.stay_cap), "amount": str(amount)})
    cap_left = max(ZERO, rule.yearly_cap - paid)
    if amount > cap_left:
        amount = cap_left
        if steps is not None:
            steps.append({"step": "yearly_cap", "cap": str(rule.yearly_cap), "paid": str(paid),
                          "cap_left": str(cap_left), "amount": str(amount)})
    elif steps is not None:
        steps.append({"step": "yearly_cap_ok", "cap": str(rule.yearly_cap), "paid": str(paid),
                      "cap_left": str(cap_left)})
    if steps is not None:
        steps.append({"step": "payout", "amount": str(amount)})
    return amount, eligible, by_tiers, cap_left


def explain(steps: Iterable[dict]) -> list[str]:
    """The steps as sentences for the member's page (translated: zh-hans reads 自付 … − 起付线 …)."""
    lines = []
    for s in steps:
        kind = s.get("step")
        if kind == "deductible":
            lines.append(_("In-catalogue self-pay %(self_pay)s − deductible %(deductible)s = %(eligible)s yuan")
                         % s)
        elif kind == "tier":
            ratio = Decimal(s["ratio"]) * 100
            lines.append(_("%(part)s × %(percent)s%% = %(amount)s yuan")
                         % {**s, "percent": f"{ratio.normalize():f}"})
        elif kind == "by_tiers":
            lines.append(_("By the ratios: %(amount)s yuan") % s)
        elif kind == "stay_cap":
            lines.append(_("Capped at %(cap)s yuan per stay") % s)
        elif kind == "yearly_cap":
            lines.append(_("Yearly cap %(cap)s yuan, already paid %(paid)s, left %(cap_left)s: capped at %(amount)s yuan")
                         % s)
        elif kind == "yearly_cap_ok":
            lines.append(_("Yearly cap %(cap)s yuan, already paid %(paid)s, left %(cap_left)s") % s)
        elif kind == "payout":
            lines.append(_("Payout: %(amount)s yuan") % s)
    return lines


def retiree_born_by(on: dt.date) -> dict[str, dt.date]:
    """Per sex, the last birth day of someone at or above the retirement age on ``on``: a retiree
    is born on or before it (29 February: the 28th in a year without one)."""
    out = {}
    for sex, age in RETIREMENT_AGE.items():
        out[sex] = add_years(on, -age)
    return out
