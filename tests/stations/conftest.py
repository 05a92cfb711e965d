import pytest

from gonghui.stations import services
from tests.api.conftest import api_as  # noqa: F401 - the bearer-client fixture
from tests.factories import system_user

# 鄞州 (首南街道, near 宁波南站) and 北仑 (新碶街道), WGS-84.
YZ_POINT = (29.8167, 121.5530)
BL_POINT = (29.9055, 121.8446)


def make_station(org, *, name="首南街道户外劳动者驿站", kind="outdoor_station", lat=YZ_POINT[0], lon=YZ_POINT[1],
                 hours="24h", facilities=("seats", "water", "microwave", "charging"), actor=None, **extra):
    return services.station_create(actor=actor or system_user(), org=org, name=name, kind=kind,
                                   address="宁波市鄞州区天童南路 1 号", lat=lat, lon=lon, hours=hours,
                                   facilities=facilities, **extra)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STATION_TILE_URL = ""  # no tiles from the internet in tests
