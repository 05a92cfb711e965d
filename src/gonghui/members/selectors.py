"""Reads of the member database, always within the caller's scope."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr

from gonghui.core.models import AuditEntry
from gonghui.core.paths import subtree_q, upper_bound
from gonghui.core.scope import Perm, scope_for
from gonghui.members.models import Member, MemberStatus
from gonghui.orgs.models import Org


MAX_ID = 2**63 - 1


def active_on(day: dt.date | None) -> Q:
    """Members of the union on ``day`` (today when None)."""
    if day is None:
        return Q(status=MemberStatus.ACTIVE)
    return Q(joined_on__lte=day) & (Q(left_on__isnull=True) | Q(left_on__gt=day))


def member_list(*, user, org: Org, text: str = "", include_left: bool = False) -> QuerySet[Member]:
    """Members of ``org``'s subtree the user may see, newest first; ``text`` matches name or card."""
    qs = Member.objects.filter(scope_for(user, Perm.READ).q("org_path")).filter(subtree_q(org.path, "org_path"))
    if not include_left:
        qs = qs.filter(status=MemberStatus.ACTIVE)
    text = text.strip()
    if text:
        qs = qs.filter(Q(name__startswith=text) | Q(card_number=text) | Q(id_masked__startswith=text))
    return qs.select_related("org").order_by("-id")


def member_get(*, user, pk: int, perm: Perm = Perm.READ) -> Member | None:
    """The member if the user reaches them with ``perm``; None otherwise (answer 404)."""
    if not 0 < pk <= MAX_ID:  # the databases refuse larger integers with an error, not an empty answer
        return None
    return (
        Member.objects.filter(scope_for(user, perm).q("org_path"), pk=pk).select_related("org").first()
    )


def member_of_user(*, user) -> Member | None:
    if not user.is_authenticated:
        return None
    return Member.objects.select_related("org").filter(user=user).first()


def member_counts_by_child(*, user, children: list[Org]) -> dict[int, int]:
    """Current members in each child's subtree, for siblings listed in path order: one grouped query.

    The children of one page are consecutive in path order, so their subtrees form one index range
    on ``member.org_path``; grouping by the path prefix of the children's depth splits it.
    """
    if not children:
        return {}
    prefix_len = len(children[0].path)
    span = Q(org_path__gte=children[0].path)
    upper = upper_bound(children[-1].path)
    if upper is not None:
        span &= Q(org_path__lt=upper)
    rows = (
        Member.objects.filter(scope_for(user, Perm.READ).q("org_path"), span, status=MemberStatus.ACTIVE)
        .annotate(prefix=Substr("org_path", 1, prefix_len))
        .values("prefix")
        .annotate(n=Count("*"))
        .order_by()
    )
    by_prefix = {row["prefix"]: row["n"] for row in rows}
    return {child.pk: by_prefix.get(child.path, 0) for child in children}


def member_timeline(*, user, member: Member, limit: int = 50):
    """What happened to a member, newest first, from the audit log (nothing if out of the user's reach)."""
    if not scope_for(user, Perm.READ).covers(member.org_path):
        return AuditEntry.objects.none()
    return AuditEntry.objects.filter(object_type="members.member", object_id=str(member.pk)).order_by("-seq")[
        :limit
    ]
