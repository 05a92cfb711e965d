"""Reads of the activities engine, scoped to the caller.

Staff see the activities organised in their subtree (READ); an activity outside answers None
(404). A member sees the activities whose audience admits them (``for_member``).
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from gonghui.activities import rules
from gonghui.activities.models import (
    LIVE,
    Activity,
    ActivitySession,
    AllocationShare,
    Mode,
    Registration,
    RegStatus,
)
from gonghui.activities.services import person_of
from gonghui.core.paths import ancestors
from gonghui.core.scope import Perm, scope_for
from gonghui.members.models import Member

MAX_ID = 2**63 - 1


def activities_for_staff(*, user, perm: Perm = Perm.READ) -> QuerySet[Activity]:
    return Activity.objects.filter(scope_for(user, perm).q("org_path")).select_related("kind", "org")


def activity_get(*, user, pk: int, perm: Perm = Perm.READ) -> Activity | None:
    if not 0 < pk <= MAX_ID:
        return None
    return activities_for_staff(user=user, perm=perm).filter(pk=pk).first()


def session_get(*, user, pk: int, perm: Perm = Perm.READ) -> ActivitySession | None:
    if not 0 < pk <= MAX_ID:
        return None
    return (ActivitySession.objects.filter(scope_for(user, perm).q("activity__org_path"), pk=pk)
            .select_related("activity__kind", "activity__org").first())


def share_get(*, user, pk: int, perm: Perm = Perm.MANAGE) -> AllocationShare | None:
    """A share the user may name members in (the share's union in their subtree)."""
    if not 0 < pk <= MAX_ID:
        return None
    return (AllocationShare.objects.filter(scope_for(user, perm).q("org_path"), pk=pk)
            .select_related("activity__kind", "org").first())


def registrations_of_activity(*, activity: Activity, status: str | None = None) -> QuerySet[Registration]:
    qs = Registration.objects.filter(activity=activity).select_related("member__org")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "queue", "rank", "id")


def member_in_reach(*, user, pk: int) -> Member | None:
    if not 0 < pk <= MAX_ID:
        return None
    return Member.objects.filter(scope_for(user, Perm.MANAGE).q("org_path"), pk=pk).first()


def for_member(*, member: Member, now=None) -> list[Activity]:
    """Activities open to ``member`` now or later: organised by a union above them, whose audience
    admits them and whose sessions have not all passed."""
    now = now or timezone.now()
    person = person_of(member)
    qs = (Activity.objects.filter(org_path__in=list(ancestors(member.org_path)), cancelled_at__isnull=True)
          .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now) | Q(mode=Mode.OPEN))
          .filter(sessions__starts_at__gte=now).distinct().select_related("kind", "org")
          .annotate(n_sessions=Count("sessions", distinct=True)).order_by("opens_at", "id"))
    admitted = []
    for activity in qs[:200]:
        if rules.audience_refusal(org_path=activity.org_path, categories=activity.audience_categories,
                                  new_form=activity.audience_new_form, women=activity.audience_women,
                                  eligibility=activity.audience_eligibility, person=person) is None:
            admitted.append(activity)
    return admitted


def registrations_of_member(*, member: Member) -> list[Registration]:
    regs = list(Registration.objects.filter(member=member).select_related("activity__kind", "activity__org")
                .order_by("-created_at")[:50])
    for reg in regs:
        reg.position = waiting_position(registration=reg)
    return regs


def live_registration(*, activity: Activity, member: Member) -> Registration | None:
    return Registration.objects.filter(activity=activity, member=member, status__in=LIVE).first()


def waiting_position(*, registration: Registration) -> int | None:
    """1 for the first on the waiting list; None when not waiting."""
    if registration.status != RegStatus.WAITING:
        return None
    ahead = Registration.objects.filter(activity_id=registration.activity_id, status=RegStatus.WAITING).filter(
        Q(queue__lt=registration.queue) | Q(queue=registration.queue, id__lt=registration.id)).count()
    return ahead + 1


def counts_of_activity(*, activity: Activity) -> dict:
    rows = dict(Registration.objects.filter(activity=activity).values_list("status").annotate(n=Count("id"))
                .order_by())
    return {s: rows.get(s, 0) for s in RegStatus.values}


def draw_result(*, activity: Activity) -> dict | None:
    """What is published after a draw: seed, method, every entrant's ticket and priority group (so
    anyone can recompute the order with ``rules.draw_order``) and the winning tickets in order."""
    if activity.drawn_at is None:
        return None
    rows = list(Registration.objects.filter(activity=activity, rank__isnull=False)
                .values_list("ticket", "priority", "rank").order_by("rank"))
    return {
        "seed": activity.draw_seed, "method": activity.draw_method, "drawn_at": activity.drawn_at,
        "priority_groups": activity.priority_groups, "places": activity.capacity,
        "entrants": sorted([{"ticket": t, "priority": p} for t, p, _r in rows], key=lambda e: e["ticket"]),
        "winners": [t for t, _p, r in rows if r <= (activity.capacity or 0)],
    }


def activity_for_member(*, member: Member, pk: int) -> Activity | None:
    """An activity organised by a union above ``member`` (its audience is checked on registering)."""
    if not 0 < pk <= MAX_ID:
        return None
    return (Activity.objects.filter(pk=pk, org_path__in=list(ancestors(member.org_path)))
            .select_related("kind").first())
