"""Synthetic ID numbers: valid, plausible, and unique by construction."""

from collections import Counter

from gonghui.core.ids import parse_id_number
from gonghui.demo.identity import (
    BIRTH_FIRST,
    BIRTH_LAST,
    PARTS,
    SEQUENCE_PAIRS,
    IdSpace,
    city_regions,
    district_regions,
)
from gonghui.demo.places import DISTRICTS, MIGRANT_REGIONS

NINGBO = [d.region for d in DISTRICTS]


def _space(part: int = 4) -> IdSpace:
    return IdSpace(part, district_regions(DISTRICTS[part].region, NINGBO, MIGRANT_REGIONS))


def test_the_biggest_district_fits_with_room_to_spare():
    # Yinzhou at Ningbo scale: 506,000 members and about 2 % who left.
    assert _space().size > 800_000


def test_slots_never_repeat():
    space = _space()
    n = 150_000
    slots = {(s.region, s.birth_date, s.pair) for s in map(space.slot, range(n))}
    assert len(slots) == n


def test_parts_use_disjoint_birth_dates():
    seen: set = set()
    for part in range(PARTS):
        dates = set(IdSpace(part, city_regions(NINGBO, MIGRANT_REGIONS)).dates)
        assert not dates & seen
        seen |= dates


def test_numbers_are_valid_and_carry_the_chosen_sex():
    space = _space()
    for index in range(0, 5_000, 7):
        slot = space.slot(index)
        for male in (True, False):
            info = parse_id_number(slot.id_number(male=male))
            assert info.sex == ("M" if male else "F")
            assert info.birth_date == slot.birth_date and info.region_code == slot.region
            assert BIRTH_FIRST <= info.birth_date <= BIRTH_LAST


def test_most_people_come_from_their_district_and_some_from_elsewhere():
    space = _space()
    regions = Counter(space.slot(i).region for i in range(20_000))
    home = regions["330212"] / 20_000
    migrants = sum(regions[c] for c in MIGRANT_REGIONS) / 20_000
    assert 0.4 < home < 0.6
    assert 0.2 < migrants < 0.4


def test_sequence_pairs_are_one_odd_one_even_never_000():
    assert all(m % 2 == 1 and f % 2 == 0 and f != 0 for m, f in SEQUENCE_PAIRS)
    assert len({n for pair in SEQUENCE_PAIRS for n in pair}) == 2 * len(SEQUENCE_PAIRS)
