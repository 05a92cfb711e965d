"""API of labour-dispute mediation (/api/v1/disputes).

A worker with a token applies for themselves and follows their own cases; cadres record oral
applications and entrusted cases at the window and route them; room staff mediate. A case
outside the caller's reach answers 404, and so does a union outside their subtree. ID numbers
and mobiles are always masked. Amounts are decimal strings in yuan (numbers are accepted too,
as long as they have at most two decimals).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from gonghui.core.api import ERRORS, NO_NUL, PAGE_HELP, day_between, paginate
from gonghui.core.money import MoneyIn
from gonghui.disputes import selectors, services, states
from gonghui.disputes.models import (
    Case,
    Channel,
    ClaimKind,
    LegalAid,
    State,
    Target,
)
from gonghui.members.models import Category
from gonghui.orgs.models import FEDERATION_KINDS, Org
from gonghui.orgs.selectors import org_get

router = Router(tags=["disputes"])

DATE_MIN, DATE_MAX = dt.date(1950, 1, 1), dt.date(2999, 12, 31)
Day = day_between(DATE_MIN, DATE_MAX)  # YYYY-MM-DD in that range, stated in the spec


def _date(default=None, **kwargs):
    return Field(default, **kwargs)


# ---------------------------------------------------------------------------------- output

class CaseClaimOut(Schema):
    kind: str
    amount: Decimal
    note: str


class SessionOut(Schema):
    id: int
    held_at: dt.datetime
    place: str
    attendees: str
    minutes: str


class InstalmentOut(Schema):
    seq: int
    due_on: dt.date
    amount: Decimal
    paid_amount: Decimal
    paid_on: dt.date | None


class PaymentOut(Schema):
    id: int
    amount: Decimal
    paid_on: dt.date
    note: str


class AgreementOut(Schema):
    amount: Decimal
    signed_on: dt.date
    terms: str
    paid_amount: Decimal
    outstanding: Decimal
    paid_on: dt.date | None
    instalments: list[InstalmentOut]
    payments: list[PaymentOut]

    @staticmethod
    def resolve_instalments(obj):
        return list(obj.instalments.all())

    @staticmethod
    def resolve_payments(obj):
        return list(obj.payments.all())


class ReferralOut(Schema):
    source: str
    body_name: str
    reference: str
    deadline: dt.date
    result: str
    result_on: dt.date | None


class LegalAidOut(Schema):
    id: int
    case: str
    state: str
    request: str
    requested_at: dt.datetime
    lawyer: str | None
    accepted_on: dt.date | None
    note: str
    done_on: dt.date | None

    @staticmethod
    def resolve_case(obj):
        return obj.case.number

    @staticmethod
    def resolve_lawyer(obj):
        return obj.lawyer.get_username() if obj.lawyer_id else None


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    description: str
    uploaded_at: dt.datetime
    url: str

    @staticmethod
    def resolve_name(obj):
        return obj.original_name

    @staticmethod
    def resolve_url(obj):
        return f"/api/v1/disputes/attachments/{obj.pk}"


class SatisfactionOut(Schema):
    score: int
    comment: str
    given_at: dt.datetime


class DeadlineOut(Schema):
    due_on: dt.date
    passed: bool
    days_left: int


class LimitationOut(Schema):
    claim: str
    ends_on: dt.date | None
    barred: bool
    reason: str


class DeadlinesOut(Schema):
    mediation: DeadlineOut
    court: DeadlineOut | None
    limitation: list[LimitationOut]
    final_award: bool = Field(..., description="一裁终局 would apply to an award on these claims")
    final_award_threshold: Decimal
    minimum_wage: Decimal
    overdue: list[str] = Field(..., description="mediation, instalment, court")


def _deadlines(case: Case) -> dict:
    d = selectors.case_deadlines(case)
    return {
        "mediation": d.mediation.__dict__,
        "court": d.court.__dict__ if d.court else None,
        "limitation": [{"claim": k, "ends_on": v.ends_on, "barred": v.barred, "reason": v.reason}
                       for k, v in d.limitation.items()],
        "final_award": d.final_award,
        "final_award_threshold": d.final_award_threshold,
        "minimum_wage": d.minimum_wage.amount,
        "overdue": d.overdue,
    }


class CaseRowOut(Schema):
    id: int
    number: str
    channel: str
    state: str
    org: str
    org_name: str
    room: str | None
    room_name: str | None
    mediator: str | None
    applicant_name: str
    id_number: str
    employer_name: str
    main_claim: str
    amount_claimed: Decimal
    is_new_form: bool
    received_at: dt.datetime
    received_on: dt.date
    mediation_due_on: dt.date
    outcome: str

    @staticmethod
    def resolve_org(obj):
        return obj.org.code

    @staticmethod
    def resolve_org_name(obj):
        return obj.org.name

    @staticmethod
    def resolve_room(obj):
        return obj.room.code if obj.room_id else None

    @staticmethod
    def resolve_room_name(obj):
        return obj.room.name if obj.room_id else None

    @staticmethod
    def resolve_mediator(obj):
        return obj.mediator.get_username() if obj.mediator_id else None

    @staticmethod
    def resolve_id_number(obj):
        return obj.id_masked

    @staticmethod
    def resolve_mediation_due_on(obj):
        return obj.received_on + dt.timedelta(days=15)


class CaseOut(CaseRowOut):
    phone: str
    employer_credit_code: str
    industry: str
    category: str
    summary: str
    employment_start: dt.date | None
    employment_end: dt.date | None
    knew_on: dt.date | None
    target: str
    target_name: str
    target_reason: str
    settled_on: dt.date | None
    failed_on: dt.date | None
    closed_at: dt.datetime | None
    claims: list[CaseClaimOut]
    sessions: list[SessionOut]
    agreement: AgreementOut | None
    referral_in: ReferralOut | None
    legal_aid: list[LegalAidOut]
    attachments: list[AttachmentOut]
    satisfaction: SatisfactionOut | None
    deadlines: DeadlinesOut
    actions: list[str] = Field(..., description="what the graph allows from the present state")

    @staticmethod
    def resolve_phone(obj):
        return obj.phone_masked

    @staticmethod
    def resolve_claims(obj):
        return list(obj.claims.all())

    @staticmethod
    def resolve_sessions(obj):
        return list(obj.sessions.all())

    @staticmethod
    def resolve_agreement(obj):
        return getattr(obj, "agreement", None) if selectors._has(obj, "agreement") else None

    @staticmethod
    def resolve_referral_in(obj):
        return getattr(obj, "referral_in", None) if selectors._has(obj, "referral_in") else None

    @staticmethod
    def resolve_satisfaction(obj):
        return getattr(obj, "satisfaction", None) if selectors._has(obj, "satisfaction") else None

    @staticmethod
    def resolve_legal_aid(obj):
        return list(obj.legal_aid.all())

    @staticmethod
    def resolve_attachments(obj):
        return list(obj.attachments.all())

    @staticmethod
    def resolve_deadlines(obj):
        return _deadlines(obj)

    @staticmethod
    def resolve_actions(obj):
        return states.allowed_actions(obj.state)


class CasePage(Schema):
    count: int
    page: int
    pages: int
    results: list[CaseRowOut]


def _case(request, case_id: int) -> Case:
    case = selectors.case_get(user=request.user, pk=case_id)
    if case is None:
        raise Http404
    return case


def _fresh(request, case: Case) -> Case:
    return selectors.case_get(user=request.user, pk=case.pk) or case


# ----------------------------------------------------------------------------------- lists

class CaseQuery(Schema):
    org: str | None = Field(None, max_length=32, pattern=NO_NUL, description="code of a union: its subtree only")
    state: Literal[tuple(State.values)] | None = None  # type: ignore[valid-type]
    room: str | None = Field(None, max_length=32, pattern=NO_NUL, description="code of a mediation room")
    overdue: bool | None = None
    mine: bool = Field(False, description="only the cases I applied for")
    from_: Day | None = _date(alias="from", description="received on or after")
    to: Day | None = _date(description="received on or before (not before 'from', else a 422)")
    q: str = Field("", max_length=50, pattern=NO_NUL, description="case number, applicant or employer starts with")
    page: int = Field(1, ge=1, le=10**9, description=PAGE_HELP)


@router.get("/cases", response={200: CasePage, **ERRORS}, summary="Cases the caller may see, newest first, 50 a page")
def case_list(request, params: Query[CaseQuery]):
    org = org_get(user=request.user, code=params.org) if params.org else None
    room = None
    if params.room:
        room = selectors.room_get(user=request.user, code=params.room.strip().upper())
        if room is None:
            raise Http404
    if params.from_ and params.to and params.from_ > params.to:
        raise ValidationError({"from": "The period starts after it ends."})
    qs = selectors.case_list(user=request.user, org=org, state=params.state, room=room, overdue=params.overdue,
                             start=params.from_, end=params.to, text=params.q, mine=params.mine)
    return paginate(qs, params.page)


@router.get("/cases/{int:case_id}", response={200: CaseOut, **ERRORS},
            summary="One case with its claims, sessions, agreement, deadlines (ID number and mobile masked)")
def case_detail(request, case_id: int):
    return _case(request, case_id)


# ----------------------------------------------------------------------------------- intake

class CaseClaimIn(Schema):
    kind: Literal[tuple(ClaimKind.values)]  # type: ignore[valid-type]
    amount: MoneyIn
    note: str = Field("", max_length=200, pattern=NO_NUL)


class CaseIn(Schema):
    org: str = Field(..., min_length=1, max_length=32, pattern=NO_NUL,
                     description="code of the receiving union (a district or township service centre)")
    channel: Literal["online", "window"] = Field(
        "online", description="online: the worker applies for themselves; window: a cadre records an oral application")
    applicant_name: str = Field(..., max_length=50, pattern=NO_NUL)
    id_number: str = Field(..., max_length=24, pattern=NO_NUL)
    phone: str = Field("", max_length=20, pattern=NO_NUL)
    employer_name: str = Field(..., max_length=200, pattern=NO_NUL)
    employer_credit_code: str = Field("", max_length=24, pattern=NO_NUL)
    industry: str = Field("", max_length=50, pattern=NO_NUL)
    is_new_form: bool | None = None
    category: Literal["", *Category.values] = ""  # type: ignore[valid-type]
    summary: str = Field("", max_length=5000, pattern=NO_NUL, description="the matters and the reasons")
    claims: list[CaseClaimIn] = Field(..., min_length=1, max_length=20)
    employment_start: Day | None = _date()
    employment_end: Day | None = _date()
    knew_on: Day | None = _date(description="when the worker knew (or should have known) of the infringement")


def _receiving_org(request, code: str, channel: str) -> Org:
    if channel == Channel.ONLINE:
        org = Org.objects.filter(code=code.strip(), kind__in=FEDERATION_KINDS).first()
        if org is None:
            raise ValidationError({"org": "Choose the service centre of a district or township union."})
        return org
    return org_get(user=request.user, code=code)


def _case_fields(payload) -> dict:
    data = payload.dict(exclude={"org", "channel", "source", "body_name", "reference", "deadline"})
    data["claims"] = [c for c in data["claims"]]
    return data


@router.post("/cases", response={201: CaseOut, **ERRORS},
             summary="Apply for mediation (worker) or record an oral application (cadre)")
def case_open(request, payload: CaseIn):
    org = _receiving_org(request, payload.org, payload.channel)
    case = services.case_open(actor=request.user, org=org, channel=payload.channel, **_case_fields(payload))
    return Status(201, _fresh(request, case))


class ReferralIn(CaseIn):
    channel: Literal["court", "arbitration"] = Field(..., description="who entrusts the case")
    id_number: str = Field("", max_length=24, pattern=NO_NUL)
    body_name: str = Field(..., max_length=200, pattern=NO_NUL, description="the court or commission")
    reference: str = Field(..., max_length=64, pattern=NO_NUL, description="their case reference")
    deadline: Day = _date(..., description="their deadline for the mediation")


@router.post("/referrals", response={201: CaseOut, **ERRORS},
             summary="Record a case entrusted by a court (诉调对接) or an arbitration commission (裁调对接)")
def referral_in(request, payload: ReferralIn):
    org = org_get(user=request.user, code=payload.org)
    case = services.referral_in_record(
        actor=request.user, org=org, source=payload.channel, body_name=payload.body_name,
        reference=payload.reference, deadline=payload.deadline, **_case_fields(payload))
    return Status(201, _fresh(request, case))


# ------------------------------------------------------------------------------ transitions

def _user(username: str | None):
    if not username:
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationError({"mediator": "No such user."})
    return user


class TriageIn(Schema):
    room: str = Field(..., max_length=32, pattern=NO_NUL, description="code of the mediation room")
    mediator: str | None = Field(None, max_length=150, pattern=NO_NUL, description="username of a room mediator")


@router.post("/cases/{int:case_id}/triage", response={200: CaseOut, **ERRORS}, summary="Route the case to a mediation room")
def case_triage(request, case_id: int, payload: TriageIn):
    case = _case(request, case_id)
    if not selectors.can_manage(request.user, case):
        raise PermissionDenied("Only the receiving union's cadres route a case.")
    room = selectors.rooms_for_triage(user=request.user, case=case).filter(code=payload.room.strip().upper()).first()
    if room is None:
        raise ValidationError({"room": "Choose an open mediation room of the district that received the case."})
    services.case_triage(actor=request.user, case=case, room=room, mediator=_user(payload.mediator))
    return _fresh(request, case)


class HandOnIn(Schema):
    target: Literal[tuple(Target.values)]  # type: ignore[valid-type]
    target_name: str = Field("", max_length=200, pattern=NO_NUL)
    reason: str = Field(..., max_length=500, pattern=NO_NUL)


@router.post("/cases/{int:case_id}/hand-on", response={200: CaseOut, **ERRORS},
             summary="Hand the case on (arbitration, labour inspection, court) with a reason")
def case_hand_on(request, case_id: int, payload: HandOnIn):
    case = _case(request, case_id)
    services.case_hand_on(actor=request.user, case=case, **payload.dict())
    return _fresh(request, case)


class AssignIn(Schema):
    mediator: str = Field(..., max_length=150, pattern=NO_NUL, description="username of a mediator of the room")


@router.post("/cases/{int:case_id}/assign", response={200: CaseOut, **ERRORS}, summary="Choose the case's mediator")
def case_assign(request, case_id: int, payload: AssignIn):
    case = _case(request, case_id)
    services.case_assign(actor=request.user, case=case, mediator=_user(payload.mediator))
    return _fresh(request, case)


@router.post("/cases/{int:case_id}/start", response={200: CaseOut, **ERRORS}, summary="Start mediating")
def case_start(request, case_id: int):
    case = _case(request, case_id)
    services.case_start(actor=request.user, case=case)
    return _fresh(request, case)


class SessionIn(Schema):
    held_at: dt.datetime
    place: str = Field(..., max_length=200, pattern=NO_NUL)
    attendees: str = Field(..., max_length=500, pattern=NO_NUL)
    minutes: str = Field("", max_length=20000, pattern=NO_NUL)


@router.post("/cases/{int:case_id}/sessions", response={201: SessionOut, **ERRORS}, summary="Record a mediation session")
def session_record(request, case_id: int, payload: SessionIn):
    case = _case(request, case_id)
    return Status(201, services.session_record(actor=request.user, case=case, **payload.dict()))


class InstalmentIn(Schema):
    due_on: Day = _date(...)
    amount: MoneyIn


class AgreementIn(Schema):
    amount: MoneyIn
    signed_on: Day | None = _date()
    terms: str = Field("", max_length=20000, pattern=NO_NUL)
    instalments: list[InstalmentIn] = Field(default_factory=list, max_length=60,
                                            description="the schedule; none: all due on signing")


@router.post("/cases/{int:case_id}/agreement", response={200: CaseOut, **ERRORS},
             summary="Record the signed agreement and its payment schedule")
def agreement_record(request, case_id: int, payload: AgreementIn):
    case = _case(request, case_id)
    services.agreement_record(actor=request.user, case=case, amount=payload.amount, signed_on=payload.signed_on,
                              terms=payload.terms,
                              instalments=[{"due_on": i.due_on, "amount": i.amount} for i in payload.instalments])
    return _fresh(request, case)


class PaymentIn(Schema):
    amount: MoneyIn
    paid_on: Day | None = _date()
    note: str = Field("", max_length=200, pattern=NO_NUL)


@router.post("/cases/{int:case_id}/payments", response={200: CaseOut, **ERRORS},
             summary="Record a payment under the agreement (the last one makes the case paid)")
def payment_record(request, case_id: int, payload: PaymentIn):
    case = _case(request, case_id)
    services.payment_record(actor=request.user, case=case, **payload.dict())
    return _fresh(request, case)


class CaseReasonIn(Schema):
    reason: str = Field(..., max_length=500, pattern=NO_NUL)


@router.post("/cases/{int:case_id}/default", response={200: CaseOut, **ERRORS},
             summary="The employer does not pay as agreed")
def agreement_default(request, case_id: int, payload: CaseReasonIn):
    case = _case(request, case_id)
    services.agreement_default(actor=request.user, case=case, reason=payload.reason)
    return _fresh(request, case)


class FailIn(CaseReasonIn):
    failed_on: Day | None = _date()


@router.post("/cases/{int:case_id}/fail", response={200: CaseOut, **ERRORS}, summary="Mediation failed")
def case_fail(request, case_id: int, payload: FailIn):
    case = _case(request, case_id)
    services.case_fail(actor=request.user, case=case, reason=payload.reason, failed_on=payload.failed_on)
    return _fresh(request, case)


class ReferIn(Schema):
    target: Literal["", "arbitration", "court"] = Field("", description="empty: back to the entrusting body")
    target_name: str = Field("", max_length=200, pattern=NO_NUL)
    reason: str = Field("", max_length=500, pattern=NO_NUL)


@router.post("/cases/{int:case_id}/refer", response={200: CaseOut, **ERRORS},
             summary="Refer a failed or unpaid case to arbitration or court")
def case_refer(request, case_id: int, payload: ReferIn):
    case = _case(request, case_id)
    services.case_refer(actor=request.user, case=case, **payload.dict())
    return _fresh(request, case)


class WithdrawIn(Schema):
    reason: str = Field("", max_length=500, pattern=NO_NUL)


@router.post("/cases/{int:case_id}/withdraw", response={200: CaseOut, **ERRORS},
             summary="Withdraw the application (before an agreement)")
def case_withdraw(request, case_id: int, payload: WithdrawIn):
    case = _case(request, case_id)
    services.case_withdraw(actor=request.user, case=case, reason=payload.reason)
    return _fresh(request, case)


@router.post("/cases/{int:case_id}/close", response={200: CaseOut, **ERRORS}, summary="Close a concluded case")
def case_close(request, case_id: int):
    case = _case(request, case_id)
    services.case_close(actor=request.user, case=case)
    return _fresh(request, case)


# ------------------------------------------------------------------------- legal aid and more

class LegalAidIn(Schema):
    request: str = Field(..., max_length=500, pattern=NO_NUL, description="what help is needed")


@router.post("/cases/{int:case_id}/legal-aid", response={201: LegalAidOut, **ERRORS},
             summary="Ask for legal aid on a case (法律援助)")
def legal_aid_request(request, case_id: int, payload: LegalAidIn):
    case = _case(request, case_id)
    return Status(201, services.legal_aid_request(actor=request.user, case=case, request=payload.request))


@router.get("/legal-aid", response={200: list[LegalAidOut], **ERRORS}, summary="Legal-aid requests the caller may see")
def legal_aid_list(request, state: Literal["requested", "accepted", "done", "refused"] | None = None):
    return list(selectors.legal_aid_list(user=request.user, state=state)[:200])


def _aid(request, aid_id: int) -> LegalAid:
    aid = selectors.legal_aid_list(user=request.user).filter(pk=aid_id).first()
    if aid is None:
        raise Http404
    return aid


@router.post("/legal-aid/{int:aid_id}/accept", response={200: LegalAidOut, **ERRORS},
             summary="A station lawyer takes the request on")
def legal_aid_accept(request, aid_id: int):
    return services.legal_aid_accept(actor=request.user, aid=_aid(request, aid_id))


class AidFinishIn(Schema):
    note: str = Field("", max_length=500, pattern=NO_NUL)
    refuse: bool = Field(False, description="refuse a waiting request (a reason is required)")


@router.post("/legal-aid/{int:aid_id}/finish", response={200: LegalAidOut, **ERRORS},
             summary="The lawyer records the help given, or refuses with a reason")
def legal_aid_finish(request, aid_id: int, payload: AidFinishIn):
    return services.legal_aid_finish(actor=request.user, aid=_aid(request, aid_id), **payload.dict())


class AttachmentIn(Schema):
    description: str = Field("", max_length=200, pattern=NO_NUL)


@router.post("/cases/{int:case_id}/attachments", response={201: AttachmentOut, **ERRORS},
             summary="Add a document (JPEG, PNG or PDF, at most 10 MB)")
def attachment_add(request, case_id: int, file: File[UploadedFile], form: Form[AttachmentIn]):
    case = _case(request, case_id)
    return Status(201, services.attachments_add(actor=request.user, case=case, documents=[file],
                                                description=form.description)[0])


@router.get("/attachments/{int:attachment_id}", response={200: None, **ERRORS},
            summary="Download a document (only for those who may see the case)")
def attachment_download(request, attachment_id: int):
    attachment = selectors.attachment_get(user=request.user, pk=attachment_id)
    if attachment is None:
        raise Http404
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type,
                            as_attachment=True, filename=attachment.original_name)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class SatisfactionIn(Schema):
    score: int = Field(..., ge=1, le=5)
    comment: str = Field("", max_length=500, pattern=NO_NUL)


@router.post("/cases/{int:case_id}/satisfaction", response={201: SatisfactionOut, **ERRORS},
             summary="The applicant rates the service (1–5)")
def satisfaction_give(request, case_id: int, payload: SatisfactionIn):
    case = _case(request, case_id)
    return Status(201, services.satisfaction_give(actor=request.user, case=case, **payload.dict()))


# ----------------------------------------------------------------------------- rooms, dashboard

class RoomOut(Schema):
    id: int
    code: str
    name: str
    level: str
    org: str
    is_active: bool

    @staticmethod
    def resolve_org(obj):
        return obj.org.code


class RoomQuery(Schema):
    org: str | None = Field(None, max_length=32, pattern=NO_NUL, description="code of a union: its subtree only")


@router.get("/rooms", response={200: list[RoomOut], **ERRORS}, summary="Mediation rooms the caller may see")
def room_list(request, params: Query[RoomQuery]):
    scope_org = org_get(user=request.user, code=params.org) if params.org else None
    return list(selectors.room_list(user=request.user, org=scope_org)[:500])


class DashboardQuery(Schema):
    org: str = Field(..., min_length=1, max_length=32, pattern=NO_NUL)
    from_: Day | None = _date(alias="from")
    to: Day | None = _date(description="not before 'from', else a 422")


class DashboardOut(Schema):
    received: int
    settled: int
    failed: int
    success_rate: Decimal | None = Field(..., description="settled ÷ (settled + failed) in the period, percent")
    amount_claimed: Decimal
    amount_recovered: Decimal
    referred_in: int
    legal_aid: int
    new_form: int
    overdue: int
    by_claim: dict[str, dict]
    by_industry: dict[str, dict]


@router.get("/dashboard", response={200: DashboardOut, **ERRORS},
            summary="Mediation figures of a union's subtree for a period (cases it received)")
def dashboard(request, params: Query[DashboardQuery]):
    if params.from_ and params.to and params.from_ > params.to:
        raise ValidationError({"from": "The period starts after it ends."})
    org = org_get(user=request.user, code=params.org)
    return selectors.dashboard(user=request.user, org=org, start=params.from_, end=params.to)
