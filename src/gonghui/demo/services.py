"""Load the demo: one transaction, one audit line, the same data for the same scale.

A load is recognised by its audit line (action ``demo.load``, with the scale and the id of the
NB union it created): asking again for the loaded scale changes nothing; another scale replaces
the demo's unions and members (never the audit log). An NB union that no demo load created is
never touched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, connection, models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils import timezone

from gonghui.core import audit
from gonghui.core.dates import end_of_last_year
from gonghui.core.models import AuditEntry, Role, RoleKind
from gonghui.core.paths import subtree_q, upper_bound
from gonghui.demo import bulk, extensions
from gonghui.demo.calibration import CITY_CODE, DemoError, Figures, Plan, make_plan
from gonghui.demo.identity import IdSpace, city_regions, district_regions
from gonghui.demo.people import MemberRows
from gonghui.demo.places import DISTRICT_CODES, DISTRICTS, MIGRANT_REGIONS
from gonghui.demo.tree import CityTree, DistrictTree, build_city, child_path
from gonghui.members.models import Category, Member, MemberStatus
from gonghui.orgs.models import Org, OrgKind
from gonghui.stats import tallies

DEFAULT_PASSWORD = "gonghui-demo"
ACTION = "demo.load"
CADRES = {"nb": "NB", "yz": "YZ", "bl": "BL", "fh": "FH", "yy": "YY"}
WORKER_DISTRICT = "YZ"

Log = Callable[[str], None]


@dataclass(frozen=True)
class Login:
    username: str
    what: str


@dataclass
class DemoResult:
    plan: Plan
    loaded: bool  # False: this scale was there already and nothing changed
    replaced: str | None = None  # the scale that was there before
    rows: int = 0  # member rows written, those who left included
    seconds: float = 0.0
    logins: list[Login] = field(default_factory=list)


class LoadedDemo(NamedTuple):
    nb: Org
    scale: str


def demo_load(*, scale: Decimal, password: str, log: Log = lambda _: None) -> DemoResult:
    """Load the demo at ``scale`` (or see that it is loaded), with its logins; one transaction."""
    started = time.monotonic()
    plan = make_plan(scale, DISTRICT_CODES)
    with transaction.atomic():
        existing = _existing_demo()
        if existing is not None and existing.scale == plan.label:
            logins = ensure_users(password=password, nb=existing.nb)
            return DemoResult(plan=plan, loaded=False, logins=logins, seconds=time.monotonic() - started)
        if existing is not None:
            log(f"Removing the demo of scale {existing.scale} …")
            _remove(existing.nb)
        nb, rows = _build(plan, log)
        log("Counting the subtree tallies …")
        tallies.rebuild()
        extensions.load_all(plan, nb, log, password)
        year_end = end_of_last_year(timezone.localdate())
        log(f"Keeping the tallies as of {year_end} (the workbench compares with them) …")
        tallies.take_snapshot(year_end)
        logins = ensure_users(password=password, nb=nb)
        replaced = existing.scale if existing else None
        audit.record(actor=None, action=ACTION, obj=nb, org_path=nb.path, data={
            "scale": plan.label, "nb": nb.pk, "orgs": plan.city.orgs, "members": plan.city.members,
            "rows": rows, "replaced": replaced, "seconds": round(time.monotonic() - started, 1),
        })
    bulk.vacuum_after_big_load(rows)
    return DemoResult(plan=plan, loaded=True, replaced=replaced, rows=rows, logins=logins,
                      seconds=time.monotonic() - started)


def _existing_demo() -> LoadedDemo | None:
    """The loaded demo; None when there is none; DemoError for an NB that no demo load created."""
    nb = Org.objects.filter(code=CITY_CODE).first()
    if nb is None:
        return None
    entry = AuditEntry.objects.filter(action=ACTION).order_by("-seq").first()
    if entry is None or entry.data.get("nb") != nb.pk:
        raise DemoError(
            f"A union with the code {CITY_CODE} exists that the demo did not create; the demo will not "
            "overwrite it. Load the demo into an empty database."
        )
    return LoadedDemo(nb, entry.data["scale"])


def _build(plan: Plan, log: Log) -> tuple[Org, int]:
    """Insert the tree and its members; return NB and the number of member rows."""
    log(f"Building the union tree ({plan.city.orgs:,} unions) …")
    tree = build_city(plan, _next_root_path())
    try:
        bulk.insert_orgs(tree.orgs)
    except IntegrityError as exc:
        raise DemoError(f"A demo union code is already used by another union ({exc}).") from None
    rows = _insert_members(tree, plan, log)
    return Org.objects.get(pk=tree.root.pk), rows


def _next_root_path() -> str:
    last = Org.objects.filter(depth=1).order_by("-path").values_list("path", flat=True).first()
    step = 0
    for char in last or "":
        step = step * len(Org.alphabet) + Org.alphabet.index(char)
    return child_path("", step + 1)


def _insert_members(tree: CityTree, plan: Plan, log: Log) -> int:
    first_id = (Member.objects.aggregate(m=models.Max("id"))["m"] or 0) + 1
    stamp = bulk.created_stamp(timezone.now())
    sources = []
    for part in tree.parts:
        rows = MemberRows(part, _id_space(part), scale_label=plan.label, first_id=first_id, stamp=stamp)
        _check_counts(part, rows)
        sources.append(rows)
        first_id += rows.count
    with bulk.bare_member_table(sum(rows.count for rows in sources), log):
        written = bulk.insert_members(sources, log)
    bulk.reset_member_ids()
    bulk.analyze()
    return written


def _id_space(part: DistrictTree) -> IdSpace:
    ningbo = [d.region for d in DISTRICTS]
    if part.district is None:
        return IdSpace(part.part, city_regions(ningbo, MIGRANT_REGIONS))
    return IdSpace(part.part, district_regions(part.district.region, ningbo, MIGRANT_REGIONS))


def _check_counts(part: DistrictTree, rows: MemberRows) -> None:
    """The generated counts must be the plan's, or the demo would silently miss its targets."""
    actual = Figures(
        orgs=len(part.orgs),
        members=sum(u.active for u in rows.plan),
        new_form_orgs=sum(org.is_new_form for org in part.orgs),
        new_form_members=sum(u.new_form for u in rows.plan),
    )
    if actual != part.figures:
        raise RuntimeError(f"demo generator: {part.district} has {actual}, planned {part.figures}")
    if rows.count > _id_space(part).size:
        raise DemoError("More members than synthetic ID numbers: lower the scale.")


def _remove(nb: Org) -> None:
    """Delete the demo's members and unions, and what other apps hang on them, set-based."""
    members = Member.objects.filter(subtree_q(nb.path, "org_path"))
    try:
        extensions.remove_all(nb)
        _detach(Member, members)
        lower, upper = nb.path, upper_bound(nb.path)
        table = connection.ops.quote_name(Member._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE org_path >= %s AND org_path < %s", [lower, upper])
        Org.objects.filter(pk=nb.pk).delete()  # treebeard deletes the subtree; roles go with it
        tallies.drop_snapshots()  # they counted the members just removed; the new demo takes its own
    except (ProtectedError, RestrictedError, IntegrityError) as exc:
        raise DemoError(
            f"Other records refer to the demo's unions or members, so the demo cannot be replaced ({exc}). "
            "Load another scale into an empty database."
        ) from None


def _detach(model, rows) -> None:
    """Apply each reverse relation's on_delete to the rows that refer to ``rows``."""
    for rel in model._meta.related_objects:
        if rel.many_to_many:
            continue  # the database refuses the delete below; _remove turns that into a message
        related = rel.related_model._base_manager.filter(**{f"{rel.field.name}__in": rows.values("pk")})
        if rel.on_delete is models.CASCADE:
            related.delete()
        elif rel.on_delete is models.SET_NULL:
            related.update(**{rel.field.name: None})
        elif related.exists():
            raise DemoError(f"{rel.related_model._meta.verbose_name_plural} refer to demo members; "
                            "the demo cannot be replaced. Load another scale into an empty database.")


def ensure_users(*, password: str, nb: Org) -> list[Login]:
    """The demo logins and their roles; nothing is written when they are already as they should be."""
    User = get_user_model()
    orgs = {org.code: org for org in Org.objects.filter(code__in=set(CADRES.values()))}
    wanted = [("admin", dict(is_superuser=True, is_staff=True, first_name="系统管理员"), "superuser")]
    for username, code in CADRES.items():
        wanted.append((username, dict(is_superuser=False, is_staff=False, first_name=f"{orgs[code].name}干部"),
                       f"cadre of {orgs[code].name} ({code})"))
    worker_member = _worker_member(nb)
    worker_name = worker_member.name if worker_member else ""
    wanted.append(("worker", dict(is_superuser=False, is_staff=False, first_name=worker_name),
                   f"member {worker_member.card_number if worker_member else ''} of "
                   f"{worker_member.org.name if worker_member else '-'}"))
    passwords = _Passwords(password)
    users = {}
    for username, flags, _what in wanted:
        user, _ = User.objects.get_or_create(username=username, defaults=flags)
        changed = [k for k, v in {**flags, "is_active": True}.items() if getattr(user, k) != v]
        for key in changed:
            setattr(user, key, flags.get(key, True))
        if passwords.update(user):
            changed.append("password")
        if changed:
            user.save(update_fields=changed)
        users[username] = user
    for username, code in CADRES.items():
        Role.objects.get_or_create(user=users[username], org=orgs[code], kind=RoleKind.CADRE)
    if worker_member is not None and worker_member.user_id != users["worker"].pk:
        Member.objects.filter(user=users["worker"]).update(user=None)
        Member.objects.filter(pk=worker_member.pk).update(user=users["worker"])
    return [Login(username, what) for username, _flags, what in wanted]


class _Passwords:
    """Hash the password once for all demo users (hashing is slow on purpose) and check each
    distinct stored hash once, so a second run neither slows down nor rewrites anything."""

    def __init__(self, password: str):
        self.password = password
        self.encoded: str | None = None
        self.checked: dict[str, bool] = {}

    def update(self, user) -> bool:
        stored = user.password or ""
        if stored not in self.checked:
            self.checked[stored] = bool(stored) and check_password(self.password, stored)
        if self.checked[stored]:
            return False
        self.encoded = self.encoded or make_password(self.password)
        user.password = self.encoded
        return True


def _worker_member(nb: Org) -> Member | None:
    """The worker login's member: a food-delivery rider of a new-form union in YZ if there is one."""
    linked = Member.objects.select_related("org").filter(user__username="worker", status=MemberStatus.ACTIVE).first()
    if linked is not None and linked.org_path.startswith(nb.path):
        return linked
    district = Org.objects.filter(code=WORKER_DISTRICT).first()
    if district is None:
        return None
    base = Member.objects.select_related("org").filter(
        subtree_q(district.path, "org_path"), status=MemberStatus.ACTIVE, user__isnull=True
    )
    for wanted in (dict(org__kind=OrgKind.NEW_FORM, category=Category.DELIVERY_RIDER), dict(org__kind=OrgKind.NEW_FORM),
                   dict(is_new_form=True, category=Category.DELIVERY_RIDER), dict(is_new_form=True), {}):
        member = base.filter(**wanted).order_by("id").first()
        if member is not None:
            return member
    return None


def demo_summary(plan: Plan) -> list[tuple[str, str, Figures]]:
    """(code, name, figures) of the city and each district, as loaded."""
    rows = [(CITY_CODE, "宁波市总工会", plan.city)]
    rows += [(d.code, d.union_name, plan.districts[d.code]) for d in DISTRICTS]
    if plan.city_unions.orgs:
        rows.append(("NBI…", "市级行业工会", plan.city_unions))
    return rows

