"""The coordinate conversion against the points every open implementation publishes, and the
search box never cutting off a point within the radius."""

import math

import pytest
from hypothesis import given, strategies as st

from gonghui.stations import geo

# coordtransform's published examples (lon, lat of 天安门 as written there; here lat, lon).
POINT = (39.915, 116.404)


def close(a, b, tol=1e-9):
    return abs(a[0] - b[0]) < tol and abs(a[1] - b[1]) < tol


def test_wgs84_to_gcj02_matches_the_published_point():
    assert close(geo.wgs84_to_gcj02(*POINT), (39.91640428150164, 116.41024449916938))


def test_bd09_to_gcj02_matches_the_published_point():
    assert close(geo.bd09_to_gcj02(*POINT), (39.90865673957631, 116.39762729119315))


def test_gcj02_to_bd09_matches_the_published_point():
    assert close(geo.gcj02_to_bd09(*POINT), (39.92133699351021, 116.41036949371029))


def test_gcj02_to_wgs84_is_close_to_the_published_one_step_inverse_and_exact_on_the_way_back():
    wgs = geo.gcj02_to_wgs84(*POINT)
    # The one-step approximation published beside it is within a metre of the exact inverse.
    assert geo.haversine_m(*wgs, 39.91359571849836, 116.39775550083061) < 1.0
    assert close(geo.wgs84_to_gcj02(*wgs), POINT, 1e-9)


def test_a_point_outside_china_is_not_shifted():
    assert geo.to_wgs84(48.8566, 2.3522, geo.GCJ02) == (48.8566, 2.3522)


@given(st.floats(22.0, 45.0), st.floats(100.0, 125.0))
def test_the_inverses_round_trip_inside_china(lat, lon):
    assert geo.haversine_m(*geo.gcj02_to_wgs84(*geo.wgs84_to_gcj02(lat, lon)), lat, lon) < 0.01
    gcj = geo.wgs84_to_gcj02(lat, lon)
    back = geo.bd09_to_gcj02(*geo.gcj02_to_bd09(*gcj))
    assert geo.haversine_m(*back, *gcj) < 1.0  # Baidu's own rotation is not exactly invertible


def test_the_ningbo_offset_is_a_few_hundred_metres():
    lat, lon = 29.8683, 121.5440  # 宁波 天一广场 (WGS-84)
    shift = geo.haversine_m(lat, lon, *geo.wgs84_to_gcj02(lat, lon))
    assert 300 < shift < 700


def test_haversine_of_a_known_distance():
    # One degree of latitude on the mean sphere.
    assert geo.haversine_m(29.0, 121.0, 30.0, 121.0) == pytest.approx(math.radians(1) * geo.EARTH_RADIUS_M)


@given(st.floats(18.0, 53.0), st.floats(74.0, 134.0), st.floats(10, 50_000), st.floats(0, 2 * math.pi),
       st.floats(0, 1))
def test_the_box_holds_every_point_within_the_radius(lat, lon, radius, bearing, fraction):
    d = radius * fraction / geo.EARTH_RADIUS_M
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(bearing))
    l2 = l1 + math.atan2(math.sin(bearing) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    plat, plon = math.degrees(p2), math.degrees(l2)
    min_lat, max_lat, min_lon, max_lon = geo.bounding_box(lat, lon, radius)
    assert min_lat - 1e-9 <= plat <= max_lat + 1e-9 and min_lon - 1e-9 <= plon <= max_lon + 1e-9
