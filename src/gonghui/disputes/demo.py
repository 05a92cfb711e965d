"""The mediation module's part of the demo: rooms, mediators, five years of cases, and open cases now.

``load`` adds, for the same scale always the same (dates of the open cases follow today):

- mediation rooms in every district (district room; township and enterprise rooms where the
  scale has such unions), with mediator and lawyer logins (``bl_mediator``, ``bl_lawyer``, … —
  the demo password) working in the district rooms;
- the cases of 2018-01-01 … 2022-12-31 that reproduce the seed figures times the scale (rounded
  half up): 北仑 received 7,065 / settled 6,701 / ¥124,000,000; 鄞州 settled 1,168 / legal aid
  232 / ¥22,390,000; 奉化 settled 1,755 / ¥98,220,000; 余姚 settled 1,512 / legal aid 602 /
  ¥42,000,000. Figures the seeds do not give are our choice (``CHOSEN``); amounts are spread
  over the settled cases with Decimal and the last case takes the remainder, so they add up to
  the fen;
- open cases of this year in every state in the four districts, so the pages have work to show
  (one of them the ``worker`` login's own).

Applicants of the historical cases are demo members (their protected ID number and mobile are
copied, never decrypted). Rows are bulk-inserted; the statistics rows are added once at the end.
No audit lines: the demo's load is one audit line (``demo.load``).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from gonghui.core.models import AuditEntry
from gonghui.core.paths import subtree_q
from gonghui.demo.calibration import scaled
from gonghui.demo.places import DISTRICT_CODES
from gonghui.disputes import services
from gonghui.disputes.models import (
    Agreement,
    Attachment,
    Case,
    CaseCounter,
    Channel,
    Claim,
    ClaimKind,
    Instalment,
    LegalAid,
    LegalAidState,
    MediationRoom,
    MinimumWage,
    Outcome,
    Payment,
    ReferralIn,
    ReferralResult,
    RoomLevel,
    RoomStaff,
    Session,
    StaffKind,
    State,
    Target,
)
from gonghui.members.models import Category, Member
from gonghui.orgs.models import Org, OrgKind
from gonghui.stats import activity
from gonghui.stats.models import Activity

PERIOD = (dt.date(2018, 1, 1), dt.date(2022, 12, 31))
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Seed:
    received: int
    settled: int
    amount: Decimal
    legal_aid: int
    referred_in: int


# The seed documents' five-year figures (scale 1). CHOSEN marks what the seeds do not give: our
# plausible choice (received ≥ settled; referred-in about a fifth of what is received, as the
# city's 4,443 of about 13,800; legal aid in line with the districts that report it).
SEEDS: dict[str, Seed] = {
    "BL": Seed(received=7_065, settled=6_701, amount=Decimal("124000000"), legal_aid=420, referred_in=1_400),
    "YZ": Seed(received=1_380, settled=1_168, amount=Decimal("22390000"), legal_aid=232, referred_in=300),
    "FH": Seed(received=1_890, settled=1_755, amount=Decimal("98220000"), legal_aid=190, referred_in=380),
    "YY": Seed(received=1_760, settled=1_512, amount=Decimal("42000000"), legal_aid=602, referred_in=350),
}
CHOSEN = {"BL": ("legal_aid", "referred_in"), "YZ": ("received", "referred_in"),
          "FH": ("received", "legal_aid", "referred_in"), "YY": ("received", "referred_in")}

# Logins working in the district rooms: username → (district, kind).
STAFF = {
    "bl_mediator": ("BL", StaffKind.MEDIATOR), "bl_lawyer": ("BL", StaffKind.LAWYER),
    "yz_mediator": ("YZ", StaffKind.MEDIATOR), "yz_lawyer": ("YZ", StaffKind.LAWYER),
    "fh_mediator": ("FH", StaffKind.MEDIATOR), "yy_mediator": ("YY", StaffKind.MEDIATOR),
    "yy_lawyer": ("YY", StaffKind.LAWYER),
}
# The people behind those logins: the agreement's 调解员 line and the case pages read their names.
STAFF_NAMES = {
    "bl_mediator": "林晓燕", "bl_lawyer": "陈志远", "yz_mediator": "王丽华", "yz_lawyer": "张建国",
    "fh_mediator": "俞海波", "yy_mediator": "黄素芬", "yy_lawyer": "孙立伟",
}
ROOM_NAMES = {"BL": "北仑区总工会劳动关系调处中心（一窗受理）", "FH": "奉化区“360”劳动关系调处工作室",
              "YY": "余姚市“阿良工作室”", "YZ": "鄞州区“调裁诉”一体化调处中心"}
COURTS = {"BL": "宁波市北仑区人民法院", "YZ": "宁波市鄞州区人民法院", "FH": "宁波市奉化区人民法院",
          "YY": "余姚市人民法院"}
COMMISSIONS = {"BL": "宁波市北仑区劳动人事争议仲裁委员会", "YZ": "宁波市鄞州区劳动人事争议仲裁委员会",
               "FH": "宁波市奉化区劳动人事争议仲裁委员会", "YY": "余姚市劳动人事争议仲裁委员会"}
INDUSTRIES = (("制造业", 40), ("建筑业", 15), ("批发和零售业", 10), ("住宿和餐饮业", 8),
              ("交通运输、仓储和邮政业", 10), ("居民服务业", 7), ("信息技术服务业", 5), ("港口物流", 5))
NEW_FORM = ((Category.DELIVERY_RIDER, "交通运输、仓储和邮政业"), (Category.COURIER, "交通运输、仓储和邮政业"),
            (Category.RIDE_HAILING_DRIVER, "交通运输、仓储和邮政业"), (Category.TRUCK_DRIVER, "交通运输、仓储和邮政业"),
            (Category.DOMESTIC_WORKER, "居民服务业"), (Category.SECURITY_GUARD, "居民服务业"))
CLAIMS = ((ClaimKind.UNPAID_WAGES, 45), (ClaimKind.DISMISSAL_COMPENSATION, 15), (ClaimKind.OVERTIME, 10),
          (ClaimKind.WORK_INJURY, 12), (ClaimKind.SOCIAL_INSURANCE, 8), (ClaimKind.CONTRACT, 6), (ClaimKind.OTHER, 4))


def figures(code: str, scale: Decimal) -> Seed:
    seed = SEEDS[code]
    settled = scaled(seed.settled, scale)
    received = max(scaled(seed.received, scale), settled)
    return Seed(received=received, settled=settled,
                amount=(seed.amount * scale).quantize(CENT, rounding=ROUND_HALF_UP),
                legal_aid=min(scaled(seed.legal_aid, scale), received),
                referred_in=min(scaled(seed.referred_in, scale), received))


def split_amount(total: Decimal, parts: int, rng: random.Random) -> list[Decimal]:
    """``total`` in ``parts`` positive amounts (to the fen) that add up exactly; the last takes the remainder."""
    if parts <= 0:
        if total:
            raise ValueError("an amount without cases to carry it")
        return []
    weights = [Decimal(rng.randint(30, 170)) for _ in range(parts)]
    whole = sum(weights)
    amounts = [(total * w / whole).quantize(CENT, rounding=ROUND_HALF_UP) for w in weights[:-1]]
    amounts.append(total - sum(amounts, Decimal("0.00")))
    if amounts[-1] <= 0:  # rounding cannot make it so for any realistic figure; stay exact anyway
        amounts = [(total / parts).quantize(CENT, rounding=ROUND_HALF_UP)] * (parts - 1)
        amounts.append(total - sum(amounts, Decimal("0.00")))
    return amounts


def _pick(rng: random.Random, weighted):
    return rng.choices([v for v, _w in weighted], weights=[w for _v, w in weighted])[0]


# ---------------------------------------------------------------------------------------- load

def load(plan, nb: Org, log, password: str) -> None:
    log("Adding mediation rooms, mediators and dispute cases …")
    rng = random.Random(f"gonghui-demo:{plan.label}:disputes")
    districts = {org.code: org for org in Org.objects.filter(subtree_q(nb.path), depth=2, code__in=DISTRICT_CODES)}
    rooms = _rooms(districts, rng)
    users = _staff(rooms, password)
    builder = _Builder(rng, rooms)
    for code in SEEDS:
        if code in districts:
            builder.history(districts[code], figures(code, plan.scale))
    for code in SEEDS:
        if code in districts:
            builder.current(districts[code], users, nb)
    builder.save()
    log(f"  {builder.count:,} dispute cases in {len(rooms)} rooms; mediator logins: {', '.join(sorted(users))}")


def remove(nb: Org) -> None:
    """Delete the cases, rooms and statistics rows of the demo's unions, and its mediator logins."""
    cases = Case.objects.filter(subtree_q(nb.path, "org_path"))
    prefixes = set(Org.objects.filter(subtree_q(nb.path), depth__lte=2).values_list("code", flat=True))
    Payment.objects.filter(agreement__case__in=cases).delete()
    Instalment.objects.filter(agreement__case__in=cases).delete()
    for model in (Agreement, Claim, Session, ReferralIn, LegalAid):
        model.objects.filter(case__in=cases).delete()
    for attachment in Attachment.objects.filter(case__in=cases):
        attachment.file.delete(save=False)
    Attachment.objects.filter(case__in=cases).delete()
    cases.delete()
    RoomStaff.objects.filter(room__in=MediationRoom.objects.filter(subtree_q(nb.path, "org_path"))).delete()
    MediationRoom.objects.filter(subtree_q(nb.path, "org_path")).delete()
    MinimumWage.objects.filter(subtree_q(nb.path, "org_path")).delete()
    CaseCounter.objects.filter(prefix__in=prefixes).delete()
    Activity.objects.filter(subtree_q(nb.path), metric__in=list(services.METRICS)).delete()
    activity.refresh_totals(services.METRICS)
    acted = AuditEntry.objects.filter(actor__isnull=False).values("actor_id")
    get_user_model().objects.filter(username__in=list(STAFF)).exclude(pk__in=acted).delete()


# --------------------------------------------------------------------------------------- rooms

def _rooms(districts: dict[str, Org], rng: random.Random) -> dict[str, list[MediationRoom]]:
    """District → its rooms, the district room first."""
    wanted = []
    for code, district in districts.items():
        wanted.append(MediationRoom(org=district, org_path=district.path, code=f"{code}-TJ",
                                    name=ROOM_NAMES.get(code, f"{district.name}劳动关系调处工作室"),
                                    level=RoomLevel.DISTRICT, address=f"{district.name}职工服务中心"))
        towns = list(Org.objects.filter(subtree_q(district.path), depth=3, kind=OrgKind.TOWNSHIP).order_by("path")[:2])
        for n, town in enumerate(towns, 1):
            wanted.append(MediationRoom(org=town, org_path=town.path, code=f"{code}-TJ{n}",
                                        name=f"{town.name.removesuffix('总工会')}劳动关系调处工作室",
                                        level=RoomLevel.TOWNSHIP, address=f"{town.name}职工之家"))
        firm = Org.objects.filter(subtree_q(district.path), kind=OrgKind.ENTERPRISE).order_by("path").first()
        if firm is not None:
            wanted.append(MediationRoom(org=firm, org_path=firm.path, code=f"{code}-TJE",
                                        name=f"{firm.name.removesuffix('工会')}劳动争议调解委员会",
                                        level=RoomLevel.ENTERPRISE))
    MediationRoom.objects.bulk_create(wanted)
    rooms: dict[str, list[MediationRoom]] = defaultdict(list)
    for room in MediationRoom.objects.filter(code__in=[r.code for r in wanted]).order_by("code"):
        rooms[room.code.split("-")[0]].append(room)
    for code in rooms:
        rooms[code].sort(key=lambda r: (r.level != RoomLevel.DISTRICT, r.code))
    return rooms


def _staff(rooms: dict[str, list[MediationRoom]], password: str) -> dict[str, object]:
    User = get_user_model()
    encoded = make_password(password)
    users = {}
    for username, (code, kind) in STAFF.items():
        if code not in rooms:
            continue
        user, _ = User.objects.get_or_create(username=username)
        user.password, user.is_active, user.first_name = encoded, True, STAFF_NAMES[username]
        user.save(update_fields=["password", "is_active", "first_name"])
        RoomStaff.objects.get_or_create(room=rooms[code][0], user=user, kind=kind)
        users[username] = user
    return users


# --------------------------------------------------------------------------------------- cases

class _Builder:
    """Collects the rows and writes them in a few bulk inserts."""

    def __init__(self, rng: random.Random, rooms):
        self.rng, self.rooms = rng, rooms
        self.cases: list[Case] = []
        self.claims: list[list[tuple[str, Decimal]]] = []
        self.agreements: dict[int, dict] = {}  # index of the case → agreement, instalments, payments
        self.referrals: dict[int, dict] = {}
        self.legal_aid: dict[int, dict] = {}
        self.sessions: dict[int, list[dict]] = defaultdict(list)
        self.serials: dict[tuple[str, int], int] = defaultdict(int)
        self.count = 0

    # people ------------------------------------------------------------------------------
    def _people(self, district: Org, n: int) -> list[dict]:
        rows = list(Member.objects.filter(subtree_q(district.path, "org_path")).order_by("pk").values(
            "pk", "name", "id_hash", "id_cipher", "id_masked", "phone_hash", "phone_cipher", "phone_masked",
            "pii_key_id", "is_new_form", "category", "employer", "org__name", "org__credit_code")[:max(n, 1) * 3:3])
        if not rows:
            rows = list(Member.objects.filter(subtree_q(district.path, "org_path")).values(
                "pk", "name", "id_hash", "id_cipher", "id_masked", "phone_hash", "phone_cipher", "phone_masked",
                "pii_key_id", "is_new_form", "category", "employer", "org__name", "org__credit_code")[:max(n, 1)])
        return rows

    def _case(self, district: Org, person: dict | None, *, received: dt.datetime, channel: str, state: str,
              room: MediationRoom | None, claims: list[tuple[str, Decimal]], **fields) -> int:
        rng = self.rng
        day = timezone.localtime(received).date()
        prefix = district.code
        self.serials[(prefix, day.year)] += 1
        if person is not None and person["is_new_form"]:
            category = person["category"] or Category.DELIVERY_RIDER
            industry = dict(NEW_FORM).get(category, "交通运输、仓储和邮政业")
        else:
            category, industry = "", _pick(rng, INDUSTRIES)
        employer = ""
        credit = ""
        if person is not None:
            employer = person["employer"] or person["org__name"].removesuffix("工会")
            credit = person["org__credit_code"] or ""
        org = fields.pop("org", district)
        case = Case(
            number=services.format_case_number(prefix, day.year, self.serials[(prefix, day.year)]),
            channel=channel, state=state, org=org, org_path=org.path,
            room=room, room_path=room.org_path if room else "",
            applicant_member_id=person["pk"] if person else None,
            applicant_name=person["name"] if person else "王某",
            id_hash=person["id_hash"] if person else "", id_cipher=person["id_cipher"] if person else None,
            id_masked=person["id_masked"] if person else "",
            phone_hash=person["phone_hash"] if person else "", phone_cipher=person["phone_cipher"] if person else None,
            phone_masked=person["phone_masked"] if person else "", pii_key_id=person["pii_key_id"] if person else "",
            employer_name=employer or "宁波某制造有限公司", employer_credit_code=credit, industry=industry,
            is_new_form=bool(person and person["is_new_form"]), category=category,
            main_claim=max(enumerate(claims), key=lambda c: (c[1][1], -c[0]))[1][0],
            amount_claimed=sum((a for _k, a in claims), Decimal("0.00")),
            employment_start=day - dt.timedelta(days=rng.randint(90, 2000)),
            knew_on=day - dt.timedelta(days=rng.randint(3, 60)),
            received_at=received, received_on=day, **fields,
        )
        self.cases.append(case)
        self.claims.append(claims)
        self.count += 1
        return len(self.cases) - 1

    def _claims_for(self, amount: Decimal) -> list[tuple[str, Decimal]]:
        """What was claimed, at least what was agreed."""
        rng = self.rng
        claimed = (amount * Decimal(rng.randint(100, 140)) / 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
        claimed = max(claimed, amount)
        kind = _pick(rng, CLAIMS)
        if rng.random() < 0.3 and claimed > 1000:
            other = (claimed * Decimal("0.2")).quantize(CENT)
            second = ClaimKind.OVERTIME if kind != ClaimKind.OVERTIME else ClaimKind.SOCIAL_INSURANCE
            return [(kind, claimed - other), (second, other)]
        return [(kind, claimed)]

    def _when(self, start: dt.date, end: dt.date) -> dt.datetime:
        day = start + dt.timedelta(days=self.rng.randrange((end - start).days + 1))
        return timezone.make_aware(dt.datetime.combine(day, dt.time(8 + self.rng.randrange(9), self.rng.randrange(60))))

    # five years ------------------------------------------------------------------------
    def history(self, district: Org, seed: Seed) -> None:
        rng = self.rng
        people = self._people(district, seed.received)
        rooms = self.rooms[district.code]
        towns = [r for r in rooms if r.level == RoomLevel.TOWNSHIP]
        amounts = split_amount(seed.amount, seed.settled, rng)
        referred = set(rng.sample(range(seed.received), seed.referred_in))
        aided = set(rng.sample(range(seed.received), seed.legal_aid))
        start, end = PERIOD
        for n in range(seed.received):
            person = people[n % len(people)] if people else None
            settled = n < seed.settled
            # Settled cases are received early enough that the agreement falls in the period too.
            received = self._when(start, end - dt.timedelta(days=20 if settled else 0))
            room = rooms[0] if not towns or rng.random() < 0.6 else rng.choice(towns)
            org = room.org if room.level == RoomLevel.TOWNSHIP else district
            channel = (rng.choice([Channel.COURT, Channel.ARBITRATION]) if n in referred
                       else Channel.ONLINE if rng.random() < 0.35 else Channel.WINDOW)
            day = timezone.localtime(received).date()
            if settled:
                amount = amounts[n]
                signed = day + dt.timedelta(days=rng.randint(1, 14))
                i = self._case(district, person, received=received, channel=channel, state=State.CLOSED, room=room,
                               claims=self._claims_for(amount), org=org, settled_on=signed, outcome=Outcome.PAID,
                               closed_at=_at(signed + dt.timedelta(days=3)))
                self.agreements[i] = {"amount": amount, "signed_on": signed, "paid_on": signed,
                                      "instalments": [(signed, amount)], "payments": [(signed, amount)]}
                if channel != Channel.WINDOW and channel != Channel.ONLINE:
                    self.referrals[i] = self._referral(district, channel, day, ReferralResult.CONFIRMATION, signed)
            else:
                claims = self._claims_for(Decimal(rng.randint(3_000, 60_000)))
                fate = rng.random()
                if fate < 0.55:
                    failed = day + dt.timedelta(days=rng.randint(5, 15))
                    target = (Target.COURT if channel == Channel.COURT else Target.ARBITRATION)
                    i = self._case(district, person, received=received, channel=channel, state=State.CLOSED,
                                   room=room, claims=claims, org=org, failed_on=failed, outcome=Outcome.REFERRED,
                                   target=target, target_reason="双方分歧较大，调解不成",
                                   closed_at=_at(failed + dt.timedelta(days=1)))
                    if channel in (Channel.COURT, Channel.ARBITRATION):
                        self.referrals[i] = self._referral(district, channel, day, ReferralResult.RETURNED, failed)
                elif fate < 0.8 and channel not in (Channel.COURT, Channel.ARBITRATION):
                    i = self._case(district, person, received=received, channel=channel, state=State.CLOSED,
                                   room=None, claims=claims, org=org, target=Target.INSPECTION,
                                   target_reason="属劳动保障监察事项，移交劳动监察", outcome=Outcome.HANDED_ON,
                                   closed_at=received + dt.timedelta(days=1))
                else:
                    i = self._case(district, person, received=received, channel=channel, state=State.CLOSED,
                                   room=room, claims=claims, org=org, outcome=Outcome.WITHDRAWN,
                                   target_reason="申请人撤回申请", closed_at=received + dt.timedelta(days=3))
                    if channel in (Channel.COURT, Channel.ARBITRATION):
                        self.referrals[i] = self._referral(district, channel, day, ReferralResult.RETURNED,
                                                           day + dt.timedelta(days=3))
            if n in aided:
                accepted = min(day + dt.timedelta(days=1), end)
                self.legal_aid[i] = {"state": LegalAidState.DONE, "request": "请律师代写仲裁申请书并出具法律意见",
                                     "requested_at": received, "accepted_on": accepted,
                                     "done_on": accepted + dt.timedelta(days=5), "lawyer": None,
                                     "note": "已出具法律意见书"}

    def _referral(self, district: Org, channel: str, day: dt.date, result: str, result_on: dt.date) -> dict:
        body = COURTS[district.code] if channel == Channel.COURT else COMMISSIONS[district.code]
        prefix = "诉前调" if channel == Channel.COURT else "甬劳人仲委调"
        return {"source": channel, "body_name": body, "reference": f"（{day.year}）{prefix}{self.rng.randint(100, 9999)}号",
                "deadline": day + dt.timedelta(days=30), "result": result, "result_on": result_on}

    # now -------------------------------------------------------------------------------
    def current(self, district: Org, users: dict, nb: Org) -> None:
        """One open case in each state (and a few more) received in the last weeks."""
        today = timezone.localdate()
        people = self._people(district, 12)
        room = self.rooms[district.code][0]
        mediator = next((u for name, u in users.items() if STAFF[name] == (district.code, StaffKind.MEDIATOR)), None)
        lawyer = next((u for name, u in users.items() if STAFF[name] == (district.code, StaffKind.LAWYER)), None)

        def received(days_ago: int) -> dt.datetime:
            return _at(today - dt.timedelta(days=days_ago), hour=9 + days_ago % 8)

        def person(n):
            return people[n % len(people)] if people else None

        def claims(amount):
            return self._claims_for(Decimal(amount))

        self._case(district, person(0), received=received(1), channel=Channel.ONLINE, state=State.INTAKE, room=None,
                   claims=claims(8600), summary="平台拖欠两个月配送费")
        self._case(district, person(1), received=received(2), channel=Channel.WINDOW, state=State.INTAKE, room=None,
                   claims=claims(23000), summary="口头申请：公司未支付解除劳动合同经济补偿")
        self._case(district, person(2), received=received(4), channel=Channel.WINDOW, state=State.TRIAGED, room=room,
                   claims=claims(15000), mediator=mediator)
        self._case(district, person(3), received=received(6), channel=Channel.ONLINE, state=State.HANDED_ON,
                   room=None, claims=claims(5000), target=Target.INSPECTION, target_name="区劳动保障监察大队",
                   target_reason="用人单位未缴纳社会保险，属监察事项")
        i = self._case(district, person(4), received=received(8), channel=Channel.ONLINE, state=State.MEDIATING,
                       room=room, claims=claims(31000), mediator=mediator)
        self.sessions[i].append({"held_at": received(5), "place": room.address or room.name,
                                 "attendees": "申请人、用人单位人事经理、调解员",
                                 "minutes": "双方对加班时长有争议，约定下次带考勤记录。"})
        if lawyer is not None:
            self.legal_aid[i] = {"state": LegalAidState.REQUESTED, "request": "请驻站律师帮助计算加班费",
                                 "requested_at": received(7), "accepted_on": None, "done_on": None, "lawyer": None,
                                 "note": ""}
        # Past its 15 days: on the overdue list.
        self._case(district, person(5), received=received(20), channel=Channel.WINDOW, state=State.MEDIATING,
                   room=room, claims=claims(12000), mediator=mediator)
        i = self._case(district, person(6), received=received(9), channel=Channel.COURT, state=State.MEDIATING,
                       room=room, claims=claims(46000), mediator=mediator)
        self.referrals[i] = self._referral(district, Channel.COURT, today - dt.timedelta(days=9), "", None)
        # Settled: the first instalment paid, the second due next month.
        signed = today - dt.timedelta(days=10)
        i = self._case(district, person(7), received=received(18), channel=Channel.ONLINE, state=State.SETTLED,
                       room=room, claims=claims(20000), mediator=mediator, settled_on=signed)
        self.agreements[i] = {"amount": Decimal("18000.00"), "signed_on": signed, "paid_on": None,
                              "instalments": [(signed, Decimal("10000.00")), (today + dt.timedelta(days=20), Decimal("8000.00"))],
                              "payments": [(signed + dt.timedelta(days=1), Decimal("10000.00"))]}
        # Settled, an instalment past due and unpaid: overdue.
        signed = today - dt.timedelta(days=40)
        i = self._case(district, person(8), received=received(50), channel=Channel.WINDOW, state=State.SETTLED,
                       room=room, claims=claims(9000), mediator=mediator, settled_on=signed)
        self.agreements[i] = {"amount": Decimal("9000.00"), "signed_on": signed, "paid_on": None,
                              "instalments": [(signed + dt.timedelta(days=10), Decimal("4500.00")),
                                              (signed + dt.timedelta(days=30), Decimal("4500.00"))],
                              "payments": [(signed + dt.timedelta(days=9), Decimal("4500.00"))]}
        signed = today - dt.timedelta(days=25)
        i = self._case(district, person(9), received=received(35), channel=Channel.ONLINE, state=State.PAID,
                       room=room, claims=claims(6000), mediator=mediator, settled_on=signed)
        self.agreements[i] = {"amount": Decimal("5600.00"), "signed_on": signed, "paid_on": signed,
                              "instalments": [(signed, Decimal("5600.00"))], "payments": [(signed, Decimal("5600.00"))]}
        signed = today - dt.timedelta(days=60)
        i = self._case(district, person(10), received=received(70), channel=Channel.WINDOW, state=State.UNPAID,
                       room=room, claims=claims(40000), mediator=mediator, settled_on=signed,
                       target_reason="用人单位逾期未履行，已电话催告两次")
        self.agreements[i] = {"amount": Decimal("36000.00"), "signed_on": signed, "paid_on": None,
                              "instalments": [(signed + dt.timedelta(days=15), Decimal("36000.00"))], "payments": []}
        self._case(district, person(11), received=received(30), channel=Channel.WINDOW, state=State.FAILED,
                   room=room, claims=claims(70000), mediator=mediator, failed_on=today - dt.timedelta(days=12),
                   target_reason="用人单位不同意支付经济补偿")
        self._case(district, person(0), received=received(45), channel=Channel.ARBITRATION, state=State.REFERRED,
                   room=room, claims=claims(26000), mediator=mediator, failed_on=today - dt.timedelta(days=30),
                   target=Target.ARBITRATION, target_name=COMMISSIONS[district.code], target_reason="调解不成，退回仲裁")
        self._case(district, person(1), received=received(80), channel=Channel.ONLINE, state=State.CLOSED,
                   room=room, claims=claims(3000), outcome=Outcome.WITHDRAWN, target_reason="已与公司自行和解",
                   closed_at=received(75))
        if district.code == "YZ":
            self._worker_case(nb, district, room, mediator)

    def _worker_case(self, nb: Org, district: Org, room: MediationRoom, mediator) -> None:
        """The ``worker`` demo login's own case, in mediation (the login itself is completed by the demo)."""
        from gonghui.demo.services import _worker_member

        member = _worker_member(nb)
        if member is None:
            return
        user, _ = get_user_model().objects.get_or_create(username="worker")
        person = Member.objects.filter(pk=member.pk).values(
            "pk", "name", "id_hash", "id_cipher", "id_masked", "phone_hash", "phone_cipher", "phone_masked",
            "pii_key_id", "is_new_form", "category", "employer", "org__name", "org__credit_code").first()
        today = timezone.localdate()
        i = self._case(district, person, received=_at(today - dt.timedelta(days=3)), channel=Channel.ONLINE,
                       state=State.MEDIATING, room=room, claims=[(ClaimKind.UNPAID_WAGES, Decimal("7600.00"))],
                       mediator=mediator, summary="站点拖欠上月配送费，多次催要未果")
        self.cases[i].applicant_user = user

    # write -------------------------------------------------------------------------------
    def save(self) -> None:
        Case.objects.bulk_create(self.cases, batch_size=1000)
        Claim.objects.bulk_create((Claim(case=case, kind=kind, amount=amount)
                                   for case, lines in zip(self.cases, self.claims, strict=True)
                                   for kind, amount in lines), batch_size=2000)
        agreements = [Agreement(case=self.cases[i], amount=a["amount"], signed_on=a["signed_on"],
                                paid_amount=sum((p for _d, p in a["payments"]), Decimal("0.00")), paid_on=a["paid_on"],
                                terms="用人单位按约定期限向申请人支付款项，双方就本争议再无其他纠纷。")
                      for i, a in self.agreements.items()]
        Agreement.objects.bulk_create(agreements, batch_size=1000)
        instalments, payments = [], []
        for agreement, a in zip(agreements, self.agreements.values(), strict=True):
            paid_left = agreement.paid_amount
            for seq, (due, amount) in enumerate(a["instalments"], 1):
                take = min(paid_left, amount)
                paid_left -= take
                instalments.append(Instalment(agreement=agreement, seq=seq, due_on=due, amount=amount, paid_amount=take,
                                              paid_on=a["payments"][-1][0] if take == amount and a["payments"] else None))
            payments += [Payment(agreement=agreement, amount=amount, paid_on=day) for day, amount in a["payments"]]
        Instalment.objects.bulk_create(instalments, batch_size=2000)
        Payment.objects.bulk_create(payments, batch_size=2000)
        ReferralIn.objects.bulk_create((ReferralIn(case=self.cases[i], **r) for i, r in self.referrals.items()),
                                       batch_size=1000)
        LegalAid.objects.bulk_create((LegalAid(case=self.cases[i], **a) for i, a in self.legal_aid.items()),
                                     batch_size=1000)
        Session.objects.bulk_create(Session(case=self.cases[i], **s) for i, rows in self.sessions.items() for s in rows)
        counters = [CaseCounter(prefix=p, year=y, last=n) for (p, y), n in self.serials.items()]
        CaseCounter.objects.bulk_create(counters)
        deltas = activity.Deltas()
        for case in self.cases:
            deltas.update(services.case_received_deltas(case))
        for agreement in agreements:
            deltas.update(services.case_settled_deltas(agreement.case, agreement.amount, agreement.signed_on))
        for i, aid in self.legal_aid.items():
            if aid["accepted_on"] is not None:
                deltas.update(services.legal_aid_deltas(self.cases[i], aid["accepted_on"]))
        activity.add(deltas)


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))
