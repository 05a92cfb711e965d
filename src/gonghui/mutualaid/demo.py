"""Mutual aid's part of the demo: five calibrated plan years, the years since, and this year's work
in progress.

``load`` adds, for the same scale always the same (the dates of this year's work follow today):

- plan years 2018–2022 of 在职职工住院医疗互助保障 (``inpatient``, ¥60 a head) and 特种重病互助保障
  (``critical_illness``, ¥20), with deductibles, ratio tiers and yearly caps that change a little
  over the years (each year is a new version), the plan years since (2023 to last year, the 2022
  rules), and this year's two plans with the enrolment window open;
- enrolments: each district (and each city-level industry union) enrols a list of its members
  once a year, in January: members active and in service on the first day of cover, who had
  joined by then, the same people from year to year (the first ones in ID-hash order);
- the settlement records of 2018–2022 from medical insurance, one feed per quarter, priced on the
  quarter's last day by the batch engine (``pricing.price_received``, as any feed), then paid in
  one payment batch per district and quarter.
  For ``GET /api/v1/orgs/{code}/stats?from=2018-01-01&to=2022-12-31`` the figures are the seed
  documents' times the scale, rounded half up (``SEEDS``; what the seeds do not give is our
  choice, marked in ``CHOSEN``);
- the years since 2023 (our choice, no document gives them): each enrols the people of 2022, and
  pays at the five years' yearly rate (a fifth of the seeds' payouts, yuan and members a year),
  settled, priced and paid the same way;
- this year: enrolments, two feeds (one priced a month ago and partly paid, one priced today and
  due), a payment batch still open at the bank and one with a failed line, records rejected with
  a reason, claims waiting for review, and the ``worker`` login enrolled with a paid payout and a
  claim of their own.

How the history is calibrated. Every payout is an amount ``A`` chosen first: the district's total
split over its payouts exactly to the fen (integer fen, largest remainder). Its settlement record
then gets the in-catalogue self-pay ``deductible + 2 × A``: all amounts stay in the first ratio
band (50 %), and a person has at most two stays per plan year, each below half the yearly cap,
so no cap bites and the rule gives back exactly ``A``. ``load`` checks each feed's payouts against
the amounts chosen, then each unit's total against the plan.

The engine runs with ``audit_chunks=False``: the demo's load is one audit line (``demo.load``),
not one per chunk. ``tests/mutualaid/test_demo.py`` re-prices a sample of the demo's payouts with
``rules.price`` and the person's history, and the statistics rows against a recount.

Rows are written set-based: enrolments through the one enrolment writer (which keeps the plans'
counters and the statistics), records by ``COPY`` on PostgreSQL / ``executemany`` on SQLite.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from gonghui.core import pii
from gonghui.core.ids import make_id_number, mask_id_number
from gonghui.core.paths import subtree_q, upper_bound
from gonghui.demo.calibration import apportion, scaled
from gonghui.members.models import Member, MemberStatus
from gonghui.mutualaid import pricing, rules
from gonghui.mutualaid.models import (
    Claim,
    ClaimDocument,
    ClaimStatus,
    DocumentKind,
    Eligibility,
    Enrolment,
    EnrolmentBatch,
    FeedStatus,
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
    SettlementStatus,
)
from gonghui.mutualaid.services.enrolment import enrolments_write
from gonghui.mutualaid.stats import METRICS, claim_deltas, plans_recount
from gonghui.orgs.models import Org
from gonghui.stats import activity
from gonghui.stats.models import Activity

YEARS = range(2018, 2023)
RECENT_FROM = 2023  # the plan years from then to last year: no seed figures, the five years' rate


def recent_years(today: dt.date) -> range:
    return range(RECENT_FROM, max(RECENT_FROM, today.year))
PERIOD = (dt.date(2018, 1, 1), dt.date(2022, 12, 31))
PRODUCTS = (Product.INPATIENT, Product.CRITICAL_ILLNESS)
FEN = Decimal("0.01")


@dataclass(frozen=True)
class Seed:
    """Five years (2018–2022) of one subtree at scale 1: enrolments (人次), payouts (人次), yuan paid,
    distinct members paid."""

    enrolments: int
    payouts: int
    amount: Decimal  # yuan
    members: int


# The seed documents' figures; CHOSEN names the ones they do not give (our plausible choice:
# 鄞州 pays about one enrolment in twenty, as a scheme linked to medical insurance would).
SEEDS: dict[str, Seed] = {
    "BL": Seed(enrolments=1_017_000, payouts=623_500, amount=58_010_000, members=140_000),
    "YZ": Seed(enrolments=1_578_100, payouts=78_000, amount=85_800_000, members=52_000),
    "FH": Seed(enrolments=320_000, payouts=16_000, amount=19_200_000, members=11_000),
    "YY": Seed(enrolments=620_000, payouts=8_300, amount=14_380_000, members=5_462),
}
CHOSEN = {"BL": ("members",), "YZ": ("payouts", "amount", "members"), "FH": ("amount", "members"),
          "YY": ("payouts",)}
# Districts without published figures (and the city-level industry unions): fewer enrolments and
# payouts than the four reporting districts.
OTHER_ENROLMENT_RATE = Decimal("0.35")  # of the eligible members, over the ten plan years
OTHER_PAYOUTS_PER_ENROLMENT = Decimal("0.03")
OTHER_AVERAGE_PAYOUT = 900  # yuan
OTHER_PAID_MEMBERS_PER_PAYOUT = Decimal("0.7")

# The rules of each year. One ratio band of 50 % up to ``band`` of eligible self-pay, 60 % above.
# A stay's payout is at most MAX_PAYOUT (inside the first band) and a person has at most
# STAYS_PER_YEAR priced stays per plan year: STAYS_PER_YEAR × MAX_PAYOUT stays below the yearly cap.
RULES = {
    Product.INPATIENT: dict(fee=Decimal("60.00"), deductible=Decimal("1000.00"), band=Decimal("20000.00"),
                            yearly_cap=Decimal("30000.00")),
    Product.CRITICAL_ILLNESS: dict(fee=Decimal("20.00"), deductible=Decimal("2000.00"), band=Decimal("40000.00"),
                                   yearly_cap=Decimal("50000.00")),
}
RULE_CHANGES = {  # from that year on (a new version each year anyway)
    2020: {Product.INPATIENT: dict(yearly_cap=Decimal("40000.00"))},
    2021: {Product.CRITICAL_ILLNESS: dict(yearly_cap=Decimal("60000.00"), deductible=Decimal("1500.00"))},
}
NAMES = {Product.INPATIENT: "{year}年度在职职工住院医疗互助保障", Product.CRITICAL_ILLNESS: "{year}年度特种重病互助保障"}
MAX_PAYOUT = {Product.INPATIENT: 10_000_00, Product.CRITICAL_ILLNESS: 20_000_00}  # fen
MIN_PAYOUT = 10_00  # fen
STAYS_PER_YEAR = 2
# Weights of the plans (year index 0–4) when a district's enrolments are spread over them.
ENROL_WEIGHTS = {Product.INPATIENT: (10, 11, 12, 13, 14), Product.CRITICAL_ILLNESS: (6, 7, 7, 8, 9)}
# A critical-illness stay is paid about four times more than an ordinary one.
AMOUNT_WEIGHT = {Product.INPATIENT: 1, Product.CRITICAL_ILLNESS: 4}

HOSPITALS_CITY = ("宁波市第一医院", "宁波市第二医院", "宁波大学附属第一医院", "宁波市医疗中心李惠利医院",
                  "宁波市中医院", "宁波市妇女儿童医院", "宁波市康宁医院")
HOSPITALS_LOCAL = {
    "HS": ("宁波市海曙区第二医院",), "JB": ("宁波市江北区人民医院",), "ZH": ("宁波市镇海区人民医院", "镇海炼化医院"),
    "BL": ("宁波市北仑区人民医院", "北仑区第二人民医院"), "YZ": ("宁波市鄞州区第二医院", "鄞州人民医院"),
    "FH": ("宁波市奉化区人民医院",), "YY": ("余姚市人民医院", "余姚市第二人民医院"),
    "CX": ("慈溪市人民医院", "慈溪市第三人民医院"), "NH": ("宁海县第一医院",), "XS": ("象山县第一人民医院",),
}
AT_THE_BANK = "BL"  # the district whose cadre has an open payment batch and a failed payment
CURRENT_RECORDS = 24_000  # this year's settlement records so far, at scale 1
NON_MEMBER_REGION = "650102"  # not a region the demo's members come from: these records match nobody
SAMPLE_DOCUMENTS = {  # shared sample scans of the demo's claims (written once, never per claim)
    DocumentKind.INVOICE: ("aid/demo/invoice.pdf", "住院收费票据.pdf"),
    DocumentKind.ITEMISED_BILL: ("aid/demo/itemised-bill.pdf", "住院费用清单.pdf"),
    DocumentKind.DISCHARGE_SUMMARY: ("aid/demo/discharge-summary.pdf", "出院小结.pdf"),
}


def figures(code: str, capacity: int, scale: Decimal) -> Seed:
    """The subtree's five-year figures at ``scale``; ``capacity``: the enrolments its members allow
    (eligible members summed over the ten plan years), which sets the figures the seeds do not give."""
    if code in SEEDS:
        seed = SEEDS[code]
        return Seed(enrolments=scaled(seed.enrolments, scale), payouts=scaled(seed.payouts, scale),
                    amount=(Decimal(seed.amount) * scale).quantize(FEN, rounding=ROUND_HALF_UP),
                    members=scaled(seed.members, scale))
    enrolments = int((capacity * OTHER_ENROLMENT_RATE).to_integral_value())
    payouts = int((enrolments * OTHER_PAYOUTS_PER_ENROLMENT).to_integral_value())
    paid_members = min(payouts, max(1 if payouts else 0, int((payouts * OTHER_PAID_MEMBERS_PER_PAYOUT)
                                                            .to_integral_value())))
    return Seed(enrolments=enrolments, payouts=payouts, amount=Decimal(payouts * OTHER_AVERAGE_PAYOUT),
                members=paid_members)


def recent_figures(seed: Seed, years: int) -> Seed:
    """What ``years`` plan years since 2022 pay, at the yearly rate of the five years of ``seed``."""
    def share(n) -> Decimal:
        return Decimal(n) * years / len(YEARS)

    payouts = int(share(seed.payouts).to_integral_value(ROUND_HALF_UP))
    if not payouts:
        return Seed(enrolments=0, payouts=0, amount=Decimal("0.00"), members=0)
    members = min(payouts, max(1, int(share(seed.members).to_integral_value(ROUND_HALF_UP))))
    amount = max(share(seed.amount).quantize(FEN, rounding=ROUND_HALF_UP), Decimal(payouts * MIN_PAYOUT) / 100)
    return Seed(enrolments=0, payouts=payouts, amount=amount, members=members)


# ---------------------------------------------------------------------------------------- load

def load(plan, nb: Org, log, password: str) -> None:
    started = time.monotonic()
    log("Adding mutual aid: plans 2018–2022, the years since and this year, enrolments, settlements, payouts …")
    rng = random.Random(f"gonghui-demo:{plan.label}:mutualaid")
    today = timezone.localdate()
    units = list(Org.objects.filter(subtree_q(nb.path), depth=nb.depth + 1).order_by("path"))
    plans = _plans(nb, today)
    history = {(p.year, p.product): p for p in plans if p.year in YEARS}
    recent = {(p.year, p.product): p for p in plans if p.year in recent_years(today)}
    current = {p.product: p for p in plans if p.year == today.year}
    worker = _worker(nb)
    targets, enrolled = _enrol_all(units, history, current, plan.scale, today, worker, recent)
    log(f"  {enrolled:,} enrolments ({time.monotonic() - started:.1f} s)")
    _analyze(Enrolment, EnrolmentBatch)
    feeds = _Feeds(random.Random(f"gonghui-demo:{plan.label}:mutualaid:records"))
    records = _settle_history(nb, units, history, targets, rng, feeds)
    log(f"  {records:,} settlements 2018–2022, priced and paid ({time.monotonic() - started:.1f} s)")
    if recent:
        records = _settle_history(nb, units, recent, {pk: recent_figures(seed, len(recent_years(today)))
                                                      for pk, seed in targets.items()}, rng, feeds)
        log(f"  {records:,} settlements {RECENT_FROM}–{today.year - 1}, priced and paid "
            f"({time.monotonic() - started:.1f} s)")
    _current_year(nb, units, current, rng, today, worker, plan.scale, feeds)
    log(f"  this year's feeds, payment batches and claims ({time.monotonic() - started:.1f} s)")
    log(f"  mutual aid loaded in {time.monotonic() - started:.1f} s")


def remove(nb: Org) -> None:
    """Delete everything mutual aid holds under ``nb`` (and the plans it defined), set-based, in
    dependency order. The shared sample scans stay (they belong to no one)."""
    lower, upper = nb.path, upper_bound(nb.path) or "~"
    qn = connection.ops.quote_name
    t = {m: qn(m._meta.db_table) for m in (PaymentLine, PaymentBatch, Payout, Ledger, ClaimDocument, Claim,
                                          SettlementRecord, SettlementFeed, Enrolment, EnrolmentBatch, Plan,
                                          Member)}
    in_tree = "org_path >= %s AND org_path < %s"
    plans = f"SELECT id FROM {t[Plan]} WHERE {in_tree}"
    members = f"SELECT id FROM {t[Member]} WHERE {in_tree}"
    feeds = f"SELECT id FROM {t[SettlementFeed]} WHERE {in_tree}"
    for doc in ClaimDocument.objects.filter(subtree_q(nb.path, "claim__org_path")).exclude(
            file__in=[path for path, _name in SAMPLE_DOCUMENTS.values()]).only("file"):
        doc.file.delete(save=False)
    for feed in SettlementFeed.objects.filter(subtree_q(nb.path, "org_path")).exclude(upload="").only("upload"):
        feed.upload.delete(save=False)
    statements = [
        (f"DELETE FROM {t[PaymentLine]} WHERE batch_id IN (SELECT id FROM {t[PaymentBatch]} WHERE {in_tree}) "
         f"OR payout_id IN (SELECT id FROM {t[Payout]} WHERE {in_tree} OR plan_id IN ({plans}))", 3),
        (f"DELETE FROM {t[PaymentBatch]} WHERE {in_tree}", 1),
        (f"DELETE FROM {t[Payout]} WHERE {in_tree} OR plan_id IN ({plans}) OR member_id IN ({members})", 3),
        (f"DELETE FROM {t[Ledger]} WHERE plan_id IN ({plans}) OR member_id IN ({members})", 2),
        (f"DELETE FROM {t[ClaimDocument]} WHERE claim_id IN (SELECT id FROM {t[Claim]} WHERE {in_tree} "
         f"OR plan_id IN ({plans}) OR member_id IN ({members}))", 3),
        (f"DELETE FROM {t[Claim]} WHERE {in_tree} OR plan_id IN ({plans}) OR member_id IN ({members})", 3),
        (f"DELETE FROM {t[SettlementRecord]} WHERE feed_id IN ({feeds})", 1),
        (f"DELETE FROM {t[SettlementFeed]} WHERE {in_tree}", 1),
        (f"DELETE FROM {t[Enrolment]} WHERE {in_tree} OR plan_id IN ({plans}) OR member_id IN ({members})", 3),
        (f"DELETE FROM {t[EnrolmentBatch]} WHERE {in_tree} OR plan_id IN ({plans})", 2),
        (f"DELETE FROM {t[Plan]} WHERE {in_tree}", 1),
    ]
    with connection.cursor() as cursor:
        for sql, ranges in statements:
            cursor.execute(sql, [lower, upper] * ranges)
    Activity.objects.filter(subtree_q(nb.path), metric__in=list(METRICS)).delete()
    activity.refresh_totals(METRICS)
    plans_recount()  # plans defined elsewhere may have lost enrolments of the subtree


# --------------------------------------------------------------------------------------- plans

def _plans(nb: Org, today: dt.date) -> list[Plan]:
    rows = []
    version = {p: (Plan.objects.filter(product=p).order_by("-version").values_list("version", flat=True).first()
                   or 0) for p in PRODUCTS}
    rules = {p: dict(r) for p, r in RULES.items()}
    years = [*YEARS, *recent_years(today)] + ([today.year] if today.year not in YEARS else [])
    for year in sorted(set(years)):
        for product, change in RULE_CHANGES.get(year, {}).items():
            rules[product].update(change)
        for product in PRODUCTS:
            r = rules[product]
            version[product] += 1
            if year == today.year:  # open now, and until the end of the year
                window = (dt.date(year - 1, 12, 1), dt.date(year, 12, 31))
            else:
                window = (dt.date(year - 1, 12, 1), dt.date(year, 3, 31))
            rows.append(Plan(
                product=product, year=year, version=version[product], name=NAMES[product].format(year=year),
                org=nb, org_path=nb.path, fee=r["fee"], window_start=window[0], window_end=window[1],
                cover_start=dt.date(year, 1, 1), cover_end=dt.date(year, 12, 31), eligibility=Eligibility.IN_SERVICE,
                deductible=r["deductible"], yearly_cap=r["yearly_cap"], stay_cap=None,
                tiers=[{"upto": str(r["band"]), "ratio": "0.50"}, {"upto": None, "ratio": "0.60"}],
                allows_dependants=product == Product.INPATIENT and year >= 2021))
    Plan.objects.bulk_create(rows)
    return list(Plan.objects.filter(org=nb, year__in=years).order_by("year", "product"))


# ---------------------------------------------------------------------------------- enrolments

def _enrol_day(unit_index: int, year: int) -> dt.date:
    """The day a unit sends its enrolment list: one working day of early January."""
    return dt.date(year, 1, 4) + dt.timedelta(days=unit_index % 12)


KEYS = [(year, product) for year in YEARS for product in PRODUCTS]


def _pool(people: list[tuple], plan: Plan, day: dt.date) -> list[tuple]:
    """Of ``people`` (id, org_id, org_path, joined_on, birth_date, sex), those ``plan`` accepts on ``day``:
    joined by then and in service on its first day of cover (``selectors.eligible_q``; all are active)."""
    cutoff = rules.retiree_born_by(plan.cover_start)
    if plan.eligibility == Eligibility.RETIREE:
        return [p for p in people if p[3] <= day and p[4] <= cutoff.get(p[5], cutoff["M"])]
    return [p for p in people if p[3] <= day and p[4] > cutoff.get(p[5], cutoff["M"])]


def _enrol_all(units: list[Org], history: dict, current: dict, scale: Decimal, today: dt.date,
               worker: Member | None, recent: dict) -> tuple[dict, int]:
    """Each unit's enrolment lists, 2018–2022, the years since and this year; return the units'
    targets (of 2018–2022) and the count.

    A unit's members are read once, in ID-hash order: each year's list takes the first eligible
    ones, so mostly the same people stay enrolled from one year to the next.
    """
    targets: dict[int, Seed] = {}
    total = 0
    weights = [ENROL_WEIGHTS[product][year - YEARS[0]] for year, product in KEYS]
    for i, unit in enumerate(units):
        people = list(Member.objects.filter(subtree_q(unit.path, "org_path"), status=MemberStatus.ACTIVE)
                      .order_by("id_hash").values_list("id", "org_id", "org_path", "joined_on", "birth_date", "sex"))
        pools = {}
        for year, product in KEYS:  # both products of a year accept the same people
            day = _enrol_day(i, year)
            pools[(year, product)] = pools.get((year, PRODUCTS[0])) or _pool(people, history[(year, product)], day)
        caps = [len(pools[k]) for k in KEYS]
        seed = targets[unit.pk] = figures(unit.code, sum(caps), scale)
        counts = apportion(min(seed.enrolments, sum(caps)), weights, caps=caps)
        if sum(counts) != seed.enrolments:
            raise RuntimeError(f"mutual-aid demo: {unit.code} has room for {sum(caps)} enrolments, "
                               f"the plan asks for {seed.enrolments}")
        lists = [(history[k], _enrol_day(i, k[0]), pools[k][:n]) for k, n in zip(KEYS, counts, strict=True)]
        for (year, product), plan in sorted(recent.items()):  # as many as in 2022, if they still can
            day = _enrol_day(i, year)
            lists.append((plan, day, _pool(people, plan, day)[:counts[KEYS.index((max(YEARS), product))]]))
        day = min(_enrol_day(i, today.year), today)
        for product, plan in current.items():  # this year: as many as in 2022, if they still can
            pool = _pool(people, plan, day)
            chosen = pool[:counts[KEYS.index((max(YEARS), product))]]
            if worker is not None and worker.org_path.startswith(unit.path):
                mine = next((p for p in pool if p[0] == worker.pk), None)
                if mine is not None and mine not in chosen:
                    chosen.append(mine)
            lists.append((plan, day, chosen))
        lists = [item for item in lists if item[2]]
        batches = EnrolmentBatch.objects.bulk_create([
            EnrolmentBatch(plan=plan, org=unit, org_path=unit.path, mode=EnrolmentBatch.Mode.LIST, enrolled_on=day,
                           asked=len(chosen), enrolled=len(chosen), fee_due=(plan.fee * len(chosen)).quantize(FEN),
                           report={"lines": [], "more": 0}) for plan, day, chosen in lists])
        total += enrolments_write(lists=[(batch, [p[:3] for p in chosen])
                                         for batch, (_plan, _day, chosen) in zip(batches, lists, strict=True)])
    return targets, total


# ---------------------------------------------------------------------------- settlements 2018–2022

@dataclass
class Stay:
    """One hospital stay of the demo: its settlement record, and the payout its plan's rule gives."""

    person: tuple  # (member id or None, id_hash, id_cipher, id_masked, pii_key_id)
    product: str
    discharged_on: dt.date
    self_pay_in: Decimal
    hospital: str
    cover: tuple | None = None  # (plan, enrolment id, enrolment's org_path); None: rejected with ``reason``
    reason: str = ""
    planned: Decimal | None = None  # history: the payout chosen first, which the rule must give back


def _settle_history(nb: Org, units: list[Org], history: dict, targets: dict, rng: random.Random,
                    feeds: _Feeds) -> int:
    plan_by_id = {p.pk: p for p in history.values()}
    by_quarter: dict[tuple[int, int], list[Stay]] = defaultdict(list)
    count = 0
    for unit in units:
        if targets[unit.pk].payouts:
            for stay in _unit_stays(unit, targets[unit.pk], plan_by_id, rng):
                by_quarter[(stay.discharged_on.year, (stay.discharged_on.month - 1) // 3 + 1)].append(stay)
                count += 1
    for (year, quarter), stays in sorted(by_quarter.items()):
        decided = _quarter_end(year, quarter)
        feeds.deliver(nb, stays, decided=decided, filename=f"医保结算_{year}Q{quarter}.csv")
    _analyze(SettlementRecord, Payout, Ledger)
    _check_history(units, targets, history)
    _pay_history(units, history)
    return count


def _quarter_end(year: int, quarter: int) -> dt.date:
    return dt.date(year, 12, 31) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1) - dt.timedelta(days=1)


def _unit_stays(unit: Org, seed: Seed, plan_by_id: dict, rng: random.Random) -> list[Stay]:
    """``seed.payouts`` stays of ``seed.members`` enrolled people of ``unit``, paying ``seed.amount`` in all."""
    has_history = Enrolment.objects.filter(member_id=OuterRef("pk"), plan_id__in=list(plan_by_id))
    people = list(Member.objects.filter(subtree_q(unit.path, "org_path")).filter(Exists(has_history))
                  .annotate(k=Substr("id_hash", 33, 16)).order_by("k", "id")
                  .values_list("id", "id_hash", "id_cipher", "id_masked", "pii_key_id")[:seed.members])
    if len(people) < seed.members:
        raise RuntimeError(f"mutual-aid demo: {unit.code} has {len(people)} enrolled members, {seed.members} to pay")
    slots: dict[int, list[tuple]] = defaultdict(list)
    ids = [p[0] for p in people]
    for start in range(0, len(ids), 5000):
        for row in (Enrolment.objects.filter(member_id__in=ids[start:start + 5000], plan_id__in=list(plan_by_id))
                    .order_by("member_id", "plan_id")
                    .values_list("member_id", "plan_id", "enrolled_on", "id", "org_path")):
            slots[row[0]].append(row[1:])
    # Every paid member has one stay; the others go one by one to people with room left.
    count = {p[0]: 1 for p in people}
    room = [p[0] for p in people for _ in range(STAYS_PER_YEAR * len(slots[p[0]]) - 1)]
    extra = seed.payouts - len(people)
    if extra > len(room):
        raise RuntimeError(f"mutual-aid demo: {unit.code} cannot hold {seed.payouts} payouts")
    for member_id in rng.sample(room, extra):
        count[member_id] += 1
    hospitals = HOSPITALS_CITY + HOSPITALS_LOCAL.get(unit.code[:2], ())
    stays: list[Stay] = []
    for person in people:
        choices = [slot for slot in slots[person[0]] for _ in range(STAYS_PER_YEAR)]
        taken_days: set[tuple[int, dt.date]] = set()
        for plan_id, enrolled_on, enrolment_id, org_path in rng.sample(choices, count[person[0]]):
            plan = plan_by_id[plan_id]
            first = max(plan.cover_start, enrolled_on + dt.timedelta(days=1))
            span = (plan.cover_end - first).days
            while True:
                day = first + dt.timedelta(days=rng.randint(0, span))
                if (plan_id, day) not in taken_days:
                    break
            taken_days.add((plan_id, day))
            stays.append(Stay(person=person, product=plan.product, discharged_on=day, self_pay_in=Decimal(0),
                              hospital=rng.choice(hospitals), cover=(plan, enrolment_id, org_path)))
    weights = [int(AMOUNT_WEIGHT[s.product] * 1000 * min(rng.paretovariate(1.6), 30.0)) for s in stays]
    caps = [MAX_PAYOUT[s.product] for s in stays]
    amounts = apportion(int(seed.amount * 100), weights, floor=MIN_PAYOUT, caps=caps)
    for stay, amount in zip(stays, amounts, strict=True):
        if amount <= 0:
            raise RuntimeError(f"mutual-aid demo: {unit.code} has a payout of {amount} fen")
        stay.planned = Decimal(amount) / 100
        stay.self_pay_in = _self_pay(stay.cover[0], amount)
    return stays


def _self_pay(plan: Plan, amount_fen: int) -> Decimal:
    """The in-catalogue self-pay whose payout under ``plan`` is ``amount_fen`` (first band, 50 %)."""
    return plan.deductible + Decimal(2 * amount_fen) / 100


RECORD_COLUMNS = ("settlement_id", "feed_id", "id_hash", "id_cipher", "id_masked", "pii_key_id", "product",
                  "hospital", "admitted_on", "discharged_on", "total_cost", "fund_paid", "self_pay_in",
                  "self_pay_out", "status", "reason_code", "org_path", "received_at")


class _Feeds:
    """Delivers the demo's stays as the insurer does, one feed at a time, and has the batch engine
    price each feed on its day: ``pricing.price_received(audit_chunks=False)``, without the engine's
    audit line per chunk (the demo's load is one audit line). The engine writes payouts, ledgers and
    statistics through the one payout writer, as for any feed. What it decided is checked against
    the plan: every rejection's reason, and the history's payouts to the fen."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.now = timezone.now()
        self.sequence = 0

    def deliver(self, nb: Org, stays: list[Stay], *, decided: dt.date, filename: str = "",
                source: str = SettlementFeed.Source.FILE) -> SettlementFeed:
        """One delivery of records, priced on ``decided`` (its payouts are due)."""
        feed = SettlementFeed.objects.create(org=nb, org_path=nb.path, source=source, filename=filename,
                                             status=FeedStatus.PRICING, rows=len(stays), stored=len(stays),
                                             progress=len(stays))
        numbered = []
        for stay in stays:
            self.sequence += 1
            numbered.append((f"NBYB{decided:%Y}{self.sequence:010d}", stay))
        numbered.sort(key=lambda item: (item[1].person[1], item[1].discharged_on, item[0]))  # the engine's order
        insert_rows(SettlementRecord, RECORD_COLUMNS,
                    [self._record_row(sid, feed.pk, stay, nb.path) for sid, stay in numbered])
        result = pricing.price_received(feed_id=feed.pk, on=decided, audit_chunks=False)
        SettlementFeed.objects.filter(pk=feed.pk).update(status=FeedStatus.DONE, finished_at=self.now)
        rejected = Counter(stay.reason for stay in stays if stay.cover is None)
        planned = [stay.planned for stay in stays if stay.cover is not None]
        if (result.records, result.by_reason) != (len(stays), rejected):
            raise RuntimeError(f"mutual-aid demo: the engine rejected {dict(result.by_reason)}, planned {dict(rejected)}")
        if None not in planned and (result.payouts, result.amount) != (len(planned), sum(planned, Decimal("0.00"))):
            raise RuntimeError(f"mutual-aid demo: the engine paid {result.payouts} payouts of {result.amount} yuan, "
                               f"planned {len(planned)} of {sum(planned)}")
        return feed

    def _record_row(self, sid: str, feed_id: int, stay: Stay, org_path: str) -> tuple:
        rng = self.rng
        self_pay_out = (stay.self_pay_in * Decimal(rng.randint(0, 30)) / 100).quantize(FEN)
        fund_paid = (stay.self_pay_in * Decimal(rng.randint(150, 400)) / 100).quantize(FEN)
        admitted_on = stay.discharged_on - dt.timedelta(days=rng.randint(1, 21 if stay.product == Product.INPATIENT
                                                                          else 45))
        _id, id_hash, id_cipher, id_masked, key_id = stay.person
        return (sid, feed_id, id_hash, bytes(id_cipher), id_masked, key_id, stay.product, stay.hospital,
                admitted_on, stay.discharged_on, fund_paid + stay.self_pay_in + self_pay_out, fund_paid,
                stay.self_pay_in, self_pay_out, SettlementStatus.RECEIVED, "", org_path, self.now)


def insert_rows(model, columns: Sequence[str], rows: Iterable[tuple], batch: int = 5_000) -> int:
    """Set-based insert of raw rows: COPY on PostgreSQL, ``executemany`` in batches elsewhere."""
    qn = connection.ops.quote_name
    table, cols = qn(model._meta.db_table), ", ".join(qn(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"
        part: list[tuple] = []
        for row in rows:
            part.append(row)
            if len(part) == batch:
                cursor.executemany(sql, part)
                count += len(part)
                part = []
        if part:
            cursor.executemany(sql, part)
            count += len(part)
    return count


def _check_history(units: list[Org], targets: dict, history: dict) -> None:
    """What was paid per unit must be the plan, to the fen (else the generator is wrong)."""
    plans = [p.pk for p in history.values()]
    for unit in units:
        seed = targets[unit.pk]
        paid = Payout.objects.filter(subtree_q(unit.path, "org_path"), plan_id__in=plans, amount__gt=0).aggregate(
            n=Count("id"), amount=Sum("amount"), members=Count("member_id", distinct=True))
        # SQLite sums decimals as floats: round back to the fen before comparing.
        got = (paid["n"], Decimal(paid["amount"] or 0).quantize(FEN), paid["members"])
        if got != (seed.payouts, seed.amount, seed.members):
            raise RuntimeError(f"mutual-aid demo: {unit.code} paid {got}, planned {seed}")


def _pay_history(units: list[Org], history: dict) -> None:
    """The historical payouts went to the bank in one payment batch per unit and quarter, all paid a
    fortnight after they were priced."""
    plans = [p.pk for p in history.values()]
    unit_of = {unit.path: unit for unit in units}
    width = len(units[0].path) if units else 0
    groups: dict[tuple, list[tuple]] = defaultdict(list)
    for pk, org_path, decided, amount in (Payout.objects.filter(plan_id__in=plans, status=PayoutStatus.DUE)
                                          .order_by("id").values_list("id", "org_path", "decided_on", "amount")):
        groups[(org_path[:width], decided)].append((pk, amount))
    now = timezone.now()
    keys = sorted(groups)
    batches = PaymentBatch.objects.bulk_create([
        PaymentBatch(org=unit_of[path], org_path=path, idempotency_key=f"{decided:%Y}Q{(decided.month - 1) // 3 + 1}",
                     status=PaymentBatch.Status.CLOSED, lines=len(groups[(path, decided)]),
                     total=sum((a for _p, a in groups[(path, decided)]), Decimal("0.00")), closed_at=now)
        for path, decided in keys], batch_size=1000)
    insert_rows(PaymentLine, ("batch_id", "payout_id", "amount", "status", "failure", "settled_at"), (
        (batch.pk, pk, amount, PaymentLine.Status.PAID, "", now)
        for batch, key in zip(batches, keys, strict=True) for pk, amount in groups[key]))
    for decided in sorted({decided for _path, decided in keys}):
        Payout.objects.filter(plan_id__in=plans, status=PayoutStatus.DUE, decided_on=decided).update(
            status=PayoutStatus.PAID, paid_on=decided + dt.timedelta(days=15))


# ----------------------------------------------------------------------------------- this year

def _worker(nb: Org) -> Member | None:
    from gonghui.demo.services import _worker_member  # the member the `worker` login gets

    return _worker_member(nb)


def _current_year(nb: Org, units: list[Org], current: dict, rng: random.Random, today: dt.date,
                  worker: Member | None, scale: Decimal, feeds: _Feeds) -> None:
    """Two feeds, payment batches in three states, claims waiting for review."""
    if not current:
        return
    inpatient = current[Product.INPATIENT]
    enrolments = {m: (e, d, path) for m, e, d, path in Enrolment.objects.filter(plan=inpatient).values_list(
        "member_id", "id", "enrolled_on", "org_path")}
    first_day = max((d for _e, d, _p in enrolments.values()), default=today)
    # Two feeds: one priced a month ago (paid, or at the bank), one priced today (due).
    days = [d for d in (today - dt.timedelta(days=30), today) if d > first_day + dt.timedelta(days=2)
            and d.year == today.year]
    if not days:
        return  # too early in the year for stays of this year's plans
    size = max(12, scaled(CURRENT_RECORDS, scale))
    people = list(Member.objects.filter(Exists(Enrolment.objects.filter(member_id=OuterRef("pk"), plan=inpatient)))
                  .filter(subtree_q(nb.path, "org_path")).exclude(pk=worker.pk if worker else None)
                  .annotate(k=Substr("id_hash", 17, 16)).order_by("k", "id")
                  .values_list("id", "id_hash", "id_cipher", "id_masked", "pii_key_id", "org_path")[:size])
    outsiders = list(Member.objects.filter(subtree_q(nb.path, "org_path"), status="active")
                     .exclude(Exists(Enrolment.objects.filter(member_id=OuterRef("pk"), plan=inpatient)))
                     .order_by("id_hash").values_list("id", "id_hash", "id_cipher", "id_masked", "pii_key_id")[:2])
    district_of = {u.path: u.code for u in units}
    for n, day in enumerate(days):
        stays = []
        for person in people[n::len(days)]:
            enrolment_id, _d, org_path = enrolments[person[0]]
            amount = min(int(MIN_PAYOUT * min(rng.paretovariate(1.6), 30.0) * 8), MAX_PAYOUT[Product.INPATIENT])
            hospitals = HOSPITALS_CITY + HOSPITALS_LOCAL.get(district_of.get(person[5][:8], ""), ())
            stays.append(Stay(person=person[:5], product=Product.INPATIENT, self_pay_in=_self_pay(inpatient, amount),
                              discharged_on=first_day + dt.timedelta(days=rng.randint(1, (day - first_day).days - 1)),
                              hospital=rng.choice(hospitals), cover=(inpatient, enrolment_id, org_path)))
        if worker is not None and n == 0 and worker.pk in enrolments and day - dt.timedelta(days=6) > first_day:
            enrolment_id, _d, org_path = enrolments[worker.pk]
            stays.append(Stay(person=(worker.pk, worker.id_hash, worker.id_cipher, worker.id_masked,
                                      worker.pii_key_id), product=Product.INPATIENT, self_pay_in=Decimal("3860.00"),
                              discharged_on=day - dt.timedelta(days=6), hospital="宁波市第一医院",
                              cover=(inpatient, enrolment_id, org_path)))
        # Records the engine would reject, each with its reason: not members, not enrolled.
        for k in range(2):
            number = make_id_number(NON_MEMBER_REGION, dt.date(1980 + 7 * k + n, 3 + k, 11), 17 + n)
            protected = pii.protect("id", number, mask_id_number(number))
            stays.append(Stay(person=(None, protected.hash, protected.cipher, protected.masked, protected.key_id),
                              product=Product.INPATIENT, discharged_on=day - dt.timedelta(days=3 + k),
                              self_pay_in=Decimal("5200.00"), hospital=HOSPITALS_CITY[k], reason=Reason.NOT_A_MEMBER))
        if n < len(outsiders):
            stays.append(Stay(person=outsiders[n], product=Product.INPATIENT, discharged_on=day - dt.timedelta(days=9),
                              self_pay_in=Decimal("2400.00"), hospital=HOSPITALS_CITY[2], reason=Reason.NOT_ENROLLED))
        feeds.deliver(nb, stays, decided=day, source=SettlementFeed.Source.API)
    _current_batches(units, current, days[0] if len(days) == 2 else None, worker, feeds.now)
    _claims(units, current, today, worker, rng)


def _current_batches(units: list[Org], current: dict, paid_day: dt.date | None, worker: Member | None, now) -> None:
    """Payouts of the month-old feed: paid, except in 北仑 where one line failed and one batch is still
    open at the bank; today's payouts stay due."""
    if paid_day is None:
        return
    plans = [p.pk for p in current.values()]
    worker_district = next((u for u in units if worker is not None and worker.org_path.startswith(u.path)), None)
    for unit in units:
        due = list(Payout.objects.filter(subtree_q(unit.path, "org_path"), plan_id__in=plans, decided_on=paid_day,
                                         status=PayoutStatus.DUE).order_by("id").values_list("id", "amount"))
        if not due:
            continue
        if unit.code != AT_THE_BANK or unit == worker_district or len(due) < 3:
            _batch(unit, due, now, paid=True, failed_ids=(), key=f"{paid_day}")
            continue
        half = len(due) // 2
        _batch(unit, due[:half], now, paid=True, failed_ids=(due[0][0],), key=f"{paid_day}")
        _batch(unit, due[half:], now, paid=False, failed_ids=(), key=f"{paid_day}-2")


def _batch(unit: Org, lines: list[tuple[int, Decimal]], now, *, paid: bool, failed_ids, key: str) -> None:
    open_ = not paid
    batch = PaymentBatch.objects.create(org=unit, org_path=unit.path, idempotency_key=key,
                                        status=PaymentBatch.Status.OPEN if open_ else PaymentBatch.Status.CLOSED,
                                        lines=len(lines), total=sum((a for _i, a in lines), Decimal("0.00")),
                                        closed_at=None if open_ else now)
    PaymentLine.objects.bulk_create([
        PaymentLine(batch=batch, payout_id=pk, amount=amount,
                    status=(PaymentLine.Status.PENDING if open_ else PaymentLine.Status.FAILED if pk in failed_ids
                            else PaymentLine.Status.PAID),
                    failure="收款账户已销户" if pk in failed_ids else "", settled_at=None if open_ else now)
        for pk, amount in lines], batch_size=2000)
    ids = [pk for pk, _a in lines]
    if open_:
        Payout.objects.filter(pk__in=ids).update(status=PayoutStatus.BATCHED)
        return
    Payout.objects.filter(pk__in=[i for i in ids if i not in failed_ids]).update(
        status=PayoutStatus.PAID, paid_on=timezone.localdate())
    Payout.objects.filter(pk__in=list(failed_ids)).update(status=PayoutStatus.FAILED)


def _claims(units: list[Org], current: dict, today: dt.date, worker: Member | None, rng: random.Random) -> None:
    """Claims waiting for review: the worker's own and one in each reporting district."""
    inpatient = current[Product.INPATIENT]
    documents = _sample_documents()
    claimants = []
    if worker is not None:
        enrolment = Enrolment.objects.filter(member=worker, plan=inpatient).first()
        if enrolment is not None:
            claimants.append((worker, enrolment, "宁波市第二医院", Decimal("2680.00")))
    for unit in units:
        if unit.code not in ("BL", "FH", "YY"):
            continue
        enrolment = (Enrolment.objects.select_related("member").filter(plan=inpatient, org_path__startswith=unit.path)
                     .exclude(member__aid_payouts__plan=inpatient).order_by("member__id_hash").first())
        if enrolment is not None:
            claimants.append((enrolment.member, enrolment, HOSPITALS_LOCAL[unit.code][0],
                              Decimal(rng.randint(3000, 9000))))
    deltas = activity.Deltas()
    for member, enrolment, hospital, self_pay in claimants:
        discharged = today - dt.timedelta(days=4)
        if discharged <= enrolment.enrolled_on:
            continue
        claim = Claim.objects.create(
            member=member, enrolment=enrolment, plan=inpatient, org_id=enrolment.org_id, org_path=enrolment.org_path,
            patient_name=member.name, patient_hash=member.id_hash, patient_cipher=bytes(member.id_cipher),
            patient_masked=member.id_masked, pii_key_id=member.pii_key_id, hospital=hospital,
            admitted_on=discharged - dt.timedelta(days=6), discharged_on=discharged,
            total_cost=self_pay * 3, fund_paid=self_pay * 2 - Decimal("300.00"), self_pay_in=self_pay,
            self_pay_out=Decimal("300.00"), status=ClaimStatus.SUBMITTED, filed_by=member.user)
        ClaimDocument.objects.bulk_create([
            ClaimDocument(claim=claim, kind=kind, file=path, filename=name, content_type="application/pdf",
                          size=size, uploaded_by=member.user) for kind, (path, name, size) in documents.items()])
        claim_deltas(deltas, claim.org_path, today, inpatient.product)
    activity.add(deltas)


def _sample_documents() -> dict[str, tuple[str, str, int]]:
    """The sample scans (a one-page PDF each), written to the media storage once."""
    out = {}
    for kind, (path, name) in SAMPLE_DOCUMENTS.items():
        if not default_storage.exists(path):
            default_storage.save(path, ContentFile(_pdf(str(DocumentKind(kind).label))))
        out[kind] = (path, name, default_storage.size(path))
    return out


def _pdf(title: str) -> bytes:
    """A minimal valid one-page PDF saying what the sample is (ASCII only)."""
    text = f"Gonghui demo sample: {title}".encode("ascii", "replace")
    stream = b"BT /F1 18 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = b"%PDF-1.4\n"
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def _analyze(*models) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
