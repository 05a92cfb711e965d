"""`gonghui cleanup`: remove what has gone stale (run it daily, e.g. from cron or as a task).

- SMS codes that expired more than a day ago (the day counts against SMS_DAILY_LIMIT, so a
  code is kept at least 24 hours after it was sent);
- API tokens that expired;
- roster import jobs older than CLEANUP_AFTER_DAYS, with their uploaded file (plain ID numbers)
  and their error workbook; member exports written in the background, with their workbook, a day
  after they were asked for; and files under the private import and export folders that no job
  refers to any more (a process killed between saving a file and its job), past the same age;
- abandoned sign-ups: accounts made by an SMS code that never became anything (no membership,
  application, transfer, role, case…: no row of any table refers to them) and have not logged
  in for CLEANUP_AFTER_DAYS. Their verified mobile (personal data) is removed and the account
  deactivated; the account row stays because the audit log refers to it. The same mobile makes
  a new account when its owner comes back.

Idempotent: a second run finds nothing. One audit line per run that removed anything.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from gonghui.core import audit
from gonghui.core.models import AccountPhone, ApiToken, AuditEntry, SmsCode
from gonghui.members.export_jobs import KEEP as EXPORT_KEEP
from gonghui.members.models import ExportJob, ImportJob

logger = logging.getLogger(__name__)

DEFAULT_DAYS = 30
FOLDERS = ("imports", "exports")  # the folders of ImportJob's and ExportJob's files under MEDIA_ROOT
# What an account that only signed up has in the audit log.
SIGN_UP_ACTIONS = ("account.create", "account.phone_verified")
# Rows that belong to an account without making it more than a sign-up.
ACCOUNT_OWN = {AccountPhone, ApiToken, AuditEntry}
SHOWN_IDS = 1000  # account ids written into the audit line


@dataclass
class CleanupResult:
    sms_codes: int = 0
    api_tokens: int = 0
    import_jobs: int = 0
    export_jobs: int = 0
    files: int = 0  # uploads and error workbooks of those jobs, and orphaned files
    accounts: list[int] = field(default_factory=list)

    @property
    def anything(self) -> bool:
        return bool(self.sms_codes or self.api_tokens or self.import_jobs or self.export_jobs or self.files
                    or self.accounts)

    def as_data(self) -> dict:
        return {"sms_codes": self.sms_codes, "api_tokens": self.api_tokens, "import_jobs": self.import_jobs,
                "export_jobs": self.export_jobs, "files": self.files, "accounts": len(self.accounts), "account_ids": self.accounts[:SHOWN_IDS]}


def cleanup_days() -> int:
    return int(getattr(settings, "CLEANUP_AFTER_DAYS", DEFAULT_DAYS))


def cleanup(*, days: int | None = None, dry_run: bool = False) -> CleanupResult:
    """Remove what is stale (see the module docstring); with ``dry_run`` only count it."""
    days = cleanup_days() if days is None else days
    if days < 1:
        raise ValueError("days must be at least 1")
    now = timezone.now()
    cutoff = now - timedelta(days=days)
    result = CleanupResult()
    codes = SmsCode.objects.filter(expires_at__lt=now, created_at__lt=now - timedelta(days=1))
    tokens = ApiToken.objects.filter(expires_at__lt=now)
    jobs = ImportJob.objects.filter(created_at__lt=cutoff)
    exports = ExportJob.objects.filter(created_at__lt=now - EXPORT_KEEP)
    files = [name for job in jobs.only("upload", "errors_file") for name in (job.upload.name, job.errors_file.name)
             if name]
    files += [job.file.name for job in exports.only("file") if job.file]
    accounts = _abandoned(cutoff)
    if dry_run:
        result.sms_codes, result.api_tokens, result.import_jobs = codes.count(), tokens.count(), jobs.count()
        result.export_jobs = exports.count()
        result.accounts = list(accounts.order_by("pk").values_list("pk", flat=True))
        result.files = len(files) + len(_orphans(cutoff, keep=_referenced()))
        return result
    with transaction.atomic():
        result.sms_codes = codes.delete()[0]
        result.api_tokens = tokens.delete()[0]
        result.import_jobs = jobs.delete()[0]
        result.export_jobs = exports.delete()[0]
        result.accounts = list(accounts.select_for_update().order_by("pk").values_list("pk", flat=True))
        if result.accounts:
            AccountPhone.objects.filter(user_id__in=result.accounts).delete()
            get_user_model().objects.filter(pk__in=result.accounts).update(is_active=False)
        if result.anything or files:
            audit.record(actor=None, action="core.cleanup", data={**result.as_data(), "files": len(files),
                                                                   "days": days})
    # Files go after the rows (a file without its row is swept up by the next run; a row without
    # its file would show a broken link).
    for name in files:
        result.files += _delete_file(name)
    for name in _orphans(cutoff, keep=_referenced()):
        result.files += _delete_file(name)
    return result


def _abandoned(cutoff):
    """Accounts that only signed up by SMS and have not logged in since ``cutoff``."""
    User = get_user_model()
    qs = (User.objects.filter(is_active=True, is_staff=False, is_superuser=False, phone__isnull=False)
          .annotate(seen=Coalesce("last_login", "date_joined")).filter(seen__lt=cutoff))
    for rel in User._meta.related_objects:
        model = rel.related_model
        if model in ACCOUNT_OWN:
            continue
        if rel.many_to_many:
            qs = qs.exclude(**{f"{rel.name}__isnull": False})
            continue
        qs = qs.exclude(pk__in=model._base_manager.filter(**{f"{rel.field.name}__isnull": False})
                        .values(rel.field.attname))
    for m2m in User._meta.many_to_many:  # groups, user permissions
        qs = qs.exclude(**{f"{m2m.name}__isnull": False})
    acted = AuditEntry.objects.filter(actor__isnull=False).exclude(action__in=SIGN_UP_ACTIONS).values("actor_id")
    return qs.exclude(pk__in=acted).filter(password__startswith=UNUSABLE_PASSWORD_PREFIX)  # an SMS account


def _referenced() -> set[str]:
    names = {name for pair in ImportJob.objects.values_list("upload", "errors_file") for name in pair if name}
    return names | set(ExportJob.objects.exclude(file="").values_list("file", flat=True))


def _orphans(cutoff, *, keep: set[str]) -> list[str]:
    """Files under the import and export folders, older than ``cutoff``, that no job refers to."""
    limit = cutoff.timestamp()
    found = []
    walks = [os.walk(Path(settings.MEDIA_ROOT) / name) for name in FOLDERS]
    for folder, _dirs, names in (entry for walk in walks for entry in walk):
        for name in names:
            path = Path(folder) / name
            relative = path.relative_to(settings.MEDIA_ROOT).as_posix()
            try:
                old = path.stat().st_mtime < limit
            except OSError:
                continue
            if old and relative not in keep:
                found.append(relative)
    return sorted(found)


def _delete_file(name: str) -> int:
    try:
        if not default_storage.exists(name):
            return 0
        default_storage.delete(name)
    except OSError:
        logger.warning("Could not delete the stale file %s", name, exc_info=True)
        return 0
    return 1
