"""Subtree tallies: the current membership figures of every union's subtree, kept up to date.

Counting three million members on each request cannot answer in 50 ms, and an org's figures
must not cost more the higher it sits. So each member counts once in every ancestor's tally
(at most five rows per dimension), written in the same transaction as the change itself:

    member_tally_delta(member, +1)   a member joined, or came back
    member_tally_delta(member, -1)   a member left, or is about to change
    apply(deltas)                    adds a batch of deltas to every ancestor, one upsert

Dimensions: ``all``, ``new_form``, ``category`` (by group), ``sex``, ``birth_year`` and
``joined_year`` of the members; ``orgs`` counts the unions of the subtree itself (key ``""``:
all, ``"new_form"``: new-form unions), kept by the org services (``org_tally_delta``). Age bands
are derived from birth years (age = the year of the day asked about minus the birth year), the
way yearly reports count ages; the live query uses the same rule.
``rebuild()`` recomputes everything from the member table (after a bulk load, or to repair).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, F
from django.db.models.functions import ExtractYear

from gonghui.core import pg
from gonghui.orgs.models import Org
from gonghui.stats.models import Tally

STEP = Org.steplen
DIMS = ("all", "new_form", "category", "sex", "birth_year", "joined_year", "orgs")
UPSERT_BATCH = 500

Key = tuple[str, str, str]  # (path, dim, key)


def ancestors(path: str) -> list[str]:
    """The paths of the org at ``path`` and of every org above it."""
    return [path[:i] for i in range(STEP, len(path) + 1, STEP)]


def member_keys(*, is_new_form: bool, category: str, sex: str, birth_year: int, joined_year: int) -> list[tuple[str, str]]:
    keys = [("all", ""), ("sex", sex), ("birth_year", str(birth_year)), ("joined_year", str(joined_year))]
    if is_new_form:
        keys.append(("new_form", ""))
    if category:
        keys.append(("category", category))
    return keys


def member_tally_delta(member, sign: int) -> Counter[Key]:
    """The deltas of one member counted (+1) or uncounted (-1) at its union."""
    keys = member_keys(is_new_form=member.is_new_form, category=member.category, sex=member.sex,
                       birth_year=member.birth_date.year, joined_year=member.joined_on.year)
    return Counter({(member.org_path, dim, key): sign for dim, key in keys})


def org_tally_delta(org: Org, sign: int) -> Counter[Key]:
    """The deltas of one union counted (+1) or uncounted (-1) in its own subtree and every one above."""
    delta: Counter[Key] = Counter({(org.path, "orgs", ""): sign})
    if org.is_new_form:
        delta[(org.path, "orgs", "new_form")] = sign
    return delta


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


def read(path: str) -> dict[str, dict[str, int]]:
    """The tallies of one subtree root: {dim: {key: n}}."""
    out: dict[str, dict[str, int]] = {dim: {} for dim in DIMS}
    for dim, key, n in Tally.objects.filter(path=path).values_list("dim", "key", "n"):
        out[dim][key] = n
    return out


def _per_org_counts() -> Counter[Key]:
    """Active members grouped by union and key (six GROUP BY queries over the member table), and
    the unions themselves."""
    from gonghui.members.models import Member, MemberStatus

    active = Member.objects.filter(status=MemberStatus.ACTIVE).order_by()
    counts: Counter[Key] = Counter()
    groupings: Iterable[tuple[str, object]] = (
        ("all", None), ("new_form", None), ("category", F("category")), ("sex", F("sex")),
        ("birth_year", ExtractYear("birth_date")), ("joined_year", ExtractYear("joined_on")),
    )
    for path, is_new_form in Org.objects.values_list("path", "is_new_form").order_by():
        counts.update(org_tally_delta(Org(path=path, is_new_form=is_new_form), +1))
    for dim, expression in groupings:
        qs = active.filter(is_new_form=True) if dim == "new_form" else active
        if dim == "category":
            qs = qs.exclude(category="")
        if expression is None:
            rows = qs.values_list("org_path").annotate(n=Count("*"))
            counts.update({(path, dim, ""): n for path, n in rows})
        else:
            rows = qs.annotate(k=expression).values_list("org_path", "k").annotate(n=Count("*"))
            counts.update({(path, dim, str(k)): n for path, k, n in rows})
    return counts


def rebuild() -> int:
    """Recompute every tally from the member table; return how many rows were wrong."""
    fresh = roll_up(_per_org_counts())
    with transaction.atomic():
        current = {(p, d, k): n for p, d, k, n in Tally.objects.values_list("path", "dim", "key", "n")}
        drift = sum(1 for k in fresh.keys() | current.keys() if fresh.get(k, 0) != current.get(k, 0))
        Tally.objects.all().delete()
        Tally.objects.bulk_create(
            (Tally(path=p, dim=d, key=k, n=n) for (p, d, k), n in sorted(fresh.items()) if n),
            batch_size=2000,
        )
    return drift
