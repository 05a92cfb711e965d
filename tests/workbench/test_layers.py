"""The layers are checked, not only described: ``lint-imports`` passes on the tree, with no import
of the shells excused, and fails when a lower layer imports a higher one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import gonghui

SRC = Path(gonghui.__file__).parent
ROOT = SRC.parent.parent
PYPROJECT = ROOT / "pyproject.toml"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists() or not PYPROJECT.exists(),
                                reason="needs the project's checkout and its lint-imports")


def lint_imports(root: Path, src: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=root, env=env, capture_output=True, text=True,
                          timeout=300)


def test_the_tree_keeps_every_contract():
    result = lint_imports(ROOT, SRC.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower().replace("0 broken", "")


def test_no_import_of_the_shells_or_by_them_is_excused():
    excused = [line.split("#")[0].strip() for line in PYPROJECT.read_text().splitlines()
               if line.strip().startswith('"gonghui.') and "->" in line]
    assert not [line for line in excused
                if "gonghui.staff" in line or "gonghui.portal" in line or "gonghui.workbench" in line
                or line.startswith(('"gonghui.api ', '"gonghui.urls '))]


@pytest.mark.parametrize(("module", "line", "named"), [
    ("core/paths.py", "import gonghui.members.models", "gonghui.core.paths -> gonghui.members.models"),
    ("workbench/charts.py", "import gonghui.members.selectors", "gonghui.workbench.charts -> gonghui.members"),
    ("disputes/rules.py", "import gonghui.staff.charts", "gonghui.disputes.rules -> gonghui.staff.charts"),
    ("mutualaid/rules.py", "import gonghui.disputes.rules", "gonghui.mutualaid.rules -> gonghui.disputes.rules"),
    ("portal/views.py", "import gonghui.disputes.selectors", "gonghui.portal.views -> gonghui.disputes.selectors"),
], ids=["core-imports-members", "workbench-imports-members", "module-imports-the-shell",
        "modules-import-each-other", "shell-names-a-module"])
def test_an_import_against_the_layers_fails_the_check(tmp_path, module, line, named):
    shutil.copy(PYPROJECT, tmp_path / "pyproject.toml")
    copy = tmp_path / "src" / "gonghui"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__", "static", "locale", "templates"))
    with (copy / module).open("a", encoding="utf-8") as handle:
        handle.write(f"\n{line}  # against the layers\n")
    result = lint_imports(tmp_path, tmp_path / "src")
    assert result.returncode == 1, result.stdout
    assert "BROKEN" in result.stdout
    assert named in " ".join(result.stdout.split())
