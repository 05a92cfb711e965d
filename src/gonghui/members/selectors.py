"""Reads of the member database, always within the caller's scope."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from gonghui.core.paths import subtree_q
from gonghui.core.scope import Perm, scope_for
from gonghui.members.models import Member, MemberStatus
from gonghui.orgs.models import Org


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
    return (
        Member.objects.filter(scope_for(user, perm).q("org_path"), pk=pk).select_related("org").first()
    )


def member_of_user(*, user) -> Member | None:
    if not user.is_authenticated:
        return None
    return Member.objects.select_related("org").filter(user=user).first()
