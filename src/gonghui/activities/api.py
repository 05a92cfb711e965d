"""API of the activities engine (/api/v1/activities).

Staff (a role on a union): activities organised in their subtree; creating and changing them needs
MANAGE there; an activity outside answers 404. Members: ``/mine`` lists what they may join, and
``/{id}/register`` is the first-come claim (exact under a rush: 201 with the registration, or 409
``full`` when all places are taken, unless ``wait`` puts them on the waiting list). A refusal
answers 409 (``full``, ``duplicate``, ``already_drawn``) or 422 with ``code`` = its reason.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Field, Query, Router, Schema, Status

from gonghui.activities import codes, selectors, services
from gonghui.activities.models import ActivityKind, Mode, Registration
from gonghui.core.api import ERRORS, NO_NUL
from gonghui.core.scope import Perm
from gonghui.members.selectors import member_of_user
from gonghui.orgs.selectors import org_get

router = Router(tags=["activities"])
CONFLICTS = {"full", "duplicate", "already_drawn"}
RESPONSES = {**ERRORS, 409: ERRORS[422]}


def refusals(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except ValidationError as exc:
            code = services.reason_of(exc)
            if code == "invalid":
                raise
            detail = exc.message_dict if hasattr(exc, "error_dict") else " ".join(exc.messages)
            return Status(409 if code in CONFLICTS else 422, {"detail": detail, "code": code})

    return wrapper


def _or_404(obj):
    if obj is None:
        raise Http404
    return obj


class ActivitySessionIn(Schema):
    starts_at: dt.datetime
    ends_at: dt.datetime | None = None


class ActivitySessionOut(Schema):
    id: int
    number: int
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    place: str
    held: bool
    attended: int


class ActivityIn(Schema):
    org: str = Field(..., max_length=40, pattern=NO_NUL, description="code of the organising union")
    kind: str = Field(..., max_length=32, pattern=NO_NUL, description="code of the activity kind")
    title: str = Field(..., min_length=1, max_length=100, pattern=NO_NUL)
    mode: Literal[tuple(Mode.values)] = Mode.FIRST_COME  # type: ignore[valid-type]
    capacity: int | None = Field(None, ge=1, le=10_000_000)
    place: str = Field("", max_length=200, pattern=NO_NUL)
    description: str = Field("", max_length=5000, pattern=NO_NUL)
    sessions: list[ActivitySessionIn] = Field(..., min_length=1, max_length=500)
    opens_at: dt.datetime | None = None
    closes_at: dt.datetime | None = None
    audience_categories: list[str] = Field(default_factory=list, max_length=20)
    audience_new_form: bool = False
    audience_women: bool = False
    audience_eligibility: str = Field("", max_length=16, pattern=NO_NUL)
    priority_groups: list[str] = Field(default_factory=list, max_length=20)
    offer_hours: int = Field(48, ge=1, le=336)
    details: dict = Field(default_factory=dict)


class ActivityOut(Schema):
    id: int
    org: str = Field(..., description="code of the organising union")
    kind: str
    title: str
    mode: str
    capacity: int | None
    taken: int
    place: str
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    audience_categories: list[str]
    audience_new_form: bool
    audience_women: bool
    audience_eligibility: str
    priority_groups: list[str]
    offer_hours: int
    drawn_at: dt.datetime | None

    @staticmethod
    def resolve_org(obj):
        return obj.org.code

    @staticmethod
    def resolve_kind(obj):
        return obj.kind.code


class ActivityDetailOut(ActivityOut):
    sessions: list[ActivitySessionOut]

    @staticmethod
    def resolve_sessions(obj):
        return list(obj.sessions.all())


class ActivityRegistrationOut(Schema):
    id: int
    activity: int = Field(..., alias="activity_id")
    member: int = Field(..., alias="member_id")
    status: str
    ticket: str
    position: int | None = Field(None, description="place on the waiting list, 1 = next")
    offer_expires_at: dt.datetime | None

    @staticmethod
    def resolve_position(obj):
        return selectors.waiting_position(registration=obj)


class ActivityRegisterIn(Schema):
    wait: bool = Field(False, description="join the waiting list when all places are taken")


class ActivityCapacityIn(Schema):
    capacity: int = Field(..., ge=1, le=10_000_000)


class ActivityDrawIn(Schema):
    seed: str = Field("", max_length=64, pattern=NO_NUL, description="empty: a random seed is made and published")


class ActivityDrawEntrantOut(Schema):
    ticket: str
    priority: int


class ActivityDrawOut(Schema):
    seed: str
    method: str
    drawn_at: dt.datetime
    places: int | None
    priority_groups: list[str]
    entrants: list[ActivityDrawEntrantOut]
    winners: list[str]


class ActivityShareIn(Schema):
    org: str = Field(..., max_length=40, pattern=NO_NUL)
    places: int = Field(..., ge=0, le=10_000_000)


class ActivityShareOut(Schema):
    id: int
    org: str
    places: int
    taken: int

    @staticmethod
    def resolve_org(obj):
        return obj.org.code


class ActivityNameIn(Schema):
    member: int = Field(..., ge=1)


class ActivityCheckInIn(Schema):
    code: str = Field(..., max_length=200, pattern=NO_NUL, description="the member's signed check-in code")


class ActivityCheckInOut(Schema):
    member: int
    first_time: bool = Field(..., description="false: this member had already checked in (counted once)")


class ActivityReturnIn(Schema):
    headcount: int = Field(..., ge=1, le=1_000_000)
    note: str = Field("", max_length=200, pattern=NO_NUL)


class ActivityCardOut(Schema):
    code: str = Field(..., description="signed check-in code of the member (shown as a QR code)")


def _activity(request, pk: int, perm: Perm = Perm.READ):
    return _or_404(selectors.activity_get(user=request.user, pk=pk, perm=perm))


def _member(request):
    member = member_of_user(user=request.user)
    if member is None:
        raise Http404
    return member


@router.get("", response={200: list[ActivityOut], **ERRORS}, summary="Activities organised in my subtree")
def activity_list(request, org: str | None = None):
    qs = selectors.activities_for_staff(user=request.user)
    if org:
        target = org_get(user=request.user, code=org)
        qs = qs.filter(org_path__startswith=target.path)
    return list(qs[:200])


@router.post("", response={201: ActivityDetailOut, **RESPONSES}, summary="Create an activity")
@refusals
def activity_create(request, payload: ActivityIn):
    org = org_get(user=request.user, code=payload.org, perm=Perm.MANAGE)
    kind = ActivityKind.objects.filter(code=payload.kind).first()
    if kind is None:
        raise ValidationError({"kind": "Unknown activity kind."})
    data = payload.dict(exclude={"org", "kind", "sessions"})
    activity = services.activity_create(actor=request.user, org=org, kind=kind,
                                        sessions=[(s.starts_at, s.ends_at) for s in payload.sessions], **data)
    return Status(201, activity)


@router.get("/mine", response={200: list[ActivityOut], **ERRORS}, summary="Activities I may join")
def activity_mine(request):
    return selectors.for_member(member=_member(request))


@router.get("/mine/registrations", response={200: list[ActivityRegistrationOut], **ERRORS},
            summary="My registrations with their status and waiting-list position")
def registrations_mine(request):
    return selectors.registrations_of_member(member=_member(request))


@router.get("/mine/card", response={200: ActivityCardOut, **ERRORS}, summary="My signed check-in code")
def card_mine(request):
    return {"code": codes.member_code(_member(request).pk)}


@router.get("/{int:pk}", response={200: ActivityDetailOut, **ERRORS}, summary="One activity with its sessions")
def activity_detail(request, pk: int):
    return _activity(request, pk)


@router.post("/{int:pk}/capacity", response={200: ActivityOut, **RESPONSES}, summary="Change the number of places")
@refusals
def activity_capacity(request, pk: int, payload: ActivityCapacityIn):
    activity = _activity(request, pk, Perm.MANAGE)
    return services.activity_set_capacity(actor=request.user, activity=activity, capacity=payload.capacity)


@router.post("/{int:pk}/register", response={201: ActivityRegistrationOut, **RESPONSES},
             summary="Register myself (first come: a place, or 409 full)")
@refusals
def activity_register(request, pk: int, payload: ActivityRegisterIn):
    member = _member(request)
    activity = selectors.activity_for_member(member=member, pk=pk)
    return Status(201, services.register(actor=request.user, activity=_or_404(activity), member=member,
                                         wait=payload.wait))


def _my_registration(request, pk: int) -> Registration:
    member = _member(request)
    return _or_404(Registration.objects.select_related("activity", "member").filter(pk=pk, member=member).first())


@router.post("/registrations/{int:pk}/cancel", response={200: ActivityRegistrationOut, **RESPONSES},
             summary="Cancel my registration")
@refusals
def registration_cancel(request, pk: int):
    return services.registration_cancel(actor=request.user, registration=_my_registration(request, pk))


@router.post("/registrations/{int:pk}/accept", response={200: ActivityRegistrationOut, **RESPONSES},
             summary="Accept the place offered to me")
@refusals
def registration_accept(request, pk: int):
    return services.offer_accept(actor=request.user, registration=_my_registration(request, pk))


@router.get("/{int:pk}/registrations", response={200: list[ActivityRegistrationOut], **ERRORS},
            summary="Registrations of an activity")
def activity_registrations(request, pk: int, status: str | None = None, page: int = Query(1, ge=1)):
    activity = _activity(request, pk)
    qs = selectors.registrations_of_activity(activity=activity, status=status)
    return list(qs[(page - 1) * 100:page * 100])


@router.post("/{int:pk}/draw", response={200: ActivityDrawOut, **RESPONSES}, summary="Run the lottery's draw")
@refusals
def activity_draw(request, pk: int, payload: ActivityDrawIn):
    activity = _activity(request, pk, Perm.MANAGE)
    services.draw_run(actor=request.user, activity=activity, seed=payload.seed)
    return selectors.draw_result(activity=activity)


@router.get("/{int:pk}/draw", response={200: ActivityDrawOut, **ERRORS}, summary="The published draw")
def activity_draw_result(request, pk: int):
    return _or_404(selectors.draw_result(activity=_activity(request, pk)))


@router.post("/{int:pk}/shares", response={200: ActivityShareOut, **RESPONSES}, summary="Give places to a union")
@refusals
def activity_share(request, pk: int, payload: ActivityShareIn):
    activity = _activity(request, pk, Perm.MANAGE)
    org = org_get(user=request.user, code=payload.org)
    return services.share_set(actor=request.user, activity=activity, org=org, places=payload.places)


@router.post("/shares/{int:pk}/name", response={201: ActivityRegistrationOut, **RESPONSES},
             summary="Name a member of my union for a place of its share")
@refusals
def share_name(request, pk: int, payload: ActivityNameIn):
    share = _or_404(selectors.share_get(user=request.user, pk=pk))
    member = _or_404(selectors.member_in_reach(user=request.user, pk=payload.member))
    return Status(201, services.share_name(actor=request.user, share=share, member=member))


@router.post("/sessions/{int:pk}/check-in", response={200: ActivityCheckInOut, **RESPONSES},
             summary="Check a member in by their signed card code")
@refusals
def session_check_in(request, pk: int, payload: ActivityCheckInIn):
    session = _or_404(selectors.session_get(user=request.user, pk=pk, perm=Perm.MANAGE))
    attendance, first = services.check_in_card(actor=request.user, session=session, code=payload.code)
    return {"member": attendance.member_id, "first_time": first}


@router.post("/sessions/{int:pk}/return", response={200: ActivitySessionOut, **RESPONSES},
             summary="Enter the organiser's headcount of a mass event")
@refusals
def session_return(request, pk: int, payload: ActivityReturnIn):
    session = _or_404(selectors.session_get(user=request.user, pk=pk, perm=Perm.MANAGE))
    services.return_record(actor=request.user, session=session, headcount=payload.headcount, note=payload.note)
    session.refresh_from_db()
    return session
