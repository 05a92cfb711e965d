"""The demo union tree: NB → districts → townships → grassroots unions, with materialised paths.

Paths are computed here the way treebeard's MP_Node computes them (``steplen`` characters of
its alphabet per level, children numbered from 1), so the whole tree is one bulk insert
instead of 21,000 ``add_child`` calls that each read and update their parent.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from gonghui.core.ids import CREDIT_CODE_CHARS, make_credit_code
from gonghui.demo import pools
from gonghui.demo.calibration import Figures, Plan, apportion
from gonghui.demo.identity import coprime_near
from gonghui.demo.places import CITY_NAME, DISTRICTS, District
from gonghui.orgs.models import Org, OrgKind

# Shares of the grassroots unions that are not new-form unions (Ningbo: mostly single-firm unions).
GRASSROOTS_MIX = ((OrgKind.ENTERPRISE, 80), (OrgKind.JOINT, 12), (OrgKind.INDUSTRY, 8))
KIND_LETTER = {OrgKind.ENTERPRISE: "E", OrgKind.JOINT: "J", OrgKind.INDUSTRY: "I", OrgKind.NEW_FORM: "N"}
UNIONS_PER_TOWNSHIP = 12  # at small scales: one township per dozen unions, up to the real number
NAME_ATTEMPTS = 8
# Trades whose workforce is mostly men or mostly women (the rest: 55 % men).
_MALE_TRADES = ("机械", "模具", "港务", "船舶", "建设", "物流", "液压", "紧固件", "汽车")
_FEMALE_TRADES = ("服饰", "针织", "纺织", "文具", "食品")


@dataclass(slots=True)
class OrgSpec:
    """One union to insert, and what the member generator needs to know about it."""

    path: str
    code: str
    name: str
    kind: str
    is_new_form: bool = False
    credit_code: str = ""
    numchild: int = 0
    category: str = ""  # the group a new-form union organises
    employers: tuple[str, ...] = ("",)
    male_share: float = 0.55
    pk: int | None = None

    @property
    def depth(self) -> int:
        return len(self.path) // Org.steplen

    def as_model(self) -> Org:
        return Org(path=self.path, depth=self.depth, numchild=self.numchild, code=self.code, name=self.name,
                   kind=self.kind, is_new_form=self.is_new_form, credit_code=self.credit_code)


@dataclass
class DistrictTree:
    district: District | None  # None: the city-level unions directly under NB
    figures: Figures
    part: int  # which slice of ID numbers its members get (see identity.PARTS)
    root: OrgSpec | None  # None for the city-level unions, which have no common root below NB
    orgs: list[OrgSpec] = field(default_factory=list)  # the root included
    leaves: list[OrgSpec] = field(default_factory=list)  # where members are


@dataclass
class CityTree:
    root: OrgSpec
    parts: list[DistrictTree]

    @property
    def orgs(self) -> list[OrgSpec]:
        return [self.root] + [org for part in self.parts for org in part.orgs]


def child_path(parent: str, step: int) -> str:
    """The path of the ``step``-th child (from 1), as treebeard's MP_Node._get_path builds it."""
    digits = ""
    while step:
        step, rest = divmod(step, len(Org.alphabet))
        digits = Org.alphabet[rest] + digits
    if len(digits) > Org.steplen:
        raise ValueError("too many children for one union")
    return parent + digits.rjust(Org.steplen, Org.alphabet[0])


def build_city(plan: Plan, root_path: str) -> CityTree:
    root = OrgSpec(path=root_path, code="NB", name=CITY_NAME, kind=OrgKind.CITY)
    names = CompanyNamer()
    parts = []
    for part, district in enumerate(DISTRICTS):
        rng = random.Random(f"gonghui-demo:{plan.label}:tree:{district.code}")
        path = child_path(root_path, part + 1)
        parts.append(_build_district(district, plan.districts[district.code], path, part, rng, names))
    parts.append(_build_city_unions(plan.city_unions, root_path, len(DISTRICTS)))
    root.numchild = len(DISTRICTS) + plan.city_unions.orgs
    return CityTree(root=root, parts=parts)


def _build_city_unions(figures: Figures, root_path: str, first_step: int) -> DistrictTree:
    unions = []
    for n, union in enumerate(pools.CITY_UNIONS[: figures.orgs]):
        kind = pools.NEW_FORM_KIND_BY_CATEGORY[union.category]
        unions.append(OrgSpec(path=child_path(root_path, first_step + n + 1), code=union.code, name=union.name,
                              kind=OrgKind.INDUSTRY, is_new_form=True, category=union.category,
                              employers=kind.brands, male_share=kind.male_share))
    return DistrictTree(district=None, figures=figures, part=len(DISTRICTS), root=None, orgs=unions,
                        leaves=list(unions))


def township_count(rest: int, new_form: int, towns: int) -> int:
    """Townships under a district holding ``rest`` unions besides itself, ``new_form`` of them new-form."""
    if rest < 2:
        return 0  # a lone grassroots union hangs directly under the district
    wanted = min(towns, max(1, -(-rest // UNIONS_PER_TOWNSHIP)))
    return max(0, min(wanted, rest - new_form))  # every new-form union must stay a grassroots union


def _build_district(district: District, figures: Figures, path: str, part: int, rng: random.Random,
                    names: CompanyNamer) -> DistrictTree:
    root = OrgSpec(path=path, code=district.code, name=district.union_name, kind=OrgKind.DISTRICT,
                   employers=(district.union_name,))
    tree = DistrictTree(district=district, figures=figures, part=part, root=root, orgs=[root])
    rest = figures.orgs - 1
    if rest == 0:
        tree.leaves.append(root)  # only at the smallest scales: members sit with the district itself
        return tree
    towns = township_count(rest, figures.new_form_orgs, len(district.towns))
    kinds = _grassroots_kinds(rest - towns, figures.new_form_orgs, rng)
    if towns == 0:
        parents = [(root, "", 0)]
        sizes = [len(kinds)]
    else:
        chosen = sorted(rng.sample(range(len(district.towns)), towns))
        parents = []
        for number, index in enumerate(chosen, 1):
            town = district.towns[index]
            org = OrgSpec(path=child_path(path, number), code=f"{district.code}{number:02d}", name=f"{town}总工会",
                          kind=OrgKind.TOWNSHIP)
            tree.orgs.append(org)
            parents.append((org, town, number))
        root.numchild = towns
        sizes = apportion(len(kinds), [rng.randint(2, 10) for _ in parents], floor=1)
    namer = _DistrictNamer(district, rng, names)
    at = 0
    for (parent, town, number), size in zip(parents, sizes, strict=True):
        for step, kind in enumerate(kinds[at: at + size], 1):
            org = namer.grassroots(kind, town, path=child_path(parent.path, step),
                                   code=f"{district.code}{number:02d}{KIND_LETTER[kind]}{step:04d}")
            tree.orgs.append(org)
            tree.leaves.append(org)
        parent.numchild = size
        at += size
    return tree


def _grassroots_kinds(count: int, new_form: int, rng: random.Random) -> list[str]:
    mix = apportion(count - new_form, [weight for _, weight in GRASSROOTS_MIX])
    kinds = [OrgKind.NEW_FORM] * new_form
    for (kind, _), n in zip(GRASSROOTS_MIX, mix, strict=True):
        kinds += [kind] * n
    rng.shuffle(kinds)
    return kinds


class CompanyNamer:
    """Company names and credit codes, unique city-wide: the n-th company of the whole run gets
    the n-th (brand, trade) pair of an affine permutation, and a credit code from another one."""

    def __init__(self) -> None:
        self.brands = pools.brands()
        self.space = len(self.brands) * len(pools.TRADES)
        self.step = coprime_near(self.space * 618_034 // 1_000_000, self.space)
        self.count = 0

    def next(self) -> tuple[str, str, int]:
        """(brand, trade, serial) of the next company."""
        n = (self.count * self.step + 13) % self.space
        self.count += 1
        brand, trade = divmod(n, len(pools.TRADES))
        return self.brands[brand], pools.TRADES[trade], self.count


def credit_code(region: str, serial: int, new_style: bool) -> str:
    """A GB 32100 code: 9 (registered by market regulation) 1 (enterprise), region, org code, check.

    The org code (GB 11714) is 8 characters and its own check character: old codes are digits,
    codes issued since 2015 start with MA. Both are bijections of the serial, so codes are unique.
    """
    if new_style:
        n = (serial * 104_729) % (31 ** 6)
        body = "MA"
        for _ in range(6):
            n, rest = divmod(n, 31)
            body += CREDIT_CODE_CHARS[rest]
    else:
        body = f"{(serial * 7_368_787) % 10 ** 8:08d}"
    return make_credit_code(f"91{region}{body}{_org_code_check(body)}")


def _org_code_check(body: str) -> str:
    total = sum(int(c, 36) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def _male_share(trade: str) -> float:
    if any(word in trade for word in _MALE_TRADES):
        return 0.75
    if any(word in trade for word in _FEMALE_TRADES):
        return 0.35
    return 0.55


class _DistrictNamer:
    """Names of a district's grassroots unions, unique within the district."""

    def __init__(self, district: District, rng: random.Random, companies: CompanyNamer):
        self.district = district
        self.rng = rng
        self.companies = companies
        self.used: set[str] = set()
        self.brands = pools.brands()
        self.new_form_count = 0

    def grassroots(self, kind: str, town: str, *, path: str, code: str) -> OrgSpec:
        make = {OrgKind.ENTERPRISE: self._enterprise, OrgKind.JOINT: self._joint,
                OrgKind.INDUSTRY: self._industry, OrgKind.NEW_FORM: self._new_form}[kind]
        # A name already taken in the district (two 饿了么 rider unions in one street) is drawn
        # again a few times; only then does it get a number.
        for _ in range(NAME_ATTEMPTS):
            org = make(town or self.district.place, path=path, code=code)
            if org.name not in self.used:
                break
        org.name = self._unique(org.name)
        return org

    def _enterprise(self, town: str, *, path: str, code: str) -> OrgSpec:
        brand, trade, serial = self.companies.next()
        roll = self.rng.random()
        place = "宁波" if roll < 0.5 else self.district.place if roll < 0.85 else "浙江"
        company = f"{place}{brand}{trade}"
        share = _male_share(trade)
        union = "工会委员会" if self.rng.random() < 0.6 else "工会"
        return OrgSpec(path=path, code=code, name=company + union, kind=OrgKind.ENTERPRISE,
                       credit_code=credit_code(self.district.region, serial, self.rng.random() < 0.5),
                       employers=(company,), male_share=share)

    def _joint(self, town: str, *, path: str, code: str) -> OrgSpec:
        return OrgSpec(path=path, code=code, name=f"{town}{self._place(town)}联合工会", kind=OrgKind.JOINT,
                       employers=self._small_firms(town, self.rng.choice(pools.SMALL_FIRMS), 6))

    def _industry(self, town: str, *, path: str, code: str) -> OrgSpec:
        trade = self.rng.choice(pools.INDUSTRY_TRADES)
        name = f"{town}{trade}行业工会"
        if name in self.used:  # a big township has several, by village or community
            name = f"{town}{self._place(town)}{trade}行业工会"
        return OrgSpec(path=path, code=code, name=name, kind=OrgKind.INDUSTRY,
                       employers=self._small_firms(town, self.rng.choice(pools.SMALL_FIRMS), 8))

    def _new_form(self, town: str, *, path: str, code: str) -> OrgSpec:
        if self.new_form_count == 0:
            kind = pools.NEW_FORM_KINDS[0]  # every district's first new-form union organises riders
        else:
            kind = self.rng.choices(pools.NEW_FORM_KINDS, weights=[k.weight for k in pools.NEW_FORM_KINDS])[0]
        self.new_form_count += 1
        brand = self.rng.choice(kind.brands)
        name = kind.name.format(brand=brand, town=town, short=self.district.short, unit=self.rng.choice(kind.units))
        employers = (brand,) if "{brand}" in kind.name else kind.brands
        return OrgSpec(path=path, code=code, name=name, kind=OrgKind.NEW_FORM, is_new_form=True,
                       category=kind.category, employers=employers, male_share=kind.male_share)

    def _place(self, town: str) -> str:
        """A community (streets), village (towns) or small-firm park name, e.g. 东湖社区, 西塘村."""
        place = self.rng.choice(pools.COMMUNITY_FIRST) + self.rng.choice(pools.COMMUNITY_SECOND)
        if town.endswith("街道"):
            return place + "社区"
        return place + ("村" if town.endswith(("镇", "乡")) else "小微企业园")

    def _small_firms(self, town: str, default_trade: str, count: int) -> tuple[str, ...]:
        short = town.removesuffix("街道").removesuffix("镇").removesuffix("乡")
        firms = []
        for _ in range(count):
            trade = default_trade if self.rng.random() < 0.5 else self.rng.choice(pools.SMALL_FIRMS)
            firms.append(f"{short}{self.brands[self.rng.getrandbits(pools.POOL_BITS) % len(self.brands)]}{trade}")
        return tuple(firms)

    def _unique(self, name: str) -> str:
        candidate, n = name, 1
        while candidate in self.used:
            n += 1
            candidate = f"{name}（{n}）"
        self.used.add(candidate)
        return candidate
