"""Personal data never in plain text; documents checked by content and served only through a permission check."""

import io

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gonghui.core import pii
from gonghui.disputes import services
from gonghui.disputes.models import Attachment, Case
from tests.api.conftest import assert_json_error
from tests.core.test_pii import every_stored_value
from tests.disputes.conftest import open_case
from tests.factories import valid_id_number

pytestmark = pytest.mark.django_db

ID_NUMBER = valid_id_number(515151)
PHONE = "13755556666"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
PDF = b"%PDF-1.7\n" + b"0" * 100


def test_no_plain_id_number_or_phone_in_any_table_or_answer(api_as, tree, bl_cadre, rooms):
    response = api_as(bl_cadre).post("/api/v1/disputes/cases", {
        "org": "BL", "channel": "window", "applicant_name": "赵六", "id_number": ID_NUMBER, "phone": PHONE,
        "employer_name": "某建筑劳务公司", "claims": [{"kind": "unpaid_wages", "amount": "5000"}]})
    assert response.status_code == 201
    case = Case.objects.get(pk=response.json()["id"])
    assert case.id_hash == pii.digest("id", ID_NUMBER)
    assert pii.decrypt(case.phone_cipher, key_id=case.pii_key_id, bound_to=case.phone_hash) == PHONE
    body = response.content.decode() + api_as(bl_cadre).get(f"/api/v1/disputes/cases/{case.pk}").content.decode()
    body += api_as(bl_cadre).get("/api/v1/disputes/cases").content.decode()
    assert ID_NUMBER not in body and PHONE not in body
    assert case.id_masked in body
    leaks = [(table, plain) for table, text in every_stored_value() for plain in (ID_NUMBER, PHONE) if plain in text]
    assert leaks == []


def test_a_refused_application_does_not_echo_the_number(api_as, tree, bl_cadre):
    bad = ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1")
    response = api_as(bl_cadre).post("/api/v1/disputes/cases", {
        "org": "BL", "channel": "window", "applicant_name": "赵六", "id_number": bad, "phone": PHONE,
        "employer_name": "某公司", "claims": [{"kind": "other", "amount": "1"}]})
    body = assert_json_error(response, 422, "invalid")
    assert "id_number" in body["detail"]
    assert bad not in response.content.decode() and not Case.objects.exists()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def case(tree, rooms, bl_cadre):
    case = open_case(bl_cadre, tree.bl)
    services.case_triage(actor=bl_cadre, case=case, room=rooms.bl)
    return case


@pytest.mark.parametrize(("content", "kind"), [(JPEG, "image/jpeg"), (PNG, "image/png"), (PDF, "application/pdf")])
def test_photos_and_pdfs_are_kept_privately(api_as, case, bl_mediator, content, kind):
    upload = SimpleUploadedFile("张三的工资条.dat", content, content_type="text/plain")
    client = Client()
    headers = api_as(bl_mediator).headers
    response = client.post(f"/api/v1/disputes/cases/{case.pk}/attachments", {"file": upload, "description": "工资条"},
                           headers=headers)
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get()
    assert attachment.content_type == kind  # by content, not by name or the browser's word
    assert attachment.file.path.startswith(str(settings.MEDIA_ROOT))
    assert "张三" not in attachment.file.name
    download = client.get(response.json()["url"], headers=headers)
    assert download.status_code == 200 and b"".join(download.streaming_content) == content
    assert download["Content-Type"] == kind and "no-store" in download["Cache-Control"]
    attachment.file.delete(save=False)


def test_documents_are_refused_by_type_and_size_and_served_to_those_who_see_the_case(
        api_as, case, bl_mediator, yz_cadre, worker):
    headers = api_as(bl_mediator).headers
    url = f"/api/v1/disputes/cases/{case.pk}/attachments"
    html = SimpleUploadedFile("photo.jpg", b"<html><script>alert(1)</script>", content_type="image/jpeg")
    assert_json_error(Client().post(url, {"file": html}, headers=headers), 422, "invalid")
    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), content_type="application/pdf")
    assert_json_error(Client().post(url, {"file": big}, headers=headers), 422, "invalid")
    assert not Attachment.objects.exists()
    attachment = services.attachments_add(actor=bl_mediator, case=case, documents=[SimpleUploadedFile("a.pdf", PDF)])[0]
    for user in (yz_cadre, worker, None):
        assert_json_error(api_as(user).get(f"/api/v1/disputes/attachments/{attachment.pk}"),
                          401 if user is None else 404)
    # MEDIA_ROOT is not served at any public URL.
    assert Client().get(f"/media/{attachment.file.name}").status_code == 404
    attachment.file.delete(save=False)


def test_service_refuses_an_oversized_stream(case, bl_mediator):
    from django.core.exceptions import ValidationError

    class Huge(io.BytesIO):
        size = 11 * 1024 * 1024
        name = "x.pdf"

    with pytest.raises(ValidationError):
        services.attachments_add(actor=bl_mediator, case=case, documents=[Huge(PDF)])


def test_a_case_opened_with_documents_keeps_them_all_or_opens_nothing(tree, bl_cadre, rooms, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    bl = tree.bl
    with pytest.raises(ValidationError) as caught:
        open_case(bl_cadre, bl, documents=[SimpleUploadedFile("合同.pdf", PDF), SimpleUploadedFile("x.pdf", b"MZ")])
    assert caught.value.message_dict["file"] == ["x.pdf：只能上传照片（JPEG、PNG）或 PDF 文件。"]
    assert not Case.objects.exists() and not list(tmp_path.rglob("*.*"))

    case = open_case(bl_cadre, bl, documents=[SimpleUploadedFile("合同.pdf", PDF), SimpleUploadedFile("图.png", PNG)])
    assert sorted(a.original_name for a in case.attachments.all()) == ["合同.pdf", "图.png"]
    assert len(list(tmp_path.rglob("*.*"))) == 2


def test_a_document_over_the_case_limit_is_refused_and_not_stored(tree, bl_cadre, rooms, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    documents = [SimpleUploadedFile(f"{i}.pdf", PDF) for i in range(services.MAX_ATTACHMENTS)]
    case = open_case(bl_cadre, tree.bl, documents=documents)
    with pytest.raises(ValidationError):
        services.attachments_add(actor=bl_cadre, case=case, documents=[SimpleUploadedFile("多.pdf", PDF)])
    assert case.attachments.count() == services.MAX_ATTACHMENTS
    assert len(list(tmp_path.rglob("*.pdf"))) == services.MAX_ATTACHMENTS
