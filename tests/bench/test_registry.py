"""`gonghui bench` lists what the apps registered: the bench app's own and each module's ``bench``
module, found when the command runs; a module adds a benchmark without editing the bench app."""

import json
import sys
import types
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from gonghui.bench.common import Metric
from gonghui.bench.extensions import Bench, Option, at_least_one, discover


def test_the_builtin_benchmarks_are_listed_with_their_options():
    benches = {bench.name: bench for bench in discover()}
    assert {"import", "stats", "payouts"} <= set(benches)
    assert {option.dest for option in benches["payouts"].options} == {"rows", "workers"}


@pytest.fixture
def module_bench(monkeypatch):
    """A ``bench`` module of an installed app (mutual aid's), as a new module would write it."""
    seen = {}

    def run(options):
        seen.update(options)
        return [Metric("probe", "p95_ms", 1.5, "ms", {"level": "city"})]

    module = types.ModuleType("gonghui.mutualaid.bench")
    module.BENCHES = [Bench("probe", "a module's own benchmark", run, options=(
        Option(("--rows",), {"type": at_least_one, "default": 7}),  # shared with import and payouts: added once
        Option(("--depth",), {"type": at_least_one, "default": 3}),
    ))]
    monkeypatch.setitem(sys.modules, "gonghui.mutualaid.bench", module)
    config = apps.get_app_config("mutualaid")
    monkeypatch.setattr("gonghui.bench.extensions.module_has_submodule",
                        lambda package, name: package is config.module and name == "bench")
    return seen


def test_a_module_bench_runs_with_its_own_options(module_bench):
    out = StringIO()
    call_command("bench", "probe", "--depth", "5", "--json", stdout=out)
    line = json.loads(out.getvalue())
    assert (line["bench"], line["metric"], line["value"], line["level"]) == ("probe", "p95_ms", 1.5, "city")
    assert module_bench["depth"] == 5 and module_bench["rows"] == 1_000_000  # the first declaration's default


def test_unknown_names_and_bad_numbers_are_refused_before_anything_runs(module_bench):
    with pytest.raises(CommandError, match="Unknown benchmark.*nope"):
        call_command("bench", "nope", stdout=StringIO())
    with pytest.raises(CommandError, match="at least 1"):
        call_command("bench", "probe", "--depth", "0", stdout=StringIO())
    assert module_bench == {}


def test_two_benchmarks_of_one_name_are_a_configuration_error(monkeypatch, module_bench):
    import gonghui.mutualaid.bench as module

    monkeypatch.setattr(module, "BENCHES", [Bench("stats", "a clash", lambda options: [])])
    with pytest.raises(Exception, match="Two benchmarks are called 'stats'"):
        discover()
