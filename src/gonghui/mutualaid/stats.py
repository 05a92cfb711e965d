"""Mutual aid's figures for any subtree and period (``gonghui.stats.activity``).

Per-day metrics (added by the services in the transaction of each event, per chunk in bulk paths):
``aid_enrolments`` (人次, day = enrolled_on), ``aid_fees`` (yuan of fees, same day),
``aid_claims`` (claims filed, day = filing day), ``aid_payouts`` (payouts above zero, day =
decided_on) and ``aid_paid_amount`` (yuan); each also broken down by ``product``.
``aid_paid_members`` (distinct members paid in the period) cannot be summed from per-day rows:
it is one live query on the partial index (org_path, decided_on, member) of payouts above zero.
The workbench's charts per year read the per-day totals grouped by year in one query (``per_year``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import ExtractYear, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy

from gonghui.core.paths import subtree_q
from gonghui.mutualaid.models import Claim, Enrolment, Payout, Plan
from gonghui.stats import activity
from gonghui.stats.activity import ZERO, Deltas
from gonghui.stats.models import Activity

log = logging.getLogger(__name__)

_TIMES = pgettext_lazy("unit", "person-times")
METRICS = activity.metrics(
    activity.Metric("aid_enrolments", gettext_lazy("Mutual-aid enrolments"), "mutual-aid enrolments (人次)",
                    unit=_TIMES, icon="shield-plus"),
    activity.Metric("aid_payouts", gettext_lazy("Mutual-aid payouts"), "mutual-aid payouts (人次)",
                    unit=_TIMES, icon="heart-pulse"),
    activity.Metric("aid_paid_amount", gettext_lazy("Mutual aid paid"), "yuan paid out by mutual aid",
                    kind="amount", icon="wallet2"),
    activity.Metric("aid_fees", gettext_lazy("Mutual-aid fees"), "yuan of mutual-aid fees of the enrolments",
                    kind="amount", icon="cash-stack", card=False),
    activity.Metric("aid_claims", gettext_lazy("Mutual-aid claims"), "mutual-aid claims filed",
                    unit=pgettext_lazy("unit", "cases"), icon="file-earmark-medical", card=False),
)
LIVE_METRICS = activity.metrics(
    activity.Metric("aid_paid_members", gettext_lazy("Members helped by mutual aid"),
                    "distinct members paid by mutual aid in the period (null unless from or to is given)",
                    unit=pgettext_lazy("unit", "people"), icon="person-heart"),
)


def enrolment_deltas(deltas: Deltas, path: str, day: dt.date, product: str, n: int, fees: Decimal) -> None:
    """``n`` enrolments paying ``fees`` in all, of one union, day and product."""
    for dim, key in (("", ""), ("product", product)):
        deltas.add(path, day, "aid_enrolments", n=n, dim=dim, key=key)
        deltas.add(path, day, "aid_fees", n=n, amount=fees, dim=dim, key=key)


def payout_deltas(deltas: Deltas, path: str, day: dt.date, product: str, amount: Decimal, n: int = 1) -> None:
    """``n`` payouts (above zero) of ``amount`` in all, of one union, day and product."""
    if amount <= 0:
        return
    for dim, key in (("", ""), ("product", product)):
        deltas.add(path, day, "aid_payouts", n=n, dim=dim, key=key)
        deltas.add(path, day, "aid_paid_amount", n=n, amount=amount, dim=dim, key=key)


def claim_deltas(deltas: Deltas, path: str, day: dt.date, product: str, n: int = 1) -> None:
    """``n`` claims filed, of one union, day and product."""
    for dim, key in (("", ""), ("product", product)):
        deltas.add(path, day, "aid_claims", n=n, dim=dim, key=key)


def recount() -> Deltas:
    """The per-day rows from the tables (``gonghui stats rebuild``). The plans' enrolment counters
    are recounted first, as part of the same rebuild (a drift is logged: a write path missed it)."""
    drift = plans_recount()
    if drift:
        log.warning("mutual aid: %s plan enrolment counter(s) had drifted and were recounted", drift)
    deltas = Deltas()
    rows = (Enrolment.objects.values_list("org_path", "enrolled_on", "plan__product")
            .annotate(n=Count("id"), fees=Sum("fee")).order_by())
    for path, day, product, n, fees in rows:
        enrolment_deltas(deltas, path, day, product, n, fees)
    rows = (Payout.objects.filter(amount__gt=0).values_list("org_path", "decided_on", "product")
            .annotate(n=Count("id"), amount=Sum("amount")).order_by())
    for path, day, product, n, amount in rows:
        payout_deltas(deltas, path, day, product, amount, n=n)
    rows = (Claim.objects.annotate(day=TruncDate("filed_at", tzinfo=timezone.get_current_timezone()))
            .values_list("org_path", "day", "plan__product").annotate(n=Count("id")).order_by())
    for path, day, product, n in rows:
        claim_deltas(deltas, path, day, product, n=n)
    return deltas


def plans_recount(plans: Iterable[int] | None = None) -> int:
    """Set ``Plan.enrolled`` of the given plans (all when None) from their enrolments; return how
    many were wrong. The plans are locked first, so an enrolment committing meanwhile is either
    counted here or adds itself afterwards, never both or neither."""
    with transaction.atomic():
        qs = Plan.objects.select_for_update(no_key=True).order_by("pk")  # enrolments may still insert
        if plans is not None:
            qs = qs.filter(pk__in=list(plans))
        kept = dict(qs.values_list("pk", "enrolled"))
        counted = dict(Enrolment.objects.filter(plan_id__in=list(kept)).values_list("plan_id")
                       .annotate(n=Count("id")).order_by())
        wrong = {pk: counted.get(pk, 0) for pk, n in kept.items() if counted.get(pk, 0) != n}
        for pk, n in wrong.items():  # a few rows a year
            Plan.objects.filter(pk=pk).update(enrolled=n)
    return len(wrong)


def per_year(path: str, years: list[int], last: dt.date, metrics: tuple[str, ...] = tuple(METRICS)) -> dict:
    """Each year's totals of the subtree rooted at ``path``, up to ``last`` (today) included.

    ``{2024: {"aid_enrolments": 1234, "aid_paid_amount": Decimal("56789.00"), …}, …}``: a count
    metric gives its number, an amount metric its yuan; a year without activity gives zeros. The
    same figures as ``period_figures`` for each year, in one grouped query over the per-day rows
    instead of one query per year (live figures, distinct members paid, are not summed per year).
    """
    unknown = set(metrics) - set(METRICS)
    if unknown:
        raise ValueError(f"not mutual-aid metrics: {sorted(unknown)}")
    figures = {y: {m: ZERO if METRICS[m].kind == "amount" else 0 for m in metrics} for y in years}
    if not years:
        return figures
    rows = (Activity.objects.filter(path=path, metric__in=metrics, dim="", key="",
                                    day__gte=dt.date(min(years), 1, 1), day__lte=min(last, dt.date(max(years), 12, 31)))
            .annotate(year=ExtractYear("day")).values_list("year", "metric")
            .annotate(n=Sum("n"), amount=Sum("amount")).order_by())
    for year, metric, n, amount in rows:
        if year in figures:
            figures[year][metric] = (amount or ZERO).quantize(ZERO) if METRICS[metric].kind == "amount" else n
    return figures


def live(path: str, start: dt.date | None, end: dt.date | None) -> dict:
    qs = Payout.objects.filter(subtree_q(path, "org_path"), amount__gt=0)
    if start is not None:
        qs = qs.filter(decided_on__gte=start)
    if end is not None:
        qs = qs.filter(decided_on__lte=end)
    return {"aid_paid_members": qs.values("member_id").distinct().count()}


SOURCE = activity.Source(name="mutualaid", metrics=METRICS, recount=recount, live=live,
                         live_metrics=LIVE_METRICS)
