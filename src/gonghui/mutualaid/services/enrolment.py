"""Enrolment in a plan year (参保): a union enrols members of its subtree, in one batch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.core import audit, pii
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


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _insert_enrolments(*, plan: Plan, batch: EnrolmentBatch, members_sql: str, members_params: list,
                       on: dt.date, actor) -> int:
    """INSERT … SELECT the members of a query, skipping those already enrolled; the number inserted."""
    table = Enrolment._meta.db_table
    now = timezone.now()
    sql = (
        f"INSERT INTO {table} (member_id, plan_id, org_id, org_path, enrolled_on, fee, batch_id, enrolled_by_id, "
        "created_at) SELECT m.id, %s, m.org_id, m.org_path, %s, %s, %s, %s, %s "
        f"FROM ({members_sql}) m WHERE true ON CONFLICT (member_id, plan_id) DO NOTHING"
    )
    params = [plan.pk, on, plan.fee, batch.pk, actor.pk if actor else None, now, *members_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def enrol_batch(*, actor, plan: Plan, org: Org, mode: str = EnrolmentBatch.Mode.ALL,
                member_ids: Iterable[int] | None = None, id_numbers: Iterable[str] | None = None,
                on: dt.date | None = None) -> EnrolmentBatch:
    """Enrol members of ``org``'s subtree in ``plan``: all eligible ones, a selection, or a list of ID numbers.

    Refused as a whole outside the enrolment window (code outside_window). Members already
    enrolled are counted, not enrolled twice; the others that cannot be enrolled are listed in the
    batch's report with a code (not_in_union, not_active, not_eligible, invalid: with the ID number
    check that failed as ``message``). ``on`` is the
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
        for line, raw in enumerate(lines, start=1):
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
        inserted = total_eligible = 0
        for candidates in parts:
            eligible = candidates.filter(eligible_q(plan))
            sql, params = eligible.values("id", "org_id", "org_path").query.sql_with_params()
            inserted += _insert_enrolments(plan=plan, batch=batch, members_sql=sql, members_params=list(params),
                                           on=on, actor=actor)
            total_eligible += eligible.count()
        batch.enrolled = inserted
        batch.already = total_eligible - inserted
        batch.asked = asked if asked is not None else total_eligible + refused
        batch.refused = refused
        batch.fee_due = (plan.fee * inserted).quantize(rules.FEN)
        batch.report = {"lines": report[:1000], "more": max(0, len(report) - 1000)}
        batch.save(update_fields=["enrolled", "already", "asked", "refused", "fee_due", "report"])
        deltas = activity.Deltas()
        rows = list(Enrolment.objects.filter(batch=batch).values_list("org_path").annotate(n=Count("id")).order_by())
        for path, n in rows:
            enrolment_deltas(deltas, path, on, plan.product, n, (plan.fee * n).quantize(rules.FEN))
        activity.add(deltas)
        if rows:  # after the statistics rows: concurrent enrolments take their locks in one order
            Plan.objects.filter(pk=plan.pk).update(enrolled=F("enrolled") + sum(n for _path, n in rows))
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
