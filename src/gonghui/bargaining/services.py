"""Every write of collective bargaining: one transaction and one audit line each.

A service checks all its input before it writes (a reply dated before the offer, a vote with more
ballots than people present, a contract ending before it starts, an enterprise outside the union's
subtree are refused with a Chinese message, and nothing changes). The acting user needs MANAGE on
the union (``core.scope``); a round or contract out of reach is refused like an unknown one.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.bargaining import rules
from gonghui.bargaining.models import (
    Contract,
    ContractKind,
    Coverage,
    Round,
    RoundState,
    Scope,
    Side,
    SkillFactor,
    SkillGrade,
    Vote,
    VoteBody,
)
from gonghui.bargaining.selectors import dates_of
from gonghui.core import audit, uploads
from gonghui.core.dates import add_years
from gonghui.core.money import parse_money
from gonghui.core.paths import parent_path
from gonghui.core.scope import Perm, require, scope_for
from gonghui.core.workdays import calendar
from gonghui.orgs.models import Org, OrgKind

MAX_WORKERS = 10_000_000
MAX_GRADES = 30
MAX_COVERED = 5_000

ORDER_MESSAGES = {
    "replied_on": "The reply cannot be dated before the offer.",
    "talks_on": "The talks cannot be dated before the reply.",
    "voted_on": "The vote cannot be dated before the talks.",
    "signed_on": "The contract cannot be signed before the draft was voted.",
    "filed_on": "The contract cannot be filed before it was signed.",
}


def _audit(actor, action: str, obj, path: str, **data) -> None:
    audit.record(actor=actor, action=f"bargaining.{action}", obj=obj, org_path=path, data=data)


def _text(value, field: str, *, max_length: int, required: bool = True) -> str:
    text = " ".join(str(value or "").split())
    if "\x00" in text:
        raise ValidationError({field: _("The text contains a character that is not allowed.")})
    if required and not text:
        raise ValidationError({field: _("This field is required.")})
    if len(text) > max_length:
        raise ValidationError({field: _("At most %(n)d characters.") % {"n": max_length}})
    return text


def _count(value, field: str, *, minimum: int = 0, maximum: int = MAX_WORKERS) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ValidationError({field: _("Enter a whole number from %(lo)d to %(hi)d.") % {"lo": minimum, "hi": maximum}})
    return value


def _day(value, field: str, *, today: dt.date) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ValidationError({field: _("Enter a date.")})
    if value > today:
        raise ValidationError({field: _("This date is in the future.")})
    return value


def _choice(value, choices, field: str) -> str:
    if value not in choices.values:
        raise ValidationError({field: _("Choose one of the options.")})
    return value


def _require_manage(actor, path: str) -> None:
    require(actor, Perm.MANAGE, path)


def _locked_round(actor, row: Round) -> Round:
    locked = Round.objects.select_for_update().filter(pk=row.pk).first()
    if locked is None or not scope_for(actor, Perm.MANAGE).covers(locked.org_path):
        raise PermissionDenied(_("You have no right to do this for this union."))
    if locked.state != RoundState.OPEN:
        raise ValidationError(_("This round is no longer in negotiation."))
    return locked


def _check_order(row: Round, field: str) -> None:
    for problem in rules.order_problems(dates_of(row)):
        if problem.startswith(field):
            raise ValidationError({field: _(ORDER_MESSAGES[field])})


def _next_is(row: Round, step: rules.Step, today: dt.date) -> None:
    current = rules.next_step(dates_of(row), today, calendar())
    if current is not step:
        raise ValidationError(_("This step is not the next one of the round."))


# ------------------------------------------------------------------------------ rounds

def round_open(*, actor, org: Org, title: str, kind: str, employer: str, workers: int, offered_by: str,
               offered_on: dt.date, scope: str = Scope.ENTERPRISE, renews: Contract | None = None,
               today: dt.date | None = None) -> Round:
    """Record the written offer (要约) that opens a round; ``renews``: the contract it is to replace."""
    today = today or timezone.localdate()
    _require_manage(actor, org.path)
    row = Round(org=org, org_path=org.path, title=_text(title, "title", max_length=200),
                kind=_choice(kind, ContractKind, "kind"), scope=_choice(scope, Scope, "scope"),
                employer=_text(employer, "employer", max_length=200),
                workers=_count(workers, "workers", minimum=1), offered_by=_choice(offered_by, Side, "offered_by"),
                offered_on=_day(offered_on, "offered_on", today=today), created_by=actor)
    if scope == Scope.ENTERPRISE and org.kind != OrgKind.ENTERPRISE:
        raise ValidationError({"scope": _("A contract of one enterprise is negotiated by that enterprise's union.")})
    if renews is not None:
        if renews.org_id != org.pk or renews.kind != kind:
            raise ValidationError({"renews": _("A renewal is negotiated by the same union for the same kind of contract.")})
        if Contract.objects.filter(renews=renews).exists():
            raise ValidationError({"renews": _("This contract has already been renewed.")})
        row.renews = renews
    with transaction.atomic():
        row.save()
        _audit(actor, "round_open", row, row.org_path, kind=row.kind, offered_on=str(row.offered_on),
               renews=renews.number if renews else "")
    return row


def _set_date(*, actor, row: Round, step: rules.Step, field: str, day: dt.date, today: dt.date | None) -> Round:
    today = today or timezone.localdate()
    day = _day(day, field, today=today)
    with transaction.atomic():
        locked = _locked_round(actor, row)
        _next_is(locked, step, today)
        setattr(locked, field, day)
        _check_order(locked, field)
        locked.save(update_fields=[field])
        _audit(actor, f"round_{step.value}", locked, locked.org_path, **{field: str(day)})
    return locked


def round_reply(*, actor, round: Round, replied_on: dt.date, today: dt.date | None = None) -> Round:
    """The other side's written reply (回应)."""
    return _set_date(actor=actor, row=round, step=rules.Step.REPLY, field="replied_on", day=replied_on, today=today)


def round_talks(*, actor, round: Round, talks_on: dt.date, today: dt.date | None = None) -> Round:
    """The first meeting of the talks (协商会议)."""
    return _set_date(actor=actor, row=round, step=rules.Step.TALKS, field="talks_on", day=talks_on, today=today)


VOTE_MESSAGES = {
    "no_voters": "At least one delegate or worker must be entitled to vote.",
    "negative": "Counts cannot be negative.",
    "present_exceeds_eligible": "More people present than are entitled to vote.",
    "ballots_exceed_present": "More ballots than people present.",
}


def round_vote(*, actor, round: Round, body: str, held_on: dt.date, eligible: int, present: int, in_favour: int,
               against: int, abstained: int, today: dt.date | None = None) -> Vote:
    """The workers' congress or all workers vote on the draft; it passes with two thirds present
    and more than half of all of them in favour. A failed vote is kept; the round may vote again."""
    today = today or timezone.localdate()
    body = _choice(body, VoteBody, "body")
    held_on = _day(held_on, "held_on", today=today)
    counts = {k: _count(v, k) for k, v in (("eligible", eligible), ("present", present), ("in_favour", in_favour),
                                           ("against", against), ("abstained", abstained))}
    problems = rules.vote_problems(**counts)
    if problems:
        raise ValidationError({"present" if problems[0] == "present_exceeds_eligible" else "in_favour":
                               _(VOTE_MESSAGES[problems[0]])})
    with transaction.atomic():
        locked = _locked_round(actor, round)
        _next_is(locked, rules.Step.VOTE, today)
        if counts["eligible"] > locked.workers:
            raise ValidationError({"eligible": _("More voters than the %(n)d workers of the round.") % {
                "n": locked.workers}})
        if body == VoteBody.ALL_WORKERS and counts["eligible"] != locked.workers:
            raise ValidationError({"eligible": _("A vote of all workers counts all %(n)d workers.") % {
                "n": locked.workers}})
        if held_on < locked.talks_on:
            raise ValidationError({"held_on": _(ORDER_MESSAGES["voted_on"])})
        passed = rules.vote_passes(eligible=counts["eligible"], present=counts["present"],
                                   in_favour=counts["in_favour"])
        vote = Vote.objects.create(round=locked, body=body, held_on=held_on, passed=passed, recorded_by=actor,
                                   **counts)
        if passed:
            locked.voted_on = held_on
            locked.save(update_fields=["voted_on"])
        _audit(actor, "round_vote", locked, locked.org_path, vote=vote.pk, passed=passed, **counts)
    return vote


@dataclass(frozen=True)
class Covered:
    """An enterprise bound by a contract, with its workers."""

    org: Org
    workers: int


@dataclass(frozen=True)
class Grade:
    name: str
    monthly_pay: Decimal | str
    criteria: str = ""


@dataclass(frozen=True)
class Terms:
    """What a signed contract says: term, signatories, coverage, the figures statistics use."""

    starts_on: dt.date
    ends_on: dt.date
    union_signatory: str
    employer_signatory: str
    covered: Sequence[Covered] = ()
    wage_growth_pct: Decimal | str | None = None
    minimum_wage: Decimal | str | None = None
    grades: Sequence[Grade] = ()
    skill_factors: Sequence[str] = ()


def _area_path(org: Org) -> str:
    """Where a sector-wide or area-wide contract of ``org`` may bind enterprises: its subtree, or,
    for an industry union, the subtree of the union above it (the area the sector union serves)."""
    if org.kind == OrgKind.INDUSTRY and parent_path(org.path):
        return parent_path(org.path)
    return org.path


def _checked_terms(actor, *, org: Org, kind: str, scope: str, terms: Terms, workers: int | None = None) -> dict:
    if not isinstance(terms.starts_on, dt.date) or not isinstance(terms.ends_on, dt.date):
        raise ValidationError({"starts_on": _("Enter the term's first and last day.")})
    if terms.ends_on < terms.starts_on:
        raise ValidationError({"ends_on": _("The term cannot end before it starts.")})
    if terms.ends_on > add_years(terms.starts_on, 10):
        raise ValidationError({"ends_on": _("A term of more than ten years is not plausible.")})
    out = {
        "union_signatory": _text(terms.union_signatory, "union_signatory", max_length=60),
        "employer_signatory": _text(terms.employer_signatory, "employer_signatory", max_length=60),
        "wage_growth_pct": None, "minimum_wage": None, "skill_factors": [], "grades": [],
    }
    if terms.wage_growth_pct not in (None, ""):
        try:
            pct = Decimal(str(terms.wage_growth_pct).strip().rstrip("%"))
        except Exception:
            pct = None
        if isinstance(terms.wage_growth_pct, float) or pct is None or not pct.is_finite() \
                or not Decimal("-50") <= pct <= Decimal("100") or pct != pct.quantize(Decimal("0.01")):
            raise ValidationError({"wage_growth_pct": _("Enter the wage growth as a percentage, e.g. 5.5.")})
        out["wage_growth_pct"] = pct.quantize(Decimal("0.01"))
    out["minimum_wage"] = parse_money(terms.minimum_wage, field="minimum_wage", required=False)
    if kind == ContractKind.SKILL_WAGE:
        factors = list(dict.fromkeys(terms.skill_factors))
        if not factors or any(f not in SkillFactor.values for f in factors):
            raise ValidationError({"skill_factors": _("Choose what counts for the grade.")})
        if not terms.grades:
            raise ValidationError({"grades": _("A skill-grade wage contract lists its grades and their pay.")})
        if len(terms.grades) > MAX_GRADES:
            raise ValidationError({"grades": _("At most %(n)d grades.") % {"n": MAX_GRADES}})
        grades = []
        for i, grade in enumerate(terms.grades, start=1):
            grades.append(SkillGrade(rank=i, name=_text(grade.name, "grades", max_length=60),
                                     monthly_pay=parse_money(grade.monthly_pay, field="grades", positive=True),
                                     criteria=_text(grade.criteria, "grades", max_length=300, required=False)))
        out["skill_factors"], out["grades"] = factors, grades
    covered = list(terms.covered)
    if scope == Scope.ENTERPRISE:
        if org.kind != OrgKind.ENTERPRISE:
            raise ValidationError({"scope": _("A contract of one enterprise is signed by that enterprise's union.")})
        if len(covered) > 1 or (covered and covered[0].org.pk != org.pk):
            raise ValidationError({"covered": _("A contract of one enterprise covers that enterprise only.")})
        covered = [Covered(org=org, workers=covered[0].workers if covered else workers)]
    if not covered:
        raise ValidationError({"covered": _("List the enterprises the contract covers.")})
    if len(covered) > MAX_COVERED:
        raise ValidationError({"covered": _("At most %(n)d enterprises.") % {"n": MAX_COVERED}})
    area = _area_path(org)
    manage = scope_for(actor, Perm.MANAGE)
    seen = set()
    for item in covered:
        enterprise = item.org
        if not enterprise.path.startswith(area) or not manage.covers(enterprise.path):
            raise ValidationError({"covered": _("%(name)s is outside this union's subtree.") % {"name": enterprise.name}})
        if enterprise.kind != OrgKind.ENTERPRISE:
            raise ValidationError({"covered": _("%(name)s is not an enterprise union.") % {"name": enterprise.name}})
        if enterprise.pk in seen:
            raise ValidationError({"covered": _("%(name)s is listed twice.") % {"name": enterprise.name}})
        seen.add(enterprise.pk)
        _count(item.workers, "covered", minimum=1)
    out["covered"] = covered
    return out


def _new_contract(actor, *, org: Org, title: str, kind: str, scope: str, employer: str, signed_on: dt.date,
                  checked: dict, terms: Terms, renews: Contract | None, document=None, files=None) -> Contract:
    contract = Contract(org=org, org_path=org.path, number=f"tmp-{secrets.token_hex(8)}", title=title, kind=kind,
                        scope=scope, employer=employer, signed_on=signed_on, starts_on=terms.starts_on,
                        ends_on=terms.ends_on, union_signatory=checked["union_signatory"],
                        employer_signatory=checked["employer_signatory"], wage_growth_pct=checked["wage_growth_pct"],
                        minimum_wage=checked["minimum_wage"], skill_factors=checked["skill_factors"], renews=renews,
                        workers=sum(c.workers for c in checked["covered"]), created_by=actor)
    if document is not None:
        contract.document_token = secrets.token_hex(16)
        contract.document_extension = document.extension
        contract.document_name = document.name
        files.store(contract.document, contract.document_token, document)
    contract.save()
    contract.number = f"JT{signed_on:%Y}{contract.pk:06d}"
    contract.save(update_fields=["number"])
    _write_coverage(contract, checked["covered"])
    for grade in checked["grades"]:
        grade.contract = contract
    SkillGrade.objects.bulk_create(checked["grades"])
    return contract


def _write_coverage(contract: Contract, covered: Sequence[Covered]) -> None:
    Coverage.objects.filter(contract=contract).delete()
    start = max(contract.effective_on, contract.starts_on) if contract.effective_on else None
    Coverage.objects.bulk_create([
        Coverage(contract=contract, org=c.org, org_path=c.org.path, workers=c.workers, kind=contract.kind,
                 effective_on=start, ends_on=contract.ends_on, terminated_on=contract.terminated_on)
        for c in covered])


def _sync_coverage(contract: Contract) -> None:
    start = max(contract.effective_on, contract.starts_on) if contract.effective_on else None
    Coverage.objects.filter(contract=contract).update(effective_on=start, ends_on=contract.ends_on,
                                                      terminated_on=contract.terminated_on)


def _document(document):
    if document is None:
        return None
    return uploads.check(document, field="document")


def round_sign(*, actor, round: Round, signed_on: dt.date, terms: Terms, document=None,
               today: dt.date | None = None) -> Contract:
    """The parties sign the voted draft: the contract is written (not in force until the bureau's review)."""
    today = today or timezone.localdate()
    signed_on = _day(signed_on, "signed_on", today=today)
    checked_document = _document(document)
    with uploads.atomic() as files:
        locked = _locked_round(actor, round)
        _next_is(locked, rules.Step.SIGN, today)
        locked.signed_on = signed_on
        _check_order(locked, "signed_on")
        checked = _checked_terms(actor, org=locked.org, kind=locked.kind, scope=locked.scope, terms=terms,
                                 workers=locked.workers)
        if locked.contract_id is not None:  # signed again after the bureau objected: the text was never in force
            old = locked.contract
            locked.contract = None
            locked.save(update_fields=["contract"])
            _audit(actor, "contract_withdrawn", old, old.org_path, number=old.number)
            Coverage.objects.filter(contract=old).delete()
            SkillGrade.objects.filter(contract=old).delete()
            old.delete()
        contract = _new_contract(actor, org=locked.org, title=locked.title, kind=locked.kind, scope=locked.scope,
                                 employer=locked.employer, signed_on=signed_on, checked=checked, terms=terms,
                                 renews=locked.renews, document=checked_document, files=files)
        locked.contract = contract
        locked.save(update_fields=["signed_on", "contract"])
        _audit(actor, "round_sign", locked, locked.org_path, signed_on=str(signed_on), contract=contract.number)
        _audit(actor, "contract_signed", contract, contract.org_path, number=contract.number, kind=contract.kind,
               workers=contract.workers, enterprises=len(checked["covered"]))
    return contract


def _effective(locked: Round) -> dt.date | None:
    return rules.in_force_on(dates_of(locked), calendar())


def round_file(*, actor, round: Round, filed_on: dt.date, today: dt.date | None = None) -> Round:
    """The signed contract was filed with the labour bureau (报送): without objection within 15
    days it is in force (the day after), which the contract records now."""
    today = today or timezone.localdate()
    filed_on = _day(filed_on, "filed_on", today=today)
    with transaction.atomic():
        locked = _locked_round(actor, round)
        _next_is(locked, rules.Step.FILE, today)
        locked.filed_on = filed_on
        _check_order(locked, "filed_on")
        locked.save(update_fields=["filed_on"])
        contract = Contract.objects.select_for_update().get(pk=locked.contract_id)
        contract.filed_on = filed_on
        contract.effective_on = _effective(locked)
        contract.save(update_fields=["filed_on", "effective_on"])
        _sync_coverage(contract)
        _audit(actor, "round_file", locked, locked.org_path, filed_on=str(filed_on),
               in_force_on=str(contract.effective_on))
    return locked


def round_review(*, actor, round: Round, decided_on: dt.date, objection: str = "",
                 today: dt.date | None = None) -> Round:
    """The bureau's answer within its 15 days: no objection (in force that day), or an objection —
    the draft goes back to the parties, who vote, sign and file again; the contract is not in force."""
    today = today or timezone.localdate()
    decided_on = _day(decided_on, "decided_on", today=today)
    objection = _text(objection, "objection", max_length=500, required=False)
    with transaction.atomic():
        locked = _locked_round(actor, round)
        _next_is(locked, rules.Step.REVIEW, today)
        if decided_on < locked.filed_on:
            raise ValidationError({"decided_on": _("The bureau cannot answer before the contract was filed.")})
        if decided_on > rules.review_ends(locked.filed_on, calendar()):
            raise ValidationError({"decided_on": _("The bureau's 15 days had passed: the contract is in force.")})
        contract = Contract.objects.select_for_update().get(pk=locked.contract_id)
        if objection:
            locked.objected_on, locked.objection = decided_on, objection
            locked.voted_on = locked.signed_on = locked.filed_on = None
            locked.save(update_fields=["objected_on", "objection", "voted_on", "signed_on", "filed_on"])
            contract.effective_on = None
        else:
            locked.cleared_on = decided_on
            locked.save(update_fields=["cleared_on"])
            contract.effective_on = decided_on
        contract.save(update_fields=["effective_on"])
        _sync_coverage(contract)
        _audit(actor, "round_review", locked, locked.org_path, decided_on=str(decided_on), objected=bool(objection))
    return locked


def round_announce(*, actor, round: Round, announced_on: dt.date, today: dt.date | None = None) -> Round:
    """The contract in force was announced to the workers (公布): the round is concluded."""
    today = today or timezone.localdate()
    announced_on = _day(announced_on, "announced_on", today=today)
    with transaction.atomic():
        locked = _locked_round(actor, round)
        _next_is(locked, rules.Step.ANNOUNCE, today)
        start = _effective(locked)
        if announced_on < start:
            raise ValidationError({"announced_on": _("The contract is announced once it is in force (from %(day)s).")
                                   % {"day": start.isoformat()}})
        locked.announced_on, locked.state = announced_on, RoundState.CONCLUDED
        locked.save(update_fields=["announced_on", "state"])
        Contract.objects.filter(pk=locked.contract_id).update(announced_on=announced_on)
        _audit(actor, "round_announce", locked, locked.org_path, announced_on=str(announced_on))
    return locked


def round_abandon(*, actor, round: Round, reason: str) -> Round:
    reason = _text(reason, "reason", max_length=500)
    with transaction.atomic():
        locked = _locked_round(actor, round)
        if locked.signed_on is not None:
            raise ValidationError(_("A signed contract is not abandoned: it is ended early, if at all."))
        locked.state = RoundState.ABANDONED
        locked.save(update_fields=["state"])
        _audit(actor, "round_abandon", locked, locked.org_path, reason=reason)
    return locked


# ------------------------------------------------------------------------------ contracts

def contract_record(*, actor, org: Org, title: str, kind: str, employer: str, signed_on: dt.date,
                    terms: Terms, filed_on: dt.date | None = None, effective_on: dt.date | None = None,
                    scope: str = Scope.ENTERPRISE, workers: int | None = None, renews: Contract | None = None,
                    document=None, today: dt.date | None = None) -> Contract:
    """Record a contract negotiated before the platform (or elsewhere), with its dates as they were.
    ``renews``: the contract it replaces, which stays as it was."""
    today = today or timezone.localdate()
    _require_manage(actor, org.path)
    kind, scope = _choice(kind, ContractKind, "kind"), _choice(scope, Scope, "scope")
    title, employer = _text(title, "title", max_length=200), _text(employer, "employer", max_length=200)
    signed_on = _day(signed_on, "signed_on", today=today)
    if filed_on is not None and _day(filed_on, "filed_on", today=today) < signed_on:
        raise ValidationError({"filed_on": _(ORDER_MESSAGES["filed_on"])})
    if effective_on is not None and (filed_on is None or effective_on < filed_on):
        raise ValidationError({"effective_on": _("A contract is in force only after it was filed.")})
    if workers is not None:
        _count(workers, "workers", minimum=1)
    checked = _checked_terms(actor, org=org, kind=kind, scope=scope, terms=terms, workers=workers)
    if scope == Scope.ENTERPRISE and workers is None and not terms.covered:
        raise ValidationError({"workers": _("Enter the workers the contract covers.")})
    if renews is not None:
        if renews.org_id != org.pk or renews.kind != kind:
            raise ValidationError({"renews": _("A renewal is signed by the same union for the same kind of contract.")})
        if terms.starts_on <= renews.starts_on:
            raise ValidationError({"starts_on": _("A renewal starts after the contract it renews.")})
    checked_document = _document(document)
    with uploads.atomic() as files:
        if renews is not None and Contract.objects.select_for_update().filter(renews=renews).exists():
            raise ValidationError({"renews": _("This contract has already been renewed.")})
        contract = _new_contract(actor, org=org, title=title, kind=kind, scope=scope, employer=employer,
                                 signed_on=signed_on, checked=checked, terms=terms, renews=renews,
                                 document=checked_document, files=files)
        if filed_on or effective_on:
            contract.filed_on, contract.effective_on = filed_on, effective_on
            contract.save(update_fields=["filed_on", "effective_on"])
            _sync_coverage(contract)
        _audit(actor, "contract_record", contract, contract.org_path, number=contract.number, kind=kind,
               workers=contract.workers, renews=renews.number if renews else "")
    return contract


def contract_terminate(*, actor, contract: Contract, on: dt.date, reason: str, today: dt.date | None = None) -> Contract:
    """End a contract before its term (the enterprise closed, the parties agreed): from ``on`` it no
    longer binds; its term and text stay as they were."""
    today = today or timezone.localdate()
    reason = _text(reason, "reason", max_length=500)
    with transaction.atomic():
        row = Contract.objects.select_for_update().filter(pk=contract.pk).first()
        if row is None or not scope_for(actor, Perm.MANAGE).covers(row.org_path):
            raise PermissionDenied(_("You have no right to do this for this union."))
        if row.terminated_on is not None:
            raise ValidationError(_("This contract has already ended."))
        if not isinstance(on, dt.date) or on < row.starts_on or on > row.ends_on:
            raise ValidationError({"on": _("Choose a day within the contract's term.")})
        if on > today + dt.timedelta(days=366):
            raise ValidationError({"on": _("This date is too far ahead.")})
        row.terminated_on = on
        row.save(update_fields=["terminated_on"])
        _sync_coverage(row)
        _audit(actor, "contract_terminate", row, row.org_path, number=row.number, on=str(on), reason=reason)
    return row


# ------------------------------------------------------------------------------ reminders

def overdue_reminders(*, today: dt.date | None = None) -> dict[str, int]:
    """Text the cadres of each union with an overdue round (its own union's and the union's above,
    which guides it), one text per cadre with the count. Meant to run daily
    (``tasks.send_overdue_reminders``); only cadres with a verified mobile are texted, the mobile
    decrypted in memory for the send and never logged. Returns counts."""
    from django.conf import settings
    from django.utils import translation

    from gonghui.core import pii, sms
    from gonghui.core.models import AccountPhone, Role, RoleKind

    today = today or timezone.localdate()
    cal = calendar()
    late: dict[str, int] = {}
    for row in Round.objects.filter(state=RoundState.OPEN).only(*_DATE_FIELDS, "org_path", "state").iterator():
        due = rules.waiting_for(dates_of(row), today, cal)
        if due is not None and due.overdue:
            late[row.org_path] = late.get(row.org_path, 0) + 1
    paths: dict[str, int] = {}
    for path, n in late.items():
        for reach in {path, parent_path(path)} - {""}:
            paths[reach] = paths.get(reach, 0) + n
    per_user: dict[int, int] = {}
    for user_id, path in Role.objects.filter(kind=RoleKind.CADRE, org__path__in=list(paths),
                                             user__is_active=True).values_list("user_id", "org__path"):
        per_user[user_id] = per_user.get(user_id, 0) + paths[path]
    sender = sms.sender()
    sent = 0
    for phone in AccountPhone.objects.filter(user_id__in=list(per_user)):
        number = pii.decrypt(phone.phone_cipher, key_id=phone.pii_key_id, bound_to=phone.phone_hash)
        with translation.override(settings.LANGUAGE_CODE):
            text = _("[Collective bargaining] %(n)d bargaining rounds of your unions are past a legal deadline; "
                     "please follow them up.") % {"n": per_user[phone.user_id]}
        sender.send(phone=number, text=text)
        sent += 1
    return {"rounds": sum(late.values()), "unions": len(late), "cadres": len(per_user), "texts": sent}


_DATE_FIELDS = ("offered_on", "replied_on", "talks_on", "voted_on", "signed_on", "filed_on", "cleared_on",
                "objected_on", "announced_on")
