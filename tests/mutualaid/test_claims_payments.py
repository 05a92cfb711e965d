"""Claims (documents, dependants, review) and payment batches (export, paid/failed, retry, idempotency)."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from gonghui.mutualaid import exports, selectors, services
from gonghui.mutualaid.models import (
    Claim,
    ClaimDocument,
    ClaimStatus,
    Ledger,
    PaymentBatch,
    PaymentLine,
    Payout,
    PayoutStatus,
    Reason,
)
from gonghui.mutualaid.stats import SOURCE
from gonghui.stats import activity
from tests.factories import make_member, valid_id_number
from tests.mutualaid.conftest import jan1, open_plan
from tests.mutualaid.helpers import PDF, claim_fields, documents, upload


@pytest.fixture
def member(tree, plan, worker, nb_cadre):
    m = worker.member
    services.enrol_member(actor=nb_cadre, plan=plan, member=m, on=jan1())
    return m


def test_a_member_claims_with_documents_and_the_union_approves(tree, member, worker, yz_cadre, bl_cadre, api_as):
    claim = services.claim_file(actor=worker, member=member, documents=documents(), **claim_fields())
    assert api_as(yz_cadre).get("/api/v1/orgs/YZ/stats").json()["aid_claims"] == 1
    assert claim.status == ClaimStatus.SUBMITTED and claim.org_path == tree.yze.path
    assert claim.patient_masked == member.id_masked
    assert ClaimDocument.objects.filter(claim=claim).count() == 3
    doc = ClaimDocument.objects.filter(claim=claim, kind="invoice").get()
    assert doc.content_type == "application/pdf" and "发票" not in doc.file.name  # random name on disk
    assert selectors.claim_document_get(user=worker, pk=doc.pk) == doc
    assert selectors.claim_document_get(user=bl_cadre, pk=doc.pk) is None
    assert selectors.claim_get(user=bl_cadre, pk=claim.pk) is None
    with pytest.raises(PermissionDenied):
        services.claim_approve(actor=bl_cadre, claim=claim)
    with pytest.raises(PermissionDenied):
        services.claim_approve(actor=worker, claim=claim)
    payout = services.claim_approve(actor=yz_cadre, claim=claim)
    assert payout.amount == Decimal("5900.00") and payout.claim_id == claim.pk
    with translation.override("en"):
        explanation = selectors.payout_explanation(payout=payout)
    assert explanation["consistent"] and explanation["lines"][-1] == "Payout: 5900.00 yuan"
    assert selectors.payout_get(user=worker, pk=payout.pk) == payout
    assert selectors.payout_get(user=bl_cadre, pk=payout.pk) is None
    with pytest.raises(ValidationError):  # decided once
        services.claim_approve(actor=yz_cadre, claim=claim)
    assert Payout.objects.count() == 1
    cover = selectors.cover_of_member(member=member)
    assert cover[0]["paid"] == Decimal("5900.00") and cover[0]["left"] == Decimal("14100.00")
    assert activity.rebuild([SOURCE]) == 0


def test_claims_are_refused_with_a_code(tree, plan, member, worker, yz_cadre):
    with pytest.raises(ValidationError) as exc:
        services.claim_file(actor=worker, member=member, documents=documents()[:2], **claim_fields())
    assert exc.value.message_dict["documents"] and services.reason_of(exc.value) == Reason.DOCUMENTS_MISSING
    with pytest.raises(ValidationError):  # not a PDF/JPEG/PNG
        services.claim_file(actor=worker, member=member, **claim_fields(),
                            documents=documents()[:2] + [("discharge_summary", upload("x.pdf", b"MZ\x90\x00"))])
    with pytest.raises(ValidationError) as exc:  # parents and children: not in this plan
        services.claim_file(actor=worker, member=member, documents=documents(relationship=True), relation="parent",
                            patient_name="李父", patient_id_number=valid_id_number(), **claim_fields())
    assert services.reason_of(exc.value) == Reason.DEPENDANTS_NOT_ALLOWED
    stranger = make_member(tree.yze)
    with pytest.raises(ValidationError) as exc:
        services.claim_file(actor=yz_cadre, member=stranger, documents=documents(), **claim_fields())
    assert services.reason_of(exc.value) == Reason.NOT_ENROLLED
    with pytest.raises(PermissionDenied):  # a worker claims only for themselves
        services.claim_file(actor=worker, member=stranger, documents=documents(), **claim_fields())
    assert not Claim.objects.exists() and not ClaimDocument.objects.exists()
    claim = services.claim_file(actor=worker, member=member, documents=documents(), **claim_fields())
    with pytest.raises(ValidationError) as exc:  # the same stay twice
        services.claim_file(actor=worker, member=member, documents=documents(), **claim_fields())
    assert services.reason_of(exc.value) == Reason.DUPLICATE
    with pytest.raises(ValidationError):
        services.claim_refuse(actor=yz_cadre, claim=claim, code="other", reason="")
    services.claim_refuse(actor=yz_cadre, claim=claim, code=Reason.DOCUMENTS_MISSING, reason="发票模糊，请重新上传")
    claim.refresh_from_db()
    assert (claim.status, claim.reason_code) == (ClaimStatus.REFUSED, "documents_missing")
    # Refused: the stay may be claimed again with better documents.
    services.claim_file(actor=worker, member=member, documents=documents(), **claim_fields())


def test_a_claim_for_a_parent_has_its_own_cap(tree, worker, nb_cadre, yz_cadre):
    plan = open_plan(allows_dependants=True)
    m = worker.member
    services.enrol_member(actor=nb_cadre, plan=plan, member=m, on=jan1())
    parent_number = valid_id_number()
    mine = services.claim_file(actor=worker, member=m, documents=documents(),
                               **claim_fields(self_pay_in="80000", hospital="A", total_cost="200000"))
    theirs = services.claim_file(actor=worker, member=m, documents=documents(relationship=True), relation="parent",
                                 patient_name="李父", patient_id_number=parent_number,
                                 **claim_fields(self_pay_in="80000", hospital="B", total_cost="200000"))
    assert theirs.patient_masked != m.id_masked and parent_number not in str(Claim.objects.values())
    with pytest.raises(ValidationError):  # proof of relationship needed
        services.claim_file(actor=worker, member=m, documents=documents(), relation="child", patient_name="李子",
                            patient_id_number=valid_id_number(), **claim_fields(hospital="C"))
    assert services.claim_approve(actor=yz_cadre, claim=mine).amount == Decimal("15000.00")
    assert services.claim_approve(actor=yz_cadre, claim=theirs).amount == Decimal("15000.00")
    assert Ledger.objects.count() == 2


def test_withdraw_and_documents_after_filing(tree, member, worker, yz_cadre):
    claim = services.claim_file(actor=worker, member=member, documents=documents(), **claim_fields())
    services.claim_add_document(actor=worker, claim=claim, kind="invoice", upload=upload("补充.pdf", PDF))
    assert claim.documents.count() == 4
    services.claim_withdraw(actor=worker, claim=claim)
    with pytest.raises(ValidationError):
        services.claim_add_document(actor=worker, claim=claim, kind="invoice", upload=upload())
    with pytest.raises(ValidationError):
        services.claim_approve(actor=yz_cadre, claim=claim)


def _approved_payouts(tree, plan, nb_cadre, n):
    out = []
    for _ in range(n):
        m = make_member(tree.yze)
        services.enrol_member(actor=nb_cadre, plan=plan, member=m, on=jan1())
        c = services.claim_file(actor=nb_cadre, member=m, documents=documents(), **claim_fields())
        out.append(services.claim_approve(actor=nb_cadre, claim=c))
    return out


def test_payment_batches_export_mark_paid_failed_and_retry(tree, plan, nb_cadre, yz_cadre, bl_cadre):
    payouts = _approved_payouts(tree, plan, nb_cadre, 3)
    with pytest.raises(PermissionDenied):
        services.payment_batch_create(actor=bl_cadre, org=tree.yz)
    batch = services.payment_batch_create(actor=yz_cadre, org=tree.yz, idempotency_key="2024-06-a")
    assert (batch.lines, batch.total) == (3, Decimal("17700.00"))
    assert services.payment_batch_create(actor=yz_cadre, org=tree.yz, idempotency_key="2024-06-a") == batch
    with pytest.raises(ValidationError):  # nothing left to pay
        services.payment_batch_create(actor=yz_cadre, org=tree.yz)
    content, filename, _type = exports.payment_batch_export(actor=yz_cadre, batch=batch, fmt="csv")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["序号", "给付编号", "姓名"] and len(rows) == 4 and filename.endswith(".csv")
    assert any(payouts[0].member.id_masked in r for r in rows)
    xlsx, _name, _type = exports.payment_batch_export(actor=yz_cadre, batch=batch, fmt="xlsx")
    assert xlsx[:2] == b"PK"
    failed = payouts[1]
    services.payment_batch_settle(actor=yz_cadre, batch=batch, failed={failed.pk: "账户已销户"})
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.CLOSED
    assert Payout.objects.get(pk=failed.pk).status == PayoutStatus.FAILED
    assert Payout.objects.filter(status=PayoutStatus.PAID).count() == 2
    retry = services.payment_batch_retry(actor=yz_cadre, batch=batch)
    assert (retry.lines, retry.total, retry.retry_of_id) == (1, failed.amount, batch.pk)
    services.payment_batch_settle(actor=yz_cadre, batch=retry)
    assert Payout.objects.filter(status=PayoutStatus.PAID).count() == 3
    assert PaymentLine.objects.filter(payout=failed).count() == 2
    with pytest.raises(ValidationError):
        services.payment_batch_settle(actor=yz_cadre, batch=retry, failed={payouts[0].pk: "x"})
