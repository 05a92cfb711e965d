"""Hardship help's part of the demo: five calibrated years (2018–2022) and this year's work in progress.

``load`` adds, for the same scale always the same (this year's dates follow today):

- the 低保 standard of the city (chosen for the demo: ¥800 from 2018, ¥935 from 2020, ¥1,062 from
  2023) — a union without its own row uses the city's;
- per district, families filed in 2018–2022 with their household (the member and one or two
  others, ID numbers protected like every ID number), the grading at filing (computed by the rule
  from figures below the lines), visits, help paid once a year per programme, and exits: 脱困 with
  six months of incomes above the standard before the day, 解困 handed to government support;
- the seeds' five-year figures times the scale (``SEEDS``, what the seeds do not give is our choice,
  marked in ``CHOSEN``): ``GET /api/v1/orgs/NB/stats?from=2018-01-01&to=2022-12-31`` gives
  ``hardship_lifted_out`` 1,287, ``hardship_visits`` 250,000 and ``assistance_paid_amount``
  ¥100 million (× the scale); BL 142,000 人次 and ¥8 million with 86 children given ¥240,000 of
  school aid; YY 356 families, 35,000 人次, ¥11 million; FH 60 lifted out and 121 relieved, 2,035
  visited; YZ ¥1.1318 million to filed families, ¥7.7322 million of 送温暖 and ¥750,000 of start-up help;
- this year, in the worker's district (YZ): files applied for, in notice, waiting for approval,
  due for review and lifted out, visits, one list approved and waiting to be paid and one draft;
  the ``worker`` login has an active file and a paid 送温暖 grant.

Rows are written set-based (``bulk_create``) without the services' audit lines (the demo's load is
one audit line); the statistics rows are added from the tables (``stats.recount(path)``).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db.models import Q
from django.utils import timezone

from gonghui.assistance import rules
from gonghui.assistance.models import (
    Disbursement,
    FileDocument,
    FileStatus,
    Grading,
    Grant,
    GrantStatus,
    HardshipFile,
    HouseholdMember,
    MonthlyIncome,
    Objection,
    Programme,
    ProgrammeKind,
    Relation,
    Standard,
    Visit,
    VisitKind,
)
from gonghui.assistance.stats import METRICS, recount
from gonghui.core import pii
from gonghui.core.dates import add_years
from gonghui.core.ids import make_id_number, mask_id_number
from gonghui.core.paths import subtree_q
from gonghui.demo.calibration import apportion, scaled
from gonghui.members.models import Member, MemberStatus
from gonghui.orgs.models import Org
from gonghui.stats import activity
from gonghui.stats.models import Activity

YEARS = range(2018, 2023)
STANDARDS = [(dt.date(2018, 1, 1), Decimal("800.00")), (dt.date(2020, 1, 1), Decimal("935.00")),
             (dt.date(2023, 1, 1), Decimal("1062.00"))]
CITY = dict(lifted=1_287, visits=250_000, amount=100_000_000)
# Per district: families filed, lifted out, relieved, visits (人次), yuan paid (all programmes), and by
# programme where the seeds say so; school aid children.
SEEDS = {
    "YY": dict(files=356, visits=35_000, amount=11_000_000),
    "BL": dict(visits=142_000, amount=8_000_000, school_students=86, school_amount=240_000),
    "FH": dict(lifted=60, relieved=121, visits=2_035),
    "YZ": dict(amount=9_614_000, winter=7_732_200, startup=750_000),  # 1,131,800 to filed families besides
}
CHOSEN = {"files": "3 files a family lifted out, 356 for YY as the seeds", "FH visits": "one person a visit",
          "amounts": "the city's rest by members", "YZ living": "the 1,131,800 to filed families as living help"}
PDF = b"%PDF-1.4\n% demo unit certificate\n"


def load(plan, nb: Org, log, password: str) -> None:
    started = time.monotonic()
    log("Adding hardship help: standards, files 2018–2022, visits, help, exits and this year's work …")
    rng = random.Random(f"gonghui-demo:{plan.label}:assistance")
    today = timezone.localdate()
    Standard.objects.bulk_create([Standard(org=nb, org_path=nb.path, amount=a, effective_from=d) for d, a in STANDARDS])
    units = list(Org.objects.filter(subtree_q(nb.path), depth=nb.depth + 1).order_by("path"))
    targets = _targets(units, plan.scale)
    worker = _worker(nb)
    taken: set[int] = {worker.pk} if worker else set()
    protect = pii.protector("id")
    n_files = 0
    for unit in units:
        t = targets[unit.code]
        members = _members(unit, t["files"], taken)
        if not members:
            continue
        n_files += _history(unit, members, t, rng, protect)
    _current_year(nb, units, worker, taken, rng, protect, today)
    deltas = recount(nb.path)
    activity.add(deltas)
    log(f"  {n_files:,} families filed 2018–2022 ({time.monotonic() - started:.1f} s)")


def remove(nb: Org) -> None:
    """Delete everything hardship help holds under ``nb``, in dependency order (the rest cascades)."""
    files = HardshipFile.objects.filter(subtree_q(nb.path, "org_path"))
    for doc in FileDocument.objects.filter(file__in=files).only("upload"):
        doc.upload.delete(save=False)
    Grant.objects.filter(Q(subtree_q(nb.path, "org_path")) | Q(file__in=files)).delete()
    Disbursement.objects.filter(subtree_q(nb.path, "org_path")).delete()
    Programme.objects.filter(subtree_q(nb.path, "org_path")).delete()
    HardshipFile.objects.filter(subtree_q(nb.path, "org_path"), previous__isnull=False).delete()
    files.delete()
    Standard.objects.filter(subtree_q(nb.path, "org_path")).delete()
    Activity.objects.filter(subtree_q(nb.path), metric__in=list(METRICS)).delete()
    activity.refresh_totals(METRICS)


def _worker(nb: Org) -> Member | None:
    from gonghui.demo.services import _worker_member  # the member the `worker` login gets

    return _worker_member(nb)


def _targets(units: list[Org], scale: Decimal) -> dict[str, dict]:
    """Each district's five-year figures at the scale: the seeds' own, and the city's rest split over the
    others by their members (so the city's totals are the seeds' times the scale, rounded once)."""
    weights = {u.code: max(1, Member.objects.filter(subtree_q(u.path, "org_path")).count()) for u in units}
    out = {u.code: {k: scaled(v, scale) for k, v in SEEDS.get(u.code, {}).items()} for u in units}
    for key in ("lifted", "visits", "amount"):
        given = sum(t[key] for t in out.values() if key in t)
        missing = [u.code for u in units if key not in out[u.code]]
        share = apportion(max(0, scaled(CITY[key], scale) - given), [weights[c] for c in missing]) if missing else []
        for code, value in zip(missing, share):
            out[code][key] = value
    for t in out.values():
        t.setdefault("relieved", t["lifted"] // 4)
        t["files"] = max(t.get("files", 0), t["lifted"] * 3, t["lifted"] + t["relieved"],
                         1 if t["visits"] or t["amount"] else 0)
    return out


def _members(unit: Org, n: int, taken: set[int]) -> list[Member]:
    """``n`` members of the district (the same ones for the same data), active, not yet given a file."""
    rows = list(Member.objects.filter(subtree_q(unit.path, "org_path"), status=MemberStatus.ACTIVE)
                .exclude(pk__in=taken).order_by("id_hash")[: n])
    taken.update(m.pk for m in rows)
    return rows


def _people(member: Member, file: HardshipFile, rng: random.Random, protect, own_income: Decimal) -> tuple:
    """The member and one or two others (a spouse, a child), with incomes: (rows, household for the rule)."""
    rows = [HouseholdMember(file=file, name=member.name, relation=Relation.SELF, id_hash=member.id_hash,
                            id_cipher=bytes(member.id_cipher), id_masked=member.id_masked,
                            pii_key_id=member.pii_key_id, work=member.employer[:100], yearly_income=own_income)]
    others = rng.choice((1, 2, 2))
    income = own_income
    for i in range(others):
        child = i == 1
        birth = dt.date(rng.randint(2006, 2016) if child else rng.randint(1970, 1990), rng.randint(1, 12),
                        rng.randint(1, 28))
        number = make_id_number(member.region_code, birth, rng.randint(1, 499) * 2 + (0 if child else 1))
        pr = protect(number, mask_id_number(number))
        other_income = Decimal(0) if child else Decimal(rng.randrange(0, 12_000, 100))
        income += other_income
        rows.append(HouseholdMember(file=file, name=(member.name[:1] + ("小" if child else "") + rng.choice("丽芳明华军强")),
                                    relation=Relation.CHILD if child else Relation.SPOUSE, id_hash=pr.hash,
                                    id_cipher=pr.cipher, id_masked=pr.masked, pii_key_id=pr.key_id,
                                    work="在校学生" if child else rng.choice(("保洁", "待业", "务农", "临时工")),
                                    yearly_income=other_income))
    return rows, 1 + others, income


def _standard(day: dt.date) -> Decimal:
    return [a for d, a in STANDARDS if d <= day][-1] if day >= STANDARDS[0][0] else STANDARDS[0][1]


def _file_rows(unit_members, rng, protect, filed_days, statuses):
    """HardshipFile rows (saved), their household and gradings (bulk)."""
    files = []
    for member, filed_on, status in zip(unit_members, filed_days, statuses):
        files.append(HardshipFile(member=member, org_id=member.org_id, org_path=member.org_path, status=status,
                                  applied_on=filed_on - dt.timedelta(days=14), notice_start=filed_on - dt.timedelta(days=9),
                                  notice_end=filed_on - dt.timedelta(days=2), filed_on=filed_on,
                                  review_due=filed_on, phone_masked=member.phone_masked,
                                  cause=rng.choice(("本人重病", "配偶因病丧失劳动能力", "子女就学负担重", "因公负伤",
                                                    "家庭成员残疾"))))
    HardshipFile.objects.bulk_create(files, batch_size=500)
    people, gradings = [], []
    for f, member in zip(files, unit_members):
        own = Decimal(rng.randrange(6_000, 30_000, 100))
        rows, size, income = _people(member, f, rng, protect, own)
        people.extend(rows)
        costs = Decimal(rng.randrange(0, 20_000, 500))
        costs = min(costs, income)
        hh = rules.Household(yearly_income=income, size=size, unavoidable_costs=costs, illness_cost=costs)
        standard = _standard(f.filed_on)
        result = rules.grade(hh, standard)
        if not result.qualifies:  # the demo's families are below the lines: keep the figures honest
            hh = rules.Household(yearly_income=income, size=size, unavoidable_costs=costs, illness_cost=costs,
                                 accident="accident")
            result = rules.grade(hh, standard)
        f.grade, f.per_capita, f.standard = result.grade, result.per_capita, result.standard
        gradings.append(Grading(file=f, kind=Grading.Kind.FILING, graded_on=f.filed_on, grade=result.grade,
                                rule=result.rule, per_capita=result.per_capita, standard=result.standard,
                                standard_from=[d for d, _a in STANDARDS if d <= f.filed_on][-1],
                                inputs=hh.as_json(),
                                costs=[{"kind": "illness", "amount": str(costs), "note": ""}] if costs else [],
                                working=result.as_json()))
    HardshipFile.objects.bulk_update(files, ["grade", "per_capita", "standard"], batch_size=500)
    HouseholdMember.objects.bulk_create(people, batch_size=500)
    Grading.objects.bulk_create(gradings, batch_size=500)
    return files


def _history(unit: Org, members: list[Member], t: dict, rng: random.Random, protect) -> int:
    n = len(members)
    lifted, relieved = min(t["lifted"], n), min(t["relieved"], max(0, n - t["lifted"]))
    filed_days = [dt.date(2018, 1, 15) + dt.timedelta(days=rng.randrange(0, 365 * 3)) for _m in members]
    statuses = ([FileStatus.LIFTED_OUT] * lifted + [FileStatus.RELIEVED] * relieved
                + [FileStatus.ACTIVE] * (n - lifted - relieved))
    files = _file_rows(members, rng, protect, filed_days, statuses)
    incomes, updates = [], []
    for f in files:
        if f.status in (FileStatus.LIFTED_OUT, FileStatus.RELIEVED):
            f.closed_on = min(dt.date(2022, 12, 20), add_years(f.filed_on, rng.randint(1, 3)))
            f.review_due = add_years(f.filed_on, 1)
            if f.status == FileStatus.LIFTED_OUT:
                f.close_reason = "连续6个月家庭人均收入高于低保标准"
                for month in rules.months(f.closed_on, rules.LIFT_OUT_MONTHS):
                    incomes.append(MonthlyIncome(file=f, month=month,
                                                 per_capita=_standard(month) + rng.randrange(50, 600)))
            else:
                f.close_reason = rng.choice(("重度残疾，转民政兜底保障", "重大疾病长期治疗，转政府兜底"))
        else:
            f.review_due = dt.date(2027, 1, 1) + dt.timedelta(days=rng.randrange(30, 300))  # reviewed yearly
        updates.append(f)
    HardshipFile.objects.bulk_update(updates, ["closed_on", "review_due", "close_reason"], batch_size=500)
    MonthlyIncome.objects.bulk_create(incomes, batch_size=500)
    # Visits: the district's 人次 over its files and five years.
    persons = apportion(t["visits"], [1] * n)
    visits = []
    for f, total in zip(files, persons):
        last = f.closed_on or dt.date(2022, 12, 31)
        while total > 0:
            p = min(total, rng.choice((1, 1, 2, 3)))
            day = f.filed_on + dt.timedelta(days=rng.randrange(0, max(1, (last - f.filed_on).days)))
            visits.append(Visit(file=f, org_path=f.org_path, visited_on=day, persons=p,
                                kind=rng.choice((VisitKind.REGULAR, VisitKind.NIGHT, VisitKind.FESTIVAL)),
                                visitors="区总工会帮扶中心", brought=rng.choice(("米、油", "慰问金", "棉被", "")),
                                found=rng.choice(("家庭生活困难，子女上学", "病情稳定", "已找到临时工作", ""))))
            total -= p
    Visit.objects.bulk_create(visits, batch_size=1000)
    _help(unit, files, t, rng)
    return n


def _help(unit: Org, files: list[HardshipFile], t: dict, rng: random.Random) -> None:
    """Help paid 2018–2022: each programme's yearly amount over the families filed that year."""
    split = {}
    school_amount, students = t.get("school_amount", 0), t.get("school_students", 0)
    named = {k: t.get(k, 0) for k in ("winter", "startup")}
    rest = max(0, t["amount"] - school_amount - sum(named.values()))
    split[ProgrammeKind.WINTER] = named["winter"] or rest * 6 // 10
    split[ProgrammeKind.STARTUP] = named["startup"]
    split[ProgrammeKind.LIVING] = t["amount"] - school_amount - split[ProgrammeKind.WINTER] - split[ProgrammeKind.STARTUP]
    split[ProgrammeKind.SCHOOL] = school_amount
    members = {f.pk: f.member for f in files}
    for kind, amount in split.items():
        if amount <= 0:
            continue
        years = [y for y in YEARS if any(_open(f, y) for f in files)]
        per_year = apportion(amount, [sum(1 for f in files if _open(f, y)) for y in years])
        kids_left = students
        for year, year_amount in zip(years, per_year):
            if year_amount <= 0:
                continue
            eligible = [f for f in files if _open(f, year)]
            if kind == ProgrammeKind.SCHOOL:
                eligible = eligible[: max(1, min(len(eligible), kids_left or 1))]
            elif kind == ProgrammeKind.STARTUP:
                eligible = eligible[: max(1, len(eligible) // 3)]
            prog = Programme.objects.create(
                org=unit, org_path=unit.path, kind=kind, cycle=year, budget=Decimal(year_amount),
                remaining=Decimal(0), amount_rule=Programme.AmountRule.RANGE, min_amount=Decimal("100.00"),
                max_amount=Decimal(year_amount), open_to=Programme.OpenTo.FILED,
                name=f"{year}年{unit.name[:2]}{ProgrammeKind(kind).label}")
            dl = Disbursement.objects.create(programme=prog, org=unit, org_path=unit.path,
                                             status=Disbursement.Status.CLOSED, total=Decimal(year_amount),
                                             approved_on=dt.date(year, 1, 20))
            amounts = apportion(year_amount * 100, [1] * len(eligible))  # to the fen
            paid_on = dt.date(year, 1, 25) if kind == ProgrammeKind.WINTER else dt.date(year, 9, 1)
            n_kids = apportion(kids_left, [1] * len(eligible)) if kind == ProgrammeKind.SCHOOL else [0] * len(eligible)
            Grant.objects.bulk_create([Grant(
                disbursement=dl, programme=prog, kind=kind, cycle=year, org_path=f.org_path, file=f,
                member=members[f.pk], person_hash=members[f.pk].id_hash, grade=f.grade,
                students=k, amount=Decimal(a) / 100, status=GrantStatus.PAID, paid_on=paid_on,
                method=Grant.Method.BANK) for f, a, k in zip(eligible, amounts, n_kids) if a > 0], batch_size=500)
            if kind == ProgrammeKind.SCHOOL:
                kids_left = 0


def _open(f: HardshipFile, year: int) -> bool:
    return f.filed_on.year <= year and (f.closed_on is None or f.closed_on.year >= year)


def _current_year(nb: Org, units: list[Org], worker: Member | None, taken: set[int], rng, protect,
                  today: dt.date) -> None:
    """This year in the worker's district: every state of a file, visits, an open list and a draft."""
    district = next((u for u in units if worker and worker.org_path.startswith(u.path)), units[0] if units else None)
    if district is None:
        return
    members = ([worker] if worker else []) + _members(district, 9, taken)
    if len(members) < 2:
        return
    year_start = dt.date(today.year, 1, 1)
    states = ([FileStatus.ACTIVE] + [FileStatus.SUBMITTED, FileStatus.NOTICE, FileStatus.NOTICE, FileStatus.ACTIVE,
                                     FileStatus.ACTIVE, FileStatus.LIFTED_OUT, FileStatus.ACTIVE, FileStatus.ACTIVE,
                                     FileStatus.RELIEVED])[: len(members)]
    if not worker:
        states = states[1:] + [FileStatus.ACTIVE]
    days = [max(year_start, today - dt.timedelta(days=60 + 7 * i)) for i in range(len(members))]
    files = _file_rows(members, rng, protect, days, states)
    docs = []
    for i, f in enumerate(files):
        if f.status == FileStatus.SUBMITTED:
            f.filed_on = f.notice_start = f.notice_end = None
            f.applied_on, f.applied_by_member = today - dt.timedelta(days=2), True
            f.review_due = None
        elif f.status == FileStatus.NOTICE:
            f.filed_on, f.review_due = None, None
            f.applied_on = today - dt.timedelta(days=12)
            f.notice_start = today - dt.timedelta(days=8 if i % 2 else 2)
            f.notice_end = today - dt.timedelta(days=1) if i % 2 else today + dt.timedelta(days=5)
        elif f.status == FileStatus.LIFTED_OUT:
            f.filed_on = add_years(today, -2)
            f.closed_on, f.close_reason = today - dt.timedelta(days=3), "连续6个月家庭人均收入高于低保标准"
            f.review_due = add_years(f.filed_on, 1)
        elif f.status == FileStatus.RELIEVED:
            f.filed_on = add_years(today, -3)
            f.closed_on, f.close_reason = today - dt.timedelta(days=10), "重度残疾，转民政兜底保障"
            f.review_due = add_years(f.filed_on, 1)
        else:
            f.filed_on = add_years(today, -1) if i in (4, 5) else f.filed_on
            f.review_due = add_years(f.filed_on, 1)  # a year after filing: the first two are due now
        doc = FileDocument(file=f, kind="unit_certificate", filename="单位证明.pdf", content_type="application/pdf",
                           size=len(PDF))
        doc.upload.save("unit_certificate.pdf", ContentFile(PDF), save=False)
        docs.append(doc)
    HardshipFile.objects.bulk_update(files, ["filed_on", "notice_start", "notice_end", "applied_on",
                                             "applied_by_member", "review_due", "closed_on", "close_reason"])
    FileDocument.objects.bulk_create(docs)
    Objection.objects.bulk_create([Objection(file=f, text="邻居反映其家中购置了新车，请核实。", recorded_on=today)
                                   for f in files if f.status == FileStatus.NOTICE][:1])
    incomes, visits = [], []
    for f in files:
        if f.status == FileStatus.LIFTED_OUT:
            for month in rules.months(f.closed_on, rules.LIFT_OUT_MONTHS):
                incomes.append(MonthlyIncome(file=f, month=month, per_capita=Decimal("1380.00")))
        if f.status in (FileStatus.ACTIVE, FileStatus.LIFTED_OUT):
            day = max(year_start, today - dt.timedelta(days=rng.randrange(3, 40)))
            visits.append(Visit(file=f, org_path=f.org_path, visited_on=day, persons=rng.choice((1, 2)),
                                kind=VisitKind.NIGHT, visitors="萤火虫夜访志愿队", brought="米、油、慰问金",
                                found="家庭生活困难，子女上学", follow_up="联系街道落实临时救助"))
    MonthlyIncome.objects.bulk_create(incomes)
    Visit.objects.bulk_create(visits)
    active = [f for f in files if f.status == FileStatus.ACTIVE]
    if not active:
        return
    winter = Programme.objects.create(
        org=district, org_path=district.path, kind=ProgrammeKind.WINTER, cycle=today.year, name=f"{today.year}年送温暖",
        budget=Decimal("50000.00"), remaining=Decimal("50000.00"), amount_rule=Programme.AmountRule.BY_GRADE,
        amounts={"deep": "2000.00", "relative": "1000.00", "accident": "1500.00"})
    school = Programme.objects.create(
        org=district, org_path=district.path, kind=ProgrammeKind.SCHOOL, cycle=today.year, name=f"{today.year}年金秋助学",
        budget=Decimal("30000.00"), remaining=Decimal("30000.00"), amount_rule=Programme.AmountRule.RANGE,
        min_amount=Decimal("1000.00"), max_amount=Decimal("5000.00"))
    amount = {g: Decimal(a) for g, a in winter.amounts.items()}
    paid, to_pay = active[:1], active[1:3]  # the first is the worker's when there is one
    for rows, status, list_status in ((paid, GrantStatus.PAID, Disbursement.Status.CLOSED),
                                      (to_pay, GrantStatus.APPROVED, Disbursement.Status.APPROVED)):
        if not rows:
            continue
        total = sum((amount[f.grade] for f in rows), Decimal(0))
        dl = Disbursement.objects.create(programme=winter, org=district, org_path=district.path, status=list_status,
                                         total=total, approved_on=today - dt.timedelta(days=5))
        Grant.objects.bulk_create([Grant(disbursement=dl, programme=winter, kind=winter.kind, cycle=winter.cycle,
                                         org_path=f.org_path, file=f, member=f.member, person_hash=f.member.id_hash,
                                         grade=f.grade, amount=amount[f.grade], status=status,
                                         paid_on=today - dt.timedelta(days=2) if status == GrantStatus.PAID else None)
                                   for f in rows])
        Programme.objects.filter(pk=winter.pk).update(remaining=winter.remaining - total)
        winter.remaining -= total
    draft = active[3:4] or active[:1]
    dl = Disbursement.objects.create(programme=school, org=district, org_path=district.path, total=Decimal("3000.00"))
    Grant.objects.bulk_create([Grant(disbursement=dl, programme=school, kind=school.kind, cycle=school.cycle,
                                     org_path=f.org_path, file=f, member=f.member, person_hash=f.member.id_hash,
                                     grade=f.grade, students=1, amount=Decimal("3000.00")) for f in draft])


