"""The membership dimensions, declared once: what each member counts under in the subtree tallies.

Each dimension says, for one member (or a row of a roster file, which has the same attributes),
which key it counts under (None: not counted in this dimension), and how the database computes
the same key for the recount. Everything that counts members reads this declaration:
``member_keys`` (the services, one member at a time), ``recount`` (``gonghui stats rebuild``:
one grouped query per dimension) and the roster import's counters (``slots``: a fixed array of
counts per union while the file streams).

Age bands are derived from birth years (age = the year of the day asked about minus the birth
year), the way yearly reports count ages; the live count of a past day uses the same rule.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, F, FilteredRelation, Q, Value
from django.db.models.functions import ExtractYear

from gonghui.members.models import Category, Member, MemberStatus, Sex
from gonghui.members.selectors import active_on
from gonghui.stats.tallies import Key, Recount

YEARS = range(1900, 2100)  # the birth and joining years a tally can hold


def _year_sql(column: str) -> str:
    """The year of a date column, as text (the tallies' key)."""
    if connection.vendor == "postgresql":
        return f"CAST(CAST(EXTRACT(YEAR FROM {column}) AS integer) AS text)"
    return f"CAST(CAST(strftime('%Y', {column}) AS integer) AS text)"  # no params: % is literal


@dataclass(frozen=True)
class Dimension:
    """``key``: the member's key, None when not counted here; ``expression`` and ``counted``: the
    same in the ORM; ``sql(alias)``: the same in SQL over a table of member rows, (key, condition);
    ``keys``: every possible key (the import's fixed counters)."""

    name: str
    key: Callable[[object], str | None]
    expression: object
    sql: Callable[[str], tuple[str, str]]
    counted: Q = Q()
    keys: tuple[str, ...] = ()


DIMENSIONS = (
    Dimension("all", lambda m: "", Value(""), lambda t: ("''", ""), keys=("",)),
    Dimension("new_form", lambda m: "" if m.is_new_form else None, Value(""),
              lambda t: ("''", f"{t}.is_new_form"), Q(is_new_form=True), keys=("",)),
    Dimension("sex", lambda m: m.sex, F("sex"), lambda t: (f"{t}.sex", ""), keys=tuple(Sex.values)),
    Dimension("category", lambda m: m.category or None, F("category"),
              lambda t: (f"{t}.category", f"{t}.category <> ''"), ~Q(category=""), keys=tuple(Category.values)),
    Dimension("birth_year", lambda m: str(m.birth_date.year), ExtractYear("birth_date"),
              lambda t: (_year_sql(f"{t}.birth_date"), ""), keys=tuple(map(str, YEARS))),
    Dimension("joined_year", lambda m: str(m.joined_on.year), ExtractYear("joined_on"),
              lambda t: (_year_sql(f"{t}.joined_on"), ""), keys=tuple(map(str, YEARS))),
)
NAMES = tuple(d.name for d in DIMENSIONS)


def member_keys(member) -> list[tuple[str, str]]:
    """(dimension, key) of everything one member counts under."""
    return [(d.name, key) for d in DIMENSIONS if (key := d.key(member)) is not None]


def member_tally_delta(member, sign: int) -> Counter[Key]:
    """The deltas of one member counted (+1) or uncounted (-1) at its union."""
    return Counter({(member.org_path, dim, key): sign for dim, key in member_keys(member)})


def recount() -> Counter[Key]:
    """Active members grouped by union and key: one grouped query per dimension."""
    active = Member.objects.filter(status=MemberStatus.ACTIVE).order_by()
    counts: Counter[Key] = Counter()
    for d in DIMENSIONS:
        rows = (active.filter(d.counted).annotate(k=d.expression).values_list("org_path", "k")
                .annotate(n=Count("*")))
        counts.update({(path, d.name, str(k)): n for path, k, n in rows})
    return counts


def recount_on(day) -> Counter[Key]:
    """Members as of the end of ``day`` grouped by the union they were in and key: those whose
    current period covers the day, and those whose past period (``MembershipPeriod``) does — the
    rule of ``members_on``. Two grouped queries per dimension."""
    current = Member.objects.filter(active_on(day)).order_by()
    past = Member.objects.annotate(
        period=FilteredRelation("periods", condition=Q(periods__started_on__lte=day, periods__ended_on__gt=day))
    ).filter(period__isnull=False).order_by()
    counts: Counter[Key] = Counter()
    for d in DIMENSIONS:
        for members, path in ((current, "org_path"), (past, "period__org_path")):
            rows = members.filter(d.counted).annotate(k=d.expression).values_list(path, "k").annotate(n=Count("*"))
            counts.update({(p, d.name, str(k)): n for p, k, n in rows})
    return counts


def deltas_sql(table: str, where: str) -> str:
    """A query of the tally deltas (path, dim, key, n) of the member rows of ``table`` (alias
    ``s``, with the member table's columns) that match ``where``."""
    selects = []
    for d in DIMENSIONS:
        key, condition = d.sql("s")
        by = "" if key == "''" else ", 3"
        selects.append(f"SELECT s.org_path, '{d.name}', {key}, COUNT(*) FROM {table} s WHERE {where}"
                       f"{' AND ' + condition if condition else ''} GROUP BY s.org_path{by}")
    return " UNION ALL ".join(selects)


# The roster import's counters: one slot per (dimension, key), in this order.
SLOTS: tuple[tuple[str, str], ...] = tuple((d.name, key) for d in DIMENSIONS for key in d.keys)
_SLOT = {slot: i for i, slot in enumerate(SLOTS)}
# Per dimension: its key function and the slot of each key (the import's inner loop reads these).
COUNTERS: tuple[tuple[Callable, dict[str, int]], ...] = tuple(
    (d.key, {key: _SLOT[(d.name, key)] for key in d.keys}) for d in DIMENSIONS)


def slots_of(member) -> list[int]:
    """The counter slots a member (or a row of a roster file) counts in."""
    return [index[key] for key_of, index in COUNTERS if (key := key_of(member)) is not None]


RECOUNT = Recount("members", NAMES, recount, recount_on)
