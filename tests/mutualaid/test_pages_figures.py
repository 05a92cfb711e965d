"""The mutual-aid home's figures per year are the ones the tables give, for the city and for a
district, and the page reads them in one query instead of one per year."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gonghui.core.paths import subtree_q
from gonghui.mutualaid import services, stats
from gonghui.mutualaid.feeds import feed_receive_api
from gonghui.mutualaid.models import Enrolment, Payout, Product
from gonghui.stats.activity import period_figures
from tests.factories import make_member
from tests.mutualaid.conftest import jan1, open_plan
from tests.mutualaid.helpers import members_with_numbers, record

pytestmark = pytest.mark.django_db

THIS_YEAR = timezone.localdate().year
YEARS = [THIS_YEAR - 3, THIS_YEAR - 1, THIS_YEAR]  # the year between has nothing: it must show zero


@pytest.fixture
def history(tree, nb_cadre, yz_cadre, bl_cadre):
    """Enrolments in three plan years (YZ more than BL, some members in every year) and a payout this year."""
    yz_people = members_with_numbers(tree.yze, 5)
    for _ in range(3):
        make_member(tree.ble)
    for i, year in enumerate(YEARS):
        plan = open_plan(year=year) if year != THIS_YEAR else open_plan()
        on = jan1() if year == THIS_YEAR else dt.date(year, 2, 1)
        services.enrol_batch(actor=yz_cadre, plan=plan, org=tree.yz, on=on, mode="selection",
                             member_ids=[m.pk for m, _n in yz_people[:3 + i]])
        services.enrol_batch(actor=bl_cadre, plan=plan, org=tree.bl, on=on)
        if year == THIS_YEAR:  # a second product the same year, enrolled by the city for everyone
            services.enrol_batch(actor=nb_cadre, plan=open_plan(product=Product.CRITICAL_ILLNESS), org=tree.nb, on=on)
    feed_receive_api(actor=nb_cadre, org=tree.nb, records=[record(yz_people[0][1], self_pay_in="8500.00")])
    return yz_people


def enrolments_in(org, year: int) -> int:
    return Enrolment.objects.filter(subtree_q(org.path, "org_path"), enrolled_on__year=year).count()


def paid_in(org, year: int) -> Decimal:
    row = Payout.objects.filter(subtree_q(org.path, "org_path"), amount__gt=0, decided_on__year=year).aggregate(
        s=Sum("amount"))
    return row["s"] or Decimal("0.00")


def chart(page: str, chart_id: str) -> dict | None:
    """The chart's spec as the page carries it (None: the card says there is nothing to count)."""
    assert f'data-testid="{chart_id}"' in page
    found = re.search(rf'<script id="{chart_id}-data" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(found.group(1)) if found else None


class TestFiguresPerYear:
    def test_each_year_is_the_direct_count_of_its_enrolments_and_payouts(self, tree, history):
        today = timezone.localdate()
        for org in (tree.nb, tree.yz, tree.bl, tree.yze):
            figures = stats.per_year(org.path, YEARS, today)
            for year in YEARS:
                assert figures[year]["aid_enrolments"] == enrolments_in(org, year), (org.code, year)
                assert figures[year]["aid_paid_amount"] == paid_in(org, year), (org.code, year)
        assert stats.per_year(tree.nb.path, [THIS_YEAR - 2], today)[THIS_YEAR - 2]["aid_enrolments"] == 0
        assert paid_in(tree.yz, THIS_YEAR) > 0 and paid_in(tree.bl, THIS_YEAR) == 0  # the data tell them apart

    def test_each_year_is_what_the_period_statistics_give_for_that_year(self, tree, history):
        today = timezone.localdate()
        figures = stats.per_year(tree.yz.path, list(range(THIS_YEAR - 9, THIS_YEAR + 1)), today)
        for year, row in figures.items():
            period = period_figures(tree.yz.path, dt.date(year, 1, 1), min(dt.date(year, 12, 31), today))
            assert row == {m: period[m] for m in stats.METRICS}, year

    def test_days_after_the_last_one_are_left_out(self, tree, history):
        yesterday = timezone.localdate() - dt.timedelta(days=1)
        figures = stats.per_year(tree.nb.path, [THIS_YEAR], yesterday)
        counted = Enrolment.objects.filter(enrolled_on__year=THIS_YEAR, enrolled_on__lte=yesterday).count()
        assert figures[THIS_YEAR]["aid_enrolments"] == counted

    def test_a_metric_of_another_module_is_refused(self, tree):
        with pytest.raises(ValueError):
            stats.per_year(tree.nb.path, [THIS_YEAR], timezone.localdate(), ("cases_settled",))


class TestHomeCharts:
    @pytest.mark.parametrize("who, org", [("nb_cadre", "nb"), ("yz_cadre", "yz"), ("bl_cadre", "bl")])
    def test_the_year_charts_show_the_direct_counts_of_the_users_subtree(self, client, request, tree, history,
                                                                         who, org):
        org = getattr(tree, org)
        client.force_login(request.getfixturevalue(who))
        page = client.get("/staff/aid/").content.decode()
        enrol = chart(page, "chart-aid-enrol-year")
        shown = range(THIS_YEAR - 9, THIS_YEAR + 1)
        assert enrol["labels"] == [str(y) for y in shown]
        assert enrol["values"] == [enrolments_in(org, y) for y in shown]
        assert enrol["total"] == Enrolment.objects.filter(subtree_q(org.path, "org_path")).count()
        paid = chart(page, "chart-aid-paid-year")
        expected = [(paid_in(org, y) / 10000).quantize(Decimal("0.01")) for y in shown]
        if any(expected):
            assert paid["labels"] == [str(y) for y in shown] and [Decimal(v) for v in paid["values"]] == expected
        else:  # BL: nothing paid, the card says so instead of an empty chart
            assert paid is None

    def test_the_kpis_are_the_chosen_years_figures(self, client, tree, yz_cadre, history):
        client.force_login(yz_cadre)
        year = THIS_YEAR - 1
        page = client.get(f"/staff/aid/?year={year}").content.decode()
        assert f'data-testid="kpi-aid_enrolments">{enrolments_in(tree.yz, year)}<' in page
        page = client.get("/staff/aid/").content.decode()
        paid_members = Payout.objects.filter(subtree_q(tree.yz.path, "org_path"), amount__gt=0,
                                             decided_on__year=THIS_YEAR).values("member").distinct().count()
        assert paid_members == 1 and f'data-testid="kpi-aid_paid_members">{paid_members}<' in page

    def test_the_home_reads_the_statistics_twice_and_counts_members_paid_once(self, client, yz_cadre, history):
        client.force_login(yz_cadre)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/staff/aid/").status_code == 200
        sql = [q["sql"] for q in queries.captured_queries]
        assert sum('FROM "stats_activity"' in s for s in sql) == 2  # the period shown, and the years
        assert sum("DISTINCT" in s and '"mutualaid_payout"' in s for s in sql) == 1  # the period shown only
