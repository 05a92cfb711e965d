"""The nearest search against a brute-force oracle over every station, with and without filters."""

import datetime as dt
import random

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from gonghui.stations import geo, rules, selectors
from gonghui.stations.models import Station, StationStatus

NINGBO = (29.87, 121.55)


def scatter(org, n=400, seed=7):
    rng = random.Random(seed)
    kinds = ["outdoor_station", "nursing_room", "library"]
    rows = []
    for i in range(n):
        lat, lon = NINGBO[0] + rng.uniform(-0.3, 0.3), NINGBO[1] + rng.uniform(-0.4, 0.4)
        if i % 50 == 0:  # some share a place exactly: ties are ranked by id
            lat, lon = rows[-1].lat if rows else lat, rows[-1].lon if rows else lon
        rows.append(Station(code=f"T{i:06d}", name=f"驿站{i}", kind=kinds[i % 3], org=org, org_path=org.path,
                            address="宁波", lat=lat, lon=lon, always_open=i % 4 != 0,
                            hours={} if i % 4 else {str(d): [["08:00", "12:00"]] for d in range(5)},
                            facilities="|water|" if i % 2 else "|seats|", qr_secret="x",
                            status=StationStatus.SUSPENDED if i % 17 == 0 else StationStatus.OPEN))
    Station.objects.bulk_create(rows)


def oracle(lat, lon, *, limit, max_m, kind="", facility="", open_at=None):
    found = []
    for s in Station.objects.filter(status=StationStatus.OPEN):
        d = geo.haversine_m(lat, lon, s.lat, s.lon)
        if d <= max_m and (not kind or s.kind == kind) and (not facility or facility in s.facility_codes) \
                and (open_at is None or rules.is_open(s.always_open, s.hours, open_at)):
            found.append((d, s.pk))
    return sorted(found)[:limit]


@pytest.mark.django_db
@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lat=st.floats(29.5, 30.2), lon=st.floats(121.1, 122.0), limit=st.integers(1, 25),
       max_km=st.sampled_from([0.5, 2, 10, 30, 80]), kind=st.sampled_from(["", "library"]),
       facility=st.sampled_from(["", "water"]), open_at=st.sampled_from([None, dt.datetime(2026, 12, 13, 10)]))
def test_nearest_equals_the_brute_force_ranking(tree, lat, lon, limit, max_km, kind, facility, open_at):
    if not Station.objects.exists():
        scatter(tree.yz)
    got = selectors.nearest_ids(lat, lon, limit=limit, kind=kind, facility=facility, open_at=open_at,
                                max_m=max_km * 1000)
    assert got == oracle(lat, lon, limit=limit, max_m=max_km * 1000, kind=kind, facility=facility, open_at=open_at)


@pytest.mark.django_db
def test_the_full_scan_agrees(tree):
    scatter(tree.yz, n=200)
    for lat, lon in [(29.87, 121.55), (29.6, 121.2), (30.1, 121.9)]:
        assert selectors.nearest_ids(lat, lon, max_m=50_000) == selectors.full_scan_ids(lat, lon, max_m=50_000)


@pytest.mark.django_db
def test_results_carry_distance_walking_minutes_and_open_now(tree):
    scatter(tree.yz, n=60)
    results = selectors.nearest(*NINGBO, limit=5, max_m=100_000)
    assert len(results) == 5
    assert [r.metres for r in results] == sorted(r.metres for r in results)
    assert all(r.minutes == rules.walking_minutes(r.metres) for r in results)


@pytest.mark.django_db
def test_nothing_beyond_the_radius(tree):
    scatter(tree.yz, n=50)
    assert selectors.nearest(39.9, 116.4, max_m=30_000) == []  # Beijing: no station within 30 km
