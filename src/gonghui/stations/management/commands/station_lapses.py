"""``gonghui station_lapses``: downgrade the stations whose yearly review lapsed and give their unions a task.

Run it daily (cron or the task scheduler); running it twice the same day changes nothing."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Downgrade stations whose yearly review lapsed (stars removed) and open a task for their union."

    def handle(self, *args, **options):
        from gonghui.stations.services import reviews_apply_lapses

        n = reviews_apply_lapses(actor=None)  # the system: the audit line names no user
        self.stdout.write(f"{n} station(s) downgraded.")
