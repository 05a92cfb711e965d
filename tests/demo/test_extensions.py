"""The modules' demo data comes from their ``<app>.demo`` modules, found when the demo runs: a server
that starts never imports demo or bench code."""

import os
import subprocess
import sys
import types

import pytest
from django.core.exceptions import ImproperlyConfigured

from gonghui.demo import extensions

BOOT = """
import os, sys
import django
django.setup()
import gonghui.urls, gonghui.wsgi  # what a server imports
demo = [m for m in sys.modules if m.startswith("gonghui.") and (m.endswith(".demo") or ".demo." in m
        or m.startswith("gonghui.bench."))]
print(sorted(m for m in demo if not m.endswith((".apps", "gonghui.demo", "gonghui.bench"))))
"""


def test_a_server_starting_up_imports_no_demo_or_bench_code(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "gonghui.settings", "GONGHUI_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", BOOT], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_the_modules_demo_parts_are_found_in_the_order_of_installed_apps():
    from django.apps import apps

    found = [e.name for e in extensions.discover()]
    assert found[:3] == ["members", "disputes", "mutualaid"]
    order = [config.label for config in apps.get_app_configs()]
    assert found == sorted(found, key=order.index)


def test_a_demo_module_without_load_and_remove_is_refused(monkeypatch):
    import gonghui.disputes.demo as real

    broken = types.ModuleType(real.__name__)
    broken.__spec__, broken.load = real.__spec__, real.load  # no remove
    monkeypatch.setitem(sys.modules, real.__name__, broken)
    with pytest.raises(ImproperlyConfigured, match="gonghui.disputes.demo must define load"):
        extensions.discover()


def test_modules_are_loaded_in_order_and_removed_in_reverse(monkeypatch):
    calls = []
    for found in extensions.discover():
        module = sys.modules[f"gonghui.{found.name}.demo"]
        monkeypatch.setattr(module, "load", lambda plan, nb, log, password, n=found.name: calls.append(("load", n)))
        monkeypatch.setattr(module, "remove", lambda nb, n=found.name: calls.append(("remove", n)))
    extensions.load_all(None, None, print, "pw")
    extensions.remove_all(None)
    names = [found.name for found in extensions.discover()]
    assert calls == [("load", n) for n in names] + [("remove", n) for n in reversed(names)]
