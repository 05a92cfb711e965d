"""Roster imports on the workbench (批量导入): an upload becomes an ``ImportJob``, a background task
runs ``roster_import`` on it, and the job page follows its progress and shows the outcome.

Progress has to be visible while the import's own transaction is still open, so it is never
written through that transaction: on PostgreSQL a second, autocommit connection updates the job
row; on SQLite the import holds the database's only write lock, so the worker writes a small
progress file beside the uploads instead (SQLite means one machine, so the web process reads
the same disk).
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gonghui.core import jobs
from gonghui.core.paths import subtree_q
from gonghui.core.scope import Perm, require, scope_for
from gonghui.members.exports import import_errors_export
from gonghui.members.imports import ImportResult, roster_import
from gonghui.members.models import ImportJob, ImportStatus
from gonghui.members.roster import COLUMN_LABELS, RosterFormatError
from gonghui.orgs.models import Org

TASK = "gonghui.members.tasks.run_import_job"

logger = logging.getLogger(__name__)

REPORT_ERRORS = 500  # bad rows listed on the job page; the error workbook lists all of them
REPORT_TRANSFERS = 50  # lines of people who became transfer requests, listed on the page
PROGRESS_EVERY = 1.0  # seconds between two progress writes
TEXT_SUFFIXES = (".csv", ".txt")
MAX_ID = 2**63 - 1


# ---------------------------------------------------------------------------------------------
# Services


def import_job_create(*, actor, org: Org, upload: UploadedFile, dry_run: bool = False,
                      valid_only: bool = False, language: str = "") -> ImportJob:
    """Keep the uploaded roster in private storage and queue its import for the background worker."""
    require(actor, Perm.MANAGE, org.path)
    job = ImportJob(created_by=actor, org=org, filename=Path(upload.name or "roster").name[:200], size=upload.size or 0,
                    dry_run=dry_run, valid_only=valid_only, language=language or settings.LANGUAGE_CODE)
    return jobs.queue(job, actor=actor, action="member.import_queued", org_path=org.path, task=TASK,
                      upload=upload, filename=job.filename,
                      data={"file": job.filename, "size": job.size, "dry_run": dry_run, "valid_only": valid_only})


def import_job_run(*, job_id: int) -> str:
    """Run a queued job once (the task's body). Returns the job's final status."""
    # Claiming is a conditional update: a task delivered twice never imports the file twice.
    if not jobs.claim(ImportJob, job_id, waiting=ImportStatus.QUEUED, running=ImportStatus.RUNNING,
                      started_at=timezone.now()):
        return "skipped"
    job = ImportJob.objects.select_related("org", "created_by").get(pk=job_id)
    channel = ProgressChannel(job)
    try:
        with translation.override(job.language or settings.LANGUAGE_CODE):
            status = _run(job, channel)
    finally:
        channel.close()
        if job.upload:
            job.upload.delete(save=False)  # the file with plain ID numbers goes as soon as it is read
        job.save(update_fields=["upload"])
    return status


def _run(job: ImportJob, channel: ProgressChannel) -> str:
    try:
        with job.upload.storage.open(job.upload.name, "rb") as handle:
            stream = getattr(handle, "file", handle)  # the plain file object: tell() gives bytes read
            text = Path(job.filename).suffix.lower() in TEXT_SUFFIXES
            result = roster_import(
                actor=job.created_by, stream=stream, filename=job.filename, org=job.org, dry_run=job.dry_run,
                valid_only=job.valid_only, progress=_Throttled(channel, stream if text else None))
    except RosterFormatError as exc:
        return _finish(job, ImportStatus.REFUSED, report={"file_error": str(exc)})
    except PermissionDenied as exc:
        return _finish(job, ImportStatus.FAILED, report={"failure": str(exc)})
    except Exception:
        logger.exception("Roster import job %s stopped", job.pk)
        return _finish(job, ImportStatus.FAILED,
                       report={"failure": _("The import stopped on an unexpected error; nothing was written.")})
    return _finish_with(job, result)


def _finish_with(job: ImportJob, result: ImportResult) -> str:
    errors = result.errors
    report = {
        "errors": [{"line": e.line, "name": e.name, "column": e.column, "code": e.code, "message": e.message}
                   for e in errors.kept[:REPORT_ERRORS]],
        "error_total": errors.total,
        "errors_kept": len(errors.kept),
        "transfer_lines": result.transfer_lines[:REPORT_TRANSFERS],
        "seconds": round(result.seconds, 2),
    }
    if errors.kept:
        with tempfile.TemporaryFile(suffix=".xlsx") as out:
            import_errors_export(actor=job.created_by, errors=errors.kept, target=out, job=job, org_path=job.org.path)
            out.seek(0)
            job.errors_file.save("errors.xlsx", File(out, name="errors.xlsx"), save=False)
    job.rows, job.imported, job.transfers, job.unchanged = result.rows, result.imported, result.transfers, result.unchanged
    job.bad_rows, job.written = len(errors.bad_lines), result.written
    status = ImportStatus.REFUSED if result.refused else ImportStatus.DONE
    return _finish(job, status, report=report)


def _finish(job: ImportJob, status: str, *, report: dict) -> str:
    job.status, job.report, job.finished_at = status, report, timezone.now()
    job.rows_done = max(job.rows_done, job.rows)
    job.save(update_fields=["status", "report", "finished_at", "rows_done", "rows", "imported", "transfers",
                            "unchanged", "bad_rows", "written", "errors_file"])
    return status


class _Throttled:
    """The progress callback given to roster_import: at most one write per PROGRESS_EVERY seconds."""

    def __init__(self, channel: ProgressChannel, stream):
        self.channel, self.stream, self.last = channel, stream, 0.0

    def __call__(self, rows: int) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY:
            return
        self.last = now
        position = 0
        if self.stream is not None:
            try:
                position = self.stream.tell()  # bytes read so far: a CSV's share done
            except (OSError, ValueError):
                position = 0
        self.channel.write(rows, position)


class ProgressChannel:
    """Where a running job's progress goes and is read from (see the module docstring)."""

    def __init__(self, job: ImportJob):
        self.job_id = job.pk
        self.in_file = connection.vendor == "sqlite"
        self.path = Path(settings.MEDIA_ROOT) / "imports" / "progress" / str(job.pk)
        self._connection = None

    def write(self, rows: int, position: int) -> None:
        try:
            if self.in_file:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                scratch = self.path.with_suffix(".tmp")
                scratch.write_text(f"{rows} {position}")
                os.replace(scratch, self.path)
            else:
                if self._connection is None:
                    self._connection = connections.create_connection(DEFAULT_DB_ALIAS)
                with self._connection.cursor() as cursor:
                    cursor.execute(
                        f"UPDATE {ImportJob._meta.db_table} SET rows_done = %s, bytes_done = %s "
                        "WHERE id = %s AND status = %s", [rows, position, self.job_id, ImportStatus.RUNNING])
        except Exception:  # noqa: BLE001 - progress is a courtesy: never let it stop the import
            logger.warning("Could not record the progress of import job %s", self.job_id, exc_info=True)

    def read(self) -> tuple[int, int] | None:
        if not self.in_file:
            return None
        try:
            rows, position = self.path.read_text().split()
            return int(rows), int(position)
        except (OSError, ValueError):
            return None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self.path.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# Selectors


def _visible(user) -> Q | None:
    """Jobs the user may see: their own, and every job of a union their MANAGE scope covers."""
    scope = scope_for(user, Perm.MANAGE)
    if scope.everything:
        return None
    return Q(created_by=user) | scope.q("org__path") if user.is_authenticated else Q(pk__in=[])


def import_job_get(*, user, pk: int) -> ImportJob | None:
    """The job if the user may see it; None otherwise (answer 404)."""
    if not 0 < pk <= MAX_ID:
        return None
    qs = ImportJob.objects.select_related("org", "created_by").filter(pk=pk)
    visible = _visible(user)
    return (qs.filter(visible) if visible is not None else qs).first()


def import_job_list(*, user, org: Org, limit: int = 10) -> QuerySet[ImportJob]:
    """The latest jobs for ``org`` and the unions under it that the user may see, newest first."""
    qs = ImportJob.objects.filter(subtree_q(org.path, "org__path")).select_related("org", "created_by")
    visible = _visible(user)
    if visible is not None:
        qs = qs.filter(visible)
    return qs.order_by("-created_at", "-pk")[:limit]


def import_job_progress(*, job: ImportJob) -> dict:
    """Rows read so far and, for a CSV, the share of the file read (None when unknown)."""
    rows, position = job.rows_done, job.bytes_done
    if job.status == ImportStatus.RUNNING:
        side = ProgressChannel(job).read()
        if side is not None:
            rows, position = side
    percent = None
    if Path(job.filename).suffix.lower() in TEXT_SUFFIXES and job.size and position:
        percent = min(99, int(position * 100 / job.size))
    return {"rows": rows, "percent": percent}


def import_job_report_errors(*, job: ImportJob) -> list[dict]:
    """The bad rows kept in the job's report, each with its column's header as the file names it."""
    return [{**e, "column_label": COLUMN_LABELS.get(e["column"], e["column"])} for e in job.report.get("errors", [])]
