import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from gonghui.demo.services import demo_load
from gonghui.orgs.models import Org
from gonghui.stations import selectors
from gonghui.stations.demo import CENTRES
from gonghui.stations.models import Station, StationVisit
from gonghui.stats import activity
from tests.demo.conftest import PASSWORD, TEST_SCALE


@pytest.mark.django_db
def test_the_demo_places_stations_in_every_district_and_worker_finds_one_near_yinzhou(client):
    result = demo_load(scale=TEST_SCALE, password=PASSWORD)
    assert result.loaded
    districts = list(Org.objects.filter(depth=2))
    with_stations = {d.code for d in districts if Station.objects.filter(org_path__startswith=d.path).exists()}
    assert {"YZ", "BL", "FH", "YY"} <= with_stations <= set(CENTRES)
    found = selectors.nearest(*CENTRES["YZ"], limit=3)
    assert found and found[0].metres < 10_000
    assert StationVisit.objects.filter(user__username="worker").exists()
    client.force_login(get_user_model().objects.get(username="worker"))
    response = client.get(reverse("portal:stations:near"), {"district": "YZ"})
    assert response.status_code == 200 and 'data-testid="near-station"' in response.content.decode()
    nb = Org.objects.get(code="NB")
    assert activity.stock_figures(nb.path, timezone.localdate())["stations"] > 0


@pytest.mark.django_db
def test_reloading_another_scale_replaces_the_stations():
    demo_load(scale=TEST_SCALE, password=PASSWORD)
    first = Station.objects.count()
    demo_load(scale=TEST_SCALE * 2, password=PASSWORD)
    assert Station.objects.count() >= first
    assert not Station.objects.filter(org__isnull=True).exists()
