"""How the modules (disputes, mutual aid…) add their part to the demo.

The demo builds the union tree and its members; each module then adds its own records for the
same scale, in the same transaction, and says how to remove them before a demo of another scale
replaces this one. A module registers one ``Extension`` from its AppConfig.ready():

    extensions.register(Extension("disputes", load=load_demo_cases, remove=remove_demo_cases))

``load(plan, nb, log, password)`` runs after the members and the subtree tallies are in place
and must be deterministic for a given plan (``password`` is the demo logins' password, for any
login the module adds, e.g. a mediator); ``remove(nb)`` deletes what ``load`` made under ``nb``'s subtree,
set-based, before the demo's members and unions go. Extensions run in registration order (the
order of INSTALLED_APPS) and are removed in reverse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Log = Callable[[str], None]


@dataclass(frozen=True)
class Extension:
    name: str
    load: Callable  # (plan: Plan, nb: Org, log: Log, password: str) -> None
    remove: Callable  # (nb: Org) -> None


EXTENSIONS: dict[str, Extension] = {}


def register(extension: Extension) -> None:
    EXTENSIONS[extension.name] = extension


def load_all(plan, nb, log: Log, password: str) -> None:
    for extension in EXTENSIONS.values():
        extension.load(plan, nb, log, password)


def remove_all(nb) -> None:
    for extension in reversed(list(EXTENSIONS.values())):
        extension.remove(nb)
