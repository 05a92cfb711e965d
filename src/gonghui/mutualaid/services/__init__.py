"""Writes of medical mutual aid: one function per use case, one transaction and audit line each.

Plans are defined by the city union (MANAGE on a root org); a union enrols members of its
subtree; the insurer's settlement records come in through ``gonghui.mutualaid.feeds`` and are
priced by ``gonghui.mutualaid.pricing``; claims are filed by members (or cadres for them) and
reviewed by the enrolment's union; payouts go to the bank in payment batches.
Refusals raise ``ValidationError`` whose ``code`` is a ``Reason`` value.

One module per part, each importing only those below it (and the models, selectors and rules):
``common`` (refusals, money, the day), ``plans``, ``enrolment``, ``payouts`` (the ledger),
``claims``, ``payments``. This package is their public surface; the files it hands out are
written by ``gonghui.mutualaid.exports``.
"""

from gonghui.mutualaid.services.claims import (
    CLAIM_REQUIRED_DOCUMENTS,
    MAX_DOCUMENTS,
    claim_add_document,
    claim_approve,
    claim_file,
    claim_refuse,
    claim_withdraw,
    may_file_for,
)
from gonghui.mutualaid.services.common import money, reason_of, refuse, root_org
from gonghui.mutualaid.services.enrolment import enrol_batch, enrol_member
from gonghui.mutualaid.services.payments import payment_batch_create, payment_batch_retry, payment_batch_settle
from gonghui.mutualaid.services.payouts import ledger_lock
from gonghui.mutualaid.services.plans import PLAN_FIELDS, plan_create, plan_next_year, plan_update

__all__ = [
    "CLAIM_REQUIRED_DOCUMENTS", "MAX_DOCUMENTS", "PLAN_FIELDS",
    "claim_add_document", "claim_approve", "claim_file", "claim_refuse", "claim_withdraw", "enrol_batch",
    "enrol_member", "ledger_lock", "may_file_for", "money",
    "payment_batch_create", "payment_batch_retry", "payment_batch_settle",
    "plan_create", "plan_next_year", "plan_update", "reason_of", "refuse", "root_org",
]
