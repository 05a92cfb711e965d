import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook

from gonghui.stations import services
from gonghui.stations.models import Station, StationReport, StationVisit
from tests.stations.conftest import BL_POINT, YZ_POINT, make_station


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def yz_station(tree):
    return make_station(tree.yzt, contact_name="张站长", phone="13812345678",
                        honours="全国最美工会户外劳动者服务站点")


@pytest.mark.django_db
class TestStaffPages:
    @pytest.mark.parametrize("name", ["home", "list", "reports", "new", "import"])
    def test_each_page_renders(self, client, yz_cadre, yz_station, name):
        client.force_login(yz_cadre)
        response = client.get(reverse(f"staff:stations:{name}"))
        assert response.status_code == 200
        assert "stations/stations.js" in html(response)

    def test_the_home_counts_the_subtree(self, client, tree, yz_cadre, yz_station):
        make_station(tree.bl, name="北仑驿站", lat=BL_POINT[0], lon=BL_POINT[1])
        client.force_login(yz_cadre)
        body = html(client.get(reverse("staff:stations:home")))
        assert 'data-testid="kpi-open">1<' in body and "北仑驿站" not in body

    def test_the_station_page_shows_its_qr_and_contact(self, client, yz_cadre, yz_station):
        client.force_login(yz_cadre)
        body = html(client.get(reverse("staff:stations:station", args=[yz_station.pk])))
        assert "13812345678" in body and "<svg" in body and "全国最美工会户外劳动者服务站点" in body
        assert "outdoor_station" not in body  # the kind is shown by its label, never its code

    def test_another_districts_station_is_not_found(self, client, bl_cadre, yz_station):
        client.force_login(bl_cadre)
        for name in ("station", "edit", "review"):
            assert client.get(reverse(f"staff:stations:{name}", args=[yz_station.pk])).status_code == 404
        assert client.get(reverse("staff:stations:list") + "?org=YZ").status_code == 404
        assert "首南" not in html(client.get(reverse("staff:stations:list")))

    def test_a_viewer_sees_but_cannot_edit(self, client, yz_viewer, yz_station):
        client.force_login(yz_viewer)
        assert client.get(reverse("staff:stations:station", args=[yz_station.pk])).status_code == 200
        assert client.get(reverse("staff:stations:edit", args=[yz_station.pk])).status_code == 404
        assert client.get(reverse("staff:stations:new")).status_code == 403

    def test_a_member_cannot_open_the_workbench(self, client, worker):
        client.force_login(worker)
        assert client.get(reverse("staff:stations:home")).status_code == 403

    def test_a_cadre_adds_a_station_from_amap_coordinates(self, client, tree, yz_cadre):
        client.force_login(yz_cadre)
        data = {"org": "YZT", "name": "首南骑手之家", "kind": "courier_station", "host_kind": "bank",
                "host_name": "中国银行首南支行", "address": "鄞州区天童南路 1 号", "lat": "29.8141", "lon": "121.5575",
                "datum": "gcj02", "day0": "08:00-20:00", "day5": "09:00-12:00 14:00-17:00",
                "facilities": ["water", "charging"], "status": "open"}
        response = client.post(reverse("staff:stations:new"), data)
        assert response.status_code == 302, html(response)
        station = Station.objects.get()
        assert station.hours["5"] == [["09:00", "12:00"], ["14:00", "17:00"]] and "6" not in station.hours
        assert abs(station.lat - 29.8141) > 0.001 or abs(station.lon - 121.5575) > 0.003  # converted

    def test_bad_input_is_shown_beside_the_fields(self, client, tree, yz_cadre):
        client.force_login(yz_cadre)
        data = {"org": "YZT", "name": "x", "kind": "courier_station", "host_kind": "union", "address": "x",
                "lat": "121.55", "lon": "29.81", "datum": "wgs84", "always_open": "on", "status": "open"}
        response = client.post(reverse("staff:stations:new"), data)
        assert response.status_code == 400 and 'coords' not in html(response)
        assert "纬度和经度似乎填反了" in html(response)
        data.update(lat="29.81", lon="121.55", always_open="", day0="20:00-08:00")
        assert client.post(reverse("staff:stations:new"), data).status_code == 400
        assert not Station.objects.exists()

    def test_a_review_through_the_page_gives_stars(self, client, yz_cadre, yz_station):
        client.force_login(yz_cadre)
        response = client.post(reverse("staff:stations:review", args=[yz_station.pk]),
                               {"kind": "yearly", "reviewed_on": "2026-01-05", "score": "81",
                                "facilities_found": ["water"]})
        assert response.status_code == 302
        yz_station.refresh_from_db()
        assert yz_station.stars == 4

    def test_a_report_is_resolved_from_the_queue(self, client, yz_cadre, worker, yz_station):
        report = services.report_file(user=worker, station=yz_station, kind="broken", text="冰箱坏了")
        client.force_login(yz_cadre)
        assert "冰箱坏了" in html(client.get(reverse("staff:stations:reports")))
        client.post(reverse("staff:stations:report_resolve", args=[report.pk]), {"resolution": "已修好"})
        report.refresh_from_db()
        assert report.status == StationReport.Status.RESOLVED

    def test_the_import_page_names_the_bad_rows(self, client, tree, yz_cadre):
        wb = Workbook()
        wb.active.append(["名称", "类型", "地址", "纬度", "经度", "营业时间"])
        wb.active.append(["好驿站", "驿站", "x", 29.80, 121.50, "24h"])
        wb.active.append(["坏驿站", "驿站", "x", 29.81, 121.51, "21:00-07:00"])
        out = io.BytesIO()
        wb.save(out)
        out.seek(0)
        out.name = "stations.xlsx"
        client.force_login(yz_cadre)
        response = client.post(reverse("staff:stations:import"), {"file": out})
        assert response.status_code == 400 and 'data-testid="import-errors"' in html(response)
        assert not Station.objects.exists()

    def test_the_list_runs_a_fixed_number_of_queries(self, client, tree, yz_cadre):
        client.force_login(yz_cadre)
        make_station(tree.yz)
        with CaptureQueriesContext(connection) as few:
            client.get(reverse("staff:stations:list"))
        for i in range(8):
            make_station(tree.yzt, name=f"驿站{i}", lat=29.70 + i * 0.01)
        with CaptureQueriesContext(connection) as many:
            client.get(reverse("staff:stations:list"))
        assert len(many) == len(few)


@pytest.mark.django_db
class TestMemberPages:
    def test_near_me_lists_the_nearest_with_distance(self, client, tree, worker, yz_station):
        make_station(tree.bl, name="北仑驿站", lat=BL_POINT[0], lon=BL_POINT[1])
        client.force_login(worker)
        response = client.get(reverse("portal:stations:near"), {"lat": YZ_POINT[0] + 0.002, "lon": YZ_POINT[1]})
        body = html(response)
        assert response.status_code == 200 and body.index("首南街道户外劳动者驿站") < body.index("北仑驿站")
        assert "222 m" in body

    def test_a_district_picked_by_hand(self, client, tree, worker, yz_station):
        client.force_login(worker)
        body = html(client.get(reverse("portal:stations:near"), {"district": "YZ"}))
        assert "首南街道户外劳动者驿站" in body and 'data-testid="near-from"' in body

    def test_filters_by_kind_and_facility(self, client, tree, worker, yz_station):
        client.force_login(worker)
        body = html(client.get(reverse("portal:stations:near"), {"district": "YZ", "kind": "library"}))
        assert 'data-testid="near-none"' in body
        body = html(client.get(reverse("portal:stations:near"), {"district": "YZ", "facility": "microwave"}))
        assert "首南街道户外劳动者驿站" in body

    def test_the_station_page_opens_navigation(self, client, worker, yz_station):
        client.force_login(worker)
        body = html(client.get(reverse("portal:stations:station", args=[yz_station.code])))
        assert "uri.amap.com/marker" in body and "coordinate=wgs84" in body and "tel:13812345678" in body

    def test_scanning_the_code_records_one_visit_a_day(self, client, worker, yz_station):
        client.force_login(worker)
        url = reverse("portal:stations:visit", args=[yz_station.code])
        key = services.qr_key(yz_station)
        assert client.get(url, {"k": key}).status_code == 200
        client.post(url, {"k": key})
        client.post(url, {"k": key})
        assert StationVisit.objects.filter(user=worker).count() == 1
        client.post(reverse("portal:stations:rate", args=[yz_station.code]), {"rating": "5"})
        assert StationVisit.objects.get().rating == 5

    def test_a_forged_code_is_refused(self, client, worker, yz_station):
        client.force_login(worker)
        url = reverse("portal:stations:visit", args=[yz_station.code])
        assert client.post(url, {"k": "forged"}).status_code == 400
        assert not StationVisit.objects.exists()

    def test_a_worker_reports_a_problem(self, client, worker, yz_station):
        client.force_login(worker)
        response = client.post(reverse("portal:stations:report", args=[yz_station.code]), {"kind": "closed"})
        assert response.status_code == 302 and StationReport.objects.get().kind == "closed"

    def test_the_home_grid_leads_here(self, client, worker):
        client.force_login(worker)
        assert reverse("portal:stations:near") in html(client.get(reverse("portal:home")))
