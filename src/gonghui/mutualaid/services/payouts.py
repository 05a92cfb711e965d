"""Payouts and the per-person yearly ledger they are priced against."""

from __future__ import annotations

from gonghui.mutualaid.models import Ledger, Plan


def ledger_lock(*, plan: Plan, person_hash: str, member_id: int) -> Ledger:
    """The person's ledger row for the plan year, created if missing, locked until the transaction ends."""
    Ledger.objects.bulk_create([Ledger(plan=plan, person_hash=person_hash, member_id=member_id)],
                               ignore_conflicts=True)
    return Ledger.objects.select_for_update().get(plan=plan, person_hash=person_hash)
