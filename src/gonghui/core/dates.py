"""Calendar shifts, one rule everywhere: the corresponding day, or the month's last day when there
is none (29 February → 28 February), as the Civil Code (arts. 201–203) counts a period in years or
months. ``dateutil.relativedelta`` does the arithmetic."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta


def add_years(day: dt.date, years: int) -> dt.date:
    """The corresponding day ``years`` later (earlier when negative)."""
    return day + relativedelta(years=years)


def add_months(day: dt.date, months: int) -> dt.date:
    """The corresponding day ``months`` later (earlier when negative); 31 January + 1 month is the
    last day of February."""
    return day + relativedelta(months=months)


def end_of_last_year(today: dt.date) -> dt.date:
    """31 December of the year before ``today``'s (上年末), the day year-on-year figures compare with."""
    return dt.date(today.year - 1, 12, 31)
