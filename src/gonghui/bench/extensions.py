"""How the modules add their benchmarks to `gonghui bench`.

A benchmark is a ``Bench``: a name, a one-line help, the command-line options it takes, and a
function that runs it with the parsed options and returns its ``Metric`` lines. The bench app
holds its own (import, stats, payouts); a module adds more with a ``bench`` module of its own
(``gonghui.stations.bench``) holding a list ``BENCHES``. The command finds those modules when it
runs — never at start-up — in the order of INSTALLED_APPS, the same way the demo finds
``<app>.demo``. Two benchmarks may declare the same option (``--rows``): it is added once, and
the first declaration's default and help win, so give a shared option the same meaning.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import import_module

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import module_has_submodule

MODULE = "bench"  # the submodule of an app that adds its benchmarks


def at_least_one(text: str) -> int:
    """An argparse type: a whole number of 1 or more (rows, repeats, workers)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


@dataclass(frozen=True)
class Option:
    flags: tuple[str, ...]  # ("--rows",)
    kwargs: dict = field(default_factory=dict)  # argparse's: type, default, help…

    @property
    def dest(self) -> str:
        return self.kwargs.get("dest") or self.flags[0].lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class Bench:
    name: str
    help: str
    run: Callable[[dict], Sequence]  # (options) -> [Metric, ...]
    options: tuple[Option, ...] = ()


def discover() -> list[Bench]:
    """Every benchmark of the installed apps, the bench app's own first, by name unique."""
    from gonghui.bench import builtin

    found, names = [], set()
    modules = [builtin]
    for config in apps.get_app_configs():
        if config.name != "gonghui.bench" and module_has_submodule(config.module, MODULE):
            modules.append(import_module(f"{config.name}.{MODULE}"))
    for module in modules:
        benches = getattr(module, "BENCHES", None)
        if not isinstance(benches, (list, tuple)) or not all(isinstance(b, Bench) for b in benches):
            raise ImproperlyConfigured(f"{module.__name__} must define BENCHES, a list of gonghui.bench.extensions.Bench.")
        for bench in benches:
            if bench.name in names:
                raise ImproperlyConfigured(f"Two benchmarks are called {bench.name!r} ({module.__name__}).")
            names.add(bench.name)
            found.append(bench)
    return found
