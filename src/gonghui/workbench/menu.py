"""The staff workbench's menu: what apps register, in groups, with the badges of work waiting.

An app adds its pages in ``AppConfig.ready()``::

    from gonghui.workbench import menu

    menu.register(menu.MenuEntry("aid", _("Mutual aid"), "staff:mutualaid:home", "heart-pulse",
                                 group="unions", order=60))

The key is also the ``section`` its pages pass to ``render_staff`` (the entry is then marked as the
current page) and names the link for tests (``data-testid="menu-<key>"``, the badge
``<key>-waiting``). ``render_staff`` builds the menu for the user and their current union on each
page; the shell's layout only draws it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from gonghui.orgs.models import Org

# (user, current union or None) → bool / int. A user without a current union is room staff (a
# mediator or lawyer holding no union role) or someone on a system without unions yet.
Shown = Callable[[Any, Org | None], bool]
Badge = Callable[[Any, Org | None], int]


def with_union(user, org: Org | None) -> bool:
    """The default: shown when the user works for a union (an org-bound page needs one)."""
    return org is not None


def always(user, org: Org | None) -> bool:
    return True


@dataclass(frozen=True)
class MenuGroup:
    """A heading of the menu; its entries follow it. ``shown`` decides the heading only."""

    key: str
    label: Any
    order: int
    shown: Shown = with_union


@dataclass(frozen=True)
class MenuEntry:
    key: str
    label: Any  # a lazy translation
    url: str | Callable[[Org | None], str]  # a URL name without arguments, or the link for the current union
    icon: str  # a Bootstrap icon's name, without "bi-"
    order: int = 100
    group: str = ""  # "" comes before every group
    shown: Shown = with_union
    badge: Badge | None = None  # the work waiting for this user in the current union's subtree

    def href(self, org: Org | None) -> str:
        return reverse(self.url) if isinstance(self.url, str) else self.url(org)


_groups: dict[str, MenuGroup] = {}
_entries: dict[str, MenuEntry] = {}


def register_group(group: MenuGroup) -> MenuGroup:
    _groups[group.key] = group
    return group


def register(entry: MenuEntry) -> MenuEntry:
    """Add (or replace, registering again under its key) an entry of the menu."""
    _entries[entry.key] = entry
    return entry


def unregister(key: str) -> None:
    _entries.pop(key, None)


def entries() -> list[MenuEntry]:
    """Every registered entry in menu order: ungrouped first, then by group, each by its order."""

    def place(entry: MenuEntry):
        group = _groups.get(entry.group)
        return (group.order if group else -1, entry.group, entry.order, entry.key)

    return sorted(_entries.values(), key=place)


def build(user, org: Org | None, section: str = "") -> list[dict]:
    """The menu as the layout draws it: headings and links, with their badges, for ``user``."""
    items: list[dict] = []
    heading = None
    for entry in entries():
        if not entry.shown(user, org):
            continue
        if entry.group != heading:
            heading = entry.group
            group = _groups.get(entry.group)
            if group is not None and group.shown(user, org):
                items.append({"heading": group.label})
        items.append({
            "key": entry.key,
            "label": entry.label,
            "href": entry.href(org),
            "icon": entry.icon,
            "active": entry.key == section,
            "badge": entry.badge(user, org) if entry.badge else 0,
        })
    return items
