"""gonghui stats rebuild — recompute the subtree tallies from the member table."""

import time

from django.core.management.base import BaseCommand

from gonghui.stats import tallies


class Command(BaseCommand):
    help = "Statistics maintenance. 'rebuild' recomputes the subtree tallies and reports drift."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rebuild"])

    def handle(self, *args, action, **options):
        started = time.perf_counter()
        drift = tallies.rebuild()
        self.stdout.write(
            f"subtree tallies rebuilt in {time.perf_counter() - started:.1f} s; "
            f"{drift} row(s) differed from the kept tallies"
        )
        if drift:
            self.stderr.write("The kept tallies had drifted: a write path does not update them. Please report it.")
