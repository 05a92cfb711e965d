"""What a deployment may configure about stations, each read from a setting with a working default.

- ``STATION_KINDS``: ``[(code, label), …]`` — the kinds of station (the order of filters and menus).
- ``STATION_FACILITIES``: ``[(code, label, icon), …]`` — the checklist a station and a review tick.
- ``STATION_STAR_RULES``: ``[(min_score, stars), …]`` — highest first; below the last one a review fails.
- ``STATION_REVIEW_VALID_DAYS`` / ``STATION_REVIEW_GRACE_DAYS``: how long a passed review holds.
- ``STATION_REPORT_DAYS``: the deadline the operating union gets to deal with a worker's report.
- ``STATION_TILE_URL`` (or the environment variable ``GONGHUI_STATION_TILE_URL``): the map's tile
  server, a Leaflet URL template; empty: no tiles (a plain background: tests and screenshots).
- ``STATION_TILE_ATTRIBUTION``: the attribution shown on the map.
- ``STATION_MAX_KM``: the largest radius the nearest search looks in.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.utils.translation import gettext_lazy as _, pgettext_lazy

DEFAULT_KINDS = (
    ("outdoor_station", _("Outdoor workers' station")),
    ("courier_station", _("Couriers' and riders' station")),
    ("driver_home", _("Drivers' home")),
    ("nursing_room", _("Nursing room")),
    ("library", _("Workers' library")),
    ("service_centre", _("New-form workers' service centre")),
    ("recuperation_base", _("Recuperation base")),
    ("craftsman_school", _("Craftsman school")),
)

DEFAULT_FACILITIES = (
    ("seats", _("Seats"), "person-arms-up"),
    ("water", _("Drinking water"), "droplet"),
    ("microwave", _("Microwave"), "fire"),
    ("fridge", _("Fridge"), "snow2"),
    ("climate", _("Heating and cooling"), "thermometer-sun"),
    ("first_aid", _("First-aid kit"), "bandaid"),
    ("toilet", _("Toilet nearby"), "badge-wc"),
    ("charging", _("Phone charging"), "battery-charging"),
    ("wifi", pgettext_lazy("stations", "Wi-Fi"), "wifi"),
    ("lockers", _("Lockers"), "archive"),
    ("books", _("Books"), "book"),
    ("nursing", _("Nursing corner"), "heart"),
)

# The words cadres write in a spreadsheet for each default kind and facility (besides the code and label).
ALIASES = {
    "outdoor_station": ("户外劳动者驿站", "户外劳动者服务站点", "驿站", "鄞工驿站"),
    "courier_station": ("小哥驿站", "骑手之家", "快递小哥驿站"),
    "driver_home": ("司机之家",),
    "nursing_room": ("妈咪暖心小屋", "母婴室", "爱心妈妈小屋"),
    "library": ("职工书屋",),
    "service_centre": ("新就业形态劳动者服务中心", "服务中心"),
    "recuperation_base": ("疗休养基地",),
    "craftsman_school": ("工匠学堂",),
    "seats": ("座椅", "桌椅"),
    "water": ("饮用水", "饮水机", "热水"),
    "microwave": ("微波炉",),
    "fridge": ("冰箱",),
    "climate": ("空调", "暖气", "冷暖空调"),
    "first_aid": ("急救箱", "药箱", "医药箱"),
    "toilet": ("厕所", "卫生间", "附近厕所"),
    "charging": ("充电", "手机充电", "充电宝"),
    "wifi": ("wifi", "无线网络", "WiFi", "Wi-Fi"),
    "lockers": ("储物柜",),
    "books": ("图书", "书籍"),
    "nursing": ("哺乳", "哺乳室", "母婴设施"),
}

DEFAULT_STAR_RULES = ((90, 5), (80, 4), (70, 3), (60, 2))
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
WALKING_METRES_PER_MINUTE = 75  # 4.5 km/h, on the straight line (a first estimate, said as such)


def kinds() -> dict[str, object]:
    return dict(getattr(settings, "STATION_KINDS", None) or DEFAULT_KINDS)


def facilities() -> dict[str, tuple[object, str]]:
    """code → (label, Bootstrap icon)."""
    return {code: (label, icon) for code, label, icon in (getattr(settings, "STATION_FACILITIES", None)
                                                          or DEFAULT_FACILITIES)}


def star_rules() -> tuple[tuple[int, int], ...]:
    rules = getattr(settings, "STATION_STAR_RULES", None) or DEFAULT_STAR_RULES
    return tuple(sorted(((int(s), int(n)) for s, n in rules), reverse=True))


def review_valid_days() -> int:
    return int(getattr(settings, "STATION_REVIEW_VALID_DAYS", 365))


def review_grace_days() -> int:
    return int(getattr(settings, "STATION_REVIEW_GRACE_DAYS", 30))


def report_days() -> int:
    return int(getattr(settings, "STATION_REPORT_DAYS", 7))


def max_km() -> float:
    return float(getattr(settings, "STATION_MAX_KM", 30))


def tile_url() -> str:
    configured = getattr(settings, "STATION_TILE_URL", None)
    if configured is not None:
        return configured
    return os.environ.get("GONGHUI_STATION_TILE_URL", OSM_TILES)


def tile_attribution() -> str:
    return getattr(settings, "STATION_TILE_ATTRIBUTION", None) or os.environ.get(
        "GONGHUI_STATION_TILE_ATTRIBUTION", OSM_ATTRIBUTION)
