"""The staff menu is what apps registered (``gonghui.workbench.menu``): every entry in its place, each
with the work waiting for the user, and nothing the registry does not hold."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils.translation import gettext_lazy as _

from gonghui.members.services import join_apply
from gonghui.workbench import home, menu
from gonghui.workbench.charts import chart_spec
from tests.disputes.conftest import bl_mediator, rooms  # noqa: F401
from tests.factories import make_org, valid_id_number, verified_account


def menu_of(html: str) -> list[str]:
    """The menu as a user reads it: headings as "# 标题", links as their keys, a badge as key=N."""
    body = html[html.index('class="nav nav-pills flex-column gh-menu"'):]
    body = body[:body.index("</ul>")]
    items = []
    for heading, key, badge in re.findall(
            r'gh-menu-group" role="presentation">([^<]+)<|data-testid="menu-([\w-]+)"|data-testid="([\w-]+-waiting)">\d+',
            body):
        if heading:
            items.append(f"# {heading}")
        elif key:
            items.append(key)
        else:
            items[-1] += "=" + re.search(rf'data-testid="{badge}">(\d+)', body)[1]
    return items


@pytest.fixture
def registered():
    """Register entries for one test; the registry is as before afterwards."""
    added = []

    def add(entry):
        added.append(entry.key)
        return menu.register(entry)

    yield add
    for key in added:
        menu.unregister(key)


@pytest.fixture
def without():
    """Take a module's registration away for one test, as if it were not installed."""
    taken = []

    def take(key):
        taken.append(next(e for e in menu.entries() if e.key == key))
        menu.unregister(key)

    yield take
    for entry in taken:
        menu.register(entry)


def test_a_cadre_sees_every_registered_entry_in_order(client, yz_cadre):
    client.force_login(yz_cadre)
    shown = menu_of(client.get("/staff/").content.decode())
    # The platform's own entries and the first modules, in order; later modules may add theirs in between.
    expected = ["home", "# 组织与会员", "orgs", "members", "joins", "transfers", "disputes", "aid", "# 统计数读", "stats"]
    assert [key for key in shown if key in expected] == expected


def test_the_menu_is_the_registry_in_order(client, yz_cadre, tree):
    client.force_login(yz_cadre)
    shown = [key for key in menu_of(client.get("/staff/").content.decode()) if not key.startswith("#")]
    assert shown == [e.key for e in menu.entries() if e.shown(yz_cadre, tree.yz)]


def test_a_badge_counts_what_waits_in_the_current_union(client, yz_cadre, tree):
    rider_union = make_org(tree.yzt, code="YZNF", name="鄞州美团骑手工会", kind="new_form")
    for n, phone in enumerate(["13955556661", "13955556662"]):
        join_apply(applicant=verified_account(phone), org=rider_union, name="吴骑手",
                   id_number=valid_id_number(7410 + n, birth=dt.date(1993, 9, 9)), employer="美团外卖",
                   category="delivery_rider")
    client.force_login(yz_cadre)
    assert "joins=2" in menu_of(client.get("/staff/?org=YZ").content.decode())
    assert "transfers" in menu_of(client.get("/staff/").content.decode())  # nothing waits: no badge


def test_a_registered_entry_appears_in_its_place_with_its_badge(client, yz_cadre, registered):
    registered(menu.MenuEntry("tryout", _("Tryout"), lambda org: f"/staff/?org={org.code}", "star",
                              group="unions", order=55, badge=lambda user, org: 3 if org.code == "YZ" else 0))
    client.force_login(yz_cadre)
    html = client.get("/staff/").content.decode()
    shown = menu_of(html)
    assert shown.index("disputes") < shown.index("tryout=3") < shown.index("aid")
    assert 'href="/staff/?org=YZ" data-testid="menu-tryout"' in html


def test_the_current_page_is_marked_by_its_section(client, yz_cadre):
    client.force_login(yz_cadre)
    html = client.get("/staff/aid/").content.decode()
    assert re.findall(r'aria-current="page" href="[^"]*" data-testid="menu-([\w-]+)"', html) == ["aid"]


def test_a_module_that_did_not_register_has_no_entry(client, yz_cadre, without):
    without("aid")
    client.force_login(yz_cadre)
    assert "aid" not in menu_of(client.get("/staff/").content.decode())
    assert 'data-testid="menu-aid"' not in client.get("/staff/disputes/").content.decode()


def test_a_group_with_nothing_to_show_has_no_heading(client, yz_cadre, without):
    without("stats")
    client.force_login(yz_cadre)
    shown = menu_of(client.get("/staff/").content.decode())
    assert "# 统计数读" not in shown and not shown[-1].startswith("#")


def test_room_staff_see_the_entries_that_are_theirs_without_headings(client, bl_mediator):
    client.force_login(bl_mediator)
    assert client.get("/staff/")["Location"] == "/staff/disputes/"  # the landing page disputes registered
    assert menu_of(client.get("/staff/disputes/").content.decode()) == ["home", "disputes"]


def test_a_superuser_also_sees_the_system_group(client, django_user_model, tree):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "x-Long-pw-1"))
    assert menu_of(client.get("/staff/").content.decode())[-2:] == ["# 系统", "admin"]


def test_a_registered_home_card_shows_on_the_home_of_the_current_union(client, yz_cadre):
    # The chart partial of the workbench, fed by the card's context: one card a module could register.
    def context(request, org):
        return {"chart": chart_spec("tryout", "bar", f"{org.name}的试用", [("一月", 4)], unit="件", series="件数")}

    card = home.HomeCard("tryout", "staff/_chart.html", context, order=1)
    home.register_card(card)
    try:
        client.force_login(yz_cadre)
        html = client.get("/staff/").content.decode()
    finally:
        home.unregister_card("tryout")
    assert 'data-testid="home-card-tryout"' in html and "鄞州区总工会的试用" in html
    assert 'data-testid="home-card-tryout"' not in client.get("/staff/").content.decode()
