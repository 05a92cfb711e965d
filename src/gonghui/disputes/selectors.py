"""Reads of dispute cases, always within what the caller may see; who may act on a case.

Who sees a case:
- holders of a role with READ (cadre, viewer, mediator, lawyer) on a union see the cases that
  union's subtree received (``org_path``) and the cases of rooms in that subtree (``room_path``);
- room staff (``RoomStaff``: mediators and station lawyers of one room) see that room's cases only;
- the worker who applied (``applicant_user``) sees their own cases;
- nobody else (anonymous: nothing).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from gonghui.core.paths import subtree_q
from gonghui.core.scope import Perm, scope_for
from gonghui.disputes import rules
from gonghui.disputes.models import (
    Attachment,
    Case,
    Claim,
    Instalment,
    LegalAid,
    LegalAidState,
    MediationRoom,
    MinimumWage,
    RoomStaff,
    StaffKind,
    State,
)
from gonghui.disputes.states import OPEN_FOR_MEDIATION
from gonghui.orgs.models import Org

ZERO = Decimal("0.00")


# ------------------------------------------------------------------------------ who is who

def staff_rooms(user) -> dict[int, frozenset[str]]:
    """Room id → the kinds (mediator, lawyer) the user holds there; cached per request on the user."""
    if user is None or not user.is_authenticated or not user.is_active:
        return {}
    cache = user.__dict__.get("_gonghui_rooms")
    if cache is None:
        rooms: dict[int, set[str]] = {}
        for room_id, kind in RoomStaff.objects.filter(user=user, room__is_active=True).values_list("room_id", "kind"):
            rooms.setdefault(room_id, set()).add(kind)
        cache = {k: frozenset(v) for k, v in rooms.items()}
        user.__dict__["_gonghui_rooms"] = cache
    return cache


def forget_rooms(user) -> None:
    user.__dict__.pop("_gonghui_rooms", None)


def is_dispute_staff(user) -> bool:
    """May use the staff pages of this module: a role with READ anywhere, or a place in a room."""
    return not scope_for(user, Perm.READ).empty or bool(staff_rooms(user))


def is_applicant(user, case: Case) -> bool:
    return user is not None and user.is_authenticated and case.applicant_user_id == user.pk


def can_manage(user, case: Case) -> bool:
    """Intake side: cadres (MANAGE) of the receiving union or above — triage, hand on, close."""
    return scope_for(user, Perm.MANAGE).covers(case.org_path)


def can_mediate(user, case: Case) -> bool:
    """Mediation side: staff of the case's room, or MEDIATE on the room's union (a role above it)."""
    if not case.room_id:
        return False
    return case.room_id in staff_rooms(user) or scope_for(user, Perm.MEDIATE).covers(case.room_path)


def can_follow_up(user, case: Case) -> bool:
    """Payments, defaults and closing: the mediation side or the union's cadres (the closed loop)."""
    return can_mediate(user, case) or can_manage(user, case) or (
        bool(case.room_path) and scope_for(user, Perm.MANAGE).covers(case.room_path))


def is_lawyer_for(user, case: Case) -> bool:
    """A station lawyer of the case's room, or a lawyer role above the room."""
    if not case.room_id:
        return False
    if StaffKind.LAWYER in staff_rooms(user).get(case.room_id, frozenset()):
        return True
    from gonghui.core.models import Role, RoleKind

    if user is None or not user.is_authenticated:
        return False
    return user.is_superuser or any(
        case.room_path.startswith(p)
        for p in Role.objects.filter(user=user, kind=RoleKind.LAWYER).values_list("org__path", flat=True)
    )


def visible_q(user) -> Q:
    """The cases ``user`` may see (see the module docstring)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    read = scope_for(user, Perm.READ)
    if read.everything:
        return Q()
    q = Q(applicant_user=user)
    if read.paths:
        q |= read.q("org_path") | read.q("room_path")
    rooms = staff_rooms(user)
    if rooms:
        q |= Q(room_id__in=list(rooms))
    return q


def can_see(user, case: Case) -> bool:
    read = scope_for(user, Perm.READ)
    return (is_applicant(user, case) or read.covers(case.org_path)
            or (bool(case.room_path) and read.covers(case.room_path)) or case.room_id in staff_rooms(user))


# ----------------------------------------------------------------------------------- rooms

def room_list(*, user, org: Org | None = None) -> QuerySet[MediationRoom]:
    read = scope_for(user, Perm.READ)
    q = read.q("org_path") | Q(pk__in=list(staff_rooms(user)))
    qs = MediationRoom.objects.filter(q).select_related("org").order_by("org_path", "code")
    if org is not None:
        qs = qs.filter(subtree_q(org.path, "org_path"))
    return qs


def room_get(*, user, pk: int | None = None, code: str | None = None) -> MediationRoom | None:
    qs = room_list(user=user)
    return qs.filter(pk=pk).first() if pk is not None else qs.filter(code=code).first()


def rooms_for_triage(*, user, case: Case) -> QuerySet[MediationRoom]:
    """Open rooms a case may be sent to: in the district (or city) of the receiving union."""
    if not can_manage(user, case):
        return MediationRoom.objects.none()
    return (MediationRoom.objects.filter(subtree_q(district_path(case.org_path), "org_path"), is_active=True)
            .select_related("org").order_by("org_path", "code"))


def room_staff(*, room: MediationRoom, kind: str | None = None) -> QuerySet[RoomStaff]:
    qs = RoomStaff.objects.filter(room=room).select_related("user").order_by("kind", "user__username")
    return qs.filter(kind=kind) if kind else qs


def district_path(path: str) -> str:
    """The path of the district (depth 2) above or at ``path``; the city's own path for city-level orgs."""
    return path[:8] if len(path) >= 8 else path


# ----------------------------------------------------------------------------- minimum wage

@dataclass(frozen=True)
class Wage:
    amount: Decimal
    valid_from: dt.date
    source: str
    org_path: str  # "" for the default of the settings


def default_minimum_wage() -> Wage:
    conf = settings.DISPUTES_MINIMUM_WAGE
    return Wage(Decimal(str(conf["amount"])), dt.date.fromisoformat(str(conf["valid_from"])), conf["source"], "")


def minimum_wage_for(path: str, on: dt.date) -> Wage:
    """The monthly minimum wage at the union ``path`` on ``on``: the nearest ancestor's row, else the default."""
    ancestors = [path[:i] for i in range(4, len(path) + 1, 4)]
    row = (MinimumWage.objects.filter(org_path__in=ancestors, valid_from__lte=on)
           .order_by("-org_path", "-valid_from").values("amount", "valid_from", "source", "org_path").first())
    # "-org_path": the longest (nearest) path sorts last ascending, first descending, among ancestors.
    if row is None:
        return default_minimum_wage()
    return Wage(row["amount"], row["valid_from"], row["source"], row["org_path"])


# ----------------------------------------------------------------------------------- cases

def overdue_q(today: dt.date) -> Q:
    """Cases overdue on ``today`` (see rules.overdue_reasons; the same three reasons as a query)."""
    late_instalment = Instalment.objects.filter(
        agreement__case=OuterRef("pk"), due_on__lt=today, paid_amount__lt=F("amount"))
    return (
        Q(state__in=OPEN_FOR_MEDIATION, received_on__lt=today - dt.timedelta(days=rules.MEDIATION_DAYS))
        | (Q(state__in=[State.SETTLED, State.UNPAID]) & Exists(late_instalment))
        | Q(state__in=OPEN_FOR_MEDIATION, referral_in__deadline__lt=today)
    )


# The work queue ("waiting for you") of the module home, in the order shown.
QUEUES = ("triage", "overdue", "sessions", "payments", "legal_aid")


def queues_for(user) -> list[str]:
    """The work-queue entries that concern ``user``: routing needs MANAGE, holding mediation a place
    in a room or MEDIATE; overdue cases, payments and legal aid concern everyone who sees cases."""
    may_route = not scope_for(user, Perm.MANAGE).empty
    may_mediate = bool(staff_rooms(user)) or not scope_for(user, Perm.MEDIATE).empty
    return [key for key in QUEUES
            if (key != "triage" or may_route) and (key != "sessions" or may_mediate)]


def queue_q(*, user, key: str, today: dt.date | None = None) -> Q:
    """The cases of one work-queue entry (``QUEUES``) among those the user sees. The queue's count
    and the list it opens both filter ``case_list`` with it, so they agree."""
    if key == "triage":  # received, to route to a room or hand on
        return Q(state=State.INTAKE) & scope_for(user, Perm.MANAGE).q("org_path")
    if key == "overdue":
        return overdue_q(today or timezone.localdate())
    if key == "sessions":  # mediation to hold: assigned to the user or in one of their rooms
        mine = Q(mediator=user) | Q(room_id__in=list(staff_rooms(user)))
        mediate = scope_for(user, Perm.MEDIATE)
        if not mediate.empty:
            mine |= mediate.q("room_path")
        return Q(state__in=[State.TRIAGED, State.MEDIATING]) & mine
    if key == "payments":  # agreements whose payments are followed
        return Q(state__in=[State.SETTLED, State.UNPAID])
    if key == "legal_aid":  # a legal-aid request not yet taken up
        return Exists(LegalAid.objects.filter(case=OuterRef("pk"), state=LegalAidState.REQUESTED))
    raise ValueError(f"unknown work queue {key!r}")


def case_list(*, user, org: Org | None = None, state: str | None = None, room: MediationRoom | None = None,
              overdue: bool | None = None, start: dt.date | None = None, end: dt.date | None = None,
              text: str = "", mine: bool = False, queue: str | None = None,
              today: dt.date | None = None) -> QuerySet[Case]:
    """Cases the user may see, newest first. ``start``/``end``: received in the period (inclusive).
    ``mine``: only the cases the user applied for (the worker's own list). ``text``: case number,
    applicant or employer starts with. ``queue``: one entry of the work queue (``QUEUES``)."""
    qs = Case.objects.filter(visible_q(user))
    if mine:
        qs = qs.filter(applicant_user=user)
    if queue:
        qs = qs.filter(queue_q(user=user, key=queue, today=today))
    if org is not None:
        qs = qs.filter(subtree_q(org.path, "org_path") | subtree_q(org.path, "room_path"))
    if state:
        qs = qs.filter(state=state)
    if room is not None:
        qs = qs.filter(room=room)
    if start is not None:
        qs = qs.filter(received_on__gte=start)
    if end is not None:
        qs = qs.filter(received_on__lte=end)
    if overdue is not None:
        q = overdue_q(today or timezone.localdate())
        qs = qs.filter(q) if overdue else qs.exclude(q)
    text = (text or "").strip()
    if text:
        qs = qs.filter(Q(number__istartswith=text) | Q(applicant_name__startswith=text)
                       | Q(employer_name__startswith=text))
    return qs.select_related("org", "room", "mediator").order_by("-received_at", "-id")


def case_get(*, user, pk: int | None = None, number: str | None = None) -> Case | None:
    """One case with everything its page shows, or None when it does not exist or is out of reach."""
    qs = Case.objects.filter(visible_q(user)).select_related(
        "org", "room", "mediator", "agreement", "referral_in", "satisfaction", "applicant_member")
    qs = qs.prefetch_related(
        Prefetch("claims", queryset=Claim.objects.order_by("id")),
        "sessions",
        "agreement__instalments",
        "agreement__payments",
        Prefetch("attachments", queryset=Attachment.objects.order_by("uploaded_at", "id")),
        Prefetch("legal_aid", queryset=LegalAid.objects.select_related("lawyer").order_by("requested_at", "id")),
    )
    if pk is not None:
        return qs.filter(pk=pk).first()
    if number:
        return qs.filter(number=number.strip().upper()).first()
    return None


def attachment_get(*, user, pk: int) -> Attachment | None:
    return Attachment.objects.filter(pk=pk).filter(
        case__in=Case.objects.filter(visible_q(user)).values("pk")).select_related("case").first()


def legal_aid_list(*, user, state: str | None = None) -> QuerySet[LegalAid]:
    qs = LegalAid.objects.filter(case__in=Case.objects.filter(visible_q(user)).values("pk"))
    if state:
        qs = qs.filter(state=state)
    return qs.select_related("case", "lawyer").order_by("-requested_at", "-id")


# ----------------------------------------------------------------------------------- deadlines

@dataclass(frozen=True)
class CaseDeadlines:
    mediation: rules.Deadline
    limitation: dict[str, rules.Limitation]  # claim kind → limitation of that claim
    final_award: bool  # 一裁终局 would apply
    final_award_threshold: Decimal
    minimum_wage: Wage
    court: rules.Deadline | None
    overdue: list[str]


def case_deadlines(case: Case, today: dt.date | None = None) -> CaseDeadlines:
    """Every deadline shown on a case. Uses prefetched claims/instalments when present (case_get)."""
    today = today or timezone.localdate()
    claims = [(c.kind, c.amount) for c in case.claims.all()]
    wage = minimum_wage_for(case.org_path, case.received_on)
    limitation = {}
    if case.knew_on:
        # Asking the union to mediate is a request for relief to a body (art. 27): it interrupts the
        # limitation on the day of receipt; an agreement (the employer agreeing to pay) does too.
        interruptions = [d for d in (case.received_on, case.settled_on) if d is not None]
        for kind, _amount in claims:
            limitation[kind] = rules.limitation(knew_on=case.knew_on, today=today, claim=kind,
                                                employment_end=case.employment_end, interruptions=interruptions)
    referral = getattr(case, "referral_in", None) if _has(case, "referral_in") else None
    agreement = getattr(case, "agreement", None) if _has(case, "agreement") else None
    instalments = ([rules.DueItem(i.due_on, i.amount, i.paid_amount) for i in agreement.instalments.all()]
                   if agreement is not None else [])
    return CaseDeadlines(
        mediation=rules.mediation_deadline(case.received_on, today),
        limitation=limitation,
        final_award=rules.final_award_hint(claims, wage.amount),
        final_award_threshold=rules.final_award_threshold(wage.amount),
        minimum_wage=wage,
        court=rules.deadline(referral.deadline, today) if referral is not None else None,
        overdue=rules.overdue_reasons(state=case.state, received_on=case.received_on, today=today,
                                      instalments=instalments,
                                      court_deadline=referral.deadline if referral is not None else None),
    )


def _has(case: Case, relation: str) -> bool:
    try:
        getattr(case, relation)
    except Exception:  # RelatedObjectDoesNotExist
        return False
    return True


# ----------------------------------------------------------------------------------- dashboard

def dashboard(*, user, org: Org, start: dt.date | None = None, end: dt.date | None = None,
              today: dt.date | None = None) -> dict:
    """Figures of a union's subtree (cases it received) for a period, in a fixed number of queries (5).

    received / settled / failed / referred_in / legal_aid counts; success rate = settled ÷
    (settled + failed) of the cases concluded in the period; amount claimed (cases received) and
    recovered (agreements signed); overdue now; by claim type, by industry and new-form.
    Callers check that ``org`` is within the user's READ scope (orgs.selectors.org_get).
    """
    today = today or timezone.localdate()
    base = Case.objects.filter(subtree_q(org.path, "org_path"))

    def period(field: str) -> Q:
        q = Q()
        if start is not None:
            q &= Q(**{f"{field}__gte": start})
        if end is not None:
            q &= Q(**{f"{field}__lte": end})
        return q

    received_q, settled_q, failed_q = period("received_on"), period("settled_on"), period("failed_on")
    totals = base.aggregate(
        received=Count("pk", filter=received_q),
        claimed=Sum("amount_claimed", filter=received_q),
        settled=Count("pk", filter=settled_q & Q(settled_on__isnull=False)),
        recovered=Sum("agreement__amount", filter=settled_q & Q(settled_on__isnull=False)),
        failed=Count("pk", filter=failed_q & Q(failed_on__isnull=False)),
        referred_in=Count("pk", filter=received_q & Q(channel__in=["court", "arbitration"])),
        new_form=Count("pk", filter=received_q & Q(is_new_form=True)),
    )
    overdue = base.filter(overdue_q(today)).count()
    legal_aid = LegalAid.objects.filter(case__in=base.values("pk"), accepted_on__isnull=False).filter(
        period("accepted_on")).count()
    by_claim = {
        row["main_claim"]: {"received": row["n"], "claimed": row["claimed"] or ZERO,
                            "settled": row["settled"], "recovered": row["recovered"] or ZERO}
        for row in base.filter(received_q | (settled_q & Q(settled_on__isnull=False))).values("main_claim")
        .annotate(n=Count("pk", filter=received_q), claimed=Sum("amount_claimed", filter=received_q),
                  settled=Count("pk", filter=settled_q & Q(settled_on__isnull=False)),
                  recovered=Sum("agreement__amount", filter=settled_q & Q(settled_on__isnull=False)))
        .order_by("main_claim")
    }
    by_industry = {
        (row["industry"] or ""): {"received": row["n"], "new_form": row["new_form"]}
        for row in base.filter(received_q).values("industry")
        .annotate(n=Count("pk"), new_form=Count("pk", filter=Q(is_new_form=True))).order_by("industry")
    }
    settled, failed = totals["settled"], totals["failed"]
    concluded = settled + failed
    rate = (Decimal(settled) / Decimal(concluded) * 100).quantize(Decimal("0.1")) if concluded else None
    return {
        "received": totals["received"],
        "settled": settled,
        "failed": failed,
        "success_rate": rate,  # percent, one decimal; None when nothing concluded
        "amount_claimed": (totals["claimed"] or ZERO).quantize(ZERO),
        "amount_recovered": (totals["recovered"] or ZERO).quantize(ZERO),
        "referred_in": totals["referred_in"],
        "legal_aid": legal_aid,
        "new_form": totals["new_form"],
        "overdue": overdue,
        "by_claim": by_claim,
        "by_industry": by_industry,
    }
