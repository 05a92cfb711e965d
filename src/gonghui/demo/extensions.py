"""How the modules (members, disputes, mutual aid…) add their part to the demo.

The demo builds the union tree and its members; each module then adds its own records for the
same scale, in the same transaction, and says how to remove them before a demo of another scale
replaces this one. A module does so with a ``demo`` module of its own (``gonghui.disputes.demo``)
holding two functions:

    def load(plan, nb, log, password) -> None: ...
    def remove(nb) -> None: ...

``load`` runs after the members and the subtree tallies are in place and must be deterministic
for a given plan (``password`` is the demo logins' password, for any login the module adds, e.g.
a mediator); ``remove`` deletes what ``load`` made under ``nb``'s subtree, set-based, before the
demo's members and unions go. The demo finds these modules when it runs — never at start-up,
so a server does not import demo code — and runs them in the order of INSTALLED_APPS, removing
in reverse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import module_has_submodule

Log = Callable[[str], None]
MODULE = "demo"  # the submodule of an app that adds its demo data


@dataclass(frozen=True)
class Extension:
    name: str  # the app's label
    load: Callable  # (plan: Plan, nb: Org, log: Log, password: str) -> None
    remove: Callable  # (nb: Org) -> None


def discover() -> list[Extension]:
    """The ``demo`` modules of the installed apps, in INSTALLED_APPS order."""
    found = []
    for config in apps.get_app_configs():
        if not module_has_submodule(config.module, MODULE):
            continue
        module = import_module(f"{config.name}.{MODULE}")
        load, remove = getattr(module, "load", None), getattr(module, "remove", None)
        if not (callable(load) and callable(remove)):
            raise ImproperlyConfigured(f"{module.__name__} must define load(plan, nb, log, password) and remove(nb).")
        found.append(Extension(config.label, load=load, remove=remove))
    return found


def load_all(plan, nb, log: Log, password: str) -> None:
    for extension in discover():
        extension.load(plan, nb, log, password)


def remove_all(nb) -> None:
    for extension in reversed(discover()):
        extension.remove(nb)
