"""The workbench's enrolment list and a plan's figures: one plan year of the user's subtree, in
keyset pages, with exact counts (the plan's counter for the whole city, an index count below it)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db.models import Count, Sum

from gonghui.core.paths import subtree_q
from gonghui.mutualaid import selectors, services
from gonghui.mutualaid.models import Enrolment, Product
from tests.factories import make_cadre, make_member
from tests.mutualaid.conftest import jan1, open_plan

URL = "/staff/aid/enrolments/"


def html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def names(page: str) -> list[str]:
    """The member names of the table's rows, in order."""
    table = page.split('data-testid="enrolments"', 1)[1].split("</table>", 1)[0] if 'data-testid="enrolments"' in page else ""
    return re.findall(r'<td><a href="/staff/members/\d+/">([^<]+)</a></td>', table)


def shown_count(page: str) -> str:
    return re.search(r'data-testid="enrolment-count">([^<]*)<', page).group(1)


def link(page: str, testid: str) -> str | None:
    found = re.search(rf'href="(\?[^"]*)" (?:rel="\w+" )?data-testid="{testid}"', page)
    return found.group(1).replace("&amp;", "&") if found else None


def in_subtree(org, plan):
    return Enrolment.objects.filter(subtree_q(org.path, "org_path"), plan=plan)


@pytest.fixture
def plans(tree):
    """Last year's and this year's in-service inpatient plans (this year's is the newer)."""
    this = open_plan()
    old = open_plan(year=this.year - 1, name=f"{this.year - 1}年在职职工住院医疗互助保障")
    return old, this


@pytest.fixture
def enrolled(tree, plans, nb_cadre):
    """YZE: 4 members in both plans; YZT: 2 in both; BLE: 3 in last year's plan only."""
    old, this = plans
    yze = [make_member(tree.yze, name=f"张{n}") for n in ("一", "二", "三", "四")]
    yzt = [make_member(tree.yzt, name=f"李{n}") for n in ("一", "二")]
    ble = [make_member(tree.ble, name=f"王{n}") for n in ("一", "二", "三")]
    services.enrol_batch(actor=nb_cadre, plan=old, org=tree.nb, on=jan1())
    services.enrol_batch(actor=nb_cadre, plan=this, org=tree.yz, on=jan1())
    return {"yze": yze, "yzt": yzt, "ble": ble}


class TestScope:
    def test_sibling_districts_never_see_each_others_enrolments(self, client, tree, plans, enrolled, yz_cadre,
                                                                bl_cadre):
        old, _this = plans
        client.force_login(bl_cadre)
        page = html(client.get(URL, {"plan": old.pk}))
        assert sorted(names(page)) == ["王一", "王三", "王二"]
        assert client.get(URL, {"plan": old.pk, "org": "YZ"}).status_code == 404
        client.force_login(yz_cadre)
        page = html(client.get(URL, {"plan": old.pk}))
        assert sorted(names(page)) == sorted(m.name for m in enrolled["yze"] + enrolled["yzt"])
        assert not any(n.startswith("王") for n in names(html(client.get(URL, {"plan": old.pk, "q": "王"}))))
        assert client.get(URL, {"plan": old.pk, "org": "BL"}).status_code == 404

    def test_a_township_sees_its_own_subtree(self, client, tree, plans, enrolled):
        client.force_login(make_cadre(tree.yzt))
        page = html(client.get(URL, {"plan": plans[1].pk}))
        assert sorted(names(page)) == sorted(m.name for m in enrolled["yze"] + enrolled["yzt"])
        client.force_login(make_cadre(tree.yze))
        assert sorted(names(html(client.get(URL, {"plan": plans[1].pk})))) == sorted(m.name for m in enrolled["yze"])


class TestDefaultPlanAndFilter:
    def test_the_list_opens_on_the_newest_plan_with_enrolments_in_the_subtree(self, client, tree, plans, enrolled,
                                                                            yz_cadre, bl_cadre):
        old, this = plans
        client.force_login(yz_cadre)
        page = html(client.get(URL))
        assert re.search(rf'<option value="{this.pk}" selected>', page)
        assert shown_count(page) == "6 人次参保"
        client.force_login(bl_cadre)  # BL has nobody in this year's plan: last year's
        page = html(client.get(URL))
        assert re.search(rf'<option value="{old.pk}" selected>', page)
        assert sorted(names(page)) == ["王一", "王三", "王二"]

    def test_plans_not_yet_open_come_after_the_ones_open(self, tree, plans):
        import datetime as dt

        from django.utils import timezone

        today, year = timezone.localdate(), plans[1].year + 1
        later = open_plan(product=Product.CRITICAL_ILLNESS, year=year, name="明年特种重病",
                          window_start=today + dt.timedelta(days=10), window_end=today + dt.timedelta(days=40))
        assert selectors.enrolment_plans() == [plans[1], plans[0], later]

    def test_without_any_enrolment_the_first_plan_is_shown_empty(self, client, tree, plans, yz_cadre):
        client.force_login(yz_cadre)
        page = html(client.get(URL))
        assert re.search(rf'<option value="{plans[1].pk}" selected>', page)
        assert shown_count(page) == "0 人次参保"

    def test_the_filter_shows_the_chosen_plan_only(self, client, tree, plans, enrolled, nb_cadre):
        old, this = plans
        client.force_login(nb_cadre)
        assert shown_count(html(client.get(URL, {"plan": old.pk}))) == "9 人次参保"
        page = html(client.get(URL, {"plan": this.pk}))
        assert shown_count(page) == "6 人次参保"
        assert not any(n.startswith("王") for n in names(page))

    def test_an_unknown_plan_is_refused_with_a_message_and_lists_nothing(self, client, tree, plans, enrolled,
                                                                          nb_cadre):
        client.force_login(nb_cadre)
        page = html(client.get(URL, {"plan": "999999"}))
        assert 'data-testid="filter-errors"' in page
        assert names(page) == []


class TestSearch:
    def test_name_prefix_card_number_and_masked_id(self, client, tree, plans, enrolled, yz_cadre):
        old, _this = plans
        client.force_login(yz_cadre)
        member = enrolled["yze"][2]
        member.refresh_from_db()
        assert names(html(client.get(URL, {"plan": old.pk, "q": "张"}))) == ["张一", "张二", "张三", "张四"]
        assert names(html(client.get(URL, {"plan": old.pk, "q": "张三"}))) == ["张三"]
        assert names(html(client.get(URL, {"plan": old.pk, "q": member.card_number}))) == ["张三"]
        by_id = names(html(client.get(URL, {"plan": old.pk, "q": member.id_masked[:6]})))
        expected = in_subtree(tree.yz, old).filter(member__id_masked__startswith=member.id_masked[:6])
        assert sorted(by_id) == sorted(e.member.name for e in expected) and "张三" in by_id
        page = html(client.get(URL, {"plan": old.pk, "q": "赵"}))
        assert names(page) == [] and shown_count(page) == "0 人次参保"

    def test_the_search_count_is_exact_up_to_the_limit_then_says_more_than(self, client, tree, plans, enrolled,
                                                                          yz_cadre, monkeypatch):
        old, _this = plans
        client.force_login(yz_cadre)
        assert shown_count(html(client.get(URL, {"plan": old.pk, "q": "张"}))) == "4 人次参保"
        monkeypatch.setattr(selectors, "SEARCH_COUNT_LIMIT", 3)
        assert shown_count(html(client.get(URL, {"plan": old.pk, "q": "张"}))) == "超过 3 人次参保"
        assert shown_count(html(client.get(URL, {"plan": old.pk, "q": "李"}))) == "2 人次参保"


class TestCounts:
    @pytest.mark.parametrize("code", ["nb", "yz", "yzt", "yze", "bl"])
    def test_list_and_plan_page_count_what_a_direct_count_finds(self, client, tree, plans, enrolled, code):
        org = getattr(tree, code)
        client.force_login(make_cadre(org))
        for plan in plans:
            plan.refresh_from_db()
            direct = in_subtree(org, plan).aggregate(n=Count("id"), fees=Sum("fee"))
            assert shown_count(html(client.get(URL, {"plan": plan.pk}))) == f"{direct['n']} 人次参保"
            page = html(client.get(f"/staff/aid/plans/{plan.pk}/"))
            assert f'data-testid="plan-enrolled">{direct["n"]}<' in page
            totals = selectors.enrolment_totals(user=make_cadre(org), org=org, plan=plan)
            assert totals == {"enrolled": direct["n"], "fees": direct["fees"] or Decimal("0.00")}

    def test_the_city_count_is_the_plans_counter_and_matches_the_table(self, tree, plans, enrolled, nb_cadre):
        for plan in plans:
            plan.refresh_from_db()
            assert selectors.plan_enrolled_in(user=nb_cadre, org=tree.nb, plan=plan) == plan.enrolled
            assert plan.enrolled == Enrolment.objects.filter(plan=plan).count()

    def test_outside_the_users_scope_nothing_is_counted(self, tree, plans, enrolled, bl_cadre):
        assert selectors.plan_enrolled_in(user=bl_cadre, org=tree.yz, plan=plans[0]) == 0
        assert selectors.enrolment_page(user=bl_cadre, org=tree.yz, plan=plans[0]).rows == []


class TestPages:
    @pytest.fixture
    def small_pages(self, settings):
        settings.PAGE_SIZE = 2

    def test_next_walks_every_row_once_in_order_and_previous_walks_back(self, client, tree, plans, enrolled,
                                                                       nb_cadre, small_pages):
        old, _this = plans
        expected = [e.member.name for e in in_subtree(tree.nb, old).select_related("member").order_by("org_path", "id")]
        client.force_login(nb_cadre)
        page = html(client.get(URL, {"plan": old.pk}))
        assert link(page, "page-prev") is None
        pages = [names(page)]
        while link(page, "page-next"):
            page = html(client.get(URL + link(page, "page-next")))
            pages.append(names(page))
        assert [n for p in pages for n in p] == expected
        assert [len(p) for p in pages] == [2, 2, 2, 2, 1]
        back = [names(page)]
        while link(page, "page-prev"):
            page = html(client.get(URL + link(page, "page-prev")))
            back.append(names(page))
        assert back == pages[::-1]

    def test_the_last_page_holds_the_last_rows(self, client, tree, plans, enrolled, nb_cadre, small_pages):
        old, _this = plans
        expected = [e.member.name for e in in_subtree(tree.nb, old).select_related("member").order_by("org_path", "id")]
        client.force_login(nb_cadre)
        first = html(client.get(URL, {"plan": old.pk}))
        last = html(client.get(URL + link(first, "page-last")))
        assert names(last) == expected[-2:]
        assert link(last, "page-next") is None and link(last, "page-prev")
        assert names(html(client.get(URL + link(last, "page-prev")))) == expected[-4:-2]

    def test_pages_keep_the_search_and_the_plan(self, client, tree, plans, enrolled, yz_cadre, small_pages):
        old, _this = plans
        client.force_login(yz_cadre)
        page = html(client.get(URL, {"plan": old.pk, "q": "张"}))
        assert names(page) == ["张一", "张二"]
        page = html(client.get(URL + link(page, "page-next")))
        assert names(page) == ["张三", "张四"] and link(page, "page-next") is None

    def test_a_broken_page_link_shows_the_first_page_and_says_so(self, client, tree, plans, enrolled, nb_cadre,
                                                                small_pages):
        client.force_login(nb_cadre)
        page = html(client.get(URL, {"plan": plans[0].pk, "after": "not-a-cursor'--"}))
        assert 'data-testid="bad-cursor"' in page
        assert len(names(page)) == 2 and link(page, "page-prev") is None
