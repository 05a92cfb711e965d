"""Every schema of /api/v1/openapi.json is the one its endpoints use.

django-ninja names a component after its class and keeps the last one of a name, so two modules
with a ``ClaimIn`` each make one of them describe the other's endpoint (and a client built from
the spec send the wrong fields). Walk every schema class the operations use and compare.
"""

import typing
from collections import defaultdict

import pytest
from pydantic import BaseModel

from gonghui.api import api


def _models_in(annotation, found: set) -> None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation not in found:
            found.add(annotation)
            for field in annotation.model_fields.values():
                _models_in(field.annotation, found)
        return
    for arg in typing.get_args(annotation):
        _models_in(arg, found)


def _used_schema_classes() -> set[type[BaseModel]]:
    found: set = set()
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in operation.models:
                    _models_in(model, found)
                for model in operation.response_models.values():
                    _models_in(model, found)
    return {cls for cls in found if cls.__module__.startswith("gonghui.")}


def _refs(node, out: list) -> list:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            out.append(node["$ref"])
        for value in node.values():
            _refs(value, out)
    elif isinstance(node, list):
        for value in node:
            _refs(value, out)
    return out


@pytest.fixture(scope="module")
def spec():
    return api.get_openapi_schema()


USED = _used_schema_classes()


def test_the_walk_finds_the_schemas_of_every_module():
    modules = {cls.__module__ for cls in USED}
    assert {"gonghui.core.api", "gonghui.orgs.api", "gonghui.members.api", "gonghui.members.requests_api",
            "gonghui.disputes.api", "gonghui.mutualaid.api"} <= modules


def test_no_two_schema_classes_share_a_name():
    by_name = defaultdict(list)
    for cls in USED:
        by_name[cls.__name__].append(f"{cls.__module__}.{cls.__qualname__}")
    assert {name: paths for name, paths in by_name.items() if len(paths) > 1} == {}


@pytest.mark.parametrize("cls", sorted((c for c in USED if c.model_fields), key=lambda c: c.__name__),
                         ids=lambda c: c.__name__)
def test_each_component_describes_its_own_class(spec, cls):
    components = spec["components"]["schemas"]
    assert cls.__name__ in components, f"{cls.__name__} is missing from the spec"
    described = set(components[cls.__name__].get("properties", {}))
    names = set(cls.model_fields)
    aliases = {field.alias or name for name, field in cls.model_fields.items()}
    assert described in (names, aliases), (cls.__module__, described ^ aliases)


def test_every_reference_resolves_and_every_component_is_ours(spec):
    components = spec["components"]["schemas"]
    dangling = {ref for ref in _refs(spec, []) if ref.removeprefix("#/components/schemas/") not in components}
    assert dangling == set()
    assert set(components) <= {cls.__name__ for cls in USED}
