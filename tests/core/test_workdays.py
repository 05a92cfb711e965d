"""Working days on the Chinese calendar: holidays and make-up weekends from the package, a year it
does not carry from the table (or Monday–Friday, said as assumed), the counting rule as a pure
function."""

import datetime as dt

import pytest
from hypothesis import given, strategies as st

from gonghui.core.models import WorkCalendarDay
from gonghui.core.workdays import Calendar, add_workdays, calendar, weekday_rule, workdays_between

D = dt.date


def test_national_day_2026_and_its_make_up_saturday():
    # 1–7 October off; Saturday 10 October worked (国庆节调休); the day of the reply does not count.
    cal = Calendar(overrides={})
    assert [add_workdays(D(2026, 9, 30), n, cal) for n in (1, 2, 3, 4)] == [
        D(2026, 10, 8), D(2026, 10, 9), D(2026, 10, 10), D(2026, 10, 12)]
    assert add_workdays(D(2026, 9, 30), 10, cal) == D(2026, 10, 20)
    assert cal(D(2026, 9, 20)) and not cal(D(2026, 9, 25))  # a worked Sunday; 中秋节


def test_spring_festival_2026_is_a_nine_day_break():
    cal = Calendar(overrides={})
    assert add_workdays(D(2026, 2, 13), 1, cal) == D(2026, 2, 14)  # Saturday 14 February is worked
    assert add_workdays(D(2026, 2, 14), 1, cal) == D(2026, 2, 24)


def test_a_year_the_package_does_not_carry_is_weekdays_until_the_table_says_otherwise(db):
    assert not calendar().known(2027)
    assert add_workdays(D(2026, 12, 31), 1, calendar()) == D(2027, 1, 1)  # assumed: a Friday
    WorkCalendarDay.objects.create(day=D(2027, 1, 1), is_workday=False, note="元旦")
    WorkCalendarDay.objects.create(day=D(2027, 1, 2), is_workday=True, note="元旦调休")  # illustrative
    cal = calendar()
    assert cal.known(2027)
    assert add_workdays(D(2026, 12, 31), 1, cal) == D(2027, 1, 2)
    assert add_workdays(D(2026, 12, 31), 2, cal) == D(2027, 1, 4)


def test_the_table_corrects_a_day_the_package_knows(db):
    WorkCalendarDay.objects.create(day=D(2026, 10, 12), is_workday=False, note="correction")
    assert add_workdays(D(2026, 10, 10), 1, calendar()) == D(2026, 10, 13)


def test_out_of_range_counts_are_refused():
    with pytest.raises(ValueError, match="between 0 and"):
        add_workdays(D(2026, 1, 5), -1, weekday_rule)


days = st.dates(min_value=D(2004, 1, 1), max_value=D(2026, 11, 30))
PACKAGE = Calendar(overrides={})


@given(day=days, n=st.integers(min_value=1, max_value=60))
def test_the_deadline_is_a_working_day_with_exactly_n_working_days_up_to_it(day, n):
    end = add_workdays(day, n, PACKAGE)
    assert PACKAGE(end) and end > day
    assert workdays_between(day, end, PACKAGE) == n
    assert workdays_between(day, end - dt.timedelta(days=1), PACKAGE) == n - 1


@given(day=days, n=st.integers(min_value=0, max_value=30), m=st.integers(min_value=0, max_value=30))
def test_counting_in_two_steps_is_counting_once(day, n, m):
    assert add_workdays(add_workdays(day, n, PACKAGE), m, PACKAGE) == add_workdays(day, n + m, PACKAGE)


@given(day=days, n=st.integers(min_value=1, max_value=30))
def test_a_holiday_spanned_makes_the_deadline_later_than_weekdays_alone_would(day, n):
    fixed = add_workdays(day, n, weekday_rule)
    days_off = sum(1 for k in range(1, (fixed - day).days + 1)
                   if weekday_rule(day + dt.timedelta(days=k)) and not PACKAGE(day + dt.timedelta(days=k)))
    worked_weekends = sum(1 for k in range(1, (fixed - day).days + 1)
                          if not weekday_rule(day + dt.timedelta(days=k)) and PACKAGE(day + dt.timedelta(days=k)))
    if days_off > worked_weekends:
        assert add_workdays(day, n, PACKAGE) > fixed
    if days_off == worked_weekends == 0:
        assert add_workdays(day, n, PACKAGE) == fixed
