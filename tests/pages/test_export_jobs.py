"""Long member lists export in the background: a job page with a progress bar, then the download.

Short lists still stream at once (tests/pages/test_exports.py). The threshold is lowered here so
that the small test roster counts as long.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from gonghui.core.cleanup import cleanup
from gonghui.core.models import AuditEntry, Role
from gonghui.members.export_jobs import export_job_create, export_job_run
from gonghui.members.models import ExportJob, ExportStatus
from tests.factories import make_member, valid_id_number
from tests.pages.conftest import YZ_MEMBER_ID
from tests.pages.test_exports import XLSX, url

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def long_lists(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EXPORT_BACKGROUND_ROWS = 1
    settings.TASKS = IMMEDIATE
    return settings.MEDIA_ROOT


@pytest.fixture
def roster(tree, yz_member):
    make_member(tree.yzt, name="王五", id_number=valid_id_number(9010), joined_on=dt.date(2021, 3, 1))
    return yz_member


def workbook_rows(response) -> list[tuple]:
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return list(book.worksheets[0].iter_rows(values_only=True))


def files(media) -> list:
    return [p for p in (media / "exports").rglob("*") if p.is_file()] if (media / "exports").exists() else []


def test_a_long_list_becomes_a_job_and_its_page_offers_the_masked_workbook(
        client, yz_cadre, roster, long_lists, django_capture_on_commit_callbacks):
    client.force_login(yz_cadre)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(url())
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/staff/exports/{job.pk}/"
    assert (job.status, job.rows_total, job.rows_done, job.unmasked) == (ExportStatus.DONE, 2, 2, False)
    page = client.get(response["Location"]).content.decode()
    assert "hx-trigger" not in page and 'data-testid="export-download"' in page
    rows = workbook_rows(client.get(reverse("staff:export_job_file", kwargs={"pk": job.pk})))
    assert [r[0] for r in rows[1:]] == ["王五", "张三丰"] and YZ_MEMBER_ID not in [r[1] for r in rows]
    assert len(files(long_lists)) == 1  # a masked workbook can be downloaded again for a day
    assert workbook_rows(client.get(reverse("staff:export_job_file", kwargs={"pk": job.pk})))
    actions = list(AuditEntry.objects.filter(action__startswith="member.export").values_list("action", flat=True))
    assert actions == ["member.export_queued", "member.export", "member.export_download", "member.export_download"]


def test_a_full_export_is_deleted_once_downloaded(client, yz_cadre, roster, long_lists, settings,
                                                  django_capture_on_commit_callbacks):
    settings.EXPORT_BACKGROUND_ROWS = 0
    client.force_login(yz_cadre)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(), {"full": "1", "q": "张三"})
    job = ExportJob.objects.get()
    assert job.unmasked and job.rows_total == 1
    rows = workbook_rows(client.get(reverse("staff:export_job_file", kwargs={"pk": job.pk})))
    assert rows[1][:2] == ("张三丰", YZ_MEMBER_ID)
    assert files(long_lists) == []
    assert client.get(reverse("staff:export_job_file", kwargs={"pk": job.pk})).status_code == 404
    page = client.get(reverse("staff:export_job", kwargs={"pk": job.pk})).content.decode()
    assert 'data-testid="export-outcome"' in page and "export-download" not in page


def test_while_waiting_the_page_polls_and_shows_progress(client, yz_cadre, roster, settings):
    settings.TASKS = DATABASE  # queued for a worker that is not running
    client.force_login(yz_cadre)
    client.get(url())
    job = ExportJob.objects.get()
    page = client.get(reverse("staff:export_job", kwargs={"pk": job.pk}))
    html = page.content.decode()
    assert 'hx-trigger="every 1s"' in html and 'data-status="queued"' in html
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING, rows_done=1)
    partial = client.get(reverse("staff:export_job", kwargs={"pk": job.pk}),
                         headers={"HX-Request": "true", "HX-Target": "export-job"}).content.decode()
    assert 'aria-valuenow="50"' in partial and "<html" not in partial
    # The worker then writes it.
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.QUEUED)
    assert export_job_run(job_id=job.pk) == ExportStatus.DONE
    assert export_job_run(job_id=job.pk) == "skipped"  # a task delivered twice writes once


def test_only_whoever_asked_sees_and_downloads_the_export(client, yz_cadre, nb_cadre, roster):
    job = export_job_create(actor=yz_cadre, org=roster.org)
    export_job_run(job_id=job.pk)
    client.force_login(nb_cadre)  # covers YZ, but the export is yz_cadre's
    assert client.get(reverse("staff:export_job", kwargs={"pk": job.pk})).status_code == 404
    assert client.get(reverse("staff:export_job_file", kwargs={"pk": job.pk})).status_code == 404


def test_a_right_lost_before_the_worker_runs_fails_the_job_and_writes_nothing(yz_cadre, roster, long_lists):
    job = export_job_create(actor=yz_cadre, org=roster.org)
    Role.objects.filter(user=yz_cadre).delete()
    assert export_job_run(job_id=job.pk) == ExportStatus.FAILED
    job.refresh_from_db()
    assert job.failure and not job.file and files(long_lists) == []
    assert not AuditEntry.objects.filter(action="member.export").exists()


def test_a_viewer_cannot_queue_a_full_export(client, yz_viewer, roster):
    client.force_login(yz_viewer)
    assert client.post(url(), {"full": "1"}).status_code == 403
    assert not ExportJob.objects.exists()


def test_short_lists_still_stream(client, yz_cadre, roster, settings):
    settings.EXPORT_BACKGROUND_ROWS = 2
    client.force_login(yz_cadre)
    assert len(workbook_rows(client.get(url()))) == 3
    assert not ExportJob.objects.exists()


def test_an_identifier_typed_as_the_filter_is_never_stored(yz_cadre, roster):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        export_job_create(actor=yz_cadre, org=roster.org, text=YZ_MEMBER_ID)
    assert not ExportJob.objects.exists()


def test_cleanup_removes_exports_a_day_old_with_their_workbook(yz_cadre, roster, long_lists):
    old, new = (export_job_create(actor=yz_cadre, org=roster.org) for _ in range(2))
    for job in (old, new):
        export_job_run(job_id=job.pk)
    ExportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(hours=25))
    assert len(files(long_lists)) == 2
    result = cleanup()
    assert (result.counts["export_jobs"], result.files) == (1, 1)
    assert list(ExportJob.objects.values_list("pk", flat=True)) == [new.pk] and len(files(long_lists)) == 1


@pytest.mark.django_db(transaction=True)
def test_the_worker_writes_a_long_list_with_progress_outside_any_transaction(tree, yz_cadre, long_lists,
                                                                             monkeypatch, settings):
    """As under `gonghui db_worker`: autocommit, a streamed (server-side on PostgreSQL) read while the
    progress updates the job row on the same connection."""
    from gonghui.core import pii
    from gonghui.core.ids import mask_id_number, parse_id_number
    from gonghui.members import exports
    from gonghui.members.models import Member

    rows = []
    for n in range(1_200):
        info = parse_id_number(valid_id_number(20_000 + n))
        ident = pii.protect("id", info.number, mask_id_number(info.number))
        rows.append(Member(org=tree.yze, org_path=tree.yze.path, name=f"会员{n}", id_hash=ident.hash,
                           id_cipher=ident.cipher, id_masked=ident.masked, pii_key_id=ident.key_id,
                           birth_date=info.birth_date, sex=info.sex, region_code=info.region_code,
                           joined_on=dt.date(2020, 1, 1)))
    Member.objects.bulk_create(rows, batch_size=500)
    monkeypatch.setattr(exports, "EXPORT_CHUNK", 500)
    settings.TASKS = DATABASE  # queued; this test runs the worker's part itself
    job = export_job_create(actor=yz_cadre, org=tree.yz)
    seen = []
    original = ExportJob.objects.filter

    def spy(*args, **kwargs):
        if kwargs.get("pk") == job.pk:
            seen.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(ExportJob.objects, "filter", spy)
    assert export_job_run(job_id=job.pk) == ExportStatus.DONE
    job.refresh_from_db()
    assert job.rows_done == job.rows_total == 1_200
    assert len(seen) >= 1 + 2  # the claim, then a progress write per chunk of 500
    assert len(files(long_lists)) == 1


def test_a_background_export_writes_formula_like_names_as_text(client, tree, yz_cadre,
                                                                django_capture_on_commit_callbacks):
    from tests.spreadsheets import FORMULAS, assert_shown_as_text, body

    for n, name in enumerate(FORMULAS):
        make_member(tree.yze, name=name, id_number=valid_id_number(9200 + n))
    client.force_login(yz_cadre)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(), {"full": "1"})
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.DONE
    assert_shown_as_text(body(client.get(reverse("staff:export_job_file", kwargs={"pk": job.pk}))), FORMULAS)
    assert AuditEntry.objects.filter(action="member.export").count() == 1
