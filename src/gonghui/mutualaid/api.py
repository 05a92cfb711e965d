"""API of medical mutual aid (/api/v1/aid).

Plans are public to every caller; enrolments, claims, payouts, feeds and payment batches are
scoped: a union sees its subtree's; objects and unions outside answer 404.
The insurer's system posts settlement records with the bearer token of an account that holds a
cadre role on the receiving union (usually the city union); re-sending is idempotent by
settlement id. A refusal answers 422 with ``code`` = its reason code (``outside_window``,
``plan_locked``, ``not_enrolled``…; see docs/mutualaid.md); other bad input ``code`` = ``invalid``.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from gonghui.core.api import ERRORS, NO_NUL, PAGE_HELP, Day, paginate
from gonghui.core.exports import attachment
from gonghui.core.money import MoneyIn
from gonghui.core.scope import Perm
from gonghui.members.selectors import member_get, member_of_user
from gonghui.mutualaid import exports, feeds, selectors, services
from gonghui.mutualaid.models import (
    CLAIM_REFUSAL_CODES,
    ClaimStatus,
    EnrolmentBatch,
    PayoutStatus,
    Product,
    Reason,
    Relation,
)
from gonghui.orgs.selectors import org_get

router = Router(tags=["mutualaid"])
REASON_CODES = set(Reason.values)


def refusals(view):
    """Answer a service refusal as 422 with its reason code instead of the generic 'invalid'."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except ValidationError as exc:
            code = services.reason_of(exc)
            if code not in REASON_CODES or code == Reason.INVALID:
                raise
            detail = exc.message_dict if hasattr(exc, "error_dict") else " ".join(exc.messages)
            return Status(422, {"detail": detail, "code": code})

    return wrapper


def _or_404(obj):
    if obj is None:
        raise Http404
    return obj


# --- plans ------------------------------------------------------------------------------------


class TierIO(Schema):
    upto: MoneyIn | None = Field(None, description="upper bound of the eligible amount in this band "
                                                   "(null: open, last band)")
    ratio: Decimal = Field(..., gt=0, le=1, decimal_places=4, json_schema_extra={
        "pattern": r"^(0\.([1-9][0-9]{0,3}|0[1-9][0-9]{0,2}|00[1-9][0-9]?|000[1-9])|1(\.0{1,4})?)$",
        "description": "share paid in this band: decimal text above 0 and at most 1, four decimals at most"})


class PlanIn(Schema):
    product: Literal[tuple(Product.values)]  # type: ignore[valid-type]
    year: int = Field(..., ge=2000, le=2100)
    name: str = Field(..., min_length=1, max_length=100, pattern=NO_NUL)
    fee: MoneyIn
    window_start: Day
    window_end: Day
    cover_start: Day | None = None
    cover_end: Day | None = None
    eligibility: Literal["in_service", "retiree"] | None = None
    deductible: MoneyIn
    tiers: list[TierIO] = Field(..., min_length=1, max_length=10)
    yearly_cap: MoneyIn
    stay_cap: MoneyIn | None = None
    allows_dependants: bool = False


class PlanOut(Schema):
    id: int
    product: str
    year: int
    version: int
    name: str
    fee: Decimal
    window_start: dt.date
    window_end: dt.date
    cover_start: dt.date
    cover_end: dt.date
    eligibility: str
    deductible: Decimal
    tiers: list[TierIO]
    yearly_cap: Decimal
    stay_cap: Decimal | None
    allows_dependants: bool
    locked: bool = Field(..., description="members are enrolled: the plan can no longer change")

    @staticmethod
    def resolve_locked(obj):
        return obj.enrolled > 0


class PlanQuery(Schema):
    year: int | None = Field(None, ge=2000, le=2100)
    product: Literal[tuple(Product.values)] | None = None  # type: ignore[valid-type]


@router.get("/plans", response={200: list[PlanOut], **ERRORS}, summary="Plan years (all products), newest first")
def plan_list(request, params: Query[PlanQuery]):
    return list(selectors.plan_list(year=params.year, product=params.product))


@router.get("/plans/{int:plan_id}", response={200: PlanOut, **ERRORS}, summary="One plan year")
def plan_detail(request, plan_id: int):
    return _or_404(selectors.plan_get(pk=plan_id))


@router.post("/plans", response={201: PlanOut, **ERRORS}, summary="Define a plan year (city union cadres)")
@refusals
def plan_create(request, payload: PlanIn):
    fields = payload.dict()
    fields["tiers"] = [{"upto": None if t["upto"] is None else str(t["upto"]), "ratio": str(t["ratio"])}
                       for t in fields["tiers"]]
    return Status(201, services.plan_create(actor=request.user, **fields))


# --- enrolment --------------------------------------------------------------------------------


class EnrolIn(Schema):
    plan: int = Field(..., ge=1, le=2**63 - 1)
    org: str = Field(..., min_length=1, max_length=32, pattern=NO_NUL, description="code of the enrolling union")
    mode: Literal[tuple(EnrolmentBatch.Mode.values)] = "all"  # type: ignore[valid-type]
    member_ids: list[int] | None = Field(None, max_length=500_000, description="mode 'selection'")
    id_numbers: list[str] | None = Field(None, max_length=500_000, description="mode 'list' (never echoed back)")


class BatchOut(Schema):
    id: int
    plan: int = Field(..., alias="plan_id")
    org: str = Field(..., alias="org.code")
    mode: str
    enrolled_on: dt.date
    asked: int
    enrolled: int
    already: int
    refused: int
    fee_due: Decimal
    report: dict


@router.post("/enrolments", response={201: BatchOut, **ERRORS},
             summary="Enrol members of a union's subtree in a plan: all eligible, a selection, or a list of ID numbers")
@refusals
def enrol(request, payload: EnrolIn):
    org = org_get(user=request.user, code=payload.org, perm=Perm.MANAGE)
    plan = _or_404(selectors.plan_get(pk=payload.plan))
    batch = services.enrol_batch(actor=request.user, plan=plan, org=org, mode=payload.mode,
                                 member_ids=payload.member_ids, id_numbers=payload.id_numbers)
    return Status(201, batch)


class EnrolmentOut(Schema):
    id: int
    member: int = Field(..., alias="member_id")
    name: str = Field(..., alias="member.name")
    id_number: str = Field(..., alias="member.id_masked")
    plan: int = Field(..., alias="plan_id")
    product: str = Field(..., alias="plan.product")
    year: int = Field(..., alias="plan.year")
    org: str = Field(..., alias="org.code")
    enrolled_on: dt.date
    fee: Decimal


class EnrolmentPage(Schema):
    count: int
    page: int
    pages: int
    results: list[EnrolmentOut]


class EnrolmentQuery(Schema):
    org: str = Field(..., min_length=1, max_length=32, pattern=NO_NUL)
    plan: int | None = Field(None, ge=1, le=2**63 - 1)
    page: int = Field(1, ge=1, le=10**9, description=PAGE_HELP)


@router.get("/enrolments", response={200: EnrolmentPage, **ERRORS}, summary="Enrolments of a union's subtree")
def enrolment_list(request, params: Query[EnrolmentQuery]):
    org = org_get(user=request.user, code=params.org)
    plan = _or_404(selectors.plan_get(pk=params.plan)) if params.plan else None
    return paginate(selectors.enrolment_list(user=request.user, org=org, plan=plan), params.page)


# --- settlement feed --------------------------------------------------------------------------


class SettlementIn(Schema):
    settlement_id: str = Field(..., max_length=64, pattern=NO_NUL)
    id_number: str = Field(..., max_length=24, pattern=NO_NUL)
    hospital: str = Field(..., max_length=200, pattern=NO_NUL)
    admitted_on: Day
    discharged_on: Day
    total_cost: MoneyIn
    fund_paid: MoneyIn
    self_pay_in: MoneyIn
    self_pay_out: MoneyIn
    product: Literal["inpatient", "critical_illness"] = "inpatient"


class SettlementsIn(Schema):
    org: str = Field(..., min_length=1, max_length=32, pattern=NO_NUL, description="code of the receiving union")
    records: list[SettlementIn] = Field(..., min_length=1, max_length=feeds.API_MAX_RECORDS)


class SettlementResult(Schema):
    settlement_id: str
    outcome: Literal["stored", "repeated", "conflict", "invalid"]
    status: str | None = Field(None, description="received / priced / rejected (stored or repeated records)")
    code: str = Field("", description="reason code of a rejection, conflict or invalid record")
    reason: str = ""
    column: str = ""
    payout: Decimal | None = Field(None, description="amount priced for this record (yuan)")


class SettlementsOut(Schema):
    feed: int
    stored: int
    repeated: int
    invalid: int
    priced: int
    rejected: int
    results: list[SettlementResult]


def _reason(code: str) -> str:
    return str(Reason(code).label) if code in REASON_CODES else ""


@router.post("/settlements", response={200: SettlementsOut, **ERRORS},
             summary="The insurer sends settlement records (idempotent by settlement_id); they are priced at once")
def settlements_receive(request, payload: SettlementsIn):
    org = org_get(user=request.user, code=payload.org, perm=Perm.MANAGE)
    records = [{k: (str(v) if not isinstance(v, str) else v) for k, v in r.dict().items()} for r in payload.records]
    feed, result = feeds.feed_receive_api(actor=request.user, org=org, records=records)
    ids = [line.settlement_id for line in result.lines if line.outcome in ("stored", "repeated")]
    from gonghui.mutualaid.models import SettlementRecord

    state = {sid: (status, code, amount) for sid, status, code, amount in SettlementRecord.objects.filter(
        settlement_id__in=ids).values_list("settlement_id", "status", "reason_code", "payout__amount")}
    out = []
    for line in result.lines:
        status, code, amount = state.get(line.settlement_id, (None, line.code, None))
        if line.outcome in ("invalid", "conflict"):
            status, code, amount = None, line.code, None
        out.append({"settlement_id": line.settlement_id, "outcome": line.outcome, "status": status, "code": code,
                    "reason": line.message or _reason(code), "column": line.column, "payout": amount})
    return {"feed": feed.pk, "stored": result.stored, "repeated": result.repeated,
            "invalid": result.invalid + result.conflicts, "priced": feed.priced, "rejected": feed.rejected,
            "results": out}


class FeedOut(Schema):
    id: int
    org: str = Field(..., alias="org.code")
    source: str
    filename: str
    status: str
    rows: int
    stored: int
    repeated: int
    invalid: int
    priced: int
    rejected: int
    paid_amount: Decimal
    reasons: dict[str, int]
    report: dict
    created_at: dt.datetime
    finished_at: dt.datetime | None

    @staticmethod
    def resolve_reasons(obj):
        return selectors.feed_reasons(feed=obj)


@router.get("/feeds/{int:feed_id}", response={200: FeedOut, **ERRORS}, summary="One delivery of settlement records")
def feed_detail(request, feed_id: int):
    return _or_404(selectors.feed_get(user=request.user, pk=feed_id))


# --- claims -----------------------------------------------------------------------------------


class ClaimIn(Schema):
    member: int | None = Field(None, ge=1, le=2**63 - 1, description="the member (cadres); omitted: the caller")
    product: Literal["inpatient", "critical_illness"] = "inpatient"
    relation: Literal[tuple(Relation.values)] = "self"  # type: ignore[valid-type]
    patient_name: str = Field("", max_length=50, pattern=NO_NUL)
    patient_id_number: str = Field("", max_length=24, pattern=NO_NUL)
    hospital: str = Field(..., max_length=200, pattern=NO_NUL)
    admitted_on: Day
    discharged_on: Day
    total_cost: MoneyIn
    fund_paid: MoneyIn
    self_pay_in: MoneyIn
    self_pay_out: MoneyIn


class ClaimOut(Schema):
    id: int
    member: int = Field(..., alias="member_id")
    plan: int = Field(..., alias="plan_id")
    org: str = Field(..., alias="org.code")
    relation: str
    patient_name: str
    patient_id_number: str = Field(..., alias="patient_masked")
    hospital: str
    admitted_on: dt.date
    discharged_on: dt.date
    total_cost: Decimal
    fund_paid: Decimal
    self_pay_in: Decimal
    self_pay_out: Decimal
    status: str
    reason_code: str
    reason: str
    documents: list[str]
    filed_at: dt.datetime
    reviewed_at: dt.datetime | None
    payout: int | None = None

    @staticmethod
    def resolve_documents(obj):
        return list(obj.documents.order_by("kind", "pk").values_list("kind", flat=True))

    @staticmethod
    def resolve_payout(obj):
        return getattr(getattr(obj, "payout", None), "pk", None)


@router.post("/claims", response={201: ClaimOut, **ERRORS},
             summary="File a claim (multipart: the fields as form data, and files invoice, itemised_bill, "
                     "discharge_summary, relationship for a parent or child)")
@refusals
def claim_create(request, payload: Form[ClaimIn], invoice: File[UploadedFile],
                 itemised_bill: File[UploadedFile], discharge_summary: File[UploadedFile],
                 relationship: File[UploadedFile] = None):
    if payload.member is None:
        member = member_of_user(user=request.user)
    else:
        member = member_get(user=request.user, pk=payload.member, perm=Perm.MANAGE)
        own = member_of_user(user=request.user)
        if member is None and own is not None and own.pk == payload.member:
            member = own
    if member is None:
        raise Http404
    docs = [("invoice", invoice), ("itemised_bill", itemised_bill), ("discharge_summary", discharge_summary)]
    if relationship is not None:
        docs.append(("relationship", relationship))
    fields = payload.dict(exclude={"member"})
    claim = services.claim_file(actor=request.user, member=member, documents=docs, **fields)
    return Status(201, claim)


class ClaimQuery(Schema):
    org: str = Field(..., min_length=1, max_length=32, pattern=NO_NUL)
    status: Literal[tuple(ClaimStatus.values)] | None = "submitted"  # type: ignore[valid-type]
    page: int = Field(1, ge=1, le=10**9, description=PAGE_HELP)


class ClaimPage(Schema):
    count: int
    page: int
    pages: int
    results: list[ClaimOut]


@router.get("/claims", response={200: ClaimPage, **ERRORS}, summary="Claims of a union's subtree (waiting ones first)")
def claim_list(request, params: Query[ClaimQuery]):
    org = org_get(user=request.user, code=params.org)
    return paginate(selectors.claim_queue(user=request.user, org=org, status=params.status), params.page)


@router.get("/claims/mine", response={200: list[ClaimOut], **ERRORS}, summary="The caller's own claims")
def claim_mine(request):
    member = member_of_user(user=request.user)
    return list(selectors.claims_of_member(member=member)) if member else []


@router.get("/claims/{int:claim_id}", response={200: ClaimOut, **ERRORS}, summary="One claim")
def claim_detail(request, claim_id: int):
    return _or_404(selectors.claim_get(user=request.user, pk=claim_id))


@router.post("/claims/{int:claim_id}/approve", response={200: ClaimOut, **ERRORS},
             summary="Approve a claim: priced by the plan's rule against the patient's yearly ledger")
@refusals
def claim_approve(request, claim_id: int):
    claim = _or_404(selectors.claim_get(user=request.user, pk=claim_id))
    services.claim_approve(actor=request.user, claim=claim)
    return selectors.claim_get(user=request.user, pk=claim_id)


class RefuseIn(Schema):
    code: Literal[tuple(str(c) for c in CLAIM_REFUSAL_CODES)]  # type: ignore[valid-type]
    reason: str = Field("", max_length=200, pattern=NO_NUL, description="shown to the member (required for 'other')")


@router.post("/claims/{int:claim_id}/refuse", response={200: ClaimOut, **ERRORS},
             summary="Refuse a claim with a reason code and a sentence for the member")
@refusals
def claim_refuse(request, claim_id: int, payload: RefuseIn):
    claim = _or_404(selectors.claim_get(user=request.user, pk=claim_id))
    services.claim_refuse(actor=request.user, claim=claim, code=payload.code, reason=payload.reason)
    return selectors.claim_get(user=request.user, pk=claim_id)


# --- payouts ----------------------------------------------------------------------------------


class PayoutOut(Schema):
    id: int
    member: int = Field(..., alias="member_id")
    name: str = Field(..., alias="member.name")
    id_number: str = Field(..., alias="member.id_masked")
    plan: int = Field(..., alias="plan_id")
    product: str
    org_path: str
    source: Literal["settlement", "claim"]
    settlement_id: str | None
    claim: int | None = Field(..., alias="claim_id")
    self_pay_in: Decimal
    paid_before: Decimal
    amount: Decimal
    status: str
    decided_on: dt.date
    paid_on: dt.date | None

    @staticmethod
    def resolve_source(obj):
        return "settlement" if obj.settlement_id else "claim"

    @staticmethod
    def resolve_settlement_id(obj):
        return obj.settlement.settlement_id if obj.settlement_id else None


class PayoutDetailOut(PayoutOut):
    explanation: list[str] = Field(..., description="the rule applied, step by step, in the caller's language")
    steps: list[dict]

    @staticmethod
    def resolve_explanation(obj):
        return selectors.payout_explanation(payout=obj)["lines"]

    @staticmethod
    def resolve_steps(obj):
        return selectors.payout_explanation(payout=obj)["steps"]


class PayoutQuery(Schema):
    org: str = Field(..., min_length=1, max_length=32, pattern=NO_NUL)
    status: Literal[tuple(PayoutStatus.values)] | None = None  # type: ignore[valid-type]
    page: int = Field(1, ge=1, le=10**9, description=PAGE_HELP)


class PayoutPage(Schema):
    count: int
    page: int
    pages: int
    results: list[PayoutOut]


@router.get("/payouts", response={200: PayoutPage, **ERRORS}, summary="Payouts of a union's subtree, newest first")
def payout_list(request, params: Query[PayoutQuery]):
    org = org_get(user=request.user, code=params.org)
    return paginate(selectors.payout_list(user=request.user, org=org, status=params.status), params.page)


@router.get("/payouts/mine", response={200: list[PayoutOut], **ERRORS}, summary="The caller's own payouts")
def payout_mine(request):
    member = member_of_user(user=request.user)
    return list(selectors.payouts_of_member(member=member)) if member else []


@router.get("/payouts/{int:payout_id}", response={200: PayoutDetailOut, **ERRORS},
            summary="One payout with the rule applied step by step")
def payout_detail(request, payout_id: int):
    return _or_404(selectors.payout_get(user=request.user, pk=payout_id))


# --- payment batches --------------------------------------------------------------------------


class PaymentBatchIn(Schema):
    org: str = Field(..., min_length=1, max_length=32, pattern=NO_NUL)
    idempotency_key: str = Field("", max_length=64, pattern=NO_NUL,
                                 description="the same key for the same union returns the batch made the first time")


class PaymentBatchOut(Schema):
    id: int
    org: str = Field(..., alias="org.code")
    status: str
    lines: int
    total: Decimal
    retry_of: int | None = Field(..., alias="retry_of_id")
    idempotency_key: str
    created_at: dt.datetime
    closed_at: dt.datetime | None
    paid: int
    failed: int
    pending: int

    @staticmethod
    def resolve_paid(obj):
        return obj.payment_lines.filter(status="paid").count()

    @staticmethod
    def resolve_failed(obj):
        return obj.payment_lines.filter(status="failed").count()

    @staticmethod
    def resolve_pending(obj):
        return obj.payment_lines.filter(status="pending").count()


@router.post("/payment-batches", response={201: PaymentBatchOut, **ERRORS},
             summary="Put the union's due payouts into a batch for the bank")
@refusals
def payment_batch_create(request, payload: PaymentBatchIn):
    org = org_get(user=request.user, code=payload.org, perm=Perm.MANAGE)
    return Status(201, services.payment_batch_create(actor=request.user, org=org,
                                                     idempotency_key=payload.idempotency_key))


@router.get("/payment-batches/{int:batch_id}", response={200: PaymentBatchOut, **ERRORS}, summary="One payment batch")
def payment_batch_detail(request, batch_id: int):
    return _or_404(selectors.payment_batch_get(user=request.user, pk=batch_id))


class ExportQuery(Schema):
    format: Literal["xlsx", "csv"] = "xlsx"


@router.get("/payment-batches/{int:batch_id}/export", response={200: None, **ERRORS},
            summary="The batch as a file for the bank (XLSX or CSV)")
def payment_batch_export(request, batch_id: int, params: Query[ExportQuery]):
    batch = _or_404(selectors.payment_batch_get(user=request.user, pk=batch_id))
    content, name, ctype = exports.payment_batch_export(actor=request.user, batch=batch, fmt=params.format)
    return attachment(content, filename=name, content_type=ctype)


class SettleIn(Schema):
    failed: dict[int, str] = Field(default_factory=dict, description="payout id → the bank's reason")
    paid: list[int] | None = Field(None, description="payout ids paid; null: every other pending line")


@router.post("/payment-batches/{int:batch_id}/settle", response={200: PaymentBatchOut, **ERRORS},
             summary="Record the bank's answer: failed payouts with reasons, the others paid")
@refusals
def payment_batch_settle(request, batch_id: int, payload: SettleIn):
    batch = _or_404(selectors.payment_batch_get(user=request.user, pk=batch_id))
    return services.payment_batch_settle(actor=request.user, batch=batch, failed=payload.failed, paid=payload.paid)


class RetryIn(Schema):
    idempotency_key: str = Field("", max_length=64, pattern=NO_NUL)


@router.post("/payment-batches/{int:batch_id}/retry", response={201: PaymentBatchOut, **ERRORS},
             summary="A new batch with the payouts that failed in this one")
@refusals
def payment_batch_retry(request, batch_id: int, payload: RetryIn):
    batch = _or_404(selectors.payment_batch_get(user=request.user, pk=batch_id))
    return Status(201, services.payment_batch_retry(actor=request.user, batch=batch,
                                                    idempotency_key=payload.idempotency_key))
