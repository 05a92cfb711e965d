"""Writes of medical mutual aid: one function per use case, one transaction and audit line each.

Plans are defined by the city union (MANAGE on a root org); a union enrols members of its
subtree; the insurer's settlement records come in through ``gonghui.mutualaid.feeds`` and are
priced by ``gonghui.mutualaid.pricing``; claims are filed by members (or cadres for them) and
reviewed by the enrolment's union; payouts go to the bank in payment batches.
Refusals raise ``ValidationError`` whose ``code`` is a ``Reason`` value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.core import audit, pii
from gonghui.core.ids import parse_id_number
from gonghui.core.paths import subtree_q
from gonghui.core.scope import Perm, require, scope_for
from gonghui.members.models import Member, MemberStatus
from gonghui.mutualaid import rules
from gonghui.mutualaid.models import (
    CLAIM_REFUSAL_CODES,
    Claim,
    ClaimDocument,
    ClaimStatus,
    DocumentKind,
    Eligibility,
    Enrolment,
    EnrolmentBatch,
    Ledger,
    PaymentBatch,
    PaymentLine,
    Payout,
    PayoutStatus,
    Plan,
    Product,
    Reason,
    Relation,
    SettlementRecord,
    SettlementStatus,
)
from gonghui.orgs.models import Org
from gonghui.stats import activity

ZERO = Decimal("0.00")
# Retirement age used to tell retirees from in-service members (on the plan's first day of cover).
RETIREMENT_AGE = {"M": 60, "F": 55}
# Products priced against an in-patient plan: an in-service member is in ``inpatient``, a retiree in
# ``retiree_inpatient``; a settlement or claim says ``inpatient`` and finds whichever the person has.
PRODUCT_GROUP = {
    Product.INPATIENT: (Product.INPATIENT, Product.RETIREE_INPATIENT),
    Product.RETIREE_INPATIENT: (Product.INPATIENT, Product.RETIREE_INPATIENT),
    Product.CRITICAL_ILLNESS: (Product.CRITICAL_ILLNESS,),
}
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
DOCUMENT_TYPES = {  # magic bytes → (content type, suffix)
    b"%PDF-": ("application/pdf", ".pdf"),
    b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
    b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
}
CLAIM_REQUIRED_DOCUMENTS = (DocumentKind.INVOICE, DocumentKind.ITEMISED_BILL, DocumentKind.DISCHARGE_SUMMARY)
MAX_DOCUMENTS = 20


def refuse(code: Reason, message: str | None = None, *, field: str | None = None) -> ValidationError:
    """A ValidationError carrying a Reason code (and its sentence unless a more precise one is given)."""
    error = ValidationError(message or str(Reason(code).label), code=str(code))
    return ValidationError({field: [error]}) if field else error


def reason_of(exc: ValidationError) -> str:
    """The Reason code of a refusal raised by these services ('invalid' when there is none)."""
    for error in exc.error_list if not hasattr(exc, "error_dict") else [e for v in exc.error_dict.values() for e in v]:
        if error.code:
            return error.code
    return Reason.INVALID


def _today(on: dt.date | None) -> dt.date:
    return on or timezone.localdate()


def _money(value, field: str, *, allow_none: bool = False) -> Decimal | None:
    if value is None or value == "":
        if allow_none:
            return None
        raise ValidationError({field: _("Enter an amount in yuan.")}, code="invalid")
    try:
        amount = rules.yuan(value if not isinstance(value, float) else str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({field: _("Enter an amount in yuan, e.g. 1234.50.")}, code="invalid") from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise ValidationError({field: _("The amount must be between 0 and 999,999,999,999.99 yuan.")}, code="invalid")
    return amount


def root_org() -> Org:
    return Org.objects.get_first_root_node()


def is_retiree(*, birth_date: dt.date, sex: str, on: dt.date) -> bool:
    age = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    return age >= RETIREMENT_AGE.get(sex, RETIREMENT_AGE["M"])


def _retiree_q(on: dt.date) -> Q:
    """Members who are retirees on ``on`` (born on or before the day they reach the retirement age)."""
    q = Q()
    for sex, age in RETIREMENT_AGE.items():
        try:
            cutoff = on.replace(year=on.year - age)
        except ValueError:  # 29 February
            cutoff = on.replace(year=on.year - age, day=28)
        q |= Q(sex=sex, birth_date__lte=cutoff)
    return q


def eligible_q(plan: Plan) -> Q:
    """The members a plan accepts (active; in service or retired on its first day of cover)."""
    retiree = _retiree_q(plan.cover_start)
    q = Q(status=MemberStatus.ACTIVE)
    return q & (retiree if plan.eligibility == Eligibility.RETIREE else ~retiree)


# ---------------------------------------------------------------------------------------------
# Plans


PLAN_FIELDS = ("name", "fee", "window_start", "window_end", "cover_start", "cover_end", "eligibility",
               "deductible", "tiers", "yearly_cap", "stay_cap", "allows_dependants")


def _clean_plan(fields: dict, *, product: str, year: int) -> dict:
    out = dict(fields)
    errors: dict[str, list] = {}

    def bad(field, message):
        errors.setdefault(field, []).append(ValidationError(message, code="invalid"))

    out["name"] = " ".join(str(out.get("name") or "").split())[:100] or None
    if not out["name"]:
        bad("name", _("Give the plan a name."))
    for field in ("fee", "deductible", "yearly_cap"):
        try:
            out[field] = _money(out.get(field), field)
        except ValidationError as exc:
            errors.update(exc.error_dict)
    try:
        out["stay_cap"] = _money(out.get("stay_cap"), "stay_cap", allow_none=True)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    try:
        out["tiers"] = rules.tiers_json(rules.parse_tiers(out.get("tiers") or []))
    except ValidationError as exc:
        errors["tiers"] = exc.error_list
    if out.get("eligibility") not in Eligibility.values:
        bad("eligibility", _("Choose who may enrol."))
    for field in ("window_start", "window_end", "cover_start", "cover_end"):
        if not isinstance(out.get(field), dt.date) or isinstance(out.get(field), dt.datetime):
            bad(field, _("Enter a date."))
    if not any(f in errors for f in ("window_start", "window_end", "cover_start", "cover_end")):
        if out["window_end"] < out["window_start"]:
            bad("window_end", _("The enrolment period ends before it starts."))
        if out["cover_end"] < out["cover_start"]:
            bad("cover_end", _("The period of cover ends before it starts."))
        if out["cover_start"].year != year:
            bad("cover_start", _("Cover starts in the plan's year."))
        if out["window_start"] > out["cover_end"]:
            bad("window_start", _("Enrolment opens before the period of cover ends."))
    if product == Product.RETIREE_INPATIENT and out.get("eligibility") == Eligibility.IN_SERVICE:
        bad("eligibility", _("The retiree product is for retired members."))
    if errors:
        raise ValidationError(errors)
    out["allows_dependants"] = bool(out.get("allows_dependants"))
    return out


def plan_create(*, actor, product: str, year: int, name: str, fee, window_start: dt.date, window_end: dt.date,
                deductible, tiers, yearly_cap, stay_cap=None, cover_start: dt.date | None = None,
                cover_end: dt.date | None = None, eligibility: str | None = None,
                allows_dependants: bool = False) -> Plan:
    """Define a product's plan for a year (city union only). The version counts the product's plans."""
    root = root_org()
    require(actor, Perm.MANAGE, root.path)
    if product not in Product.values:
        raise ValidationError({"product": _("Unknown product.")}, code="invalid")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ValidationError({"year": _("Enter a year between 2000 and 2100.")}, code="invalid")
    eligibility = eligibility or (Eligibility.RETIREE if product == Product.RETIREE_INPATIENT else Eligibility.IN_SERVICE)
    fields = _clean_plan(dict(
        name=name, fee=fee, window_start=window_start, window_end=window_end,
        cover_start=cover_start or dt.date(year, 1, 1), cover_end=cover_end or dt.date(year, 12, 31),
        eligibility=eligibility, deductible=deductible, tiers=tiers, yearly_cap=yearly_cap, stay_cap=stay_cap,
        allows_dependants=allows_dependants), product=product, year=year)
    if Plan.objects.filter(product=product, year=year).exists():
        raise ValidationError({"year": _("This product already has a plan for that year.")}, code="invalid")
    try:
        with transaction.atomic():
            version = (Plan.objects.filter(product=product).order_by("-version")
                       .values_list("version", flat=True).first() or 0) + 1
            plan = Plan.objects.create(product=product, year=year, version=version, org=root, org_path=root.path,
                                       created_by=actor, **fields)
            audit.record(actor=actor, action="aid.plan_create", obj=plan, org_path=root.path,
                         data={"product": product, "year": year, "version": version})
    except IntegrityError:
        raise ValidationError({"year": _("This product already has a plan for that year.")}, code="invalid") from None
    return plan


def plan_is_locked(plan: Plan) -> bool:
    return Enrolment.objects.filter(plan=plan).exists()


def plan_update(*, actor, plan: Plan, **changes) -> Plan:
    """Change a plan year's rules while nobody is enrolled; afterwards refuse (code plan_locked)."""
    require(actor, Perm.MANAGE, plan.org_path)
    unknown = set(changes) - set(PLAN_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))},
                              code="invalid")
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        if plan_is_locked(plan):
            raise refuse(Reason.PLAN_LOCKED, _("Members are enrolled in this plan year: its rules can no longer "
                                               "change. Define next year's plan instead."))
        current = {f: getattr(plan, f) for f in PLAN_FIELDS}
        fields = _clean_plan({**current, **changes}, product=plan.product, year=plan.year)
        changed = {f: str(fields[f]) for f in PLAN_FIELDS if fields[f] != current[f]}
        for f in PLAN_FIELDS:
            setattr(plan, f, fields[f])
        plan.save(update_fields=list(PLAN_FIELDS))
        audit.record(actor=actor, action="aid.plan_update", obj=plan, org_path=plan.org_path,
                     data={"changed": sorted(changed)})
    return plan


def plan_next_year(*, actor, plan: Plan, year: int | None = None, **overrides) -> Plan:
    """Next year's plan of the same product: a new row (version) starting from this one's rules."""
    year = year or plan.year + 1
    shift = year - plan.year

    def moved(day: dt.date) -> dt.date:
        try:
            return day.replace(year=day.year + shift)
        except ValueError:
            return day.replace(year=day.year + shift, day=28)

    fields = {f: getattr(plan, f) for f in PLAN_FIELDS}
    for f in ("window_start", "window_end", "cover_start", "cover_end"):
        fields[f] = moved(fields[f])
    fields["name"] = plan.name.replace(str(plan.year), str(year))
    fields.update(overrides)
    return plan_create(actor=actor, product=plan.product, year=year, **fields)


# ---------------------------------------------------------------------------------------------
# Enrolment


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _insert_enrolments(*, plan: Plan, batch: EnrolmentBatch, members_sql: str, members_params: list,
                       on: dt.date, actor) -> int:
    """INSERT … SELECT the members of a query, skipping those already enrolled; the number inserted."""
    table = Enrolment._meta.db_table
    now = timezone.now()
    sql = (
        f"INSERT INTO {table} (member_id, plan_id, org_id, org_path, enrolled_on, fee, batch_id, enrolled_by_id, "
        "created_at) SELECT m.id, %s, m.org_id, m.org_path, %s, %s, %s, %s, %s "
        f"FROM ({members_sql}) m WHERE true ON CONFLICT (member_id, plan_id) DO NOTHING"
    )
    params = [plan.pk, on, plan.fee, batch.pk, actor.pk if actor else None, now, *members_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def enrol_batch(*, actor, plan: Plan, org: Org, mode: str = EnrolmentBatch.Mode.ALL,
                member_ids: Iterable[int] | None = None, id_numbers: Iterable[str] | None = None,
                on: dt.date | None = None) -> EnrolmentBatch:
    """Enrol members of ``org``'s subtree in ``plan``: all eligible ones, a selection, or a list of ID numbers.

    Refused as a whole outside the enrolment window (code outside_window). Members already
    enrolled are counted, not enrolled twice; the others that cannot be enrolled are listed in the
    batch's report with a code (not_in_union, not_active, not_eligible, invalid). ``on`` is the
    enrolment day (today; demo and bench loads give past days).
    """
    require(actor, Perm.MANAGE, org.path)
    on = _today(on)
    if not plan.window_start <= on <= plan.window_end:
        raise refuse(Reason.OUTSIDE_WINDOW, _("Enrolment in %(plan)s is open from %(start)s to %(end)s.") % {
            "plan": plan.name, "start": plan.window_start, "end": plan.window_end})
    if mode not in EnrolmentBatch.Mode.values:
        raise ValidationError({"mode": _("Unknown enrolment mode.")}, code="invalid")
    subtree = Member.objects.filter(subtree_q(org.path, "org_path"))
    report: list[dict] = []
    asked = 0
    candidate_ids: list[int] = []
    if mode == EnrolmentBatch.Mode.ALL:
        asked = None  # counted below
    elif mode == EnrolmentBatch.Mode.SELECTION:
        ids = sorted({int(i) for i in (member_ids or [])})
        if not ids:
            raise ValidationError({"member_ids": _("Select at least one member.")}, code="invalid")
        asked = len(ids)
        found: set[int] = set()
        for part in _chunks(ids, 5000):
            found.update(subtree.filter(pk__in=part).values_list("pk", flat=True))
        report += [{"member": i, "code": Reason.NOT_IN_UNION} for i in ids if i not in found]
        candidate_ids = sorted(found)
    else:
        hashes: dict[str, int] = {}
        lines = list(id_numbers or [])
        if not lines:
            raise ValidationError({"id_numbers": _("The list holds no ID number.")}, code="invalid")
        asked = len(lines)
        for line, raw in enumerate(lines, start=1):
            try:
                info = parse_id_number(str(raw or ""))
            except ValidationError:
                report.append({"line": line, "code": Reason.INVALID})
                continue
            hashes.setdefault(pii.digest("id", info.number), line)
        found_ids: list[int] = []
        seen: set[str] = set()
        for part in _chunks(list(hashes), 5000):
            for pk, h in subtree.filter(id_hash__in=part).values_list("pk", "id_hash"):
                found_ids.append(pk)
                seen.add(h)
        report += [{"line": line, "code": Reason.NOT_IN_UNION} for h, line in hashes.items() if h not in seen]
        candidate_ids = sorted(set(found_ids))
    # The candidates, in parts of at most 5,000 ids for a selection or list (SQLite's parameter limit).
    if mode == EnrolmentBatch.Mode.ALL:
        parts = [subtree.filter(status=MemberStatus.ACTIVE)]
    else:
        parts = [subtree.filter(pk__in=part) for part in _chunks(candidate_ids, 5000)]
    # Who of the candidates cannot be enrolled, and why (all counted; listed up to a limit).
    refused = len(report)
    for candidates in parts:
        not_eligible = candidates.exclude(eligible_q(plan))
        if mode == EnrolmentBatch.Mode.ALL:
            n = not_eligible.count()
            if n:
                report.append({"code": Reason.NOT_ELIGIBLE, "count": n})
            refused += n
        else:
            for pk, status in not_eligible.values_list("pk", "status"):
                report.append({"member": pk, "code": Reason.NOT_ACTIVE if status != MemberStatus.ACTIVE
                               else Reason.NOT_ELIGIBLE})
                refused += 1
    with transaction.atomic():
        batch = EnrolmentBatch.objects.create(plan=plan, org=org, org_path=org.path, mode=mode, enrolled_on=on,
                                              created_by=actor)
        inserted = total_eligible = 0
        for candidates in parts:
            eligible = candidates.filter(eligible_q(plan))
            sql, params = eligible.values("id", "org_id", "org_path").query.sql_with_params()
            inserted += _insert_enrolments(plan=plan, batch=batch, members_sql=sql, members_params=list(params),
                                           on=on, actor=actor)
            total_eligible += eligible.count()
        batch.enrolled = inserted
        batch.already = total_eligible - inserted
        batch.asked = asked if asked is not None else total_eligible + refused
        batch.refused = refused
        batch.fee_due = (plan.fee * inserted).quantize(rules.FEN)
        batch.report = {"lines": report[:1000], "more": max(0, len(report) - 1000)}
        batch.save(update_fields=["enrolled", "already", "asked", "refused", "fee_due", "report"])
        deltas = activity.Deltas()
        rows = list(Enrolment.objects.filter(batch=batch).values_list("org_path").annotate(n=Count("id")).order_by())
        for path, n in rows:
            _enrolment_deltas(deltas, path, on, plan, n)
        activity.add(deltas)
        if rows:  # after the statistics rows: concurrent enrolments take their locks in one order
            Plan.objects.filter(pk=plan.pk).update(enrolled=F("enrolled") + sum(n for _path, n in rows))
        audit.record(actor=actor, action="aid.enrol_batch", obj=batch, org_path=org.path,
                     data={"plan": plan.pk, "mode": mode, "enrolled": inserted, "already": batch.already,
                           "refused": refused, "fee_due": str(batch.fee_due)})
    return batch


def _enrolment_deltas(deltas: activity.Deltas, path: str, day: dt.date, plan: Plan, n: int) -> None:
    fees = (plan.fee * n).quantize(rules.FEN)
    deltas.add(path, day, "aid_enrolments", n=n)
    deltas.add(path, day, "aid_enrolments", n=n, dim="product", key=plan.product)
    deltas.add(path, day, "aid_fees", n=n, amount=fees)
    deltas.add(path, day, "aid_fees", n=n, amount=fees, dim="product", key=plan.product)


def enrol_member(*, actor, plan: Plan, member: Member, on: dt.date | None = None) -> Enrolment:
    """Enrol one member (a selection of one); refused with the code when they cannot be enrolled."""
    batch = enrol_batch(actor=actor, plan=plan, org=member.org, mode=EnrolmentBatch.Mode.SELECTION,
                        member_ids=[member.pk], on=on)
    enrolment = Enrolment.objects.filter(member=member, plan=plan).first()
    if enrolment is None:
        code = (batch.report.get("lines") or [{"code": Reason.NOT_ELIGIBLE}])[0]["code"]
        raise refuse(Reason(code))
    if batch.enrolled == 0:
        raise refuse(Reason.ALREADY_ENROLLED)
    return enrolment


# ---------------------------------------------------------------------------------------------
# Cover: which enrolment pays for a stay


def cover_for(*, member_id: int, product: str, day: dt.date) -> tuple[Enrolment | None, str]:
    """The member's enrolment whose plan covers a stay ending on ``day``, else (None, reason code)."""
    enrolments = list(Enrolment.objects.select_related("plan")
                      .filter(member_id=member_id, plan__product__in=PRODUCT_GROUP[Product(product)]))
    chosen, code = pick_cover([(e.plan.cover_start, e.plan.cover_end, e.enrolled_on, e) for e in enrolments], day)
    return chosen, code


def pick_cover(candidates, day: dt.date):
    """Of (cover_start, cover_end, enrolled_on, payload) rows, the payload covering ``day``.

    Else the reason: not_covered_dates when the person is enrolled for the plan year the day falls
    in but cover had not begun (enrolled after the day), not_enrolled otherwise.
    """
    year_found = False
    for cover_start, cover_end, enrolled_on, payload in candidates:
        if covers(cover_start, cover_end, enrolled_on, day):
            return payload, ""
        if cover_start <= day <= cover_end:
            year_found = True
    return None, (Reason.NOT_COVERED_DATES if year_found else Reason.NOT_ENROLLED)


def covers(cover_start: dt.date, cover_end: dt.date, enrolled_on: dt.date, day: dt.date) -> bool:
    """Cover runs from the plan's first day (or the enrolment day, if later) to its last day."""
    return max(cover_start, enrolled_on) <= day <= cover_end


# ---------------------------------------------------------------------------------------------
# Ledger and payouts (claims; the batch engine in pricing.py writes the same rows set-based)


def ledger_lock(*, plan: Plan, person_hash: str, member_id: int) -> Ledger:
    """The person's ledger row for the plan year, created if missing, locked until the transaction ends."""
    Ledger.objects.bulk_create([Ledger(plan=plan, person_hash=person_hash, member_id=member_id)],
                               ignore_conflicts=True)
    return Ledger.objects.select_for_update().get(plan=plan, person_hash=person_hash)


def payout_deltas(deltas: activity.Deltas, path: str, day: dt.date, product: str, amount: Decimal,
                  n: int = 1) -> None:
    """``n`` payouts (above zero) of ``amount`` in all, of one union, day and product."""
    if amount <= 0:
        return
    deltas.add(path, day, "aid_payouts", n=n)
    deltas.add(path, day, "aid_payouts", n=n, dim="product", key=product)
    deltas.add(path, day, "aid_paid_amount", n=n, amount=amount)
    deltas.add(path, day, "aid_paid_amount", n=n, amount=amount, dim="product", key=product)


# ---------------------------------------------------------------------------------------------
# Claims


def _sniff(upload) -> tuple[str, str]:
    head = upload.read(16)
    upload.seek(0)
    for magic, kind in DOCUMENT_TYPES.items():
        if head.startswith(magic):
            return kind
    raise ValidationError({"documents": _("%(name)s is not a PDF, JPEG or PNG file.") % {
        "name": str(getattr(upload, "name", "") or "")[:60]}}, code="invalid")


def _check_upload(upload) -> tuple[str, str]:
    size = getattr(upload, "size", None) or 0
    if size <= 0:
        raise ValidationError({"documents": _("An attached file is empty.")}, code="invalid")
    if size > DOCUMENT_MAX_BYTES:
        raise ValidationError({"documents": _("A file may be at most %(mb)d MB.") % {
            "mb": DOCUMENT_MAX_BYTES // (1024 * 1024)}}, code="invalid")
    return _sniff(upload)


def _save_document(*, actor, claim: Claim, kind: str, upload) -> ClaimDocument:
    if kind not in DocumentKind.values:
        raise ValidationError({"documents": _("Unknown kind of document.")}, code="invalid")
    content_type, suffix = _check_upload(upload)
    doc = ClaimDocument(claim=claim, kind=kind, content_type=content_type, size=upload.size,
                        filename=str(getattr(upload, "name", "") or kind)[-200:], uploaded_by=actor)
    doc.file.save(f"{kind}{suffix}", upload, save=False)
    try:
        doc.save()
    except BaseException:
        doc.file.delete(save=False)
        raise
    return doc


def may_file_for(actor, member: Member) -> bool:
    """The member themselves, or a cadre with MANAGE over their union."""
    if member.user_id is not None and actor.is_authenticated and member.user_id == actor.pk:
        return True
    return scope_for(actor, Perm.MANAGE).covers(member.org_path)


def claim_file(*, actor, member: Member, hospital: str, admitted_on: dt.date, discharged_on: dt.date,
               total_cost, fund_paid, self_pay_in, self_pay_out, product: str = Product.INPATIENT,
               relation: str = Relation.SELF, patient_name: str = "", patient_id_number: str = "",
               documents: Iterable[tuple[str, object]] = ()) -> Claim:
    """File a claim for a hospital stay with its documents (invoice, itemised bill, discharge summary;
    proof of relationship for a parent or child)."""
    if not may_file_for(actor, member):
        raise PermissionDenied(_("You may only claim for yourself or for members of your union."))
    errors: dict[str, list] = {}
    hospital = " ".join(str(hospital or "").split())
    if not hospital or len(hospital) > 200:
        errors["hospital"] = [_("Enter the hospital (at most 200 characters).")]
    amounts = {}
    for field, value in (("total_cost", total_cost), ("fund_paid", fund_paid), ("self_pay_in", self_pay_in),
                         ("self_pay_out", self_pay_out)):
        try:
            amounts[field] = _money(value, field)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    for field, value in (("admitted_on", admitted_on), ("discharged_on", discharged_on)):
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            errors[field] = [_("Enter a date.")]
    if errors:
        raise ValidationError(errors, code="invalid")
    if discharged_on < admitted_on:
        raise ValidationError({"discharged_on": _("Discharge is before admission.")}, code="invalid")
    if discharged_on > timezone.localdate():
        raise ValidationError({"discharged_on": _("The discharge date is in the future.")}, code="invalid")
    if amounts["self_pay_in"] + amounts["self_pay_out"] + amounts["fund_paid"] > amounts["total_cost"]:
        raise ValidationError({"total_cost": _("The fund's share and the self-pay add up to more than the total cost.")},
                              code="invalid")
    if product not in Product.values:
        raise ValidationError({"product": _("Unknown product.")}, code="invalid")
    if relation not in Relation.values:
        raise ValidationError({"relation": _("Unknown relation.")}, code="invalid")
    enrolment, code = cover_for(member_id=member.pk, product=product, day=discharged_on)
    if enrolment is None:
        raise refuse(Reason(code))
    plan = enrolment.plan
    if relation == Relation.SELF:
        patient_hash, patient_cipher, patient_masked, key_id = member.id_hash, bytes(member.id_cipher), \
            member.id_masked, member.pii_key_id
        # Re-encrypt under the patient hash binding: the member's cipher is bound to the same hash.
        patient_name = member.name
    else:
        if not plan.allows_dependants:
            raise refuse(Reason.DEPENDANTS_NOT_ALLOWED)
        patient_name = " ".join(str(patient_name or "").split())
        if not patient_name or len(patient_name) > 50:
            raise ValidationError({"patient_name": _("Enter the patient's real name.")}, code="invalid")
        try:
            info = parse_id_number(patient_id_number or "")
        except ValidationError as exc:
            raise ValidationError({"patient_id_number": exc.messages}, code="invalid") from None
        protected = pii.protect("id", info.number, info.masked)
        if protected.hash == member.id_hash:
            raise ValidationError({"relation": _("The patient is the member: claim for yourself.")}, code="invalid")
        patient_hash, patient_cipher, patient_masked, key_id = protected
    documents = list(documents)
    if len(documents) > MAX_DOCUMENTS:
        raise ValidationError({"documents": _("Attach at most %(n)d files.") % {"n": MAX_DOCUMENTS}}, code="invalid")
    kinds = {kind for kind, _upload in documents}
    needed = list(CLAIM_REQUIRED_DOCUMENTS) + ([DocumentKind.RELATIONSHIP] if relation != Relation.SELF else [])
    missing = [str(DocumentKind(k).label) for k in needed if k not in kinds]
    if missing:
        raise ValidationError({"documents": [ValidationError(
            _("Attach: %(docs)s.") % {"docs": "、".join(missing)}, code=Reason.DOCUMENTS_MISSING)]})
    for kind, upload in documents:
        if kind not in DocumentKind.values:
            raise ValidationError({"documents": _("Unknown kind of document.")}, code="invalid")
        _check_upload(upload)
    if SettlementRecord.objects.filter(id_hash=patient_hash, admitted_on=admitted_on,
                                       status=SettlementStatus.PRICED).exists():
        raise refuse(Reason.DUPLICATE, _("This stay came from medical insurance and has already been priced."))
    saved: list[ClaimDocument] = []
    try:
        with transaction.atomic():
            claim = Claim.objects.create(
                member=member, enrolment=enrolment, plan=plan, org_id=enrolment.org_id, org_path=enrolment.org_path,
                relation=relation, patient_name=patient_name, patient_hash=patient_hash,
                patient_cipher=patient_cipher, patient_masked=patient_masked, pii_key_id=key_id, hospital=hospital,
                admitted_on=admitted_on, discharged_on=discharged_on, filed_by=actor, **amounts)
            for kind, upload in documents:
                saved.append(_save_document(actor=actor, claim=claim, kind=kind, upload=upload))
            deltas = activity.Deltas()
            day = timezone.localdate()
            deltas.add(claim.org_path, day, "aid_claims")
            deltas.add(claim.org_path, day, "aid_claims", dim="product", key=plan.product)
            activity.add(deltas)
            audit.record(actor=actor, action="aid.claim_file", obj=claim, org_path=claim.org_path,
                         data={"member": member.pk, "plan": plan.pk, "relation": relation,
                               "patient": patient_masked, "self_pay_in": str(amounts["self_pay_in"]),
                               "documents": sorted(kinds)})
    except BaseException as exc:
        for doc in saved:  # the files were written before the transaction rolled back
            doc.file.delete(save=False)
        if isinstance(exc, IntegrityError):
            raise refuse(Reason.DUPLICATE, _("A claim for this stay is already open or approved.")) from None
        raise
    return claim


def claim_add_document(*, actor, claim: Claim, kind: str, upload) -> ClaimDocument:
    """Add a document to a claim still waiting for review (the member or a cadre of the union)."""
    if not may_file_for(actor, claim.member):
        raise PermissionDenied(_("You may only add documents to your own claims."))
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim.pk)
        if claim.status != ClaimStatus.SUBMITTED:
            raise ValidationError(_("The claim has been decided; documents can no longer be added."), code="invalid")
        if claim.documents.count() >= MAX_DOCUMENTS:
            raise ValidationError({"documents": _("Attach at most %(n)d files.") % {"n": MAX_DOCUMENTS}},
                                  code="invalid")
        doc = _save_document(actor=actor, claim=claim, kind=kind, upload=upload)
        audit.record(actor=actor, action="aid.claim_document", obj=claim, org_path=claim.org_path,
                     data={"document": doc.pk, "kind": kind})
    return doc


def claim_withdraw(*, actor, claim: Claim) -> Claim:
    if not may_file_for(actor, claim.member):
        raise PermissionDenied(_("You may only withdraw your own claims."))
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim.pk)
        if claim.status != ClaimStatus.SUBMITTED:
            raise ValidationError(_("Only a claim waiting for review can be withdrawn."), code="invalid")
        claim.status = ClaimStatus.WITHDRAWN
        claim.save(update_fields=["status"])
        audit.record(actor=actor, action="aid.claim_withdraw", obj=claim, org_path=claim.org_path)
    return claim


def _decide_claim(actor, claim: Claim) -> Claim:
    require(actor, Perm.MANAGE, claim.org_path)
    claim = Claim.objects.select_for_update().select_related("plan", "enrolment").get(pk=claim.pk)
    if claim.status != ClaimStatus.SUBMITTED:
        raise ValidationError(_("This claim has already been decided."), code="invalid")
    return claim


def claim_approve(*, actor, claim: Claim, on: dt.date | None = None) -> Payout:
    """Approve a claim: price it by the plan's rule against the patient's ledger (locked), record the payout."""
    day = _today(on)
    with transaction.atomic():
        claim = _decide_claim(actor, claim)
        plan = claim.plan
        ledger = ledger_lock(plan=plan, person_hash=claim.patient_hash, member_id=claim.member_id)
        pricing = rules.price(rules.Rule.of(plan), claim.self_pay_in, ledger.paid_total)
        payout = Payout.objects.create(
            claim=claim, member_id=claim.member_id, enrolment_id=claim.enrolment_id, plan=plan,
            org_path=claim.org_path, person_hash=claim.patient_hash, product=plan.product,
            self_pay_in=claim.self_pay_in, paid_before=ledger.paid_total, amount=pricing.amount,
            status=PayoutStatus.DUE if pricing.amount > 0 else PayoutStatus.NIL, decided_on=day)
        if pricing.amount > 0:
            Ledger.objects.filter(pk=ledger.pk).update(paid_total=ledger.paid_total + pricing.amount,
                                                       payouts=ledger.payouts + 1)
        claim.status, claim.reviewed_by, claim.reviewed_at = ClaimStatus.APPROVED, actor, timezone.now()
        claim.save(update_fields=["status", "reviewed_by", "reviewed_at"])
        deltas = activity.Deltas()
        payout_deltas(deltas, claim.org_path, day, plan.product, pricing.amount)
        activity.add(deltas)
        audit.record(actor=actor, action="aid.claim_approve", obj=claim, org_path=claim.org_path,
                     data={"payout": payout.pk, "amount": str(pricing.amount)})
    return payout


def claim_refuse(*, actor, claim: Claim, code: str, reason: str = "") -> Claim:
    """Refuse a claim with a code (CLAIM_REFUSAL_CODES) and a sentence for the member."""
    if code not in CLAIM_REFUSAL_CODES:
        raise ValidationError({"code": _("Choose a reason for the refusal.")}, code="invalid")
    reason = " ".join(str(reason or "").split())
    if len(reason) > 200:
        raise ValidationError({"reason": _("The reason has at most 200 characters.")}, code="invalid")
    if code == Reason.OTHER and not reason:
        raise ValidationError({"reason": _("Explain the refusal to the member.")}, code="invalid")
    with transaction.atomic():
        claim = _decide_claim(actor, claim)
        claim.status, claim.reason_code, claim.reason = ClaimStatus.REFUSED, code, reason
        claim.reviewed_by, claim.reviewed_at = actor, timezone.now()
        claim.save(update_fields=["status", "reason_code", "reason", "reviewed_by", "reviewed_at"])
        audit.record(actor=actor, action="aid.claim_refuse", obj=claim, org_path=claim.org_path,
                     data={"code": code})
    return claim


# ---------------------------------------------------------------------------------------------
# Payment batches


def payment_batch_create(*, actor, org: Org, idempotency_key: str = "", payout_ids: Iterable[int] | None = None,
                         retry_of: PaymentBatch | None = None) -> PaymentBatch:
    """Put the union's due payouts (all of its subtree, or the given ones) into a new batch for the bank.

    The same idempotency key for the same union returns the batch made the first time. A payout is
    in at most one batch that has not failed (a unique constraint), so two batches made at once
    never hold the same payout.
    """
    require(actor, Perm.MANAGE, org.path)
    key = str(idempotency_key or "")[:64]
    if key:
        existing = PaymentBatch.objects.filter(org=org, idempotency_key=key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            batch = PaymentBatch.objects.create(org=org, org_path=org.path, idempotency_key=key, created_by=actor,
                                                retry_of=retry_of)
            due = Payout.objects.select_for_update(skip_locked=True).filter(
                subtree_q(org.path, "org_path"), status__in=[PayoutStatus.DUE] if retry_of is None
                else [PayoutStatus.FAILED])
            if payout_ids is not None:
                due = due.filter(pk__in=list(payout_ids))
            if retry_of is not None:
                due = due.filter(payment_lines__batch=retry_of, payment_lines__status=PaymentLine.Status.FAILED)
            rows = list(due.order_by("pk").values_list("pk", "amount"))
            if not rows:
                raise ValidationError(_("There is no payout to pay."), code="invalid")
            PaymentLine.objects.bulk_create([PaymentLine(batch=batch, payout_id=pk, amount=amount)
                                             for pk, amount in rows], batch_size=2000)
            Payout.objects.filter(pk__in=[pk for pk, _a in rows]).update(status=PayoutStatus.BATCHED)
            batch.lines = len(rows)
            batch.total = sum((amount for _pk, amount in rows), ZERO)
            batch.save(update_fields=["lines", "total"])
            audit.record(actor=actor, action="aid.payment_batch_create", obj=batch, org_path=org.path,
                         data={"lines": batch.lines, "total": str(batch.total),
                               "retry_of": retry_of.pk if retry_of else None})
    except IntegrityError:
        if key:
            existing = PaymentBatch.objects.filter(org=org, idempotency_key=key).first()
            if existing is not None:
                return existing
        raise ValidationError(_("These payouts are already in another batch."), code="invalid") from None
    return batch


def payment_batch_settle(*, actor, batch: PaymentBatch, failed: dict[int, str] | None = None,
                         paid: Iterable[int] | None = None, on: dt.date | None = None) -> PaymentBatch:
    """Record the bank's answer: the ``failed`` payouts (id → reason) failed; the ``paid`` ones (all
    other pending lines when None) were paid. Lines already settled keep their outcome."""
    require(actor, Perm.MANAGE, batch.org_path)
    failed = {int(k): " ".join(str(v or "").split())[:200] for k, v in (failed or {}).items()}
    day = _today(on)
    now = timezone.now()
    with transaction.atomic():
        batch = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
        lines = PaymentLine.objects.filter(batch=batch)
        known = set(lines.values_list("payout_id", flat=True))
        unknown = (set(failed) | set(paid or [])) - known
        if unknown:
            raise ValidationError(_("Payouts %(ids)s are not in this batch.") % {
                "ids": ", ".join(map(str, sorted(unknown)[:20]))}, code="invalid")
        if any(not reason for reason in failed.values()):
            raise ValidationError({"failed": _("Give the bank's reason for each failed payment.")}, code="invalid")
        pending = lines.filter(status=PaymentLine.Status.PENDING)
        for payout_id, reason in failed.items():
            pending.filter(payout_id=payout_id).update(status=PaymentLine.Status.FAILED, failure=reason,
                                                       settled_at=now)
        fail_ids = list(failed)
        Payout.objects.filter(pk__in=fail_ids, status=PayoutStatus.BATCHED).update(status=PayoutStatus.FAILED)
        to_pay = pending.filter(status=PaymentLine.Status.PENDING).exclude(payout_id__in=fail_ids)
        if paid is not None:
            to_pay = to_pay.filter(payout_id__in=list(paid))
        pay_ids = list(to_pay.values_list("payout_id", flat=True))
        to_pay.update(status=PaymentLine.Status.PAID, settled_at=now)
        Payout.objects.filter(pk__in=pay_ids, status=PayoutStatus.BATCHED).update(status=PayoutStatus.PAID,
                                                                                   paid_on=day)
        if not lines.filter(status=PaymentLine.Status.PENDING).exists():
            batch.status, batch.closed_at = PaymentBatch.Status.CLOSED, now
            batch.save(update_fields=["status", "closed_at"])
        audit.record(actor=actor, action="aid.payment_batch_settle", obj=batch, org_path=batch.org_path,
                     data={"paid": len(pay_ids), "failed": sorted(failed)})
    return batch


def payment_batch_retry(*, actor, batch: PaymentBatch, idempotency_key: str = "") -> PaymentBatch:
    """A new batch with the payouts that failed in ``batch``."""
    org = Org.objects.get(pk=batch.org_id)
    return payment_batch_create(actor=actor, org=org, idempotency_key=idempotency_key, retry_of=batch)


EXPORT_HEADERS = ("序号", "给付编号", "姓名", "会员卡号", "身份证号", "金额（元）", "保障项目", "工会")


def payment_batch_export(*, actor, batch: PaymentBatch, fmt: str = "xlsx") -> tuple[bytes, str, str]:
    """The batch as the bank takes it: (content, file name, content type). XLSX or CSV (UTF-8 with BOM).

    One line per payout still pending or paid: name, member card number (the 5·1 card is a bank
    card), masked ID number, amount. No full ID number leaves the system. The export is audited.
    """
    import csv
    import io

    require(actor, Perm.MANAGE, batch.org_path)
    if fmt not in ("xlsx", "csv"):
        raise ValidationError({"format": _("Choose xlsx or csv.")}, code="invalid")
    lines = (PaymentLine.objects.filter(batch=batch).exclude(status=PaymentLine.Status.FAILED)
             .select_related("payout__member__org").order_by("pk"))
    rows = [(i, line.payout_id, line.payout.member.name, line.payout.member.card_number or "",
             line.payout.member.id_masked, line.amount, str(Product(line.payout.product).label),
             line.payout.member.org.name) for i, line in enumerate(lines, start=1)]
    name = f"aid-payments-{batch.pk}.{fmt}"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(EXPORT_HEADERS)
        writer.writerows([(*r[:5], f"{r[5]:.2f}", *r[6:]) for r in rows])
        content, ctype = out.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8"
    else:
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("给付")
        ws.append(EXPORT_HEADERS)
        for r in rows:
            ws.append([*r[:5], r[5], *r[6:]])
        buffer = io.BytesIO()
        wb.save(buffer)
        content = buffer.getvalue()
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    with transaction.atomic():
        audit.record(actor=actor, action="aid.payment_batch_export", obj=batch, org_path=batch.org_path,
                     data={"format": fmt, "lines": len(rows)})
    return content, name, ctype


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(sheets: list[tuple[str, tuple, Iterable]]) -> bytes:
    import io

    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for title, headers, rows in sheets:
        ws = wb.create_sheet(title)
        ws.append(list(headers))
        for row in rows:
            ws.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


ENROLMENT_EXPORT_HEADERS = ("姓名", "身份证号", "会员卡号", "工会", "保障项目", "年度", "参保日期", "费用（元）")


def enrolment_export(*, actor, org: Org, plan: Plan | None = None, text: str = "") -> tuple[bytes, str, str]:
    """The enrolment list of ``org``'s subtree as ``selectors.enrolment_list`` filters it, as XLSX;
    masked ID numbers; audited (``aid.enrolment_export`` with the count)."""
    from gonghui.mutualaid.selectors import enrolment_list

    require(actor, Perm.READ, org.path)
    qs = enrolment_list(user=actor, org=org, plan=plan, text=text).select_related("member", "plan", "org")
    rows = [(e.member.name, e.member.id_masked, e.member.card_number or "", e.org.name,
             str(Product(e.plan.product).label), e.plan.year, e.enrolled_on, e.fee) for e in qs.iterator(chunk_size=2000)]
    content = _xlsx([("参保名单", ENROLMENT_EXPORT_HEADERS, rows)])
    with transaction.atomic():
        audit.record(actor=actor, action="aid.enrolment_export", obj=plan, org_path=org.path,
                     data={"org": org.code, "plan": plan.pk if plan else None, "rows": len(rows)})
    return content, f"aid-enrolments-{org.code}.xlsx", XLSX


FEED_EXPORT_HEADERS = ("结算编号", "身份证号", "医院", "出院日期", "目录内自付", "结果", "原因代码", "原因", "给付（元）")
FEED_BAD_HEADERS = ("行号", "结算编号", "列", "原因代码", "原因")


def feed_result_export(*, actor, feed) -> tuple[bytes, str, str]:
    """A feed's outcome line by line as XLSX (records, then the unreadable lines); audited."""
    require(actor, Perm.READ, feed.org_path)
    records = (SettlementRecord.objects.filter(feed=feed).select_related("payout").order_by("pk")
               .iterator(chunk_size=2000))

    def rows():
        for r in records:
            payout = getattr(r, "payout", None) if r.status == SettlementStatus.PRICED else None
            yield (r.settlement_id, r.id_masked, r.hospital, r.discharged_on, r.self_pay_in, r.get_status_display(),
                   r.reason_code, str(Reason(r.reason_code).label) if r.reason_code in Reason.values else "",
                   payout.amount if payout is not None else None)

    bad = [(line.get("line"), line.get("settlement_id"), line.get("column"), line.get("code"), line.get("message"))
           for line in (feed.report or {}).get("lines", [])]
    content = _xlsx([("记录", FEED_EXPORT_HEADERS, rows()), ("无法读取的行", FEED_BAD_HEADERS, bad)])
    with transaction.atomic():
        audit.record(actor=actor, action="aid.feed_result_export", obj=feed, org_path=feed.org_path,
                     data={"feed": feed.pk})
    return content, f"aid-feed-{feed.pk}.xlsx", XLSX
