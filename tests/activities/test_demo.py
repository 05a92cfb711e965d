"""The activities of the demo: the seeds' 场次 and 人次 through the stats API, every mode this month,
one the worker can register for, and figures that a recount agrees with."""

import pytest
from django.contrib.auth import get_user_model

from gonghui.activities import selectors, services
from gonghui.activities.demo import PER_SESSION, SEEDS
from gonghui.activities.models import Activity, Attendance, Mode, Registration, RegStatus, StandingEligibility
from gonghui.demo.calibration import scaled
from gonghui.members.models import Member
from gonghui.orgs.models import Org
from gonghui.stats import activity
from tests.demo.conftest import TEST_SCALE, demo  # noqa: F401  (fixture)


def test_the_history_reproduces_the_seeds_counts(demo):
    nb = Org.objects.get(code="NB")
    figures = activity.period_figures(nb.path, None, None)
    sessions = sum(scaled(s, TEST_SCALE) for *_x, s, _p in SEEDS)
    assert figures["activities_held"] >= sessions
    fh = Org.objects.get(code="FH")
    by_kind = activity.period_figures(fh.path, None, None)["breakdown"]["activities_held"]["kind"]
    assert by_kind["sports_culture"]["n"] == scaled(1_200, TEST_SCALE)
    people = activity.period_figures(fh.path, None, None)["breakdown"]["participants"]["kind"]
    assert people["sports_culture"]["n"] == scaled(150_000, TEST_SCALE)
    assert PER_SESSION > 0


def test_every_mode_is_open_this_month_and_the_worker_can_register(demo):
    modes = set(Activity.objects.filter(sessions__starts_at__gte=demo_now()).values_list("mode", flat=True))
    assert modes == set(Mode.values)
    worker = Member.objects.get(user__username="worker")
    mine = [a for a in selectors.for_member(member=worker) if a.mode == Mode.FIRST_COME and a.places_left]
    assert mine
    reg = services.register(actor=get_user_model().objects.get(username="worker"), activity=mine[0], member=worker)
    assert reg.status == RegStatus.CONFIRMED
    assert Registration.objects.filter(status=RegStatus.WAITING).exists()
    assert Registration.objects.filter(status=RegStatus.OFFERED).exists()
    assert Attendance.objects.exists() and StandingEligibility.objects.exists()


def test_the_figures_agree_with_a_recount(demo):
    assert activity.rebuild() == 0


def demo_now():
    from django.utils import timezone

    return timezone.now()


pytestmark = pytest.mark.django_db
