"""The activities engine's part of the demo.

- Five years (2018–2022) of the activities the seed documents count, times the scale (rounded half
  up): each line of ``SEEDS`` is one open activity a year of its kind, organised by its district (NB
  where the seeds name none), whose sessions (场次) are split over the years and whose 人次 are
  organisers' returns split over the sessions (largest remainder, at least one a session);
- this month, one activity of every registration mode under NB: a first-come talk the ``worker``
  can register for (a few places taken), a first-come film night that is full with a waiting list
  and an offer running, a 疗休养 lottery with priority groups and entries awaiting the draw, 劳模
  health checks allocated to the districts with members named, an open reading session, and a
  talk held three days ago with its check-ins;
- standing eligibility (劳模, filed hardship) for a few members of each district.

Rows are written with ``bulk_create``; the statistics rows are recounted from the rows under NB
(``stats.recount(path)``); the demo's own audit line stands for the load.
"""

from __future__ import annotations

import datetime as dt
import random
import time

from django.db.models import Q
from django.utils import timezone

from gonghui.activities import stats as act_stats
from gonghui.activities.models import (
    Activity,
    ActivityKind,
    ActivitySession,
    AllocationShare,
    Attendance,
    AttendanceReturn,
    Eligibility,
    Mode,
    Registration,
    RegStatus,
    StandingEligibility,
)
from gonghui.activities.rules import Person, priority_of
from gonghui.core.paths import subtree_q
from gonghui.demo.calibration import apportion, scaled
from gonghui.members.models import Member, MemberStatus
from gonghui.orgs.models import Org
from gonghui.stats import activity as ledger
from gonghui.stats.models import Activity as LedgerRow

YEARS = (2018, 2019, 2020, 2021, 2022)
# (district code or NB, kind code, title, sessions in five years, 人次 in five years or None: 30 a session)
SEEDS = [
    ("YZ", "talk", "鄞州区职工宣讲", 1_608, None),
    ("FH", "party_history", "奉化区党史学习教育", 570, None),
    ("FH", "talk", "奉化区主题宣讲", 280, None),
    ("FH", "sports_culture", "奉化区职工文体活动", 1_200, 150_000),
    ("FH", "job_fair", "奉化区春风行动招聘会", 50, None),
    ("NB", "summer_care", "暑期职工子女托管班", 100, None),
    ("NB", "training", "职工技能培训", 500, 15_000),
    ("YY", "mental_health", "余姚市职工心理健康讲座", 418, None),
    ("NB", "legal_service", "职工法律服务进企业", 50, None),
    ("BL", "reading", "北仑区职工阅读分享", 300, 6_000),
    ("YY", "health_check", "余姚市职工免费体检", 45, 13_500),
    ("YY", "benefit", "余姚市普惠活动", 150, 1_200_000),
]
PER_SESSION = 30  # 人次 of a session when the seeds give only the 场次 (our choice)


def load(plan, nb: Org, log, password: str) -> None:
    started = time.monotonic()
    log("Adding activities: five years of 场次 and 人次, this month's activities of every mode …")
    rng = random.Random(f"gonghui-demo:{plan.label}:activities")
    kinds = {k.code: k for k in ActivityKind.objects.all()}
    orgs = {o.code: o for o in Org.objects.filter(subtree_q(nb.path), depth__lte=nb.depth + 1)}
    sessions = _history(nb, orgs, kinds, plan.scale)
    log(f"  {sessions:,} sessions 2018–2022 ({time.monotonic() - started:.1f} s)")
    _eligibility(nb, orgs)
    _this_month(nb, orgs, kinds, rng, plan.scale)
    ledger.add(act_stats.recount(nb.path))
    log(f"  activities loaded in {time.monotonic() - started:.1f} s")


def remove(nb: Org) -> None:
    activities = Activity.objects.filter(subtree_q(nb.path, "org_path"))
    Attendance.objects.filter(Q(session__activity__in=activities) | Q(subtree_q(nb.path, "org_path"))).delete()
    AttendanceReturn.objects.filter(session__activity__in=activities).delete()
    Registration.objects.filter(Q(activity__in=activities) | Q(subtree_q(nb.path, "org_path"))).delete()
    AllocationShare.objects.filter(activity__in=activities).delete()
    ActivitySession.objects.filter(activity__in=activities).delete()
    activities.delete()
    StandingEligibility.objects.filter(subtree_q(nb.path, "member__org_path")).delete()
    LedgerRow.objects.filter(subtree_q(nb.path), metric__in=list(act_stats.METRICS)).delete()
    ledger.refresh_totals(act_stats.METRICS)


def _aware(day: dt.date, hour: int = 14) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour))


def _history(nb: Org, orgs: dict, kinds: dict, scale) -> int:
    made = 0
    for code, kind_code, title, seed_sessions, seed_people in SEEDS:
        org = orgs.get(code, nb)
        total = scaled(seed_sessions, scale)
        if total == 0:
            continue
        people = max(scaled(seed_people, scale) if seed_people else total * PER_SESSION, total)
        per_year = apportion(total, [1] * len(YEARS))
        people_per_year = apportion(people, per_year)
        for year, n, heads in zip(YEARS, per_year, people_per_year, strict=True):
            if n == 0:
                continue
            activity = Activity.objects.create(
                org=org, org_path=org.path, kind=kinds[kind_code], title=f"{year}年{title}", mode=Mode.OPEN,
                place=org.name)
            days = [dt.date(year, 1, 1) + dt.timedelta(days=(i * 365) // n) for i in range(n)]
            rows = ActivitySession.objects.bulk_create([
                ActivitySession(activity=activity, number=i, starts_at=_aware(day), held=True, attended=h,
                                place=org.name)
                for i, (day, h) in enumerate(zip(days, apportion(heads, [1] * n, floor=1), strict=True), start=1)],
                batch_size=500)
            AttendanceReturn.objects.bulk_create([
                AttendanceReturn(session=s, headcount=s.attended, note="组织方填报") for s in rows], batch_size=500)
            made += n
    return made


def _members(path: str, n: int, *, offset: int = 0) -> list[Member]:
    return list(Member.objects.filter(subtree_q(path, "org_path"), status=MemberStatus.ACTIVE)
                .order_by("id")[offset:offset + n])


def _eligibility(nb: Org, orgs: dict) -> None:
    rows = []
    for code in ("YZ", "BL", "FH", "YY", "HS"):
        org = orgs.get(code)
        if org is None:
            continue
        people = _members(org.path, 6)
        rows += [StandingEligibility(member=m, kind=Eligibility.MODEL_WORKER, note="市级劳模") for m in people[:3]]
        rows += [StandingEligibility(member=m, kind=Eligibility.HARDSHIP, note="建档困难职工") for m in people[3:]]
    StandingEligibility.objects.bulk_create(rows)


def _worker(nb: Org) -> Member | None:
    from gonghui.demo.services import _worker_member  # the member the `worker` login gets

    return _worker_member(nb)


def _regs(activity: Activity, members: list[Member], status: str, rng: random.Random, **fields) -> list[Registration]:
    return Registration.objects.bulk_create([
        Registration(activity=activity, member=m, org_path=m.org_path, status=status,
                     ticket=f"{rng.getrandbits(64):016x}", **{k: (v(i) if callable(v) else v) for k, v in fields.items()})
        for i, m in enumerate(members)])


def _this_month(nb: Org, orgs: dict, kinds: dict, rng: random.Random, scale) -> None:
    now = timezone.now()
    today = timezone.localdate()
    worker = _worker(nb)
    pool = [m for m in _members(nb.path, 400) if worker is None or m.pk != worker.pk]
    yz = orgs.get("YZ", nb)

    def activity(**fields) -> Activity:
        kind = kinds[fields.pop("kind")]
        org = fields.pop("org", nb)
        starts = fields.pop("starts")
        act = Activity.objects.create(org=org, org_path=org.path, kind=kind, **fields)
        ActivitySession.objects.bulk_create([ActivitySession(activity=act, number=i, starts_at=s,
                                                             ends_at=s + dt.timedelta(hours=2), place=act.place)
                                             for i, s in enumerate(starts, start=1)])
        return act

    # First come, the worker may register: a course of four lessons, places left.
    course = activity(kind="training", title="新就业形态劳动者职业技能培训班", mode=Mode.FIRST_COME, capacity=30,
                      place="宁波市职工服务中心", audience_new_form=False,
                      opens_at=now - dt.timedelta(days=2), closes_at=now + dt.timedelta(days=9),
                      starts=[_aware(today + dt.timedelta(days=10 + 7 * i), 19) for i in range(4)],
                      description="每周一次，共四课时，结业颁发证书。")
    _regs(course, pool[:12], RegStatus.CONFIRMED, rng)
    Activity.objects.filter(pk=course.pk).update(taken=12)

    # First come, full: a waiting list with an offer running.
    film = activity(kind="sports_culture", title="五一劳动节职工观影专场", mode=Mode.FIRST_COME, capacity=8,
                    place="宁波影都", opens_at=now - dt.timedelta(days=5),
                    starts=[_aware(today + dt.timedelta(days=6), 19)])
    _regs(film, pool[12:19], RegStatus.CONFIRMED, rng)
    _regs(film, pool[19:20], RegStatus.OFFERED, rng, queue=1, offer_expires_at=now + dt.timedelta(hours=30))
    _regs(film, pool[20:24], RegStatus.WAITING, rng, queue=lambda i: 2 + i)
    Activity.objects.filter(pk=film.pk).update(taken=8)

    # Lottery: 疗休养 places, priority groups first, entries awaiting the draw.
    places = max(scaled(2_000, scale), 5)
    trip = activity(kind="recuperation", title="职工疗休养（象山·石浦基地）", mode=Mode.LOTTERY, capacity=places,
                    place="象山石浦职工疗休养基地", opens_at=now - dt.timedelta(days=3),
                    closes_at=now + dt.timedelta(days=4), priority_groups=["skilled", "hazardous", "hardship",
                                                                           "new_form"],
                    details={"base": "象山石浦职工疗休养基地", "days": 5},
                    starts=[_aware(today + dt.timedelta(days=20), 9)])
    entrants = pool[24:24 + min(len(pool) - 24, places * 3)]
    groups = trip.priority_groups
    _regs(trip, entrants, RegStatus.APPLIED, rng, priority=lambda i: priority_of(groups, Person(
        org_path=entrants[i].org_path, category=entrants[i].category, is_new_form=entrants[i].is_new_form)))

    # Allocated: 劳模 health checks, shares per district, some named.
    districts = [o for c, o in sorted(orgs.items()) if o.depth == nb.depth + 1]
    shares_total = max(scaled(1_000, scale), len(districts))
    check = activity(kind="health_check", title="劳模年度健康体检", mode=Mode.ALLOCATED, capacity=shares_total,
                     place="宁波市第一医院体检中心", audience_eligibility="",
                     details={"hospital": "宁波市第一医院", "package": "劳模体检套餐A"},
                     starts=[_aware(today + dt.timedelta(days=14), 8)])
    split = apportion(shares_total, [1] * len(districts))
    shares = AllocationShare.objects.bulk_create([AllocationShare(activity=check, org=o, org_path=o.path, places=n)
                                                  for o, n in zip(districts, split, strict=True)])
    named = 0
    for share in shares:
        people = _members(share.org_path, min(2, share.places), offset=50)
        _regs(check, people, RegStatus.CONFIRMED, rng, share=share)
        AllocationShare.objects.filter(pk=share.pk).update(taken=len(people))
        named += len(people)
    Activity.objects.filter(pk=check.pk).update(taken=named)

    # Open: a reading session, no registration.
    activity(kind="reading", title="职工书屋读书分享会", mode=Mode.OPEN, place="鄞州区职工书屋", org=yz,
             starts=[_aware(today + dt.timedelta(days=5), 15)])

    # Held three days ago: a talk with its check-ins.
    held = activity(kind="talk", title="安全生产主题宣讲", mode=Mode.FIRST_COME, capacity=60, place=yz.name, org=yz,
                    starts=[_aware(today - dt.timedelta(days=3), 14)])
    present = _members(yz.path, 25)
    _regs(held, present, RegStatus.CONFIRMED, rng)
    session = held.sessions.get()
    came = present[:20]
    Attendance.objects.bulk_create([Attendance(session=session, member=m, org_path=m.org_path,
                                               method=Attendance.Method.CARD) for m in came])
    ActivitySession.objects.filter(pk=session.pk).update(held=True, attended=len(came))
    Activity.objects.filter(pk=held.pk).update(taken=len(present))
