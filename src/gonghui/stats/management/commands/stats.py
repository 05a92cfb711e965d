"""gonghui stats rebuild — recompute the subtree tallies and the modules' activity rows.
gonghui stats snapshot [--day D] — keep the tallies as of a day (default: the end of last year)."""

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from gonghui.core.dates import end_of_last_year
from gonghui.stats import activity, tallies


class Command(BaseCommand):
    help = ("Statistics maintenance. 'rebuild' recomputes the subtree tallies (members) and the "
            "activity rows (disputes, mutual aid…) from their tables and reports drift. 'snapshot' "
            "keeps the tallies as of the end of a day (default: the end of last year, which the "
            "workbench compares with); run it daily, so that changes dated into that year show.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rebuild", "snapshot"])
        parser.add_argument("--day", help="snapshot: the day, YYYY-MM-DD, before today (default: 31 December last)")

    def handle(self, *args, action, day=None, **options):
        if action == "snapshot":
            self._snapshot(day)
            return
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

    def _snapshot(self, day: str | None) -> None:
        today = timezone.localdate()
        try:
            on = dt.date.fromisoformat(day) if day else end_of_last_year(today)
        except ValueError:
            raise CommandError(f"--day {day!r} is not a date (YYYY-MM-DD)") from None
        if on >= today:
            raise CommandError(f"--day {on} is not before today: today's figures are the tallies themselves")
        started = time.perf_counter()
        rows = tallies.take_snapshot(on)
        self.stdout.write(f"tallies as of {on} kept: {rows:,} rows in {time.perf_counter() - started:.1f} s")
