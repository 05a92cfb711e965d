"""The demo's rooms, logins and cases: the seed figures times the scale, exact, through the stats API."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from gonghui.demo.calibration import scaled
from gonghui.disputes import selectors
from gonghui.disputes.demo import SEEDS, figures, split_amount
from gonghui.disputes.models import Case, MediationRoom, RoomLevel, State
from gonghui.stats import activity
from tests.demo.conftest import PASSWORD, TEST_SCALE, demo  # noqa: F401  (fixture)

# The seed figures (scale 1) the issue names: district → {metric: figure}.
TARGETS = {
    "BL": {"cases_received": 7_065, "cases_settled": 6_701, "amount_recovered": 124_000_000},
    "YZ": {"cases_settled": 1_168, "legal_aid_cases": 232, "amount_recovered": 22_390_000},
    "FH": {"cases_settled": 1_755, "amount_recovered": 98_220_000},
    "YY": {"cases_settled": 1_512, "legal_aid_cases": 602, "amount_recovered": 42_000_000},
}


@pytest.mark.parametrize("scale", ["0.001", "0.002", "0.01", "0.0123", "0.1", "1"])
def test_the_plan_is_exact_at_every_scale(scale):
    scale = Decimal(scale)
    for code, targets in TARGETS.items():
        f = figures(code, scale)
        for metric, figure in targets.items():
            if metric == "amount_recovered":
                assert f.amount == (Decimal(figure) * scale).quantize(Decimal("0.01"))
            else:
                assert getattr(f, {"cases_received": "received", "cases_settled": "settled",
                                   "legal_aid_cases": "legal_aid"}[metric]) == scaled(figure, scale)
        assert f.received >= f.settled and f.received >= f.legal_aid and f.received >= f.referred_in


def test_amounts_are_split_exactly():
    rng = random.Random(1)
    for total, parts in [(Decimal("124000000"), 6701), (Decimal("223900.00"), 12), (Decimal("0.05"), 1),
                         (Decimal("98220"), 2)]:
        amounts = split_amount(total, parts, rng)
        assert len(amounts) == parts and sum(amounts) == total and min(amounts) > 0


def test_the_demo_reproduces_the_five_years_through_the_stats_api(demo, api_as):
    nb = get_user_model().objects.get(username="nb")
    client = api_as(nb)
    city = client.get("/api/v1/orgs/NB/stats", **{"from": "2018-01-01", "to": "2022-12-31"}).json()
    totals = dict.fromkeys(("cases_received", "cases_settled", "amount_recovered", "legal_aid_cases"), 0)
    for code, targets in TARGETS.items():
        body = client.get(f"/api/v1/orgs/{code}/stats", **{"from": "2018-01-01", "to": "2022-12-31"}).json()
        for metric, figure in targets.items():
            expected = (Decimal(figure) * TEST_SCALE).quantize(Decimal("0.01")) if metric == "amount_recovered" \
                else scaled(figure, TEST_SCALE)
            got = Decimal(body[metric]) if metric == "amount_recovered" else body[metric]
            assert got == expected, (code, metric)
        assert body["cases_received"] >= body["cases_settled"]
        for metric in totals:
            totals[metric] += Decimal(body[metric]) if metric == "amount_recovered" else body[metric]
    # The city's figures are the sum of its subtree.
    assert city["cases_settled"] == totals["cases_settled"]
    assert Decimal(city["amount_recovered"]) == totals["amount_recovered"]
    # Nothing of the five years leaks out of the period.
    assert client.get("/api/v1/orgs/BL/stats", **{"from": "2017-01-01", "to": "2017-12-31"}).json()["cases_received"] == 0
    # The rows the demo added are the ones a recount gives.
    assert activity.rebuild([activity.SOURCES["disputes"]]) == 0


def test_rooms_logins_and_open_cases_in_every_state(demo, api_as):
    levels = set(MediationRoom.objects.values_list("level", flat=True))
    assert levels == {RoomLevel.DISTRICT, RoomLevel.TOWNSHIP, RoomLevel.ENTERPRISE}
    User = get_user_model()
    mediator = User.objects.get(username="bl_mediator")
    assert mediator.check_password(PASSWORD) and User.objects.get(username="yy_lawyer").check_password(PASSWORD)
    mine = selectors.case_list(user=mediator)
    assert mine.exists() and all(c.room.code == "BL-TJ" for c in mine)
    this_year = Case.objects.filter(received_on__gt=dt.date(2022, 12, 31))
    for code in SEEDS:
        states = set(this_year.filter(org__code=code).values_list("state", flat=True))
        assert states == set(State.values), code
    worker = api_as(User.objects.get(username="worker"))
    own = worker.get("/api/v1/disputes/cases", mine="true").json()
    assert own["count"] == 1 and own["results"][0]["state"] == "mediating"
    # Overdue cases are there for the lists.
    assert selectors.case_list(user=mediator, overdue=True).exists()


def test_mediators_and_lawyers_are_people_with_names(demo):
    """The agreement's 调解员 line reads a person's name, not the room's; no two staff share one."""
    from gonghui.disputes.demo import STAFF

    names = dict(get_user_model().objects.filter(username__in=list(STAFF)).values_list("username", "first_name"))
    assert names and all(name and "调解室" not in name and "工作室" not in name for name in names.values()), names
    assert len(set(names.values())) == len(names)
    agreement = Case.objects.filter(agreement__isnull=False, mediator__username="bl_mediator").first()
    assert agreement is not None and agreement.mediator.get_full_name() == names["bl_mediator"]
