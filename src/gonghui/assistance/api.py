"""API of hardship help (/api/v1/hardship).

Files, programmes and disbursement lists are scoped: a union sees its subtree's; an object outside
answers 404 like an unknown one, a union outside 404 (403 when read but not managed). A household's
incomes and ID numbers are masked in every answer; ``GET /files/{id}/household`` reveals them to roles
that may (cadres), with an audit line. Amounts are decimal text. Every schema is named ``Hardship…``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from gonghui.assistance import rules, selectors, services, texts
from gonghui.assistance.models import (
    DocumentKind,
    FileStatus,
    Grade,
    Programme,
    ProgrammeKind,
    RefusalCode,
    Relation,
    VisitKind,
)
from gonghui.core.api import ERRORS, NO_NUL, paginate
from gonghui.core.money import MoneyIn
from gonghui.core.paths import subtree_q
from gonghui.core.scope import Perm, scope_for
from gonghui.members.selectors import member_get, member_of_user
from gonghui.orgs.selectors import org_get

router = Router(tags=["hardship"])
ID = Field(..., ge=1, le=2**31 - 1)


def _or_404(obj):
    if obj is None:
        raise Http404
    return obj


class HardshipPersonIn(Schema):
    name: str = Field(..., min_length=1, max_length=50, pattern=NO_NUL)
    relation: Literal[tuple(v for v in Relation.values if v != "self")]  # type: ignore[valid-type]
    id_number: str = Field(..., max_length=24, pattern=NO_NUL)
    work: str = Field("", max_length=100, pattern=NO_NUL)
    income_source: str = Field("", max_length=100, pattern=NO_NUL)
    yearly_income: MoneyIn | None = None


class HardshipCostIn(Schema):
    kind: Literal["illness", "disability", "schooling", "other"]
    amount: MoneyIn
    note: str = Field("", max_length=100, pattern=NO_NUL)


class HardshipFlagsIn(Schema):
    accident: Literal["", "disaster", "accident", "work_injury", "work_death"] = ""
    homes: int = Field(1, ge=0, le=50)
    owns_business: bool = False
    private_school_fee: MoneyIn | None = None
    public_school_fee: MoneyIn | None = None
    abroad_self_paid: bool = False
    migrant: bool = False
    employed_months: int = Field(0, ge=0, le=600)


class HardshipFiguresIn(Schema):
    income: MoneyIn = Field(..., description="the member's own yearly income (yuan)")
    household: list[HardshipPersonIn] = Field([], max_length=19, description="the other people of the household")
    costs: list[HardshipCostIn] = Field([], max_length=20)
    flags: HardshipFlagsIn = Field(default_factory=HardshipFlagsIn)


class HardshipApplyIn(HardshipFiguresIn):
    member: int | None = Field(None, ge=1, le=2**31 - 1, description="the member filed for (cadres); none: myself")
    cause: str = Field("", max_length=200, pattern=NO_NUL)


def _figures(payload: HardshipFiguresIn) -> dict:
    data = payload.dict()
    return {"income": str(data["income"]),
            "household": [{**p, "yearly_income": str(p["yearly_income"] or 0)} for p in data["household"]],
            "costs": [{**c, "amount": str(c["amount"])} for c in data["costs"]],
            "flags": {**data["flags"], "private_school_fee": str(data["flags"]["private_school_fee"] or 0),
                      "public_school_fee": str(data["flags"]["public_school_fee"] or 0)}}


class HardshipGradingOut(Schema):
    grade: str
    grade_label: str
    rule: str
    per_capita: Decimal
    standard: Decimal
    exclusions: list[str]
    working: list[str] = Field(..., description="the working as sentences")


def _grading_out(result) -> dict:
    data = result.as_json()
    return {"grade": data["grade"], "grade_label": str(Grade(data["grade"]).label), "rule": data["rule"],
            "per_capita": Decimal(data["per_capita"]), "standard": Decimal(data["standard"]),
            "exclusions": data["exclusions"], "working": texts.explain(data)}


class HardshipSelfTestIn(Schema):
    income: MoneyIn = Field(..., description="the household's yearly disposable income")
    household_size: int = Field(..., ge=1, le=20)
    costs: MoneyIn | None = None


@router.post("/self-test", response={200: HardshipGradingOut, **ERRORS},
             summary="Self-test: may my household qualify? (nothing is written)")
def self_test(request, payload: HardshipSelfTestIn):
    member = member_of_user(user=request.user)
    path = member.org_path if member else ""
    return _grading_out(services.self_test(org_path=path, income=str(payload.income),
                                           household_size=payload.household_size, costs=str(payload.costs or 0)))


class HardshipFileOut(Schema):
    id: int
    member: int = Field(..., alias="member_id")
    name: str = Field(..., alias="member.name")
    id_number: str = Field(..., alias="member.id_masked")
    org: str = Field(..., alias="org.code")
    episode: int
    status: str
    status_label: str
    grade: str
    per_capita: Decimal | None = Field(None, description="masked (null) unless the caller may reveal")
    standard: Decimal | None
    applied_on: dt.date
    notice_end: dt.date | None
    filed_on: dt.date | None
    review_due: dt.date | None
    closed_on: dt.date | None
    reason: str = Field(..., alias="close_reason")

    @staticmethod
    def resolve_status_label(obj):
        return str(FileStatus(obj.status).label)


class HardshipFilePage(Schema):
    count: int
    page: int
    pages: int
    results: list[HardshipFileOut]


class HardshipFileQuery(Schema):
    org: str | None = Field(None, max_length=32, pattern=NO_NUL)
    status: Literal[tuple(FileStatus.values)] | None = None  # type: ignore[valid-type]
    grade: Literal[tuple(Grade.values)] | None = None  # type: ignore[valid-type]
    queue: Literal["submitted", "notice", "approval", "review"] | None = None
    page: int = Field(1, ge=1, le=10**9)


def _masked(user, files):
    """Per-capita income is a household detail: shown to roles that may reveal, null to viewers."""
    reveal = scope_for(user, Perm.REVEAL)
    for f in files:
        if not reveal.covers(f.org_path):
            f.per_capita = None
    return files


@router.get("/files", response={200: HardshipFilePage, **ERRORS}, summary="Hardship files of the caller's subtree")
def file_list(request, params: Query[HardshipFileQuery]):
    qs = selectors.file_list(request.user, status=params.status or "", grade=params.grade or "",
                             queue=params.queue or "")
    if params.org:
        org = org_get(user=request.user, code=params.org)
        qs = qs.filter(subtree_q(org.path, "org_path"))
    page = paginate(qs, params.page)
    page["results"] = _masked(request.user, page["results"])
    return page


@router.post("/files", response={201: HardshipFileOut, **ERRORS},
             summary="Apply for a file (for myself, or a cadre for a member of the union)")
def file_apply(request, payload: HardshipApplyIn):
    if payload.member:
        member = _or_404(member_get(user=request.user, pk=payload.member, perm=Perm.MANAGE))
    else:
        member = member_of_user(user=request.user)
        if member is None:
            raise ValidationError({"member": _("Only a member of a union can be filed.")})
    f = services.file_apply(actor=request.user, member=member, cause=payload.cause, **_figures(payload))
    return Status(201, _masked(request.user, [f])[0])


@router.get("/my/files", response={200: list[HardshipFileOut], **ERRORS}, summary="My own files and their status")
def my_files(request):
    return list(selectors.my_files(request.user).select_related("member", "org"))


class HardshipPersonOut(Schema):
    name: str
    relation: str
    id_number: str
    work: str
    income_source: str
    yearly_income: Decimal | None


class HardshipFileDetailOut(HardshipFileOut):
    cause: str
    household: list[HardshipPersonOut] = Field(..., description="ID numbers masked, incomes null")
    gradings: list[HardshipGradingOut] = Field(..., description="empty unless the caller may reveal")
    objections: list[str]
    approvals: int
    approvals_required: int
    documents: list[str]

    @staticmethod
    def resolve_household(obj):
        return [{"name": p.name, "relation": p.relation, "id_number": p.id_masked, "work": p.work,
                 "income_source": p.income_source, "yearly_income": None} for p in obj.household.order_by("pk")]

    @staticmethod
    def resolve_gradings(obj):
        if obj.per_capita is None:
            return []
        return [_grading_out(rules.Grading(g.grade, g.rule, g.per_capita, g.standard,
                                           tuple(g.working.get("exclusions", [])), tuple(g.working.get("steps", []))))
                for g in obj.gradings.all()]

    @staticmethod
    def resolve_objections(obj):
        return list(obj.objections.values_list("text", flat=True))

    @staticmethod
    def resolve_approvals(obj):
        return obj.approvals.count()

    @staticmethod
    def resolve_documents(obj):
        return list(obj.documents.values_list("kind", flat=True))


def _detail(user, f):
    return _masked(user, [f])[0]


@router.get("/files/{int:file_id}", response={200: HardshipFileDetailOut, **ERRORS}, summary="One file")
def file_detail(request, file_id: int):
    return _detail(request.user, selectors.file_get(request.user, file_id))


@router.get("/files/{int:file_id}/household", response={200: list[HardshipPersonOut], **ERRORS},
            summary="The household in full (ID numbers, incomes); audited, for roles that may reveal")
def file_household(request, file_id: int):
    return services.file_reveal(actor=request.user, file=selectors.file_get(request.user, file_id))


@router.post("/files/{int:file_id}/documents", response={201: list[str], **ERRORS},
             summary="Attach a document (unit certificate, medical bills, 低保 certificate…)")
def file_document(request, file_id: int, kind: Form[Literal[tuple(DocumentKind.values)]],  # type: ignore[valid-type]
                  upload: File[UploadedFile]):
    f = selectors.file_get(request.user, file_id) if request.user.is_authenticated else None
    if f is None:
        raise Http404
    docs = services.file_add_documents(actor=request.user, file=f, documents=[(kind, upload)])
    return Status(201, [d.kind for d in docs])


def _act(request, file_id: int, call, **kwargs):
    f = selectors.file_get(request.user, file_id)
    call(actor=request.user, file=f, **kwargs)
    return _detail(request.user, selectors.file_get(request.user, file_id))


@router.post("/files/{int:file_id}/notice", response={200: HardshipFileDetailOut, **ERRORS},
             summary="Start the public notice (公示)")
def file_notice(request, file_id: int):
    return _act(request, file_id, services.file_start_notice)


class HardshipTextIn(Schema):
    text: str = Field(..., min_length=1, max_length=500, pattern=NO_NUL)


@router.post("/files/{int:file_id}/objections", response={200: HardshipFileDetailOut, **ERRORS},
             summary="Record an objection raised during the notice")
def file_objection(request, file_id: int, payload: HardshipTextIn):
    return _act(request, file_id, services.file_object, text=payload.text)


@router.post("/files/{int:file_id}/approve", response={200: HardshipFileDetailOut, **ERRORS},
             summary="Approve after the notice (the union above)")
def file_approve(request, file_id: int):
    return _act(request, file_id, services.file_approve)


class HardshipRefuseIn(Schema):
    code: Literal[tuple(RefusalCode.values)]  # type: ignore[valid-type]
    reason: str = Field(..., min_length=1, max_length=200, pattern=NO_NUL)


@router.post("/files/{int:file_id}/refuse", response={200: HardshipFileDetailOut, **ERRORS},
             summary="Refuse with a reason code and a sentence the worker sees")
def file_refuse(request, file_id: int, payload: HardshipRefuseIn):
    return _act(request, file_id, services.file_refuse, code=payload.code, reason=payload.reason)


@router.post("/files/{int:file_id}/review", response={200: HardshipFileDetailOut, **ERRORS},
             summary="Yearly review: grade again from fresh figures")
def file_review(request, file_id: int, payload: HardshipFiguresIn):
    return _act(request, file_id, services.file_review, **_figures(payload))


class HardshipVisitIn(Schema):
    visited_on: dt.date
    kind: Literal[tuple(VisitKind.values)] = "regular"  # type: ignore[valid-type]
    visitors: str = Field(..., min_length=1, max_length=200, pattern=NO_NUL)
    persons: int = Field(1, ge=1, le=20)
    brought: str = Field("", max_length=200, pattern=NO_NUL)
    found: str = Field("", max_length=500, pattern=NO_NUL)
    follow_up: str = Field("", max_length=500, pattern=NO_NUL)
    per_capita: MoneyIn | None = Field(None, description="the month's per-capita income, if learnt")


@router.post("/files/{int:file_id}/visits", response={200: HardshipFileDetailOut, **ERRORS},
             summary="Record a visit (走访, 夜访)")
def file_visit(request, file_id: int, payload: HardshipVisitIn):
    data = payload.dict()
    data["per_capita"] = None if data["per_capita"] is None else str(data["per_capita"])
    return _act(request, file_id, services.visit_record, **data)


class HardshipReasonIn(Schema):
    reason: str = Field("", max_length=200, pattern=NO_NUL)


@router.post("/files/{int:file_id}/lift-out", response={200: HardshipFileDetailOut, **ERRORS},
             summary="脱困: six consecutive months above the 低保 standard")
def file_lift_out(request, file_id: int, payload: HardshipReasonIn):
    return _act(request, file_id, services.file_lift_out, reason=payload.reason)


@router.post("/files/{int:file_id}/relieve", response={200: HardshipFileDetailOut, **ERRORS},
             summary="解困: handed to government 兜底")
def file_relieve(request, file_id: int, payload: HardshipReasonIn):
    return _act(request, file_id, services.file_relieve, reason=payload.reason)


@router.post("/files/{int:file_id}/pause", response={200: HardshipFileDetailOut, **ERRORS}, summary="Pause a file")
def file_pause(request, file_id: int, payload: HardshipReasonIn):
    return _act(request, file_id, services.file_pause, reason=payload.reason)


@router.post("/files/{int:file_id}/resume", response={200: HardshipFileDetailOut, **ERRORS},
             summary="Resume a paused file")
def file_resume(request, file_id: int):
    return _act(request, file_id, services.file_resume)


# --- help -----------------------------------------------------------------------------------------


class HardshipProgrammeIn(Schema):
    org: str = Field(..., min_length=1, max_length=32, pattern=NO_NUL)
    kind: Literal[tuple(ProgrammeKind.values)]  # type: ignore[valid-type]
    name: str = Field(..., min_length=1, max_length=100, pattern=NO_NUL)
    cycle: int = Field(..., ge=2000, le=2100)
    budget: MoneyIn
    amount_rule: Literal[tuple(Programme.AmountRule.values)]  # type: ignore[valid-type]
    amounts: dict[Literal["deep", "relative", "accident", "other"], MoneyIn] = {}
    min_amount: MoneyIn | None = None
    max_amount: MoneyIn | None = None
    open_to: Literal[tuple(Programme.OpenTo.values)] = "filed"  # type: ignore[valid-type]


class HardshipProgrammeOut(Schema):
    id: int
    org: str = Field(..., alias="org.code")
    kind: str
    name: str
    cycle: int
    budget: Decimal
    remaining: Decimal
    amount_rule: str
    amounts: dict[str, str]
    min_amount: Decimal | None
    max_amount: Decimal | None
    open_to: str


@router.get("/programmes", response={200: list[HardshipProgrammeOut], **ERRORS}, summary="Help programmes")
def programme_list(request):
    return list(selectors.programmes_for(request.user).select_related("org")[:200])


@router.post("/programmes", response={201: HardshipProgrammeOut, **ERRORS}, summary="Add a help programme")
def programme_create(request, payload: HardshipProgrammeIn):
    data = payload.dict()
    org = org_get(user=request.user, code=data.pop("org"), perm=Perm.MANAGE)
    data["amounts"] = {k: str(v) for k, v in data["amounts"].items()}
    return Status(201, services.programme_create(actor=request.user, org=org, **data))


class HardshipLineIn(Schema):
    file: int | None = Field(None, ge=1, le=2**31 - 1)
    member: int | None = Field(None, ge=1, le=2**31 - 1)
    amount: MoneyIn | None = None
    students: int = Field(0, ge=0, le=10)


class HardshipListIn(Schema):
    lines: list[HardshipLineIn] = Field(..., min_length=1, max_length=5000)
    idempotency_key: str = Field("", max_length=64, pattern=NO_NUL)


class HardshipGrantOut(Schema):
    id: int
    file: int | None = Field(None, alias="file_id")
    member: int = Field(..., alias="member_id")
    amount: Decimal
    status: str
    students: int
    paid_on: dt.date | None
    failure: str


class HardshipListOut(Schema):
    id: int
    programme: int = Field(..., alias="programme_id")
    status: str
    total: Decimal
    approved_on: dt.date | None
    grants: list[HardshipGrantOut]

    @staticmethod
    def resolve_grants(obj):
        return list(obj.grants.order_by("pk"))


@router.post("/programmes/{int:programme_id}/lists", response={201: HardshipListOut, **ERRORS},
             summary="Draft a disbursement list (the same key returns the first list)")
def list_create(request, programme_id: int, payload: HardshipListIn):
    programme = selectors.programme_get(request.user, programme_id)
    lines = [{**line, "amount": None if line["amount"] is None else str(line["amount"])}
             for line in payload.dict()["lines"]]
    return Status(201, services.disbursement_create(actor=request.user, programme=programme, lines=lines,
                                                    idempotency_key=payload.idempotency_key))


@router.get("/lists/{int:list_id}", response={200: HardshipListOut, **ERRORS}, summary="One disbursement list")
def list_detail(request, list_id: int):
    return selectors.disbursement_get(request.user, list_id)


@router.post("/lists/{int:list_id}/approve", response={200: HardshipListOut, **ERRORS},
             summary="Approve a list: its total is taken from the budget (once)")
def list_approve(request, list_id: int):
    return services.disbursement_approve(actor=request.user,
                                         disbursement=selectors.disbursement_get(request.user, list_id))


class HardshipPayIn(Schema):
    method: Literal["bank", "cash"] = "bank"
    failed: dict[int, str] = Field({}, description="grant id → the bank's reason")


class HardshipPaidOut(Schema):
    paid: int = Field(..., description="lines paid by this call (0 when a retry finds them paid)")


@router.post("/lists/{int:list_id}/pay", response={200: HardshipPaidOut, **ERRORS},
             summary="Mark the list paid (failed lines with their reason); never pays a line twice")
def list_pay(request, list_id: int, payload: HardshipPayIn):
    dl = selectors.disbursement_get(request.user, list_id)
    return {"paid": services.disbursement_pay(actor=request.user, disbursement=dl, failed=payload.failed,
                                              method=payload.method)}


class HardshipNoticeOut(Schema):
    name: str = Field(..., description="masked: the family name only")
    org: str
    grade: str
    notice_end: dt.date


@router.get("/notices", response={200: list[HardshipNoticeOut], **ERRORS},
            summary="Public notice board (公示), names masked: a union's (cadres) or my district's (members)")
def notices(request, org: str | None = Query(None, max_length=32, pattern=NO_NUL)):
    if org:
        path = org_get(user=request.user, code=org).path
    else:
        member = _or_404(member_of_user(user=request.user))
        path = texts.district_path(member.org_path)
    return [{"name": texts.mask_name(f.member.name), "org": f.org.name, "grade": str(Grade(f.grade).label),
             "notice_end": f.notice_end} for f in selectors.notice_board(path)[:200]]
