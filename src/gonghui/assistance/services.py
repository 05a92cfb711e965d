"""Writes of hardship help: one function per use case, one transaction and one audit line each.

A file is applied for by the member (or filed by a cadre of their union at the window), graded by
``rules.grade`` against the 低保 standard of the union and day, put in public notice once the unit's
certificate is there, and approved by the union above (one or two approvers). Help goes out in
disbursement lists: approved (the budget taken by a conditional UPDATE), then paid line by line,
each line moved from "to be paid" to "paid" by a conditional UPDATE, so a double click, a retry or
two cadres at once never pay twice; the same kind of help reaches a person once a cycle city-wide
(a unique constraint on the ID hash). Refusals raise ``ValidationError`` with a Chinese message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.assistance import rules, selectors
from gonghui.assistance.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Approval,
    CostKind,
    Disbursement,
    DocumentKind,
    FileDocument,
    FileStatus,
    Grade,
    Grading,
    Grant,
    GrantStatus,
    HardshipFile,
    HouseholdMember,
    MonthlyIncome,
    Objection,
    Programme,
    ProgrammeKind,
    RefusalCode,
    Relation,
    Standard,
    UnionPolicy,
    Visit,
    VisitKind,
)
from gonghui.assistance.stats import closed_deltas, filed_deltas, paid_deltas, visit_deltas
from gonghui.assistance.texts import exclusion_label
from gonghui.core import audit, pii, uploads
from gonghui.core.dates import add_years
from gonghui.core.ids import parse_id_number
from gonghui.core.money import parse_money
from gonghui.core.scope import Perm, require, scope_for
from gonghui.core.workdays import add_workdays, calendar
from gonghui.members.models import Member, MemberStatus
from gonghui.orgs.models import Org
from gonghui.stats import activity

MAX_DOCUMENTS = 20
MAX_LINES = 5000


def _invalid(field: str | None, message: str) -> ValidationError:
    error = ValidationError(message, code="invalid")
    return ValidationError({field: [error]}) if field else error


def _text(value, field: str, limit: int, *, required: bool = False, label: str = "") -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        raise _invalid(field, _("Fill in %(what)s.") % {"what": label or field})
    if len(text) > limit:
        raise _invalid(field, _("At most %(n)d characters.") % {"n": limit})
    return text


def _today(on: dt.date | None) -> dt.date:
    return on or timezone.localdate()


def _not_future(day, field: str) -> dt.date:
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise _invalid(field, _("Enter a date."))
    if day > timezone.localdate():
        raise _invalid(field, _("The date is in the future."))
    return day


def _money(value, field: str) -> Decimal:
    return parse_money(value, field=field)


# ---- standards and policy -------------------------------------------------------------------------

def standard_set(*, actor, org: Org, amount, effective_from: dt.date) -> Standard:
    """Set a union's 低保 standard from a day on (a day already set is replaced). Gradings already
    made keep the standard they used."""
    require(actor, Perm.MANAGE, org.path)
    amount = parse_money(amount, field="amount", positive=True)
    if not isinstance(effective_from, dt.date):
        raise _invalid("effective_from", _("Enter a date."))
    with transaction.atomic():
        row, _created = Standard.objects.update_or_create(org=org, effective_from=effective_from,
                                                          defaults={"amount": amount, "org_path": org.path})
        audit.record(actor=actor, action="hardship.standard_set", obj=row, org_path=org.path,
                     data={"amount": str(amount), "effective_from": effective_from.isoformat()})
    return row


def policy_set(*, actor, org: Org, notice_days: int = 5, approvals_required: int = 1) -> UnionPolicy:
    require(actor, Perm.MANAGE, org.path)
    if not isinstance(notice_days, int) or not 1 <= notice_days <= 30:
        raise _invalid("notice_days", _("The notice lasts 1 to 30 working days."))
    if approvals_required not in (1, 2):
        raise _invalid("approvals_required", _("One or two approvers."))
    with transaction.atomic():
        row, _created = UnionPolicy.objects.update_or_create(
            org=org, defaults={"notice_days": notice_days, "approvals_required": approvals_required})
        audit.record(actor=actor, action="hardship.policy_set", obj=row, org_path=org.path,
                     data={"notice_days": notice_days, "approvals_required": approvals_required})
    return row


# ---- the household and its grading --------------------------------------------------------------

def _flag_int(flags: Mapping, name: str, default: int) -> int:
    value = flags.get(name, default)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _invalid(name, _("Enter a whole number.")) from None


def household_of(*, income, household: Iterable[Mapping] = (), costs: Iterable[Mapping] = (),
                 flags: Mapping | None = None) -> tuple[rules.Household, list[dict], list[dict]]:
    """The figures typed in (the member's own yearly income, the other people with their incomes, the
    unavoidable costs, the exclusion facts) → the rule's Household, the people and the costs checked.
    The people's ID numbers are parsed here (each person once)."""
    flags = dict(flags or {})
    own = _money(income, "income")
    people, seen = [], set()
    for i, person in enumerate(household):
        field = f"household.{i}"
        name = _text(person.get("name"), field, 50, required=True, label=_("the name"))
        relation = person.get("relation") or ""
        if relation not in Relation.values or relation == Relation.SELF:
            raise _invalid(field, _("Choose the relation of %(name)s.") % {"name": name})
        try:
            info = parse_id_number(person.get("id_number") or "")
        except ValidationError as exc:
            raise _invalid(field, f"{name}: {exc.messages[0]}") from None
        if info.number in seen:
            raise _invalid(field, _("%(name)s is listed twice in the household.") % {"name": name})
        seen.add(info.number)
        people.append({"name": name, "relation": relation, "id": info,
                       "work": _text(person.get("work"), field, 100),
                       "income_source": _text(person.get("income_source"), field, 100),
                       "yearly_income": _money(person.get("yearly_income") or "0", field)})
    cost_rows = []
    for i, cost in enumerate(costs):
        kind = cost.get("kind") or ""
        if kind not in CostKind.values:
            raise _invalid(f"costs.{i}", _("Unknown kind of cost."))
        cost_rows.append({"kind": kind, "amount": _money(cost.get("amount"), f"costs.{i}"),
                          "note": _text(cost.get("note"), f"costs.{i}", 100)})
    total_income = own + sum((p["yearly_income"] for p in people), Decimal("0.00"))
    total_costs = sum((c["amount"] for c in cost_rows), Decimal("0.00"))
    illness = sum((c["amount"] for c in cost_rows if c["kind"] == CostKind.ILLNESS), Decimal("0.00"))
    accident = str(flags.get("accident") or "")
    hh = rules.Household(
        yearly_income=total_income, size=1 + len(people), unavoidable_costs=total_costs, illness_cost=illness,
        accident=accident, homes=_flag_int(flags, "homes", 1), owns_business=bool(flags.get("owns_business")),
        private_school_fee=_money(flags.get("private_school_fee") or "0", "private_school_fee"),
        public_school_fee=_money(flags.get("public_school_fee") or "0", "public_school_fee"),
        abroad_self_paid=bool(flags.get("abroad_self_paid")), migrant=bool(flags.get("migrant")),
        employed_months=_flag_int(flags, "employed_months", 0))
    return hh, people, cost_rows


def self_test(*, org_path: str, income, household_size: int, costs="0", day: dt.date | None = None) -> rules.Grading:
    """The worker's self-test: household income, size and costs → the grading, with nothing written."""
    standard, _since = selectors.standard_for(org_path, _today(day))
    try:
        size = int(household_size)
    except (TypeError, ValueError):
        raise _invalid("size", _("Enter the number of people in the household.")) from None
    return rules.grade(rules.Household(yearly_income=_money(income, "income"), size=size,
                                       unavoidable_costs=_money(costs or "0", "costs")), standard)


def _grade_into(file: HardshipFile, *, actor, kind: str, hh: rules.Household, costs: list[dict],
                day: dt.date) -> Grading:
    standard, since = selectors.standard_for(file.org_path, day)
    result = rules.grade(hh, standard)
    grading = Grading.objects.create(
        file=file, kind=kind, graded_on=day, grade=result.grade, rule=result.rule, per_capita=result.per_capita,
        standard=result.standard, standard_from=since, inputs=hh.as_json(),
        costs=[{**c, "amount": str(c["amount"])} for c in costs], working=result.as_json(), graded_by=actor)
    file.grade, file.per_capita, file.standard = result.grade, result.per_capita, result.standard
    return grading


def may_file_for(actor, member: Member) -> bool:
    if member.user_id is not None and actor.is_authenticated and member.user_id == actor.pk:
        return True
    return scope_for(actor, Perm.MANAGE).covers(member.org_path)


def _checked_documents(documents) -> list[tuple[str, uploads.Document]]:
    pairs = list(documents)
    if len(pairs) > MAX_DOCUMENTS:
        raise _invalid("documents", _("Attach at most %(n)d files.") % {"n": MAX_DOCUMENTS})
    if any(kind not in DocumentKind.values for kind, _u in pairs):
        raise _invalid("documents", _("Unknown kind of document."))
    checked = uploads.check_all([u for _k, u in pairs], field="documents")
    return [(kind, doc) for (kind, _u), doc in zip(pairs, checked)]


def _store_documents(files: uploads.Files, *, actor, file: HardshipFile, checked) -> None:
    for kind, document in checked:
        row = FileDocument(file=file, kind=kind, content_type=document.content_type, size=document.size,
                           filename=document.name, uploaded_by=actor)
        files.store(row.upload, kind, document)
        row.save()


def _protected(people: list[dict], member: Member) -> list[tuple[dict, pii.Protected]]:
    protected = [(p, pii.protect("id", p["id"].number, p["id"].masked)) for p in people]
    if any(pr.hash == member.id_hash for _p, pr in protected):
        raise _invalid("household", _("The member is in the household already; list the other people."))
    return protected


def _add_people(file: HardshipFile, protected) -> None:
    HouseholdMember.objects.bulk_create([HouseholdMember(
        file=file, name=p["name"], relation=p["relation"], id_hash=pr.hash, id_cipher=pr.cipher,
        id_masked=pr.masked, pii_key_id=pr.key_id, work=p["work"], income_source=p["income_source"],
        yearly_income=p["yearly_income"]) for p, pr in protected])


def file_apply(*, actor, member: Member, income, household: Iterable[Mapping] = (),
               costs: Iterable[Mapping] = (), flags: Mapping | None = None, cause: str = "",
               documents: Iterable[tuple[str, object]] = (), on: dt.date | None = None) -> HardshipFile:
    """Apply for a hardship file (the member on their page, or a cadre for them at the window).

    The household is graded at once; a family the rule does not grade (above the lines, or an
    exclusion) is refused with the working, nothing written. A member with a closed file applies
    again as a new episode; one with an open file is refused.
    """
    if not isinstance(member, Member):
        raise _invalid("member", _("Only a member of a union can be filed."))
    if not may_file_for(actor, member):
        raise PermissionDenied(_("You may only apply for yourself or for members of your union."))
    if member.status != MemberStatus.ACTIVE:
        raise _invalid("member", _("Only a member of a union can be filed."))
    day = _today(on)
    hh, people, cost_rows = household_of(income=income, household=household, costs=costs, flags=flags)
    protected = _protected(people, member)
    standard, _since = selectors.standard_for(member.org_path, day)
    result = rules.grade(hh, standard)
    if not result.qualifies:
        raise ValidationError(explain_refusal(result), code="not_eligible")
    cause = _text(cause, "cause", 200)
    checked = _checked_documents(documents)
    previous = HardshipFile.objects.filter(member=member).order_by("-episode").first()
    if previous is not None and previous.status in OPEN_STATUSES:
        raise _invalid(None, _("This member already has an open hardship file."))
    is_member = member.user_id is not None and member.user_id == actor.pk
    try:
        with uploads.atomic() as files:
            file = HardshipFile.objects.create(
                member=member, org_id=member.org_id, org_path=member.org_path,
                episode=(previous.episode + 1) if previous else 1, previous=previous, cause=cause,
                phone_masked=member.phone_masked, applied_by_member=is_member, filed_by=actor, applied_on=day)
            HouseholdMember.objects.create(
                file=file, name=member.name, relation=Relation.SELF, id_hash=member.id_hash,
                id_cipher=bytes(member.id_cipher), id_masked=member.id_masked, pii_key_id=member.pii_key_id,
                work=member.employer[:100], yearly_income=_money(income, "income"))
            _add_people(file, protected)
            _grade_into(file, actor=actor, kind=Grading.Kind.FILING, hh=hh, costs=cost_rows, day=day)
            file.save(update_fields=["grade", "per_capita", "standard"])
            _store_documents(files, actor=actor, file=file, checked=checked)
            audit.record(actor=actor, action="hardship.file_apply", obj=file, org_path=file.org_path,
                         data={"member": member.pk, "episode": file.episode, "grade": file.grade,
                               "per_capita": str(file.per_capita), "standard": str(file.standard),
                               "size": hh.size, "documents": sorted({k for k, _d in checked})})
    except IntegrityError:
        raise _invalid(None, _("This member already has an open hardship file.")) from None
    return file


def explain_refusal(result: rules.Grading) -> str:
    if result.grade == rules.EXCLUDED:
        return _("Not eligible: %(why)s.") % {"why": "、".join(str(exclusion_label(c)) for c in result.exclusions)}
    return _("Not eligible: the per-capita monthly income of %(pc)s yuan is at least twice the 低保 standard of "
             "%(std)s yuan, and no accident or major illness applies.") % {
        "pc": result.per_capita, "std": result.standard}


def file_add_documents(*, actor, file: HardshipFile, documents: Iterable[tuple[str, object]]) -> list[FileDocument]:
    if not may_file_for(actor, file.member):
        raise PermissionDenied(_("You may only add documents to your own file."))
    checked = _checked_documents(documents)
    if not checked:
        raise _invalid("documents", _("Choose a file."))
    with uploads.atomic() as files:
        file = HardshipFile.objects.select_for_update().get(pk=file.pk)
        if file.status in CLOSED_STATUSES:
            raise _invalid(None, _("The file is closed."))
        _store_documents(files, actor=actor, file=file, checked=checked)
        audit.record(actor=actor, action="hardship.file_documents", obj=file, org_path=file.org_path,
                     data={"kinds": sorted({k for k, _d in checked})})
    return list(file.documents.all())


def _locked(actor, file: HardshipFile, perm: Perm = Perm.MANAGE) -> HardshipFile:
    require(actor, perm, file.org_path)
    return HardshipFile.objects.select_for_update().get(pk=file.pk)


def file_start_notice(*, actor, file: HardshipFile, on: dt.date | None = None) -> HardshipFile:
    """The union has checked the application: the public notice (公示) runs for the policy's working days."""
    day = _today(on)
    with transaction.atomic():
        file = _locked(actor, file)
        if file.status != FileStatus.SUBMITTED:
            raise _invalid(None, _("Only an application waiting for the union can go into public notice."))
        if not file.documents.filter(kind=DocumentKind.UNIT_CERTIFICATE).exists():
            raise _invalid("documents", _("Attach the unit's certificate before the public notice."))
        days, approvers = selectors.policy_for(file.org_path)
        file.status, file.notice_start = FileStatus.NOTICE, day
        file.notice_end = add_workdays(day, days, calendar())
        file.approvals_required = approvers
        file.save(update_fields=["status", "notice_start", "notice_end", "approvals_required"])
        audit.record(actor=actor, action="hardship.notice_start", obj=file, org_path=file.org_path,
                     data={"until": file.notice_end.isoformat(), "days": days})
    return file


def file_object(*, actor, file: HardshipFile, text: str, on: dt.date | None = None) -> Objection:
    """Record an objection raised during the public notice (the approver sees it)."""
    text = _text(text, "text", 500, required=True, label=_("the objection"))
    day = _today(on)
    with transaction.atomic():
        file = _locked(actor, file)
        if file.status != FileStatus.NOTICE or day > file.notice_end:
            raise _invalid(None, _("Objections are recorded while the notice runs."))
        row = Objection.objects.create(file=file, text=text, recorded_by=actor, recorded_on=day)
        audit.record(actor=actor, action="hardship.objection", obj=file, org_path=file.org_path,
                     data={"objection": row.pk})
    return row


def file_approve(*, actor, file: HardshipFile, on: dt.date | None = None) -> HardshipFile:
    """Approve a file after its notice: by the union above the filing union; with two approvers
    required, the second distinct approver files it."""
    day = _today(on)
    require(actor, Perm.READ, file.org_path)
    if not selectors.may_approve(actor, file):
        raise PermissionDenied(_("The union above the filing union approves a file."))
    with transaction.atomic():
        file = HardshipFile.objects.select_for_update().get(pk=file.pk)
        if file.status != FileStatus.NOTICE:
            raise _invalid(None, _("Only a file whose public notice has run can be approved."))
        if day <= file.notice_end:
            raise _invalid(None, _("The public notice runs until %(day)s.") % {"day": file.notice_end.isoformat()})
        if file.filed_by_id == actor.pk and not actor.is_superuser:
            raise PermissionDenied(_("Whoever filed the application does not approve it."))
        _approval, created = Approval.objects.get_or_create(file=file, approver=actor,
                                                            defaults={"org_path": file.org_path})
        if not created:
            raise _invalid(None, _("You have already approved this file; a second approver is needed."))
        n = file.approvals.count()
        filed = n >= file.approvals_required
        if filed:
            file.status, file.filed_on, file.review_due = FileStatus.ACTIVE, day, add_years(day, 1)
            file.save(update_fields=["status", "filed_on", "review_due"])
            deltas = activity.Deltas()
            filed_deltas(deltas, file.org_path, day, file.grade)
            activity.add(deltas)
        audit.record(actor=actor, action="hardship.file_approve", obj=file, org_path=file.org_path,
                     data={"approvals": n, "required": file.approvals_required, "filed": filed})
    return file


def file_refuse(*, actor, file: HardshipFile, code: str, reason: str, on: dt.date | None = None) -> HardshipFile:
    """Refuse an application with a reason code and a sentence the worker sees."""
    if code not in RefusalCode.values:
        raise _invalid("code", _("Choose a reason for the refusal."))
    reason = _text(reason, "reason", 200, required=True, label=_("the reason the worker will read"))
    with transaction.atomic():
        file = _locked(actor, file)
        if file.status not in (FileStatus.SUBMITTED, FileStatus.NOTICE):
            raise _invalid(None, _("Only an application not yet decided can be refused."))
        file.status, file.refusal_code, file.close_reason, file.closed_on = (
            FileStatus.REFUSED, code, reason, _today(on))
        file.save(update_fields=["status", "refusal_code", "close_reason", "closed_on"])
        audit.record(actor=actor, action="hardship.file_refuse", obj=file, org_path=file.org_path,
                     data={"code": code})
    return file


def file_withdraw(*, actor, file: HardshipFile) -> HardshipFile:
    if not may_file_for(actor, file.member):
        raise PermissionDenied(_("You may only withdraw your own application."))
    with transaction.atomic():
        file = HardshipFile.objects.select_for_update().get(pk=file.pk)
        if file.status not in (FileStatus.SUBMITTED, FileStatus.NOTICE):
            raise _invalid(None, _("Only an application not yet decided can be withdrawn."))
        file.status, file.closed_on = FileStatus.WITHDRAWN, timezone.localdate()
        file.save(update_fields=["status", "closed_on"])
        audit.record(actor=actor, action="hardship.file_withdraw", obj=file, org_path=file.org_path)
    return file


def _income_upsert(file: HardshipFile, month: dt.date, per_capita: Decimal, actor) -> None:
    MonthlyIncome.objects.update_or_create(file=file, month=rules.month_of(month),
                                           defaults={"per_capita": per_capita, "recorded_by": actor})


def file_review(*, actor, file: HardshipFile, income, household: Iterable[Mapping] = (),
                costs: Iterable[Mapping] = (), flags: Mapping | None = None, on: dt.date | None = None) -> Grading:
    """The yearly review: grade the file again from fresh figures (kept beside the earlier gradings),
    record this month's income and set the next review a year on. Only an active file is reviewed:
    a paused or closed one stays as it was."""
    day = _today(on)
    hh, people, cost_rows = household_of(income=income, household=household, costs=costs, flags=flags)
    protected = _protected(people, file.member)
    with transaction.atomic():
        file = _locked(actor, file)
        if file.status != FileStatus.ACTIVE:
            raise _invalid(None, _("Only an active file is reviewed; this one is %(status)s.") % {
                "status": FileStatus(file.status).label})
        file.household.exclude(relation=Relation.SELF).delete()  # the household as it is now
        file.household.filter(relation=Relation.SELF).update(yearly_income=_money(income, "income"))
        _add_people(file, protected)
        grading = _grade_into(file, actor=actor, kind=Grading.Kind.REVIEW, hh=hh, costs=cost_rows, day=day)
        file.review_due = add_years(day, 1)
        file.save(update_fields=["grade", "per_capita", "standard", "review_due"])
        _income_upsert(file, day, grading.per_capita, actor)
        audit.record(actor=actor, action="hardship.file_review", obj=file, org_path=file.org_path,
                     data={"grade": grading.grade, "per_capita": str(grading.per_capita),
                           "standard": str(grading.standard)})
    return grading


def income_record(*, actor, file: HardshipFile, month: dt.date, per_capita) -> MonthlyIncome:
    amount = _money(per_capita, "per_capita")
    _not_future(month, "month")
    with transaction.atomic():
        file = _locked(actor, file)
        if file.status not in (FileStatus.ACTIVE, FileStatus.PAUSED):
            raise _invalid(None, _("Incomes are recorded on an active file."))
        _income_upsert(file, month, amount, actor)
        audit.record(actor=actor, action="hardship.income_record", obj=file, org_path=file.org_path,
                     data={"month": rules.month_of(month).isoformat(), "per_capita": str(amount)})
    return MonthlyIncome.objects.get(file=file, month=rules.month_of(month))


def visit_record(*, actor, file: HardshipFile, visited_on: dt.date, visitors: str, kind: str = VisitKind.REGULAR,
                 persons: int = 1, brought: str = "", found: str = "", follow_up: str = "",
                 per_capita=None) -> Visit:
    """A visit (走访, 夜访): counted as the people visited; it may record the month's per-capita income."""
    _not_future(visited_on, "visited_on")
    if kind not in VisitKind.values:
        raise _invalid("kind", _("Unknown kind of visit."))
    visitors = _text(visitors, "visitors", 200, required=True, label=_("who visited"))
    try:
        persons = int(persons)
    except (TypeError, ValueError):
        persons = 0
    if not 1 <= persons <= 20:
        raise _invalid("persons", _("Between 1 and 20 people visited."))
    amount = None if per_capita in (None, "") else _money(per_capita, "per_capita")
    fields = {"brought": _text(brought, "brought", 200), "found": _text(found, "found", 500),
              "follow_up": _text(follow_up, "follow_up", 500)}
    with transaction.atomic():
        file = _locked(actor, file)
        if file.status not in (FileStatus.ACTIVE, FileStatus.PAUSED, FileStatus.NOTICE):
            raise _invalid(None, _("Visits are recorded on an open file."))
        visit = Visit.objects.create(file=file, org_path=file.org_path, kind=kind, visited_on=visited_on,
                                     visitors=visitors, persons=persons, recorded_by=actor, **fields)
        if amount is not None:
            _income_upsert(file, visited_on, amount, actor)
        deltas = activity.Deltas()
        visit_deltas(deltas, file.org_path, visited_on, kind, persons)
        activity.add(deltas)
        audit.record(actor=actor, action="hardship.visit", obj=file, org_path=file.org_path,
                     data={"visit": visit.pk, "kind": kind, "persons": persons,
                           "per_capita": None if amount is None else str(amount)})
    return visit


def _close(actor, file: HardshipFile, status: str, reason: str, day: dt.date, check=None) -> HardshipFile:
    with transaction.atomic():
        file = _locked(actor, file)
        if file.status not in (FileStatus.ACTIVE, FileStatus.PAUSED):
            raise _invalid(None, _("Only a filed family can leave hardship."))
        if check is not None:
            check(file)
        file.status, file.closed_on, file.close_reason = status, day, reason
        file.save(update_fields=["status", "closed_on", "close_reason"])
        deltas = activity.Deltas()
        closed_deltas(deltas, file.org_path, day, status)
        activity.add(deltas)
        audit.record(actor=actor, action=f"hardship.file_{status}", obj=file, org_path=file.org_path,
                     data={"reason": reason})
    return file


def file_lift_out(*, actor, file: HardshipFile, reason: str = "", on: dt.date | None = None) -> HardshipFile:
    """脱困: the per-capita income was above the 低保 standard for six consecutive months."""
    day = _not_future(_today(on), "on")
    reason = _text(reason, "reason", 200) or _("Income above the 低保 standard for six consecutive months.")

    def check(f):
        records = selectors.incomes_of(f)
        standards = selectors.standards_by_month(f.org_path, list(rules.months(day, rules.LIFT_OUT_MONTHS)))
        if not rules.lifted_out(records, standards, day):
            raise _invalid(None, _("A family is lifted out after six consecutive months above the 低保 standard; "
                                   "%(n)d so far.") % {"n": rules.months_above(records, standards, day)})

    return _close(actor, file, FileStatus.LIFTED_OUT, reason, day, check)


def file_relieve(*, actor, file: HardshipFile, reason: str, on: dt.date | None = None) -> HardshipFile:
    """解困: a family that cannot exit (serious illness, disability) handed to government 兜底."""
    reason = _text(reason, "reason", 200, required=True, label=_("the reason"))
    return _close(actor, file, FileStatus.RELIEVED, reason, _not_future(_today(on), "on"))


def file_pause(*, actor, file: HardshipFile, reason: str) -> HardshipFile:
    reason = _text(reason, "reason", 200, required=True, label=_("the reason"))
    with transaction.atomic():
        file = _locked(actor, file)
        if file.status != FileStatus.ACTIVE:
            raise _invalid(None, _("Only an active file can be paused."))
        file.status, file.close_reason = FileStatus.PAUSED, reason
        file.save(update_fields=["status", "close_reason"])
        audit.record(actor=actor, action="hardship.file_pause", obj=file, org_path=file.org_path,
                     data={"reason": reason})
    return file


def file_resume(*, actor, file: HardshipFile) -> HardshipFile:
    with transaction.atomic():
        file = _locked(actor, file)
        if file.status != FileStatus.PAUSED:
            raise _invalid(None, _("Only a paused file can be resumed."))
        file.status, file.close_reason = FileStatus.ACTIVE, ""
        file.save(update_fields=["status", "close_reason"])
        audit.record(actor=actor, action="hardship.file_resume", obj=file, org_path=file.org_path)
    return file


# ---- help: programmes, lists, payment -------------------------------------------------------------

def programme_create(*, actor, org: Org, kind: str, name: str, cycle: int, budget, amount_rule: str,
                     amounts: Mapping | None = None, min_amount=None, max_amount=None,
                     open_to: str = Programme.OpenTo.FILED) -> Programme:
    require(actor, Perm.MANAGE, org.path)
    if kind not in ProgrammeKind.values:
        raise _invalid("kind", _("Unknown kind of help."))
    name = _text(name, "name", 100, required=True, label=_("the name"))
    if not isinstance(cycle, int) or not 2000 <= cycle <= 2100:
        raise _invalid("cycle", _("Enter the year."))
    budget = parse_money(budget, field="budget", positive=True)
    if open_to not in Programme.OpenTo.values:
        raise _invalid("open_to", _("Choose who may receive it."))
    clean_amounts: dict[str, str] = {}
    lo = hi = None
    if amount_rule == Programme.AmountRule.BY_GRADE:
        for grade, value in (amounts or {}).items():
            if grade not in rules.GRADED and grade != "other":
                raise _invalid("amounts", _("Unknown grade."))
            if value not in (None, ""):
                clean_amounts[grade] = str(parse_money(value, field="amounts", positive=True))
        if not clean_amounts:
            raise _invalid("amounts", _("Give the amount for at least one grade."))
    elif amount_rule == Programme.AmountRule.RANGE:
        lo = parse_money(min_amount, field="min_amount", positive=True)
        hi = parse_money(max_amount, field="max_amount", positive=True)
        if hi < lo:
            raise _invalid("max_amount", _("The most is below the least."))
    else:
        raise _invalid("amount_rule", _("Choose the amount rule."))
    try:
        with transaction.atomic():
            programme = Programme.objects.create(
                org=org, org_path=org.path, kind=kind, name=name, cycle=cycle, budget=budget, remaining=budget,
                amount_rule=amount_rule, amounts=clean_amounts, min_amount=lo, max_amount=hi, open_to=open_to)
            audit.record(actor=actor, action="hardship.programme_create", obj=programme, org_path=org.path,
                         data={"kind": kind, "cycle": cycle, "budget": str(budget)})
    except IntegrityError:
        raise _invalid("name", _("This union already has a programme of that name this year.")) from None
    return programme


def line_amount(programme: Programme, grade: str, typed) -> Decimal:
    """The amount of one line by the programme's rule (fixed per grade, or typed within the range)."""
    if programme.amount_rule == Programme.AmountRule.BY_GRADE:
        value = programme.amounts.get(grade or "other")
        if value is None:
            raise _invalid("lines", _("The programme gives nothing to this grade."))
        return Decimal(value)
    amount = parse_money(typed, field="lines", positive=True)
    if not programme.min_amount <= amount <= programme.max_amount:
        raise _invalid("lines", _("An amount is between %(lo)s and %(hi)s yuan.") % {
            "lo": programme.min_amount, "hi": programme.max_amount})
    return amount


def disbursement_create(*, actor, programme: Programme, lines: Iterable[Mapping],
                        idempotency_key: str = "") -> Disbursement:
    """A list of help to pay: each line a filed family (``file``) or, for a programme open to others,
    a member (``member``), with an ``amount`` when the rule says typed, and ``students`` for school aid.

    A person already helped by the same kind of help this cycle is refused — by another union, the
    cadre is told only that (the unique constraint on the ID hash holds city-wide). Over the budget
    left, the list is refused. The same idempotency key returns the list made the first time.
    """
    require(actor, Perm.MANAGE, programme.org_path)
    key = str(idempotency_key or "")[:64]
    if key:
        existing = Disbursement.objects.filter(org_id=programme.org_id, idempotency_key=key).first()
        if existing is not None:
            return existing
    lines = list(lines)
    if not lines:
        raise _invalid("lines", _("Put at least one family on the list."))
    if len(lines) > MAX_LINES:
        raise _invalid("lines", _("At most %(n)d lines a list.") % {"n": MAX_LINES})
    manage = scope_for(actor, Perm.MANAGE)
    file_ids = [int(line["file"]) for line in lines if line.get("file")]
    files = {f.pk: f for f in HardshipFile.objects.filter(pk__in=file_ids).select_related("member")}
    member_ids = [int(line["member"]) for line in lines if line.get("member") and not line.get("file")]
    members = {m.pk: m for m in Member.objects.filter(pk__in=member_ids)}
    rows, seen = [], set()
    for i, line in enumerate(lines):
        if line.get("file"):
            file = files.get(int(line["file"]))
            if file is None or not manage.covers(file.org_path) or not file.org_path.startswith(programme.org_path):
                raise _invalid("lines", _("Line %(n)d: no such family in this union.") % {"n": i + 1})
            if file.status != FileStatus.ACTIVE:
                raise _invalid("lines", _("Line %(n)d: the family's file is not active.") % {"n": i + 1})
            member, grade = file.member, file.grade
        elif line.get("member"):
            if programme.open_to != Programme.OpenTo.ANY:
                raise _invalid("lines", _("This programme is for filed families only."))
            member, file, grade = members.get(int(line["member"])), None, ""
            if member is None or not manage.covers(member.org_path) \
                    or not member.org_path.startswith(programme.org_path):
                raise _invalid("lines", _("Line %(n)d: no such member in this union.") % {"n": i + 1})
        else:
            raise _invalid("lines", _("Line %(n)d: choose a family or a member.") % {"n": i + 1})
        if member.id_hash in seen:
            raise _invalid("lines", _("Line %(n)d: %(name)s is on the list twice.") % {"n": i + 1,
                                                                                      "name": member.name})
        seen.add(member.id_hash)
        try:
            students = int(line.get("students") or 0)
        except (TypeError, ValueError):
            students = -1
        if not 0 <= students <= 10:
            raise _invalid("lines", _("Line %(n)d: 0 to 10 children.") % {"n": i + 1})
        if programme.kind == ProgrammeKind.SCHOOL and students == 0:
            students = 1
        rows.append(Grant(programme=programme, kind=programme.kind, cycle=programme.cycle,
                          org_path=(file.org_path if file else member.org_path), file=file, member=member,
                          person_hash=member.id_hash, grade=grade, students=students,
                          amount=line_amount(programme, grade, line.get("amount"))))
    taken = dict(Grant.objects.filter(kind=programme.kind, cycle=programme.cycle,
                                      person_hash__in=list(seen)).exclude(status=GrantStatus.CANCELLED)
                 .values_list("person_hash", "org_path"))
    for row in rows:
        if row.person_hash in taken:
            if manage.covers(taken[row.person_hash]):
                raise _invalid("lines", _("%(name)s already has this help in this cycle.") % {"name": row.member.name})
            raise _invalid("lines", _("%(name)s was already helped in this cycle by another union.") % {
                "name": row.member.name})
    total = sum((r.amount for r in rows), Decimal("0.00"))
    if total > programme.remaining:
        raise _invalid("lines", _("The list comes to %(total)s yuan; the budget has %(left)s yuan left.") % {
            "total": total, "left": programme.remaining})
    try:
        with transaction.atomic():
            dl = Disbursement.objects.create(programme=programme, org_id=programme.org_id,
                                             org_path=programme.org_path, idempotency_key=key, total=total,
                                             created_by=actor)
            for row in rows:
                row.disbursement = dl
            Grant.objects.bulk_create(rows, batch_size=500)
            audit.record(actor=actor, action="hardship.list_create", obj=dl, org_path=dl.org_path,
                         data={"programme": programme.pk, "lines": len(rows), "total": str(total)})
    except IntegrityError:
        if key:
            existing = Disbursement.objects.filter(org_id=programme.org_id, idempotency_key=key).first()
            if existing is not None:
                return existing
        raise _invalid("lines", _("Someone on the list was already helped in this cycle.")) from None
    return dl


def disbursement_approve(*, actor, disbursement: Disbursement, on: dt.date | None = None) -> Disbursement:
    """Approve a list: its total is taken from the budget left by one conditional UPDATE (never below
    zero, whatever runs at the same time). Approving an approved list again changes nothing."""
    require(actor, Perm.MANAGE, disbursement.org_path)
    day = _today(on)
    with transaction.atomic():
        claimed = Disbursement.objects.filter(pk=disbursement.pk, status=Disbursement.Status.DRAFT).update(
            status=Disbursement.Status.APPROVED, approved_by=actor, approved_on=day)
        dl = Disbursement.objects.get(pk=disbursement.pk)
        if not claimed:
            return dl  # already approved (a double click, or another cadre first)
        taken = Programme.objects.filter(pk=dl.programme_id, remaining__gte=dl.total).update(
            remaining=F("remaining") - dl.total)
        if not taken:
            raise _invalid(None, _("The budget left is less than this list's total."))
        Grant.objects.filter(disbursement=dl, status=GrantStatus.LISTED).update(status=GrantStatus.APPROVED)
        audit.record(actor=actor, action="hardship.list_approve", obj=dl, org_path=dl.org_path,
                     data={"total": str(dl.total)})
    return dl


def disbursement_pay(*, actor, disbursement: Disbursement, failed: Mapping[int, str] | None = None,
                     method: str = Grant.Method.BANK, on: dt.date | None = None) -> int:
    """Mark the list's lines to be paid as paid (the ``failed`` ones as failed, with the bank's reason).
    Each line moves by a conditional UPDATE from "to be paid", so paying twice pays nothing more.
    Returns the number of lines paid now."""
    require(actor, Perm.MANAGE, disbursement.org_path)
    if method not in Grant.Method.values:
        raise _invalid("method", _("Choose how it was paid."))
    failed = {int(k): _text(v, "failed", 200) for k, v in (failed or {}).items()}
    if any(not v for v in failed.values()):
        raise _invalid("failed", _("Give the reason for each failed payment."))
    day = _today(on)
    with transaction.atomic():
        dl = Disbursement.objects.select_for_update().get(pk=disbursement.pk)
        if dl.status == Disbursement.Status.DRAFT:
            raise _invalid(None, _("Approve the list before paying it."))
        due = Grant.objects.filter(disbursement=dl, status=GrantStatus.APPROVED)
        unknown = set(failed) - set(Grant.objects.filter(disbursement=dl).values_list("pk", flat=True))
        if unknown:
            raise _invalid("failed", _("Those lines are not on this list."))
        for pk, reason in failed.items():
            due.filter(pk=pk).update(status=GrantStatus.FAILED, failure=reason)
        to_pay = list(due.exclude(pk__in=list(failed)).values_list("pk", "org_path", "kind", "amount", "students"))
        paid = Grant.objects.filter(pk__in=[r[0] for r in to_pay], status=GrantStatus.APPROVED).update(
            status=GrantStatus.PAID, paid_on=day, method=method)
        deltas = activity.Deltas()
        for _pk, path, kind, amount, students in to_pay:
            paid_deltas(deltas, path, day, kind, amount, students)
        activity.add(deltas)
        if not Grant.objects.filter(disbursement=dl, status=GrantStatus.APPROVED).exists():
            dl.status = Disbursement.Status.CLOSED
            dl.save(update_fields=["status"])
        audit.record(actor=actor, action="hardship.list_pay", obj=dl, org_path=dl.org_path,
                     data={"paid": paid, "failed": sorted(failed), "method": method})
    return paid


def grant_retry(*, actor, grant: Grant) -> Grant:
    """A failed payment goes back to "to be paid" (once: the line moves only from failed)."""
    require(actor, Perm.MANAGE, grant.org_path)
    with transaction.atomic():
        moved = Grant.objects.filter(pk=grant.pk, status=GrantStatus.FAILED).update(
            status=GrantStatus.APPROVED, failure="")
        grant = Grant.objects.get(pk=grant.pk)
        if moved:
            Disbursement.objects.filter(pk=grant.disbursement_id).update(status=Disbursement.Status.APPROVED)
            audit.record(actor=actor, action="hardship.grant_retry", obj=grant, org_path=grant.org_path)
    return grant


__all__ = [
    "Grade", "explain_refusal", "disbursement_approve", "disbursement_create", "disbursement_pay",
    "file_add_documents", "file_apply", "file_reveal", "file_approve", "file_lift_out", "file_object", "file_pause",
    "file_refuse", "file_relieve", "file_resume", "file_review", "file_start_notice", "file_withdraw",
    "grant_retry", "household_of", "income_record", "line_amount", "may_file_for", "policy_set",
    "programme_create", "self_test", "standard_set", "visit_record",
]


def file_reveal(*, actor, file: HardshipFile) -> list[dict]:
    """The household in full (ID numbers, incomes): for roles that may reveal, with an audit line."""
    require(actor, Perm.REVEAL, file.org_path)
    people = list(file.household.order_by("pk"))
    with transaction.atomic():
        audit.record(actor=actor, action="hardship.reveal", obj=file, org_path=file.org_path,
                     data={"people": len(people)})
    return [{"name": p.name, "relation": p.relation,
             "id_number": pii.decrypt(bytes(p.id_cipher), key_id=p.pii_key_id, bound_to=p.id_hash),
             "work": p.work, "income_source": p.income_source, "yearly_income": p.yearly_income} for p in people]
