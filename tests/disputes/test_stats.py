"""Period statistics through /api/v1/orgs/{code}/stats, the recount, and the dashboard's fixed query count."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gonghui.disputes import selectors, services
from gonghui.stats import activity
from tests.disputes.conftest import claim, open_case
from tests.factories import system_user

pytestmark = pytest.mark.django_db


def _at(day):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10)))


@pytest.fixture
def history(tree, rooms, bl_cadre, bl_mediator, bl_lawyer):
    """In 2024: two BL cases settled (one new-form), one failed, one entrusted by a court; legal aid taken on."""
    admin = system_user()
    made = []
    for n, (kind, amount, new_form) in enumerate([("unpaid_wages", "30000.00", False), ("overtime", "4500.50", True)]):
        case = open_case(bl_cadre, tree.bl, claims=[claim(kind, amount)], received_at=_at(dt.date(2024, 3, 1 + n)),
                         is_new_form=new_form, knew_on=dt.date(2024, 2, 1), industry="制造业")
        services.case_triage(actor=bl_cadre, case=case, room=rooms.bl)
        services.case_start(actor=bl_mediator, case=case)
        services.agreement_record(actor=bl_mediator, case=case, amount=Decimal(amount) - 500,
                                  signed_on=dt.date(2024, 3, 10 + n))
        made.append(case)
    services.payment_record(actor=bl_cadre, case=made[0], amount="29500.00", paid_on=dt.date(2024, 3, 20))
    failed = open_case(bl_cadre, tree.blt, claims=[claim("dismissal_compensation", "80000")],
                       received_at=_at(dt.date(2024, 4, 1)), knew_on=dt.date(2024, 3, 1))
    services.case_triage(actor=bl_cadre, case=failed, room=rooms.bl)
    services.case_start(actor=bl_mediator, case=failed)
    services.case_fail(actor=bl_mediator, case=failed, reason="分歧较大", failed_on=dt.date(2024, 4, 10))
    court = services.referral_in_record(
        actor=bl_cadre, org=tree.bl, source="court", body_name="宁波市北仑区人民法院", reference="（2024）浙0206民诉前调1号",
        deadline=dt.date(2024, 6, 1), applicant_name="钱七", employer_name="某物流公司", claims=[claim("work_injury", "60000")],
        received_at=_at(dt.date(2024, 5, 6)))
    services.case_triage(actor=bl_cadre, case=court, room=rooms.bl)
    aid = services.legal_aid_request(actor=admin, case=court, request="工伤认定咨询")
    services.legal_aid_accept(actor=bl_lawyer, aid=aid, accepted_on=dt.date(2024, 5, 7))
    return made, failed, court


def stats(api_as, user, code, start, end):
    response = api_as(user).get(f"/api/v1/orgs/{code}/stats", **{"from": start, "to": end})
    assert response.status_code == 200, response.content
    return response.json()


def test_figures_of_a_period_for_each_subtree(api_as, history, nb_cadre, bl_cadre, yz_cadre):
    year = stats(api_as, nb_cadre, "NB", "2024-01-01", "2024-12-31")
    assert (year["cases_received"], year["cases_settled"], year["cases_referred_in"], year["legal_aid_cases"]) == (4, 2, 1, 1)
    assert year["amount_recovered"] == "33500.50"
    assert year["breakdown"]["cases_settled"]["claim"] == {
        "overtime": {"n": 1, "amount": "4000.50"}, "unpaid_wages": {"n": 1, "amount": "29500.00"}}
    assert year["breakdown"]["cases_settled"]["new_form"]["yes"]["n"] == 1
    assert year["breakdown"]["cases_referred_in"]["source"] == {"court": {"n": 1, "amount": "0.00"}}
    # The settled day is the agreement's: March only holds both agreements, April none.
    march = stats(api_as, bl_cadre, "BL", "2024-03-01", "2024-03-31")
    assert (march["cases_received"], march["cases_settled"], march["amount_recovered"]) == (2, 2, "33500.50")
    assert stats(api_as, bl_cadre, "BL", "2024-04-01", "2024-04-30")["cases_settled"] == 0
    # The township received one case (the failed one).
    assert stats(api_as, bl_cadre, "BLT", "2024-01-01", "2024-12-31")["cases_received"] == 1
    assert stats(api_as, yz_cadre, "YZ", "2024-01-01", "2024-12-31")["cases_received"] == 0


def test_the_recount_finds_what_the_services_added(history):
    source = activity.SOURCES["disputes"]
    assert activity.rebuild([source]) == 0


def test_dashboard_figures_and_fixed_query_count(history, tree, nb_cadre):
    today = dt.date(2024, 12, 31)
    figures = selectors.dashboard(user=nb_cadre, org=tree.bl, start=dt.date(2024, 1, 1), end=today, today=today)
    assert figures["received"] == 4 and figures["settled"] == 2 and figures["failed"] == 1
    assert figures["success_rate"] == Decimal("66.7")
    assert figures["amount_claimed"] == Decimal("174500.50")
    assert figures["amount_recovered"] == Decimal("33500.50")
    assert figures["referred_in"] == 1 and figures["legal_aid"] == 1 and figures["new_form"] == 1
    # The court's case, still triaged long after its 15 days and its deadline; the unpaid agreement.
    assert figures["overdue"] == 2
    assert figures["by_claim"]["dismissal_compensation"]["received"] == 1
    assert figures["by_industry"] == {"": {"received": 2, "new_form": 0}, "制造业": {"received": 2, "new_form": 1}}
    for org in (tree.nb, tree.bl, tree.blt, tree.yz):
        with CaptureQueriesContext(connection) as queries:
            selectors.dashboard(user=nb_cadre, org=org, start=dt.date(2024, 1, 1), end=today, today=today)
        assert len(queries) == 5, org.code


def test_dashboard_api(api_as, history, bl_cadre):
    body = api_as(bl_cadre).get("/api/v1/disputes/dashboard", org="BL", **{"from": "2024-01-01", "to": "2024-12-31"}).json()
    assert body["settled"] == 2 and body["amount_recovered"] == "33500.50" and body["success_rate"] == "66.7"


def test_overdue_lists(history, tree, bl_cadre):
    made, failed, court = history
    late = selectors.case_list(user=bl_cadre, overdue=True, today=dt.date(2024, 6, 2))
    assert [c.number for c in late] == [court.number, made[1].number]  # the paid agreement is not late
    assert made[0] not in selectors.case_list(user=bl_cadre, overdue=True, today=dt.date(2024, 6, 2))
    deadlines = selectors.case_deadlines(selectors.case_get(user=bl_cadre, pk=court.pk), today=dt.date(2024, 6, 2))
    assert deadlines.overdue == ["mediation", "court"]
    assert deadlines.court.passed and deadlines.mediation.passed


def test_the_case_shows_its_limitation_interrupted_by_the_application(tree, bl_cadre):
    case = open_case(bl_cadre, tree.bl, claims=[claim("overtime", "5000"), claim("unpaid_wages", "9000")],
                     received_at=_at(dt.date(2024, 10, 1)), knew_on=dt.date(2024, 1, 15),
                     employment_end=dt.date(2024, 6, 30))
    deadlines = selectors.case_deadlines(selectors.case_get(user=bl_cadre, pk=case.pk), today=dt.date(2025, 1, 20))
    # Overtime: a year from when they knew, restarted by the application on 1 October.
    assert deadlines.limitation["overtime"].ends_on == dt.date(2025, 10, 1)
    # Wages: a year from the end of employment, restarted the same way.
    assert deadlines.limitation["unpaid_wages"].ends_on == dt.date(2025, 10, 1)
    assert not deadlines.limitation["overtime"].barred
    # 9,000 yuan of wages and 5,000 of overtime, each ≤ 12 × ¥2,490: the award would be final.
    assert deadlines.final_award and deadlines.final_award_threshold == Decimal("29880.00")
    assert deadlines.minimum_wage.amount == Decimal("2490.00")


def test_a_district_minimum_wage_changes_the_threshold(tree, bl_cadre, nb_cadre):
    services.minimum_wage_set(actor=bl_cadre, org=tree.bl, amount="500.00", valid_from=dt.date(2024, 1, 1),
                              source="测试")
    case = open_case(bl_cadre, tree.blt, claims=[claim("overtime", "9000")], received_at=_at(dt.date(2024, 10, 1)))
    deadlines = selectors.case_deadlines(selectors.case_get(user=bl_cadre, pk=case.pk), today=dt.date(2024, 10, 2))
    assert deadlines.minimum_wage.amount == Decimal("500.00") and not deadlines.final_award
    # Before the row applies, and in another district, the default holds.
    assert selectors.minimum_wage_for(tree.blt.path, dt.date(2023, 12, 31)).amount == Decimal("2490.00")
    assert selectors.minimum_wage_for(tree.yz.path, dt.date(2024, 10, 1)).amount == Decimal("2490.00")
