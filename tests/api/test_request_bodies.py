"""A request body the server cannot read is a 4xx in the API's JSON shape, on every endpoint, and
changes nothing: multipart without a boundary or cut short, too many fields or files, a form in
another charset, a body over Django's size limit."""

import json

import pytest
from django.test import Client

from gonghui.api import api
from gonghui.core.services import api_token_issue
from gonghui.disputes.models import Attachment
from gonghui.mutualaid.models import Claim
from tests.api.conftest import assert_json_error
from tests.disputes.conftest import open_case

BOUNDARY = "XX"
PART = b'--XX\r\nContent-Disposition: form-data; name="description"\r\n\r\nreceipt\r\n'

UNREADABLE = {
    "no boundary": ("multipart/form-data", PART + b"--XX--\r\n"),
    "empty boundary": ("multipart/form-data; boundary=", PART + b"--XX--\r\n"),
    "quoted empty boundary": ('multipart/form-data; boundary=""', PART + b"--XX--\r\n"),
    "bad base64 file": (f"multipart/form-data; boundary={BOUNDARY}",
                        b'--XX\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
                        b"Content-Transfer-Encoding: base64\r\n\r\n!!!\r\n--XX--\r\n"),
    "too many fields": (f"multipart/form-data; boundary={BOUNDARY}",
                        b"".join(b'--XX\r\nContent-Disposition: form-data; name="f%d"\r\n\r\n1\r\n' % i
                                 for i in range(1100)) + b"--XX--\r\n"),
    "too many files": (f"multipart/form-data; boundary={BOUNDARY}",
                       b"".join(b'--XX\r\nContent-Disposition: form-data; name="f%d"; filename="a.pdf"\r\n\r\n1\r\n'
                                % i for i in range(120)) + b"--XX--\r\n"),
    "oversized part header": (f"multipart/form-data; boundary={BOUNDARY}",
                              b'--XX\r\nContent-Disposition: form-data; name="a"\r\nX-Pad: ' + b"a" * 20000
                              + b"\r\n\r\n1\r\n--XX--\r\n"),
    "form in latin-1": ("application/x-www-form-urlencoded; charset=latin-1", b"description=x"),
}


def _post_paths() -> list[str]:
    paths = []
    for path, methods in api.get_openapi_schema()["paths"].items():
        if "post" in methods:
            paths.append("/".join("1" if part.startswith("{") else part for part in path.split("/")))
    return paths


@pytest.fixture
def yz(tree, yz_cadre):
    return {"Authorization": f"Bearer {api_token_issue(user=yz_cadre)}"}


@pytest.fixture
def case(tree, yz_cadre):
    return open_case(yz_cadre, tree.yz)


@pytest.mark.parametrize("label", UNREADABLE)
def test_an_unreadable_attachment_upload_is_a_400_and_stores_nothing(yz, case, label):
    content_type, body = UNREADABLE[label]
    response = Client().post(f"/api/v1/disputes/cases/{case.pk}/attachments", body, content_type=content_type,
                             headers=yz)
    assert_json_error(response, 400, "bad_request")
    assert not Attachment.objects.exists()


@pytest.mark.parametrize("label", UNREADABLE)
def test_an_unreadable_claim_is_a_400_and_files_nothing(yz, label):
    content_type, body = UNREADABLE[label]
    response = Client().post("/api/v1/aid/claims", body, content_type=content_type, headers=yz)
    assert_json_error(response, 400, "bad_request")
    assert not Claim.objects.exists()


def test_the_400_names_what_to_send_and_not_what_was_sent(yz, case):
    response = Client().post(f"/api/v1/disputes/cases/{case.pk}/attachments", PART,
                             content_type="multipart/form-data", headers=yz)
    body = assert_json_error(response, 400, "bad_request")
    assert "boundary" in body["detail"] and "receipt" not in body["detail"]


@pytest.mark.parametrize("path", _post_paths())
def test_multipart_without_a_boundary_is_a_4xx_on_every_post_endpoint(yz, path):
    response = Client().post(path, PART, content_type="multipart/form-data", headers=yz)
    assert 400 <= response.status_code < 500, (response.status_code, response.content)
    assert_json_error(response, response.status_code)


def test_a_json_body_over_the_upload_limit_is_a_413(yz, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"org": "YZ", "records": [], "padding": "x" * 20_000})
    response = Client().post("/api/v1/aid/settlements", body, content_type="application/json", headers=yz)
    assert_json_error(response, 413, "too_large")
