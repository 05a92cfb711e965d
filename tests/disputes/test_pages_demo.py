"""The dispute pages on the demo: five years of cases in every state, rooms with their logins."""

import pytest
from django.contrib.auth import get_user_model

from gonghui.disputes.models import Agreement, Case, State
from tests.demo.conftest import PASSWORD, TEST_SCALE, demo  # noqa: F401  (fixture)
from tests.disputes.conftest import listed_count, work_queue

pytestmark = pytest.mark.django_db


def test_every_page_renders_on_the_demo_for_the_district_cadre_and_the_room(client, demo):
    User = get_user_model()
    cadre, mediator = User.objects.get(username="bl"), User.objects.get(username="bl_mediator")
    client.force_login(cadre)
    for url in ("/staff/disputes/?org=BL&start=2018-01-01&end=2022-12-31", "/staff/disputes/cases/",
                "/staff/disputes/overdue/", "/staff/disputes/rooms/", "/staff/disputes/cases/export.xlsx"):
        assert client.get(url).status_code == 200, url
    home = client.get("/staff/disputes/?org=BL&start=2018-01-01&end=2022-12-31").content.decode()
    assert 'data-testid="kpi-received">0<' not in home  # five calibrated years are there
    cases = Case.objects.filter(org_path__startswith=cadre.roles.get().org.path)
    states = set()
    for state in State.values:
        case = cases.filter(state=state).order_by("-received_at").first()
        if case is None:
            continue
        states.add(state)
        assert client.get(f"/staff/disputes/cases/{case.pk}/").status_code == 200, state
        if case.room_id and case.room.code.startswith("BL") and case.state != State.CLOSED:
            client.force_login(mediator)
            assert client.get(f"/staff/disputes/cases/{case.pk}/").status_code in (200, 404), state
            client.force_login(cadre)
        if Agreement.objects.filter(case=case).exists():
            assert client.get(f"/staff/disputes/cases/{case.pk}/agreement/").status_code == 200
    assert {State.INTAKE, State.MEDIATING, State.SETTLED, State.PAID, State.CLOSED} <= states
    client.force_login(mediator)
    assert client.get("/staff/disputes/").status_code == 200
    assert PASSWORD and TEST_SCALE


@pytest.mark.parametrize("username", ["bl", "bl_mediator"])
def test_on_the_demo_each_work_queue_count_is_the_list_it_opens(client, demo, username):
    client.force_login(get_user_model().objects.get(username=username))
    queue = work_queue(client.get("/staff/disputes/").content.decode())
    assert queue
    for key, (count, url) in queue.items():
        assert listed_count(client, url) == count, (username, key, url)
