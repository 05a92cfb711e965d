"""Schemathesis against /api/v1/openapi.json: generated requests never get a 500, and every
answer matches the schema (status codes, content type, body).

Run by ``make test`` and so by ``.ci/run`` (on SQLite, then on PostgreSQL). Deterministic
(derandomized) and bounded so that it stays well under two minutes: every operation is called
``SCHEMATHESIS_EXAMPLES`` times (default 12) as the cadre of a district (鄞州), over the conftest
tree with members inside and outside the district, and a few times anonymously (every answer a
documented 401, or the token endpoint's own answers). A 5xx, an undocumented status, a wrong
content type or a body outside its schema fails the test.
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from gonghui.core.services import api_token_issue
from tests.factories import make_member

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


# Loaded through the WSGI app at collection: the spec view touches no database.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
# The generated examples only: the coverage phase's hundreds of boundary cases an operation took
# most of the time (five minutes with nine modules), and the examples reach the same answers.
schema.config.phases.coverage.enabled = False


@pytest.fixture
def keep_test_connection():
    """The raw WSGI handler closes "old" connections around each request, which would close the
    test's own transaction on PostgreSQL; Django's test client switches this off the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", 12))


@pytest.fixture
def district_cadre(tree, yz_cadre, keep_test_connection):
    for org in (tree.yze, tree.ble):  # one member inside the district, one outside it
        make_member(org)
    return {"Authorization": f"Bearer {api_token_issue(user=yz_cadre)}"}


def _call(case, headers):
    if case.operation.path == "/api/v1/auth/token":
        # Generated logins would lock the account out after five tries; keep them wrong but few.
        case.body = {"username": "nobody", "password": "x"} if not isinstance(case.body, dict) else case.body
    case.call_and_validate(headers=headers, checks=CHECKS)


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_generated_request_of_a_district_cadre_is_answered_within_the_schema(case, district_cadre):
    _call(case, district_cadre)


@schema.parametrize()
@settings(max_examples=max(EXAMPLES // 4, 2), derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_generated_anonymous_request_is_answered_within_the_schema(case, db, keep_test_connection):
    _call(case, {})
