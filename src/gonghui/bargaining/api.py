"""API of collective bargaining (/api/v1/bargaining).

Rounds with where they stand (the next step, its deadline, whether it is overdue and what happens
when it passes), each step as a POST; contracts with what they cover, their grades and renewals;
coverage figures of a subtree on a day. A round, a contract or a union outside the caller's subtree
answers 404 like an unknown one. Amounts are decimal strings in yuan.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.http import Http404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from gonghui.bargaining import figures, selectors, services, words
from gonghui.bargaining.models import (
    Contract,
    ContractKind,
    Round,
    RoundState,
    Scope,
    Side,
    SkillFactor,
    VoteBody,
)
from gonghui.core.api import ERRORS, NO_NUL, paginate
from gonghui.core.money import MoneyIn
from gonghui.core.scope import Perm
from gonghui.orgs.selectors import org_get

router = Router(tags=["bargaining"])

DATE_MIN, DATE_MAX = dt.date(1950, 1, 1), dt.date(2999, 12, 31)
Kind = Literal[tuple(ContractKind.values)]  # type: ignore[valid-type]
ScopeKind = Literal[tuple(Scope.values)]  # type: ignore[valid-type]


def _date(default=None, **kwargs):
    return Field(default, ge=DATE_MIN, le=DATE_MAX, **kwargs)


def _today() -> dt.date:
    return timezone.localdate()


# ---------------------------------------------------------------------------------- output

class BargainingDueOut(Schema):
    step: str = Field(..., description="offer, reply, talks, vote, sign, file, review or announce")
    step_label: str
    due: dt.date | None = Field(None, description="the last day the law gives (None: no period)")
    overdue: bool
    period: str = Field(..., description="what the law gives this step")
    consequence: str = Field(..., description="what happens when the period passes")


class BargainingVoteOut(Schema):
    id: int
    body: str
    held_on: dt.date
    eligible: int
    present: int
    in_favour: int
    against: int
    abstained: int
    passed: bool


class BargainingRoundOut(Schema):
    id: int
    org: str
    title: str
    kind: str
    scope: str
    employer: str
    workers: int
    state: str
    offered_by: str
    offered_on: dt.date
    replied_on: dt.date | None
    talks_on: dt.date | None
    voted_on: dt.date | None
    signed_on: dt.date | None
    filed_on: dt.date | None
    cleared_on: dt.date | None
    objected_on: dt.date | None
    objection: str
    announced_on: dt.date | None
    contract: str | None = Field(None, description="the number of the contract signed")
    renews: str | None = Field(None, description="the number of the contract this round renews")
    waiting: BargainingDueOut | None = None
    deadlines: dict[str, dt.date] = Field(default_factory=dict)
    calendar_known: bool = True
    votes: list[BargainingVoteOut] = Field(default_factory=list)


class BargainingRoundPage(Schema):
    count: int
    page: int
    pages: int
    results: list[BargainingRoundOut]


class ContractCoverageRowOut(Schema):
    org: str
    name: str
    workers: int


class ContractGradeOut(Schema):
    rank: int
    name: str
    monthly_pay: Decimal
    criteria: str


class ContractOut(Schema):
    id: int
    number: str
    org: str
    title: str
    kind: str
    scope: str
    employer: str
    union_signatory: str
    employer_signatory: str
    signed_on: dt.date
    starts_on: dt.date
    ends_on: dt.date
    filed_on: dt.date | None
    effective_on: dt.date | None
    announced_on: dt.date | None
    terminated_on: dt.date | None
    in_force: bool
    wage_growth_pct: Decimal | None
    minimum_wage: Decimal | None
    skill_factors: list[str]
    workers: int
    renews: str | None = None
    renewed_by: str | None = None
    coverage: list[ContractCoverageRowOut] = Field(default_factory=list)
    grades: list[ContractGradeOut] = Field(default_factory=list)


class ContractPage(Schema):
    count: int
    page: int
    pages: int
    results: list[ContractOut]


class ContractCoverageOut(Schema):
    org: str
    on: dt.date
    contracts_in_force: int
    by_kind: dict[str, int]
    enterprises: int
    unionised_enterprises: int
    rate: Decimal | None = Field(None, description="percentage, one decimal; null when the subtree has no enterprise union")
    workers: int
    skill_wage_enterprises: int
    skill_wage_workers: int
    expiring_30: int
    expiring_60: int
    expiring_90: int


def _round_out(row: Round, today: dt.date | None = None, with_votes: bool = False) -> dict:
    found = selectors.standing(row, today or _today())
    waiting = None
    if found.waiting is not None:
        step = found.waiting.step
        waiting = {"step": step.value, "step_label": str(words.STEPS[step]), "due": found.waiting.due,
                   "overdue": found.waiting.overdue, "period": str(words.PERIODS[step]),
                   "consequence": str(words.CONSEQUENCES[found.waiting.consequence])}
    out = {f: getattr(row, f) for f in (
        "id", "title", "kind", "scope", "employer", "workers", "state", "offered_by", "offered_on", "replied_on",
        "talks_on", "voted_on", "signed_on", "filed_on", "cleared_on", "objected_on", "objection", "announced_on")}
    out.update(org=row.org.code, contract=row.contract.number if row.contract_id else None,
               renews=row.renews.number if row.renews_id else None, waiting=waiting,
               deadlines={k.value: v for k, v in found.deadlines.items()}, calendar_known=found.calendar_known,
               votes=list(row.votes.all()) if with_votes else [])
    return out


def _contract_out(row: Contract, detail: bool = False) -> dict:
    today = _today()
    out = {f: getattr(row, f) for f in (
        "id", "number", "title", "kind", "scope", "employer", "union_signatory", "employer_signatory", "signed_on",
        "starts_on", "ends_on", "filed_on", "effective_on", "announced_on", "terminated_on", "wage_growth_pct",
        "minimum_wage", "skill_factors", "workers")}
    out.update(org=row.org.code, in_force=figures.contract_binds(row, today),
               renews=row.renews.number if row.renews_id else None)
    if detail:
        nxt = Contract.objects.filter(renews=row).values_list("number", flat=True).first()
        out.update(renewed_by=nxt,
                   coverage=[{"org": c.org.code, "name": c.org.name, "workers": c.workers} for c in row.coverage.all()],
                   grades=list(row.grades.all()))
    return out


def _round(request, round_id: int) -> Round:
    row = selectors.round_get(user=request.user, pk=round_id)
    if row is None:
        raise Http404
    return row


def _contract(request, contract_id: int) -> Contract:
    row = selectors.contract_get(user=request.user, pk=contract_id)
    if row is None:
        raise Http404
    return row


def _fresh_round(request, row: Round) -> dict:
    return _round_out(_round(request, row.pk), with_votes=True)


# ---------------------------------------------------------------------------------- rounds

class BargainingRoundQuery(Schema):
    org: str | None = Field(None, max_length=32, pattern=NO_NUL)
    state: Literal[tuple(RoundState.values)] | None = None  # type: ignore[valid-type]
    kind: Kind | None = None
    overdue: bool | None = Field(None, description="only rounds past a deadline (open rounds)")
    q: str = Field("", max_length=100, pattern=NO_NUL)
    page: int = Field(1, ge=1, le=100_000)


@router.get("/rounds", response={200: BargainingRoundPage, **ERRORS}, summary="Bargaining rounds of the subtree")
def round_list(request, params: Query[BargainingRoundQuery]):
    org = org_get(user=request.user, code=params.org) if params.org else None
    if params.overdue:
        if org is None:
            raise Http404
        rows = [s.round for s in selectors.open_standings(user=request.user, org=org, today=_today()) if s.overdue]
        page = paginate(rows, params.page)
    else:
        page = paginate(selectors.round_list(user=request.user, org=org, state=params.state, kind=params.kind,
                                             text=params.q), params.page)
    page["results"] = [_round_out(r) for r in page["results"]]
    return page


@router.get("/rounds/{int:round_id}", response={200: BargainingRoundOut, **ERRORS},
            summary="One round: where it stands, its deadlines and its votes")
def round_detail(request, round_id: int):
    return _round_out(_round(request, round_id), with_votes=True)


class BargainingRoundIn(Schema):
    org: str = Field(..., max_length=32, pattern=NO_NUL, description="the union's code")
    title: str = Field(..., max_length=200, pattern=NO_NUL)
    kind: Kind
    scope: ScopeKind = Scope.ENTERPRISE
    employer: str = Field(..., max_length=200, pattern=NO_NUL)
    workers: int = Field(..., ge=1, le=services.MAX_WORKERS)
    offered_by: Literal[tuple(Side.values)]  # type: ignore[valid-type]
    offered_on: dt.date = _date(...)
    renews: int | None = Field(None, description="id of the contract this round is to renew")


@router.post("/rounds", response={201: BargainingRoundOut, **ERRORS}, summary="Open a round with the written offer")
def round_open(request, payload: BargainingRoundIn):
    org = org_get(user=request.user, code=payload.org, perm=Perm.MANAGE)
    renews = _contract(request, payload.renews) if payload.renews else None
    row = services.round_open(actor=request.user, org=org, renews=renews,
                              **payload.dict(exclude={"org", "renews"}))
    return Status(201, _fresh_round(request, row))


class BargainingDayIn(Schema):
    on: dt.date = _date(..., description="the day of the step")


@router.post("/rounds/{int:round_id}/reply", response={200: BargainingRoundOut, **ERRORS},
             summary="The other side replied in writing")
def round_reply(request, round_id: int, payload: BargainingDayIn):
    row = services.round_reply(actor=request.user, round=_round(request, round_id), replied_on=payload.on)
    return _fresh_round(request, row)


@router.post("/rounds/{int:round_id}/talks", response={200: BargainingRoundOut, **ERRORS},
             summary="The talks started")
def round_talks(request, round_id: int, payload: BargainingDayIn):
    row = services.round_talks(actor=request.user, round=_round(request, round_id), talks_on=payload.on)
    return _fresh_round(request, row)


class BargainingVoteIn(Schema):
    body: Literal[tuple(VoteBody.values)]  # type: ignore[valid-type]
    held_on: dt.date = _date(...)
    eligible: int = Field(..., ge=0, le=services.MAX_WORKERS)
    present: int = Field(..., ge=0, le=services.MAX_WORKERS)
    in_favour: int = Field(..., ge=0, le=services.MAX_WORKERS)
    against: int = Field(..., ge=0, le=services.MAX_WORKERS)
    abstained: int = Field(..., ge=0, le=services.MAX_WORKERS)


@router.post("/rounds/{int:round_id}/vote", response={200: BargainingRoundOut, **ERRORS},
             summary="The workers' congress or all workers voted on the draft (with the counts)")
def round_vote(request, round_id: int, payload: BargainingVoteIn):
    row = _round(request, round_id)
    services.round_vote(actor=request.user, round=row, **payload.dict())
    return _fresh_round(request, row)


class ContractCoveredIn(Schema):
    org: str = Field(..., max_length=32, pattern=NO_NUL, description="the enterprise union's code")
    workers: int = Field(..., ge=1, le=services.MAX_WORKERS)


class ContractGradeIn(Schema):
    name: str = Field(..., max_length=60, pattern=NO_NUL)
    monthly_pay: MoneyIn
    criteria: str = Field("", max_length=300, pattern=NO_NUL)


class ContractTermsIn(Schema):
    starts_on: dt.date = _date(...)
    ends_on: dt.date = _date(...)
    union_signatory: str = Field(..., max_length=60, pattern=NO_NUL)
    employer_signatory: str = Field(..., max_length=60, pattern=NO_NUL)
    covered: list[ContractCoveredIn] = Field(default_factory=list, max_length=services.MAX_COVERED,
                                             description="the enterprises (one for an enterprise's own contract)")
    wage_growth_pct: Decimal | None = Field(None, ge=-50, le=100, decimal_places=2)
    minimum_wage: MoneyIn | None = None
    grades: list[ContractGradeIn] = Field(default_factory=list, max_length=services.MAX_GRADES)
    skill_factors: list[Literal[tuple(SkillFactor.values)]] = Field(  # type: ignore[valid-type]
        default_factory=list, max_length=len(SkillFactor.values))


def _terms(request, payload: ContractTermsIn) -> services.Terms:
    covered = []
    for item in payload.covered:
        org = org_get(user=request.user, code=item.org)  # a union out of reach is unknown: 404
        covered.append(services.Covered(org=org, workers=item.workers))
    return services.Terms(starts_on=payload.starts_on, ends_on=payload.ends_on,
                          union_signatory=payload.union_signatory, employer_signatory=payload.employer_signatory,
                          covered=covered, wage_growth_pct=payload.wage_growth_pct, minimum_wage=payload.minimum_wage,
                          grades=[services.Grade(g.name, g.monthly_pay, g.criteria) for g in payload.grades],
                          skill_factors=list(payload.skill_factors))


class BargainingSignIn(ContractTermsIn):
    signed_on: dt.date = _date(...)


@router.post("/rounds/{int:round_id}/sign", response={200: BargainingRoundOut, **ERRORS},
             summary="The parties signed the voted draft: the contract is written")
def round_sign(request, round_id: int, payload: BargainingSignIn):
    row = _round(request, round_id)
    services.round_sign(actor=request.user, round=row, signed_on=payload.signed_on, terms=_terms(request, payload))
    return _fresh_round(request, row)


@router.post("/rounds/{int:round_id}/file", response={200: BargainingRoundOut, **ERRORS},
             summary="The contract was filed with the labour bureau")
def round_file(request, round_id: int, payload: BargainingDayIn):
    row = services.round_file(actor=request.user, round=_round(request, round_id), filed_on=payload.on)
    return _fresh_round(request, row)


class BargainingReviewIn(Schema):
    on: dt.date = _date(...)
    objection: str = Field("", max_length=500, pattern=NO_NUL, description="empty: the bureau has no objection")


@router.post("/rounds/{int:round_id}/review", response={200: BargainingRoundOut, **ERRORS},
             summary="The labour bureau answered within its 15 days (no objection, or an objection)")
def round_review(request, round_id: int, payload: BargainingReviewIn):
    row = services.round_review(actor=request.user, round=_round(request, round_id), decided_on=payload.on,
                                objection=payload.objection)
    return _fresh_round(request, row)


@router.post("/rounds/{int:round_id}/announce", response={200: BargainingRoundOut, **ERRORS},
             summary="The contract in force was announced to the workers")
def round_announce(request, round_id: int, payload: BargainingDayIn):
    row = services.round_announce(actor=request.user, round=_round(request, round_id), announced_on=payload.on)
    return _fresh_round(request, row)


class BargainingReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=500, pattern=NO_NUL)


@router.post("/rounds/{int:round_id}/abandon", response={200: BargainingRoundOut, **ERRORS},
             summary="Give up a round before signing")
def round_abandon(request, round_id: int, payload: BargainingReasonIn):
    row = services.round_abandon(actor=request.user, round=_round(request, round_id), reason=payload.reason)
    return _fresh_round(request, row)


# ------------------------------------------------------------------------------- contracts

class ContractQuery(Schema):
    org: str | None = Field(None, max_length=32, pattern=NO_NUL)
    kind: Kind | None = None
    scope: ScopeKind | None = None
    in_force_on: dt.date | None = _date(None, description="only contracts binding on that day")
    expiring_within: int | None = Field(None, ge=0, le=3660, description="days; implies in force today")
    q: str = Field("", max_length=100, pattern=NO_NUL)
    page: int = Field(1, ge=1, le=100_000)


@router.get("/contracts", response={200: ContractPage, **ERRORS}, summary="Collective contracts of the subtree")
def contract_list(request, params: Query[ContractQuery]):
    org = org_get(user=request.user, code=params.org) if params.org else None
    on = params.in_force_on or (_today() if params.expiring_within is not None else None)
    page = paginate(selectors.contract_list(user=request.user, org=org, kind=params.kind, scope=params.scope,
                                            in_force_on=on, expiring_within=params.expiring_within, text=params.q),
                    params.page)
    page["results"] = [_contract_out(c) for c in page["results"]]
    return page


@router.get("/contracts/{int:contract_id}", response={200: ContractOut, **ERRORS},
            summary="One contract with the enterprises it covers, its grades and its renewal")
def contract_detail(request, contract_id: int):
    return _contract_out(_contract(request, contract_id), detail=True)


class ContractIn(ContractTermsIn):
    org: str = Field(..., max_length=32, pattern=NO_NUL)
    title: str = Field(..., max_length=200, pattern=NO_NUL)
    kind: Kind
    scope: ScopeKind = Scope.ENTERPRISE
    employer: str = Field(..., max_length=200, pattern=NO_NUL)
    signed_on: dt.date = _date(...)
    filed_on: dt.date | None = _date(None)
    effective_on: dt.date | None = _date(None, description="in force from (after filing)")
    workers: int | None = Field(None, ge=1, le=services.MAX_WORKERS, description="for one enterprise's contract")
    renews: int | None = Field(None, description="id of the contract it renews (which stays as it was)")


@router.post("/contracts", response={201: ContractOut, **ERRORS},
             summary="Record a contract negotiated before (or outside) the platform")
def contract_record(request, payload: ContractIn):
    org = org_get(user=request.user, code=payload.org, perm=Perm.MANAGE)
    renews = _contract(request, payload.renews) if payload.renews else None
    contract = services.contract_record(
        actor=request.user, org=org, title=payload.title, kind=payload.kind, scope=payload.scope,
        employer=payload.employer, signed_on=payload.signed_on, filed_on=payload.filed_on,
        effective_on=payload.effective_on, workers=payload.workers, renews=renews, terms=_terms(request, payload))
    return Status(201, _contract_out(_contract(request, contract.pk), detail=True))


class ContractTerminateIn(BargainingReasonIn):
    on: dt.date = _date(...)


@router.post("/contracts/{int:contract_id}/terminate", response={200: ContractOut, **ERRORS},
             summary="End a contract before its term")
def contract_terminate(request, contract_id: int, payload: ContractTerminateIn):
    row = _contract(request, contract_id)
    services.contract_terminate(actor=request.user, contract=row, on=payload.on, reason=payload.reason)
    return _contract_out(_contract(request, contract_id), detail=True)


class ContractCoverageQuery(Schema):
    org: str = Field(..., max_length=32, pattern=NO_NUL)
    on: dt.date | None = _date(None, description="the day (today when not given)")


@router.get("/coverage", response={200: ContractCoverageOut, **ERRORS},
            summary="Coverage of a subtree on a day: contracts in force, enterprises and workers covered, the rate")
def coverage(request, params: Query[ContractCoverageQuery]):
    org = org_get(user=request.user, code=params.org)
    on = params.on or _today()
    found = figures.coverage(org.path, on)
    return {"org": org.code, "on": on, "contracts_in_force": found["contracts_in_force"], "by_kind": found["by_kind"],
            "enterprises": found["enterprises"], "unionised_enterprises": found["unionised"], "rate": found["rate"],
            "workers": found["workers"], "skill_wage_enterprises": found["skill_enterprises"],
            "skill_wage_workers": found["skill_workers"], "expiring_30": found["expiring"][30],
            "expiring_60": found["expiring"][60], "expiring_90": found["expiring"][90]}
