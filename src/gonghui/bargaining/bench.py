"""`gonghui bench contracts`: coverage figures of a subtree on a day, and the menu's overdue badge.

Method. On the loaded demo tree, inside one transaction that is rolled back at the end (nothing
stays), ``--contracts`` synthetic contracts are added over the enterprise unions (one to four
per enterprise, a fifth of them sector-wide over three enterprises, terms spread over ten years)
and ``--contracts / 10`` open rounds at random steps. Then, for the city (NB) and a district (YZ),
5 warm-up calls and ``--repeat`` timed calls of each:

- ``coverage``: ``figures.coverage`` (every stock figure of ``/stats``: contracts in force by kind,
  enterprises and workers covered, the rate, 能级工资, expiring) — p50 and p95;
- ``scan``: the same enterprises-and-workers figures counted by reading every coverage row of the
  subtree into Python (what the per-enterprise index range saves), p50 — the ratio is ``vs_scan``;
- ``badge``: ``selectors.overdue_count`` (the menu's badge on every page), p50 and p95.
"""

from __future__ import annotations

import datetime as dt
import random
import time

from django.db import transaction
from django.utils import timezone

from gonghui.bargaining import figures, rules, selectors
from gonghui.bargaining.models import Contract, ContractKind, Coverage, Round, Scope, Side
from gonghui.bench.common import Metric, bench_actor, percentile, vacuum
from gonghui.bench.extensions import Bench, Option, at_least_one
from gonghui.core.paths import subtree_q
from gonghui.core.workdays import calendar
from gonghui.orgs.models import Org, OrgKind

KINDS = (ContractKind.COMPREHENSIVE, ContractKind.WAGE, ContractKind.SKILL_WAGE, ContractKind.WOMEN)


class _Rollback(Exception):
    pass


def _seed(n: int, enterprises: list[Org], today: dt.date, rng: random.Random) -> None:
    contracts, spans = [], []
    for i in range(n):
        org = enterprises[i % len(enterprises)]
        start = today - dt.timedelta(days=rng.randrange(0, 3650))
        end = start + dt.timedelta(days=rng.choice((364, 1094)))
        sector = i % 5 == 0
        contracts.append(Contract(
            org=org, org_path=org.path, number=f"BENCH{i:09d}", title="bench", kind=KINDS[i % 4],
            scope=Scope.INDUSTRY if sector else Scope.ENTERPRISE, employer="bench", union_signatory="a",
            employer_signatory="b", signed_on=start, starts_on=start, ends_on=end, filed_on=start,
            effective_on=start, workers=100))
        spans.append([org] + ([enterprises[(i + k) % len(enterprises)] for k in (1, 2)] if sector else []))
    Contract.objects.bulk_create(contracts, batch_size=2_000)
    Coverage.objects.bulk_create([
        Coverage(contract=c, org=o, org_path=o.path, workers=rng.randrange(5, 2_000), kind=c.kind,
                 effective_on=c.effective_on, ends_on=c.ends_on)
        for c, orgs in zip(contracts, spans) for o in dict.fromkeys(orgs)], batch_size=2_000)
    rounds = []
    cal = calendar()
    steps = ["offered_on", "replied_on", "talks_on", "voted_on"]
    for i in range(max(1, n // 10)):
        org = enterprises[i % len(enterprises)]
        day = today - dt.timedelta(days=rng.randrange(1, 90))
        dates = {}
        for name in steps[: 1 + i % len(steps)]:
            dates[name] = day
            day += dt.timedelta(days=rng.randrange(0, 5))
        rounds.append(Round(org=org, org_path=org.path, title="bench", kind=ContractKind.WAGE, employer="bench",
                            workers=100, offered_by=Side.UNION, due_on=rules.queue_due(rules.Dates(**dates), cal),
                            **dates))
    Round.objects.bulk_create(rounds, batch_size=2_000)


def _scan(path: str, day: dt.date) -> tuple[int, int]:
    per_org: dict[int, int] = {}
    rows = Coverage.objects.filter(subtree_q(path, "org_path")).values_list(
        "org_id", "workers", "effective_on", "ends_on", "terminated_on")
    for org_id, workers, start, end, terminated in rows.iterator(chunk_size=5_000):
        if rules.in_force(starts_on=None, ends_on=end, day=day, effective_on=start, terminated_on=terminated):
            per_org[org_id] = max(per_org.get(org_id, 0), workers)
    return len(per_org), sum(per_org.values())


def _timed(call, repeat: int) -> list[float]:
    for _ in range(5):
        call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def run(options) -> list[Metric]:
    n, repeat = options["contracts"], options["repeat"]
    city = Org.objects.filter(code="NB").first()
    if city is None:
        raise RuntimeError("No demo unions: run `gonghui demo` first.")
    enterprises = list(Org.objects.filter(subtree_q(city.path), kind=OrgKind.ENTERPRISE).order_by("path"))
    if not enterprises:
        raise RuntimeError("The demo has no enterprise unions.")
    today = timezone.localdate()
    actor = bench_actor()
    metrics: list[Metric] = []
    try:
        with transaction.atomic():
            _seed(n, enterprises, today, random.Random("gonghui-bench:contracts"))
            vacuum([Contract, Coverage, Round], analyze_in_transaction=True)  # PostgreSQL: plan on fresh statistics
            levels = [("city", city)] + [("district", o) for o in Org.objects.filter(code="YZ")]
            for level, org in levels:
                found = figures.coverage(org.path, today)
                assert (found["enterprises"], found["workers"]) == _scan(org.path, today)
                extra = {"level": level, "org": org.code, "contracts": n,
                         "subtree_coverage_rows": Coverage.objects.filter(subtree_q(org.path, "org_path")).count()}
                cov = _timed(lambda p=org.path: figures.coverage(p, today), repeat)
                scan = _timed(lambda p=org.path: _scan(p, today), max(5, repeat // 5))
                badge = _timed(lambda o=org: selectors.overdue_count(user=actor, org=o, today=today), repeat)
                p50 = percentile(cov, 50)
                metrics += [
                    Metric("contracts", "coverage_p50_ms", round(p50, 2), "ms", extra),
                    Metric("contracts", "coverage_p95_ms", round(percentile(cov, 95), 2), "ms", extra),
                    Metric("contracts", "scan_p50_ms", round(percentile(scan, 50), 2), "ms", extra),
                    Metric("contracts", "vs_scan", round(percentile(scan, 50) / p50, 2)
                           if p50 else 0.0, "x", extra),
                    Metric("contracts", "badge_p50_ms", round(percentile(badge, 50), 2), "ms", extra),
                    Metric("contracts", "badge_p95_ms", round(percentile(badge, 95), 2), "ms", extra),
                ]
            raise _Rollback
    except _Rollback:
        pass
    return metrics


BENCHES = [Bench(
    "contracts", "coverage figures of a subtree on a day and the overdue badge, with N synthetic contracts", run,
    options=(Option(("--contracts",), {"type": at_least_one, "default": 20_000,
                                       "help": "synthetic collective contracts (contracts)"}),
             Option(("--repeat",), {"type": at_least_one, "default": 50, "help": "timed requests per level"})))]
