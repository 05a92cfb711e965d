"""API of service stations (/api/v1/stations).

Anyone logged in finds the nearest stations (``/nearest``), records a visit from a scanned code
and reports a problem; cadres list, add, edit and review the stations of their subtree (one outside
it answers 404, a union outside it 403). A refusal answers 422 with ``code`` = its reason
(``coords_swapped``, ``coords_outside``, ``hours_order``, ``duplicate``, ``qr_forged``…).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Field, Query, Router, Schema, Status

from gonghui.core.api import ERRORS, NO_NUL, paginate
from gonghui.core.scope import Perm
from gonghui.orgs.selectors import org_get
from gonghui.stations import conf, rules, selectors, services
from gonghui.stations.models import HostKind, Station, StationReview, StationStatus

router = Router(tags=["stations"])


def refusals(view):
    """Answer a service refusal as 422 with its reason code."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except ValidationError as exc:
            errors = exc.error_list if not hasattr(exc, "error_dict") else [
                e for v in exc.error_dict.values() for e in v]
            code = next((e.code for e in errors if e.code), "invalid")
            detail = exc.message_dict if hasattr(exc, "error_dict") else " ".join(exc.messages)
            return Status(422, {"detail": detail, "code": code})

    return wrapper


def _or_404(obj):
    if obj is None:
        raise Http404
    return obj


class StationFacilityOut(Schema):
    code: str
    label: str
    icon: str


class StationKindOut(Schema):
    code: str
    label: str


class StationOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    org: str = Field(..., description="code of the operating union")
    org_name: str
    host_kind: str
    host_name: str
    address: str
    lat: float = Field(..., description="WGS-84 latitude")
    lon: float = Field(..., description="WGS-84 longitude")
    always_open: bool
    hours: dict[str, list[list[str]]] = Field(..., description="weekday (0 = Monday) → [[open, close], …]")
    hours_text: str
    facilities: list[str]
    contact_name: str
    phone_masked: str
    status: str
    stars: int
    honours: list[str]
    opened_on: dt.date
    reviewed_on: dt.date | None
    review_due_on: dt.date | None

    @staticmethod
    def resolve_org(obj: Station) -> str:
        return obj.org.code

    @staticmethod
    def resolve_org_name(obj: Station) -> str:
        return obj.org.name

    @staticmethod
    def resolve_kind_label(obj: Station) -> str:
        return str(obj.kind_label)

    @staticmethod
    def resolve_hours_text(obj: Station) -> str:
        return rules.hours_text(obj.always_open, obj.hours)

    @staticmethod
    def resolve_facilities(obj: Station) -> list[str]:
        return obj.facility_codes

    @staticmethod
    def resolve_honours(obj: Station) -> list[str]:
        return obj.honour_list


class StationNearbyOut(Schema):
    station: StationOut
    metres: int
    walking_minutes: int
    open_now: bool


class StationPage(Schema):
    count: int
    page: int
    pages: int
    results: list[StationOut]


class StationNearestQuery(Schema):
    lat: float = Field(..., ge=-90, le=90)
    lon: float = Field(..., ge=-180, le=180)
    datum: Literal["wgs84", "gcj02", "bd09"] = "wgs84"
    limit: int = Field(10, ge=1, le=50)
    kind: str = Field("", max_length=32, pattern=NO_NUL)
    facility: str = Field("", max_length=32, pattern=NO_NUL)
    open_now: bool = False
    max_km: float | None = Field(None, gt=0, le=200, description="largest distance (default STATION_MAX_KM)")


class StationListQuery(Schema):
    org: str = Field(..., max_length=40, pattern=NO_NUL)
    kind: str = Field("", max_length=32, pattern=NO_NUL)
    status: str = Field("", max_length=16, pattern=NO_NUL)
    facility: str = Field("", max_length=32, pattern=NO_NUL)
    page: int = Field(1, ge=1)


class StationIn(Schema):
    org: str = Field(..., max_length=40, pattern=NO_NUL, description="code of the operating union")
    name: str = Field(..., min_length=1, max_length=100, pattern=NO_NUL)
    kind: str = Field(..., max_length=32, pattern=NO_NUL)
    address: str = Field(..., min_length=1, max_length=200, pattern=NO_NUL)
    lat: float
    lon: float
    datum: Literal["wgs84", "gcj02", "bd09"] = Field("wgs84", description="the map the coordinates come from")
    hours: str = Field(..., max_length=300, pattern=NO_NUL,
                       description="24h, 08:00-20:00, or 1-5 08:00-20:00; 6,7 09:00-12:00")
    host_kind: Literal[tuple(HostKind.values)] = HostKind.UNION  # type: ignore[valid-type]
    host_name: str = Field("", max_length=100, pattern=NO_NUL)
    facilities: list[str] = Field(default_factory=list, max_length=40)
    contact_name: str = Field("", max_length=50, pattern=NO_NUL)
    phone: str = Field("", max_length=20, pattern=NO_NUL)
    honours: list[str] = Field(default_factory=list, max_length=30)
    status: Literal[tuple(StationStatus.values)] = StationStatus.OPEN  # type: ignore[valid-type]
    opened_on: dt.date | None = None


class StationReviewIn(Schema):
    score: int = Field(..., ge=0, le=100)
    kind: Literal[tuple(StationReview.Kind.values)] = StationReview.Kind.YEARLY  # type: ignore[valid-type]
    reviewed_on: dt.date | None = None
    facilities_found: list[str] = Field(default_factory=list, max_length=40)
    notes: str = Field("", max_length=2000, pattern=NO_NUL)


class StationReviewOut(Schema):
    id: int
    kind: str
    reviewed_on: dt.date
    score: int
    stars: int
    passed: bool
    station_status: str

    @staticmethod
    def resolve_station_status(obj: StationReview) -> str:
        return obj.station.status


class StationVisitIn(Schema):
    code: str = Field(..., max_length=16, pattern=NO_NUL, description="the station code on its QR code")
    key: str = Field(..., max_length=100, pattern=NO_NUL, description="the key on its QR code")
    rating: int | None = Field(None, ge=1, le=5)


class StationVisitOut(Schema):
    station: str
    day: dt.date
    rating: int | None
    new: bool = Field(..., description="false: this person's visit of the day was already recorded")


class StationReportIn(Schema):
    kind: Literal[tuple(k.value for k in services.WORKER_REPORT_KINDS)]  # type: ignore[valid-type]
    text: str = Field("", max_length=500, pattern=NO_NUL)


class StationReportOut(Schema):
    id: int
    kind: str
    status: str
    due_on: dt.date


@router.get("/kinds", response={200: list[StationKindOut], **ERRORS}, summary="The kinds of station")
def kind_list(request):
    return [{"code": code, "label": str(label)} for code, label in conf.kinds().items()]


@router.get("/facilities", response={200: list[StationFacilityOut], **ERRORS}, summary="The facilities checklist")
def facility_list(request):
    return [{"code": code, "label": str(label), "icon": icon} for code, (label, icon) in conf.facilities().items()]


@router.get("/nearest", response={200: list[StationNearbyOut], **ERRORS},
            summary="The nearest open stations to a point, with distance and walking minutes")
@refusals
def nearest(request, params: Query[StationNearestQuery]):
    lat, lon = services.clean_coordinates(params.lat, params.lon, params.datum)
    found = selectors.nearest(lat, lon, limit=params.limit, kind=params.kind, facility=params.facility,
                              open_now=params.open_now, max_m=params.max_km * 1000 if params.max_km else None)
    return [{"station": n.station, "metres": round(n.metres), "walking_minutes": n.minutes, "open_now": n.open_now}
            for n in found]


@router.get("", response={200: StationPage, **ERRORS}, summary="Stations of a union's subtree")
def station_list(request, params: Query[StationListQuery]):
    org = org_get(user=request.user, code=params.org)
    return paginate(selectors.station_list(user=request.user, org=org, kind=params.kind, status=params.status,
                                           facility=params.facility), params.page)


@router.get("/{int:station_id}", response={200: StationOut, **ERRORS}, summary="One station")
def station_detail(request, station_id: int):
    return _or_404(selectors.station_get(user=request.user, pk=station_id))


def _fields(payload: StationIn) -> dict:
    fields = payload.dict()
    fields.pop("org")
    fields["honours"] = "\n".join(h.strip() for h in fields["honours"] if h.strip())
    return fields


@router.post("", response={201: StationOut, **ERRORS}, summary="Add a station")
@refusals
def station_create(request, payload: StationIn):
    org = org_get(user=request.user, code=payload.org, perm=Perm.MANAGE)
    return Status(201, services.station_create(actor=request.user, org=org, **_fields(payload)))


@router.put("/{int:station_id}", response={200: StationOut, **ERRORS}, summary="Change a station")
@refusals
def station_update(request, station_id: int, payload: StationIn):
    station = _or_404(selectors.station_get(user=request.user, pk=station_id))
    org = org_get(user=request.user, code=payload.org, perm=Perm.MANAGE)
    return services.station_update(actor=request.user, station=station, org=org, **_fields(payload))


@router.post("/{int:station_id}/reviews", response={201: StationReviewOut, **ERRORS},
             summary="Record a review (yearly or a spot check): the score gives the stars")
@refusals
def review_create(request, station_id: int, payload: StationReviewIn):
    station = _or_404(selectors.station_get(user=request.user, pk=station_id))
    return Status(201, services.review_record(actor=request.user, station=station, **payload.dict()))


@router.post("/visits", response={200: StationVisitOut, 201: StationVisitOut, **ERRORS},
             summary="Record a visit from a station's QR code (once per person and day)")
@refusals
def visit_create(request, payload: StationVisitIn):
    visit, created = services.visit_record(user=request.user, code=payload.code, key=payload.key,
                                           rating=payload.rating)
    out = {"station": visit.station.code, "day": visit.day, "rating": visit.rating, "new": created}
    return Status(201 if created else 200, out)


@router.post("/by-code/{code}/reports", response={201: StationReportOut, **ERRORS},
             summary="Report a problem at a station: a task for its union, with a deadline")
@refusals
def report_create(request, code: str, payload: StationReportIn):
    station = _or_404(selectors.station_public(code=code))
    return Status(201, services.report_file(user=request.user, station=station, kind=payload.kind, text=payload.text))


