"""Reads of hardship help, scoped to the caller's subtree (``gonghui.core.scope``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from gonghui.assistance import rules
from gonghui.assistance.models import (
    OPEN_STATUSES,
    Disbursement,
    FileStatus,
    Grant,
    GrantStatus,
    HardshipFile,
    MonthlyIncome,
    Programme,
    Standard,
    UnionPolicy,
)
from gonghui.core.paths import ancestors, parent_path, subtree_q
from gonghui.core.scope import Perm, scope_for


def standard_for(org_path: str, day: dt.date) -> tuple[Decimal, dt.date | None]:
    """The 低保 standard in effect on ``day`` for a union: its own or its nearest ancestor's latest row
    in effect, else the default (with None as its day of effect)."""
    rows = (Standard.objects.filter(org_path__in=ancestors(org_path), effective_from__lte=day)
            .order_by("-org_path", "-effective_from").values_list("amount", "effective_from").first())
    return (rows[0], rows[1]) if rows else (rules.DEFAULT_STANDARD, None)


def standards_by_month(org_path: str, months: list[dt.date]) -> dict[dt.date, Decimal]:
    return {m: standard_for(org_path, m)[0] for m in months}


def policy_for(org_path: str) -> tuple[int, int]:
    """(notice working days, approvers required) of the nearest union with a policy, else (5, 1)."""
    row = (UnionPolicy.objects.filter(org__path__in=ancestors(org_path)).order_by("-org__path")
           .values_list("notice_days", "approvals_required").first())
    return row or (5, 1)


def files_for(user, perm: Perm = Perm.READ) -> QuerySet[HardshipFile]:
    return HardshipFile.objects.filter(scope_for(user, perm).q("org_path"))


MAX_ID = 2**31 - 1


def file_get(user, pk, perm: Perm = Perm.READ) -> HardshipFile:
    """A file the user may see; one outside their subtree is as unknown as one that does not exist."""
    if not 0 < int(pk) <= MAX_ID:
        raise Http404("No such file.")
    try:
        return files_for(user, perm).select_related("member", "org").get(pk=int(pk))
    except (HardshipFile.DoesNotExist, ValueError, TypeError):
        raise Http404("No such file.") from None


def file_list(user, *, status: str = "", grade: str = "", q: str = "", queue: str = "",
              today: dt.date | None = None) -> QuerySet[HardshipFile]:
    today = today or timezone.localdate()
    qs = files_for(user).select_related("member", "org")
    if status:
        qs = qs.filter(status=status)
    if grade:
        qs = qs.filter(grade=grade)
    if q:
        qs = qs.filter(member__name__startswith=q.strip())
    if queue:
        qs = qs.filter(queue_q(queue, today))
    return qs.order_by("-applied_on", "-pk")


def queue_q(queue: str, today: dt.date) -> Q:
    return {
        "submitted": Q(status=FileStatus.SUBMITTED),
        "notice": Q(status=FileStatus.NOTICE, notice_end__gte=today),
        "approval": Q(status=FileStatus.NOTICE, notice_end__lt=today),
        "review": Q(status=FileStatus.ACTIVE, review_due__lte=today),
    }.get(queue, Q())


def may_approve(user, file: HardshipFile) -> bool:
    """The union above the file's union decides (a cadre of the filing union alone may not)."""
    above = parent_path(file.org_path)
    return bool(above) and scope_for(user, Perm.MANAGE).covers(above) or (
        scope_for(user, Perm.MANAGE).everything)


def work_queue(user, today: dt.date | None = None) -> dict[str, int]:
    """What waits for the user: applications to check, notices running, approvals, reviews, lists to pay."""
    today = today or timezone.localdate()
    qs = files_for(user, Perm.MANAGE)
    counts = qs.aggregate(**{k: Count("pk", filter=queue_q(k, today))
                             for k in ("submitted", "notice", "approval", "review")})
    counts["to_pay"] = disbursements_for(user, Perm.MANAGE).filter(status=Disbursement.Status.APPROVED).count()
    counts["to_approve_lists"] = disbursements_for(user, Perm.MANAGE).filter(
        status=Disbursement.Status.DRAFT).count()
    return counts


def waiting_count(user, org) -> int:
    """The menu badge: approvals due, reviews due and applications to check in the user's subtree."""
    if org is None:
        return 0
    today = timezone.localdate()
    return files_for(user, Perm.MANAGE).filter(subtree_q(org.path, "org_path")).filter(
        queue_q("submitted", today) | queue_q("approval", today) | queue_q("review", today)).count()


def programmes_for(user, perm: Perm = Perm.READ) -> QuerySet[Programme]:
    return Programme.objects.filter(scope_for(user, perm).q("org_path")).order_by("-cycle", "kind", "pk")


def programme_get(user, pk, perm: Perm = Perm.READ) -> Programme:
    try:
        return programmes_for(user, perm).get(pk=int(pk))
    except (Programme.DoesNotExist, ValueError, TypeError):
        raise Http404("No such programme.") from None


def disbursements_for(user, perm: Perm = Perm.READ) -> QuerySet[Disbursement]:
    return Disbursement.objects.filter(scope_for(user, perm).q("org_path")).select_related("programme")


def disbursement_get(user, pk, perm: Perm = Perm.READ) -> Disbursement:
    try:
        return disbursements_for(user, perm).get(pk=int(pk))
    except (Disbursement.DoesNotExist, ValueError, TypeError):
        raise Http404("No such list.") from None


def grants_of_file(file: HardshipFile) -> QuerySet[Grant]:
    return Grant.objects.filter(file=file).select_related("programme").order_by("-cycle", "pk")


def incomes_of(file: HardshipFile) -> dict[dt.date, Decimal]:
    return dict(MonthlyIncome.objects.filter(file=file).values_list("month", "per_capita"))


def my_files(user) -> QuerySet[HardshipFile]:
    """The member's own files, newest episode first (the member page)."""
    if not user.is_authenticated:
        return HardshipFile.objects.none()
    return HardshipFile.objects.filter(member__user=user).order_by("-episode")


def my_open_file(user) -> HardshipFile | None:
    return my_files(user).filter(status__in=OPEN_STATUSES).first()


def my_grants(user) -> QuerySet[Grant]:
    if not user.is_authenticated:
        return Grant.objects.none()
    return (Grant.objects.filter(member__user=user, status=GrantStatus.PAID).select_related("programme")
            .order_by("-paid_on"))


def notice_board(org_path: str, today: dt.date | None = None) -> QuerySet[HardshipFile]:
    """Files in public notice in a union's subtree (the notice page shows names masked)."""
    today = today or timezone.localdate()
    return (HardshipFile.objects.filter(subtree_q(org_path, "org_path"), status=FileStatus.NOTICE,
                                        notice_end__gte=today)
            .select_related("member", "org").order_by("notice_end", "pk"))


def member_by_id_number(user, raw: str):
    """The member with this ID number in the user's subtree (MANAGE), or None (also when not a member)."""
    from django.core.exceptions import ValidationError

    from gonghui.core import pii
    from gonghui.core.ids import parse_id_number
    from gonghui.members.models import Member

    try:
        number = parse_id_number(raw or "").number
    except ValidationError:
        return None
    return (Member.objects.filter(scope_for(user, Perm.MANAGE).q("org_path"), id_hash=pii.digest("id", number))
            .select_related("org").first())
