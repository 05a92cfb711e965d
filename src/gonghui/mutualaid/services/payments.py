"""Payment batches (给付): a union's due payouts sent to the bank together, exactly once; the bank's
answer settles each line (paid or failed, and the failed ones can go again in a new batch)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.core import audit
from gonghui.core.paths import subtree_q
from gonghui.core.scope import Perm, require
from gonghui.mutualaid import rules
from gonghui.mutualaid.models import PaymentBatch, PaymentLine, Payout, PayoutStatus
from gonghui.mutualaid.services.common import today
from gonghui.orgs.models import Org


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
            batch.total = sum((amount for _pk, amount in rows), rules.ZERO)
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
    day = today(on)
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
