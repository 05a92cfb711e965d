"""The member database's part of `gonghui cleanup`: old import jobs and background exports go with
their files, and so do stray files of their private folders; recent ones stay."""

from __future__ import annotations

import datetime as dt
import os

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gonghui.core.cleanup import cleanup
from gonghui.members.import_jobs import import_job_create
from gonghui.members.models import ImportJob, ImportStatus
from tests.core.test_cleanup import private_media  # noqa: F401 (autouse fixture)
from tests.roster.test_imports import csv_bytes

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
NOW = timezone.now


def files_in(media) -> set[str]:
    folder = media / "imports"
    return {p.relative_to(media).as_posix() for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


def age(model, days: float, field: str = "created_at", **filters):
    model.objects.filter(**filters).update(**{field: NOW() - dt.timedelta(days=days)})


def test_old_import_jobs_go_with_their_files_and_recent_ones_stay(tree, yz_cadre, settings, private_media,
                                                                  django_capture_on_commit_callbacks):
    settings.TASKS = IMMEDIATE
    bad = csv_bytes([["王芳", "123", "13800001234", "YZE", "2023-05-01", "是", "快递员"]])
    with django_capture_on_commit_callbacks(execute=True):
        refused = import_job_create(actor=yz_cadre, org=tree.yz, upload=SimpleUploadedFile("a.csv", bad))
    refused.refresh_from_db()
    assert refused.status == ImportStatus.REFUSED and refused.errors_file
    settings.TASKS = DATABASE  # this one waits for a worker: its upload (plain ID numbers) is still stored
    waiting = import_job_create(actor=yz_cadre, org=tree.yz, upload=SimpleUploadedFile("b.csv", bad))
    recent = import_job_create(actor=yz_cadre, org=tree.yz, upload=SimpleUploadedFile("c.csv", bad))
    assert len(files_in(private_media)) == 3
    age(ImportJob, 31, pk__in=[refused.pk, waiting.pk])

    result = cleanup()
    assert (result.counts["import_jobs"], result.files) == (2, 2)
    assert list(ImportJob.objects.values_list("pk", flat=True)) == [recent.pk]
    assert files_in(private_media) == {recent.upload.name}



def test_stray_files_nobody_refers_to_go_once_old(tree, private_media):
    folder = private_media / "imports" / "progress"
    folder.mkdir(parents=True)
    old, new = folder / "17", private_media / "imports" / "fresh.csv"
    old.write_text("5 120")
    new.write_text("身份证号")
    stamp = (NOW() - dt.timedelta(days=40)).timestamp()
    os.utime(old, (stamp, stamp))
    assert cleanup().files == 1
    assert files_in(private_media) == {"imports/fresh.csv"}
