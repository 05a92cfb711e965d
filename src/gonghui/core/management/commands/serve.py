"""``gonghui serve [--bind ADDR] [--workers N] [-- GUNICORN OPTIONS]``: the production start.

Collects the static files first (with DEBUG off, pages name them through the manifest that
``collectstatic`` writes; without it every page is a 500), then replaces this process with gunicorn
serving ``gonghui.wsgi`` (WhiteNoise serves the collected files). Run it behind the TLS proxy with
``BEHIND_PROXY=1``; background tasks need ``gonghui db_worker`` beside it.
"""

import os
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = ("Production start: collectstatic, then gunicorn serving gonghui.wsgi behind the proxy "
            "(arguments after -- go to gunicorn).")

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("GONGHUI_BIND", "127.0.0.1:8000"),
                            help="address the proxy forwards to (default 127.0.0.1:8000, or GONGHUI_BIND)")
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 0)) or None,
                            help="gunicorn worker processes (default WEB_CONCURRENCY, else 2 × CPUs + 1)")
        parser.add_argument("--timeout", type=int, default=180,
                            help="seconds a request may take (the city's statistics page needs long ones)")
        parser.add_argument("--no-collectstatic", action="store_true", help="the files are collected already")
        parser.add_argument("gunicorn_args", nargs="*", help="more gunicorn options, after --")

    def handle(self, *args, bind, workers, timeout, no_collectstatic, gunicorn_args, **options):
        if not _gunicorn_importable():
            raise CommandError("gunicorn is not installed: pip install gunicorn (it is a dependency of gonghui).")
        if not no_collectstatic:
            call_command("collectstatic", interactive=False, verbosity=0)
            self.stdout.write("Collected the static files.")
        workers = workers or 2 * (os.cpu_count() or 1) + 1
        argv = [sys.executable, "-m", "gunicorn", "gonghui.wsgi:application", "--bind", bind,
                "--workers", str(workers), "--timeout", str(timeout), *gunicorn_args]
        # No access log here: the proxy keeps one, and gunicorn's would write query strings (a
        # searched ID number) past the log redaction.
        self.stdout.write(f"Starting gunicorn on {bind} with {workers} workers.")
        self.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, argv)


def _gunicorn_importable() -> bool:
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return False
    return True
