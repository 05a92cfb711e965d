"""Long member list exports in the background (导出), with a progress bar like roster imports.

A list of up to ``EXPORT_BACKGROUND_ROWS`` members (20,000 by default: a few seconds) streams to
the browser at once. A longer one (500,000 members take about 100 s) becomes an
``ExportJob``: a background task writes the workbook into private storage, the job page follows
its progress (htmx polling) and offers the download when it is done. Only whoever asked can
download it; a workbook with full ID numbers is deleted as soon as it is downloaded, any other a
day later (``gonghui cleanup``). The export itself is audited as a streamed one is
(``member.export``, when written), plus ``member.export_queued`` and ``member.export_download``.
"""

from __future__ import annotations

import logging
import re
import tempfile
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gonghui.core import audit, jobs
from gonghui.core.scope import Perm, require
from gonghui.members.exports import member_export
from gonghui.members.models import ExportJob, ExportStatus
from gonghui.members.selectors import member_list
from gonghui.orgs.models import Org

TASK = "gonghui.members.tasks.run_export_job"

logger = logging.getLogger(__name__)

DEFAULT_BACKGROUND_ROWS = 20_000
KEEP = timedelta(days=1)  # how long a finished workbook stays for download
MAX_ID = 2**63 - 1
_LONG_DIGITS = re.compile(r"\d{11,}")  # a mobile or ID number typed into the search box


def background_rows() -> int:
    return int(getattr(settings, "EXPORT_BACKGROUND_ROWS", DEFAULT_BACKGROUND_ROWS))


def export_needs_background(*, actor, org: Org, text: str = "", include_left: bool = False) -> int | None:
    """The list's length when it is too long to stream at once; None when it streams."""
    count = member_list(user=actor, org=org, text=text, include_left=include_left).count()
    return count if count > background_rows() else None


def export_job_create(*, actor, org: Org, text: str = "", include_left: bool = False, unmasked: bool = False,
                      language: str = "") -> ExportJob:
    """Queue the export of the list the actor sees for ``org`` (the page's filters)."""
    require(actor, Perm.READ, org.path)
    if unmasked:
        require(actor, Perm.REVEAL, org.path)
    text = " ".join((text or "").split())
    if len(text) > 50 or _LONG_DIGITS.search(text):
        # The filter is stored with the job: never a personal identifier (it would match no name anyway).
        raise ValidationError(_("Search by name or member card number to export a part of the list."),
                              code="export_filter")
    total = member_list(user=actor, org=org, text=text, include_left=include_left).count()
    job = ExportJob(created_by=actor, org=org, text=text, include_left=include_left, unmasked=unmasked,
                    rows_total=total, language=language or settings.LANGUAGE_CODE)
    return jobs.queue(job, actor=actor, action="member.export_queued", org_path=org.path, task=TASK,
                      data={"org": org.code, "count": total, "unmasked": unmasked, "searched": bool(text),
                            "include_left": include_left})


def export_job_run(*, job_id: int) -> str:
    """Write a queued job's workbook once (the task's body). Returns the job's final status."""
    if not jobs.claim(ExportJob, job_id, waiting=ExportStatus.QUEUED, running=ExportStatus.RUNNING,
                      started_at=timezone.now()):
        return "skipped"
    job = ExportJob.objects.select_related("org", "created_by").get(pk=job_id)

    def progress(rows: int) -> None:
        ExportJob.objects.filter(pk=job_id).update(rows_done=rows)

    try:
        with translation.override(job.language or settings.LANGUAGE_CODE), \
                tempfile.TemporaryFile(suffix=".xlsx") as out:
            # member_export checks the rights again: they may have changed since the job was queued.
            count = member_export(actor=job.created_by, org=job.org, target=out, text=job.text,
                                  include_left=job.include_left, unmasked=job.unmasked, progress=progress)
            out.seek(0)
            job.file.save("export.xlsx", File(out, name="export.xlsx"), save=False)
        job.status, job.rows_done = ExportStatus.DONE, count
    except PermissionDenied:
        job.status, job.failure = ExportStatus.FAILED, _("You may no longer export this list.")
    except Exception:
        logger.exception("Member export job %s stopped", job_id)
        job.status, job.failure = ExportStatus.FAILED, _("The export stopped on an unexpected error.")
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "rows_done", "file", "failure", "finished_at"])
    return job.status


def export_job_get(*, user, pk: int) -> ExportJob | None:
    """The job if ``user`` asked for it (an export is personal); None otherwise (answer 404)."""
    if not user.is_authenticated or not 0 < pk <= MAX_ID:
        return None
    return ExportJob.objects.select_related("org").filter(pk=pk, created_by=user).first()


def export_job_download(*, actor, job: ExportJob):
    """Open the finished workbook for its owner; a workbook with full ID numbers goes once opened.

    Returns an open binary file (the caller streams and closes it); None when there is none any more.
    """
    if job.created_by_id != actor.pk:
        raise PermissionDenied(_("Only whoever asked for this export can download it."))
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ExportStatus.DONE or not job.file:
            return None
        handle = job.file.storage.open(job.file.name, "rb")
        if job.unmasked:
            # The open handle still reads the data after the name is gone (POSIX); no second copy stays.
            job.file.delete(save=False)
        job.downloaded_at = timezone.now()
        job.save(update_fields=["file", "downloaded_at"])
        audit.record(actor=actor, action="member.export_download", obj=job, org_path=job.org.path,
                     data={"org": job.org.code, "count": job.rows_done, "unmasked": job.unmasked})
    return handle
