"""Reads of the member database, always within the caller's scope."""

from __future__ import annotations

import datetime as dt
import re

from django.db.models import Case, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from gonghui.core import audit
from gonghui.core.models import AuditEntry
from gonghui.core.paths import subtree_q
from gonghui.core.scope import Perm, scope_for
from gonghui.members.models import (
    JoinApplication,
    JoinStatus,
    Member,
    MembershipPeriod,
    MemberStatus,
    Transfer,
    TransferSource,
    TransferStatus,
)
from gonghui.orgs.models import FEDERATION_KINDS, Org, OrgKind
from gonghui.stats import tallies

MAX_ID = 2**63 - 1


def active_on(day: dt.date | None) -> Q:
    """Members whose current period (in ``org``) covers ``day`` (today when None).

    The current period runs from ``org_since`` (else ``joined_on``) up to ``left_on``; earlier
    periods are MembershipPeriod rows: ``members_on`` counts both.
    """
    if day is None:
        return Q(status=MemberStatus.ACTIVE)
    return (
        Q(joined_on__lte=day)
        & (Q(org_since__isnull=True) | Q(org_since__lte=day))
        & (Q(left_on__isnull=True) | Q(left_on__gt=day))
    )


def members_on(*, path: str, day: dt.date | None) -> QuerySet[Member]:
    """Members of the subtree at ``path`` on ``day``: where their current period or a past one was.

    A member who moved from A to B on day d counts in A before d and in B from d; one who left and
    came back counts nowhere in between. Periods of one member never overlap, so nobody counts twice.
    """
    current = subtree_q(path, "org_path") & active_on(day)
    if day is None:
        return Member.objects.filter(current)
    past = MembershipPeriod.objects.filter(subtree_q(path, "org_path"), started_on__lte=day, ended_on__gt=day)
    return Member.objects.filter(current | Q(pk__in=past.values("member_id")))


def member_list(*, user, org: Org, text: str = "", include_left: bool = False) -> QuerySet[Member]:
    """Members of ``org``'s subtree the user may see, newest first; ``text`` matches name or card."""
    qs = Member.objects.filter(scope_for(user, Perm.READ).q("org_path")).filter(subtree_q(org.path, "org_path"))
    if not include_left:
        qs = qs.filter(status=MemberStatus.ACTIVE)
    text = text.strip()
    if text:
        qs = qs.filter(text_q(text))
    return qs.select_related("org").order_by("-id")


ID_PREFIX = re.compile(r"^[0-9Xx*]+$")  # what a masked ID number (330282********6875) can start with


def text_q(text: str) -> Q:
    """Members whose name starts with ``text``, whose card number is ``text`` or whose masked ID
    number starts with it. The name prefix is also written as a range so that PostgreSQL reads it
    from the name index (its LIKE cannot use the index under the database's C.UTF-8 collation: a
    rare name took 14 s over three million members); the masked ID, which has no index, is only
    asked about for text that can begin one."""
    name = Q(name__startswith=text)
    upper = _next_string(text)
    if upper is not None:
        name &= Q(name__gte=text, name__lt=upper)
    q = name | Q(card_number=text)
    if ID_PREFIX.match(text):
        q |= Q(id_masked__startswith=text)
    return q


def _next_string(text: str) -> str | None:
    """The smallest string after every string that starts with ``text`` (code point order, as
    PostgreSQL's C.UTF-8 and SQLite compare), or None when there is none to write."""
    code = ord(text[-1]) + 1
    if 0xD800 <= code <= 0xDFFF:  # surrogates are not characters
        code = 0xE000
    return text[:-1] + chr(code) if code <= 0x10FFFF else None


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


def membership_of_user(*, user) -> dict | None:
    """我的工会: the member's union and where it stands in the tree (the federations above it, the
    city first), and the member's past periods in other unions, newest first. None for an account
    that is no member."""
    member = member_of_user(user=user)
    if member is None:
        return None
    above = list(member.org.get_ancestors()) if member.org.depth > 1 else []
    periods = list(MembershipPeriod.objects.filter(member=member).select_related("org").order_by("-ended_on"))
    return {"member": member, "org": member.org, "above": above, "periods": periods}


def member_counts_by_child(*, user, children: list[Org]) -> dict[int, int]:
    """Current members in each child's subtree, from the subtree tallies (one query, however large
    the subtrees). The children come from ``org_children``, within the user's reach."""
    read = scope_for(user, Perm.READ)
    counts = tallies.read_each([child.path for child in children if read.covers(child.path)], "all")
    return {child.pk: counts.get(child.path, 0) for child in children}


def member_timeline(*, user, member: Member, limit: int = 50):
    """What happened to a member, newest first, from the audit log (nothing if out of the user's reach)."""
    if not scope_for(user, Perm.READ).covers(member.org_path):
        return AuditEntry.objects.none()
    return audit.history(member, limit)


def member_periods(*, user, member: Member) -> list[dict]:
    """Where the member has been, newest first: the current period, then the past ones."""
    if not scope_for(user, Perm.READ).covers(member.org_path):
        return []
    current = {"org": member.org, "started_on": member.period_start, "ended_on": member.left_on,
               "ended_by": "left" if member.left_on else "", "current": True}
    past = [{"org": p.org, "started_on": p.started_on, "ended_on": p.ended_on, "ended_by": p.ended_by,
             "current": False}
            for p in member.periods.select_related("org").order_by("-started_on")]
    return [current, *past]


# --- online joining: the applicant's side and the union's queue ---------------------------------


def join_queue(*, user, org: Org, status: str = JoinStatus.PENDING) -> QuerySet[JoinApplication]:
    """Applications to unions of ``org``'s subtree that the user may see; waiting ones oldest first."""
    qs = (JoinApplication.objects.filter(scope_for(user, Perm.READ).q("org_path"))
          .filter(subtree_q(org.path, "org_path"), status=status).select_related("org"))
    return qs.order_by("created_at", "pk") if status == JoinStatus.PENDING else qs.order_by("-decided_at", "-pk")


def join_pending_count(*, user, org: Org) -> int:
    return join_queue(user=user, org=org).count()


def join_get(*, user, pk: int) -> JoinApplication | None:
    """The application if it lies in the user's subtree; None otherwise (answer 404)."""
    if not 0 < pk <= MAX_ID:
        return None
    return (JoinApplication.objects.filter(scope_for(user, Perm.READ).q("org_path"), pk=pk)
            .select_related("org", "decided_by", "member").first())


def join_of_applicant(*, user, pk: int) -> JoinApplication | None:
    if not user.is_authenticated or not 0 < pk <= MAX_ID:
        return None
    return JoinApplication.objects.filter(applicant=user, pk=pk).select_related("org").first()


def transfer_of_requester(*, user, pk: int) -> Transfer | None:
    if not user.is_authenticated or not 0 < pk <= MAX_ID:
        return None
    return Transfer.objects.filter(requested_by=user, source=TransferSource.JOIN, pk=pk).select_related("to_org").first()


def applications_of(*, user) -> list:
    """The worker's own requests, newest first: join applications and the transfers they asked for.

    A transfer shows only the union it goes to: the worker was told they are registered, not where.
    """
    if not user.is_authenticated:
        return []
    joins = JoinApplication.objects.filter(applicant=user).select_related("org").order_by("-created_at")[:20]
    transfers = (Transfer.objects.filter(requested_by=user, source=TransferSource.JOIN)
                 .select_related("to_org").order_by("-requested_at")[:20])
    return sorted(map(as_own_request, [*joins, *transfers]), key=lambda item: item.when, reverse=True)


def as_own_request(item: JoinApplication | Transfer) -> JoinApplication | Transfer:
    """Mark a worker's application or transfer with ``kind`` and ``when`` (submitted), as 办事 lists them."""
    if isinstance(item, JoinApplication):
        item.kind, item.when = "join", item.created_at
    else:
        item.kind, item.when = "transfer", item.requested_at
    return item


# --- transfers: the receiving union's queue (转入) and the sending union's (转出) -------------------

DIRECTIONS = ("in", "out")


def transfer_queue(*, user, org: Org, direction: str = "in",
                   status: str = TransferStatus.PENDING) -> QuerySet[Transfer]:
    """Transfers into (``in``) or out of (``out``) ``org``'s subtree that the user may see."""
    field = "to_path" if direction == "in" else "from_path"
    qs = (Transfer.objects.filter(scope_for(user, Perm.READ).q(field)).filter(subtree_q(org.path, field),
                                                                         status=status)
          .select_related("member", "from_org", "to_org"))
    return qs.order_by("requested_at", "pk") if status == TransferStatus.PENDING else qs.order_by("-decided_at", "-pk")


def transfer_pending_count(*, user, org: Org) -> int:
    """The transfers waiting for this user's unions, in one query: incoming ones they may decide
    now, and outgoing ones they are asked to agree to."""
    read, manage = scope_for(user, Perm.READ), scope_for(user, Perm.MANAGE)
    incoming = read.q("to_path") & subtree_q(org.path, "to_path") & (Q(released_at__isnull=False)
                                                                      | manage.q("from_path"))
    outgoing = manage.q("from_path") & subtree_q(org.path, "from_path") & Q(released_at__isnull=True)
    return Transfer.objects.filter(incoming | outgoing, status=TransferStatus.PENDING).count()


def transfer_get(*, user, pk: int) -> Transfer | None:
    """The transfer if either union lies in the user's subtree; None otherwise (answer 404)."""
    if not 0 < pk <= MAX_ID:
        return None
    scope = scope_for(user, Perm.READ)
    return (Transfer.objects.filter(scope.q("to_path") | scope.q("from_path"), pk=pk)
            .select_related("member", "from_org", "to_org", "requested_by", "decided_by").first())


def transfer_sides(*, user, transfers) -> None:
    """Mark what the user may see and do of each transfer:

    - ``from_visible``: the sending union's name (it lies in the user's subtree);
    - ``person_visible`` and ``person_name``: the person's name, shown to the receiving side only
      once the sending union has agreed (an ID number typed in is no way to learn a name);
    - ``may_release``: a cadre of the sending union, while its consent is awaited (agree or object);
    - ``may_decide``: a cadre of the receiving union, once the sending union agreed or when the
      cadre manages it too.
    """
    read, manage = scope_for(user, Perm.READ), scope_for(user, Perm.MANAGE)
    for transfer in transfers:
        pending, released = transfer.status == TransferStatus.PENDING, transfer.released_at is not None
        transfer.from_visible = read.covers(transfer.from_path)
        transfer.person_visible = (transfer.from_visible or released or transfer.status == TransferStatus.APPROVED
                                   or transfer.member.status != MemberStatus.ACTIVE)
        transfer.person_name = transfer.member.name if transfer.person_visible else _("(shown once the sending union "
                                                                                      "agrees)")
        transfer.may_release = pending and not released and manage.covers(transfer.from_path)
        transfer.may_decide = manage.covers(transfer.to_path) and (released or manage.covers(transfer.from_path))
        transfer.awaits_release = pending and not released
        transfer.may_refuse = pending and manage.covers(transfer.to_path)  # the receiving side needn't wait to say no


def join_target_get(*, code: str) -> Org | None:
    """A union a worker may apply to, by code (any worker may see which unions exist)."""
    return Org.objects.filter(code=code).exclude(kind__in=FEDERATION_KINDS).first()


# --- choosing the union to join (public: which unions exist is no secret) ------------------------

# Words in union names that tell the trade each group works in (suggestions for new-form workers).
TRADE_WORDS = {
    "courier": ("快递", "物流", "速运", "速递", "邮政"),
    "delivery_rider": ("骑手", "外卖", "送餐"),
    "truck_driver": ("货车", "货运", "运输"),
    "ride_hailing_driver": ("网约车", "出行"),
    "estate_agent": ("房产", "中介", "不动产", "地产", "门店"),
    "care_worker": ("护工", "护理", "照护", "养老"),
    "domestic_worker": ("家政",),
    "security_guard": ("保安",),
    "mall_promoter": ("商场", "信息员", "百货", "广场"),
}
NEW_FORM_OR_INDUSTRY = Q(is_new_form=True) | Q(kind__in=[OrgKind.INDUSTRY, OrgKind.NEW_FORM])


def join_districts() -> list[Org]:
    """The districts (区县总工会) a worker picks from to narrow the unions down."""
    return list(Org.objects.filter(kind=OrgKind.DISTRICT).order_by("path"))


def join_district_get(*, code: str) -> Org | None:
    return Org.objects.filter(kind=OrgKind.DISTRICT, code=code).first() if code else None


def _join_area_q(district: Org) -> Q:
    """The unions a worker of ``district`` may join: the district's subtree, and the industry and
    new-form unions set up directly by a level above it (宁波市物流快递行业工会 takes couriers of
    every district)."""
    above = Q()
    for depth in range(1, district.depth):
        parent = district.path[: depth * Org.steplen]
        above |= subtree_q(parent) & Q(depth=depth + 1)
    area = subtree_q(district.path)
    if above:
        area |= above & NEW_FORM_OR_INDUSTRY
    return area


def _district_first(district: Org):
    """Order the district's own unions before those of the levels above, then by the tree."""
    return [Case(When(subtree_q(district.path), then=Value(0)), default=Value(1)), "path"]


def _trade_q(words) -> Q:
    trade = Q()
    for word in words:
        trade |= Q(name__contains=word)
    return trade


def join_suggestions(*, district: Org, category: str = "", limit: int = 8) -> list[Org]:
    """New-form and industry unions for a worker of the district (its own, then those of the city
    level). For a trade: the unions whose name fits it first, then the general ones (a joint union
    of new-form workers), never a union whose name names another trade."""
    unions = (Org.objects.filter(_join_area_q(district), NEW_FORM_OR_INDUSTRY)
              .exclude(kind__in=FEDERATION_KINDS))
    words = TRADE_WORDS.get(category, ())
    if not words:
        return list(unions.order_by("-is_new_form", *_district_first(district))[:limit])
    fitting = list(unions.filter(_trade_q(words)).order_by(*_district_first(district))[:limit])
    other_trades = _trade_q(w for key, ws in TRADE_WORDS.items() if key != category for w in ws if w not in words)
    general = (unions.exclude(pk__in=[o.pk for o in fitting]).exclude(other_trades)
               .order_by("-is_new_form", *_district_first(district))[:limit - len(fitting)])
    return fitting + list(general)


def join_union_search(*, text: str, district: Org | None = None, limit: int = 20) -> list[Org]:
    """Unions that take members whose name contains ``text``: within a district when given (and
    the industry and new-form unions of the levels above it), the district's own first."""
    text = " ".join((text or "").split())
    if len(text) < 2:
        return []
    qs = Org.objects.exclude(kind__in=FEDERATION_KINDS).filter(name__contains=text)
    if district is None:
        return list(qs.order_by("path")[:limit])
    return list(qs.filter(_join_area_q(district)).order_by(*_district_first(district))[:limit])
