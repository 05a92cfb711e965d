"""gonghui bench [NAME ...] [--json] [options] — performance figures measured in this process."""

import json

from django.core.management.base import BaseCommand, CommandError

from gonghui.bench.extensions import discover


class Command(BaseCommand):
    help = "Run benchmarks (all by default, or those named). Figures and method: docs/benchmarks.md."

    def add_arguments(self, parser):
        benches = discover()
        listing = "; ".join(f"{bench.name}: {bench.help}" for bench in benches)
        parser.add_argument("names", nargs="*", help=f"which benchmarks (default all) — {listing}")
        parser.add_argument("--json", dest="as_json", action="store_true", help="one JSON object per result line")
        added = set()
        for bench in benches:
            for option in bench.options:
                if option.dest not in added:
                    parser.add_argument(*option.flags, **option.kwargs)
                    added.add(option.dest)

    def handle(self, *args, names, as_json, **options):
        benches = {bench.name: bench for bench in discover()}
        unknown = set(names) - set(benches)
        if unknown:
            raise CommandError(f"Unknown benchmark(s): {', '.join(sorted(unknown))}. Known: {', '.join(benches)}.")
        for name in names or benches:
            try:
                metrics = benches[name].run(options)
            except RuntimeError as exc:
                raise CommandError(str(exc)) from None
            for metric in metrics:
                self.stdout.write(json.dumps(metric.as_json(), ensure_ascii=False) if as_json else str(metric))
