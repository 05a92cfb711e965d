"""The demo's members: how many in each union, and one row per person, ready for a bulk write.

Every count is decided first, exactly (``apportion``), then rows are streamed union by union:
nothing holds three million members in memory. Personal data is protected exactly as
``members.services.member_create`` does it (``pii.protect`` and the same masks); the plain ID
numbers and phones exist only while a row is built.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass

from gonghui.core import pii
from gonghui.core.dates import add_years
from gonghui.core.ids import mask_id_number, mask_phone
from gonghui.demo import pools
from gonghui.demo.calibration import apportion
from gonghui.demo.identity import REFERENCE_DATE, IdSpace
from gonghui.demo.tree import DistrictTree, OrgSpec
from gonghui.members.models import MemberStatus
from gonghui.members.services import card_number_for
from gonghui.orgs.models import OrgKind

# The columns the generator fills, in the order of each row.
COLUMNS = (
    "id", "org_id", "org_path", "name", "id_hash", "id_cipher", "id_masked", "birth_date", "sex", "region_code",
    "phone_hash", "phone_cipher", "phone_masked", "pii_key_id", "category", "is_new_form", "employer", "joined_on",
    "left_on", "status", "card_number", "user_id", "created_at", "updated_at",
)
NEW_FORM_IN_NEW_FORM_UNIONS = (4, 5)  # 80 % of new-form workers are in new-form unions, the rest elsewhere
LEFT_PER_HUNDRED = 2  # members who left, beside the active ones (not counted)
WITHOUT_PHONE = 0.04
# Unions covering many small firms are bigger and hold more of the new-form workers outside
# new-form unions.
_SIZE_FACTOR = {OrgKind.JOINT: 3, OrgKind.INDUSTRY: 2}
# Joining years: the union grows every year; new-form workers joined from the 2018 drive on.
_JOIN_YEARS = [year for year in range(2005, 2026) for _ in range(4 + year - 2005)]
_NEW_FORM_JOIN_YEARS = [year for year, w in zip(range(2018, 2026), (4, 6, 8, 10, 12, 12, 10, 8), strict=True)
                        for _ in range(w)]
_ERA_BORN_FROM = 1990  # given names of the "new" pool from here on


@dataclass(frozen=True)
class UnionMembers:
    org: OrgSpec
    active: int
    new_form: int  # of the active
    left: int


def plan_members(tree: DistrictTree, rng: random.Random) -> list[UnionMembers]:
    """How many active, new-form and departed members each union of the district holds."""
    leaves, figures = tree.leaves, tree.figures
    if not leaves:
        return []
    new_form = [i for i, org in enumerate(leaves) if org.is_new_form]
    others = [i for i, org in enumerate(leaves) if not org.is_new_form]
    in_new_form = _members_in_new_form_unions(figures.members, figures.new_form_members, len(new_form), len(others))
    sizes = [0] * len(leaves)
    for group, total in ((new_form, in_new_form), (others, figures.members - in_new_form)):
        weights = [_size_weight(leaves[i].kind, rng) for i in group]
        for i, size in zip(group, apportion(total, weights, floor=1), strict=True):
            sizes[i] = size
    new_form_counts = [0] * len(leaves)
    inside = min(figures.new_form_members, in_new_form)
    outside = figures.new_form_members - inside
    group_caps = [sizes[i] for i in new_form]
    for i, n in zip(new_form, apportion(inside, group_caps, caps=group_caps), strict=True):
        new_form_counts[i] = n
    weights = [sizes[i] * _SIZE_FACTOR.get(leaves[i].kind, 1) for i in others]
    for i, n in zip(others, apportion(outside, weights, caps=[sizes[i] for i in others]), strict=True):
        new_form_counts[i] = n
    return [
        UnionMembers(org, sizes[i], new_form_counts[i], (sizes[i] * LEFT_PER_HUNDRED + rng.randrange(100)) // 100)
        for i, org in enumerate(leaves)
    ]


def _members_in_new_form_unions(members: int, new_form_members: int, new_form_unions: int, other_unions: int) -> int:
    if not new_form_unions:
        return 0
    if not other_unions:
        return members
    num, den = NEW_FORM_IN_NEW_FORM_UNIONS
    wanted = max(new_form_unions, new_form_members * num // den)  # each new-form union has a member
    return max(0, min(wanted, members - other_unions, members))  # and so has every other union


def _size_weight(kind: str, rng: random.Random) -> int:
    # Most unions are small and a few are big: the smaller of two random exponents favours small ones.
    exponent = min(rng.randrange(11), rng.randrange(11))
    return (1 << exponent) * rng.randint(8, 15) * _SIZE_FACTOR.get(kind, 1)


class MemberRows:
    """Rows of one district (or the city-level unions), in order, with ids from ``first_id``."""

    def __init__(self, tree: DistrictTree, space: IdSpace, *, scale_label: str, first_id: int, stamp):
        self.tree = tree
        self.space = space
        self.label = tree.district.code if tree.district else "NB (city-level unions)"
        self.rng = random.Random(f"gonghui-demo:{scale_label}:members:{self.label}")
        self.plan = plan_members(tree, self.rng)
        self.first_id = first_id
        self.stamp = stamp  # created_at / updated_at, already adapted for the database
        self.names = pools.person_names()
        self.categories = [c for c, _ in pools.CATEGORY_WEIGHTS]
        self.category_weights = [w for _, w in pools.CATEGORY_WEIGHTS]

    @property
    def count(self) -> int:
        return sum(u.active + u.left for u in self.plan)

    def __iter__(self) -> Iterator[tuple]:
        index = 0
        for union in self.plan:
            if union.active and union.new_form == union.active:
                new_form_slots = range(union.active)
            else:
                new_form_slots = set(self.rng.sample(range(union.active), union.new_form))
            for n in range(union.active + union.left):
                active = n < union.active
                is_new_form = n in new_form_slots if active else union.org.is_new_form
                yield self._row(union.org, index, active=active, is_new_form=is_new_form)
                index += 1

    def _row(self, org: OrgSpec, index: int, *, active: bool, is_new_form: bool) -> tuple:
        rng = self.rng
        category = self._category(org) if is_new_form else ""
        kind = pools.NEW_FORM_KIND_BY_CATEGORY.get(category)
        male = rng.random() < (kind.male_share if kind and not org.is_new_form else org.male_share)
        slot = self.space.slot(index)
        number = slot.id_number(male=male)
        ident = pii.protect("id", number, mask_id_number(number))
        phone = None
        if rng.random() >= WITHOUT_PHONE:
            raw = f"{pools.PHONE_PREFIXES[rng.randrange(len(pools.PHONE_PREFIXES))]}{rng.randrange(10**8):08d}"
            phone = pii.protect("phone", raw, mask_phone(raw))
        era = "new" if slot.birth_date.year >= _ERA_BORN_FROM else "old"
        sex = "M" if male else "F"
        name = (self.names.surnames[rng.getrandbits(pools.POOL_BITS)]
                + self.names.given[(sex, era)][rng.getrandbits(pools.POOL_BITS)])
        joined = self._joined(slot.birth_date, is_new_form and active)
        left_on = None if active else self._left(joined)
        pk = self.first_id + index
        return (
            pk, org.pk, org.path, name, ident.hash, ident.cipher, ident.masked, slot.birth_date, sex, slot.region,
            phone.hash if phone else "", phone.cipher if phone else None, phone.masked if phone else "",
            ident.key_id, category, is_new_form, org.employers[rng.randrange(len(org.employers))], joined, left_on,
            MemberStatus.ACTIVE.value if active else MemberStatus.LEFT.value, card_number_for(pk), None,
            self.stamp, self.stamp,
        )

    def _category(self, org: OrgSpec) -> str:
        roll = self.rng.random()
        if org.is_new_form and roll < 0.85:
            return org.category
        if roll > 0.93:
            return ""  # a new-form worker outside the eight groups
        return self.rng.choices(self.categories, weights=self.category_weights)[0]

    def _joined(self, birth: dt.date, new_form: bool) -> dt.date:
        years = _NEW_FORM_JOIN_YEARS if new_form else _JOIN_YEARS
        year = years[self.rng.randrange(len(years))]
        start = dt.date(year, 1, 1).toordinal()
        joined = dt.date.fromordinal(start + self.rng.randrange(dt.date(year + 1, 1, 1).toordinal() - start))
        adult = _eighteenth_birthday(birth)
        if joined < adult:  # nobody joins before 18: they join within a year of it
            room = (REFERENCE_DATE - adult).days
            joined = adult + dt.timedelta(days=self.rng.randrange(min(room, 365) + 1))
        return min(joined, REFERENCE_DATE)

    def _left(self, joined: dt.date) -> dt.date:
        room = (REFERENCE_DATE - joined).days
        return joined + dt.timedelta(days=self.rng.randrange(room + 1))


def _eighteenth_birthday(birth: dt.date) -> dt.date:
    return add_years(birth, 18)
