"""``gonghui demo [--scale small|ningbo|FRACTION] [--password PW]``: load the demo data set."""

import time

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from gonghui.core import pii
from gonghui.demo.calibration import MIN_SCALE, SMALL_SCALE, DemoError, parse_scale
from gonghui.demo.services import DEFAULT_PASSWORD, demo_load, demo_summary


class Command(BaseCommand):
    help = (
        "Load the Ningbo demo: the union tree (宁波市总工会, ten districts, townships, grassroots unions) and "
        "its members, with the seed documents' figures times the scale, plus the demo logins. "
        "Deterministic and idempotent: the same scale again changes nothing; another scale replaces the demo."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", default="small",
            help=f"small (= {SMALL_SCALE}, the default), ningbo (= 1: 21,000 unions, 3.04 million members) "
                 f"or a fraction between {MIN_SCALE} and 1",
        )
        parser.add_argument(
            "--password",
            help=f"password of the demo logins (default {DEFAULT_PASSWORD!r}, refused when DEBUG is off)",
        )

    def handle(self, *args, scale: str, password: str | None, **options):
        if password is None:
            if not settings.DEBUG:
                raise CommandError(
                    f"DEBUG is off: the well-known default password {DEFAULT_PASSWORD!r} would open this "
                    "installation to anyone. Give one with --password."
                )
            password = DEFAULT_PASSWORD
        if not password:
            raise CommandError("--password cannot be empty.")
        try:
            value = parse_scale(scale)
            self._migrate_first(options.get("verbosity", 1))
            self._note_keys()
            result = demo_load(scale=value, password=password, log=self.stdout.write)
        except DemoError as exc:
            raise CommandError(str(exc)) from None
        except ImproperlyConfigured as exc:
            raise CommandError(f"Configuration: {exc}") from None
        if result.loaded:
            self._tidy()
        self._report(result, password_shown=password == DEFAULT_PASSWORD)

    def _migrate_first(self, verbosity: int):
        """A database never migrated (or behind the code) is migrated first, as `make run` does;
        loading into missing tables would end in a traceback."""
        executor = MigrationExecutor(connection)
        if not executor.migration_plan(executor.loader.graph.leaf_nodes()):
            return
        self.stdout.write("The database is not up to date with the code: running `gonghui migrate` first.")
        call_command("migrate", interactive=False, verbosity=min(verbosity, 1), stdout=self.stdout, stderr=self.stderr)

    def _tidy(self):
        """On PostgreSQL, what autovacuum would do some time after a bulk load, at once: the
        visibility map (counts of a district's enrolments read from the index only) and the planner's
        statistics for the new rows. Not inside a caller's transaction (VACUUM cannot run there)."""
        if connection.vendor != "postgresql" or connection.in_atomic_block:
            return
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
        self.stdout.write(f"Vacuumed and analysed the database in {time.monotonic() - started:.1f} s.")

    def _note_keys(self):
        if pii.keys().derived:
            self.stdout.write(self.style.WARNING(
                "Personal data is protected with development keys derived from SECRET_KEY "
                "(set PII_HMAC_KEY and PII_ENCRYPTION_KEYS for real data; see `gonghui pii_keys`)."
            ))

    def _report(self, result, *, password_shown: bool):
        plan = result.plan
        if result.loaded:
            replaced = f", replacing the demo of scale {result.replaced}" if result.replaced else ""
            self.stdout.write(self.style.SUCCESS(
                f"Loaded the demo at scale {plan.label}{replaced}: {plan.city.orgs:,} unions, "
                f"{plan.city.members:,} members ({result.rows:,} rows with those who left) "
                f"in {result.seconds:.1f} s."
            ))
        else:
            self.stdout.write(self.style.SUCCESS(
                f"The demo at scale {plan.label} is already loaded; nothing changed ({result.seconds:.1f} s)."
            ))
        # The union's name comes last: Chinese characters are two columns wide in a terminal.
        self.stdout.write(f"  {'code':<5} {'unions':>7} {'members':>10} {'new-form':>9} {'nf members':>11}  union")
        for code, name, f in demo_summary(plan):
            self.stdout.write(
                f"  {code:<5} {f.orgs:>7,} {f.members:>10,} {f.new_form_orgs:>9,} {f.new_form_members:>11,}  {name}"
            )
        secret = f"password {DEFAULT_PASSWORD}" if password_shown else "the password given with --password"
        self.stdout.write(f"Demo logins ({secret}):")
        for login in result.logins:
            self.stdout.write(f"  {login.username:<7} {login.what}")
