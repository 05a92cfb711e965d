"""Collective bargaining's part of the demo: contracts in force with their history, 能级工资, a
sector-wide contract, and rounds in every step this month, some overdue.

``load`` adds, for the same scale always the same (the dates follow today):

- comprehensive contracts (三年期综合性集体合同) for the enterprise unions of each district: the
  city's 1.8万 enterprises with a contract times the scale (at most 95 % of a district's
  enterprise unions), 奉化 above 90 % of its own (the seeds' "above 90 %"); about one in five
  renews an expired one that stays beside it, about one in ten expires within 90 days;
- wage agreements (one year) for about a third of the covered enterprises, women workers'
  special contracts for about a fifth;
- skill-grade wage (能级工资) contracts with five grades: 鄞州 119 firms / 13,500 workers, 余姚 31
  firms / 23,700 workers, times the scale (at least one firm where the workers round above zero;
  the workers are split over the firms exactly); and 鄞州's sector-wide wage contract for domestic
  services (家政服务业行业性工资集体合同), signed by the district union, covering three firms;
- rounds in each of 鄞州, 北仑, 奉化 and 余姚: one waiting at every step, and one past its deadline
  at the reply, the talks, the filing and the announcement.

An enterprise's workers are its active members plus 15 % (non-members are covered too). Rows are
bulk-inserted; no audit lines (the demo's load is one audit line, ``demo.load``).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db.models import Count
from django.utils import timezone

from gonghui.bargaining import rules
from gonghui.bargaining.models import (
    Contract,
    ContractKind,
    Coverage,
    Round,
    RoundState,
    Scope,
    Side,
    SkillFactor,
    SkillGrade,
    Vote,
    VoteBody,
)
from gonghui.core.dates import add_years
from gonghui.core.paths import subtree_q
from gonghui.core.workdays import calendar
from gonghui.demo.calibration import scaled
from gonghui.demo.places import DISTRICT_CODES
from gonghui.members.models import Member, MemberStatus
from gonghui.orgs.models import Org, OrgKind

CITY_WITH_CONTRACT = 18_000  # 宁波: 1.8万 enterprises with a collective contract
MAX_SHARE = Decimal("0.95")
FH_SHARE = Decimal("0.92")  # 奉化: the bargaining rate of unionised firms above 90 %
SKILL = {"YZ": (119, 13_500), "YY": (31, 23_700)}  # 能级工资: firms, workers
ROUND_DISTRICTS = ("YZ", "BL", "FH", "YY")
GRADES = (("初级工", "4300.00", "初级职业资格或入职满一年"), ("中级工", "5200.00", "中级职业资格"),
          ("高级工", "6400.00", "高级职业资格或授权发明专利一项"), ("技师", "7800.00", "技师资格或市级以上技能荣誉"),
          ("高级技师", "9600.00", "高级技师资格或带徒三名以上取得中级以上资格"))
SIGNATORIES = ("陈", "王", "李", "张", "刘", "杨", "黄", "吴", "徐", "孙")


def _workers(orgs: list[Org]) -> dict[int, int]:
    members = dict(Member.objects.filter(org__in=orgs, status=MemberStatus.ACTIVE).values_list("org_id")
                   .annotate(n=Count("*")).order_by())
    return {o.pk: max(5, members.get(o.pk, 0) + (members.get(o.pk, 0) * 15 + 99) // 100) for o in orgs}


def _split(total: int, parts: int) -> list[int]:
    base, rest = divmod(total, parts)
    return [base + (1 if i < rest else 0) for i in range(parts)]


class _Builder:
    def __init__(self, rng: random.Random, today: dt.date):
        self.rng, self.today, self.cal = rng, today, calendar()
        self.seq = 0
        self.contracts: list[Contract] = []
        self.coverage: list[tuple[Contract, Org, int]] = []
        self.grades: list[tuple[Contract, tuple]] = []
        self.renewals: list[tuple[Contract, Contract]] = []  # (new, old)

    def contract(self, org: Org, kind: str, starts_on: dt.date, ends_on: dt.date, covered: list[tuple[Org, int]],
                 *, scope: str = Scope.ENTERPRISE, title: str = "", employer: str = "", effective: bool = True,
                 renews: Contract | None = None) -> Contract:
        self.seq += 1
        signed = starts_on - dt.timedelta(days=25)
        filed = signed + dt.timedelta(days=3)
        effective_on = rules.review_ends(filed, self.cal) + dt.timedelta(days=1) if effective else None
        surname = SIGNATORIES[self.seq % len(SIGNATORIES)]
        contract = Contract(
            org=org, org_path=org.path, number=f"NB{starts_on:%Y}{self.seq:06d}",
            title=title or f"{org.name.removesuffix('工会')}{starts_on.year}年{ContractKind(kind).label}",
            kind=kind, scope=scope, employer=employer or org.name.removesuffix("工会"),
            union_signatory=f"{surname}主席", employer_signatory=f"{SIGNATORIES[(self.seq + 3) % 10]}总经理",
            signed_on=signed, starts_on=starts_on, ends_on=ends_on, filed_on=filed, effective_on=effective_on,
            announced_on=effective_on + dt.timedelta(days=2) if effective_on else None,
            wage_growth_pct=Decimal(self.rng.choice(("4.50", "5.00", "5.50", "6.00", "6.50", "7.00")))
            if kind in (ContractKind.WAGE, ContractKind.SKILL_WAGE) else None,
            minimum_wage=Decimal(self.rng.choice(("2290.00", "2400.00", "2500.00", "2600.00")))
            if kind in (ContractKind.WAGE, ContractKind.SKILL_WAGE, ContractKind.COMPREHENSIVE) else None,
            skill_factors=list(SkillFactor.values) if kind == ContractKind.SKILL_WAGE else [],
            workers=sum(w for _o, w in covered))
        self.contracts.append(contract)
        for o, w in covered:
            self.coverage.append((contract, o, w))
        if kind == ContractKind.SKILL_WAGE:
            for i, grade in enumerate(GRADES, start=1):
                self.grades.append((contract, (i, *grade)))
        if renews is not None:
            self.renewals.append((contract, renews))
        return contract

    def save(self) -> None:
        Contract.objects.bulk_create(self.contracts, batch_size=500)
        for new, old in self.renewals:
            new.renews_id = old.pk
        Contract.objects.bulk_update([new for new, _old in self.renewals], ["renews"], batch_size=500)
        rows = []
        for contract, org, workers in self.coverage:
            start = max(contract.effective_on, contract.starts_on) if contract.effective_on else None
            rows.append(Coverage(contract=contract, org=org, org_path=org.path, workers=workers, kind=contract.kind,
                                 effective_on=start, ends_on=contract.ends_on, terminated_on=None))
        Coverage.objects.bulk_create(rows, batch_size=500)
        SkillGrade.objects.bulk_create([
            SkillGrade(contract=c, rank=rank, name=name, monthly_pay=Decimal(pay), criteria=criteria)
            for c, (rank, name, pay, criteria) in self.grades], batch_size=500)


def _targets(districts: dict[str, Org], enterprises: dict[str, list[Org]], scale: Decimal) -> dict[str, int]:
    """Enterprises with a contract per district: 奉化 at 92 %; the city's 1.8万 × scale over the rest,
    in proportion to their enterprise unions, at most 95 % of each."""
    targets = {code: 0 for code in districts}
    fh = enterprises.get("FH", [])
    if "FH" in districts:
        targets["FH"] = min(len(fh), int((len(fh) * FH_SHARE).to_integral_value(rounding="ROUND_CEILING")))
    rest = scaled(CITY_WITH_CONTRACT, scale) - targets.get("FH", 0)
    others = [c for c in districts if c != "FH"]
    pool = sum(len(enterprises[c]) for c in others)
    for code in others:
        cap = int(len(enterprises[code]) * MAX_SHARE)
        share = rest * len(enterprises[code]) // pool if pool else 0
        targets[code] = max(0, min(cap, share))
    return targets


def load(plan, nb: Org, log, password: str) -> None:
    log("Adding collective contracts, 能级工资 and bargaining rounds …")
    rng = random.Random(f"gonghui-demo:{plan.label}:bargaining")
    today = timezone.localdate()
    districts = {o.code: o for o in Org.objects.filter(subtree_q(nb.path), depth=2, code__in=DISTRICT_CODES)}
    enterprises = {code: list(Org.objects.filter(subtree_q(d.path), kind=OrgKind.ENTERPRISE).order_by("path"))
                   for code, d in districts.items()}
    workers = _workers([o for orgs in enterprises.values() for o in orgs])
    targets = _targets(districts, enterprises, plan.scale)
    builder = _Builder(rng, today)
    for code, district in districts.items():
        covered = enterprises[code][:targets[code]]
        skill_firms, skill_workers = SKILL.get(code, (0, 0))
        skill_workers = scaled(skill_workers, plan.scale)
        n_skill = min(len(covered), max(scaled(skill_firms, plan.scale), 1 if skill_workers else 0))
        for org, w in zip(covered[:n_skill], _split(skill_workers, n_skill) if n_skill else []):
            workers[org.pk] = max(1, w)
        for i, org in enumerate(covered):
            w = workers[org.pk]
            expiring = i % 10 == 3
            ends = today + dt.timedelta(days=15 + 7 * (i % 11)) if expiring else add_years(today, 1) + dt.timedelta(
                days=i % 300)
            starts = add_years(ends, -3) + dt.timedelta(days=1)
            old = None
            if i % 5 == 1:
                old = builder.contract(org, ContractKind.COMPREHENSIVE, add_years(starts, -3), starts - dt.timedelta(
                    days=1), [(org, w)])
            builder.contract(org, ContractKind.COMPREHENSIVE, starts, ends, [(org, w)], renews=old)
            if i < n_skill:
                start = today.replace(month=1, day=1)
                builder.contract(org, ContractKind.SKILL_WAGE, start, rules.wage_term_end(start), [(org, w)])
            elif i % 3 == 0:
                start = today - dt.timedelta(days=60 + i % 200)
                builder.contract(org, ContractKind.WAGE, start, rules.wage_term_end(start), [(org, w)])
            if i % 5 == 2:
                start = today - dt.timedelta(days=400 + i % 300)
                builder.contract(org, ContractKind.WOMEN, start, add_years(start, 3) - dt.timedelta(days=1),
                                 [(org, w)])
        if code == "YZ" and covered:
            sector = covered[-3:]
            start = today.replace(month=1, day=1)
            builder.contract(district, ContractKind.WAGE, start, rules.wage_term_end(start),
                             [(o, workers[o.pk]) for o in sector], scope=Scope.INDUSTRY,
                             title=f"鄞州区家政服务业行业性工资集体合同（{start.year}年）", employer="鄞州区家政服务业协会")
    builder.save()
    rounds = _rounds(districts, enterprises, targets, workers, today, rng)
    log(f"  {len(builder.contracts):,} contracts, {len(builder.coverage):,} enterprises covered, {rounds} rounds")


# ----------------------------------------------------------------------------------- rounds

# (step waited for, overdue?) of the rounds made in each district.
ROUND_PLAN = ((rules.Step.REPLY, False), (rules.Step.REPLY, True), (rules.Step.TALKS, False),
              (rules.Step.TALKS, True), (rules.Step.VOTE, False), (rules.Step.SIGN, False),
              (rules.Step.FILE, False), (rules.Step.FILE, True), (rules.Step.REVIEW, False),
              (rules.Step.ANNOUNCE, False), (rules.Step.ANNOUNCE, True))


def _dates_for(step: rules.Step, overdue: bool, today: dt.date, cal) -> dict:
    """Dates of a round waiting for ``step`` on ``today`` (past its deadline when ``overdue``)."""
    for back in range(0, 60):
        d: dict = {}
        if step is rules.Step.REPLY:
            d["offered_on"] = today - dt.timedelta(days=(26 if overdue else 6) + back)
        elif step is rules.Step.TALKS:
            d["replied_on"] = today - dt.timedelta(days=(18 if overdue else 4) + back)
            d["offered_on"] = d["replied_on"] - dt.timedelta(days=9)
        else:
            base = {rules.Step.VOTE: 3, rules.Step.SIGN: 2, rules.Step.FILE: 12 if overdue else 2,
                    rules.Step.REVIEW: 6, rules.Step.ANNOUNCE: 28 if overdue else 19}[step] + back
            last = today - dt.timedelta(days=base)
            # walk back from the step before the one waited for
            chain = ["talks_on", "voted_on", "signed_on", "filed_on"]
            upto = {rules.Step.VOTE: 1, rules.Step.SIGN: 2, rules.Step.FILE: 3, rules.Step.REVIEW: 4,
                    rules.Step.ANNOUNCE: 4}[step]
            day = last
            for name in reversed(chain[:upto]):
                d[name] = day
                day -= dt.timedelta(days=4)
            d["replied_on"] = day
            d["offered_on"] = day - dt.timedelta(days=8)
        dates = rules.Dates(**d)
        waiting = rules.waiting_for(dates, today, cal)
        if waiting is not None and waiting.step is step and waiting.overdue == overdue:
            return d
    raise AssertionError(f"no dates for {step} overdue={overdue}")  # cannot happen with 60 days of search


def _rounds(districts, enterprises, targets, workers, today, rng) -> int:
    cal = calendar()
    rounds: list[Round] = []
    contracts: list[Contract] = []
    votes: list[tuple[int, Vote]] = []
    for code in ROUND_DISTRICTS:
        if code not in districts:
            continue
        # Wage rounds of enterprises with a comprehensive contract and no wage agreement yet.
        candidates = [o for i, o in enumerate(enterprises[code][:targets[code]]) if i % 3 != 0][:len(ROUND_PLAN)]
        if not candidates:
            candidates = enterprises[code][:1]
        for n, (step, overdue) in enumerate(ROUND_PLAN):
            org = candidates[n % len(candidates)] if candidates else None
            if org is None:
                break
            d = _dates_for(step, overdue, today, cal)
            w = workers[org.pk]
            row = Round(org=org, org_path=org.path, title=f"{org.name.removesuffix('工会')}{today.year}年工资集体协商",
                        kind=ContractKind.WAGE, scope=Scope.ENTERPRISE, employer=org.name.removesuffix("工会"),
                        workers=w, offered_by=Side.UNION if n % 3 else Side.EMPLOYER, state=RoundState.OPEN, **d)
            if "voted_on" in d:
                eligible = max(3, w // 10)
                present = eligible - eligible // 10
                votes.append((len(rounds), Vote(body=VoteBody.CONGRESS, held_on=d["voted_on"], eligible=eligible,
                                                present=present, in_favour=present - 1 if present > 2 else present,
                                                against=1 if present > 2 else 0, abstained=0, passed=True)))
            if "signed_on" in d:
                start = d["signed_on"] + dt.timedelta(days=10)
                dates = rules.Dates(**d)
                effective = rules.in_force_on(dates, cal) if "filed_on" in d else None
                contract = Contract(
                    org=org, org_path=org.path, number=f"NBR{today:%Y}{code}{n:03d}", title=row.title.replace(
                        "工资集体协商", "工资专项集体合同"), kind=ContractKind.WAGE, employer=row.employer,
                    union_signatory="工会主席", employer_signatory="企业法定代表人", signed_on=d["signed_on"],
                    starts_on=start, ends_on=rules.wage_term_end(start), filed_on=d.get("filed_on"),
                    effective_on=effective, wage_growth_pct=Decimal("5.00"), minimum_wage=Decimal("2500.00"),
                    workers=w)
                contracts.append(contract)
                row.contract = contract
            rounds.append(row)
    Contract.objects.bulk_create(contracts)
    Coverage.objects.bulk_create([
        Coverage(contract=c, org=c.org, org_path=c.org_path, workers=c.workers, kind=c.kind,
                 effective_on=max(c.effective_on, c.starts_on) if c.effective_on else None, ends_on=c.ends_on)
        for c in contracts])
    for row in rounds:
        if row.contract is not None:
            row.contract_id = row.contract.pk
    Round.objects.bulk_create(rounds)
    for index, vote in votes:
        vote.round_id = rounds[index].pk
    Vote.objects.bulk_create([v for _i, v in votes])
    return len(rounds)


def remove(nb: Org) -> None:
    """Delete the rounds, votes, contracts, coverage and grades of the demo's unions."""
    in_tree = subtree_q(nb.path, "org_path")
    rounds = Round.objects.filter(in_tree)
    Vote.objects.filter(round__in=rounds).delete()
    rounds.delete()
    contracts = Contract.objects.filter(in_tree)
    SkillGrade.objects.filter(contract__in=contracts).delete()
    Coverage.objects.filter(contract__in=contracts).delete()
    Coverage.objects.filter(in_tree).delete()
    contracts.exclude(renews__isnull=True).update(renews=None)
    contracts.delete()


