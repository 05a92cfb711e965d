"""Activity in a period: what the modules count (cases settled, payouts made…) for any subtree.

Members are counted as of a day (``gonghui.stats.tallies``); activity is counted over a period
(``?from=&to=``). Summing the events of a city's whole subtree on each request would not stay
fast at three million members, so each event is added, in the transaction that records it, to a
per-day row of every union above it (at most five rows per metric and breakdown):

    deltas = Deltas()
    deltas.add(case.org_path, day, "cases_settled", amount=agreement.amount)
    deltas.add(case.org_path, day, "cases_settled", dim="claim", key=case.claim_type)
    add(deltas)

A module declares its metrics once (``register``), with a function that recounts them from its
own tables (``gonghui stats rebuild``, the demo's bulk loads) and, optionally, live figures that
cannot be summed from per-day rows (distinct people over a period).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q, Sum

from gonghui.core import pg
from gonghui.stats.models import Activity, ActivityTotal
from gonghui.stats.tallies import ancestors

UPSERT_BATCH = 500  # rows per statement on SQLite
ZERO = Decimal("0.00")

Key = tuple[str, dt.date, str, str, str]  # (path, day, metric, dim, key)
DAY_KEYS = ("path", "metric", "dim", "key", "day")  # the unique key of an Activity row
TOTAL_KEYS = DAY_KEYS[:4]  # of an ActivityTotal row


class Deltas:
    """Counts and amounts to add, per union (not yet rolled up to its ancestors)."""

    def __init__(self) -> None:
        self.rows: dict[Key, list] = defaultdict(lambda: [0, ZERO])

    def add(self, path: str, day: dt.date, metric: str, *, n: int = 1, amount: Decimal = ZERO,
            dim: str = "", key: str = "") -> None:
        row = self.rows[(path, day, metric, dim, key)]
        row[0] += n
        row[1] += amount

    def update(self, other: Deltas) -> None:
        for k, (n, amount) in other.rows.items():
            row = self.rows[k]
            row[0] += n
            row[1] += amount

    def rolled_up(self) -> dict[Key, list]:
        rolled: dict[Key, list] = defaultdict(lambda: [0, ZERO])
        for (path, day, metric, dim, key), (n, amount) in self.rows.items():
            if n or amount:
                for ancestor in ancestors(path):
                    row = rolled[(ancestor, day, metric, dim, key)]
                    row[0] += n
                    row[1] += amount
        return rolled

    def __bool__(self) -> bool:
        return any(n or amount for n, amount in self.rows.values())


def add(deltas: Deltas) -> None:
    """Add per-union deltas to the activity rows of those unions and all their ancestors, per day
    and all-time (``ActivityTotal``), in one transaction."""
    rows = sorted((k, v) for k, v in deltas.rolled_up().items() if v[0] or v[1])  # one order: no deadlocks
    if not rows:
        return
    days = [(path, metric, dim, key, day, n, amount) for (path, day, metric, dim, key), (n, amount) in rows]
    with transaction.atomic():
        _upsert(Activity, DAY_KEYS, days)
        _upsert(ActivityTotal, TOTAL_KEYS, totals_of(days))


def totals_of(rows: Iterable[tuple]) -> list[tuple]:
    """Per-day rows ``(path, metric, dim, key, day, n, amount)`` summed over their days, in key order."""
    totals: dict[tuple, list] = defaultdict(lambda: [0, ZERO])
    for path, metric, dim, key, _day, n, amount in rows:
        total = totals[(path, metric, dim, key)]
        total[0] += n
        total[1] += amount
    return [(*k, n, amount) for k, (n, amount) in sorted(totals.items())]


def _upsert(model, keys: tuple[str, ...], rows: list[tuple]) -> None:
    """Add ``rows`` (values of ``keys``, then n and amount) to the model's rows, inserting the keys
    not there yet; rows are written in the order given (callers sort them: no deadlocks)."""
    table = model._meta.db_table
    columns = (*keys, "n", "amount")
    upsert = (f" ON CONFLICT ({', '.join(keys)}) DO UPDATE "
              f"SET n = {table}.n + excluded.n, amount = {table}.amount + excluded.amount")
    if connection.vendor == "postgresql":
        # One statement whatever the number of rows (a pricing chunk touches thousands of unions).
        arrays = ", ".join(f"%s::{'date' if c == 'day' else 'text'}[]" for c in keys) + ", %s::bigint[], %s::numeric[]"
        pg.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({arrays})" + upsert,
                   [list(c) for c in zip(*rows)])
        return
    marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), UPSERT_BATCH):
            batch = rows[start:start + UPSERT_BATCH]
            cursor.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([marks] * len(batch))}"
                           + upsert, [p for row in batch for p in row])


def refresh_totals(metrics: Iterable[str]) -> None:
    """Recompute the all-time totals of ``metrics`` from their per-day rows: for writers that
    delete per-day rows (the demo's reset, the benches' clean-up)."""
    metrics = list(metrics)
    if not metrics:  # a module with figures as of a day only (contracts in force): nothing per day
        return
    marks = ", ".join(["%s"] * len(metrics))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {ActivityTotal._meta.db_table} WHERE metric IN ({marks})", metrics)
        add_totals_of(cursor, Activity._meta.db_table, f"WHERE metric IN ({marks})", metrics)


def add_totals_of(cursor, table: str, where: str = "", params: list | None = None) -> None:
    """Add per-day rows of ``table`` (columns path, metric, dim, key, n, amount), summed over their
    days, to the all-time totals: for bulk writers of per-day rows that bypass ``add``."""
    totals = ActivityTotal._meta.db_table
    cursor.execute(
        f"INSERT INTO {totals} (path, metric, dim, key, n, amount) "
        f"SELECT path, metric, dim, key, SUM(n), SUM(amount) FROM {table} {where} "
        "GROUP BY path, metric, dim, key ORDER BY path, metric, dim, key "
        f"ON CONFLICT (path, metric, dim, key) DO UPDATE SET n = {totals}.n + excluded.n, "
        f"amount = {totals}.amount + excluded.amount", params)


KINDS = ("count", "amount", "rate")


@dataclass(frozen=True)
class Metric:
    """One figure a module counts, declared once: the API prints it under ``key`` and describes it
    with ``help`` (English, for the OpenAPI file); the workbench shows it as a card with ``label``,
    ``unit`` and ``icon`` when ``card`` is set.

    ``kind``: "count" (an integer), "amount" (yuan, a Decimal with two places; cards show 万元) or
    "rate" (a percentage, a Decimal with one place, None when its base is zero)."""

    key: str
    label: object  # a lazy translation
    help: str
    kind: str = "count"
    unit: object = ""  # a lazy translation (pgettext_lazy("unit", …)); none for amounts and rates
    icon: str = "bar-chart"
    card: bool = True

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"metric {self.key}: kind must be one of {KINDS}, not {self.kind!r}")

    @property
    def zero(self):
        return {"count": 0, "amount": ZERO, "rate": None}[self.kind]


def metrics(*declared: Metric) -> dict[str, Metric]:
    """A module's metrics by key (the order is the order of its cards)."""
    by_key = {m.key: m for m in declared}
    if len(by_key) != len(declared):
        raise ValueError("a metric key is declared twice")
    return by_key


@dataclass(frozen=True)
class Source:
    """One module's metrics.

    ``metrics``: activity in a period, summed from the per-day rows that the module writes with
    its events; ``recount`` returns the module's per-union deltas from its own tables.
    ``live`` adds period figures that per-day rows cannot give: ``live(path, start, end) ->
    {key: value}``, asked only when the period has at least one bound (the figures are None
    otherwise). ``stock`` gives figures as of a day (stations open, contracts in force):
    ``stock(path, day) -> {key: value}``, counted from the module's own tables.
    """

    name: str
    metrics: dict[str, Metric]
    recount: Callable[[], Deltas]
    live: Callable[[str, dt.date | None, dt.date | None], dict] | None = None
    live_metrics: dict[str, Metric] = field(default_factory=dict)
    stock: Callable[[str, dt.date], dict] | None = None
    stock_metrics: dict[str, Metric] = field(default_factory=dict)

    def all_metrics(self) -> list[Metric]:
        return [*self.metrics.values(), *self.live_metrics.values(), *self.stock_metrics.values()]


SOURCES: dict[str, Source] = {}


def register(source: Source) -> None:
    """Declare a module's metrics; call from its AppConfig.ready(). A key is the module's own:
    two modules declaring the same key is a programming error, caught at start-up."""
    taken = {m.key: other.name for other in SOURCES.values() if other.name != source.name
             for m in other.all_metrics()}
    clash = [m.key for m in source.all_metrics() if m.key in taken]
    if clash:
        raise ValueError(f"metrics {clash} of {source.name} are already declared by {taken[clash[0]]}")
    SOURCES[source.name] = source


def registered() -> list[Metric]:
    """Every registered metric, module by module in the order the apps are installed."""
    return [m for source in SOURCES.values() for m in source.all_metrics()]


def metric_kinds() -> dict[str, str]:
    """The kind of each period metric (summed from per-day rows, or live)."""
    return {m.key: m.kind for source in SOURCES.values()
            for m in (*source.metrics.values(), *source.live_metrics.values())}


def period_rows(path: str, start: dt.date | None, end: dt.date | None):
    """(metric, dim, key, n, amount) summed over the period for the subtree rooted at ``path``;
    without a period, the all-time totals (a few rows at every level)."""
    if start is None and end is None:
        return ActivityTotal.objects.filter(path=path).values_list("metric", "dim", "key", "n", "amount")
    q = Q(path=path)
    if start is not None:
        q &= Q(day__gte=start)
    if end is not None:
        q &= Q(day__lte=end)
    return (
        Activity.objects.filter(q).values_list("metric", "dim", "key")
        .annotate(n=Sum("n"), amount=Sum("amount")).order_by()
    )


def period_figures(path: str, start: dt.date | None = None, end: dt.date | None = None) -> dict:
    """Every registered metric's total for the period, plus its breakdowns.

    ``{"cases_settled": 6701, "amount_recovered": Decimal("124000000.00"), …,
       "breakdown": {"cases_settled": {"claim": {"unpaid_wages": {"n": 3, "amount": "…"}}}}}``
    A period left open on one side runs from the first or to the last recorded day.
    """
    kinds = metric_kinds()
    figures: dict = {m.key: m.zero for source in SOURCES.values() for m in source.metrics.values()}
    breakdown: dict[str, dict[str, dict[str, dict]]] = {}
    for metric, dim, key, n, amount in period_rows(path, start, end):
        if metric not in kinds:
            continue
        amount = (amount or ZERO).quantize(ZERO)
        if not dim:
            figures[metric] = amount if kinds[metric] == "amount" else n
        else:
            breakdown.setdefault(metric, {}).setdefault(dim, {})[key] = {"n": n, "amount": amount}
    for source in SOURCES.values():
        if source.live is None:
            continue
        if start is None and end is None:
            # Distinct people over all recorded time would read every event of the subtree (0.4 s
            # for the city's 800,000 payouts) on a request that must answer in 50 ms: live figures
            # are given for a period only (None without one).
            figures.update(dict.fromkeys(source.live_metrics))
        else:
            figures.update(source.live(path, start, end))
    figures["breakdown"] = breakdown
    return figures


def stock_figures(path: str, day: dt.date) -> dict:
    """Every module's figures as of ``day`` for the subtree rooted at ``path``."""
    figures: dict = {}
    for source in SOURCES.values():
        if source.stock is not None:
            figures.update({m.key: m.zero for m in source.stock_metrics.values()})
            figures.update(source.stock(path, day))
    return figures


def rebuild(sources: Iterable[Source] | None = None) -> int:
    """Recount the given modules' metrics (all when None), per day and all-time; return how many
    rows were wrong."""
    drift = 0
    for source in list(sources if sources is not None else SOURCES.values()):
        fresh = {k: (n, amount) for k, (n, amount) in source.recount().rolled_up().items() if n or amount}
        fresh_totals = {(p, m, d, k): (n, amount) for p, m, d, k, n, amount in totals_of(
            (p, m, d, k, day, n, amount) for (p, day, m, d, k), (n, amount) in fresh.items())
            if n or amount}  # days that cancel out (a case taken back) leave a zero total: none
        metrics = list(source.metrics)
        with transaction.atomic():
            kept = Activity.objects.filter(metric__in=metrics)
            current = {
                (p, day, m, d, k): (n, amount)
                for p, day, m, d, k, n, amount in kept.values_list("path", "day", "metric", "dim", "key", "n", "amount")
            }
            current_totals = {
                (p, m, d, k): (n, amount)
                for p, m, d, k, n, amount in ActivityTotal.objects.filter(metric__in=metrics).values_list(
                    "path", "metric", "dim", "key", "n", "amount")
                if n or amount  # a total brought back to zero is as good as none
            }
            drift += _differing(fresh, current) + _differing(fresh_totals, current_totals)
            kept.delete()
            Activity.objects.bulk_create(
                (Activity(path=p, day=day, metric=m, dim=d, key=k, n=n, amount=amount)
                 for (p, day, m, d, k), (n, amount) in sorted(fresh.items())),
                batch_size=2000,
            )
            refresh_totals(metrics)
    return drift


def _differing(fresh: dict, current: dict) -> int:
    return sum(1 for k in fresh.keys() | current.keys() if fresh.get(k) != current.get(k))
