import json
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gonghui.core.dates import end_of_last_year
from gonghui.members.models import Category
from gonghui.stats import tallies
from gonghui.workbench import menu
from tests.factories import PASSWORD, UserFactory, grant, make_member, make_org
from tests.pages.conftest import YZ_MEMBER_ID


def _json_scripts(html: str) -> dict[str, dict]:
    found = re.findall(r'<script id="([^"]+)" type="application/json">(.*?)</script>', html, re.S)
    return {key: json.loads(value) for key, value in found}


class TestLogin:
    def test_the_staff_login_page_is_chinese(self, client, db):
        html = client.get("/staff/login/").content.decode()
        assert "工会干部工作台" in html
        assert 'for="id_username"' in html and 'for="id_password"' in html

    def test_a_cadre_logs_in_and_lands_on_the_workbench(self, client, yz_cadre):
        response = client.post("/staff/login/", {"username": "yz_cadre", "password": PASSWORD})
        assert response.status_code == 302
        assert response["Location"] == "/staff/"
        assert "鄞州区总工会" in client.get("/staff/").content.decode()

    def test_a_wrong_password_is_refused_in_chinese(self, client, yz_cadre):
        response = client.post("/staff/login/", {"username": "yz_cadre", "password": "wrong"})
        assert response.status_code == 200
        assert "请输入一个正确的" in response.content.decode()

    def test_repeated_failures_lock_the_login(self, client, yz_cadre, settings):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post("/staff/login/", {"username": "yz_cadre", "password": "wrong"})
        response = client.post("/staff/login/", {"username": "yz_cadre", "password": PASSWORD})
        assert response.status_code == 429
        assert "登录失败次数过多" in response.content.decode()

    def test_logout_is_a_post_and_returns_to_the_login(self, client, yz_cadre):
        client.force_login(yz_cadre)
        response = client.post("/staff/logout/")
        assert response.status_code == 302
        assert client.get("/staff/").status_code == 302


class TestFrame:
    def test_the_menu_shows_only_modules_that_exist(self, client, yz_cadre):
        client.force_login(yz_cadre)
        html = client.get("/staff/").content.decode()
        for label in ("工作台", "组织与会员", "组织架构", "会员名册", "劳动争议", "互助保障", "统计数读"):
            assert label in html
        assert "系统管理" not in html  # the superuser's group

    def test_a_user_with_several_roles_gets_a_switcher(self, client, tree):
        user = UserFactory(username="two_hats")
        grant(user, tree.yz)
        grant(user, tree.bl)
        client.force_login(user)
        html = client.get("/staff/").content.decode()
        assert "切换工会" in html
        assert "/staff/?org=BL" in html and "/staff/?org=YZ" in html
        html = client.get("/staff/?org=BL").content.decode()
        assert 'data-testid="current-org">北仑区总工会<' in html
        # the choice sticks for the next pages
        assert 'data-testid="current-org">北仑区总工会<' in client.get("/staff/stats/").content.decode()

    def test_a_single_role_shows_no_switcher(self, client, yz_cadre):
        client.force_login(yz_cadre)
        assert "切换工会" not in client.get("/staff/").content.decode()

    def test_breadcrumbs_show_the_org_path_within_reach(self, client, yz_cadre, nb_cadre):
        client.force_login(nb_cadre)
        html = client.get("/staff/orgs/YZE/").content.decode()
        crumbs = html[html.index('class="breadcrumb'):html.index("</ol>")]
        assert [n for n in ("宁波市总工会", "鄞州区总工会", "首南街道总工会", "鄞州某科技公司工会") if n in crumbs] == [
            "宁波市总工会", "鄞州区总工会", "首南街道总工会", "鄞州某科技公司工会"]
        client.force_login(yz_cadre)
        html = client.get("/staff/orgs/YZE/").content.decode()
        crumbs = html[html.index('class="breadcrumb'):html.index("</ol>")]
        assert "宁波市总工会" not in crumbs  # above the cadre's reach
        assert "鄞州区总工会" in crumbs

    def test_the_language_can_be_switched_to_english(self, client, yz_cadre):
        client.force_login(yz_cadre)
        client.post("/i18n/setlang/", {"language": "en", "next": "/staff/"})
        html = client.get("/staff/").content.decode()
        assert "Member roster" in html and "会员名册" not in html

    def test_pages_carry_no_inline_script(self, client, yz_cadre, yz_member):
        client.force_login(yz_cadre)
        for url in ("/staff/", "/staff/stats/", "/staff/orgs/YZ/", "/staff/orgs/YZ/members/",
                    f"/staff/members/{yz_member.pk}/", "/staff/orgs/YZE/members/add/"):
            html = client.get(url).content.decode()
            for tag in re.findall(r"<script\b[^>]*>", html):
                assert "src=" in tag or 'type="application/json"' in tag, (url, tag)
            assert not re.search(r"\son[a-z]+=", html), url


class TestHomeAndStats:
    def test_home_shows_the_kpis_of_the_current_union(self, client, yz_cadre, yz_member):
        make_org(yz_member.org, kind="new_form", name="快递小哥联合工会")
        client.force_login(yz_cadre)
        html = client.get("/staff/").content.decode()
        for label in ("组织数", "会员数", "新业态工会", "新就业形态会员"):
            assert label in html
        assert 'data-testid="kpi-members">1<' in html
        assert 'data-testid="kpi-new_form_orgs">1<' in html

    def test_home_compares_with_the_end_of_last_year_from_its_snapshot(self, client, yz_cadre, yz_member, tree):
        year_end = end_of_last_year(timezone.localdate())
        make_member(tree.yze, name="今年一", joined_on=timezone.localdate())
        make_member(tree.yze, name="今年二", joined_on=timezone.localdate())
        tallies.take_snapshot(year_end)  # 1 member then (joined 2020), 3 now
        client.force_login(yz_cadre)
        client.get("/staff/")  # warm caches (content types, sessions)
        with CaptureQueriesContext(connection) as queries:
            html = client.get("/staff/").content.decode()
        assert 'data-testid="kpi-members">3<' in html
        assert "较上年末" in html and "+200.0%" in html
        assert not any("members_member" in q["sql"] for q in queries.captured_queries)

    def test_the_stats_page_has_four_charts_with_titles_units_and_tables(self, client, yz_cadre, yz_member):
        client.force_login(yz_cadre)
        html = client.get("/staff/stats/?org=YZ").content.decode()
        charts = _json_scripts(html)
        assert set(charts) == {"chart-category-data", "chart-sex-data", "chart-age-data", "chart-joined-data"}
        assert charts["chart-category-data"]["values"][list(Category.values).index("courier")] == 1
        assert charts["chart-sex-data"]["labels"] == ["男", "女"]
        assert charts["chart-joined-data"]["labels"] == ["2020"]
        for key in ("category", "sex", "age", "joined"):
            assert f'data-chart="chart-{key}-data"' in html
        assert html.count("单位：人") == 4
        assert html.count("<details") == 4
        assert "八大群体会员分布" in html and "快递员" in html

    def test_big_numbers_have_thousands_separators(self, client, yz_cadre, monkeypatch):
        from gonghui.staff import views

        fake = {"orgs": 3956, "members": 506000, "new_form_orgs": 144, "new_form_members": 55000,
                "by_category": {}, "by_sex": {"M": 300000, "F": 206000}, "by_age_band": {},
                "joined_per_year": {}, "on": "2025-01-01"}
        monkeypatch.setattr(views, "subtree_stats", lambda **kw: fake)
        client.force_login(yz_cadre)
        html = client.get("/staff/stats/").content.decode()
        assert 'data-testid="kpi-members">506,000<' in html
        assert 'data-testid="kpi-orgs">3,956<' in html
        assert "300,000" in html  # in the table view

    def test_stats_as_of_a_past_day(self, client, yz_cadre, yz_member):
        client.force_login(yz_cadre)
        html = client.get("/staff/stats/?org=YZ&on=2019-12-31").content.decode()
        assert 'data-testid="kpi-members">0<' in html
        html = client.get("/staff/stats/?org=YZ&on=2099-01-01").content.decode()
        assert "请选择今天或以前的日期" in html

    def test_the_stats_page_shows_the_work_of_a_period(self, client, yz_cadre, tree, monkeypatch):
        import datetime as dt
        from decimal import Decimal

        from gonghui.stats import activity

        metrics = activity.metrics(activity.Metric("cases_settled", "Settled", "settled"),
                                   activity.Metric("amount_recovered", "Recovered", "recovered", kind="amount"))
        monkeypatch.setattr(activity, "SOURCES", {"t": activity.Source("t", metrics, recount=activity.Deltas)})

        deltas = activity.Deltas()
        deltas.add(tree.yze.path, dt.date(2022, 3, 1), "cases_settled", n=2)
        deltas.add(tree.yze.path, dt.date(2022, 3, 1), "amount_recovered", amount=Decimal("123456.00"))
        deltas.add(tree.ble.path, dt.date(2022, 3, 1), "cases_settled", n=5)  # another district
        deltas.add(tree.yze.path, dt.date(2023, 1, 1), "cases_settled", n=7)  # after the period
        activity.add(deltas)
        client.force_login(yz_cadre)
        html = client.get("/staff/stats/?org=YZ&start=2022-01-01&end=2022-12-31").content.decode()
        assert 'data-testid="kpi-cases_settled">2<' in html
        assert 'data-testid="kpi-amount_recovered">12.35' in html  # 万元
        html = client.get("/staff/stats/?org=YZ&start=2023-01-01&end=2022-12-31").content.decode()
        assert 'role="alert"' in html  # a period ending before it starts is refused …
        assert 'data-testid="kpi-cases_settled">0<' in html  # … and this year is shown instead


class TestOrgPages:
    def test_an_org_page_shows_facts_and_children_with_member_counts(self, client, yz_cadre, yz_member, tree):
        make_member(tree.yzt, name="王五")
        client.force_login(yz_cadre)
        html = client.get("/staff/orgs/YZ/").content.decode()
        assert "首南街道总工会" in html and "区（县、市）总工会" in html
        row = html[html.index("/staff/orgs/YZT/"):]
        row = row[: row.index("</tr>")]
        assert '<td class="text-end num">2</td>' in row  # YZT's subtree: 王五 and 张三丰

    def test_child_counts_take_one_query(self, tree, yz_cadre):
        from gonghui.members.selectors import member_counts_by_child
        from gonghui.orgs.selectors import org_children

        for i in range(3):
            make_member(make_org(tree.yzt, name=f"企业{i}"), name=f"会员{i}")
        children = list(org_children(user=yz_cadre, org=tree.yzt))
        with CaptureQueriesContext(connection) as ctx:
            counts = member_counts_by_child(user=yz_cadre, children=children)
        assert len(ctx.captured_queries) <= 2  # the grouped query (+ the cached scope lookup)
        assert sorted(counts.values()) == [0, 1, 1, 1]

    def test_search_finds_unions_by_name_or_code_within_the_subtree(self, client, yz_cadre, tree):
        client.force_login(yz_cadre)
        html = client.get("/staff/orgs/YZ/?q=科技").content.decode()
        assert "鄞州某科技公司工会" in html and "北仑某港口公司工会" not in html
        html = client.get("/staff/orgs/YZ/?q=YZE").content.decode()
        assert "鄞州某科技公司工会" in html
        html = client.get("/staff/orgs/YZ/?q=港口").content.decode()
        assert "北仑某港口公司工会" not in html

    def test_live_search_answers_with_the_results_only(self, client, yz_cadre, tree):
        client.force_login(yz_cadre)
        response = client.get("/staff/orgs/YZ/?q=科技", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="org-results")
        html = response.content.decode()
        assert "鄞州某科技公司工会" in html
        assert "<html" not in html and "gh-sidebar" not in html


class TestMemberPages:
    def test_the_list_shows_masked_data_and_never_the_plain_id(self, client, yz_cadre, yz_member):
        client.force_login(yz_cadre)
        html = client.get("/staff/orgs/YZ/members/").content.decode()
        assert "张三丰" in html
        assert yz_member.id_masked in html and "138****5678" in html
        assert YZ_MEMBER_ID not in html and "13812345678" not in html
        assert yz_member.card_number in html
        assert "共 1 名会员" in html
        assert "快递员" in html and "鄞州某科技公司工会" in html

    def test_search_by_name_prefix_and_by_card_number(self, client, yz_cadre, yz_member, tree):
        make_member(tree.yze, name="王小明")
        client.force_login(yz_cadre)
        html = client.get("/staff/orgs/YZ/members/?q=张").content.decode()
        assert "张三丰" in html and "王小明" not in html
        html = client.get(f"/staff/orgs/YZ/members/?q={yz_member.card_number}").content.decode()
        assert "张三丰" in html and "王小明" not in html
        html = client.get("/staff/orgs/YZ/members/?q=三丰").content.decode()
        assert "没有符合条件的会员" in html  # a prefix search, not "contains"

    def test_the_list_paginates_with_a_count(self, client, yz_cadre, tree, settings):
        settings.PAGE_SIZE = 3
        for i in range(7):
            make_member(tree.yze, name=f"会员{i}")
        client.force_login(yz_cadre)
        html = client.get("/staff/orgs/YZ/members/").content.decode()
        assert "共 7 名会员" in html and "第 1 页，共 3 页" in html
        assert html.count("/staff/members/") - html.count("/staff/members/?") >= 3
        html = client.get("/staff/orgs/YZ/members/?page=3").content.decode()
        assert "第 3 页，共 3 页" in html

    def test_the_member_list_runs_a_fixed_number_of_queries(self, client, yz_cadre, tree,
                                                             django_assert_max_num_queries):
        client.force_login(yz_cadre)
        orgs = [make_org(tree.yzt, name=f"企业{i}") for i in range(5)]
        for i in range(3):
            make_member(orgs[i % 5], name=f"甲{i}")
        client.get("/staff/orgs/YZ/members/")  # warm caches (content types, sessions)
        with CaptureQueriesContext(connection) as few:
            assert client.get("/staff/orgs/YZ/members/").status_code == 200
        for i in range(40):
            make_member(orgs[i % 5], name=f"乙{i}")
        with CaptureQueriesContext(connection) as many:
            assert client.get("/staff/orgs/YZ/members/").status_code == 200
        assert len(many.captured_queries) == len(few.captured_queries)
        badges = sum(1 for entry in menu.entries() if entry.badge and entry.shown(yz_cadre, tree.yz))
        with django_assert_max_num_queries(10 + badges):  # and one waiting count per menu badge (joins, transfers…)
            client.get("/staff/orgs/YZ/members/?page=1&q=乙")

    def test_the_detail_shows_status_fields_and_timeline(self, client, yz_cadre, yz_member):
        client.force_login(yz_cadre)
        html = client.get(f"/staff/members/{yz_member.pk}/").content.decode()
        assert "张三丰" in html and "在会" in html
        assert yz_member.id_masked in html and YZ_MEMBER_ID not in html
        assert "录入会员库" in html  # from the audit log
        assert "显示完整身份证号" in html

    def test_the_timeline_lists_changes_by_field(self, client, yz_cadre, yz_member):
        from gonghui.members.services import member_update

        member_update(actor=yz_cadre, member=yz_member, name="张三", employer="顺丰")
        client.force_login(yz_cadre)
        html = client.get(f"/staff/members/{yz_member.pk}/").content.decode()
        assert "修改信息" in html and "姓名" in html and "工作单位" in html
        assert html.index("修改信息") < html.index("录入会员库")  # newest first

    def test_the_timeline_selector_stays_in_scope(self, yz_member, bl_cadre, yz_cadre):
        from gonghui.members.selectors import member_timeline

        assert [e.action for e in member_timeline(user=yz_cadre, member=yz_member)] == ["member.create"]
        assert list(member_timeline(user=bl_cadre, member=yz_member)) == []

    def test_members_redirect_keeps_the_search(self, client, yz_cadre, tree):
        client.force_login(yz_cadre)
        response = client.get("/staff/members/?org=YZT&q=张")
        assert response.status_code == 302
        assert response["Location"].startswith("/staff/orgs/YZT/members/?q=")

