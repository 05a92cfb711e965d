"""The member database's part of the demo: requests waiting in the cadres' queues.

Without it the join and transfer queues of a fresh `make run` are empty. ``load`` adds, for the
same scale always the same:

- online join applications (入会申请) waiting in grassroots and new-form unions of YZ and BL,
  one refused and one approved long ago (its member is an existing demo member, now linked to the
  applicant's account);
- transfers between districts asked online by members who changed jobs (会员转移), waiting for
  the receiving union.

Applicants are accounts as the SMS sign-up makes them (no password, a verified mobile kept as
hash, ciphertext and masked form); their ID numbers and mobiles go through ``core.pii`` like
real ones. Nothing here changes a member count: pending requests move nobody, and the approved
application is attached to a member who is already counted. No audit lines: the demo's load is
one audit line (``demo.load``).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from gonghui.core import pii
from gonghui.core.ids import make_id_number, mask_id_number, mask_phone
from gonghui.core.models import AccountPhone, AuditEntry
from gonghui.core.paths import subtree_q
from gonghui.members.models import (
    Category,
    JoinApplication,
    JoinStatus,
    Member,
    MemberStatus,
    Transfer,
    TransferSource,
    TransferStatus,
)
from gonghui.orgs.models import FEDERATION_KINDS, Org, OrgKind

USERNAME_PREFIX = "demo-joiner-"
# Districts whose cadres (demo logins yz and bl) find requests waiting, and how many.
JOIN_DISTRICTS = ("YZ", "BL")
PENDING_PER_UNION_KIND = 2  # in a grassroots union and in a new-form union of each district
# (from, to) districts of the transfers asked online; members are taken from the first.
TRANSFER_ROUTES = (("BL", "YZ"), ("FH", "YZ"), ("YY", "BL"), ("HS", "BL"))
REFUSAL = "未能核实工作单位，请上传劳动合同或平台注册截图后重新申请。"
EMPLOYERS = {
    Category.DELIVERY_RIDER: ("美团外卖", "饿了么"),
    Category.COURIER: ("顺丰速运", "中通快递", "京东物流"),
    Category.RIDE_HAILING_DRIVER: ("滴滴出行", "曹操出行"),
    "": ("宁波海天塑机有限公司", "宁波博洋家纺有限公司", "宁波舟山港集装箱码头"),
}


@dataclass(frozen=True)
class Applicant:
    name: str
    id_number: str
    phone: str
    category: str


def load(plan, nb: Org, log, password: str) -> None:
    log("Adding join applications and transfers to the cadres' queues …")
    rng = random.Random(f"gonghui-demo:{plan.label}:member-requests")
    people = _People(rng)
    now = timezone.now()
    ago = iter(dt.timedelta(hours=h) for h in range(3, 24 * 60, 7))  # requests sent over the last weeks
    unions = {code: _grassroots(code, nb) for code in JOIN_DISTRICTS}
    for code in JOIN_DISTRICTS:
        ordinary = [org for org in unions[code] if org.kind != OrgKind.NEW_FORM]
        new_form = [org for org in unions[code] if org.kind == OrgKind.NEW_FORM]
        for pool in (ordinary, new_form):
            for org in rng.sample(pool, min(PENDING_PER_UNION_KIND, len(pool))):
                _application(people, people.new(_category_of(org, rng)), org, sent=now - next(ago))
    if unions["YZ"]:
        org = unions["YZ"][-1]
        sent = now - next(ago) - dt.timedelta(days=20)
        _application(people, people.new(_category_of(org, rng)), org, sent=sent, status=JoinStatus.REFUSED,
                     reason=REFUSAL, decided=sent + dt.timedelta(days=1))
    _approved_application(people, unions["BL"])
    for source, target in TRANSFER_ROUTES:
        _transfer(people, nb, source, target, sent=now - next(ago))


def remove(nb: Org) -> None:
    """Delete every join application and transfer of the demo's unions, and the applicants' accounts."""
    JoinApplication.objects.filter(subtree_q(nb.path, "org_path")).delete()
    Transfer.objects.filter(subtree_q(nb.path, "to_path") | subtree_q(nb.path, "from_path")).delete()
    acted = AuditEntry.objects.filter(actor__isnull=False).values("actor_id")
    # An applicant account that has acted since (applied again, withdrew…) stays: the audit log refers to it.
    get_user_model().objects.filter(username__startswith=USERNAME_PREFIX).exclude(pk__in=acted).delete()


# ---------------------------------------------------------------------------------------------


class _People:
    """New applicants: names like the demo's members, ID numbers and mobiles that nobody has."""

    def __init__(self, rng: random.Random):
        from gonghui.demo import pools
        from gonghui.demo.places import DISTRICTS

        self.rng, self.pools = rng, pools
        self.names = pools.person_names()
        self.regions = [d.region for d in DISTRICTS]
        self.accounts = 0

    def new(self, category: str) -> Applicant:
        rng = self.rng
        male = rng.random() < (0.2 if category in (Category.CARE_WORKER, Category.DOMESTIC_WORKER) else 0.85)
        while True:
            birth = dt.date(1972, 1, 1) + dt.timedelta(days=rng.randrange(32 * 365))
            sequence = rng.randrange(1, 500) * 2 - (1 if male else 0)  # odd: a man, even: a woman
            number = make_id_number(rng.choice(self.regions), birth, sequence)
            digest = pii.digest("id", number)
            if not (Member.objects.filter(id_hash=digest).exists()
                    or JoinApplication.objects.filter(id_hash=digest).exists()):
                break
        while True:
            phone = f"{rng.choice(self.pools.PHONE_PREFIXES)}{rng.randrange(10**8):08d}"
            if not AccountPhone.objects.filter(phone_hash=pii.digest("phone", phone)).exists():
                break
        era = "new" if birth.year >= 1985 else "old"
        sex = "M" if male else "F"
        name = (self.names.surnames[rng.getrandbits(self.pools.POOL_BITS)]
                + self.names.given[(sex, era)][rng.getrandbits(self.pools.POOL_BITS)])
        return Applicant(name=name, id_number=number, phone=phone, category=category)

    def account(self, name: str, *, phone_hash: str, phone_cipher: bytes, phone_masked: str, key_id: str,
                verified: dt.datetime):
        """An account as a verified SMS code makes it: no password, the mobile protected."""
        User = get_user_model()
        while True:  # an applicant account kept from an earlier demo (it acted since) keeps its name
            self.accounts += 1
            username = f"{USERNAME_PREFIX}{self.accounts:02d}"
            if not User.objects.filter(username=username).exists():
                break
        user = User.objects.create_user(username=username, first_name=name)
        AccountPhone.objects.create(user=user, phone_hash=phone_hash, phone_cipher=phone_cipher,
                                    phone_masked=phone_masked, pii_key_id=key_id, verified_at=verified)
        return user

    def employer(self, category: str, org: Org | None = None) -> str:
        if org is not None and org.kind == OrgKind.ENTERPRISE:  # its own company, named in the union's name
            return org.name.removesuffix("工会委员会").removesuffix("工会") or org.name
        choices = EMPLOYERS.get(category, EMPLOYERS[""])
        named = [brand for brand in choices if org is not None and brand in org.name]  # 美团外卖…站点骑手工会
        return named[0] if named else self.rng.choice(choices)


def _grassroots(code: str, nb: Org) -> list[Org]:
    """The unions of a district that take members directly, in tree order."""
    district = Org.objects.filter(subtree_q(nb.path, "path"), code=code).first()
    if district is None:
        return []
    return list(Org.objects.filter(subtree_q(district.path, "path"))
                .exclude(kind__in=FEDERATION_KINDS).order_by("path"))


def _category_of(org: Org, rng: random.Random) -> str:
    if org.kind == OrgKind.NEW_FORM:
        from gonghui.demo.pools import NEW_FORM_KINDS

        # A new-form union's name tells its group (站点骑手, 网约车司机 …).
        for kind in NEW_FORM_KINDS:
            stem = kind.name.rsplit("}", 1)[-1][:4]
            if stem and stem in org.name:
                return kind.category
        return Category.COURIER
    return rng.choice(("", "", Category.DELIVERY_RIDER))


def _application(people: _People, person: Applicant, org: Org, *, sent: dt.datetime,
                 status: str = JoinStatus.PENDING, reason: str = "", decided: dt.datetime | None = None) -> None:
    ident = pii.protect("id", person.id_number, mask_id_number(person.id_number))
    phone = pii.protect("phone", person.phone, mask_phone(person.phone))  # same key as the ID number
    applicant = people.account(person.name, phone_hash=phone.hash, phone_cipher=phone.cipher,
                               phone_masked=phone.masked, key_id=phone.key_id, verified=sent)
    application = JoinApplication.objects.create(
        applicant=applicant, org=org, org_path=org.path, name=person.name, id_hash=ident.hash,
        id_cipher=ident.cipher, id_masked=ident.masked, phone_hash=phone.hash, phone_cipher=phone.cipher,
        phone_masked=phone.masked, pii_key_id=ident.key_id, employer=people.employer(person.category, org),
        category=person.category, is_new_form=bool(person.category), status=status, reason=reason,
        decided_at=decided,
    )
    JoinApplication.objects.filter(pk=application.pk).update(created_at=sent)  # auto_now_add on create


def _candidates(unions: list[Org] | Org, **filters):
    """Counted members with a mobile and no account, oldest rows first (the same for the same scale)."""
    paths = [unions.path] if isinstance(unions, Org) else [org.path for org in unions]
    where = Q(pk__in=[])
    for path in paths:
        where |= subtree_q(path, "org_path")
    return (Member.objects.filter(where, status=MemberStatus.ACTIVE, user__isnull=True, **filters)
            .exclude(phone_hash="").exclude(transfers__status=TransferStatus.PENDING)
            .exclude(phone_hash__in=AccountPhone.objects.values("phone_hash")).order_by("id"))


def _approved_application(people: _People, unions: list[Org]) -> None:
    """A member of a new-form union who joined online: the approved application, their account linked."""
    new_form = [org for org in unions if org.kind == OrgKind.NEW_FORM] or unions
    member = _candidates(new_form).exclude(org_since__isnull=False).order_by("-joined_on", "id").first()
    if member is None:
        return
    joined = timezone.make_aware(dt.datetime.combine(member.joined_on, dt.time(10, 30)))
    applicant = people.account(member.name, phone_hash=member.phone_hash, phone_cipher=member.phone_cipher,
                               phone_masked=member.phone_masked, key_id=member.pii_key_id,
                               verified=joined - dt.timedelta(days=2))
    application = JoinApplication.objects.create(
        applicant=applicant, org_id=member.org_id, org_path=member.org_path, name=member.name,
        id_hash=member.id_hash, id_cipher=member.id_cipher, id_masked=member.id_masked,
        phone_hash=member.phone_hash, phone_cipher=member.phone_cipher, phone_masked=member.phone_masked,
        pii_key_id=member.pii_key_id, employer=member.employer or people.employer(member.category),
        category=member.category, is_new_form=member.is_new_form, status=JoinStatus.APPROVED, decided_at=joined,
        member=member,
    )
    JoinApplication.objects.filter(pk=application.pk).update(created_at=joined - dt.timedelta(days=2))
    Member.objects.filter(pk=member.pk).update(user=applicant)


def _transfer(people: _People, nb: Org, source: str, target: str, *, sent: dt.datetime) -> None:
    """A member of ``source`` who took a job in ``target`` and asked online to move there."""
    from_district = Org.objects.filter(subtree_q(nb.path, "path"), code=source).first()
    to_unions = _grassroots(target, nb)
    if from_district is None or not to_unions:
        return
    members = list(_candidates(from_district)[:50])
    if not members:
        return
    member = people.rng.choice(members)
    to_org = people.rng.choice(to_unions)
    category = _category_of(to_org, people.rng)
    employer = people.employer(category, to_org)
    requester = people.account(member.name, phone_hash=member.phone_hash, phone_cipher=member.phone_cipher,
                               phone_masked=member.phone_masked, key_id=member.pii_key_id, verified=sent)
    transfer = Transfer.objects.create(
        member=member, from_org_id=member.org_id, to_org=to_org, from_path=member.org_path, to_path=to_org.path,
        source=TransferSource.JOIN, note=employer, requested_by=requester, released_at=sent,
        changes={"name": member.name, "employer": employer, "category": category, "is_new_form": bool(category)},
    )
    Transfer.objects.filter(pk=transfer.pk).update(requested_at=sent)
