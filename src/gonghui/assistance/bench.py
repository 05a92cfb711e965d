"""`gonghui bench hardship`: the grading rule's throughput, and a disbursement list paid exactly once.

Method. On the loaded database (the demo's filed families):
1. timed: ``rules.grade`` on ``--rows`` generated households (incomes, sizes, costs, some exclusions),
   the pure function the filing, the review and the self-test call; ``gradings_per_s``;
2. a scratch 送温暖 programme of cycle 2099 (no real cycle) on the city union, its budget the list's;
3. timed: ``disbursement_create`` with up to ``--lines`` active files (every check: scope, state,
   duplicates city-wide, budget), ``disbursement_approve`` (the conditional budget UPDATE) and
   ``disbursement_pay`` (each line's conditional UPDATE, the statistics rows, the audit line), then a
   second pay, which must pay nothing (``second_pay_lines`` = 0) and leave the budget at zero;
4. everything it created is deleted (grants, list, programme, the statistics rows of its day
   2099-01-01); the audit lines stay (the log is append-only).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from decimal import Decimal

from gonghui.assistance import rules, services
from gonghui.assistance.models import Disbursement, FileStatus, Grant, HardshipFile, Programme, ProgrammeKind
from gonghui.assistance.stats import METRICS
from gonghui.bench.common import Metric, bench_actor
from gonghui.bench.extensions import Bench, Option, at_least_one
from gonghui.orgs.models import Org
from gonghui.stats import activity
from gonghui.stats.models import Activity

DAY = dt.date(2099, 1, 1)


def _households(n: int, rng: random.Random) -> list[rules.Household]:
    out = []
    for _i in range(n):
        income = Decimal(rng.randrange(0, 200_000_00)) / 100
        costs = min(income, Decimal(rng.randrange(0, 50_000_00)) / 100)
        out.append(rules.Household(yearly_income=income, size=rng.randint(1, 6), unavoidable_costs=costs,
                                   illness_cost=costs if rng.random() < 0.5 else Decimal(0),
                                   homes=2 if rng.random() < 0.05 else 1, migrant=rng.random() < 0.1,
                                   employed_months=rng.randint(0, 36)))
    return out


def run(options: dict) -> list[Metric]:
    rng = random.Random("gonghui-bench:hardship")
    n = options["rows"]
    households = _households(n, rng)
    standard = rules.DEFAULT_STANDARD
    started = time.perf_counter()
    grades = [rules.grade(h, standard).grade for h in households]
    seconds = time.perf_counter() - started
    metrics = [Metric("hardship", "gradings_per_s", round(n / seconds), "/s", {"rows": n}),
               Metric("hardship", "deep_share", round(grades.count("deep") / n, 3), "", {"rows": n})]
    nb = Org.objects.get_first_root_node()
    files = list(HardshipFile.objects.filter(status=FileStatus.ACTIVE).order_by("pk")
                 .values_list("pk", flat=True)[: options["lines"]])
    if not files or nb is None:
        return metrics
    actor = bench_actor()
    programme = Programme.objects.create(
        org=nb, org_path=nb.path, kind=ProgrammeKind.WINTER, cycle=2099, name="bench 2099 送温暖",
        budget=Decimal(2000 * len(files)), remaining=Decimal(2000 * len(files)),
        amount_rule=Programme.AmountRule.RANGE, min_amount=Decimal("100.00"), max_amount=Decimal("2000.00"))
    try:
        started = time.perf_counter()
        dl = services.disbursement_create(actor=actor, programme=programme,
                                          lines=[{"file": pk, "amount": "2000.00"} for pk in files])
        created = time.perf_counter()
        services.disbursement_approve(actor=actor, disbursement=dl, on=DAY)
        approved = time.perf_counter()
        paid = services.disbursement_pay(actor=actor, disbursement=dl, on=DAY)
        done = time.perf_counter()
        again = services.disbursement_pay(actor=actor, disbursement=dl, on=DAY)
        programme.refresh_from_db()
        extra = {"lines": len(files)}
        metrics += [
            Metric("hardship", "list_create_s", round(created - started, 3), "s", extra),
            Metric("hardship", "list_approve_s", round(approved - created, 3), "s", extra),
            Metric("hardship", "list_pay_s", round(done - approved, 3), "s", extra),
            Metric("hardship", "lines_paid", paid, "", extra),
            Metric("hardship", "second_pay_lines", again, "", extra),
            Metric("hardship", "budget_left", float(programme.remaining), "yuan", extra),
        ]
    finally:
        Grant.objects.filter(programme=programme).delete()
        Disbursement.objects.filter(programme=programme).delete()
        programme.delete()
        Activity.objects.filter(day=DAY, metric__in=list(METRICS)).delete()
        activity.refresh_totals(METRICS)
    return metrics


BENCHES = [Bench("hardship", "hardship grading rule throughput; a disbursement list paid exactly once", run,
                 options=(Option(("--lines",), {"type": at_least_one, "default": 500,
                                                "help": "lines of the hardship disbursement list"}),))]
