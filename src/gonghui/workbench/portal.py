"""The member pages' contributions from apps: the home's service grid and the sections of 办事.

- ``register_tile(Tile(key, label, icon, url, order))``: a service of the 甬工惠 home grid. A tile
  without a URL is shown as coming soon, never as a link that leads nowhere; the portal registers
  those placeholders for services still to come, and a module that ships one registers its tile under
  the same key (a placeholder never replaces a real tile, whichever registers first).
- ``register_section(Section(key, template, items, order))``: the worker's matters of a module on
  办事 ("My matters"), where each stands and what comes next; ``items(user)`` lists them and the
  template gets them as ``items`` (it shows nothing when there are none).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Tile:
    key: str
    label: Any  # a lazy translation
    icon: str  # a Bootstrap icon's name, without "bi-"
    url: str | None  # a URL name without arguments; None: coming soon
    order: int = 100
    shown: Callable[[Any], bool] = lambda user: True


@dataclass(frozen=True)
class Section:
    key: str
    template: str
    items: Callable[[Any], Sequence]  # the worker (a logged-in user) → their matters in this module
    order: int = 100


_tiles: dict[str, Tile] = {}
_sections: dict[str, Section] = {}


def register_tile(tile: Tile) -> Tile:
    known = _tiles.get(tile.key)
    if tile.url is None and known is not None and known.url is not None:
        return known  # a placeholder arriving after the module's own tile
    _tiles[tile.key] = tile
    return tile


def unregister_tile(key: str) -> None:
    _tiles.pop(key, None)


def tiles(user) -> list[Tile]:
    return [t for t in sorted(_tiles.values(), key=lambda t: (t.order, t.key)) if t.shown(user)]


def register_section(section: Section) -> Section:
    _sections[section.key] = section
    return section


def unregister_section(key: str) -> None:
    _sections.pop(key, None)


def sections(user) -> list[dict]:
    """Each registered section with the user's items in it, in order: {"key", "template", "items"}."""
    return [{"key": s.key, "template": s.template, "items": list(s.items(user))}
            for s in sorted(_sections.values(), key=lambda s: (s.order, s.key))]
