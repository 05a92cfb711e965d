"""The rules of stations as pure functions: opening hours, open now, stars from a score, walking time.

Opening hours are stored as ``{"0": [["08:00", "20:00"]], …}`` — weekday (0 = Monday) → spans on
that day, each ending after it begins (a station open through the night is "24 h"); a weekday not
listed is closed. Written by hand (and in the import) as ``24小时`` / ``24h``, one span for every
day (``08:00-20:00``), or weekdays 1–7 with spans: ``1-5 08:00-20:00; 6,7 09:00-12:00 14:00-17:00``.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from gonghui.stations import conf

ALWAYS = ("24h", "24小时", "24 小时", "全天", "24/7", "全天候")
_SPAN = re.compile(r"^(\d{1,2})[:：](\d{2})\s*[-–~至到]\s*(\d{1,2})[:：](\d{2})$")
_DAYS = re.compile(r"^(\d(?:\s*[-–,，、]\s*\d)*)\s+(.+)$")
WEEKDAY_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def parse_span(text: str) -> list[str]:
    m = _SPAN.match(text.strip())
    if not m:
        raise ValidationError(_("Write opening hours as 08:00-20:00 (or 24h)."), code="hours_format")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise ValidationError(_("%(span)s is not a time of day.") % {"span": text.strip()}, code="hours_format")
    start, end = f"{h1:02d}:{m1:02d}", f"{h2:02d}:{m2:02d}"
    if end <= start:
        raise ValidationError(_("Opening hours %(span)s end before they begin.") % {"span": text.strip()},
                              code="hours_order")
    return [start, end]


def _days(text: str) -> list[int]:
    days: set[int] = set()
    for part in re.split(r"[,，、]", text):
        bounds = [int(p) for p in re.split(r"\s*[-–]\s*", part.strip())]
        if len(bounds) == 2 and 1 <= bounds[0] <= bounds[1] <= 7:
            days.update(range(bounds[0] - 1, bounds[1]))
        elif len(bounds) == 1 and 1 <= bounds[0] <= 7:
            days.add(bounds[0] - 1)
        else:
            raise ValidationError(_("Weekdays are numbered 1 (Monday) to 7 (Sunday)."), code="hours_format")
    return sorted(days)


def parse_hours(text: str) -> tuple[bool, dict[str, list[list[str]]]]:
    """(always open, spans by weekday) from the written form; ValidationError when it cannot be read."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Give the opening hours (or 24h)."), code="hours_missing")
    if text.lower() in ALWAYS:
        return True, {}
    hours: dict[str, list[list[str]]] = {}
    groups = [g.strip() for g in re.split(r"[;；\n]", text) if g.strip()]
    for group in groups:
        m = _DAYS.match(group)
        if m and not _SPAN.match(group):
            days, spans = _days(m.group(1)), m.group(2).split()
        else:
            days, spans = list(range(7)), [group]
        parsed = sorted(parse_span(s) for s in spans)
        for (_s1, e1), (s2, _e2) in zip(parsed, parsed[1:]):
            if s2 < e1:
                raise ValidationError(_("Opening hours of one day overlap."), code="hours_overlap")
        for day in days:
            hours[str(day)] = parsed
    return False, hours


def hours_of_days(spans_by_day: list[str]) -> dict[str, list[list[str]]]:
    """Spans from seven fields (Monday first), each empty (closed) or ``08:00-12:00 14:00-18:00``."""
    hours = {}
    for day, text in enumerate(spans_by_day):
        if text and text.strip():
            hours[str(day)] = sorted(parse_span(s) for s in text.split())
    if not hours:
        raise ValidationError(_("Give the opening hours of at least one day (or 24h)."), code="hours_missing")
    return hours


def is_open(always_open: bool, hours: dict, at: dt.datetime) -> bool:
    if always_open:
        return True
    now = at.strftime("%H:%M")
    return any(start <= now < end for start, end in (hours or {}).get(str(at.weekday()), []))


def hours_text(always_open: bool, hours: dict) -> str:
    if always_open:
        return _("Open 24 hours")
    parts = []
    for day in range(7):
        spans = (hours or {}).get(str(day))
        if spans:
            parts.append(f"{WEEKDAY_NAMES[day]} " + " ".join(f"{s}–{e}" for s, e in spans))
    return "；".join(parts) or _("No opening hours")


def day_fields(always_open: bool, hours: dict) -> list[str]:
    return ["" if always_open else " ".join(f"{s}-{e}" for s, e in (hours or {}).get(str(d), [])) for d in range(7)]


def stars_for(score: int) -> int:
    """Stars a review score earns (``STATION_STAR_RULES``); 0: the review fails."""
    for minimum, stars in conf.star_rules():
        if score >= minimum:
            return stars
    return 0


def walking_minutes(metres: float) -> int:
    return max(1, math.ceil(metres / conf.WALKING_METRES_PER_MINUTE))


def review_due(reviewed_on: dt.date) -> dt.date:
    return reviewed_on + dt.timedelta(days=conf.review_valid_days())


def lapsed(review_due_on: dt.date | None, today: dt.date) -> bool:
    """A station's review lapses when its due day plus the grace period has passed."""
    return review_due_on is not None and today > review_due_on + dt.timedelta(days=conf.review_grace_days())
