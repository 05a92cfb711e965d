"""The statistics of a union's subtree: ``GET /api/v1/orgs/{code}/stats`` (mounted beside the orgs
router): membership from the tallies, then every metric the modules registered."""

import datetime as dt
from decimal import Decimal

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from pydantic import create_model, model_validator
from pydantic_core import PydanticCustomError

from gonghui.core.api import ERRORS, day_between
from gonghui.members.figures import subtree_stats
from gonghui.orgs.selectors import org_get
from gonghui.stats import activity

router = Router(tags=["orgs"])

EARLIEST_DAY = dt.date(1900, 1, 1)
LATEST_DAY = dt.date(2999, 12, 31)
Day = day_between(EARLIEST_DAY, LATEST_DAY)


class StatsQuery(Schema):
    on: Day | None = Field(None, description="membership as of this day (default today)")
    from_: Day | None = Field(None, alias="from", description="start of the activity period (inclusive)")
    to: Day | None = Field(None, description="end of the activity period (inclusive; not before 'from', else a 422)")

    @model_validator(mode="after")
    def _period_in_order(self):
        if self.from_ and self.to and self.from_ > self.to:
            raise PydanticCustomError("period_order", "'from' must be on or before 'to'.")
        return self


class MembershipStatsOut(Schema):
    orgs: int
    members: int
    new_form_orgs: int
    new_form_members: int
    by_category: dict[str, int]
    by_sex: dict[str, int]
    by_age_band: dict[str, int]
    joined_per_year: dict[str, int]
    on: str
    period_from: dt.date | None = Field(None, alias="from")
    period_to: dt.date | None = Field(None, alias="to")
    breakdown: dict[str, dict[str, dict[str, dict]]] = Field(
        default_factory=dict, description="metric → dimension → key → {n, amount}")


def _stats_schema() -> type[Schema]:
    """The answer of ``/stats``: the membership figures, then every metric the modules registered
    (``gonghui.stats.activity``) under its key: counts and amounts in the period (all recorded
    time when from/to are left out; amounts in yuan), figures as of ``on``."""
    if not apps.ready:
        raise ImproperlyConfigured("the stats schema is built from the registered metrics: import the API after setup")
    fields = {}
    for metric in activity.registered():
        live = any(metric.key in source.live_metrics for source in activity.SOURCES.values())
        if metric.kind == "count":
            kind, default = (int | None, None) if live else (int, 0)
        elif metric.kind == "amount":
            kind, default = Decimal, Decimal("0.00")
        else:
            kind, default = Decimal | None, None
        fields[metric.key] = (kind, Field(default, description=metric.help))
    return create_model("StatsOut", __base__=MembershipStatsOut, **fields)


StatsOut = _stats_schema()


@router.get("/{code}/stats", response={200: StatsOut, **ERRORS}, by_alias=True, summary="Statistics of a union's whole subtree")
def org_stats(request, code: str, params: Query[StatsQuery]):
    org = org_get(user=request.user, code=code)
    # Membership is counted as of ``on``; the modules' activity (disputes, mutual aid…) over the period.
    on = params.on or timezone.localdate()
    return {**subtree_stats(org=org, on=params.on), **activity.period_figures(org.path, params.from_, params.to),
            **activity.stock_figures(org.path, on), "from": params.from_, "to": params.to}
