"""gonghui stats rebuild — recompute the subtree tallies and the modules' activity rows."""

import time

from django.core.management.base import BaseCommand

from gonghui.stats import activity, tallies


class Command(BaseCommand):
    help = ("Statistics maintenance. 'rebuild' recomputes the subtree tallies (members) and the "
            "activity rows (disputes, mutual aid…) from their tables and reports drift.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rebuild"])

    def handle(self, *args, action, **options):
        started = time.perf_counter()
        drift = tallies.rebuild()
        self.stdout.write(
            f"subtree tallies rebuilt in {time.perf_counter() - started:.1f} s; "
            f"{drift} row(s) differed from the kept tallies"
        )
        for source in activity.SOURCES.values():
            started = time.perf_counter()
            source_drift = activity.rebuild([source])
            drift += source_drift
            self.stdout.write(
                f"{source.name} activity rebuilt in {time.perf_counter() - started:.1f} s; "
                f"{source_drift} row(s) differed from the kept rows"
            )
        if drift:
            self.stderr.write("The kept figures had drifted: a write path does not update them. Please report it.")
