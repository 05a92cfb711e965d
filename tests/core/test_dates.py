import datetime as dt

from hypothesis import given, strategies as st

from gonghui.core.dates import add_months, add_years

days = st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2100, 12, 31))


def test_29_february_moves_to_the_28th_in_a_common_year():
    assert add_years(dt.date(2024, 2, 29), 1) == dt.date(2025, 2, 28)
    assert add_years(dt.date(2024, 2, 29), -1) == dt.date(2023, 2, 28)
    assert add_years(dt.date(2024, 2, 29), 4) == dt.date(2028, 2, 29)


def test_a_month_from_the_31st_ends_on_the_last_day_of_the_shorter_month():
    assert add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2025, 3, 31), -1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2025, 11, 30), 2) == dt.date(2026, 1, 30)


@given(days, st.integers(min_value=-50, max_value=50))
def test_a_year_shift_keeps_the_month_and_never_overshoots_its_end(day, years):
    moved = add_years(day, years)
    assert (moved.year, moved.month) == (day.year + years, day.month)
    assert moved.day == day.day or (day.month, day.day, moved.day) == (2, 29, 28)


@given(days, st.integers(min_value=-600, max_value=600))
def test_a_month_shift_lands_in_the_right_month_on_the_same_or_last_day(day, months):
    moved = add_months(day, months)
    index = day.year * 12 + day.month - 1 + months
    assert (moved.year, moved.month) == (index // 12, index % 12 + 1)
    next_day = moved + dt.timedelta(days=1)
    assert moved.day == day.day or (moved.day < day.day and next_day.month != moved.month)
