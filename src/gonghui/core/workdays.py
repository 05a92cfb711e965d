"""Chinese working days: the statutory holidays and the make-up working weekends (调休).

Periods that the law counts in working days (talks start within 10 working days of the reply to a
collective-bargaining offer; a public notice of 5 working days) are counted on the real calendar:

1. a ``WorkCalendarDay`` row decides, where there is one (a year the package does not know yet, or
   a correction);
2. else the ``chinesecalendar`` package (the State Council's schedules, 2004 until its last
   release's year);
3. else Monday to Friday — and ``known(year)`` says so, so that a page can warn that a deadline in
   that year may move once the year's schedule is entered.

``add_workdays`` is a pure function of an ``is_workday`` predicate (``Calendar``), tested as such;
``calendar()`` builds the predicate from the table and the package, reading the table once per year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import chinese_calendar

IsWorkday = Callable[[dt.date], bool]
MAX_SPAN = 400  # working days one call may count: ample for any legal period, a guard against a bad input


# The years whose schedule the installed release carries (2004 to its release's year).
_PACKAGE_YEARS = frozenset(day.year for day in chinese_calendar.holidays) | frozenset(
    day.year for day in chinese_calendar.workdays)


def weekday_rule(day: dt.date) -> bool:
    return day.weekday() < 5


class Calendar:
    """``is_workday`` over the table's rows, the package, then weekdays; the table read once a year."""

    def __init__(self, overrides: dict[dt.date, bool] | None = None):
        self._overrides = overrides  # None: read from the database, by year
        self._years: dict[int, dict[dt.date, bool]] = {}

    def _rows(self, year: int) -> dict[dt.date, bool]:
        if self._overrides is not None:
            return self._overrides
        if year not in self._years:
            from gonghui.core.models import WorkCalendarDay

            self._years[year] = dict(WorkCalendarDay.objects.filter(day__year=year).values_list("day", "is_workday"))
        return self._years[year]

    def __call__(self, day: dt.date) -> bool:
        rows = self._rows(day.year)
        if day in rows:
            return rows[day]
        if day.year in _PACKAGE_YEARS:
            return chinese_calendar.is_workday(day)
        return weekday_rule(day)

    def known(self, year: int) -> bool:
        """Whether ``year``'s holidays are known (the package or the table), not assumed Mon–Fri."""
        return year in _PACKAGE_YEARS or any(day.year == year for day in self._rows(year))


def calendar() -> Calendar:
    return Calendar()


def add_workdays(day: dt.date, n: int, is_workday: IsWorkday) -> dt.date:
    """The ``n``-th working day after ``day`` (``n`` ≥ 1), as a period "within n working days" of
    ``day`` ends; ``n`` = 0 is ``day`` itself. The day of the event does not count (Civil Code art.
    201: a period starts the next day)."""
    if not 0 <= n <= MAX_SPAN:
        raise ValueError(f"working days must be between 0 and {MAX_SPAN}, not {n}")
    counted = 0
    while counted < n:
        day += dt.timedelta(days=1)
        if is_workday(day):
            counted += 1
    return day


def workdays_between(start: dt.date, end: dt.date, is_workday: IsWorkday) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end`` ≤ ``start``)."""
    return sum(1 for offset in range(1, (end - start).days + 1) if is_workday(start + dt.timedelta(days=offset)))
