"""Mutual aid's modules import one way: rules, models, reads, then the writes, each only from below."""

import ast
from pathlib import Path

import gonghui.mutualaid

APP = Path(gonghui.mutualaid.__file__).parent
PACKAGE = "gonghui.mutualaid"
# Lowest first; a module imports only modules of a lower rank, at the top of the file. The feeds,
# pages, API, forms, tasks and the demo sit above all of them.
RANKS = {
    "rules": 0,
    "models": 1,
    "selectors": 2, "stats": 2,
    "services.common": 3,
    "services.plans": 4, "services.enrolment": 4, "services.payouts": 4,
    "services.claims": 5, "services.payments": 5, "pricing": 5,
    "services": 6,  # the package's public surface
}
ABOVE = 99


def module_name(path: Path) -> str:
    parts = list(path.relative_to(APP).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(tree: ast.Module) -> list[tuple[str, bool]]:
    """(imported module of this app, at module level?) for every import in the file."""
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PACKAGE):
            base = node.module[len(PACKAGE) + 1:]
            if base:
                found.append((base, id(node) in top))
            else:  # from gonghui.mutualaid import rules, services
                found.extend((alias.name, id(node) in top) for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend((alias.name[len(PACKAGE) + 1:], id(node) in top) for alias in node.names
                         if alias.name.startswith(PACKAGE + "."))
    return found


def rank(name: str) -> int:
    while name and name not in RANKS:
        name = name.rpartition(".")[0]
    return RANKS.get(name, ABOVE)


def test_each_layer_imports_only_the_layers_below_it():
    wrong = []
    for path in sorted(APP.rglob("*.py")):
        name = module_name(path)
        if "migrations" in path.parts or rank(name) == ABOVE:
            continue
        for imported, at_top in imports(ast.parse(path.read_text())):
            if rank(imported) >= rank(name):
                wrong.append(f"{name} imports {imported}")
            elif not at_top:
                wrong.append(f"{name} imports {imported} inside a function")
    assert wrong == []


def test_every_module_of_the_writes_has_a_rank():
    modules = {module_name(p) for p in (APP / "services").glob("*.py")}
    assert modules <= set(RANKS)
