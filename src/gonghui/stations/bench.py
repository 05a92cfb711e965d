"""`gonghui bench stations`: the nearest 10 stations to random points among 200,000 (national scale).

Method. On the loaded database:

1. ``--stations`` scratch stations (default 200,000, codes ``BCH…``) are written under the first top-level
   union (a scratch one when there is none): 85 % clustered around 400 towns spread over eastern and central
   China (about 8 km around each), 15 % scattered over the whole country; then ANALYZE;
2. ``--queries`` points (default 300): 90 % where people are (a random station's place, moved up to 3 km),
   10 % anywhere in the country (the search grows its box until the largest radius);
3. timed, for each point: ``selectors.nearest`` as the member pages call it — the indexed box on (lat, lon),
   exact haversine, growing the box until 10 lie within its circle or ``STATION_MAX_KM`` (30 km) is reached,
   then the 10 rows read; p50 and p95;
4. timed in the same run, on the first ``--full-scans`` points (default 30): the full-scan ranking, every open
   station read and ranked by the same haversine, then the same 10 rows read; ``vs_full_scan`` = the full
   scan's p50 ÷ the indexed search's p50;
5. ``mismatches``: the points of step 4 whose 10 (id and order) differ between the two (must be 0);
6. the scratch rows are deleted (and the scratch union, if one was made).
"""

from __future__ import annotations

import random
import secrets
import time

from django.db import connection

from gonghui.bench.common import Metric, percentile, vacuum
from gonghui.bench.extensions import Bench, Option, at_least_one

PREFIX = "BCH"
KINDS = ("outdoor_station", "courier_station", "nursing_room", "library", "driver_home")


def _root():
    from gonghui.orgs.models import Org, OrgKind

    root = Org.objects.filter(depth=1).order_by("path").first()
    if root is not None:
        return root, False
    return Org.objects.add_root({"code": "BENCH-ST", "name": "基准测试工会", "kind": OrgKind.CITY}), True


def _write(root, n: int, rng: random.Random) -> None:
    from django.db import transaction

    from gonghui.stations.models import Station

    with transaction.atomic():
        _write_rows(Station, root, n, rng)


def _write_rows(Station, root, n: int, rng: random.Random) -> None:

    towns = [(rng.uniform(22.0, 41.0), rng.uniform(103.0, 122.0)) for _ in range(400)]
    secret = secrets.token_hex(16)
    batch = []
    for i in range(n):
        if rng.random() < 0.85:
            lat0, lon0 = rng.choice(towns)
            lat, lon = lat0 + rng.gauss(0, 0.07), lon0 + rng.gauss(0, 0.08)
        else:
            lat, lon = rng.uniform(18.5, 50.0), rng.uniform(76.0, 133.0)
        batch.append(Station(code=f"{PREFIX}{i:09d}", name=f"基准驿站{i}", kind=KINDS[i % len(KINDS)], org=root,
                             org_path=root.path, address="—", lat=round(lat, 6), lon=round(lon, 6),
                             always_open=True, facilities="|water|", qr_secret=secret))
        if len(batch) == 5000:
            Station.objects.bulk_create(batch, batch_size=1000)
            batch = []
    Station.objects.bulk_create(batch, batch_size=1000)


def _analyze() -> None:
    from gonghui.stations.models import Station

    if connection.vendor == "postgresql":
        vacuum([Station])
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _points(n: int, rng: random.Random) -> list[tuple[float, float]]:
    from gonghui.stations.models import Station

    ids = list(Station.objects.filter(code__startswith=PREFIX).values_list("id", flat=True))
    picked = Station.objects.in_bulk(rng.sample(ids, min(len(ids), n)))
    points = []
    for station in picked.values():
        if rng.random() < 0.9:
            points.append((station.lat + rng.uniform(-0.027, 0.027), station.lon + rng.uniform(-0.03, 0.03)))
        else:
            points.append((rng.uniform(18.5, 50.0), rng.uniform(76.0, 133.0)))
    rng.shuffle(points)
    return points


def run(options) -> list[Metric]:
    from gonghui.stations import conf, selectors
    from gonghui.stations.models import Station

    stations, queries, full_scans = options["stations"], options["queries"], options["full_scans"]
    rng = random.Random(20261207)
    root, scratch = _root()
    Station.objects.filter(code__startswith=PREFIX).delete()
    try:
        started = time.perf_counter()
        _write(root, stations, rng)
        load_s = time.perf_counter() - started
        _analyze()
        total = Station.objects.count()
        points = _points(queries, rng)
        max_m = conf.max_km() * 1000
        for lat, lon in points[:10]:  # warm-up
            selectors.nearest(lat, lon, limit=10, max_m=max_m)
        fast, answers = [], []
        for lat, lon in points:
            t = time.perf_counter()
            found = selectors.nearest(lat, lon, limit=10, max_m=max_m)
            fast.append((time.perf_counter() - t) * 1000)
            answers.append([n.station.pk for n in found])
        slow, mismatches = [], 0
        for (lat, lon), answer in zip(points[:full_scans], answers):
            t = time.perf_counter()
            ranked = selectors.full_scan_ids(lat, lon, limit=10, max_m=max_m)
            by_id = Station.objects.in_bulk([pk for _d, pk in ranked])
            slow.append((time.perf_counter() - t) * 1000)
            mismatches += [pk for _d, pk in ranked if pk in by_id] != answer
        p50, p95 = percentile(fast, 50), percentile(fast, 95)
        extra = {"stations": total, "queries": len(points), "limit": 10, "max_km": conf.max_km()}
        return [
            Metric("stations", "load_s", round(load_s, 1), "s", {"stations": stations}),
            Metric("stations", "p50_ms", round(p50, 2), "ms", extra),
            Metric("stations", "p95_ms", round(p95, 2), "ms", extra),
            Metric("stations", "full_scan_p50_ms", round(percentile(slow, 50), 1), "ms",
                   {"stations": total, "queries": len(slow)}),
            Metric("stations", "vs_full_scan", round(percentile(slow, 50) / p50, 1), "x",
                   {"what": "full-scan p50 / indexed p50"}),
            Metric("stations", "mismatches", mismatches, "queries (must be 0)", {"compared": len(slow)}),
        ]
    finally:
        Station.objects.filter(code__startswith=PREFIX).delete()
        if scratch:
            root.delete()
        _analyze()


def _run(options):
    return run(options)


BENCHES = [
    Bench("stations", "nearest 10 stations among 200,000 by an indexed box and haversine, beside a full scan", _run,
          options=(
              Option(("--stations",), {"type": at_least_one, "default": 200_000,
                                       "help": "scratch stations for the stations bench"}),
              Option(("--queries",), {"type": at_least_one, "default": 300,
                                      "help": "timed nearest searches (stations bench)"}),
              Option(("--full-scans",), {"type": at_least_one, "default": 30,
                                         "help": "of those, also ranked by a full scan (stations bench)"}),
          )),
]
