"""``gonghui audit verify``: walk the audit chain and say whether it is intact."""

from django.core.management.base import BaseCommand, CommandError

from gonghui.core import audit
from gonghui.core.models import AuditEntry


class Command(BaseCommand):
    help = "Audit log tools. 'verify' checks the hash chain: exit 0 when intact, 1 naming the first broken entry."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="check every entry's hash and its link to the previous one")
        verify.add_argument("--all", action="store_true", help="list every break, not only the first")

    def handle(self, *args, action, **options):
        if action == "verify":
            return self._verify(show_all=options["all"])
        raise CommandError(f"unknown action {action!r}")  # pragma: no cover - argparse refuses it first

    def _verify(self, *, show_all: bool):
        breaks = audit.verify()
        first = next(breaks, None)
        if first is None:
            count = AuditEntry.objects.count()
            self.stdout.write(self.style.SUCCESS(f"audit log intact: {count} entries"))
            return
        self.stderr.write(f"audit log broken at entry {first.seq}: {first.reason}")
        if show_all:
            for brk in breaks:
                self.stderr.write(f"  entry {brk.seq}: {brk.reason}")
        raise SystemExit(1)
