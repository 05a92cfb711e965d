"""``gonghui cleanup``: remove what has gone stale, as the apps registered it (see gonghui.core.cleanup)."""

from django.core.management.base import BaseCommand, CommandError

from gonghui.core.cleanup import cleanup, cleanup_days, jobs


class Command(BaseCommand):
    help = ("Remove what has gone stale, as each app registered it: expired SMS codes and API tokens, roster "
            "import jobs and their files older than N days, background exports, and the mobiles of accounts that "
            "signed up by SMS and did nothing since. Idempotent; audited.")

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
        self.stdout.write(f"{'Would remove' if dry_run else 'Removed'} (older than {days} days where it applies):")
        for job in jobs():
            count = result.counts[job.key]
            note = f" {job.removed_note}" if count and job.removed_note and not dry_run else ""
            self.stdout.write(f"  {job.label + ':':<24}{count}{note}")
        self.stdout.write(f"  {'their and stray files:':<24}{result.files}")
        if not result.anything:
            self.stdout.write(self.style.SUCCESS("Nothing was stale."))
