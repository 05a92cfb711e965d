"""Reads of mutual aid, always within the caller's scope (objects outside answer None → 404)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from gonghui.core import audit, pii
from gonghui.core.ids import parse_id_number
from gonghui.core.models import AuditEntry
from gonghui.core.paths import subtree_q
from gonghui.core.scope import Perm, scope_for
from gonghui.members.models import Member, MemberStatus
from gonghui.members.selectors import text_q
from gonghui.mutualaid import rules
from gonghui.mutualaid.models import (
    PRODUCT_GROUP,
    Claim,
    ClaimDocument,
    ClaimStatus,
    Eligibility,
    Enrolment,
    EnrolmentBatch,
    Ledger,
    PaymentBatch,
    PaymentLine,
    Payout,
    PayoutStatus,
    Plan,
    Product,
    Reason,
    SettlementFeed,
    SettlementRecord,
)
from gonghui.orgs.models import Org

MAX_ID = 2**63 - 1
ZERO = Decimal("0.00")


def _pk_ok(pk) -> bool:
    return isinstance(pk, int) and 0 < pk <= MAX_ID


def _in(user, perm: Perm, org: Org | None, field: str = "org_path") -> Q:
    q = scope_for(user, perm).q(field)
    if org is not None:
        q &= subtree_q(org.path, field)
    return q


# --- plans (public: every plan year is shown to members and cadres) ----------------------------


def plan_list(*, year: int | None = None, product: str | None = None) -> QuerySet[Plan]:
    """Plan years, newest first, each with ``enrolled`` (members enrolled in all unions, kept on the row)."""
    qs = Plan.objects.all()
    if year is not None:
        qs = qs.filter(year=year)
    if product:
        qs = qs.filter(product=product)
    return qs.order_by("-year", "product")


def plan_get(*, pk: int) -> Plan | None:
    return Plan.objects.filter(pk=pk).first() if _pk_ok(pk) else None


def plans_open(*, on: dt.date | None = None) -> QuerySet[Plan]:
    """Plans whose enrolment window is open on ``on`` (today)."""
    on = on or timezone.localdate()
    return Plan.objects.filter(window_start__lte=on, window_end__gte=on).order_by("product")


def plan_locked(*, plan: Plan) -> bool:
    return Enrolment.objects.filter(plan=plan).exists()


# --- who a plan accepts, and which enrolment pays for a stay -------------------------------------


def eligible_q(plan: Plan) -> Q:
    """The members a plan accepts (active; in service or retired on its first day of cover)."""
    retiree = Q()
    for sex, born_by in rules.retiree_born_by(plan.cover_start).items():
        retiree |= Q(sex=sex, birth_date__lte=born_by)
    q = Q(status=MemberStatus.ACTIVE)
    return q & (retiree if plan.eligibility == Eligibility.RETIREE else ~retiree)


def cover_for(*, member_id: int, product: str, day: dt.date) -> tuple[Enrolment | None, str]:
    """The member's enrolment whose plan covers a stay ending on ``day``, else (None, reason code)."""
    enrolments = list(Enrolment.objects.select_related("plan")
                      .filter(member_id=member_id, plan__product__in=PRODUCT_GROUP[Product(product)]))
    return pick_cover([(e.plan.cover_start, e.plan.cover_end, e.enrolled_on, e) for e in enrolments], day)


def pick_cover(candidates, day: dt.date):
    """Of (cover_start, cover_end, enrolled_on, payload) rows, the payload covering ``day``.

    Else the reason: not_covered_dates when the person is enrolled for the plan year the day falls
    in but cover had not begun (enrolled after the day), not_enrolled otherwise.
    """
    year_found = False
    for cover_start, cover_end, enrolled_on, payload in candidates:
        if covers(cover_start, cover_end, enrolled_on, day):
            return payload, ""
        if cover_start <= day <= cover_end:
            year_found = True
    return None, (Reason.NOT_COVERED_DATES if year_found else Reason.NOT_ENROLLED)


def covers(cover_start: dt.date, cover_end: dt.date, enrolled_on: dt.date, day: dt.date) -> bool:
    """Cover runs from the plan's first day (or the enrolment day, if later) to its last day."""
    return max(cover_start, enrolled_on) <= day <= cover_end


# --- enrolment --------------------------------------------------------------------------------


def enrolment_list(*, user, org: Org | None = None, plan: Plan | None = None, text: str = "") -> QuerySet[Enrolment]:
    qs = Enrolment.objects.filter(_in(user, Perm.READ, org)).select_related("member", "plan", "org")
    if plan is not None:
        qs = qs.filter(plan=plan)
    text = text.strip()
    if text:
        qs = qs.filter(member__in=_members_matching(text))
    return qs.order_by("-enrolled_on", "-id")


# --- the workbench's enrolment list: one plan year of one union's subtree, at city scale ---------
#
# Ordered by (org_path, id) within one plan: the (plan, org_path) index gives the order, so a page
# reads its 51 rows instead of sorting the plan's million enrolments. Pages are keyset pages (after
# or before a row's (org_path, id)): the last page is as fast as the first.

SEARCH_COUNT_LIMIT = 1000  # a search counts its matches up to here, then says "more than"
_CURSOR = re.compile(r"^([0-9A-Z]{1,255})\.([1-9][0-9]{0,18})$")


def _members_matching(text: str) -> QuerySet[Member]:
    """Members matching a search text as the member list does (``members.selectors.text_q``)."""
    return Member.objects.filter(text_q(text)).values("pk")


def _subtree_in_scope(user, org: Org) -> Q | None:
    """``org``'s subtree as one index range, or None when the user may not read it."""
    if not scope_for(user, Perm.READ).covers(org.path):
        return None
    return subtree_q(org.path, "org_path")


def enrolment_plans(*, on: dt.date | None = None) -> list[Plan]:
    """The plan years to choose from on the enrolment list: newest year first, the products in
    their order (in-service inpatient first), plans whose enrolment has not opened yet last."""
    on = on or timezone.localdate()
    order = {value: i for i, value in enumerate(Product.values)}
    return sorted(Plan.objects.all(), key=lambda p: (p.window_start > on, -p.year, order.get(p.product, 99), p.pk))


def enrolment_default_plan(*, user, org: Org, plans: list[Plan]) -> Plan | None:
    """The plan the list opens on: the newest of ``plans`` (in their order) with an enrolment in
    ``org``'s subtree; the first one when the subtree has none. One index probe per plan tried."""
    subtree = _subtree_in_scope(user, org)
    if subtree is not None:
        for plan in plans:
            if Enrolment.objects.filter(subtree, plan=plan).exists():
                return plan
    return plans[0] if plans else None


def parse_cursor(raw: str | None) -> tuple[str, int] | None:
    """A page cursor ``ORGPATH.ID`` from the query string; None when absent or malformed."""
    found = _CURSOR.match(raw or "")
    if not found or int(found.group(2)) > MAX_ID:
        return None
    return found.group(1), int(found.group(2))


def cursor_of(enrolment: Enrolment) -> str:
    return f"{enrolment.org_path}.{enrolment.pk}"


@dataclass
class EnrolmentPage:
    rows: list[Enrolment]
    has_previous: bool
    has_next: bool
    first: str = ""  # cursors of the first and the last row shown
    last: str = ""


def enrolment_page(*, user, org: Org, plan: Plan, text: str = "", after: tuple[str, int] | None = None,
                   before: tuple[str, int] | None = None, last: bool = False, size: int = 50) -> EnrolmentPage:
    """One page of the enrolments of ``plan`` in ``org``'s subtree, ordered by union then id:
    the first page, the page after or before a cursor, or the last page."""
    qs = _plan_enrolments(user, org, plan, text)
    if qs is None:
        return EnrolmentPage([], False, False)
    backwards = last or before is not None
    if after is not None:
        path, pk = after
        qs = qs.filter(Q(org_path__gt=path) | Q(org_path=path, pk__gt=pk), org_path__gte=path)
    elif before is not None:
        path, pk = before
        qs = qs.filter(Q(org_path__lt=path) | Q(org_path=path, pk__lt=pk), org_path__lte=path)
    order = ("-org_path", "-id") if backwards else ("org_path", "id")
    rows = list(qs.select_related("member", "org").order_by(*order)[:size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
        page = EnrolmentPage(rows, has_previous=more, has_next=before is not None)
    else:
        page = EnrolmentPage(rows, has_previous=after is not None, has_next=more)
    for row in rows:
        row.plan = plan
    if rows:
        page.first, page.last = cursor_of(rows[0]), cursor_of(rows[-1])
    return page


def _plan_enrolments(user, org: Org, plan: Plan, text: str) -> QuerySet[Enrolment] | None:
    subtree = _subtree_in_scope(user, org)
    if subtree is None:
        return None
    qs = Enrolment.objects.filter(subtree, plan=plan)
    text = text.strip()
    if text:
        qs = qs.filter(member__in=_members_matching(text))
    return qs


def _whole_tree(org: Org) -> bool:
    """Whether ``org``'s subtree holds every union (the only root): then a plan's counter is its count."""
    return org.depth == 1 and not Org.objects.filter(depth=1).exclude(pk=org.pk).exists()


def plan_enrolled_in(*, user, org: Org, plan: Plan) -> int:
    """Members enrolled in ``plan`` in ``org``'s subtree, exactly: the plan's counter for the whole
    city, else a count of one range of the (plan, org_path) index."""
    subtree = _subtree_in_scope(user, org)
    if subtree is None:
        return 0
    if _whole_tree(org):
        return plan.enrolled
    return Enrolment.objects.filter(subtree, plan=plan).count()


def enrolment_count(*, user, org: Org, plan: Plan, text: str = "") -> tuple[int, bool]:
    """How many enrolments the list holds, and whether that is only a lower bound: exact without
    a search; a search counts up to ``SEARCH_COUNT_LIMIT`` and then says "more than"."""
    if not text.strip():
        return plan_enrolled_in(user=user, org=org, plan=plan), False
    qs = _plan_enrolments(user, org, plan, text)
    if qs is None:
        return 0, False
    n = qs.order_by()[:SEARCH_COUNT_LIMIT + 1].count()
    return min(n, SEARCH_COUNT_LIMIT), n > SEARCH_COUNT_LIMIT


def enrolment_get(*, user, pk: int) -> Enrolment | None:
    if not _pk_ok(pk):
        return None
    return Enrolment.objects.filter(_in(user, Perm.READ, None), pk=pk).select_related("member", "plan", "org").first()


def enrolment_preview(*, user, plan: Plan, org: Org, member_ids=None, id_numbers=None) -> dict:
    """Before a batch enrolment of ``org``'s subtree (all members, or a selection, or a list of ID
    numbers): eligible members, already enrolled, to enrol, fee due, not eligible (incl. not found)."""
    empty = {"eligible": 0, "already": 0, "to_enrol": 0, "fee_due": ZERO, "not_eligible": 0}
    if not scope_for(user, Perm.MANAGE).covers(org.path):
        return empty
    subtree = Member.objects.filter(subtree_q(org.path, "org_path"))
    if member_ids is None and id_numbers is None:
        parts, asked = [subtree.filter(status="active")], None
    else:
        if id_numbers is not None:
            hashes = set()
            for raw in id_numbers:
                try:
                    hashes.add(pii.digest("id", parse_id_number(str(raw or "")).number))
                except ValidationError:
                    continue
            keys, field = sorted(hashes), "id_hash__in"
            asked = len(list(id_numbers))
        else:
            keys, field = sorted({int(i) for i in member_ids}), "pk__in"
            asked = len(keys)
        parts = [subtree.filter(**{field: keys[i:i + 5000]}) for i in range(0, len(keys), 5000)]
    n_eligible = already = candidates = 0
    for part in parts:
        eligible = part.filter(eligible_q(plan))
        n_eligible += eligible.count()
        already += Enrolment.objects.filter(plan=plan, member__in=eligible).count()
        candidates += part.count()
    to_enrol = n_eligible - already
    not_eligible = (asked if asked is not None else candidates) - n_eligible
    return {"eligible": n_eligible, "already": already, "to_enrol": to_enrol,
            "fee_due": (plan.fee * to_enrol).quantize(rules.FEN), "not_eligible": not_eligible}


def enrolment_batches(*, user, org: Org | None = None, limit: int = 20) -> QuerySet[EnrolmentBatch]:
    return (EnrolmentBatch.objects.filter(_in(user, Perm.READ, org)).select_related("plan", "org", "created_by")
            .order_by("-created_at", "-pk")[:limit])


def enrolment_batch_get(*, user, pk: int) -> EnrolmentBatch | None:
    if not _pk_ok(pk):
        return None
    return EnrolmentBatch.objects.filter(_in(user, Perm.READ, None), pk=pk).select_related("plan", "org").first()


def enrolment_totals(*, user, org: Org, plan: Plan) -> dict:
    """Enrolled members and fees of ``org``'s subtree in a plan.

    The fees are the count times the plan's fee: every enrolment is written with the plan's fee per
    head (``services.enrolment.enrolments_write``) and a plan cannot change once anyone is enrolled
    (migration 0002's trigger), so no enrolment row is read for the sum.
    """
    n = plan_enrolled_in(user=user, org=org, plan=plan)
    return {"enrolled": n, "fees": (plan.fee * n).quantize(rules.FEN)}


# --- a member's own view ----------------------------------------------------------------------


def cover_of_member(*, member: Member, on: dt.date | None = None) -> list[dict]:
    """The member's enrolments, newest plan year first, each with what was paid and what is left."""
    on = on or timezone.localdate()
    enrolments = list(Enrolment.objects.filter(member=member).select_related("plan").order_by("-plan__year"))
    paid = {row.plan_id: row for row in Ledger.objects.filter(  # the (plan, person_hash) key's index
        plan_id__in=[e.plan_id for e in enrolments], person_hash=member.id_hash, member=member)}
    out = []
    for e in enrolments:
        ledger = paid.get(e.plan_id)
        total = ledger.paid_total if ledger else ZERO
        out.append({"enrolment": e, "plan": e.plan, "paid": total, "left": max(ZERO, e.plan.yearly_cap - total),
                    "current": e.plan.cover_start <= on <= e.plan.cover_end})
    return out


def claims_of_member(*, member: Member) -> QuerySet[Claim]:
    return Claim.objects.filter(member=member).select_related("plan").order_by("-filed_at")


def payouts_of_member(*, member: Member) -> QuerySet[Payout]:
    return Payout.objects.filter(member=member).select_related("plan", "settlement", "claim").order_by(
        "-decided_on", "-pk")


# --- settlement feeds -------------------------------------------------------------------------


def feed_list(*, user, org: Org | None = None, limit: int = 20) -> QuerySet[SettlementFeed]:
    return (SettlementFeed.objects.filter(_in(user, Perm.READ, org)).select_related("org", "created_by")
            .order_by("-created_at", "-pk")[:limit])


def feed_get(*, user, pk: int) -> SettlementFeed | None:
    if not _pk_ok(pk):
        return None
    return SettlementFeed.objects.filter(_in(user, Perm.READ, None), pk=pk).select_related("org").first()


def feed_records(*, feed: SettlementFeed, status: str | None = None, code: str | None = None) -> QuerySet:
    """A feed's records (the caller got the feed through feed_get, i.e. within scope)."""
    qs = SettlementRecord.objects.filter(feed=feed)
    if status:
        qs = qs.filter(status=status)
    if code:
        qs = qs.filter(reason_code=code)
    return qs.order_by("pk")


def feed_reasons(*, feed: SettlementFeed) -> dict[str, int]:
    rows = (SettlementRecord.objects.filter(feed=feed).exclude(reason_code="").values_list("reason_code")
            .annotate(n=Count("id")).order_by())
    return dict(rows)


def settlement_get(*, user, pk: int) -> SettlementRecord | None:
    """A record seen by the union that received it, or by the union of the enrolment that paid it."""
    if not _pk_ok(pk):
        return None
    scope = scope_for(user, Perm.READ)
    return (SettlementRecord.objects.filter(pk=pk).filter(scope.q("org_path") | scope.q("payout__org_path"))
            .select_related("feed").first())


# --- claims -----------------------------------------------------------------------------------


def claim_queue(*, user, org: Org | None = None, status: str | None = ClaimStatus.SUBMITTED) -> QuerySet[Claim]:
    qs = Claim.objects.filter(_in(user, Perm.READ, org)).select_related("member", "plan", "org")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("filed_at", "pk")


def claim_get(*, user, pk: int) -> Claim | None:
    """The claim for its member (own account) or a cadre whose READ scope covers its union."""
    if not _pk_ok(pk):
        return None
    q = scope_for(user, Perm.READ).q("org_path")
    if user.is_authenticated:
        q |= Q(member__user=user)
    return Claim.objects.filter(q, pk=pk).select_related("member", "plan", "org", "enrolment").first()


def claim_documents(*, claim: Claim) -> QuerySet[ClaimDocument]:
    return claim.documents.order_by("kind", "pk")


def claim_document_get(*, user, pk: int) -> ClaimDocument | None:
    """A document, for whoever may see its claim (then served as a download by the view)."""
    if not _pk_ok(pk):
        return None
    doc = ClaimDocument.objects.filter(pk=pk).select_related("claim").first()
    if doc is None or claim_get(user=user, pk=doc.claim_id) is None:
        return None
    return doc


# --- payouts and payments ---------------------------------------------------------------------


def payout_list(*, user, org: Org | None = None, status: str | None = None, plan: Plan | None = None) -> QuerySet[Payout]:
    qs = Payout.objects.filter(_in(user, Perm.READ, org)).select_related("member", "plan", "settlement", "claim")
    if status:
        qs = qs.filter(status=status)
    if plan is not None:
        qs = qs.filter(plan=plan)
    return qs.order_by("-decided_on", "-pk")


def payout_get(*, user, pk: int) -> Payout | None:
    """A payout for a cadre of its subtree, or for the member it pays."""
    if not _pk_ok(pk):
        return None
    q = scope_for(user, Perm.READ).q("org_path")
    if user.is_authenticated:
        q |= Q(member__user=user)
    return Payout.objects.filter(q, pk=pk).select_related("member", "plan", "settlement", "claim").first()


def payout_explanation(*, payout: Payout) -> dict:
    """The rule applied, step by step: recomputed from the plan, the self-pay and what was paid before."""
    pricing = rules.price(rules.Rule.of(payout.plan), payout.self_pay_in, payout.paid_before)
    return {"amount": pricing.amount, "steps": list(pricing.steps), "lines": rules.explain(pricing.steps),
            "consistent": pricing.amount == payout.amount}


def payouts_due(*, user, org: Org) -> dict:
    row = Payout.objects.filter(_in(user, Perm.READ, org), status=PayoutStatus.DUE).aggregate(
        n=Count("id"), total=Sum("amount"))
    return {"count": row["n"], "total": row["total"] or ZERO}


def payment_batch_list(*, user, org: Org | None = None, limit: int = 50) -> QuerySet[PaymentBatch]:
    return (PaymentBatch.objects.filter(_in(user, Perm.READ, org)).select_related("org", "created_by")
            .order_by("-created_at", "-pk")[:limit])


def payment_batch_get(*, user, pk: int) -> PaymentBatch | None:
    if not _pk_ok(pk):
        return None
    return PaymentBatch.objects.filter(_in(user, Perm.READ, None), pk=pk).select_related("org").first()


def payment_lines(*, batch: PaymentBatch) -> QuerySet[PaymentLine]:
    return batch.payment_lines.select_related("payout__member").order_by("pk")


def claim_preview(*, claim) -> dict:
    """What approving the claim would pay now (the patient's ledger as it stands), step by step."""
    ledger = Ledger.objects.filter(plan_id=claim.plan_id, person_hash=claim.patient_hash).first()
    paid = ledger.paid_total if ledger else ZERO
    pricing = rules.price(rules.Rule.of(claim.plan), claim.self_pay_in, paid)
    return {"amount": pricing.amount, "paid_before": paid, "steps": list(pricing.steps),
            "lines": rules.explain(pricing.steps)}


def timeline(*, user, obj, limit: int = 50):
    """The audit lines of a mutual-aid object (plan, claim, enrolment batch, feed, payment batch),
    newest first; nothing when the object's union is outside the user's READ scope."""
    scope = scope_for(user, Perm.READ)
    if scope.empty or not scope.covers(getattr(obj, "org_path", "")):
        return AuditEntry.objects.none()
    return audit.history(obj, limit)
