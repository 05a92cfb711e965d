"""The lottery benchmark draws the same winners from the same seed, and leaves nothing behind."""

import pytest

from gonghui.activities import bench
from gonghui.activities.models import Activity, Registration
from gonghui.members.models import Member
from gonghui.orgs.models import Org

pytestmark = pytest.mark.django_db


def test_the_lottery_bench_is_reproducible_and_cleans_up():
    first = {m.metric: m for m in bench.lottery({"entrants": 300, "places": 20})}
    second = {m.metric: m for m in bench.lottery({"entrants": 300, "places": 20})}
    assert first["winners"].value == 20
    assert first["winners"].extra["winners_digest"] == second["winners"].extra["winners_digest"]
    assert not Org.objects.filter(code=bench.CODE).exists()
    assert not (Activity.objects.exists() or Registration.objects.exists() or Member.objects.exists())
