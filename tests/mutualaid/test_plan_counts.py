"""A plan's enrolment counter (``Plan.enrolled``) is always the number of its enrolments: kept by
every enrolment, set by the demo's bulk loader and by the migration, corrected by a recount; the
plan list shows it without counting enrolments; once anyone is enrolled only the counter may
change on the plan row."""

from __future__ import annotations

import datetime as dt
import re
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count, F
from django.test.utils import CaptureQueriesContext

from gonghui.mutualaid import services, stats
from gonghui.mutualaid.models import Enrolment, Plan, Product
from tests.concurrency import run_together
from tests.demo.conftest import PASSWORD, TEST_SCALE, demo  # noqa: F401  (fixture)
from tests.factories import make_member, make_org, system_user
from tests.mutualaid.conftest import jan1, open_plan
from tests.mutualaid.test_pages_figures import YEARS, history  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def counted() -> dict[int, int]:
    """Each plan's enrolments, counted from the table; plans without any give 0."""
    direct = dict(Enrolment.objects.values_list("plan_id").annotate(n=Count("id")).order_by())
    return {pk: direct.get(pk, 0) for pk in Plan.objects.values_list("pk", flat=True)}


def kept() -> dict[int, int]:
    return dict(Plan.objects.values_list("pk", "enrolled"))


def test_every_enrolment_moves_its_plans_counter(tree, plan, nb_cadre, yz_cadre, bl_cadre):
    yz = [make_member(tree.yze) for _ in range(3)]
    make_member(tree.ble)
    other = open_plan(product=Product.CRITICAL_ILLNESS)
    services.enrol_batch(actor=yz_cadre, plan=plan, org=tree.yz, mode="selection", member_ids=[yz[0].pk], on=jan1())
    services.enrol_member(actor=yz_cadre, plan=plan, member=yz[1], on=jan1())
    services.enrol_batch(actor=bl_cadre, plan=plan, org=tree.bl, on=jan1())
    # The city enrols everyone: the members already in are counted once, not twice.
    batch = services.enrol_batch(actor=nb_cadre, plan=plan, org=tree.nb, on=jan1())
    assert batch.already == 3 and batch.enrolled == 1
    services.enrol_batch(actor=nb_cadre, plan=other, org=tree.nb, on=jan1())
    assert kept() == counted() == {plan.pk: 4, other.pk: 4}


def test_a_refused_enrolment_leaves_the_counter(tree, plan, yz_cadre):
    member = make_member(tree.yze)
    services.enrol_member(actor=yz_cadre, plan=plan, member=member, on=jan1())
    with pytest.raises(ValidationError):
        services.enrol_member(actor=yz_cadre, plan=plan, member=member, on=jan1())  # already enrolled
    with pytest.raises(ValidationError):
        services.enrol_batch(actor=yz_cadre, plan=plan, org=tree.yz, on=plan.window_end + dt.timedelta(days=1))
    assert kept() == counted() == {plan.pk: 1}


def test_a_recount_corrects_a_drifted_counter_and_says_how_many(tree, plan, nb_cadre):
    make_member(tree.yze)
    make_member(tree.ble)
    services.enrol_batch(actor=nb_cadre, plan=plan, org=tree.nb, on=jan1())
    empty = open_plan(product=Product.CRITICAL_ILLNESS)
    Plan.objects.filter(pk=plan.pk).update(enrolled=F("enrolled") + 5)
    Plan.objects.filter(pk=empty.pk).update(enrolled=3)
    assert stats.plans_recount() == 2
    assert kept() == counted() == {plan.pk: 2, empty.pk: 0}
    assert stats.plans_recount() == 0


def test_gonghui_stats_rebuild_corrects_the_counters(tree, plan, nb_cadre):
    make_member(tree.yze)
    services.enrol_batch(actor=nb_cadre, plan=plan, org=tree.nb, on=jan1())
    Plan.objects.filter(pk=plan.pk).update(enrolled=0)
    call_command("stats", "rebuild")
    assert kept() == counted() == {plan.pk: 1}


def test_once_anyone_is_enrolled_only_the_counter_may_change(tree, plan, nb_cadre):
    make_member(tree.yze)
    Plan.objects.filter(pk=plan.pk).update(fee=Decimal("70.00"))  # nobody enrolled: the rules may change
    services.enrol_batch(actor=nb_cadre, plan=plan, org=tree.nb, on=jan1())
    Plan.objects.filter(pk=plan.pk).update(enrolled=F("enrolled") + 1)
    for change in ({"fee": Decimal("80.00")}, {"tiers": [{"upto": None, "ratio": "0.9"}]},
                   {"fee": Decimal("80.00"), "enrolled": 0}, {"window_end": plan.window_end + dt.timedelta(days=1)}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Plan.objects.filter(pk=plan.pk).update(**change)
    plan.refresh_from_db()
    assert plan.fee == Decimal("70.00") and plan.enrolled == 2


def test_the_demo_sets_the_counters_and_a_replacement_recounts_them(demo):
    assert kept() == counted() and sum(kept().values()) == Enrolment.objects.count() > 0
    from gonghui.demo.services import demo_load

    demo_load(scale=TEST_SCALE * 2, password=PASSWORD)
    assert kept() == counted() and sum(kept().values()) == Enrolment.objects.count() > 0


class TestPlanList:
    def test_each_plan_shows_its_enrolments_in_the_whole_city(self, client, tree, yz_cadre, bl_cadre, history):
        expected = {p: Enrolment.objects.filter(plan_id=p).count() for p in Enrolment.objects.values_list(
            "plan_id", flat=True).distinct()}
        assert len(expected) == len(YEARS) + 1 and len(set(expected.values())) > 1
        for user in (yz_cadre, bl_cadre):  # the list is of the city's plans: the same for every cadre
            client.force_login(user)
            page = client.get("/staff/aid/plans/").content.decode()
            for pk, n in expected.items():
                row = re.search(rf'href="/staff/aid/plans/{pk}/".*?</tr>', page, re.S).group(0)
                assert f'<td class="text-end num">{n}</td>' in row, pk

    def test_the_list_does_not_count_enrolments(self, client, yz_cadre, history):
        client.force_login(yz_cadre)
        for url in ("/staff/aid/plans/", "/staff/aid/enrolments/"):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            assert not any("COUNT" in q["sql"] and 'FROM "mutualaid_enrolment"' in q["sql"]
                           and "GROUP BY" in q["sql"] for q in queries.captured_queries), url

    def test_a_plan_without_enrolments_is_open_to_change_and_shows_zero(self, client, tree, nb_cadre):
        plan = open_plan()
        client.force_login(nb_cadre)
        row = re.search(rf'href="/staff/aid/plans/{plan.pk}/".*?</tr>',
                        client.get("/staff/aid/plans/").content.decode(), re.S).group(0)
        assert '<td class="text-end num">0</td>' in row and "gh-aid-locked" not in row


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.parametrize("round_", range(2))
def test_concurrent_enrolments_and_a_recount_leave_the_exact_count(transactional_db, round_):
    city = make_org(code="XNB", kind="city")
    districts = [make_org(city, code=f"XD{i}", kind="district") for i in range(3)]
    for district in districts:
        for _ in range(20):
            make_member(district)
    plan = open_plan()
    start = threading.Barrier(5, timeout=10)

    def enrol(org):
        def run():
            start.wait()
            return services.enrol_batch(actor=system_user(), plan=plan, org=org, on=jan1())
        return run

    def recount():
        start.wait()
        return stats.plans_recount()

    # Three districts and the city (who finds some members already in) at once, and a recount.
    results = run_together([enrol(d) for d in districts] + [enrol(city), recount], timeout=60)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert kept() == counted() == {plan.pk: 60}


@pytest.mark.django_db(transaction=True)
def test_the_migration_counts_the_enrolments_already_there(tree):
    before, after = [("mutualaid", "0004_payout_enrolment_index")], [("mutualaid", "0005_plan_enrolled")]
    members = [make_member(tree.yze).pk for _ in range(3)]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        apps = executor.loader.project_state(before).apps
        OldPlan, OldEnrolment = apps.get_model("mutualaid", "Plan"), apps.get_model("mutualaid", "Enrolment")
        rules = dict(org_id=tree.nb.pk, org_path=tree.nb.path, fee=Decimal("60.00"), window_start=dt.date(2020, 1, 1),
                     window_end=dt.date(2020, 3, 31), cover_start=dt.date(2020, 1, 1), cover_end=dt.date(2020, 12, 31),
                     eligibility="in_service", deductible=Decimal("500.00"), tiers=[{"upto": None, "ratio": "0.5"}],
                     yearly_cap=Decimal("20000.00"))
        full = OldPlan.objects.create(product="inpatient", year=2020, version=1, name="a", **rules)
        empty = OldPlan.objects.create(product="critical_illness", year=2020, version=1, name="b", **rules)
        OldEnrolment.objects.bulk_create(
            OldEnrolment(member_id=m, plan_id=full.pk, org_id=tree.yze.pk, org_path=tree.yze.path,
                         enrolled_on=dt.date(2020, 1, 2), fee=Decimal("60.00")) for m in members)
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        assert dict(Plan.objects.values_list("pk", "enrolled")) == {full.pk: 3, empty.pk: 0}
        with pytest.raises(IntegrityError), transaction.atomic():
            Plan.objects.filter(pk=full.pk).update(fee=Decimal("1.00"))
        # And back: 0002's trigger refuses any change of a plan with enrolments again.
        executor = MigrationExecutor(connection)
        executor.migrate(before)
        with pytest.raises(IntegrityError), transaction.atomic():
            OldPlan.objects.filter(pk=full.pk).update(name="c")
        OldPlan.objects.filter(pk=empty.pk).update(name="c")
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
