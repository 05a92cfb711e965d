"""The stations of the demo: the seeds' counts times the scale, placed inside each district.

Seed figures (宁波, whole city): 660 outdoor workers' stations, 1,275 nursing rooms, 1,635 workers'
libraries. Of these, per district: 鄞州 28 鄞工驿站 and 103 小哥驿站 (one of them a 新就业形态劳动者
服务中心); 奉化 50 stations and its 疗休养 bases (1 provincial, 10 city, 15 district); 北仑 44
stations, 43 nursing rooms, 104 libraries, 2 national "最美" stations and the 5A 司机之家; 余姚 41
stations, 7 骑手之家, 220 nursing rooms, 31 libraries. The rest of each city figure is shared among
the other districts equally. Each figure is scaled and rounded, with at least one
station where the seed counts any (so `worker` finds a station near 鄞州 at every scale).

Coordinates (WGS-84) scatter around each district's town centre (about 3 km); reviews, visits by the
`worker` login and a few reports are made so that every page and figure has something to show.
Deterministic: the same scale gives the same rows.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import time

from django.db.models import Q
from django.utils import timezone

from gonghui.core import pii
from gonghui.core.ids import mask_phone
from gonghui.core.paths import subtree_q
from gonghui.demo.calibration import scaled
from gonghui.orgs.models import Org
from gonghui.stations import rules
from gonghui.stations.models import (
    HostKind,
    Station,
    StationPhoto,
    StationReport,
    StationReview,
    StationStatus,
    StationVisit,
)
from gonghui.stations.stats import METRICS
from gonghui.stats import activity
from gonghui.stats.models import Activity

# Town centres (WGS-84) of the ten county-level divisions.
CENTRES = {
    "HS": (29.8700, 121.5000), "JB": (29.9050, 121.5550), "ZH": (29.9500, 121.6900), "BL": (29.9000, 121.8500),
    "YZ": (29.8150, 121.5600), "FH": (29.6550, 121.4050), "YY": (30.0370, 121.1550), "CX": (30.1700, 121.2650),
    "NH": (29.2900, 121.4300), "XS": (29.4750, 121.8700),
}
NAMED = {  # district → [(kind, seed count, name pattern, honour)]
    "YZ": [("outdoor_station", 28, "鄞工驿站·{town}", ""), ("courier_station", 102, "{town}小哥驿站", ""),
           ("service_centre", 1, "鄞州区新就业形态劳动者服务中心", "")],
    "FH": [("outdoor_station", 50, "{town}户外劳动者驿站", ""), ("recuperation_base", 1, "溪口省级职工疗休养基地", ""),
           ("recuperation_base", 10, "奉化市级职工疗休养基地·{town}", ""),
           ("recuperation_base", 15, "奉化区级职工疗休养基地·{town}", "")],
    "BL": [("outdoor_station", 2, "{town}最美户外劳动者驿站", "全国最美工会户外劳动者服务站点"),
           ("outdoor_station", 42, "{town}户外劳动者驿站", ""), ("nursing_room", 43, "{town}妈咪暖心小屋", ""),
           ("library", 104, "{town}职工书屋", ""), ("driver_home", 1, "北仑港区司机之家", "5A级司机之家")],
    "YY": [("outdoor_station", 41, "{town}户外劳动者驿站", ""), ("courier_station", 7, "{town}骑手之家", ""),
           ("nursing_room", 220, "{town}妈咪暖心小屋", ""), ("library", 31, "{town}职工书屋", "")],
}
CITY = {"outdoor_station": (660, "{town}户外劳动者驿站"), "nursing_room": (1275, "{town}妈咪暖心小屋"),
        "library": (1635, "{town}职工书屋")}
FACILITIES = {
    "outdoor_station": ["seats", "water", "microwave", "fridge", "climate", "first_aid", "toilet", "charging", "wifi"],
    "courier_station": ["seats", "water", "microwave", "charging", "wifi", "lockers", "toilet", "first_aid"],
    "driver_home": ["seats", "water", "microwave", "fridge", "climate", "toilet", "charging", "wifi", "lockers"],
    "nursing_room": ["seats", "water", "fridge", "climate", "nursing"],
    "library": ["seats", "water", "climate", "wifi", "books", "charging"],
    "service_centre": ["seats", "water", "microwave", "fridge", "climate", "first_aid", "toilet", "charging", "wifi",
                       "lockers", "books"],
    "recuperation_base": ["seats", "water", "climate", "first_aid", "toilet", "wifi"],
}
HOSTS = [(HostKind.BANK, "中国银行宁波{town}支行"), (HostKind.PETROL, "中国石化{town}加油站"),
         (HostKind.SHOP, "{town}便利店"), (HostKind.COMMUNITY, "{town}社区服务中心"), (HostKind.UNION, ""),
         (HostKind.ENTERPRISE, "{town}工业园区")]
STREETS = ["中山路", "人民路", "解放路", "天童路", "四明路", "钱湖路", "学士路", "福明路", "明州路", "新碶路"]
SURNAMES = "王李张刘陈杨黄赵周吴徐孙朱胡郭何林罗"


def _plan(scale) -> dict[str, list[tuple[str, int, str, str]]]:
    """district → [(kind, count, name pattern, honour)] at ``scale``."""
    from gonghui.demo.places import DISTRICT_CODES

    at_least_one = lambda n: max(1, scaled(n, scale)) if n else 0  # noqa: E731
    plan: dict[str, list] = {code: [] for code in DISTRICT_CODES}
    for code, rows in NAMED.items():
        plan[code] = [(kind, at_least_one(n), pattern, honour) for kind, n, pattern, honour in rows]
    for kind, (total, pattern) in CITY.items():
        others = [c for c in DISTRICT_CODES if not any(k == kind for k, *_rest in NAMED.get(c, []))]
        named = sum(n for rows in NAMED.values() for k, n, _p, _h in rows if k == kind)
        rest = scaled(total - named, scale)
        share, extra = divmod(rest, len(others))
        for i, code in enumerate(others):
            n = share + (1 if i < extra else 0)
            if n:
                plan[code].append((kind, n, pattern, ""))
    return plan


def load(plan, nb: Org, log, password: str) -> None:
    from gonghui.demo.places import DISTRICTS
    from gonghui.demo.services import ensure_users

    started = time.monotonic()
    log("Adding service stations: outdoor workers' stations, nursing rooms, libraries, reviews …")
    rng = random.Random(f"gonghui-demo:{plan.label}:stations")
    today = timezone.localdate()
    protect = pii.protector("phone")
    districts = {o.code: o for o in Org.objects.filter(subtree_q(nb.path), depth=nb.depth + 1)}
    towns = {d.code: d.towns for d in DISTRICTS}
    rows: list[Station] = []
    serial = 0
    for code, entries in _plan(plan.scale).items():
        district = districts.get(code)
        if district is None:
            continue
        units = [district, *Org.objects.filter(subtree_q(district.path), depth=district.depth + 1).order_by("path")]
        lat0, lon0 = CENTRES[code]
        for kind, count, pattern, honour in entries:
            for i in range(count):
                serial += 1
                town = towns[code][(serial * 7 + i) % len(towns[code])]
                host_kind, host = HOSTS[serial % len(HOSTS)]
                name = pattern.format(town=town) + (f"（{i + 1}）" if "{town}" in pattern and count > len(
                    towns[code]) else "")
                org = units[serial % len(units)] if kind not in ("service_centre", "driver_home") else district
                always = kind in ("outdoor_station", "courier_station", "driver_home") and serial % 3 != 0
                hours = {} if always else {str(d): [["08:00", "20:00"]] for d in range(7 if serial % 2 else 5)}
                phone = f"13{serial % 10}{rng.randrange(10**8):08d}"
                protected = protect(phone, mask_phone(phone))
                reviewed = today - dt.timedelta(days=rng.randrange(20, 330)) if serial % 10 else None
                if serial % 17 == 0:  # a few lapsed: due for their review a while ago
                    reviewed = today - dt.timedelta(days=rng.randrange(400, 480))
                score = rng.randrange(62, 100) if reviewed else 0
                rows.append(Station(
                    code=f"D{serial:07d}", name=name, kind=kind, org=org, org_path=org.path, host_kind=host_kind,
                    host_name=host.format(town=town), address=f"{district.name[:-3]}{town}{rng.choice(STREETS)}"
                    f"{rng.randrange(1, 999)}号", lat=round(lat0 + rng.gauss(0, 0.025), 6),
                    lon=round(lon0 + rng.gauss(0, 0.03), 6), always_open=always, hours=hours,
                    facilities="|" + "|".join(c for c in FACILITIES[kind] if rng.random() < 0.85 or c == "water") + "|",
                    contact_name=f"{SURNAMES[serial % len(SURNAMES)]}站长", phone_hash=protected.hash,
                    phone_cipher=protected.cipher, phone_masked=protected.masked, pii_key_id=protected.key_id,
                    status=StationStatus.SUSPENDED if serial % 53 == 0 else StationStatus.OPEN,
                    stars=rules.stars_for(score) if reviewed else 0, honours=honour,
                    opened_on=today - dt.timedelta(days=rng.randrange(60, 2000)), reviewed_on=reviewed,
                    review_due_on=rules.review_due(reviewed) if reviewed else None, qr_secret=secrets.token_hex(16)))
    Station.objects.bulk_create(rows, batch_size=500)
    stations = list(Station.objects.filter(subtree_q(nb.path, "org_path")).order_by("id"))
    reviews = [StationReview(station=s, org_path=s.org_path, reviewed_on=s.reviewed_on, score=max(60, s.stars * 10 + 45),
                             stars=s.stars, passed=s.stars > 0, facilities_found=s.facilities,
                             notes="年度评审：设施齐全，运行良好。")
               for s in stations if s.reviewed_on]
    StationReview.objects.bulk_create(reviews, batch_size=500)
    worker = next((u for u in _users(ensure_users, password, nb) if u.username == "worker"), None)
    near = _near_worker(stations)
    visits, reports = [], []
    if worker is not None:
        for days_ago in range(0, 30):
            for station in near[: 1 + days_ago % 2]:
                visits.append(StationVisit(station=station, org_path=station.org_path, user=worker,
                                           day=today - dt.timedelta(days=days_ago),
                                           rating=5 - days_ago % 2 if days_ago % 3 else None))
        for station, kind, text in zip(near[1:3], ("broken", "closed"), ("微波炉坏了，无法热饭。", "中午 12 点没有开门。")):
            reports.append(StationReport(station=station, org_path=station.org_path, kind=kind, text=text, user=worker,
                                         reported_on=today - dt.timedelta(days=2),
                                         due_on=today + dt.timedelta(days=5)))
    StationVisit.objects.bulk_create(visits, batch_size=500)
    StationReport.objects.bulk_create(reports)
    activity.rebuild([activity.SOURCES["stations"]])
    log(f"  {len(stations):,} stations, {len(reviews):,} reviews, {len(visits)} visits "
        f"({time.monotonic() - started:.1f} s)")


def _users(ensure_users, password, nb):
    from django.contrib.auth import get_user_model

    ensure_users(password=password, nb=nb)  # the logins exist before the visits that name them
    return list(get_user_model().objects.filter(username="worker"))


def _near_worker(stations: list[Station]) -> list[Station]:
    """Open stations nearest to the centre of 鄞州 (where `worker` rides)."""
    from gonghui.stations.geo import haversine_m

    lat, lon = CENTRES["YZ"]
    open_ones = [s for s in stations if s.status == StationStatus.OPEN]
    return sorted(open_ones, key=lambda s: (haversine_m(lat, lon, s.lat, s.lon), s.pk))[:3]


def remove(nb: Org) -> None:
    in_tree = subtree_q(nb.path, "org_path")
    for photo in StationPhoto.objects.filter(station__in=Station.objects.filter(in_tree)).only("file"):
        photo.file.delete(save=False)
    StationPhoto.objects.filter(station__in=Station.objects.filter(in_tree)).delete()
    StationReport.objects.filter(Q(in_tree) | Q(station__in=Station.objects.filter(in_tree))).delete()
    StationVisit.objects.filter(Q(in_tree) | Q(station__in=Station.objects.filter(in_tree))).delete()
    StationReview.objects.filter(Q(in_tree) | Q(station__in=Station.objects.filter(in_tree))).delete()
    Station.objects.filter(in_tree).delete()
    Activity.objects.filter(subtree_q(nb.path), metric__in=list(METRICS)).delete()
    activity.refresh_totals(METRICS)
