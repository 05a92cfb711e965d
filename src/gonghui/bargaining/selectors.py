"""Reads of collective bargaining, scoped to the caller's subtree (``core.scope``).

A round or a contract outside the user's reach is None (the pages and the API answer 404, as for
an unknown one). Where a round stands is computed from its dates by ``rules`` on the Chinese
calendar (``core.workdays``), read once per call.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from gonghui.bargaining import rules
from gonghui.bargaining.figures import in_force_q
from gonghui.bargaining.models import Contract, Coverage, Round, RoundState, SkillGrade, Vote
from gonghui.core.paths import subtree_q
from gonghui.core.scope import Perm, scope_for
from gonghui.core.workdays import calendar
from gonghui.orgs.models import Org


def _visible(user, field: str = "org_path", perm: Perm = Perm.READ) -> Q:
    return scope_for(user, perm).q(field)


def dates_of(row: Round) -> rules.Dates:
    return rules.Dates(offered_on=row.offered_on, replied_on=row.replied_on, talks_on=row.talks_on,
                       voted_on=row.voted_on, signed_on=row.signed_on, filed_on=row.filed_on,
                       cleared_on=row.cleared_on, objected_on=row.objected_on, announced_on=row.announced_on)


@dataclass(frozen=True)
class Standing:
    """Where a round stands on a day: the step it waits for and its deadline (``rules.Due``), the
    deadlines already set, and whether that year's holidays are known (else Mon–Fri is assumed)."""

    round: Round
    waiting: rules.Due | None
    deadlines: dict
    calendar_known: bool

    @property
    def overdue(self) -> bool:
        return self.waiting is not None and self.waiting.overdue


def standing(row: Round, today: dt.date, cal=None) -> Standing:
    cal = cal or calendar()
    dates = dates_of(row)
    waiting = rules.waiting_for(dates, today, cal) if row.state == RoundState.OPEN else None
    due_year = waiting.due.year if waiting is not None and waiting.due else today.year
    return Standing(round=row, waiting=waiting, deadlines=rules.deadlines(dates, cal),
                    calendar_known=cal.known(due_year))


def round_list(*, user, org: Org | None = None, state: str | None = None, kind: str | None = None,
               text: str = "") -> QuerySet[Round]:
    qs = Round.objects.filter(_visible(user)).select_related("org", "contract")
    if org is not None:
        qs = qs.filter(subtree_q(org.path, "org_path"))
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    if text:
        qs = qs.filter(Q(title__icontains=text) | Q(employer__icontains=text))
    return qs.order_by("-offered_on", "-id")


def round_get(*, user, pk: int) -> Round | None:
    return (Round.objects.filter(_visible(user), pk=pk).select_related("org", "contract", "renews")
            .prefetch_related(Prefetch("votes", queryset=Vote.objects.order_by("held_on", "id"))).first())


def open_standings(*, user, org: Org, today: dt.date) -> list[Standing]:
    """Every open round of the subtree with where it stands, the most urgent first (overdue, then by due date)."""
    cal = calendar()
    rows = round_list(user=user, org=org, state=RoundState.OPEN)
    found = [standing(row, today, cal) for row in rows]
    far = dt.date.max
    return sorted(found, key=lambda s: (not s.overdue, s.waiting.due if s.waiting and s.waiting.due else far,
                                        s.round.pk))


def overdue_count(*, user, org: Org | None, today: dt.date) -> int:
    """Open rounds of the subtree past a deadline (the menu's badge)."""
    if org is None or not scope_for(user, Perm.READ).covers(org.path):
        return 0
    return sum(1 for s in open_standings(user=user, org=org, today=today) if s.overdue)


def contract_list(*, user, org: Org | None = None, kind: str | None = None, scope: str | None = None,
                  in_force_on: dt.date | None = None, expiring_within: int | None = None,
                  text: str = "") -> QuerySet[Contract]:
    """Contracts the user may see, newest first; ``in_force_on``: binding on that day;
    ``expiring_within``: in force on ``in_force_on`` (today) and ending within that many days."""
    qs = Contract.objects.filter(_visible(user)).select_related("org")
    if org is not None:
        qs = qs.filter(subtree_q(org.path, "org_path"))
    if kind:
        qs = qs.filter(kind=kind)
    if scope:
        qs = qs.filter(scope=scope)
    if in_force_on is not None:
        qs = qs.filter(in_force_q(in_force_on), starts_on__lte=in_force_on)
        if expiring_within is not None:
            qs = qs.filter(ends_on__lte=in_force_on + dt.timedelta(days=expiring_within))
    if text:
        qs = qs.filter(Q(title__icontains=text) | Q(employer__icontains=text) | Q(number__iexact=text.strip()))
    return qs.order_by("ends_on", "-id") if expiring_within is not None else qs.order_by("-signed_on", "-id")


def contract_get(*, user, pk: int) -> Contract | None:
    return (Contract.objects.filter(_visible(user), pk=pk).select_related("org", "renews")
            .prefetch_related(Prefetch("coverage", queryset=Coverage.objects.select_related("org")),
                              Prefetch("grades", queryset=SkillGrade.objects.order_by("rank"))).first())


def contract_history(contract: Contract) -> list[Contract]:
    """The contract and those it renewed, then those that renewed it: oldest first."""
    chain = [contract]
    row = contract
    while row.renews_id is not None:
        row = Contract.objects.get(pk=row.renews_id)
        chain.insert(0, row)
    row = contract
    while True:
        nxt = Contract.objects.filter(renews=row).first()
        if nxt is None:
            break
        chain.append(nxt)
        row = nxt
    return chain


def can_manage(user, path: str) -> bool:
    return scope_for(user, Perm.MANAGE).covers(path)
