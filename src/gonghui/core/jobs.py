"""Background jobs that a user starts (a roster import, a long export, a settlement file): the row
that carries the job's status and progress, queued with its audit line, and claimed exactly once.

    job = jobs.queue(ImportJob(...), actor=actor, action="member.import_queued", org_path=org.path,
                     data={...}, task="gonghui.members.tasks.run_import_job", upload=upload)
    ...
    if not jobs.claim(ImportJob, job_id, waiting=ImportStatus.QUEUED, running=ImportStatus.RUNNING,
                      started_at=timezone.now()):
        return "skipped"

Queueing writes the row and the audit line in one transaction and enqueues the task once that
commits (a worker never sees a job that was rolled back); a file kept for the job is deleted when
the row could not be written. Claiming is a conditional UPDATE (it works on SQLite as on
PostgreSQL): a task delivered twice runs the job once.
"""

from __future__ import annotations

from django.db import models, transaction
from django.utils.module_loading import import_string

from gonghui.core import audit


def queue(row: models.Model, *, actor, action: str, org_path: str, data: dict, task: str,
          upload=None, upload_field: str = "upload", filename: str = "") -> models.Model:
    """Save ``row`` with its audit line and enqueue ``task`` (a dotted path, called with the row's
    id) after commit; ``upload`` is kept in ``row.<upload_field>`` first, and removed if saving fails."""
    kept = getattr(row, upload_field) if upload is not None else None
    if kept is not None:
        kept.save(filename or upload.name, upload, save=False)
    try:
        with transaction.atomic():
            row.save()
            audit.record(actor=actor, action=action, obj=row, org_path=org_path, data=data)
            transaction.on_commit(lambda: import_string(task).enqueue(row.pk))
    except BaseException:
        if kept is not None:
            kept.delete(save=False)
        raise
    return row


def claim(model: type[models.Model], pk: int, *, waiting: str, running: str, **changes) -> bool:
    """Move job ``pk`` from ``waiting`` to ``running`` (with ``changes``) if no one else did."""
    return bool(model.objects.filter(pk=pk, status=waiting).update(status=running, **changes))
