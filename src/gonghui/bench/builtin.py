"""The bench app's own benchmarks: the roster import, the statistics endpoint, mutual-aid pricing.

Each runner imports its module only when it runs, so listing the benchmarks costs nothing."""

from __future__ import annotations

from gonghui.bench.extensions import Bench, Option, at_least_one

REPEAT = Option(("--repeat",), {"type": at_least_one, "default": 50,
                                "help": "timed requests per level (stats) or per page and user (pages)"})
ROWS = Option(("--rows",), {"type": at_least_one, "default": 1_000_000,
                            "help": "roster rows (import) or settlement records (payouts)"})


def _import(options):
    from gonghui.bench import imports

    return imports.run(options["rows"], with_import_export=not options["no_import_export"])


def _stats(options):
    from gonghui.bench import stats

    return stats.run(repeat=options["repeat"])


def _payouts(options):
    from gonghui.bench import payouts

    return payouts.run(options["rows"], workers=options["workers"])


def _pages(options):
    from gonghui.bench import pages

    return pages.run(repeat=options["repeat"])


BENCHES = [
    Bench("import", "validated roster import against a raw load and django-import-export", _import, options=(
        ROWS,
        Option(("--no-import-export",), {"action": "store_true", "help": "skip the django-import-export baseline"}),
    )),
    Bench("stats", "latency of the statistics endpoint at four levels of the tree", _stats, options=(
        REPEAT,
    )),
    Bench("payouts", "mutual-aid pricing of settlement records against one set-based statement", _payouts, options=(
        ROWS,
        Option(("--workers",), {"type": at_least_one, "default": None,
                                "help": "pricing engine threads for the payouts bench (default: AID_PRICING_WORKERS)"}),
    )),
    Bench("pages", "server time and queries of the daily pages for four cadres and a worker", _pages,
          options=(REPEAT,)),
]
