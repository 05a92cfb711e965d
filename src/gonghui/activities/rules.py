"""Pure rules of the activities engine: who is in an activity's audience, which priority group a
member falls in, and the lottery's order. No database access here; the services feed them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

DRAW_METHOD = ("sha256(seed + ':' + ticket) as a hexadecimal number, ascending, within the priority "
               "groups in their order (group 1 first, then the rest); the first N are given the places, "
               "the others join the waiting list in the same order")


@dataclass(frozen=True)
class Person:
    """What the rules need to know of a member."""

    org_path: str
    category: str = ""
    is_new_form: bool = False
    sex: str = ""
    eligibility: frozenset[str] = frozenset()


def audience_refusal(*, org_path: str, categories: Iterable[str], new_form: bool, women: bool, eligibility: str,
                     person: Person) -> str | None:
    """Why ``person`` is outside the audience (a reason code), or None when they are in it."""
    if not person.org_path.startswith(org_path):
        return "outside_subtree"
    categories = list(categories or ())
    if categories and person.category not in categories:
        return "outside_groups"
    if new_form and not person.is_new_form:
        return "not_new_form"
    if women and person.sex != "F":
        return "women_only"
    if eligibility and eligibility not in person.eligibility:
        return "not_eligible"
    return None


def priority_of(groups: Iterable[str], person: Person) -> int:
    """The index of the first priority group ``person`` belongs to; len(groups) for everyone else.

    A group is an eligibility code (``hardship``, ``skilled``…), ``new_form``, or a category code."""
    groups = list(groups or ())
    for i, group in enumerate(groups):
        if (group in person.eligibility or (group == "new_form" and person.is_new_form)
                or (person.category and group == person.category)):
            return i
    return len(groups)


def draw_key(seed: str, ticket: str) -> str:
    return hashlib.sha256(f"{seed}:{ticket}".encode()).hexdigest()


def draw_order(seed: str, entrants: Iterable[tuple[str, int]]) -> list[str]:
    """The tickets of ``entrants`` ((ticket, priority) pairs) in the order of the draw: priority
    group first, then the seeded hash. Anyone holding the seed and the published entrants gets the
    same order (DRAW_METHOD)."""
    return [ticket for _key, ticket in sorted(((priority, draw_key(seed, ticket)), ticket)
                                              for ticket, priority in entrants)]
