"""A rush of real threads on one first-come activity (PostgreSQL, each thread its own connection):
never a place more than the quota, never one person twice."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from gonghui.activities import services
from gonghui.activities.models import Activity, Registration, RegStatus
from gonghui.core import audit
from gonghui.stats import activity as ledger
from tests.activities.conftest import make_activity, member_with_login
from tests.concurrency import run_together
from tests.factories import make_org

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"),
]


@pytest.fixture
def union(transactional_db):
    city = make_org(code="XNB", kind="city")
    return make_org(city, code="XE", kind="enterprise")


def together(jobs):
    start = threading.Barrier(len(jobs), timeout=10)

    def job(fn):
        start.wait()
        return fn()

    return run_together([lambda f=f: job(f) for f in jobs], timeout=60)


@pytest.mark.parametrize("round_", range(3))
def test_a_rush_gives_exactly_the_places(union, round_):
    activity = make_activity(union, capacity=7)
    members = [member_with_login(union) for _ in range(24)]
    results = together([lambda m=m: services.register(actor=m.user, activity=activity, member=m) for m in members])
    granted = [r for r in results if isinstance(r, Registration)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(granted) == 7 and len(refused) == 17, results
    assert all(services.reason_of(r) == "full" for r in refused)
    assert Activity.objects.get(pk=activity.pk).taken == 7
    assert Registration.objects.filter(activity=activity, status=RegStatus.CONFIRMED).count() == 7
    assert ledger.rebuild() == 0
    assert list(audit.verify()) == []


def test_one_person_clicking_many_times_gets_one_place(union):
    activity = make_activity(union, capacity=5)
    member = member_with_login(union)
    results = together([lambda: services.register(actor=member.user, activity=activity, member=member)] * 8)
    assert sum(isinstance(r, Registration) for r in results) == 1, results
    assert all(isinstance(r, (Registration, ValidationError)) for r in results), results
    assert Registration.objects.filter(activity=activity).count() == 1
    assert Activity.objects.get(pk=activity.pk).taken == 1


def test_cancellations_racing_a_rush_stay_exact(union):
    activity = make_activity(union, capacity=4)
    holders = [member_with_login(union) for _ in range(4)]
    regs = [services.register(actor=m.user, activity=activity, member=m) for m in holders]
    rushers = [member_with_login(union) for _ in range(12)]
    jobs = [lambda r=r, m=m: services.registration_cancel(actor=m.user, registration=r) for r, m in zip(regs, holders)]
    jobs += [lambda m=m: services.register(actor=m.user, activity=activity, member=m, wait=True) for m in rushers]
    results = together(jobs)
    assert not [r for r in results if isinstance(r, Exception)], results
    services.offers_pass_on(activity_id=activity.pk)
    held = Registration.objects.filter(activity=activity, status__in=[RegStatus.CONFIRMED, RegStatus.OFFERED])
    assert held.count() == 4
    assert Activity.objects.get(pk=activity.pk).taken == 4
    assert held.values("member").distinct().count() == 4
