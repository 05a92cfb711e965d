"""Synthetic resident ID numbers, unique city-wide by construction (no set of issued numbers).

An ID number is (region, birth date, 3-digit sequence). The birth dates from 1960 to 2007 are
split into PARTS disjoint classes (day number modulo PARTS): each district draws from its own
class, so two districts can never produce the same number. Inside a district, the member with
index ``i`` gets the slot ``(step * i + offset) mod size`` of the district's slot space — an
affine bijection, so two members never share a slot. ``step`` is close to size / golden ratio,
which spreads consecutive members evenly over the whole space.

The slot space is laid out so that an even spread gives a plausible population: the district's
own region holds most slots, the rest of Ningbo and a list of migrants' home regions fewer;
birth dates of people of working age in their thirties hold more slots than those near 18 or 65.
A slot is a *pair* of sequence numbers, one odd (male) and one even (female), so the caller
chooses the sex (riders are mostly men, domestic workers mostly women) without breaking
uniqueness.
"""

from __future__ import annotations

import datetime as dt
import random
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from math import gcd

from gonghui.core.ids import make_id_number

# Ages are counted on this day, so the same scale gives the same people whatever today is.
REFERENCE_DATE = dt.date(2025, 12, 31)
BIRTH_FIRST = dt.date(1960, 1, 1)  # 65 on the reference day
BIRTH_LAST = dt.date(2007, 12, 31)  # 18 on the reference day
PARTS = 11  # ten districts and the city-level unions
HOME_WEIGHT, NINGBO_WEIGHT, MIGRANT_WEIGHT = 40, 2, 1  # slots per region and birth-date unit

# Sequence numbers as (male, female) pairs, scrambled so numbers look issued, not counted; 000
# is never issued.
_odd = list(range(1, 1000, 2))
_even = list(range(2, 1000, 2))
random.Random("gonghui-demo:sequence").shuffle(_odd)
random.Random("gonghui-demo:sequence").shuffle(_even)
SEQUENCE_PAIRS: tuple[tuple[int, int], ...] = tuple(zip(_odd, _even))  # 499 pairs
del _odd, _even


def age_weight(age: int) -> int:
    """Pairs of sequence numbers per day of birth and slot of region, by age on REFERENCE_DATE."""
    for upto, weight in ((22, 5), (29, 10), (39, 12), (49, 11), (54, 7), (59, 4)):
        if age <= upto:
            return weight
    return 2


@dataclass(frozen=True)
class Slot:
    region: str
    birth_date: dt.date
    pair: int  # index into SEQUENCE_PAIRS

    def id_number(self, *, male: bool) -> str:
        male_seq, female_seq = SEQUENCE_PAIRS[self.pair]
        return make_id_number(self.region, self.birth_date, male_seq if male else female_seq)


class IdSpace:
    """The ID numbers one part (district) may issue, indexed 0, 1, 2, … without repetition."""

    def __init__(self, part: int, regions: Sequence[tuple[str, int]]):
        if not 0 <= part < PARTS:
            raise ValueError(f"part must be in 0..{PARTS - 1}")
        first = BIRTH_FIRST.toordinal()
        first += (part - first) % PARTS
        self.dates = [dt.date.fromordinal(o) for o in range(first, BIRTH_LAST.toordinal() + 1, PARTS)]
        units = [age_weight(_age(d)) for d in self.dates]
        self.date_starts = _starts(units)
        per_region_unit = self.date_starts[-1]
        self.regions = [code for code, _ in regions]
        self.weights = [weight for _, weight in regions]
        if max(self.weights) * max(units) > len(SEQUENCE_PAIRS):
            raise ValueError("a region and day would need more sequence numbers than exist")
        self.region_starts = _starts([w * per_region_unit for w in self.weights])
        self.size = self.region_starts[-1]
        self.step = coprime_near(self.size * 618_034 // 1_000_000, self.size)
        self.offset = self.size * 381_966 // 1_000_000 + part

    def slot(self, index: int) -> Slot:
        if not 0 <= index < self.size:
            raise IndexError(f"only {self.size} ID numbers in this part")
        j = (self.step * index + self.offset) % self.size
        r = bisect_right(self.region_starts, j) - 1
        weight = self.weights[r]
        unit, sub = divmod(j - self.region_starts[r], weight)
        d = bisect_right(self.date_starts, unit) - 1
        return Slot(self.regions[r], self.dates[d], (unit - self.date_starts[d]) * weight + sub)


def district_regions(home: str, ningbo: Sequence[str], migrants: Sequence[str]) -> list[tuple[str, int]]:
    """Most members of a district were born there; some elsewhere in Ningbo; some are migrants."""
    return ([(home, HOME_WEIGHT)] + [(code, NINGBO_WEIGHT) for code in ningbo if code != home]
            + [(code, MIGRANT_WEIGHT) for code in migrants])


def city_regions(ningbo: Sequence[str], migrants: Sequence[str]) -> list[tuple[str, int]]:
    """City-level new-form unions: couriers and carers, about half of them from other provinces."""
    return [(code, 3) for code in ningbo] + [(code, 2) for code in migrants]


def _age(birth: dt.date) -> int:
    day = REFERENCE_DATE
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _starts(sizes: Sequence[int]) -> list[int]:
    starts = [0]
    for size in sizes:
        starts.append(starts[-1] + size)
    return starts


def coprime_near(start: int, modulus: int) -> int:
    step = max(start, 1)
    while gcd(step, modulus) != 1:
        step += 1
    return step
