"""The member home's grid and 办事 are what the portal and the modules registered
(``gonghui.workbench.portal``): a module that ships a service takes its place in the grid."""

from __future__ import annotations

import re

import pytest
from django.utils.translation import gettext_lazy as _

from gonghui.workbench import portal


def grid_of(html: str) -> list[tuple[str, str | None]]:
    """(label, link or None when coming soon) of each tile, in order."""
    start = html.index('class="gh-services')
    grid = html[start:html.index("</ul>", start)]
    tiles = []
    for item in re.findall(r"<li>(.*?)</li>", grid, re.S):
        label = re.search(r"<span>([^<]+)</span>", item)[1]
        link = re.search(r'href="([^"]+)"', item)
        tiles.append((label, link[1] if link else None))
    return tiles


@pytest.fixture
def assistance_shipped():
    """The hardship module registering its tile, as its ready() would; the placeholder afterwards."""
    placeholder = next(t for t in portal.tiles(None) if t.key == "assistance")
    portal.register_tile(portal.Tile("assistance", _("Hardship help"), "house-heart", "portal:services", order=50))
    yield
    portal.unregister_tile("assistance")
    portal.register_tile(placeholder)


def test_the_grid_shows_the_registered_tiles_in_order(client, db):
    tiles = grid_of(client.get("/").content.decode())
    assert [label for label, _link in tiles] == [
        "会员服务卡", "我的工会", "申请入会", "职工医疗互助", "困难帮扶", "法律援助与调解", "普惠活动", "服务驿站", "职工说事",
    ]
    # The shipped services link to their pages; a place still to come has no link.
    assert tiles[:4] == [("会员服务卡", "/me/"), ("我的工会", "/union/"), ("申请入会", "/join/"), ("职工医疗互助", "/aid/")]
    assert tiles[5] == ("法律援助与调解", "/disputes/")
    assert tiles[8] == ("职工说事", None)


def test_a_module_that_ships_a_service_takes_the_place_of_its_placeholder(client, db, assistance_shipped):
    tiles = grid_of(client.get("/").content.decode())
    assert tiles[4] == ("困难帮扶", "/services/")
    assert len(tiles) == 9


def test_a_placeholder_never_replaces_a_shipped_service(client, db, assistance_shipped):
    portal.register_tile(portal.Tile("assistance", _("Hardship help"), "house-heart", None, order=50))
    assert grid_of(client.get("/").content.decode())[4] == ("困难帮扶", "/services/")


def test_a_registered_section_with_nothing_in_it_leaves_the_empty_state(client, worker):
    portal.register_section(portal.Section("tryout", "mutualaid/portal/_services_section.html", lambda user: []))
    try:
        client.force_login(worker)
        html = client.get("/services/").content.decode()
    finally:
        portal.unregister_section("tryout")
    assert "暂无办理中的事项" in html
