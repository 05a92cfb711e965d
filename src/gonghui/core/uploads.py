"""What a user may upload as a document, one policy for every module: photos (JPEG, PNG) and PDFs,
recognised by their content (puremagic reads the first bytes; the name and the browser's word are
never trusted), at most 10 MB each, with the same Chinese message wherever the check runs — the
form (before anything is written) and the service (the API calls it directly).

A service checks every document first (``check_all``) and only then writes; the files it stores
inside its transaction are removed again when it does not commit (``atomic``), so a
refused or failed upload leaves nothing behind on disk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import puremagic
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

MAX_BYTES = 10 * 1024 * 1024
# What a document may be: content type → the extension it is stored under.
DOCUMENT_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}
ACCEPT = "image/jpeg,image/png,application/pdf,.jpg,.jpeg,.png,.pdf"
HEAD_BYTES = 64  # enough for every signature above


@dataclass(frozen=True)
class Document:
    """An upload that passed the checks: its bytes, the type its content shows, a safe name."""

    content: bytes
    content_type: str
    extension: str
    name: str  # the user's file name, without folders, at most 200 characters
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)


def sniff(head: bytes, types: dict[str, str] = DOCUMENT_TYPES) -> str | None:
    """The content type of ``head`` among ``types``, or None."""
    try:
        matches = puremagic.magic_string(head[:HEAD_BYTES])
    except puremagic.PureError:
        return None
    return next((m.mime_type for m in matches if m.mime_type in types), None)


def _name(upload) -> str:
    name = str(getattr(upload, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[-200:] or "document"


def problem(upload, *, max_bytes: int = MAX_BYTES, types: dict[str, str] = DOCUMENT_TYPES) -> str | None:
    """Why ``upload`` cannot be kept (a Chinese sentence naming the file), or None."""
    name = _name(upload)
    size = getattr(upload, "size", None)
    if size is None or size > max_bytes:
        return _("%(name)s: a document may be at most %(mb)d MB.") % {"name": name, "mb": max_bytes // 2**20}
    if size == 0:
        return _("%(name)s: the file is empty.") % {"name": name}
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    if sniff(head, types) is None:
        return _("%(name)s: only photos (JPEG, PNG) and PDF documents can be added.") % {"name": name}
    return None


def check(upload, *, field: str = "file", max_bytes: int = MAX_BYTES,
          types: dict[str, str] = DOCUMENT_TYPES) -> Document:
    """Read and check one upload; ValidationError {field: message} when it cannot be kept."""
    return check_all([upload], field=field, max_bytes=max_bytes, types=types)[0]


def check_all(uploads: Iterable, *, field: str = "file", max_bytes: int = MAX_BYTES,
              types: dict[str, str] = DOCUMENT_TYPES, max_files: int | None = None) -> list[Document]:
    """Check every upload before anything is written; one ValidationError names every bad file."""
    uploads = [u for u in uploads if u]
    if max_files is not None and len(uploads) > max_files:
        raise ValidationError({field: _("At most %(n)d files at once.") % {"n": max_files}}, code="too_many")
    errors = [message for message in (problem(u, max_bytes=max_bytes, types=types) for u in uploads) if message]
    if errors:
        raise ValidationError({field: errors}, code="invalid")
    documents = []
    for upload in uploads:
        upload.seek(0)
        content = upload.read(max_bytes + 1)
        content_type = sniff(content[:HEAD_BYTES], types)
        if len(content) > max_bytes or content_type is None:  # the upload changed under us
            raise ValidationError({field: problem(upload, max_bytes=max_bytes, types=types)}, code="invalid")
        documents.append(Document(content=content, content_type=content_type, extension=types[content_type],
                                  name=_name(upload), sha256=hashlib.sha256(content).hexdigest()))
    return documents


class Files:
    """The files a service stored in its transaction (see ``atomic``)."""

    def __init__(self) -> None:
        self.stored: list = []

    def store(self, field_file, stem: str, document: Document) -> None:
        """Save ``document`` into a model's FileField as ``<stem><extension>`` (the row not saved)."""
        field_file.save(f"{stem}{document.extension}", ContentFile(document.content), save=False)
        self.stored.append((field_file.storage, field_file.name))


@contextmanager
def atomic():
    """``transaction.atomic()`` for a service that stores files: when the block does not commit,
    the files it stored are deleted. The service's block is the outermost one (views open none)."""
    files = Files()
    try:
        with transaction.atomic():
            yield files
    except BaseException:
        for storage, name in files.stored:
            storage.delete(name)
        raise


class DocumentsField(forms.FileField):
    """A form field of one or several documents, checked by the same policy as the services."""

    def __init__(self, *args, multiple: bool = False, max_files: int | None = None, **kwargs):
        self.multiple, self.max_files = multiple, max_files
        if multiple:
            kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        widget = _MultipleFileInput() if multiple else forms.FileInput()
        widget.attrs.update({
            "accept": ACCEPT, "data-max-bytes": str(MAX_BYTES),
            "data-types": "jpg,jpeg,png,pdf",  # the browser's early hint; the server reads the content
            "data-msg-type": _("%(name)s: only photos (JPEG, PNG) and PDF documents can be added."),
            "data-msg-size": _("%(name)s: a document may be at most %(mb)d MB.") % {
                "name": "%(name)s", "mb": MAX_BYTES // 2**20},
        })
        if max_files:
            widget.attrs.update({"data-max-files": str(max_files),
                                 "data-msg-count": _("At most %(n)d files at once.") % {"n": max_files}})
        self.widget = widget

    def clean(self, data, initial=None):
        if not self.multiple:
            upload = super().clean(data, initial)
            if upload:
                self._check([upload])
            return upload
        files: Sequence = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if self.required and not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        self._check(files)
        return list(files)

    def _check(self, files) -> None:
        if self.max_files is not None and len(files) > self.max_files:
            raise forms.ValidationError(_("At most %(n)d files at once.") % {"n": self.max_files}, code="too_many")
        errors = [message for message in (problem(f) for f in files) if message]
        if errors:
            raise forms.ValidationError(errors, code="invalid")


class _MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True
