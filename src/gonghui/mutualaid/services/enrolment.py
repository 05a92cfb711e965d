"""Enrolment in a plan year (参保): a union enrols members of its subtree, in one batch.

Every enrolment goes in through ``enrolments_write`` (a union's batch, the demo's lists, the
bench's), which keeps the plans' counters and the statistics in step with the rows."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, F, QuerySet
from django.db.transaction import TransactionManagementError
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.core import audit, pg, pii
from gonghui.core.ids import parse_id_number
from gonghui.core.paths import subtree_q
from gonghui.core.scope import Perm, require
from gonghui.members.models import Member, MemberStatus
from gonghui.mutualaid import rules
from gonghui.mutualaid.models import Enrolment, EnrolmentBatch, Plan, Reason
from gonghui.mutualaid.selectors import eligible_q
from gonghui.mutualaid.services.common import refuse, today
from gonghui.mutualaid.stats import enrolment_deltas
from gonghui.orgs.models import Org
from gonghui.stats import activity

ENROLMENT_COLUMNS = "member_id, plan_id, org_id, org_path, enrolled_on, fee, batch_id, enrolled_by_id, created_at"
NEW_ENROLMENTS = "aid_new_enrolment"  # PostgreSQL: rows to enrol, before they go in


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def enrolments_write(*, lists: Sequence[tuple[EnrolmentBatch, QuerySet | Iterable[tuple]]], actor=None) -> int:
    """Enrol members set-based; the one writer of enrolments, which keeps the plans' counters
    (``Plan.enrolled``) and the statistics (``aid_enrolments``, ``aid_fees`` of the member's union
    and the batch's day, per day and all-time) in step with the rows.

    ``lists``: (batch, members) pairs; the batch (already saved) gives the plan and the enrolment
    day, the members are a queryset of members or rows (member id, union id, union path). Members
    already in the plan are skipped (counted by nobody). The fee is the plan's. Returns how many
    were enrolled. Runs in the caller's transaction.
    """
    if not connection.in_atomic_block:
        raise TransactionManagementError("enrolments_write runs in the caller's transaction.")
    now = timezone.now()
    for batch, members in lists:
        values = [batch.plan_id, batch.enrolled_on, batch.plan.fee, batch.pk, actor.pk if actor else None, now]
        if isinstance(members, QuerySet):
            sql, params = members.values("id", "org_id", "org_path").query.sql_with_params()
            _insert_from(f"({sql}) m", list(params), values)
        else:
            _insert_rows(list(members), values)
    batches = {batch.pk: batch for batch, _members in lists}
    deltas = activity.Deltas()
    per_plan: dict[int, int] = defaultdict(int)
    for batch_id, path, n in (Enrolment.objects.filter(batch_id__in=list(batches))
                              .values_list("batch_id", "org_path").annotate(n=Count("id")).order_by()):
        batch = batches[batch_id]
        fees = (batch.plan.fee * n).quantize(rules.FEN)
        enrolment_deltas(deltas, path, batch.enrolled_on, batch.plan.product, n, fees)
        per_plan[batch.plan_id] += n
    activity.add(deltas)
    for plan_id, n in sorted(per_plan.items()):  # after the statistics rows: one lock order for every writer
        Plan.objects.filter(pk=plan_id).update(enrolled=F("enrolled") + n)
    return sum(per_plan.values())


def _insert_from(source: str, params: list, values: list) -> None:
    """INSERT … SELECT the members (id, org_id, org_path) of ``source``, skipping those already enrolled."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Enrolment._meta.db_table} ({ENROLMENT_COLUMNS}) "
            f"SELECT m.id, %s, m.org_id, m.org_path, %s, %s, %s, %s, %s FROM {source} WHERE true "
            "ON CONFLICT (member_id, plan_id) DO NOTHING", [*values, *params])


def _insert_rows(rows: list[tuple], values: list) -> None:
    """The same for rows (member id, org id, org path): on PostgreSQL by binary COPY into a scratch
    table first (emptied at commit and here), elsewhere by ``executemany``."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        pg.execute(f"CREATE TEMP TABLE IF NOT EXISTS {NEW_ENROLMENTS} (id bigint, org_id bigint, org_path text) "
                   "ON COMMIT DELETE ROWS")
        pg.execute(f"TRUNCATE {NEW_ENROLMENTS}")
        with pg.cursor() as cursor:
            pg.copy_binary(cursor, NEW_ENROLMENTS, ("id", "org_id", "org_path"), ("int8", "int8", "text"), rows)
        _insert_from(f"{NEW_ENROLMENTS} m", [], values)
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {Enrolment._meta.db_table} ({ENROLMENT_COLUMNS}) VALUES ({', '.join(['%s'] * 9)}) "
            "ON CONFLICT (member_id, plan_id) DO NOTHING",
            [(member_id, values[0], org_id, org_path, *values[1:]) for member_id, org_id, org_path in rows])


def enrol_batch(*, actor, plan: Plan, org: Org, mode: str = EnrolmentBatch.Mode.ALL,
                member_ids: Iterable[int] | None = None, id_numbers: Iterable[str] | None = None,
                line_numbers: Sequence[int] | None = None, on: dt.date | None = None) -> EnrolmentBatch:
    """Enrol members of ``org``'s subtree in ``plan``: all eligible ones, a selection, or a list of ID numbers.

    Refused as a whole outside the enrolment window (code outside_window). Members already
    enrolled are counted, not enrolled twice; the others that cannot be enrolled are listed in the
    batch's report with a code (not_in_union, not_active, not_eligible, invalid: with the ID number
    check that failed as ``message``); a list's report names each ID number by its line in the
    uploaded file, ``line_numbers`` (one for each ID number; its place in the list when not
    given, 1 for the first). ``on`` is the
    enrolment day (today; demo and bench loads give past days).
    """
    require(actor, Perm.MANAGE, org.path)
    on = today(on)
    if not plan.window_start <= on <= plan.window_end:
        raise refuse(Reason.OUTSIDE_WINDOW, _("Enrolment in %(plan)s is open from %(start)s to %(end)s.") % {
            "plan": plan.name, "start": plan.window_start, "end": plan.window_end})
    if mode not in EnrolmentBatch.Mode.values:
        raise ValidationError({"mode": _("Unknown enrolment mode.")}, code="invalid")
    subtree = Member.objects.filter(subtree_q(org.path, "org_path"))
    report: list[dict] = []
    asked = 0
    candidate_ids: list[int] = []
    if mode == EnrolmentBatch.Mode.ALL:
        asked = None  # counted below
    elif mode == EnrolmentBatch.Mode.SELECTION:
        ids = sorted({int(i) for i in (member_ids or [])})
        if not ids:
            raise ValidationError({"member_ids": _("Select at least one member.")}, code="invalid")
        asked = len(ids)
        found: set[int] = set()
        for part in _chunks(ids, 5000):
            found.update(subtree.filter(pk__in=part).values_list("pk", flat=True))
        report += [{"member": i, "code": Reason.NOT_IN_UNION} for i in ids if i not in found]
        candidate_ids = sorted(found)
    else:
        hashes: dict[str, int] = {}
        lines = list(id_numbers or [])
        if not lines:
            raise ValidationError({"id_numbers": _("The list holds no ID number.")}, code="invalid")
        asked = len(lines)
        numbers = list(line_numbers) if line_numbers is not None else range(1, len(lines) + 1)
        if len(numbers) != len(lines):
            raise ValueError("line_numbers must give one line for each ID number")
        for line, raw in zip(numbers, lines, strict=True):
            try:
                info = parse_id_number(str(raw or ""))
            except ValidationError as exc:  # what is wrong with it, as the roster import says it
                report.append({"line": line, "code": Reason.INVALID, "message": exc.messages[0]})
                continue
            hashes.setdefault(pii.digest("id", info.number), line)
        found_ids: list[int] = []
        seen: set[str] = set()
        for part in _chunks(list(hashes), 5000):
            for pk, h in subtree.filter(id_hash__in=part).values_list("pk", "id_hash"):
                found_ids.append(pk)
                seen.add(h)
        report += [{"line": line, "code": Reason.NOT_IN_UNION} for h, line in hashes.items() if h not in seen]
        candidate_ids = sorted(set(found_ids))
    # The candidates, in parts of at most 5,000 ids for a selection or list (SQLite's parameter limit).
    if mode == EnrolmentBatch.Mode.ALL:
        parts = [subtree.filter(status=MemberStatus.ACTIVE)]
    else:
        parts = [subtree.filter(pk__in=part) for part in _chunks(candidate_ids, 5000)]
    # Who of the candidates cannot be enrolled, and why (all counted; listed up to a limit).
    refused = len(report)
    for candidates in parts:
        not_eligible = candidates.exclude(eligible_q(plan))
        if mode == EnrolmentBatch.Mode.ALL:
            n = not_eligible.count()
            if n:
                report.append({"code": Reason.NOT_ELIGIBLE, "count": n})
            refused += n
        else:
            for pk, status in not_eligible.values_list("pk", "status"):
                report.append({"member": pk, "code": Reason.NOT_ACTIVE if status != MemberStatus.ACTIVE
                               else Reason.NOT_ELIGIBLE})
                refused += 1
    with transaction.atomic():
        batch = EnrolmentBatch.objects.create(plan=plan, org=org, org_path=org.path, mode=mode, enrolled_on=on,
                                              created_by=actor)
        eligible = [candidates.filter(eligible_q(plan)) for candidates in parts]
        inserted = enrolments_write(lists=[(batch, part) for part in eligible], actor=actor)
        total_eligible = sum(part.count() for part in eligible)
        batch.enrolled = inserted
        batch.already = total_eligible - inserted
        batch.asked = asked if asked is not None else total_eligible + refused
        batch.refused = refused
        batch.fee_due = (plan.fee * inserted).quantize(rules.FEN)
        batch.report = {"lines": report[:1000], "more": max(0, len(report) - 1000)}
        batch.save(update_fields=["enrolled", "already", "asked", "refused", "fee_due", "report"])
        audit.record(actor=actor, action="aid.enrol_batch", obj=batch, org_path=org.path,
                     data={"plan": plan.pk, "mode": mode, "enrolled": inserted, "already": batch.already,
                           "refused": refused, "fee_due": str(batch.fee_due)})
    return batch


def enrol_member(*, actor, plan: Plan, member: Member, on: dt.date | None = None) -> Enrolment:
    """Enrol one member (a selection of one); refused with the code when they cannot be enrolled."""
    batch = enrol_batch(actor=actor, plan=plan, org=member.org, mode=EnrolmentBatch.Mode.SELECTION,
                        member_ids=[member.pk], on=on)
    enrolment = Enrolment.objects.filter(member=member, plan=plan).first()
    if enrolment is None:
        code = (batch.report.get("lines") or [{"code": Reason.NOT_ELIGIBLE}])[0]["code"]
        raise refuse(Reason(code))
    if batch.enrolled == 0:
        raise refuse(Reason.ALREADY_ENROLLED)
    return enrolment
