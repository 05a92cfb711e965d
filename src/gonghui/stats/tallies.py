"""Subtree tallies: the current membership figures of every union's subtree, kept up to date.

Counting three million members on each request cannot answer in 50 ms, and an org's figures
must not cost more the higher it sits. So each member counts once in every ancestor's tally
(at most five rows per dimension), written in the same transaction as the change itself:

    member_tally_delta(member, +1)   a member joined, or came back
    member_tally_delta(member, -1)   a member left, or is about to change
    apply(deltas)                    adds a batch of deltas to every ancestor, one upsert

The tallies know no module: the dimensions are declared by those who count (members declare
theirs in ``gonghui.members.dimensions``; orgs count the unions themselves under ``orgs``), and
each registers how to recount them from its own tables (``register_recount``). ``rebuild()``
recomputes every registered dimension (after a bulk load, or to repair).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from gonghui.core import pg
from gonghui.core.paths import ancestors
from gonghui.stats.models import Snapshot, SnapshotTally, Tally

UPSERT_BATCH = 500

Key = tuple[str, str, str]  # (path, dim, key)


@dataclass(frozen=True)
class Recount:
    """Who counts some dimensions, and how to count them afresh: ``count()`` returns per-union
    deltas (not rolled up) of every dimension in ``dims``."""

    name: str
    dims: tuple[str, ...]
    count: Callable[[], Counter[Key]]
    # The same as of the end of a past day (the snapshots); None: today's count holds for any day.
    count_on: Callable[[dt.date], Counter[Key]] | None = None


RECOUNTS: dict[str, Recount] = {}


def register_recount(recount: Recount) -> None:
    """Declare dimensions and their recount; call from an AppConfig.ready()."""
    RECOUNTS[recount.name] = recount


def dims() -> tuple[str, ...]:
    return tuple(d for recount in RECOUNTS.values() for d in recount.dims)


def combine(*deltas: Counter[Key]) -> Counter[Key]:
    """Sum deltas, keeping negative counts (``Counter.__add__`` would drop them)."""
    total: Counter[Key] = Counter()
    for delta in deltas:
        total.update(delta)
    return total


def roll_up(deltas: Counter[Key]) -> Counter[Key]:
    rolled: Counter[Key] = Counter()
    for (path, dim, key), n in deltas.items():
        if n:
            for ancestor in ancestors(path):
                rolled[(ancestor, dim, key)] += n
    return rolled


def apply(deltas: Counter[Key]) -> None:
    """Add per-union deltas to the tallies of those unions and all their ancestors, in one order
    (path, dim, key) whoever writes: no deadlocks."""
    _upsert(sorted((k, n) for k, n in roll_up(deltas).items() if n))


def _upsert(rows: list[tuple[Key, int]]) -> None:
    if not rows:
        return
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(rows), UPSERT_BATCH):
            batch = rows[start:start + UPSERT_BATCH]
            values = ", ".join(["(%s, %s, %s, %s)"] * len(batch))
            params = [p for (path, dim, key), n in batch for p in (path, dim, key, n)]
            cursor.execute(
                f"INSERT INTO stats_tally (path, dim, key, n) VALUES {values} "
                "ON CONFLICT (path, dim, key) DO UPDATE SET n = stats_tally.n + excluded.n",
                params,
            )


def apply_rolled_up(rows: Iterable[tuple[str, str, str, int]]) -> None:
    """Add deltas already rolled up to every ancestor — (path, dim, key, n), each key at most once —
    to the tallies: what ``apply`` does after its roll-up, for a great many rows (a roster import
    adds hundreds of thousands). On PostgreSQL they are copied into a temporary table in binary and
    upserted in one statement, sorted by the database in byte order (``COLLATE "C"``: for UTF-8 the
    code-point order Python sorts by, whatever the database's collation)."""
    if connection.vendor != "postgresql":
        _upsert(sorted(((path, dim, key), n) for path, dim, key, n in rows if n))
        return
    with transaction.atomic(), pg.cursor() as c:
        c.execute("CREATE TEMP TABLE gh_tally_deltas (path text, dim text, key text, n bigint) ON COMMIT DROP")
        pg.copy_binary(c, "gh_tally_deltas", ("path", "dim", "key", "n"), ("text", "text", "text", "int8"), rows)
        c.execute('INSERT INTO stats_tally (path, dim, key, n) SELECT path, dim, key, n FROM gh_tally_deltas '
                  'ORDER BY path COLLATE "C", dim COLLATE "C", key COLLATE "C" '
                  "ON CONFLICT (path, dim, key) DO UPDATE SET n = stats_tally.n + excluded.n")
        c.execute("DROP TABLE gh_tally_deltas")


def apply_query(cursor, sql: str) -> None:
    """Add the per-union deltas a query gives (columns: path, dim, key, n) to the tallies, as
    ``apply`` does."""
    cursor.execute(sql)
    deltas: Counter[Key] = Counter()
    for path, dim, key, n in cursor.fetchall():
        deltas[(path, dim, str(key))] += n
    apply(deltas)


def read(path: str, only: tuple[str, ...] | None = None) -> dict[str, dict[str, int]]:
    """The tallies of one subtree root: {dim: {key: n}}, of every dimension or ``only`` those."""
    rows = Tally.objects.filter(path=path)
    if only is not None:
        rows = rows.filter(dim__in=only)
    out: dict[str, dict[str, int]] = {dim: {} for dim in (only or dims())}
    for dim, key, n in rows.values_list("dim", "key", "n"):
        out.setdefault(dim, {})[key] = n
    return out


def read_on(path: str, day: dt.date) -> dict[str, dict[str, int]] | None:
    """The tallies of one subtree root as of the end of ``day`` from its snapshot: {dim: {key: n}},
    or None when no snapshot of that day was taken."""
    snapshot = Snapshot.objects.filter(day=day).values_list("pk", flat=True).first()
    if snapshot is None:
        return None
    out: dict[str, dict[str, int]] = {dim: {} for dim in dims()}
    for dim, key, n in SnapshotTally.objects.filter(snapshot=snapshot, path=path).values_list("dim", "key", "n"):
        out.setdefault(dim, {})[key] = n
    return out


def take_snapshot(day: dt.date) -> int:
    """Count every registered dimension as of the end of ``day`` and keep it as that day's
    snapshot, replacing an earlier one of the same day; return the number of rows kept."""
    fresh = roll_up(combine(*((recount.count_on or (lambda _day, r=recount: r.count()))(day)
                              for recount in RECOUNTS.values())))
    with transaction.atomic():
        Snapshot.objects.filter(day=day).delete()
        snapshot = Snapshot.objects.create(day=day, taken_at=timezone.now())
        SnapshotTally.objects.bulk_create(
            (SnapshotTally(snapshot=snapshot, path=p, dim=d, key=k, n=n) for (p, d, k), n in sorted(fresh.items()) if n),
            batch_size=5000,
        )
    return sum(1 for n in fresh.values() if n)


def drop_snapshots() -> None:
    """Forget every snapshot (after the members they counted were removed wholesale)."""
    Snapshot.objects.all().delete()


def read_each(paths: list[str], dim: str, key: str = "") -> dict[str, int]:
    """One figure of several subtree roots (the children on an org page): {path: n}, one query."""
    found = dict(Tally.objects.filter(path__in=paths, dim=dim, key=key).values_list("path", "n"))
    return {path: found.get(path, 0) for path in paths}


def rebuild() -> int:
    """Recompute every tally from the member table; return how many rows were wrong."""
    fresh = roll_up(combine(*(recount.count() for recount in RECOUNTS.values())))
    with transaction.atomic():
        current = {(p, d, k): n for p, d, k, n in Tally.objects.values_list("path", "dim", "key", "n")}
        drift = sum(1 for k in fresh.keys() | current.keys() if fresh.get(k, 0) != current.get(k, 0))
        Tally.objects.all().delete()
        Tally.objects.bulk_create(
            (Tally(path=p, dim=d, key=k, n=n) for (p, d, k), n in sorted(fresh.items()) if n),
            batch_size=2000,
        )
    return drift
