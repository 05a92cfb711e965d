"""`gonghui cleanup`: remove what has gone stale, as the apps registered it (run it daily, from
cron or as the ``gonghui.core.tasks.run_cleanup`` task).

Each app registers, from its ``AppConfig.ready()``:
- ``CleanupJob``s: rows that have gone stale (expired codes and tokens, old jobs…). A job's
  ``run(window, dry_run=...)`` counts them (dry run) or deletes them, inside the one transaction
  of the run, and returns a ``Found``: how many, the stored files that go with them, and what
  the audit line should name (ids, never personal data);
- ``PrivateFolder``s under MEDIA_ROOT whose files belong to rows: a file there older than the
  cut-off that no row refers to any more (a process killed between saving a file and its row)
  goes too.

Files go after the rows' transaction commits (a file without its row is swept up by the next run;
a row without its file would show a broken link). Idempotent: a second run finds nothing. One
audit line (``core.cleanup``) per run that removed anything.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from gonghui.core import audit

logger = logging.getLogger(__name__)

DEFAULT_DAYS = 30


@dataclass(frozen=True)
class Window:
    """When the run happens and what counts as old (``days`` before ``now``)."""

    now: datetime
    days: int

    @property
    def cutoff(self) -> datetime:
        return self.now - timedelta(days=self.days)


@dataclass(frozen=True)
class Found:
    count: int = 0
    files: tuple[str, ...] = ()  # storage names of the rows' files, deleted after the commit
    data: dict = field(default_factory=dict)  # more for the audit line (ids; no personal data)


@dataclass(frozen=True)
class CleanupJob:
    key: str  # the count's key in the audit line and the task's result: "sms_codes"
    label: str  # what the command prints: "expired SMS codes"
    run: Callable[..., Found]  # run(window: Window, *, dry_run: bool) -> Found
    removed_note: str = ""  # printed after a non-zero count when removed: "(account deactivated)"


@dataclass(frozen=True)
class PrivateFolder:
    name: str  # a folder under MEDIA_ROOT ("imports")
    referenced: Callable[[], set[str]]  # the storage names that rows still refer to


_jobs: dict[str, CleanupJob] = {}
_folders: dict[str, PrivateFolder] = {}


def register(job: CleanupJob) -> None:
    _jobs[job.key] = job


def register_folder(folder: PrivateFolder) -> None:
    _folders[folder.name] = folder


def jobs() -> list[CleanupJob]:
    """The registered jobs in registration order (INSTALLED_APPS)."""
    return list(_jobs.values())


@dataclass
class CleanupResult:
    counts: dict[str, int]  # by job key
    files: int = 0  # the rows' files and stray files
    data: dict = field(default_factory=dict)

    @property
    def anything(self) -> bool:
        return bool(self.files or any(self.counts.values()))

    def as_data(self) -> dict:
        return {**self.counts, "files": self.files, **self.data}


def cleanup_days() -> int:
    return int(getattr(settings, "CLEANUP_AFTER_DAYS", DEFAULT_DAYS))


def cleanup(*, days: int | None = None, dry_run: bool = False) -> CleanupResult:
    """Run every registered job; with ``dry_run`` only count what would go."""
    days = cleanup_days() if days is None else days
    if days < 1:
        raise ValueError("days must be at least 1")
    window = Window(now=timezone.now(), days=days)
    if dry_run:
        found = {job.key: job.run(window, dry_run=True) for job in jobs()}
        files = [name for f in found.values() for name in f.files]
        return _result(found, files=len(files) + len(_strays(window)))
    with transaction.atomic():
        found = {job.key: job.run(window, dry_run=False) for job in jobs()}
        files = [name for f in found.values() for name in f.files]
        result = _result(found, files=len(files))
        if result.anything:
            audit.record(actor=None, action="core.cleanup", data={**result.as_data(), "days": days})
    result.files = sum(_delete_file(name) for name in files)
    result.files += sum(_delete_file(name) for name in _strays(window))
    return result


def _result(found: dict[str, Found], *, files: int) -> CleanupResult:
    data = {key: value for f in found.values() for key, value in f.data.items()}
    return CleanupResult(counts={key: f.count for key, f in found.items()}, files=files, data=data)


def _strays(window: Window) -> list[str]:
    """Files under the private folders, older than the cut-off, that no row refers to."""
    limit = window.cutoff.timestamp()
    found = []
    for folder in _folders.values():
        keep = folder.referenced()
        for parent, _dirs, names in os.walk(Path(settings.MEDIA_ROOT) / folder.name):
            for name in names:
                path = Path(parent) / name
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


# --- core's own jobs (registered by CoreConfig.ready) -------------------------------------------

# What an account that only signed up has in the audit log.
SIGN_UP_ACTIONS = ("account.create", "account.phone_verified")
SHOWN_IDS = 1000  # account ids written into the audit line


def stale_sms_codes(window: Window, *, dry_run: bool) -> Found:
    """SMS codes that expired more than a day ago (the day counts against SMS_DAILY_LIMIT, so a code
    is kept at least 24 hours after it was sent)."""
    from gonghui.core.models import SmsCode

    codes = SmsCode.objects.filter(expires_at__lt=window.now, created_at__lt=window.now - timedelta(days=1))
    return Found(count=codes.count() if dry_run else codes.delete()[0])


def expired_api_tokens(window: Window, *, dry_run: bool) -> Found:
    from gonghui.core.models import ApiToken

    tokens = ApiToken.objects.filter(expires_at__lt=window.now)
    return Found(count=tokens.count() if dry_run else tokens.delete()[0])


def abandoned_sign_ups(window: Window, *, dry_run: bool) -> Found:
    """Accounts made by an SMS code that never became anything (no membership, application, case…:
    no row of any table refers to them) and have not logged in since the cut-off. Their verified
    mobile (personal data) is removed and the account deactivated; the account row stays because
    the audit log refers to it. The same mobile makes a new account when its owner comes back."""
    from django.contrib.auth import get_user_model

    from gonghui.core.models import AccountPhone

    accounts = _abandoned(window.cutoff)
    if not dry_run:
        accounts = accounts.select_for_update()
    ids = list(accounts.order_by("pk").values_list("pk", flat=True))
    if ids and not dry_run:
        AccountPhone.objects.filter(user_id__in=ids).delete()
        get_user_model().objects.filter(pk__in=ids).update(is_active=False)
    return Found(count=len(ids), data={"account_ids": ids[:SHOWN_IDS]})


def _abandoned(cutoff):
    """Accounts that only signed up by SMS and have not logged in since ``cutoff``."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
    from django.db.models.functions import Coalesce

    from gonghui.core.models import AccountPhone, ApiToken, AuditEntry

    account_own = {AccountPhone, ApiToken, AuditEntry}  # rows that do not make an account more than a sign-up
    User = get_user_model()
    qs = (User.objects.filter(is_active=True, is_staff=False, is_superuser=False, phone__isnull=False)
          .annotate(seen=Coalesce("last_login", "date_joined")).filter(seen__lt=cutoff))
    for rel in User._meta.related_objects:
        model = rel.related_model
        if model in account_own:
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
