import pytest

from gonghui.stations import services
from gonghui.stations.models import Station, StationVisit
from tests.api.conftest import assert_json_error
from tests.stations.conftest import BL_POINT, YZ_POINT, make_station


def body(org="YZ", **extra):
    data = {"org": org, "name": "首南小哥驿站", "kind": "courier_station", "address": "鄞州区天童南路 9 号",
            "lat": YZ_POINT[0], "lon": YZ_POINT[1], "hours": "1-7 07:00-22:00", "facilities": ["water", "charging"],
            "honours": ["全国最美工会户外劳动者服务站点"]}
    data.update(extra)
    return data


@pytest.mark.django_db
def test_a_cadre_adds_and_reads_a_station(tree, yz_cadre, api_as):
    r = api_as(yz_cadre).post("/api/v1/stations", body())
    assert r.status_code == 201, r.content
    station = r.json()
    assert station["org"] == "YZ" and station["facilities"] == ["water", "charging"]
    assert station["honours"] == ["全国最美工会户外劳动者服务站点"] and station["hours"]["6"] == [["07:00", "22:00"]]
    assert api_as(yz_cadre).get(f"/api/v1/stations/{station['id']}").json()["name"] == "首南小哥驿站"
    assert api_as(yz_cadre).get("/api/v1/stations", org="YZ").json()["count"] == 1


@pytest.mark.django_db
def test_refusals_carry_their_reason(tree, yz_cadre, api_as):
    client = api_as(yz_cadre)
    assert_json_error(client.post("/api/v1/stations", body(lat=121.55, lon=29.81)), 422, "coords_swapped")
    assert_json_error(client.post("/api/v1/stations", body(hours="22:00-07:00")), 422, "hours_order")
    client.post("/api/v1/stations", body())
    assert_json_error(client.post("/api/v1/stations", body(name="又一个")), 422, "duplicate")
    assert Station.objects.count() == 1


@pytest.mark.django_db
def test_scope_outside_the_subtree(tree, yz_cadre, bl_cadre, api_as):
    station = make_station(tree.yz)
    assert_json_error(api_as(bl_cadre).get(f"/api/v1/stations/{station.pk}"), 404)
    assert_json_error(api_as(bl_cadre).get("/api/v1/stations", org="YZ"), 404)
    assert_json_error(api_as(bl_cadre).post("/api/v1/stations", body()), 404)
    assert_json_error(api_as(bl_cadre).post(f"/api/v1/stations/{station.pk}/reviews", {"score": 90}), 404)
    assert api_as(yz_cadre).post(f"/api/v1/stations/{station.pk}/reviews", {"score": 90}).status_code == 201


@pytest.mark.django_db
def test_a_worker_finds_the_nearest_and_records_a_visit(tree, worker, api_as):
    near = make_station(tree.yz)
    make_station(tree.bl, name="北仑驿站", lat=BL_POINT[0], lon=BL_POINT[1])
    client = api_as(worker)
    found = client.get("/api/v1/stations/nearest", lat=YZ_POINT[0] + 0.003, lon=YZ_POINT[1], max_km=5).json()
    assert [f["station"]["id"] for f in found] == [near.pk]
    assert 300 < found[0]["metres"] < 400 and found[0]["walking_minutes"] == 5
    wide = client.get("/api/v1/stations/nearest", lat=YZ_POINT[0], lon=YZ_POINT[1], max_km=100).json()
    assert len(wide) == 2
    key = services.qr_key(near)
    assert client.post("/api/v1/stations/visits", {"code": near.code, "key": key}).status_code == 201
    again = client.post("/api/v1/stations/visits", {"code": near.code, "key": key, "rating": 4})
    assert again.status_code == 200 and again.json()["new"] is False and StationVisit.objects.get().rating == 4
    assert_json_error(client.post("/api/v1/stations/visits", {"code": near.code, "key": "x" * 20}), 422, "qr_forged")
    r = client.post(f"/api/v1/stations/by-code/{near.code}/reports", {"kind": "broken", "text": "微波炉坏了"})
    assert r.status_code == 201 and r.json()["status"] == "open"


@pytest.mark.django_db
def test_a_worker_cannot_add_stations(tree, worker, api_as):
    assert_json_error(api_as(worker).post("/api/v1/stations", body()), 404)  # no union in their reach
