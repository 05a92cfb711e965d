"""Claims (申请) for hospital stays that do not come in the insurer's feed: filed by the member (or a
cadre for them) with their documents, reviewed by the enrolment's union; approval prices the stay
against the patient's ledger."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.core import audit, pii, uploads
from gonghui.core.ids import parse_id_number
from gonghui.core.scope import Perm, require, scope_for
from gonghui.members.models import Member
from gonghui.mutualaid import rules
from gonghui.mutualaid.models import (
    CLAIM_REFUSAL_CODES,
    Claim,
    ClaimDocument,
    ClaimStatus,
    DocumentKind,
    Payout,
    Product,
    Reason,
    Relation,
    SettlementRecord,
    SettlementStatus,
)
from gonghui.mutualaid.selectors import cover_for
from gonghui.mutualaid.services.common import money, refuse, today
from gonghui.mutualaid.services.payouts import ledger_lock, payouts_write
from gonghui.mutualaid.stats import claim_deltas
from gonghui.stats import activity

CLAIM_REQUIRED_DOCUMENTS = (DocumentKind.INVOICE, DocumentKind.ITEMISED_BILL, DocumentKind.DISCHARGE_SUMMARY)
MAX_DOCUMENTS = 20


def _checked(kinds_and_uploads) -> list[tuple[str, uploads.Document]]:
    """Every (kind, upload) checked by the kernel's upload policy before anything is written."""
    pairs = list(kinds_and_uploads)
    if any(kind not in DocumentKind.values for kind, _upload in pairs):
        raise ValidationError({"documents": _("Unknown kind of document.")}, code="invalid")
    checked = uploads.check_all([upload for _kind, upload in pairs], field="documents")
    return [(kind, document) for (kind, _upload), document in zip(pairs, checked)]


def _save_document(files: uploads.Files, *, actor, claim: Claim, kind: str,
                   document: uploads.Document) -> ClaimDocument:
    doc = ClaimDocument(claim=claim, kind=kind, content_type=document.content_type, size=document.size,
                        filename=document.name, uploaded_by=actor)
    files.store(doc.file, kind, document)
    doc.save()
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
            amounts[field] = money(value, field)
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
    checked = _checked(documents)
    if SettlementRecord.objects.filter(id_hash=patient_hash, admitted_on=admitted_on,
                                       status=SettlementStatus.PRICED).exists():
        raise refuse(Reason.DUPLICATE, _("This stay came from medical insurance and has already been priced."))
    try:
        with uploads.atomic() as files:
            claim = Claim.objects.create(
                member=member, enrolment=enrolment, plan=plan, org_id=enrolment.org_id, org_path=enrolment.org_path,
                relation=relation, patient_name=patient_name, patient_hash=patient_hash,
                patient_cipher=patient_cipher, patient_masked=patient_masked, pii_key_id=key_id, hospital=hospital,
                admitted_on=admitted_on, discharged_on=discharged_on, filed_by=actor, **amounts)
            for kind, document in checked:
                _save_document(files, actor=actor, claim=claim, kind=kind, document=document)
            deltas = activity.Deltas()
            claim_deltas(deltas, claim.org_path, timezone.localdate(), plan.product)
            activity.add(deltas)
            audit.record(actor=actor, action="aid.claim_file", obj=claim, org_path=claim.org_path,
                         data={"member": member.pk, "plan": plan.pk, "relation": relation,
                               "patient": patient_masked, "self_pay_in": str(amounts["self_pay_in"]),
                               "documents": sorted(kinds)})
    except IntegrityError:  # the files written are gone with the transaction (uploads.atomic)
        raise refuse(Reason.DUPLICATE, _("A claim for this stay is already open or approved.")) from None
    return claim


def claim_add_document(*, actor, claim: Claim, kind: str, upload) -> ClaimDocument:
    """Add a document to a claim still waiting for review (the member or a cadre of the union)."""
    if not may_file_for(actor, claim.member):
        raise PermissionDenied(_("You may only add documents to your own claims."))
    [(kind, document)] = _checked([(kind, upload)])
    with uploads.atomic() as files:
        claim = Claim.objects.select_for_update().get(pk=claim.pk)
        if claim.status != ClaimStatus.SUBMITTED:
            raise ValidationError(_("The claim has been decided; documents can no longer be added."), code="invalid")
        if claim.documents.count() >= MAX_DOCUMENTS:
            raise ValidationError({"documents": _("Attach at most %(n)d files.") % {"n": MAX_DOCUMENTS}},
                                  code="invalid")
        doc = _save_document(files, actor=actor, claim=claim, kind=kind, document=document)
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
    day = today(on)
    with transaction.atomic():
        claim = _decide_claim(actor, claim)
        plan = claim.plan
        ledger = ledger_lock(plan=plan, person_hash=claim.patient_hash, member_id=claim.member_id)
        pricing = rules.price(rules.Rule.of(plan), claim.self_pay_in, ledger.paid_total)
        payouts_write(source="claim", day=day,
                      rows=[(claim.pk, claim.member_id, claim.enrolment_id, plan.pk, claim.org_path,
                             claim.patient_hash, plan.product, claim.self_pay_in, ledger.paid_total, pricing.amount)],
                      ledgers={(plan.pk, claim.patient_hash): (ledger.pk, ledger.paid_total)})
        payout = Payout.objects.get(claim=claim)
        claim.status, claim.reviewed_by, claim.reviewed_at = ClaimStatus.APPROVED, actor, timezone.now()
        claim.save(update_fields=["status", "reviewed_by", "reviewed_at"])
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
