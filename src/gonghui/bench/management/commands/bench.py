"""gonghui bench [NAME ...] [--json] [--rows N] — performance figures measured in this process."""

import json

from django.core.management.base import BaseCommand, CommandError

BENCHES = ("import", "stats", "payouts")


class Command(BaseCommand):
    help = "Run benchmarks (import, stats, payouts). Figures and method: docs/benchmarks.md."

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", help=f"which benchmarks (default all): {', '.join(BENCHES)}")
        parser.add_argument("--json", dest="as_json", action="store_true", help="one JSON object per result line")
        parser.add_argument("--rows", type=int, default=1_000_000, help="roster rows (import) or settlement records (payouts)")
        parser.add_argument("--no-import-export", action="store_true", help="skip the django-import-export baseline")
        parser.add_argument("--repeat", type=int, default=50, help="requests per level for the stats bench")
        parser.add_argument("--workers", type=int, default=None,
                            help="pricing engine threads for the payouts bench (default: AID_PRICING_WORKERS)")

    def handle(self, *args, names, as_json, rows, no_import_export, repeat, workers, **options):
        unknown = set(names) - set(BENCHES)
        if unknown:
            raise CommandError(f"Unknown benchmark(s): {', '.join(sorted(unknown))}. Known: {', '.join(BENCHES)}.")
        if rows < 1:
            raise CommandError("--rows must be at least 1.")
        if workers is not None and workers < 1:
            raise CommandError("--workers must be at least 1.")
        for name in names or BENCHES:
            try:
                metrics = self._run(name, rows=rows, import_export=not no_import_export, repeat=repeat,
                                    workers=workers)
            except RuntimeError as exc:
                raise CommandError(str(exc)) from None
            for metric in metrics:
                self.stdout.write(json.dumps(metric.as_json(), ensure_ascii=False) if as_json else str(metric))


    def _run(self, name, *, rows, import_export, repeat, workers):
        if name == "import":
            from gonghui.bench import imports

            return imports.run(rows, with_import_export=import_export)
        if name == "payouts":
            from gonghui.bench import payouts

            return payouts.run(rows, workers=workers)
        from gonghui.bench import stats

        return stats.run(repeat=repeat)
