"""Stations' figures for any subtree (``gonghui.stats.activity``).

Per-day metrics, added by the services in the transaction of each event: ``station_visits``
(服务人次: one a person, station and day; day = the visit's) and ``station_reports`` (problems
reported and review tasks opened; day = reported_on). Stock figures as of a day, counted from the
stations table: ``stations`` (open on that day: opened by then, not closed by then, not suspended
now), ``stations_starred`` (of those, holding stars) and ``stations_<kind>`` for every configured kind.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy, pgettext_lazy

from gonghui.stations import conf
from gonghui.stats import activity

METRICS = activity.metrics(
    activity.Metric("station_visits", gettext_lazy("Station visits"), "visits to service stations (服务人次)",
                    unit=pgettext_lazy("unit", "person-times"), icon="geo-alt"),
    activity.Metric("station_reports", gettext_lazy("Station problems reported"),
                    "problems reported at service stations and review tasks opened",
                    unit=pgettext_lazy("unit", "cases"), icon="exclamation-triangle", card=False),
)


def _stock_metrics() -> dict:
    declared = [
        activity.Metric("stations", gettext_lazy("Service stations open"),
                        "service stations open on the day (as of ?on=, default today)",
                        unit=pgettext_lazy("unit", "stations"), icon="house-door"),
        activity.Metric("stations_starred", gettext_lazy("Star-rated stations"),
                        "open service stations holding a star rating from their review", unit=pgettext_lazy(
                            "unit", "stations"), icon="star", card=False),
    ]
    for code, label in conf.kinds().items():
        declared.append(activity.Metric(f"stations_{code}", label, f"open service stations of kind {code}",
                                        unit=pgettext_lazy("unit", "stations"), icon="house-door", card=False))
    return activity.metrics(*declared)


def source() -> activity.Source:
    from gonghui.stations import services

    return activity.Source(name="stations", metrics=METRICS, recount=services.recount, stock=services.stock,
                           stock_metrics=_stock_metrics())
