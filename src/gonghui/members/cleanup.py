"""The member database's part of `gonghui cleanup` (registered by MembersConfig.ready):

- roster import jobs older than CLEANUP_AFTER_DAYS, with their uploaded file (plain ID numbers)
  and their error workbook;
- member exports written in the background, with their workbook, a day after they were asked for;
- files under the private import and export folders that no job refers to any more, past the
  same age (the runner in gonghui.core.cleanup sweeps the registered folders).
"""

from __future__ import annotations

from gonghui.core.cleanup import Found, Window
from gonghui.members.models import ExportJob, ImportJob

FOLDERS = ("imports", "exports")  # the folders of ImportJob's and ExportJob's files under MEDIA_ROOT


def old_import_jobs(window: Window, *, dry_run: bool) -> Found:
    jobs = ImportJob.objects.filter(created_at__lt=window.cutoff)
    files = tuple(name for job in jobs.only("upload", "errors_file") for name in (job.upload.name, job.errors_file.name)
                  if name)
    return Found(count=jobs.count() if dry_run else jobs.delete()[0], files=files)


def old_export_jobs(window: Window, *, dry_run: bool) -> Found:
    from gonghui.members.export_jobs import KEEP

    exports = ExportJob.objects.filter(created_at__lt=window.now - KEEP)
    files = tuple(job.file.name for job in exports.only("file") if job.file)
    return Found(count=exports.count() if dry_run else exports.delete()[0], files=files)


def referenced_files() -> set[str]:
    names = {name for pair in ImportJob.objects.values_list("upload", "errors_file") for name in pair if name}
    return names | set(ExportJob.objects.exclude(file="").values_list("file", flat=True))
