"""Schemathesis against /api/v1/openapi.json: generated requests never get a 500, and every
answer matches the schema (status codes, content type, body).

Deterministic (derandomized) and bounded so that it runs in seconds; the cadre of NB calls, over
the conftest tree with a few members, so the generated codes and ids hit real rows too.
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


@pytest.fixture
def keep_test_connection():
    """The raw WSGI handler closes "old" connections around each request, which would close the
    test's own transaction on PostgreSQL; Django's test client switches this off the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(tree, nb_cadre, keep_test_connection):
    for org in (tree.yze, tree.ble):
        make_member(org)
    return api_token_issue(user=nb_cadre)


@schema.parametrize()
@settings(max_examples=int(os.environ.get("SCHEMATHESIS_EXAMPLES", 40)), derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_the_api_answers_every_generated_request_within_its_schema(case, token):
    if case.operation.path == "/api/v1/auth/token":
        # Generated logins would lock the account out after five tries; keep them wrong but few.
        case.body = {"username": "nobody", "password": "x"} if not isinstance(case.body, dict) else case.body
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
