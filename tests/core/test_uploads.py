"""One upload policy: photos and PDFs by content, 10 MB, every bad file named, nothing left on disk."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from gonghui.core import uploads

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
EXE = b"MZ\x90\x00" + b"\x00" * 40


def test_the_type_comes_from_the_content_not_the_name():
    [pdf, png, jpeg] = uploads.check_all([SimpleUploadedFile("报告.exe", PDF), SimpleUploadedFile("a.pdf", PNG),
                                          SimpleUploadedFile("c:\\证据\\b", JPEG)])
    assert (pdf.content_type, pdf.extension, pdf.name) == ("application/pdf", ".pdf", "报告.exe")
    assert (png.content_type, png.extension) == ("image/png", ".png")
    assert (jpeg.content_type, jpeg.extension, jpeg.name) == ("image/jpeg", ".jpg", "b")


def test_every_bad_file_is_named_in_one_refusal():
    files = [SimpleUploadedFile("ok.pdf", PDF), SimpleUploadedFile("程序.pdf", EXE), SimpleUploadedFile("空.png", b""),
             SimpleUploadedFile("大.pdf", PDF + b"0" * uploads.MAX_BYTES)]
    with pytest.raises(ValidationError) as caught:
        uploads.check_all(files, field="documents")
    assert caught.value.message_dict["documents"] == [
        "程序.pdf：只能上传照片（JPEG、PNG）或 PDF 文件。", "空.png：文件是空的。", "大.pdf：单个文件不能超过 10 MB。"]


def test_too_many_files_are_refused():
    with pytest.raises(ValidationError, match="一次最多上传 2 个文件"):
        uploads.check_all([SimpleUploadedFile(f"{i}.pdf", PDF) for i in range(3)], max_files=2)


@pytest.mark.django_db
def test_files_stored_in_a_block_that_does_not_commit_are_deleted(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    [document] = uploads.check_all([SimpleUploadedFile("a.pdf", PDF)])

    from gonghui.disputes.models import Attachment  # any model with a FileField

    with pytest.raises(RuntimeError):
        with uploads.atomic() as files:
            attachment = Attachment(token="t1")
            files.store(attachment.file, "t1", document)
            stored = attachment.file.name
            assert default_storage.exists(stored)
            raise RuntimeError("the write after the file failed")
    assert not default_storage.exists(stored)
    assert not list(tmp_path.rglob("*.pdf"))

    with uploads.atomic() as files:
        attachment = Attachment(token="t2")
        files.store(attachment.file, "t2", document)
    assert default_storage.exists(attachment.file.name)


def test_a_form_field_gives_the_same_messages_as_the_service():
    field = uploads.DocumentsField(multiple=True, max_files=10)
    with pytest.raises(ValidationError) as caught:
        field.clean([SimpleUploadedFile("程序.pdf", EXE)])
    assert caught.value.messages == ["程序.pdf：只能上传照片（JPEG、PNG）或 PDF 文件。"]
    assert field.clean([SimpleUploadedFile("a.pdf", PDF)])[0].name == "a.pdf"
