"""The staff home's contributions from apps: landing pages for users without a union role, and cards.

- ``register_landing(Landing(key, url_name, applies))``: a user who holds no union role but may use
  a module (a mediator of a room) is sent to that module's home instead of a 403.
- ``register_card(HomeCard(key, template, context, order))``: a card of the current union's home
  (work waiting, the module's figures); ``context(request, org)`` returns the template's context, or
  None to show nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string

from gonghui.orgs.models import Org


@dataclass(frozen=True)
class Landing:
    key: str
    url_name: str
    applies: Callable[[Any], bool]  # user → bool


@dataclass(frozen=True)
class HomeCard:
    key: str
    template: str
    context: Callable[[Any, Org], dict | None]  # (request, current union) → the template's context
    order: int = 100


_landings: dict[str, Landing] = {}
_cards: dict[str, HomeCard] = {}


def register_landing(landing: Landing) -> Landing:
    _landings[landing.key] = landing
    return landing


def landing_for(user) -> str | None:
    """The URL name of the first registered landing page that applies to ``user``."""
    for landing in _landings.values():
        if landing.applies(user):
            return landing.url_name
    return None


def register_card(card: HomeCard) -> HomeCard:
    _cards[card.key] = card
    return card


def unregister_card(key: str) -> None:
    _cards.pop(key, None)


def cards(request, org: Org) -> list[dict]:
    """The cards to show on ``org``'s home, in order, rendered: {"key", "html"}."""
    shown = []
    for card in sorted(_cards.values(), key=lambda c: (c.order, c.key)):
        context = card.context(request, org)
        if context is not None:
            shown.append({"key": card.key, "html": render_to_string(card.template, context, request=request)})
    return shown
