"""Names for the demo, drawn once: people (Faker ``zh_CN``), companies, unions, employers.

Calling Faker per row would take minutes for three million members; instead each pool is drawn
once from a seeded Faker and the generator picks from it with its own seeded random numbers.
Pools have 4,096 entries so a pick is one ``getrandbits(12)``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache

from faker import Faker

from gonghui.members.models import Category

FAKER_SEED = 20_251_231
POOL_BITS = 12
POOL_SIZE = 1 << POOL_BITS

# First characters of two-character given names, by sex and by generation (born before 1990 or later).
_GIVEN_FIRST = {
    ("M", "old"): "建志国永文海晓俊家立德振春红小明华卫军伟",
    ("F", "old"): "丽晓雅玉美春秀海慧静婷琳红桂素小金彩月亚",
    ("M", "new"): "子梓浩宇一俊嘉思博皓天轩明泽承佳晨奕",
    ("F", "new"): "欣思雨诗梓可若语佳心紫一雅晨梦安依",
}


# Entries of Faker's zh_CN male given names that are not: 红霞 is a woman's name, 想 and 杨 no names.
_NOT_MALE_NAMES = frozenset({"红霞", "想", "杨"})


@dataclass(frozen=True)
class PersonNames:
    surnames: tuple[str, ...]
    given: dict[tuple[str, str], tuple[str, ...]]  # (sex, "old"/"new") -> given names


@cache
def person_names() -> PersonNames:
    fake = Faker("zh_CN")
    fake.seed_instance(FAKER_SEED)
    rng = random.Random("gonghui-demo:given-names")
    # Sampling Faker POOL_SIZE times keeps its surname frequencies (王, 李, 张 … most common).
    surnames = tuple(fake.last_name() for _ in range(POOL_SIZE))
    given = {}
    for (sex, era), firsts in _GIVEN_FIRST.items():
        single = fake.first_name_male if sex == "M" else fake.first_name_female
        names = []
        for n in range(POOL_SIZE):
            second = single()
            while second in _NOT_MALE_NAMES and sex == "M":
                second = single()
            # About 40 % single-character given names (as Faker's), the rest two characters.
            names.append(second if n % 5 < 2 or len(second) > 1 else rng.choice(firsts) + second)
        rng.shuffle(names)
        given[(sex, era)] = tuple(names)
    return PersonNames(surnames=surnames, given=given)


# Company names: brand (字号) + trade; the brands come from Faker's company prefixes of two
# characters and from pairs of characters common in Ningbo firms' names.
_BRAND_CHARS = "华鑫恒盛达泰昌隆瑞丰博远宏海天甬明东方亚金银太平安康兴旺富贵永嘉创新佳利德信诚和合美凯越腾飞舜乐"
TRADES = tuple("""
模具有限公司 电器有限公司 塑业有限公司 五金制品有限公司 机械有限公司 汽车零部件有限公司 轴承有限公司 服饰有限公司
针织有限公司 纺织品有限公司 电子有限公司 光电科技有限公司 新材料科技有限公司 化工有限公司 文具有限公司 家电有限公司
厨具有限公司 紧固件有限公司 物流有限公司 国际贸易有限公司 水产食品有限公司 食品有限公司 医疗器械有限公司
智能科技有限公司 精密制造有限公司 液压有限公司 电机有限公司 照明电器有限公司 包装材料有限公司 建设有限公司
集团股份有限公司 实业有限公司 控股集团有限公司 工贸有限公司 科技股份有限公司 港务有限公司 船舶修造有限公司
""".split())
SMALL_FIRMS = tuple(("五金厂 服装厂 塑料制品厂 机械配件厂 电器商行 餐饮店 汽修店 "
                    "建材商行 印刷厂 包装厂 美容院 超市 物业管理有限公司").split())
INDUSTRY_TRADES = tuple("""
餐饮 物业服务 建筑施工 美容美发 汽车维修 商贸流通 服装加工 模具制造 小微企业 家具制造 水产加工 文具制造 五金制造
家电制造 针织 酒店服务 医药流通 教育培训 交通运输 环卫保洁
""".split())
COMMUNITY_FIRST = "东西南北新前后上中高长石江湖山桥塘河港安康宁平兴明华永泰和福春云丰梅桃竹松柳凤"
COMMUNITY_SECOND = "湖桥塘港山溪浦岙庄园苑城河林湾浜家门"


@cache
def brands() -> tuple[str, ...]:
    fake = Faker("zh_CN")
    fake.seed_instance(FAKER_SEED)
    # Faker's two-character company prefixes (和泰, 九方, 海创 …); longer ones name other cities.
    faker_brands = {p for p in (fake.company_prefix() for _ in range(POOL_SIZE)) if len(p) == 2}
    pairs = {a + b for a in _BRAND_CHARS for b in _BRAND_CHARS if a != b}
    out = sorted(faker_brands | pairs)
    random.Random("gonghui-demo:brands").shuffle(out)
    return tuple(out)


@dataclass(frozen=True)
class NewFormKind:
    """A kind of new-form union: the group it organises, how it is named, who employs its members."""

    category: str
    weight: int  # how common such unions are
    name: str  # {brand}, {town}, {short} (district), {unit}
    brands: tuple[str, ...]
    male_share: float  # share of men among its members (national surveys: riders ~90 % men)
    units: tuple[str, ...] = ("",)


NEW_FORM_KINDS: tuple[NewFormKind, ...] = (
    NewFormKind(Category.DELIVERY_RIDER, 25, "{brand}{town}站点骑手工会", ("美团外卖", "饿了么"), 0.9),
    NewFormKind(Category.COURIER, 25, "{brand}宁波{short}{unit}工会",
                ("顺丰速运", "中通快递", "圆通速递", "韵达快递", "申通快递", "京东物流", "极兔速递", "中国邮政"), 0.85,
                ("分拨中心", "营业部", "转运中心", "网点")),
    NewFormKind(Category.TRUCK_DRIVER, 12, "{town}货车司机工会联合会", ("货拉拉", "满帮", "个体运输户"), 0.96),
    NewFormKind(Category.RIDE_HAILING_DRIVER, 10, "{brand}宁波{short}网约车司机工会",
                ("滴滴出行", "曹操出行", "T3出行", "享道出行"), 0.92),
    NewFormKind(Category.ESTATE_AGENT, 8, "{brand}{town}门店工会", ("链家", "贝壳找房", "我爱我家", "21世纪不动产", "中原地产"),
                0.6),
    NewFormKind(Category.CARE_WORKER, 6, "{town}护工护理员工会", ("颐乐园护理院", "康宁养老服务中心", "福寿康居家养老"), 0.2),
    NewFormKind(Category.DOMESTIC_WORKER, 6, "{town}家政服务员工会", ("阿姨来了家政", "好帮手家政", "小棉袄家政"), 0.08),
    NewFormKind(Category.SECURITY_GUARD, 5, "{town}保安员工会联合会", ("宁波保安服务有限公司", "甬安保安服务公司"), 0.9),
    NewFormKind(Category.MALL_PROMOTER, 3, "{brand}商场信息员工会", ("银泰百货", "万达广场", "天一广场", "印象城", "来福士广场"),
                0.35),
)
NEW_FORM_KIND_BY_CATEGORY = {k.category: k for k in NEW_FORM_KINDS}
# How a new-form worker outside a new-form union is spread over the groups.
CATEGORY_WEIGHTS = tuple((k.category, k.weight) for k in NEW_FORM_KINDS)


@dataclass(frozen=True)
class CityUnion:
    code: str
    name: str
    category: str


CITY_UNIONS = (
    CityUnion("NBI01", "宁波市物流快递行业工会", Category.COURIER),
    CityUnion("NBI02", "宁波市房产中介行业工会", Category.ESTATE_AGENT),
    CityUnion("NBI03", "宁波市医养照护行业工会", Category.CARE_WORKER),
)

# Mobile prefixes of the three carriers (the next eight digits are random; phones need not be unique).
PHONE_PREFIXES = tuple(
    "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 173 175 176 177 178 180 "
    "181 182 183 185 186 187 188 189 198 199".split()
)
