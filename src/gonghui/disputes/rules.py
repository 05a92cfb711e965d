"""Statutory deadlines of labour-dispute mediation and arbitration, as pure functions.

Sources (../shared/DOMAIN.md): 劳动争议调解仲裁法 (in force 2008-05-01) arts. 14, 27, 29, 43, 47,
48; 最高人民法院关于审理劳动争议案件适用法律问题的解释（一）(法释〔2020〕26号) on 一裁终局 per item.

Counting: a period "from" a day starts the next day; a period in years or months ends on the
corresponding day (or, when there is none — 29 February — on the last day of that month), as
the Civil Code (art. 201–203) counts. Nothing here reads the database or the clock: the caller
passes ``today`` and the local minimum wage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from gonghui.core.dates import add_years

MEDIATION_DAYS = 15  # art. 14: no agreement 15 days after receipt → arbitration may be asked
LIMITATION_YEARS = 1  # art. 27
ACCEPTANCE_DAYS = 5  # art. 29
AWARD_DAYS = 45  # art. 43
AWARD_EXTENSION_DAYS = 15  # art. 43, once
FINAL_AWARD_MONTHS = 12  # art. 47(1): money claims ≤ 12 × the local monthly minimum wage

# Claims of art. 47(1) (追索劳动报酬、工伤医疗费、经济补偿或者赔偿金) and (2) (labour standards:
# working time, rest, social insurance).
MONEY_CLAIMS = frozenset({"unpaid_wages", "overtime", "work_injury", "dismissal_compensation"})
STANDARD_CLAIMS = frozenset({"social_insurance"})


def add_days(day: dt.date, days: int) -> dt.date:
    return day + dt.timedelta(days=days)


# ---------------------------------------------------------------------------- mediation (art. 14)

@dataclass(frozen=True)
class Deadline:
    due_on: dt.date
    passed: bool  # today is after due_on
    days_left: int  # negative once passed


def deadline(due_on: dt.date, today: dt.date) -> Deadline:
    return Deadline(due_on=due_on, passed=today > due_on, days_left=(due_on - today).days)


def mediation_deadline(received_on: dt.date, today: dt.date) -> Deadline:
    """15 days from receipt of the application; once passed the worker may go to arbitration."""
    return deadline(add_days(received_on, MEDIATION_DAYS), today)


# ------------------------------------------------------------------- limitation (art. 27)

@dataclass(frozen=True)
class Limitation:
    """The last day to ask for arbitration (None: not running — unpaid wages during employment)."""

    ends_on: dt.date | None
    barred: bool
    starts_on: dt.date | None  # the day the (last) period began
    reason: str  # "running", "employment" (wages during employment), "barred"


def limitation(*, knew_on: dt.date, today: dt.date, claim: str = "other",
               employment_end: dt.date | None = None,
               interruptions: Iterable[dt.date] = (),
               suspensions: Iterable[tuple[dt.date, dt.date]] = ()) -> Limitation:
    """The arbitration limitation of one claim.

    - One year from the day the worker knew or should have known (``knew_on``).
    - Interruption (a claim to the employer, a request to an authority, the employer agreeing to
      pay) restarts the full year from its day — if the period was still running on that day.
    - Suspension (force majeure, other good reason) stops the clock for the days it lasts within
      the running period; the period then continues (ends that many days later).
    - Unpaid wages: not barred while the employment lasts; after it ends, one year from its end
      (interruptions and suspensions after that day apply as above).
    """
    start = knew_on
    if claim == "unpaid_wages":
        if employment_end is None or employment_end >= today:
            return Limitation(ends_on=None, barred=False, starts_on=None, reason="employment")
        start = max(knew_on, employment_end)
    ends = add_years(start, LIMITATION_YEARS)
    events: list[tuple[dt.date, int, dt.date | None]] = []
    for day in interruptions:
        events.append((day, 0, None))
    for first, last in suspensions:
        if last < first:
            first, last = last, first
        events.append((first, 1, last))
    for day, kind, last in sorted(events):
        if day <= start or day > ends:
            continue  # before the period began, or after it had run out: no effect
        if kind == 0:
            start, ends = day, add_years(day, LIMITATION_YEARS)
        else:
            # The clock stands still from ``day`` to ``last`` inclusive.
            ends = add_days(ends, (last - day).days + 1)
    barred = today > ends
    return Limitation(ends_on=ends, barred=barred, starts_on=start, reason="barred" if barred else "running")


# --------------------------------------------------------------------- arbitration (arts. 29, 43)

def acceptance_due(received_on: dt.date) -> dt.date:
    """The commission decides whether to accept within 5 days of receiving the application."""
    return add_days(received_on, ACCEPTANCE_DAYS)


def award_due(accepted_on: dt.date, *, extended: bool = False) -> dt.date:
    """Award within 45 days of acceptance, extendable once by 15 days."""
    return add_days(accepted_on, AWARD_DAYS + (AWARD_EXTENSION_DAYS if extended else 0))


# ----------------------------------------------------------------------- 一裁终局 (art. 47)

def final_award_threshold(minimum_wage: Decimal) -> Decimal:
    return (minimum_wage * FINAL_AWARD_MONTHS).quantize(Decimal("0.01"))


def final_award_hint(claims: Sequence[tuple[str, Decimal]], minimum_wage: Decimal) -> bool:
    """Whether an award on these claims would be final for the employer (一裁终局).

    True when every claim is a money claim of art. 47(1) whose amount, item by item, is at most
    12 × the local monthly minimum wage, or a labour-standard claim (social insurance). Contract
    and other claims make the award an ordinary one.
    """
    if not claims or minimum_wage <= 0:
        return False
    threshold = final_award_threshold(minimum_wage)
    for kind, amount in claims:
        if kind in STANDARD_CLAIMS:
            continue
        if kind not in MONEY_CLAIMS or amount > threshold:
            return False
    return True


# ------------------------------------------------------------------------------ overdue

@dataclass(frozen=True)
class DueItem:
    due_on: dt.date
    amount: Decimal
    paid: Decimal


def overdue_reasons(*, state: str, received_on: dt.date, today: dt.date,
                    instalments: Iterable[DueItem] = (), court_deadline: dt.date | None = None) -> list[str]:
    """Why a case is overdue, as codes: "mediation" (15 days passed without agreement),
    "instalment" (an instalment past due and not fully paid), "court" (the entrusting court's or
    commission's deadline passed before the mediation ended)."""
    reasons = []
    in_mediation = state in {"intake", "triaged", "mediating"}
    if in_mediation and mediation_deadline(received_on, today).passed:
        reasons.append("mediation")
    if state in {"settled", "unpaid"} and any(i.due_on < today and i.paid < i.amount for i in instalments):
        reasons.append("instalment")
    if in_mediation and court_deadline is not None and today > court_deadline:
        reasons.append("court")
    return reasons
