"""The law's clock of a collective-bargaining round (集体协商), as pure functions.

A round goes offer (要约) → reply (回应) → talks (协商会议) → vote of the workers' congress or of all
workers (职代会 / 全体职工表决) → signing (签订) → filing with the labour bureau (报送) → the bureau's
review (审查) → in force (生效) → announcement to the workers (公布). The periods (DOMAIN.md,
"Collective contracts"; 集体合同规定 arts. 32–48):

- the other side replies in writing within 20 days of receiving the offer;
- talks start within 10 *working* days of the reply (the Chinese calendar: holidays and 调休);
- the signed contract is filed with the labour bureau within 7 days of signing;
- if the bureau raises no objection within 15 days of receiving it, the contract is in force;
- it is announced to the workers within 5 days of entering into force;
- a wage agreement runs one year; its renewal is negotiated in the 60 days before it expires.

How a period is counted (Civil Code arts. 201–203): the day of the event does not count; a period
in days ends on its last day, moved to the next working day when that day is a statutory rest day
(a deadline never falls on a holiday or a weekend that is not a 调休 working day). A period in working
days counts working days only (``gonghui.core.workdays.add_workdays``).

Everything here takes the dates already recorded and an ``is_workday`` predicate, and returns
dates: no database, no clock (``today`` is an argument).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from gonghui.core.dates import add_years
from gonghui.core.workdays import IsWorkday, add_workdays

REPLY_DAYS = 20  # calendar days from the offer
TALKS_WORKDAYS = 10  # working days from the reply
FILING_DAYS = 7  # calendar days from signing
REVIEW_DAYS = 15  # calendar days from filing: no objection → in force
ANNOUNCE_DAYS = 5  # calendar days from entering into force
RENEWAL_WINDOW_DAYS = 60  # the renewal is negotiated in the 60 days before expiry
WAGE_TERM_YEARS = 1  # a wage agreement (工资专项, 能级工资) runs one year
CONGRESS_QUORUM = (2, 3)  # two thirds of the delegates (or workers) present (集体合同规定 art. 36)


class Step(StrEnum):
    """The steps of a round, in order; each is done when its date is recorded."""

    OFFER = "offer"
    REPLY = "reply"
    TALKS = "talks"
    VOTE = "vote"
    SIGN = "sign"
    FILE = "file"
    REVIEW = "review"
    ANNOUNCE = "announce"


ORDER = tuple(Step)


@dataclass(frozen=True)
class Dates:
    """What a round has recorded so far (None: not yet). ``objected_on``: the bureau raised an
    objection to the filed text (the parties renegotiate: a new vote, signature and filing)."""

    offered_on: dt.date | None = None
    replied_on: dt.date | None = None
    talks_on: dt.date | None = None
    voted_on: dt.date | None = None  # the day of the vote that passed
    signed_on: dt.date | None = None
    filed_on: dt.date | None = None
    cleared_on: dt.date | None = None  # the bureau confirmed it has no objection (before the 15 days)
    objected_on: dt.date | None = None
    announced_on: dt.date | None = None


def end_of_period(start: dt.date, days: int, is_workday: IsWorkday) -> dt.date:
    """The last day of "within ``days`` days of ``start``": ``start`` + ``days``, moved to the next
    working day when it is a rest day (Civil Code art. 203)."""
    if days < 0:
        raise ValueError("a period cannot be negative")
    day = start + dt.timedelta(days=days)
    while not is_workday(day):
        day += dt.timedelta(days=1)
    return day


def reply_due(offered_on: dt.date, is_workday: IsWorkday) -> dt.date:
    return end_of_period(offered_on, REPLY_DAYS, is_workday)


def talks_due(replied_on: dt.date, is_workday: IsWorkday) -> dt.date:
    return add_workdays(replied_on, TALKS_WORKDAYS, is_workday)


def filing_due(signed_on: dt.date, is_workday: IsWorkday) -> dt.date:
    return end_of_period(signed_on, FILING_DAYS, is_workday)


def review_ends(filed_on: dt.date, is_workday: IsWorkday) -> dt.date:
    """The last day the bureau may object to a filed contract."""
    return end_of_period(filed_on, REVIEW_DAYS, is_workday)


def in_force_on(dates: Dates, is_workday: IsWorkday) -> dt.date | None:
    """When the filed contract takes effect: the day the bureau confirmed it, or the day after its
    15 days passed without objection; None before filing or after an objection."""
    if dates.filed_on is None or (dates.objected_on is not None and dates.objected_on >= dates.filed_on):
        return None
    if dates.cleared_on is not None:
        return dates.cleared_on
    return review_ends(dates.filed_on, is_workday) + dt.timedelta(days=1)


def announce_due(in_force: dt.date, is_workday: IsWorkday) -> dt.date:
    return end_of_period(in_force, ANNOUNCE_DAYS, is_workday)


def renewal_window(expires_on: dt.date) -> tuple[dt.date, dt.date]:
    """The days in which the renewal is negotiated: the 60 days before expiry, up to expiry."""
    return expires_on - dt.timedelta(days=RENEWAL_WINDOW_DAYS), expires_on


def renewal_due(expires_on: dt.date, today: dt.date) -> bool:
    """Whether a contract expiring on ``expires_on`` is in its renewal window on ``today``."""
    start, end = renewal_window(expires_on)
    return start <= today <= end


def wage_term_end(starts_on: dt.date) -> dt.date:
    """The last day of a one-year wage agreement starting on ``starts_on``."""
    return add_years(starts_on, WAGE_TERM_YEARS) - dt.timedelta(days=1)


def vote_passes(*, eligible: int, present: int, in_favour: int) -> bool:
    """The draft passes with two thirds of the delegates (or workers) present and more than half of
    *all* of them in favour (not of those present)."""
    quorum_num, quorum_den = CONGRESS_QUORUM
    return present * quorum_den >= eligible * quorum_num and in_favour * 2 > eligible


def vote_problems(*, eligible: int, present: int, in_favour: int, against: int, abstained: int) -> list[str]:
    """Why the counts of a vote cannot be right (machine codes; empty when they add up)."""
    problems = []
    if eligible < 1:
        problems.append("no_voters")
    if min(present, in_favour, against, abstained) < 0:
        problems.append("negative")
    if present > eligible:
        problems.append("present_exceeds_eligible")
    if in_favour + against + abstained > present:
        problems.append("ballots_exceed_present")
    return problems


@dataclass(frozen=True)
class Due:
    """What a round waits for: the step, its last day (None when the law sets none), whether
    ``today`` is past it, and ``consequence``: the key of what happens when it passes."""

    step: Step
    due: dt.date | None
    overdue: bool
    consequence: str


# What happens when a step's period passes (keys; the pages show their words).
CONSEQUENCES = {
    Step.REPLY: "no_reply",
    Step.TALKS: "no_talks",
    Step.VOTE: "none",
    Step.SIGN: "none",
    Step.FILE: "not_filed",
    Step.REVIEW: "in_force",
    Step.ANNOUNCE: "not_announced",
}


def next_step(dates: Dates, today: dt.date, is_workday: IsWorkday) -> Step | None:
    """The first step not done yet (None when the contract is in force and announced). The review
    is done once the contract is in force (the bureau confirmed, or its 15 days passed)."""
    if dates.offered_on is None:
        return Step.OFFER
    if dates.replied_on is None:
        return Step.REPLY
    if dates.talks_on is None:
        return Step.TALKS
    if dates.voted_on is None:
        return Step.VOTE
    if dates.signed_on is None:
        return Step.SIGN
    if dates.filed_on is None:
        return Step.FILE
    start = in_force_on(dates, is_workday)
    if start is None or start > today:
        return Step.REVIEW
    if dates.announced_on is None:
        return Step.ANNOUNCE
    return None


def waiting_for(dates: Dates, today: dt.date, is_workday: IsWorkday) -> Due | None:
    """The next step with its deadline, and whether it is overdue on ``today``."""
    step = next_step(dates, today, is_workday)
    if step is None or step is Step.OFFER:
        return None
    due: dt.date | None = None
    if step is Step.REPLY:
        due = reply_due(dates.offered_on, is_workday)
    elif step is Step.TALKS:
        due = talks_due(dates.replied_on, is_workday)
    elif step is Step.FILE:
        due = filing_due(dates.signed_on, is_workday)
    elif step is Step.REVIEW and dates.objected_on is None:
        due = review_ends(dates.filed_on, is_workday)
    elif step is Step.ANNOUNCE:
        due = announce_due(in_force_on(dates, is_workday), is_workday)
    # The bureau's review is the bureau's period: when it passes the contract is in force, nothing is late.
    overdue = due is not None and today > due and step is not Step.REVIEW
    return Due(step=step, due=due, overdue=overdue, consequence=CONSEQUENCES[step])


def deadlines(dates: Dates, is_workday: IsWorkday) -> dict[Step, dt.date]:
    """Every deadline the recorded dates already set (for the round's timeline)."""
    out: dict[Step, dt.date] = {}
    if dates.offered_on:
        out[Step.REPLY] = reply_due(dates.offered_on, is_workday)
    if dates.replied_on:
        out[Step.TALKS] = talks_due(dates.replied_on, is_workday)
    if dates.signed_on:
        out[Step.FILE] = filing_due(dates.signed_on, is_workday)
    if dates.filed_on and not dates.objected_on:
        out[Step.REVIEW] = review_ends(dates.filed_on, is_workday)
    start = in_force_on(dates, is_workday)
    if start:
        out[Step.ANNOUNCE] = announce_due(start, is_workday)
    return out


def order_problems(dates: Dates) -> list[str]:
    """Dates out of order (a reply before the offer, a signature before the vote…): machine codes."""
    chain = [("offered_on", dates.offered_on), ("replied_on", dates.replied_on), ("talks_on", dates.talks_on),
             ("voted_on", dates.voted_on), ("signed_on", dates.signed_on), ("filed_on", dates.filed_on)]
    problems = []
    last_name, last = None, None
    for name, day in chain:
        if day is None:
            continue
        if last is not None and day < last:
            problems.append(f"{name}_before_{last_name}")
        last_name, last = name, day
    # (An objection sends the round back to the vote, so it may lie before a later filing.)
    if dates.cleared_on is not None and (dates.filed_on is None or dates.cleared_on < dates.filed_on):
        problems.append("cleared_on_before_filed_on")
    return problems


def in_force(*, starts_on: dt.date | None, ends_on: dt.date, day: dt.date, effective_on: dt.date | None,
             terminated_on: dt.date | None = None) -> bool:
    """Whether a contract binds on ``day``: in effect (the bureau's review passed), within its term,
    not ended early."""
    if effective_on is None or day < effective_on or day > ends_on:
        return False
    if starts_on is not None and day < starts_on:
        return False
    return terminated_on is None or day < terminated_on
