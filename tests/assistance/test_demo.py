"""Hardship help in the demo: the seeds' five years through the stats API, every state this year,
gradings that are what the rule gives, load again and remove."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from gonghui.assistance import rules
from gonghui.assistance.models import (
    Disbursement,
    FileStatus,
    Grading,
    Grant,
    GrantStatus,
    HardshipFile,
    HouseholdMember,
    Visit,
)
from gonghui.assistance.selectors import work_queue
from gonghui.demo.calibration import scaled
from gonghui.demo.services import demo_load
from gonghui.members.models import Member
from gonghui.orgs.models import Org
from gonghui.stats import activity
from tests.demo.conftest import PASSWORD, TEST_SCALE, demo  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
PERIOD = {"from": "2018-01-01", "to": "2022-12-31"}


def _nb(api_as):
    return api_as(get_user_model().objects.get(username="nb"))


def test_the_city_and_the_districts_have_the_seeds_figures_times_the_scale(demo, api_as):
    api = _nb(api_as)
    city = api.get("/api/v1/orgs/NB/stats", **PERIOD).json()
    assert city["hardship_lifted_out"] == scaled(1_287, TEST_SCALE)
    assert city["hardship_visits"] == scaled(250_000, TEST_SCALE)
    assert Decimal(city["assistance_paid_amount"]) == scaled(100_000_000, TEST_SCALE)
    bl = api.get("/api/v1/orgs/BL/stats", **PERIOD).json()
    assert bl["hardship_visits"] == scaled(142_000, TEST_SCALE)
    assert Decimal(bl["assistance_paid_amount"]) == scaled(8_000_000, TEST_SCALE)
    assert Decimal(bl["school_aid_amount"]) == scaled(240_000, TEST_SCALE)
    yy = api.get("/api/v1/orgs/YY/stats", **PERIOD).json()
    assert Decimal(yy["assistance_paid_amount"]) == scaled(11_000_000, TEST_SCALE)
    assert yy["hardship_visits"] == scaled(35_000, TEST_SCALE)


def test_every_grading_is_what_the_rule_gives_for_its_inputs(demo):
    for g in Grading.objects.all()[:200]:
        result = rules.grade(rules.Household.from_json(g.inputs), g.standard)
        assert (result.grade, result.per_capita) == (g.grade, g.per_capita)
        assert result.qualifies


def test_this_year_has_files_in_every_state(demo):
    today_states = set(HardshipFile.objects.values_list("status", flat=True))
    assert {FileStatus.SUBMITTED, FileStatus.NOTICE, FileStatus.ACTIVE, FileStatus.LIFTED_OUT,
            FileStatus.RELIEVED} <= today_states
    queue = work_queue(get_user_model().objects.get(username="yz"))
    assert queue["submitted"] and queue["notice"] and queue["approval"] and queue["review"] and queue["to_pay"]
    assert Disbursement.objects.filter(status=Disbursement.Status.APPROVED).exists()
    worker = Member.objects.get(user__username="worker")
    assert HardshipFile.objects.get(member=worker).status == FileStatus.ACTIVE
    assert Grant.objects.get(member=worker).status == GrantStatus.PAID
    assert HouseholdMember.objects.exclude(relation="self").exists() and Visit.objects.exists()


def test_loading_again_changes_nothing_and_the_recount_agrees(demo):
    before = (HardshipFile.objects.count(), Grant.objects.count(), Visit.objects.count())
    assert not demo_load(scale=TEST_SCALE, password=PASSWORD).loaded
    assert (HardshipFile.objects.count(), Grant.objects.count(), Visit.objects.count()) == before
    assert activity.rebuild([activity.SOURCES["assistance"]]) == 0


def test_remove_leaves_no_hardship_rows(demo):
    from gonghui.assistance.demo import remove

    nb = Org.objects.get(code="NB")
    remove(nb)
    assert not HardshipFile.objects.exists() and not Grant.objects.exists() and not HouseholdMember.objects.exists()
    assert not activity.period_rows(nb.path, None, None).filter(metric__startswith="hardship_").exists()
