"""Every day the API takes, in a query or a body, is a day written YYYY-MM-DD in the range its spec
states: ``?to=0`` (which pydantic alone reads as 1970-01-01) or a midnight datetime is a 422 in the
JSON error shape, and a period that ends before it starts is refused on every list that takes one."""

import re

import pytest

from gonghui.api import api
from tests.api.conftest import assert_json_error

SPEC = api.get_openapi_schema()

# The organisation every endpoint below is asked about, when it needs one.
ORG = {"/api/v1/disputes/cases": {"org": "NB"}, "/api/v1/disputes/dashboard": {"org": "NB"},
       "/api/v1/bargaining/coverage": {"org": "NB"}}


def _date_schemas(node):
    if isinstance(node, dict):
        if node.get("format") == "date":
            yield node
        for value in node.values():
            yield from _date_schemas(value)
    elif isinstance(node, list):
        for value in node:
            yield from _date_schemas(value)


def _date_query_params() -> list[tuple[str, str]]:
    found = []
    for path, methods in SPEC["paths"].items():
        for parameter in methods.get("get", {}).get("parameters", []):
            if parameter["in"] == "query" and any(_date_schemas(parameter["schema"])):
                found.append((path.replace("{code}", "NB"), parameter["name"]))
    return found


DATE_PARAMS = _date_query_params()
PERIODS = sorted({path for path, name in DATE_PARAMS if name == "from"} & {path for path, name in DATE_PARAMS if name == "to"})


def test_the_walk_finds_the_date_parameters():
    assert {("/api/v1/disputes/cases", "to"), ("/api/v1/orgs/NB/stats", "on"), ("/api/v1/disputes/dashboard", "from")} \
        <= set(DATE_PARAMS)
    assert len(PERIODS) >= 3


@pytest.fixture
def nb(tree, nb_cadre, api_as):
    return api_as(nb_cadre)


@pytest.mark.parametrize("value", ["0", "1", "-1", "20240101", "2024-01-01T00:00", "2024-01-01 00:00:00", "2024-1-1",
                                   "2024-02-30", "1899-12-31", "3000-01-01", "２０２４-01-01"])
@pytest.mark.parametrize(("path", "name"), DATE_PARAMS)
def test_a_date_parameter_that_is_not_a_day_is_422(nb, path, name, value):
    body = assert_json_error(nb.get(path, **ORG.get(path, {}), **{name: value}), 422, "invalid")
    assert body["detail"][0]["loc"] == ["query", name], body


@pytest.mark.parametrize(("path", "name"), DATE_PARAMS)
def test_a_day_the_spec_allows_is_accepted(nb, path, name):
    assert nb.get(path, **ORG.get(path, {}), **{name: "2024-02-29"}).status_code == 200


@pytest.mark.parametrize("path", PERIODS)
def test_a_period_that_ends_before_it_starts_is_422(nb, path):
    response = nb.get(path, **ORG.get(path, {}), **{"from": "2024-02-01", "to": "2024-01-31"})
    assert_json_error(response, 422, "invalid")


def _inputs() -> list:
    """The query parameters and request bodies of the spec, with the components they reference."""
    components, seen, todo = SPEC["components"]["schemas"], set(), []
    inputs = []
    for methods in SPEC["paths"].values():
        for operation in methods.values():
            inputs += [parameter["schema"] for parameter in operation.get("parameters", [])]
            todo += [operation.get("requestBody", {})]
    while todo:
        node = todo.pop()
        inputs.append(node)
        for ref in re.findall(r"#/components/schemas/(\w+)", str(node)):
            if ref not in seen:
                seen.add(ref)
                todo.append(components[ref])
    return inputs


def test_the_spec_states_the_form_and_range_of_every_day():
    """A client built from the spec sends only days the server takes: each date schema of a
    parameter or a body carries the pattern its validator enforces."""
    schemas = list(_date_schemas(_inputs()))
    assert len(schemas) > 20
    unstated = [schema for schema in schemas if "pattern" not in schema]
    assert unstated == []
    for schema in schemas:
        pattern = re.compile(schema["pattern"])
        assert pattern.search("2024-02-29") and not pattern.search("0") and not pattern.search("0001-01-01")


def test_a_day_in_a_body_is_checked_the_same_way(tree, nb_cadre, api_as):
    from tests.factories import make_member

    member = make_member(tree.yze)
    response = api_as(nb_cadre).post(f"/api/v1/members/{member.pk}/leave", {"on": 0, "reason": "moved away"})
    body = assert_json_error(response, 422, "invalid")
    assert body["detail"][0]["loc"][-1] == "on"
    member.refresh_from_db()
    assert member.left_on is None


def test_the_page_past_the_last_is_stated_in_the_spec():
    pages = [parameter for methods in SPEC["paths"].values() for parameter in methods.get("get", {}).get("parameters", [])
             if parameter["name"] == "page"]
    assert pages and all("past the last is a 422" in parameter.get("description", "") for parameter in pages)
