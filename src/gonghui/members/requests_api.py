"""API of online joining (/api/v1/joins) and transfers (/api/v1/transfers).

A worker with a token applies for themselves; the SMS step is web-only, so the account must
already have a mobile verified there (else 403). Cadres list their subtree's queues and decide.
Objects and unions outside the caller's subtree answer 404.
"""

import datetime as dt
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Field, Query, Router, Schema, Status

from gonghui.core.api import ERRORS, NO_NUL, PAGE_HELP, paginate
from gonghui.members.api import PersonOut
from gonghui.members.models import Category, JoinStatus, TransferStatus
from gonghui.members.selectors import (
    applications_of,
    as_own_request,
    join_get,
    join_of_applicant,
    join_queue,
    join_target_get,
    transfer_get,
    transfer_of_requester,
    transfer_queue,
    transfer_sides,
)
from gonghui.members.services import (
    join_apply,
    join_approve,
    join_cancel,
    join_refuse,
    transfer_approve,
    transfer_cancel,
    transfer_object,
    transfer_refuse,
    transfer_release,
    transfer_request,
)
from gonghui.orgs.selectors import org_get

joins_router = Router(tags=["joining"])
transfers_router = Router(tags=["transfers"])

class RefusalIn(Schema):
    reason: str = Field(..., max_length=200, pattern=NO_NUL, description="shown to the person concerned")


# --- joining ----------------------------------------------------------------------------------


class JoinIn(Schema):
    org: str = Field(..., min_length=1, max_length=32, pattern=NO_NUL, description="code of the union to join")
    name: str = Field(..., max_length=50, pattern=NO_NUL)
    id_number: str = Field(..., max_length=24, pattern=NO_NUL)
    employer: str = Field(..., max_length=200, pattern=NO_NUL, description="employer, or trade for platform work")
    category: Literal["", *Category.values] = Field("", description="八大群体 (or empty)")  # type: ignore[valid-type]
    is_new_form: bool = False


class MyRequestOut(Schema):
    """One of the worker's own requests: an application, or the transfer it became."""

    id: int
    kind: Literal["join", "transfer"]
    status: str
    org: str
    org_name: str
    reason: str
    submitted_at: dt.datetime
    decided_at: dt.datetime | None

    @staticmethod
    def resolve_org(obj):
        return obj.org.code if obj.kind == "join" else obj.to_org.code

    @staticmethod
    def resolve_org_name(obj):
        return obj.org.name if obj.kind == "join" else obj.to_org.name

    @staticmethod
    def resolve_submitted_at(obj):
        return obj.when


class JoinOut(PersonOut):
    """An application as its union's cadres see it (ID number and mobile masked)."""

    id: int
    status: str
    org: str
    org_name: str
    name: str
    id_number: str
    phone: str
    employer: str
    category: str
    is_new_form: bool
    reason: str
    submitted_at: dt.datetime
    decided_at: dt.datetime | None
    member: int | None = Field(None, description="the member record made on approval")
    card_number: str | None = None

    @staticmethod
    def resolve_submitted_at(obj):
        return obj.created_at

    @staticmethod
    def resolve_member(obj):
        return obj.member_id

    @staticmethod
    def resolve_card_number(obj):
        return obj.member.card_number if obj.member_id else None


class JoinPage(Schema):
    count: int
    page: int
    pages: int
    results: list[JoinOut]


class JoinQuery(Schema):
    org: str = Field(..., min_length=1, max_length=32, description="code of the union whose subtree's queue is listed")
    status: Literal[tuple(JoinStatus.values)] = JoinStatus.PENDING  # type: ignore[valid-type]
    page: int = Field(1, ge=1, le=10**9, description=PAGE_HELP)


@joins_router.post("", response={201: MyRequestOut, **ERRORS},
                   summary="Apply to join a union (a worker, for themselves; needs a mobile verified on the web)")
def join_create(request, payload: JoinIn):
    org = join_target_get(code=payload.org)
    if org is None:
        raise ValidationError({"org": "No union that takes members has this code."})
    result = join_apply(applicant=request.user, org=org, **payload.dict(exclude={"org"}))
    return Status(201, as_own_request(result))


@joins_router.get("/mine", response={200: list[MyRequestOut], **ERRORS},
                  summary="The caller's own applications and the transfers they became, newest first")
def join_mine(request):
    return applications_of(user=request.user)


@joins_router.post("/mine/{int:join_id}/cancel", response={200: MyRequestOut, **ERRORS},
                   summary="Withdraw one's own waiting application")
def join_withdraw(request, join_id: int):
    application = join_of_applicant(user=request.user, pk=join_id)
    if application is None:
        raise Http404
    return as_own_request(join_cancel(actor=request.user, application=application))


@joins_router.get("", response={200: JoinPage, **ERRORS},
                  summary="Applications to the unions of a subtree (cadres), waiting ones oldest first")
def join_list(request, params: Query[JoinQuery]):
    org = org_get(user=request.user, code=params.org)
    return paginate(join_queue(user=request.user, org=org, status=params.status), params.page)


def _join_or_404(request, join_id: int):
    application = join_get(user=request.user, pk=join_id)
    if application is None:
        raise Http404
    return application


@joins_router.get("/{int:join_id}", response={200: JoinOut, **ERRORS}, summary="One application (cadres)")
def join_detail(request, join_id: int):
    return _join_or_404(request, join_id)


@joins_router.post("/{int:join_id}/approve", response={200: JoinOut, **ERRORS},
                   summary="Approve: the applicant becomes a member with a card number")
def join_approve_endpoint(request, join_id: int):
    application = _join_or_404(request, join_id)
    join_approve(actor=request.user, application=application)
    return join_get(user=request.user, pk=join_id)


@joins_router.post("/{int:join_id}/refuse", response={200: JoinOut, **ERRORS},
                   summary="Refuse, with the reason the applicant will read")
def join_refuse_endpoint(request, join_id: int, payload: RefusalIn):
    application = _join_or_404(request, join_id)
    join_refuse(actor=request.user, application=application, reason=payload.reason)
    return join_get(user=request.user, pk=join_id)


# --- transfers --------------------------------------------------------------------------------


class TransferIn(Schema):
    org: str = Field(..., min_length=1, max_length=32, pattern=NO_NUL, description="code of the receiving union")
    id_number: str = Field(..., max_length=24, pattern=NO_NUL)
    note: str = Field("", max_length=200, pattern=NO_NUL)


class TransferOut(Schema):
    id: int
    status: str
    source: str
    member_name: str = Field(..., description="the person's name; to the receiving side only once the sending "
                                              "union has agreed (until then a placeholder)")
    id_number: str
    from_org: str | None = Field(None, description="the sending union; null when outside the caller's subtree")
    from_org_name: str | None = None
    to_org: str
    to_org_name: str
    note: str
    reason: str
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    released: bool = Field(False, description="the sending union has agreed (转出)")
    may_decide: bool = Field(False, description="the caller may approve or refuse it")
    may_release: bool = Field(False, description="the caller speaks for the sending union: may agree or object")

    @staticmethod
    def resolve_member_name(obj):
        return str(obj.person_name)

    @staticmethod
    def resolve_released(obj):
        return obj.released_at is not None

    @staticmethod
    def resolve_id_number(obj):
        return obj.member.id_masked

    @staticmethod
    def resolve_from_org(obj):
        return obj.from_org.code if obj.from_visible else None

    @staticmethod
    def resolve_from_org_name(obj):
        return obj.from_org.name if obj.from_visible else None

    @staticmethod
    def resolve_to_org(obj):
        return obj.to_org.code

    @staticmethod
    def resolve_to_org_name(obj):
        return obj.to_org.name


class TransferPage(Schema):
    count: int
    page: int
    pages: int
    results: list[TransferOut]


class TransferQuery(Schema):
    org: str = Field(..., min_length=1, max_length=32)
    direction: Literal["in", "out"] = Field("in", description="in: to the subtree (to decide); out: from it")
    status: Literal[tuple(TransferStatus.values)] = TransferStatus.PENDING  # type: ignore[valid-type]
    page: int = Field(1, ge=1, le=10**9, description=PAGE_HELP)


def _transfer_or_404(request, transfer_id: int):
    transfer = transfer_get(user=request.user, pk=transfer_id)
    if transfer is None:
        raise Http404
    return transfer


def _shown(request, transfer_id: int):
    transfer = _transfer_or_404(request, transfer_id)
    transfer_sides(user=request.user, transfers=[transfer])
    return transfer


@transfers_router.get("", response={200: TransferPage, **ERRORS},
                      summary="Transfers into (in) or out of (out) a union's subtree")
def transfer_list(request, params: Query[TransferQuery]):
    org = org_get(user=request.user, code=params.org)
    body = paginate(transfer_queue(user=request.user, org=org, direction=params.direction, status=params.status),
                 params.page)
    transfer_sides(user=request.user, transfers=body["results"])
    return body


@transfers_router.post("", response={201: TransferOut, **ERRORS},
                       summary="Ask for a person of the member database (by ID number) to move into a union")
def transfer_create(request, payload: TransferIn):
    org = org_get(user=request.user, code=payload.org)
    transfer = transfer_request(actor=request.user, org=org, id_number=payload.id_number, note=payload.note)
    return Status(201, _shown(request, transfer.pk))


@transfers_router.get("/{int:transfer_id}", response={200: TransferOut, **ERRORS}, summary="One transfer")
def transfer_detail(request, transfer_id: int):
    return _shown(request, transfer_id)


@transfers_router.post("/{int:transfer_id}/approve", response={200: TransferOut, **ERRORS},
                       summary="Approve (receiving union): the member moves, or comes back after leaving")
def transfer_approve_endpoint(request, transfer_id: int):
    transfer_approve(actor=request.user, transfer=_transfer_or_404(request, transfer_id))
    return _shown(request, transfer_id)


@transfers_router.post("/{int:transfer_id}/refuse", response={200: TransferOut, **ERRORS},
                       summary="Refuse (receiving union), with a reason")
def transfer_refuse_endpoint(request, transfer_id: int, payload: RefusalIn):
    transfer_refuse(actor=request.user, transfer=_transfer_or_404(request, transfer_id), reason=payload.reason)
    return _shown(request, transfer_id)


@transfers_router.post("/{int:transfer_id}/release", response={200: TransferOut, **ERRORS},
                       summary="Agree to let the member go (the sending union); the receiving union may then approve")
def transfer_release_endpoint(request, transfer_id: int):
    transfer_release(actor=request.user, transfer=_transfer_or_404(request, transfer_id))
    return _shown(request, transfer_id)


@transfers_router.post("/{int:transfer_id}/object", response={200: TransferOut, **ERRORS},
                       summary="Object, with a reason (the sending union): the request is refused, the member stays")
def transfer_object_endpoint(request, transfer_id: int, payload: RefusalIn):
    transfer_object(actor=request.user, transfer=_transfer_or_404(request, transfer_id), reason=payload.reason)
    return _shown(request, transfer_id)


@transfers_router.post("/{int:transfer_id}/cancel", response={200: TransferOut, **ERRORS},
                       summary="Withdraw a waiting transfer (whoever asked)")
def transfer_cancel_endpoint(request, transfer_id: int):
    # A worker whose application became a transfer sees it only as its requester.
    transfer = (transfer_get(user=request.user, pk=transfer_id)
                or transfer_of_requester(user=request.user, pk=transfer_id))
    if transfer is None:
        raise Http404
    transfer_cancel(actor=request.user, transfer=transfer)
    transfer.refresh_from_db()
    transfer_sides(user=request.user, transfers=[transfer])
    return transfer
