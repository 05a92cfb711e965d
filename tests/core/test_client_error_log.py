"""A 403 (a member opening the staff workbench) writes one line to the server log, through the
handler that settings.LOGGING configures, not Django's traceback of the PermissionDenied; an
error of the server keeps its traceback."""

import io
import logging

import pytest

from tests.factories import UserFactory


@pytest.fixture
def server_log():
    handler = next(h for h in logging.getLogger("django").handlers if isinstance(h, logging.StreamHandler))
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def test_a_403_writes_one_line_without_a_traceback(client, tree, server_log):
    client.force_login(UserFactory(username="just_a_member"))
    assert client.get("/staff/").status_code == 403
    # (django-axes notes the login of force_login on the same handler)
    lines = [line for line in server_log.getvalue().splitlines() if line.strip() and not line.startswith("AXES")]
    assert len(lines) == 1, server_log.getvalue()
    assert "Forbidden" in lines[0] and "/staff/" in lines[0]
    assert "Traceback" not in server_log.getvalue()


def test_a_server_error_keeps_its_traceback(server_log):
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("django.request").error("Internal Server Error: /x", exc_info=True,
                                                  extra={"status_code": 500})
    assert "Traceback" in server_log.getvalue() and "RuntimeError: boom" in server_log.getvalue()
