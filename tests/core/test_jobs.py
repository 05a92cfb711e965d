"""A job a user starts is queued with its audit line and runs once, however often its task is delivered."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError

from gonghui.core import jobs
from gonghui.core.models import AuditEntry
from gonghui.members.models import ImportJob, ImportStatus

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_claimed_job_cannot_be_claimed_again(tree, django_user_model):
    job = ImportJob.objects.create(org=tree.yz, created_by=django_user_model.objects.create(username="c"),
                                   filename="r.xlsx", size=1)
    assert jobs.claim(ImportJob, job.pk, waiting=ImportStatus.QUEUED, running=ImportStatus.RUNNING)
    assert not jobs.claim(ImportJob, job.pk, waiting=ImportStatus.QUEUED, running=ImportStatus.RUNNING)
    job.refresh_from_db()
    assert job.status == ImportStatus.RUNNING


def test_a_job_that_cannot_be_saved_leaves_no_file_and_no_audit_line(tree, settings, tmp_path, django_user_model):
    settings.MEDIA_ROOT = tmp_path
    actor = django_user_model.objects.create(username="c")
    bad = ImportJob(org=tree.yz, created_by=actor, filename="r.xlsx", size=None)  # NOT NULL: the row fails
    with pytest.raises(IntegrityError):
        jobs.queue(bad, actor=actor, action="member.import_queued", org_path=tree.yz.path, data={},
                   task="gonghui.members.tasks.run_import_job", upload=SimpleUploadedFile("r.xlsx", b"PK"))
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
    assert not AuditEntry.objects.filter(action="member.import_queued").exists()
