"""``gonghui audit verify`` and ``gonghui audit anchor``: check the audit chain, anchor its head."""

from contextlib import closing

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from gonghui.core import audit
from gonghui.core.models import AuditEntry


class Command(BaseCommand):
    help = ("Audit log tools. 'verify' checks the hash chain and its checkpoints outside the database: exit 0 "
            "when intact, 1 naming the first break. 'anchor' writes a checkpoint of the current head.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="check every entry's hash, its link to the previous one, and the "
                                               "checkpoints in AUDIT_ANCHOR_FILE")
        verify.add_argument("--all", action="store_true", help="list every break, not only the first")
        sub.add_parser("anchor", help="append a signed checkpoint of the current head to AUDIT_ANCHOR_FILE")

    def handle(self, *args, action, **options):
        try:
            if action == "verify":
                return self._verify(show_all=options["all"])
            if action == "anchor":
                return self._anchor()
        except (ImproperlyConfigured, OSError) as exc:
            raise CommandError(str(exc)) from None
        raise CommandError(f"unknown action {action!r}")  # pragma: no cover - argparse refuses it first

    def _verify(self, *, show_all: bool):
        # closing(): the walk holds an open database cursor; leaving it to the garbage collector after
        # the exit below would print a traceback once the connection is gone.
        with closing(audit.verify()) as breaks:
            first = next(breaks, None)
            if first is not None:
                self.stderr.write(f"audit log broken at entry {first.seq}: {first.reason}")
                if show_all:
                    for brk in breaks:
                        self.stderr.write(f"  entry {brk.seq}: {brk.reason}")
        if first is not None:
            raise SystemExit(1)
        count = AuditEntry.objects.count()
        self.stdout.write(self.style.SUCCESS(f"audit log intact: {count} entries"))
        if count:
            self.stdout.write(self._anchored(count))

    @staticmethod
    def _anchored(count: int) -> str:
        point = audit.furthest_checkpoint()
        if point is None:
            return (f"none of them is anchored outside the database yet ({audit.anchor_path()}); "
                    "`gonghui audit anchor` anchors the head")
        if point.seq >= count:
            return f"anchored outside the database up to the last entry, at {point.at}"
        return (f"anchored outside the database up to entry {point.seq} ({point.at}); entries {point.seq + 1}…"
                f"{count} are not yet: `gonghui audit anchor` anchors the head")

    def _anchor(self):
        seq = audit.anchor()
        if seq:
            self.stdout.write(f"checkpoint of entry {seq} written to {audit.anchor_path()}")
        else:
            self.stdout.write("the audit log is empty: nothing to anchor")
