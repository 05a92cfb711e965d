import io

import pytest
from openpyxl import Workbook

from gonghui.core.models import AuditEntry
from gonghui.stations import geo
from gonghui.stations.imports import ImportFormatError, station_import
from gonghui.stations.models import Station
from tests.stations.conftest import make_station

HEADER = ["名称", "类型", "工会代码", "地址", "纬度", "经度", "坐标系", "营业时间", "设施", "承办单位", "联系电话"]


def workbook(rows, header=HEADER) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


GOOD = [
    ["首南街道户外劳动者驿站", "户外劳动者驿站", "YZT", "鄞州区天童南路 1 号", 29.8167, 121.5530, "", "24小时",
     "座椅、饮用水、微波炉", "中国银行首南支行", "13812345678"],
    ["新碶小哥驿站", "courier_station", "BL", "北仑区明州路 2 号", 29.9055, 121.8446, "高德", "1-5 08:00-20:00",
     "seats, charging", "", ""],
]


@pytest.mark.django_db
def test_a_good_file_is_imported_whole(tree, yz_cadre, nb_cadre):
    result = station_import(actor=nb_cadre, stream=workbook(GOOD), filename="驿站.xlsx")
    assert result.ok and result.created == 2
    first, second = Station.objects.order_by("id")
    assert first.org == tree.yzt and first.always_open and first.facility_codes == ["seats", "water", "microwave"]
    assert first.phone_masked == "138****5678" and first.host_name == "中国银行首南支行"
    gcj = (29.9055, 121.8446)
    assert geo.haversine_m(*geo.wgs84_to_gcj02(second.lat, second.lon), *gcj) < 0.05  # stored as WGS-84
    assert second.hours["0"] == [["08:00", "20:00"]] and "5" not in second.hours
    assert AuditEntry.objects.filter(action="station.import").count() == 1


@pytest.mark.django_db
def test_one_bad_row_refuses_the_file_and_every_bad_row_is_named(tree, nb_cadre):
    rows = GOOD + [
        ["反了的驿站", "户外劳动者驿站", "YZ", "x", 121.55, 29.81, "", "24h", "", "", ""],
        ["时间错的驿站", "户外劳动者驿站", "YZ", "x", 29.7, 121.4, "", "20:00-08:00", "", "", ""],
        ["未知类型", "太空站", "YZ", "x", 29.7, 121.41, "", "24h", "", "", ""],
        ["重复", "户外劳动者驿站", "YZ", "x", 29.81671, 121.5530, "", "24h", "", "", ""],
        ["别家的", "户外劳动者驿站", "NOPE", "x", 29.7, 121.42, "", "24h", "", "", ""],
    ]
    result = station_import(actor=nb_cadre, stream=workbook(rows), filename="驿站.xlsx")
    assert not result.ok and result.created == 0 and not Station.objects.exists()
    assert [(e.line, e.code) for e in result.errors] == [
        (4, "coords_swapped"), (5, "hours_order"), (6, "kind_unknown"), (7, "duplicate_in_file"), (8, "org_unknown")]
    assert str(result.errors[0]).startswith("第 4 行") or "4" in str(result.errors[0])


@pytest.mark.django_db
def test_a_station_already_on_the_platform_refuses_the_row(tree, nb_cadre):
    make_station(tree.yz, lat=29.8167, lon=121.5530)
    result = station_import(actor=nb_cadre, stream=workbook(GOOD), filename="驿站.xlsx")
    assert [(e.line, e.code) for e in result.errors] == [(2, "duplicate")]
    assert Station.objects.count() == 1


@pytest.mark.django_db
def test_a_union_outside_the_subtree_is_refused(tree, yz_cadre):
    result = station_import(actor=yz_cadre, stream=workbook(GOOD), filename="驿站.xlsx")
    assert [(e.line, e.code) for e in result.errors] == [(3, "org_unknown")] and not Station.objects.exists()


@pytest.mark.django_db
def test_a_file_without_the_needed_columns_is_refused(tree, nb_cadre):
    with pytest.raises(ImportFormatError):
        station_import(actor=nb_cadre, stream=workbook([], header=["名称"]), filename="x.xlsx")
