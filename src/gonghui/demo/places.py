"""Where the demo lives: Ningbo's districts, their townships, and the regions of ID numbers."""

from __future__ import annotations

from dataclasses import dataclass

CITY_NAME = "宁波市总工会"


@dataclass(frozen=True)
class District:
    code: str  # the union code (stable, used in URLs)
    union_name: str
    place: str  # how a local company name starts, e.g. 宁波市鄞州区 / 余姚市
    short: str
    region: str  # the administrative division code: ID numbers and credit codes of the district
    towns: tuple[str, ...]  # streets (街道), towns (镇), townships (乡) and parks, in official order


def _towns(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# The ten county-level divisions of Ningbo in the official order, with their real streets and towns.
DISTRICTS: tuple[District, ...] = (
    District("HS", "海曙区总工会", "宁波市海曙区", "海曙", "330203", _towns(
        "南门街道 西门街道 江厦街道 鼓楼街道 月湖街道 白云街道 段塘街道 望春街道 石碶街道 集士港镇 古林镇 高桥镇 "
        "横街镇 鄞江镇 洞桥镇 章水镇 龙观乡")),
    District("JB", "江北区总工会", "宁波市江北区", "江北", "330205", _towns(
        "中马街道 白沙街道 孔浦街道 文教街道 甬江街道 庄桥街道 洪塘街道 慈城镇 江北高新技术产业园区")),
    District("ZH", "镇海区总工会", "宁波市镇海区", "镇海", "330211", _towns(
        "招宝山街道 蛟川街道 骆驼街道 庄市街道 贵驷街道 澥浦镇 九龙湖镇 宁波石化经济技术开发区")),
    District("BL", "北仑区总工会", "宁波市北仑区", "北仑", "330206", _towns(
        "新碶街道 小港街道 大碶街道 霞浦街道 柴桥街道 戚家山街道 春晓街道 梅山街道 大榭街道 白峰街道 郭巨街道")),
    District("YZ", "鄞州区总工会", "宁波市鄞州区", "鄞州", "330212", _towns(
        "梅墟街道 中河街道 首南街道 福明街道 白鹤街道 百丈街道 东胜街道 明楼街道 东柳街道 东郊街道 潘火街道 "
        "钟公庙街道 下应街道 邱隘镇 五乡镇 东吴镇 姜山镇 咸祥镇 瞻岐镇 塘溪镇 横溪镇 云龙镇 鄞州经济开发区")),
    District("FH", "奉化区总工会", "宁波市奉化区", "奉化", "330213", _towns(
        "锦屏街道 岳林街道 江口街道 西坞街道 萧王庙街道 方桥街道 溪口镇 莼湖镇 尚田镇 松岙镇 裘村镇 大堰镇")),
    District("YY", "余姚市总工会", "余姚市", "余姚", "330281", _towns(
        "凤山街道 阳明街道 梨洲街道 兰江街道 低塘街道 朗霞街道 泗门镇 小曹娥镇 临山镇 黄家埠镇 马渚镇 牟山镇 "
        "丈亭镇 三七市镇 河姆渡镇 大隐镇 陆埠镇 梁弄镇 大岚镇 四明山镇 鹿亭乡 余姚经济开发区")),
    District("CX", "慈溪市总工会", "慈溪市", "慈溪", "330282", _towns(
        "浒山街道 白沙路街道 古塘街道 坎墩街道 宗汉街道 观海卫镇 周巷镇 新浦镇 庵东镇 逍林镇 胜山镇 横河镇 "
        "崇寿镇 长河镇 匡堰镇 桥头镇 掌起镇 附海镇 龙山镇 慈溪高新技术产业开发区")),
    District("NH", "宁海县总工会", "宁海县", "宁海", "330226", _towns(
        "跃龙街道 桃源街道 梅林街道 桥头胡街道 长街镇 力洋镇 一市镇 岔路镇 前童镇 黄坛镇 大佳何镇 强蛟镇 西店镇 "
        "深甽镇 胡陈乡 茶院乡 越溪乡 宁海经济开发区")),
    District("XS", "象山县总工会", "象山县", "象山", "330225", _towns(
        "丹东街道 丹西街道 爵溪街道 石浦镇 西周镇 鹤浦镇 贤庠镇 墙头镇 泗洲头镇 定塘镇 涂茨镇 大徐镇 新桥镇 东陈乡 "
        "晓塘乡 黄避岙乡 茅洋乡 高塘岛乡")),
)
DISTRICT_CODES = tuple(d.code for d in DISTRICTS)

# Where Ningbo's migrant workers come from: one county-level division code each (ID numbers).
MIGRANT_REGIONS = (
    "340102", "341202", "341621", "341321", "360121", "360702", "520102", "520302", "511321", "510104",
    "410102", "411302", "430102", "431102", "500101", "530102", "420102", "330302", "331002", "330102",
    "450102", "610102", "370102", "320102",
)
