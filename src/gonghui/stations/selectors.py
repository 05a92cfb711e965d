"""Reads of stations: scoped lists for cadres, the nearest search for everyone.

The nearest search needs no spatial extension and runs alike on SQLite and PostgreSQL: a box around
the point on the indexed (lat, lon) columns, then exact haversine in Python. The box starts at
``START_M`` and grows fourfold until it holds ``limit`` stations within its inscribed circle (those
are then certainly the nearest: any closer one lies inside the circle, hence inside the box) or the
largest radius is reached.
"""

from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone

from gonghui.core.paths import subtree_q
from gonghui.core.scope import Perm, scope_for
from gonghui.orgs.models import Org
from gonghui.stations import conf, geo, rules
from gonghui.stations.models import Station, StationReport, StationReview, StationStatus, StationVisit

START_M = 1_000.0
GROWTH = 4.0


@dataclass
class Nearby:
    station: Station
    metres: float
    minutes: int
    open_now: bool

    @property
    def distance_text(self) -> str:
        return f"{round(self.metres)} m" if self.metres < 1000 else f"{self.metres / 1000:.1f} km"


def stations_in_scope(*, user, perm: Perm = Perm.READ) -> QuerySet[Station]:
    return Station.objects.filter(scope_for(user, perm).q("org_path"))


def station_get(*, user, pk: int, perm: Perm = Perm.READ) -> Station | None:
    """A station of the user's subtree, or None (outside it answers like an unknown one)."""
    return stations_in_scope(user=user, perm=perm).select_related("org").filter(pk=pk).first()


def station_public(*, code: str) -> Station | None:
    """A station as workers see it: any that is not closed."""
    return Station.objects.select_related("org").exclude(status=StationStatus.CLOSED).filter(code=code).first()


def station_list(*, user, org: Org, kind: str = "", status: str = "", facility: str = "", q: str = "",
                 due: bool = False) -> QuerySet[Station]:
    qs = stations_in_scope(user=user).filter(subtree_q(org.path, "org_path")).select_related("org")
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if facility:
        qs = qs.filter(facilities__contains=f"|{facility}|")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(address__icontains=q) | Q(host_name__icontains=q))
    if due:
        qs = qs.filter(review_due_queue_q(timezone.localdate()))
    return qs.order_by("org_path", "name", "id")


def review_due_queue_q(today: dt.date) -> Q:
    """Stations waiting for their review: never reviewed, or due within a month (or overdue)."""
    return ~Q(status=StationStatus.CLOSED) & (Q(review_due_on__isnull=True)
                                              | Q(review_due_on__lte=today + dt.timedelta(days=30)))


def review_queue(*, user, org: Org) -> QuerySet[Station]:
    return (stations_in_scope(user=user).filter(subtree_q(org.path, "org_path"))
            .filter(review_due_queue_q(timezone.localdate())).select_related("org")
            .order_by("review_due_on", "id"))


def reviews_of(*, station: Station) -> QuerySet[StationReview]:
    return station.reviews.select_related("reviewer").prefetch_related("photos")


def reports_open(*, user, org: Org) -> QuerySet[StationReport]:
    return (StationReport.objects.filter(scope_for(user, Perm.READ).q("org_path"), subtree_q(org.path, "org_path"),
                                         status=StationReport.Status.OPEN)
            .select_related("station").order_by("due_on", "id"))


def report_get(*, user, pk: int) -> StationReport | None:
    return (StationReport.objects.filter(scope_for(user, Perm.READ).q("org_path"), pk=pk)
            .select_related("station").first())


def open_reports_count(*, user, org: Org | None) -> int:
    if org is None:
        return 0
    return reports_open(user=user, org=org).count()


def visits_of(*, station: Station, days: int = 30) -> dict:
    since = timezone.localdate() - dt.timedelta(days=days - 1)
    qs = station.visits.filter(day__gte=since)
    summary = qs.aggregate(n=Count("*"), rating=Avg("rating"))
    return {"days": days, "visits": summary["n"], "rating": summary["rating"]}


def home_figures(*, user, org: Org) -> dict:
    base = stations_in_scope(user=user).filter(subtree_q(org.path, "org_path"))
    by_kind = dict(base.filter(status=StationStatus.OPEN).values_list("kind").annotate(n=Count("*")).order_by())
    kinds = [{"code": code, "label": label, "n": by_kind.get(code, 0)} for code, label in conf.kinds().items()]
    return {
        "open": sum(by_kind.values()),
        "suspended": base.filter(status=StationStatus.SUSPENDED).count(),
        "starred": base.filter(status=StationStatus.OPEN, stars__gt=0).count(),
        "by_kind": kinds,
        "due": base.filter(review_due_queue_q(timezone.localdate())).count(),
        "open_reports": reports_open(user=user, org=org).count(),
        "visits_30d": StationVisit.objects.filter(subtree_q(org.path, "org_path"),
                                                  day__gte=timezone.localdate() - dt.timedelta(days=29)).count(),
    }


# --- finding the nearest ---------------------------------------------------------------------


def _candidates(lat: float, lon: float, radius: float, *, kind: str, facility: str, statuses) -> list[tuple]:
    min_lat, max_lat, min_lon, max_lon = geo.bounding_box(lat, lon, radius)
    qs = Station.objects.filter(lat__gte=min_lat, lat__lte=max_lat, lon__gte=min_lon, lon__lte=max_lon,
                                status__in=statuses)
    if kind:
        qs = qs.filter(kind=kind)
    if facility:
        qs = qs.filter(facilities__contains=f"|{facility}|")
    return list(qs.values_list("id", "lat", "lon", "always_open", "hours"))


def nearest_ids(lat: float, lon: float, *, limit: int = 10, kind: str = "", facility: str = "",
                open_at: dt.datetime | None = None, max_m: float | None = None,
                statuses=(StationStatus.OPEN,)) -> list[tuple[float, int]]:
    """(metres, station id) of the nearest ``limit`` stations within ``max_m``, nearest first (ties by id)."""
    max_m = max_m if max_m is not None else conf.max_km() * 1000
    radius = min(START_M, max_m)
    while True:
        found = []
        for pk, slat, slon, always, hours in _candidates(lat, lon, radius, kind=kind, facility=facility,
                                                        statuses=statuses):
            d = geo.haversine_m(lat, lon, slat, slon)
            if d <= radius and (open_at is None or rules.is_open(always, hours, open_at)):
                found.append((d, pk))
        if len(found) >= limit or radius >= max_m:
            return heapq.nsmallest(limit, found)
        radius = min(radius * GROWTH, max_m)


def nearest(lat: float, lon: float, *, limit: int = 10, kind: str = "", facility: str = "", open_now: bool = False,
            max_m: float | None = None, now: dt.datetime | None = None) -> list[Nearby]:
    now = timezone.localtime(now)
    ranked = nearest_ids(lat, lon, limit=limit, kind=kind, facility=facility, open_at=now if open_now else None,
                         max_m=max_m)
    by_id = Station.objects.select_related("org").in_bulk([pk for _d, pk in ranked])
    return [Nearby(station=by_id[pk], metres=d, minutes=rules.walking_minutes(d),
                   open_now=rules.is_open(by_id[pk].always_open, by_id[pk].hours, now))
            for d, pk in ranked if pk in by_id]


def full_scan_ids(lat: float, lon: float, *, limit: int = 10, max_m: float | None = None) -> list[tuple[float, int]]:
    """The same answer as ``nearest_ids`` (no filters) by reading every open station: the oracle."""
    max_m = max_m if max_m is not None else conf.max_km() * 1000
    rows = Station.objects.filter(status=StationStatus.OPEN).values_list("id", "lat", "lon")
    found = ((geo.haversine_m(lat, lon, slat, slon), pk) for pk, slat, slon in rows.iterator(chunk_size=5000))
    return heapq.nsmallest(limit, (x for x in found if x[0] <= max_m))


def districts() -> list[dict]:
    """The places a worker may pick by hand: the unions below the top one that run open stations,
    each with the centre of its stations."""
    roots = list(Org.objects.filter(depth=1).order_by("path"))
    places = []
    for root in roots:
        for org in Org.objects.filter(subtree_q(root.path), depth=root.depth + 1).order_by("path"):
            centre = Station.objects.filter(subtree_q(org.path, "org_path"), status=StationStatus.OPEN).aggregate(
                lat=Avg("lat"), lon=Avg("lon"), n=Count("*"))
            if centre["n"]:
                places.append({"code": org.code, "name": org.name, "lat": centre["lat"], "lon": centre["lon"]})
    return places
