"""Coverage on a day, counted from the contracts themselves: any subtree, any day.

- contracts in force: contracts of unions in the subtree that bind on the day (in effect, within
  their term, not ended early), in all and by kind;
- enterprises covered: enterprise unions of the subtree bound by at least one contract in force —
  their own, or a sector-wide or area-wide one listing them; the bargaining rate (建制率) is those
  over every enterprise union of the subtree;
- workers covered: per enterprise covered, the workers of its largest contract in force (an
  enterprise with a comprehensive and a wage contract counts its workers once);
- the same two for skill-grade wage (能级工资) contracts; contracts expiring within 30/60/90 days.

Each figure is one range scan of the subtree on an index (``org_path``, ``effective_on``,
``ends_on``) of ``Contract`` or ``Coverage``.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Count, Q

from gonghui.bargaining import rules
from gonghui.bargaining.models import Contract, ContractKind, Coverage
from gonghui.core.paths import subtree_q, upper_bound
from gonghui.orgs.models import Org, OrgKind

EXPIRY_HORIZONS = (30, 60, 90)


def in_force_q(day: dt.date, prefix: str = "") -> Q:
    p = prefix
    return (Q(**{f"{p}effective_on__lte": day, f"{p}ends_on__gte": day})
            & (Q(**{f"{p}terminated_on__isnull": True}) | Q(**{f"{p}terminated_on__gt": day})))


def contracts_in_force(path: str, day: dt.date):
    return Contract.objects.filter(subtree_q(path, "org_path"), in_force_q(day), starts_on__lte=day)


def contract_binds(contract: Contract, day: dt.date) -> bool:
    return rules.in_force(starts_on=contract.starts_on, ends_on=contract.ends_on, day=day,
                          effective_on=contract.effective_on, terminated_on=contract.terminated_on)


def rate(part: int, whole: int) -> Decimal | None:
    """A percentage with one decimal, half up; None when the base is zero."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _covered(path: str, day: dt.date, kind: str | None = None) -> tuple[int, int]:
    """(enterprises, workers) covered in the subtree on ``day``, each enterprise once."""
    table = connection.ops.quote_name(Coverage._meta.db_table)
    upper = upper_bound(path)
    where = ["org_path >= %s", "effective_on <= %s", "ends_on >= %s", "(terminated_on IS NULL OR terminated_on > %s)"]
    params: list = [path, day, day, day]
    if upper is not None:
        where.append("org_path < %s")
        params.append(upper)
    if kind is not None:
        where.append("kind = %s")
        params.append(kind)
    sql = (f"SELECT COUNT(*), COALESCE(SUM(w), 0) FROM (SELECT org_id, MAX(workers) AS w FROM {table} "
           f"WHERE {' AND '.join(where)} GROUP BY org_id) AS per_enterprise")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        enterprises, workers = cursor.fetchone()
    return int(enterprises), int(workers)


def unionised_enterprises(path: str) -> int:
    return Org.objects.filter(subtree_q(path), kind=OrgKind.ENTERPRISE).count()


def coverage(path: str, day: dt.date) -> dict:
    """Every coverage figure of the subtree rooted at ``path`` on ``day``."""
    by_kind = dict(contracts_in_force(path, day).values_list("kind").annotate(n=Count("*")).order_by())
    enterprises, workers = _covered(path, day)
    skill_enterprises, skill_workers = _covered(path, day, ContractKind.SKILL_WAGE)
    unionised = unionised_enterprises(path)
    ends = contracts_in_force(path, day).filter(ends_on__lte=day + dt.timedelta(days=max(EXPIRY_HORIZONS)))
    ending = list(ends.values_list("ends_on", flat=True))
    return {
        "contracts_in_force": sum(by_kind.values()),
        "by_kind": {k: by_kind.get(k, 0) for k in ContractKind.values},
        "enterprises": enterprises,
        "unionised": unionised,
        "rate": rate(enterprises, unionised),
        "workers": workers,
        "skill_enterprises": skill_enterprises,
        "skill_workers": skill_workers,
        "expiring": {h: sum(1 for d in ending if d <= day + dt.timedelta(days=h)) for h in EXPIRY_HORIZONS},
    }


def signed_between(path: str, start: dt.date | None, end: dt.date | None) -> int:
    qs = Contract.objects.filter(subtree_q(path, "org_path"))
    if start is not None:
        qs = qs.filter(signed_on__gte=start)
    if end is not None:
        qs = qs.filter(signed_on__lte=end)
    return qs.count()
