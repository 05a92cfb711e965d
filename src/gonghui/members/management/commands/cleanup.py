"""``gonghui cleanup``: remove expired SMS codes and API tokens, old roster imports and their files,
and the mobiles of abandoned sign-ups (see gonghui.members.cleanup)."""

from django.core.management.base import BaseCommand, CommandError

from gonghui.members.cleanup import cleanup, cleanup_days


class Command(BaseCommand):
    help = ("Remove what has gone stale: expired SMS codes and API tokens, roster import jobs and their files "
            "older than N days, and the mobiles of accounts that signed up by SMS and did nothing since. "
            "Idempotent; audited.")

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None,
                            help="age in days of import jobs and abandoned sign-ups to remove "
                                 "(default: the CLEANUP_AFTER_DAYS setting, 30 unless set)")
        parser.add_argument("--dry-run", action="store_true", help="only count what would be removed")

    def handle(self, *args, days, dry_run, **options):
        days = cleanup_days() if days is None else days
        if days < 1:
            raise CommandError("--days must be at least 1.")
        result = cleanup(days=days, dry_run=dry_run)
        verb = "Would remove" if dry_run else "Removed"
        self.stdout.write(f"{verb} (older than {days} days where it applies):")
        self.stdout.write(f"  expired SMS codes:      {result.sms_codes}")
        self.stdout.write(f"  expired API tokens:     {result.api_tokens}")
        self.stdout.write(f"  roster import jobs:     {result.import_jobs}")
        self.stdout.write(f"  member export jobs:     {result.export_jobs}")
        self.stdout.write(f"  their and stray files:  {result.files}")
        self.stdout.write(f"  abandoned sign-ups:     {len(result.accounts)}"
                          + (" (mobile removed, account deactivated)" if result.accounts and not dry_run else ""))
        if not result.anything:
            self.stdout.write(self.style.SUCCESS("Nothing was stale."))
