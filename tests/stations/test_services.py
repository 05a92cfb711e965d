import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from gonghui.core.models import AuditEntry
from gonghui.stations import geo, services
from gonghui.stations.models import Station, StationReport, StationStatus, StationVisit
from gonghui.stats import activity
from tests.factories import UserFactory, system_user
from tests.stations.conftest import YZ_POINT, make_station


@pytest.mark.django_db
def test_a_cadre_adds_a_station_with_its_contact_protected(tree, yz_cadre):
    station = make_station(tree.yzt, actor=yz_cadre, contact_name="张站长", phone="13812345678")
    assert station.org_path == tree.yzt.path and station.code.startswith("S")
    assert station.phone_masked == "138****5678" and b"13812345678" not in bytes(station.phone_cipher)
    assert services.station_phone(station) == "13812345678"
    assert station.facility_codes == ["seats", "water", "microwave", "charging"]
    assert AuditEntry.objects.filter(action="station.create", object_id=str(station.pk)).exists()


@pytest.mark.django_db
def test_gcj02_coordinates_are_stored_as_wgs84(tree):
    gcj = geo.wgs84_to_gcj02(*YZ_POINT)
    station = make_station(tree.yz, lat=gcj[0], lon=gcj[1], datum="gcj02")
    assert geo.haversine_m(station.lat, station.lon, *YZ_POINT) < 0.05


@pytest.mark.django_db
@pytest.mark.parametrize("lat, lon, code", [(121.55, 29.81, "coords_swapped"), (48.85, 2.35, "coords_outside"),
                                            ("abc", 1, "coords_format")])
def test_bad_coordinates_are_refused_and_nothing_is_written(tree, lat, lon, code):
    with pytest.raises(ValidationError) as exc:
        make_station(tree.yz, lat=lat, lon=lon)
    assert exc.value.error_dict["lat"][0].code == code
    assert not Station.objects.exists() and not AuditEntry.objects.filter(action="station.create").exists()


@pytest.mark.django_db
def test_hours_that_end_before_they_begin_are_refused(tree):
    with pytest.raises(ValidationError) as exc:
        make_station(tree.yz, hours="1-5 18:00-09:00")
    assert "hours" in exc.value.error_dict
    assert not Station.objects.exists()


@pytest.mark.django_db
def test_a_second_station_of_the_same_kind_at_the_same_place_is_refused(tree):
    make_station(tree.yz)
    with pytest.raises(ValidationError) as exc:
        make_station(tree.yzt, name="重复的驿站", lat=YZ_POINT[0] + 0.0001)
    assert exc.value.error_dict["lat"][0].code == "duplicate"
    make_station(tree.yz, name="同址的职工书屋", kind="library")  # another kind in the same building is fine
    assert Station.objects.count() == 2


@pytest.mark.django_db
def test_a_cadre_cannot_add_a_station_outside_their_subtree(tree, bl_cadre):
    with pytest.raises(PermissionDenied):
        make_station(tree.yz, actor=bl_cadre)


@pytest.mark.django_db
def test_a_failed_review_suspends_and_tells_the_union_a_passed_one_reopens(tree):
    station = make_station(tree.yz)
    review = services.review_record(actor=system_user(), station=station, score=85, facilities_found=["water"])
    station.refresh_from_db()
    assert review.stars == 4 and station.stars == 4 and station.review_due_on == timezone.localdate() + dt.timedelta(365)
    services.review_record(actor=system_user(), station=station, score=40, kind="spot")
    station.refresh_from_db()
    assert station.status == StationStatus.SUSPENDED and station.stars == 0
    task = StationReport.objects.get(station=station, status="open")
    assert task.kind == "review_failed" and task.due_on > timezone.localdate()
    services.review_record(actor=system_user(), station=station, score=92)
    station.refresh_from_db()
    task.refresh_from_db()
    assert station.status == StationStatus.OPEN and station.stars == 5 and task.status == "resolved"


@pytest.mark.django_db
def test_a_lapsed_review_downgrades_once_and_opens_a_task(tree):
    station = make_station(tree.yz)
    services.review_record(actor=system_user(), station=station, score=95,
                           reviewed_on=timezone.localdate() - dt.timedelta(days=500))
    assert services.reviews_apply_lapses(actor=system_user()) == 1
    assert services.reviews_apply_lapses(actor=system_user()) == 0
    station.refresh_from_db()
    assert station.stars == 0 and station.status == StationStatus.OPEN
    assert StationReport.objects.filter(station=station, kind="review_lapsed", status="open").count() == 1


@pytest.mark.django_db
def test_a_visit_counts_once_per_person_and_day(tree):
    station = make_station(tree.yzt)
    user = UserFactory()
    key = services.qr_key(station)
    first, created = services.visit_record(user=user, code=station.code, key=key)
    again, created_again = services.visit_record(user=user, code=station.code, key=key, rating=5)
    assert created and not created_again and first.pk == again.pk
    assert StationVisit.objects.get().rating == 5
    assert activity.period_figures(tree.nb.path, timezone.localdate(), timezone.localdate())["station_visits"] == 1
    services.visit_record(user=UserFactory(), code=station.code, key=key)
    assert activity.period_figures(tree.yz.path, timezone.localdate(), None)["station_visits"] == 2


@pytest.mark.django_db
def test_a_forged_qr_code_is_refused(tree):
    station = make_station(tree.yz)
    with pytest.raises(ValidationError) as exc:
        services.visit_record(user=UserFactory(), code=station.code, key="forged")
    assert exc.value.code == "qr_forged" and not StationVisit.objects.exists()


@pytest.mark.django_db
def test_a_worker_report_is_a_task_with_a_deadline(tree, settings):
    settings.STATION_REPORT_DAYS = 3
    station = make_station(tree.yz)
    report = services.report_file(user=UserFactory(), station=station, kind="broken", text="冰箱坏了")
    assert report.due_on == timezone.localdate() + dt.timedelta(days=3) and report.status == "open"
    services.report_resolve(actor=system_user(), report=report, resolution="已更换冰箱")
    with pytest.raises(ValidationError):
        services.report_resolve(actor=system_user(), report=report, resolution="again")


@pytest.mark.django_db
def test_stock_counts_open_stations_by_kind_on_a_day(tree):
    today = timezone.localdate()
    make_station(tree.yz, opened_on=today - dt.timedelta(days=10))
    make_station(tree.bl, name="北仑司机之家", kind="driver_home", lat=29.9055, lon=121.8446)
    figures = activity.stock_figures(tree.nb.path, today)
    assert figures["stations"] == 2 and figures["stations_driver_home"] == 1 and figures["stations_library"] == 0
    assert activity.stock_figures(tree.nb.path, today - dt.timedelta(days=5))["stations"] == 1
    assert activity.stock_figures(tree.bl.path, today)["stations"] == 1
