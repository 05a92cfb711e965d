import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from gonghui.stations import rules

MONDAY_NOON = dt.datetime(2026, 12, 7, 12, 0)
SUNDAY_NOON = dt.datetime(2026, 12, 13, 12, 0)


def test_24h_is_always_open():
    assert rules.parse_hours("24小时") == (True, {})
    assert rules.is_open(True, {}, SUNDAY_NOON)


def test_one_span_holds_for_every_day():
    always, hours = rules.parse_hours("08:00-20:00")
    assert not always and set(hours) == {str(d) for d in range(7)}
    assert rules.is_open(always, hours, SUNDAY_NOON)
    assert not rules.is_open(always, hours, MONDAY_NOON.replace(hour=21))


def test_weekday_groups_and_two_spans_a_day():
    always, hours = rules.parse_hours("1-5 08:00-12:00 14:00-18:00; 6 09:00-12:00")
    assert hours["0"] == [["08:00", "12:00"], ["14:00", "18:00"]] and hours["5"] == [["09:00", "12:00"]]
    assert "6" not in hours
    assert not rules.is_open(always, hours, MONDAY_NOON.replace(hour=13))
    assert not rules.is_open(always, hours, SUNDAY_NOON)


@pytest.mark.parametrize("text", ["20:00-08:00", "1-5 12:00-12:00"])
def test_hours_that_end_before_they_begin_are_refused(text):
    with pytest.raises(ValidationError) as exc:
        rules.parse_hours(text)
    assert exc.value.code == "hours_order"


@pytest.mark.parametrize("text", ["", "morning", "8 08:00-09:00", "25:00-26:00"])
def test_unreadable_hours_are_refused(text):
    with pytest.raises(ValidationError):
        rules.parse_hours(text)


def test_stars_follow_the_configured_rules(settings):
    assert [rules.stars_for(s) for s in (100, 90, 85, 70, 60, 59)] == [5, 5, 4, 3, 2, 0]
    settings.STATION_STAR_RULES = [(50, 1)]
    assert rules.stars_for(55) == 1 and rules.stars_for(49) == 0


def test_walking_minutes_round_up():
    assert rules.walking_minutes(0) == 1 and rules.walking_minutes(750) == 10 and rules.walking_minutes(751) == 11
