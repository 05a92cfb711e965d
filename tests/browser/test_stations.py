"""服务阵地 in a real browser on a phone: the worker allows the location, sees the nearest stations as a
list and on the map, and opens the nearest one with its way there. No tile leaves the site."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from gonghui.orgs.models import OrgKind
from gonghui.stations import services
from tests.browser.conftest import MEMBER_VIEWPORT, _page
from tests.factories import PASSWORD, UserFactory, make_member, make_org, system_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HERE = {"latitude": 29.8190, "longitude": 121.5530}  # 鄞州, near 宁波南站


@pytest.fixture
def city(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STATION_TILE_URL = ""  # a plain background: nothing is fetched from the internet
    nb = make_org(code="NB", name="宁波市总工会", kind=OrgKind.CITY)
    yz = make_org(nb, code="YZ", name="鄞州区总工会", kind=OrgKind.DISTRICT)
    bl = make_org(nb, code="BL", name="北仑区总工会", kind=OrgKind.DISTRICT)
    actor = system_user()
    near = services.station_create(actor=actor, org=yz, name="首南街道小哥驿站", kind="courier_station",
                                   address="鄞州区天童南路 588 号", lat=29.8167, lon=121.5530, hours="24h",
                                   facilities=["seats", "water", "microwave", "charging"], host_name="中国银行首南支行",
                                   host_kind="bank")
    services.station_create(actor=actor, org=yz, name="钟公庙职工书屋", kind="library", address="鄞州区钟公庙街道",
                            lat=29.8300, lon=121.5400, hours="1-5 09:00-17:00", facilities=["books", "wifi"])
    services.station_create(actor=actor, org=bl, name="新碶户外劳动者驿站", kind="outdoor_station",
                            address="北仑区新碶街道", lat=29.9055, lon=121.8446, hours="24h", facilities=["water"])
    worker = UserFactory(username="worker")
    member = make_member(yz, name="李师傅")
    member.user = worker
    member.save(update_fields=["user"])
    return {"near": near}


def test_find_the_nearest_station_and_open_it(browser, live_server, city, shot):
    phone = _page(browser, viewport=MEMBER_VIEWPORT, is_mobile=True, has_touch=True, device_scale_factor=2,
                  geolocation=HERE, permissions=["geolocation"])
    own = urlsplit(live_server.url).netloc
    outside = []

    def only_our_site(route):
        if urlsplit(route.request.url).netloc != own and not route.request.url.startswith("data:"):
            outside.append(route.request.url)
            return route.abort()
        return route.continue_()

    phone.route("**/*", only_our_site)
    base = live_server.url
    phone.goto(f"{base}/login/?next=/stations/")
    phone.get_by_label("用户名").fill("worker")
    phone.get_by_label("密码").fill(PASSWORD)
    phone.get_by_role("button", name="登录").click()

    # The page asks for the location by itself; the answer reloads it with the nearest stations.
    results = phone.get_by_test_id("near-station")
    expect(results.first).to_be_visible()
    expect(phone.get_by_test_id("near-from")).to_contain_text("距您最近")
    expect(results).to_have_count(3)
    expect(results.first).to_contain_text("首南街道小哥驿站")
    expect(results.first.get_by_test_id("distance")).to_have_text("256 m")
    expect(results.first).to_contain_text("步行 4 分钟")
    expect(results.first).to_contain_text("正在开放")
    expect(results.first.locator("[data-facility=microwave]")).to_contain_text("微波炉")
    expect(phone.locator(".gh-map[data-ready='1']")).to_be_visible()
    expect(phone.locator(".gh-map .leaflet-interactive")).to_have_count(4)  # three stations and "you are here"
    shot(phone, "stations-near-me", full_page=True)

    results.first.click()
    expect(phone.get_by_test_id("station")).to_contain_text("首南街道小哥驿站")
    expect(phone.get_by_test_id("station")).to_contain_text("24小时开放")
    navigate = phone.get_by_test_id("navigate")
    expect(navigate).to_have_text("在地图应用中导航")
    assert "coordinate=wgs84" in navigate.get_attribute("href")
    shot(phone, "stations-station", full_page=True)
    assert outside == [] and phone.problems == []
    phone.context.close()
