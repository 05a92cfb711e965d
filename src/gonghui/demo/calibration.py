"""How big the demo is: the seed documents' figures times the scale, exact to the unit.

The five subtrees the seed documents report (NB, YZ, BL, FH, YY) get their figures times the
scale, rounded half up. The other six districts (and a few city-level industry unions) share
what is left of the city's figures, so that every total adds up exactly. All of it is integer
and ``Decimal`` arithmetic: the same scale gives the same plan on every machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

SMALL_SCALE = Decimal("0.01")  # `--scale small`: what `make run` loads (30,390 members)
NINGBO_SCALE = Decimal("1")  # `--scale ningbo`: the whole city (21,000 unions, 3.04 million members)
SCALE_NAMES = {"small": SMALL_SCALE, "ningbo": NINGBO_SCALE}
# Below this the city has too few unions to give each of its ten districts a place.
MIN_SCALE = Decimal("0.001")


class DemoError(Exception):
    """The demo cannot be built as asked; the message says why."""


@dataclass(frozen=True)
class Figures:
    """What the seed documents count for a subtree: unions (root included) and active members."""

    orgs: int
    members: int
    new_form_orgs: int
    new_form_members: int

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(a + b for a, b in zip(self.as_tuple(), other.as_tuple(), strict=True)))

    def __sub__(self, other: Figures) -> Figures:
        return Figures(*(a - b for a, b in zip(self.as_tuple(), other.as_tuple(), strict=True)))

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.orgs, self.members, self.new_form_orgs, self.new_form_members)


ZERO = Figures(0, 0, 0, 0)

CITY_CODE = "NB"
# The seed documents' figures at scale 1 (see ../shared/seeds/README.md). Fenghua's report names
# no new-form figures: 48 unions and 8,600 workers are our choice, in line with its neighbours.
SEED_FIGURES: dict[str, Figures] = {
    "NB": Figures(21_000, 3_039_000, 629, 179_000),
    "YZ": Figures(3_956, 506_000, 144, 55_000),
    "BL": Figures(2_559, 419_000, 127, 29_000),
    "FH": Figures(1_706, 176_000, 48, 8_600),
    "YY": Figures(2_637, 400_400, 44, 15_063),
}
# How the districts without published figures share the rest of the city (rough size of each).
OTHER_DISTRICT_WEIGHTS: dict[str, int] = {"HS": 18, "JB": 12, "ZH": 10, "CX": 30, "NH": 15, "XS": 15}
# City-level industry unions for new-form workers, directly under NB; all their members are
# new-form workers. Fewer (or none) when a tiny scale leaves no room.
CITY_UNIONS = 3
CITY_UNION_MEMBERS = 2_000  # each, at scale 1
# The districts get at least this many unions when the scale allows (the district and one more).
OTHER_DISTRICT_MIN_ORGS = 2


def parse_scale(raw: str | Decimal) -> Decimal:
    """``small``, ``ningbo`` or a fraction with MIN_SCALE <= f <= 1; DemoError otherwise."""
    if isinstance(raw, Decimal):
        value = raw
    elif str(raw).strip().lower() in SCALE_NAMES:
        value = SCALE_NAMES[str(raw).strip().lower()]
    else:
        try:
            value = Decimal(str(raw).strip())
        except InvalidOperation:
            raise DemoError(
                f"--scale must be 'small', 'ningbo' or a fraction between {MIN_SCALE} and 1, not {raw!r}."
            ) from None
    if not value.is_finite() or not MIN_SCALE <= value <= 1:
        raise DemoError(f"--scale must be between {MIN_SCALE} and 1 (e.g. 0.05), not {raw}.")
    return value


def scale_label(scale: Decimal) -> str:
    """The canonical text of a scale: 0.010 and 0.01 are the same demo."""
    return format(scale.normalize(), "f")


def scaled(figure: int, scale: Decimal) -> int:
    """A seed figure times the scale, rounded half up."""
    return int((Decimal(figure) * scale).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def scaled_figures(figures: Figures, scale: Decimal) -> Figures:
    return Figures(*(scaled(v, scale) for v in figures.as_tuple()))


def apportion(total: int, weights: Sequence[int], *, floor: int = 0, caps: Sequence[int] | None = None) -> list[int]:
    """Split ``total`` into integers in proportion to ``weights`` (largest remainder).

    Each part gets at least ``floor`` when the total allows it and at most its cap. Integer
    arithmetic only, so the split is the same on every machine; ties go to the earlier part.
    """
    n = len(weights)
    caps = list(caps) if caps is not None else [total] * n
    if total < 0 or total > sum(caps):
        raise DemoError(f"cannot split {total} into parts capped at {sum(caps)}")
    if n == 0:
        return []
    floor = min(floor, total // n)
    parts = [min(floor, cap) for cap in caps]
    left = total - sum(parts)
    while left:
        open_ = [i for i in range(n) if parts[i] < caps[i]]
        weight = {i: max(weights[i], 0) for i in open_}
        if not sum(weight.values()):
            weight = dict.fromkeys(open_, 1)
        whole = sum(weight.values())
        shares = {i: divmod(left * weight[i], whole) for i in open_}
        given = 0
        for i in open_:
            add = min(shares[i][0], caps[i] - parts[i])
            parts[i] += add
            given += add
        # The units that integer division left over go to the largest remainders.
        for i in sorted(open_, key=lambda i: (-shares[i][1], i)):
            if given == left:
                break
            if parts[i] < caps[i]:
                parts[i] += 1
                given += 1
        left -= given
    return parts


@dataclass(frozen=True)
class Plan:
    """Exact figures for every district, the city-level unions and the city."""

    scale: Decimal
    city: Figures
    districts: dict[str, Figures]  # in the order of places.DISTRICTS
    city_unions: Figures  # the unions directly under NB, NB itself not counted

    @property
    def label(self) -> str:
        return scale_label(self.scale)


def make_plan(scale: Decimal, district_codes: Sequence[str]) -> Plan:
    """The figures of each district at ``scale``; DemoError when the scale is too small to build."""
    city = scaled_figures(SEED_FIGURES[CITY_CODE], scale)
    exact = {code: scaled_figures(f, scale) for code, f in SEED_FIGURES.items() if code != CITY_CODE}
    others = [code for code in district_codes if code not in exact]
    rest = city - sum(exact.values(), ZERO) - Figures(1, 0, 0, 0)  # the city federation itself
    city_unions = _city_unions(rest, scale, len(others))
    rest = rest - city_unions
    weights = [OTHER_DISTRICT_WEIGHTS[code] for code in others]
    orgs = apportion(rest.orgs, weights, floor=OTHER_DISTRICT_MIN_ORGS)
    members = apportion(rest.members, weights, floor=1)
    # A district's new-form unions are grassroots unions: at most its unions minus itself.
    new_form_orgs = apportion(rest.new_form_orgs, weights, caps=[max(o - 1, 0) for o in orgs])
    new_form_members = apportion(rest.new_form_members, weights, caps=members)
    shared = {code: Figures(*figures)
              for code, *figures in zip(others, orgs, members, new_form_orgs, new_form_members, strict=True)}
    districts = {code: exact.get(code) or shared[code] for code in district_codes}
    plan = Plan(scale=scale, city=city, districts=districts, city_unions=city_unions)
    _check(plan)
    return plan


def _city_unions(rest: Figures, scale: Decimal, other_districts: int) -> Figures:
    room = rest.orgs - OTHER_DISTRICT_MIN_ORGS * other_districts
    count = max(0, min(CITY_UNIONS, room, rest.new_form_orgs))
    members = min(scaled(CITY_UNION_MEMBERS * count, scale), rest.new_form_members)
    return Figures(count, members, count, members)


def _check(plan: Plan) -> None:
    total = sum(plan.districts.values(), ZERO) + plan.city_unions + Figures(1, 0, 0, 0)
    problems = []
    if total != plan.city:
        problems.append(f"the districts add up to {total}, not {plan.city}")
    for code, f in plan.districts.items():
        if min(f.as_tuple()) < 0 or f.orgs < 1:
            problems.append(f"{code} would have {f}")
        elif f.new_form_orgs > f.orgs - 1 or f.new_form_members > f.members:
            problems.append(f"{code} cannot hold {f}")
    if problems:
        raise DemoError(f"The scale {scale_label(plan.scale)} is too small to build the demo: {'; '.join(problems)}.")
