"""Every write of the activities engine: one transaction each, an audit line each, figures added
to the statistics ledger in the same transaction.

Exact under a rush: a first-come place is claimed by one conditional UPDATE
(``taken = taken + 1 WHERE taken < capacity``), atomic on PostgreSQL (the row lock, re-checked
after a concurrent commit) and on SQLite (one writer at a time), backed by a CHECK constraint;
the registration row is inserted in the same transaction, and the partial UNIQUE on a member's
live registration rolls a second claim of the same person back with its place.

A refusal is a ValidationError whose ``code`` is a reason (``REASONS``); nothing is written then.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Iterable, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy

from gonghui.activities import codes, rules
from gonghui.activities.models import (
    HOLDS_PLACE,
    LIVE,
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
from gonghui.core import audit
from gonghui.core.scope import Perm, require, scope_for
from gonghui.members.models import Category, Member, MemberStatus
from gonghui.orgs.models import Org
from gonghui.stats import activity as ledger

REASONS = {
    "full": gettext_lazy("All places are taken."),
    "duplicate": gettext_lazy("You are already registered for this activity."),
    "outside_subtree": gettext_lazy("This activity is for members of another union."),
    "outside_groups": gettext_lazy("This activity is for other groups of workers."),
    "not_new_form": gettext_lazy("This activity is for new-form workers only."),
    "women_only": gettext_lazy("This activity is for women workers only."),
    "not_eligible": gettext_lazy("This activity is for members holding a standing eligibility you do not hold."),
    "not_member": gettext_lazy("Only union members can register."),
    "not_open_yet": gettext_lazy("Registration has not opened yet."),
    "closed": gettext_lazy("Registration has closed."),
    "no_registration": gettext_lazy("This activity needs no registration: just come."),
    "named_by_union": gettext_lazy("Places of this activity are given by the unions within their shares."),
    "cancelled_activity": gettext_lazy("This activity has been cancelled."),
    "not_live": gettext_lazy("This registration is no longer active."),
    "not_offered": gettext_lazy("No place is offered to you now, or the offer has lapsed."),
    "already_drawn": gettext_lazy("The draw has already been run."),
    "draw_too_early": gettext_lazy("The draw can be run once registration has closed."),
    "not_lottery": gettext_lazy("Only a lottery activity is drawn."),
    "not_allocated": gettext_lazy("Only an allocated activity has shares."),
    "share_full": gettext_lazy("All places of this union's share are named."),
    "shares_exceed": gettext_lazy("The shares would exceed the activity's places."),
    "share_below_named": gettext_lazy("A share cannot be less than the members already named in it."),
    "outside_share": gettext_lazy("The member does not belong to this union's subtree."),
    "quota_below_taken": gettext_lazy("The places cannot be fewer than those already given."),
    "session_past": gettext_lazy("A session cannot start in the past."),
    "forged_code": gettext_lazy("This code is not valid: it was altered or not issued by the union."),
    "portal_card": gettext_lazy("This is the card number code; open 'My activities' and show the check-in code."),
    "not_registered": gettext_lazy("This member holds no confirmed place for this activity."),
    "invalid": gettext_lazy("Invalid input."),
}


def refuse(code: str, message=None, *, field: str | None = None) -> ValidationError:
    error = ValidationError(str(message or REASONS[code]), code=code)
    return ValidationError({field: [error]}) if field else error


def reason_of(exc: ValidationError) -> str:
    errors = exc.error_list if not hasattr(exc, "error_dict") else [e for v in exc.error_dict.values() for e in v]
    for error in errors:
        if error.code in REASONS:
            return error.code
    return "invalid"


def _now(now: dt.datetime | None = None) -> dt.datetime:
    return now or timezone.now()


def _day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def audience_key(activity: Activity) -> str:
    """The audience of an activity in one word, the ``audience`` breakdown of its figures."""
    if activity.audience_eligibility:
        return activity.audience_eligibility
    if activity.audience_new_form:
        return "new_form"
    if activity.audience_women:
        return "women"
    if activity.audience_categories:
        return "groups"
    return "all"


def _deltas(activity: Activity, path: str, day: dt.date, metric: str, n: int = 1) -> None:
    deltas = ledger.Deltas()
    for dim, key in (("", ""), ("kind", activity.kind.code), ("audience", audience_key(activity))):
        deltas.add(path, day, metric, n=n, dim=dim, key=key)
    ledger.add(deltas)


def person_of(member: Member, *, on: dt.date | None = None) -> rules.Person:
    on = on or timezone.localdate()
    held = StandingEligibility.objects.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on), member=member)
    return rules.Person(org_path=member.org_path, category=member.category, is_new_form=member.is_new_form,
                        sex=member.sex, eligibility=frozenset(held.values_list("kind", flat=True)))


def audience_check(activity: Activity, member: Member) -> rules.Person:
    if member.status != MemberStatus.ACTIVE:
        raise refuse("not_member")
    person = person_of(member)
    reason = rules.audience_refusal(org_path=activity.org_path, categories=activity.audience_categories,
                                    new_form=activity.audience_new_form, women=activity.audience_women,
                                    eligibility=activity.audience_eligibility, person=person)
    if reason:
        raise refuse(reason)
    return person


# --- activities -------------------------------------------------------------------------------

GROUP_CODES = {*Eligibility.values, "new_form", *Category.values}


def _clean_activity(*, mode, capacity, title, sessions, opens_at, closes_at, audience_categories,
                    audience_eligibility, priority_groups, offer_hours, now) -> dict:
    errors: dict[str, list] = {}
    if mode not in Mode.values:
        errors["mode"] = [_("Choose how places are given.")]
    if not (title or "").strip():
        errors["title"] = [_("Give the activity a title.")]
    if mode in (Mode.LOTTERY, Mode.ALLOCATED) and not capacity:
        errors["capacity"] = [_("A lottery or an allocated activity needs its number of places.")]
    if capacity is not None and capacity < 1 and mode != Mode.OPEN:
        errors["capacity"] = [_("The number of places is at least 1 (leave it empty for no limit).")]
    if mode == Mode.LOTTERY and closes_at is None:
        errors["closes_at"] = [_("A lottery needs the end of its registration window: the draw follows it.")]
    if opens_at and closes_at and closes_at <= opens_at:
        errors["closes_at"] = [_("Registration must close after it opens.")]
    if not sessions:
        errors["sessions"] = [_("Give at least one session.")]
    for starts_at, ends_at in sessions:
        if starts_at < now:
            errors.setdefault("sessions", []).append(ValidationError(str(REASONS["session_past"]), code="session_past"))
            break
        if ends_at is not None and ends_at <= starts_at:
            errors.setdefault("sessions", []).append(_("A session must end after it starts."))
            break
    bad = [c for c in audience_categories if c not in Category.values]
    if bad:
        errors["audience_categories"] = [_("Unknown group: %(codes)s.") % {"codes": ", ".join(bad)}]
    if audience_eligibility and audience_eligibility not in Eligibility.values:
        errors["audience_eligibility"] = [_("Unknown standing eligibility.")]
    bad = [g for g in priority_groups if g not in GROUP_CODES]
    if bad:
        errors["priority_groups"] = [_("Unknown priority group: %(codes)s.") % {"codes": ", ".join(bad)}]
    if priority_groups and mode != Mode.LOTTERY:
        errors["priority_groups"] = [_("Priority groups apply to a lottery only.")]
    if not 1 <= offer_hours <= 24 * 14:
        errors["offer_hours"] = [_("The time to accept an offered place is 1 hour to 14 days.")]
    if errors:
        raise ValidationError(errors, code="invalid")
    return {}


def activity_create(*, actor, org: Org, kind: ActivityKind, title: str, mode: str = Mode.FIRST_COME,
                    sessions: Sequence[tuple[dt.datetime, dt.datetime | None]], capacity: int | None = None,
                    place: str = "", description: str = "", station: str = "",
                    opens_at: dt.datetime | None = None, closes_at: dt.datetime | None = None,
                    audience_categories: Iterable[str] = (), audience_new_form: bool = False,
                    audience_women: bool = False, audience_eligibility: str = "",
                    priority_groups: Iterable[str] = (), offer_hours: int = 48, details: dict | None = None,
                    now: dt.datetime | None = None) -> Activity:
    """An activity of ``org`` with its sessions (场次). ``now`` lets demo loads create past ones."""
    require(actor, Perm.MANAGE, org.path)
    now = _now(now)
    audience_categories, priority_groups = list(audience_categories), list(priority_groups)
    if mode == Mode.OPEN:
        capacity = None
    _clean_activity(mode=mode, capacity=capacity, title=title, sessions=sessions, opens_at=opens_at,
                    closes_at=closes_at, audience_categories=audience_categories,
                    audience_eligibility=audience_eligibility, priority_groups=priority_groups,
                    offer_hours=offer_hours, now=now)
    with transaction.atomic():
        activity = Activity.objects.create(
            org=org, org_path=org.path, kind=kind, title=title.strip(), description=description, place=place,
            station=station, mode=mode, capacity=capacity, opens_at=opens_at, closes_at=closes_at,
            audience_categories=audience_categories, audience_new_form=audience_new_form,
            audience_women=audience_women, audience_eligibility=audience_eligibility,
            priority_groups=priority_groups, offer_hours=offer_hours, details=details or {}, created_by=actor)
        ActivitySession.objects.bulk_create([
            ActivitySession(activity=activity, number=i, starts_at=s, ends_at=e, place=place)
            for i, (s, e) in enumerate(sorted(sessions, key=lambda p: p[0]), start=1)])
        audit.record(actor=actor, action="activities.activity_create", obj=activity, org_path=org.path,
                     data={"title": activity.title, "mode": mode, "capacity": capacity, "sessions": len(sessions)})
    return activity


def activity_copy(*, actor, activity: Activity, first_starts_at: dt.datetime, title: str | None = None,
                  now: dt.datetime | None = None) -> Activity:
    """A new activity like ``activity``, its sessions moved so that the first starts at ``first_starts_at``
    (registration windows move by the same amount)."""
    sessions = list(activity.sessions.order_by("number"))
    shift = first_starts_at - sessions[0].starts_at
    moved = lambda t: t + shift if t is not None else None
    return activity_create(
        actor=actor, org=activity.org, kind=activity.kind, title=title or activity.title, mode=activity.mode,
        sessions=[(s.starts_at + shift, moved(s.ends_at)) for s in sessions], capacity=activity.capacity,
        place=activity.place, description=activity.description, station=activity.station,
        opens_at=moved(activity.opens_at), closes_at=moved(activity.closes_at),
        audience_categories=activity.audience_categories, audience_new_form=activity.audience_new_form,
        audience_women=activity.audience_women, audience_eligibility=activity.audience_eligibility,
        priority_groups=activity.priority_groups, offer_hours=activity.offer_hours, details=activity.details, now=now)


def activity_set_capacity(*, actor, activity: Activity, capacity: int) -> Activity:
    """Change the number of places; never below those already given (nor the allocated shares)."""
    require(actor, Perm.MANAGE, activity.org_path)
    if activity.mode == Mode.OPEN or capacity < 1:
        raise refuse("invalid", _("The number of places is at least 1."), field="capacity")
    with transaction.atomic():
        shares = sum(AllocationShare.objects.filter(activity=activity).values_list("places", flat=True))
        if capacity < shares:
            raise refuse("quota_below_taken", field="capacity")
        if not Activity.objects.filter(pk=activity.pk, taken__lte=capacity).update(capacity=capacity):
            raise refuse("quota_below_taken", field="capacity")
        audit.record(actor=actor, action="activities.capacity_set", obj=activity, org_path=activity.org_path,
                     data={"from": activity.capacity, "to": capacity})
    activity.refresh_from_db()
    if activity.mode == Mode.FIRST_COME:
        offers_pass_on(activity_id=activity.pk)  # new places go to the waiting list first
    return activity


def session_add(*, actor, activity: Activity, starts_at: dt.datetime, ends_at: dt.datetime | None = None,
                place: str = "") -> ActivitySession:
    require(actor, Perm.MANAGE, activity.org_path)
    if starts_at < timezone.now():
        raise refuse("session_past", field="starts_at")
    if ends_at is not None and ends_at <= starts_at:
        raise ValidationError({"ends_at": _("A session must end after it starts.")}, code="invalid")
    with transaction.atomic():
        last = activity.sessions.order_by("-number").values_list("number", flat=True).first() or 0
        session = ActivitySession.objects.create(activity=activity, number=last + 1, starts_at=starts_at,
                                                 ends_at=ends_at, place=place or activity.place)
        audit.record(actor=actor, action="activities.session_add", obj=session, org_path=activity.org_path,
                     data={"activity": activity.pk, "number": session.number})
    return session


# --- registration -----------------------------------------------------------------------------


def _acts_for(actor, member: Member) -> None:
    """The member themselves, or a cadre managing their union."""
    if member.user_id is not None and member.user_id == getattr(actor, "pk", None):
        return
    if not scope_for(actor, Perm.MANAGE).covers(member.org_path):
        raise PermissionDenied(_("You may only register yourself."))


def _ticket() -> str:
    return secrets.token_hex(8)


def register(*, actor, activity: Activity, member: Member, wait: bool = False,
             now: dt.datetime | None = None) -> Registration:
    """Register ``member`` (by themselves or a cadre of their union).

    First come: a place, or with ``wait`` a place on the waiting list when all are taken (else the
    refusal ``full``). Lottery: an entry for the draw. Open and allocated activities take none."""
    _acts_for(actor, member)
    now = _now(now)
    if activity.cancelled_at:
        raise refuse("cancelled_activity")
    if activity.mode == Mode.OPEN:
        raise refuse("no_registration")
    if activity.mode == Mode.ALLOCATED:
        raise refuse("named_by_union")
    if activity.opens_at and now < activity.opens_at:
        raise refuse("not_open_yet")
    if activity.closes_at and now >= activity.closes_at:
        raise refuse("closed")
    person = audience_check(activity, member)
    live = Registration.objects.filter(activity_id=activity.pk, member_id=member.pk, status__in=LIVE)
    if live.exists():
        raise refuse("duplicate")
    fields = dict(activity_id=activity.pk, member_id=member.pk, org_path=member.org_path, ticket=_ticket())
    if activity.mode == Mode.LOTTERY:
        fields.update(status=RegStatus.APPLIED, priority=rules.priority_of(activity.priority_groups, person))
    elif activity.capacity is None:
        fields.update(status=RegStatus.CONFIRMED)
    elif wait:
        fields.update(status=RegStatus.CONFIRMED)  # or waiting, decided by the claim below
    else:
        # Fast refusal without a transaction once all places are gone (the claim below decides).
        taken = Activity.objects.filter(pk=activity.pk).values_list("taken", flat=True).first()
        if taken is not None and taken >= activity.capacity:
            raise refuse("full")
        fields.update(status=RegStatus.CONFIRMED)
    try:
        with transaction.atomic():
            if activity.mode == Mode.FIRST_COME:
                claimed = Activity.objects.filter(pk=activity.pk)
                if activity.capacity is not None:
                    claimed = claimed.filter(taken__lt=F("capacity"))
                if not claimed.update(taken=F("taken") + 1):
                    if not wait:
                        raise refuse("full")
                    # Joining the waiting list locks the activity before the audit head, as every
                    # other writer of it does (the registration's foreign key is checked at commit,
                    # which would otherwise lock it last), and a place freed meanwhile is taken.
                    row = Activity.objects.select_for_update(no_key=True).get(pk=activity.pk)
                    if row.taken < row.capacity:
                        Activity.objects.filter(pk=activity.pk).update(taken=F("taken") + 1)
                    else:
                        fields.update(status=RegStatus.WAITING, queue=time.time_ns() // 1000)
            registration = Registration.objects.create(**fields)
            _deltas(activity, member.org_path, _day(now), "registrations")
            audit.record(actor=actor, action="activities.register", obj=registration, org_path=activity.org_path,
                         data={"activity": activity.pk, "member": member.pk, "status": registration.status})
    except IntegrityError:
        raise refuse("duplicate") from None  # the place claimed with it is rolled back
    return registration


def _member_or_cadre(actor, registration: Registration) -> None:
    if registration.member.user_id is not None and registration.member.user_id == getattr(actor, "pk", None):
        return
    scope = scope_for(actor, Perm.MANAGE)
    if not (scope.covers(registration.activity.org_path) or scope.covers(registration.org_path)):
        raise PermissionDenied(_("You may only change your own registrations."))


def _release(activity: Activity, share_id: int | None, now: dt.datetime, *, actor=None) -> Registration | None:
    """A place was given back: offer it to the first on the waiting list, else free it. Call with the
    activity row locked (``_lock``). Returns the registration offered, if any."""
    if share_id is not None:
        AllocationShare.objects.filter(pk=share_id).update(taken=F("taken") - 1)
        Activity.objects.filter(pk=activity.pk).update(taken=F("taken") - 1)
        return None
    nxt = (Registration.objects.filter(activity_id=activity.pk, status=RegStatus.WAITING)
           .order_by("queue", "id").first())
    if nxt is None:
        Activity.objects.filter(pk=activity.pk).update(taken=F("taken") - 1)
        return None
    expires = now + dt.timedelta(hours=activity.offer_hours)
    Registration.objects.filter(pk=nxt.pk, status=RegStatus.WAITING).update(
        status=RegStatus.OFFERED, offer_expires_at=expires)
    nxt.status, nxt.offer_expires_at = RegStatus.OFFERED, expires
    audit.record(actor=actor, action="activities.offer", obj=nxt, org_path=activity.org_path,
                 data={"activity": activity.pk, "until": expires.isoformat()})
    return nxt


def _lock(activity_id: int) -> Activity:
    return Activity.objects.select_for_update().select_related("kind").get(pk=activity_id)


def registration_cancel(*, actor, registration: Registration, now: dt.datetime | None = None) -> Registration:
    """Give up a registration; a place held goes to the next on the waiting list (or back to the pool)."""
    _member_or_cadre(actor, registration)
    now = _now(now)
    with transaction.atomic():
        activity = _lock(registration.activity_id)
        old = Registration.objects.filter(pk=registration.pk).values_list("status", flat=True).first()
        if old not in LIVE or not Registration.objects.filter(pk=registration.pk, status=old).update(
                status=RegStatus.CANCELLED, cancelled_at=now, offer_expires_at=None):
            raise refuse("not_live")
        if old in HOLDS_PLACE:
            _release(activity, registration.share_id, now, actor=actor)
        audit.record(actor=actor, action="activities.cancel", obj=registration, org_path=activity.org_path,
                     data={"activity": activity.pk, "was": old})
    registration.refresh_from_db()
    return registration


def offer_accept(*, actor, registration: Registration, now: dt.datetime | None = None) -> Registration:
    if registration.member.user_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("Only the member can accept a place offered to them."))
    now = _now(now)
    with transaction.atomic():
        if not Registration.objects.filter(pk=registration.pk, status=RegStatus.OFFERED,
                                           offer_expires_at__gt=now).update(status=RegStatus.CONFIRMED,
                                                                            offer_expires_at=None):
            raise refuse("not_offered")
        audit.record(actor=actor, action="activities.offer_accept", obj=registration,
                     org_path=registration.activity.org_path, data={"activity": registration.activity_id})
    registration.refresh_from_db()
    return registration


def offers_pass_on(*, now: dt.datetime | None = None, activity_id: int | None = None) -> int:
    """Offers whose time ran out lapse and pass to the next on the waiting list; free places of a
    first-come activity with people waiting are offered too. Run hourly (``tasks.pass_on_offers``) and
    by ``gonghui cleanup``. Returns the number of offers made."""
    now = _now(now)
    lapsed = Registration.objects.filter(status=RegStatus.OFFERED, offer_expires_at__lte=now)
    waiting = Activity.objects.filter(mode=Mode.FIRST_COME, capacity__isnull=False, taken__lt=F("capacity"),
                                      registrations__status=RegStatus.WAITING)
    if activity_id is not None:
        lapsed, waiting = lapsed.filter(activity_id=activity_id), waiting.filter(pk=activity_id)
    ids = set(lapsed.values_list("activity_id", flat=True)) | set(waiting.values_list("pk", flat=True))
    offered = 0
    for pk in sorted(ids):
        with transaction.atomic():
            activity = _lock(pk)
            for reg in list(Registration.objects.filter(activity_id=pk, status=RegStatus.OFFERED,
                                                        offer_expires_at__lte=now).order_by("queue", "id")):
                if Registration.objects.filter(pk=reg.pk, status=RegStatus.OFFERED).update(
                        status=RegStatus.EXPIRED, offer_expires_at=None):
                    audit.record(actor=None, action="activities.offer_lapse", obj=reg, org_path=activity.org_path,
                                 data={"activity": pk})
                    offered += _release(activity, None, now) is not None
            activity.refresh_from_db()
            free = (activity.capacity or 0) - activity.taken if activity.mode == Mode.FIRST_COME else 0
            for _i in range(max(free, 0)):
                Activity.objects.filter(pk=pk).update(taken=F("taken") + 1)  # taken back, then offered
                if _release(activity, None, now) is None:
                    break
                offered += 1
    return offered


# --- lottery ----------------------------------------------------------------------------------


def _write_draw(rows: list[tuple[str, int, int | None, int]]) -> None:
    """(status, rank, queue, id) for each entrant, set-based on both databases."""
    table = Registration._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for i in range(0, len(rows), 50_000):
                part = rows[i:i + 50_000]
                cursor.execute(
                    f"UPDATE {table} AS r SET status = v.status, rank = v.rank, queue = v.queue "
                    "FROM unnest(%s::text[], %s::int[], %s::bigint[], %s::bigint[]) AS v(status, rank, queue, id) "
                    "WHERE r.id = v.id", [[r[0] for r in part], [r[1] for r in part], [r[2] for r in part],
                                          [r[3] for r in part]])
        else:
            cursor.executemany(f"UPDATE {table} SET status = %s, rank = %s, queue = %s WHERE id = %s", rows)


def draw_run(*, actor, activity: Activity, seed: str | None = None, now: dt.datetime | None = None) -> dict:
    """Draw a lottery once its window has closed: the first ``capacity`` of the seeded order get the
    places, the others wait in that order. The seed and the method are kept and published, so
    anyone can re-run the draw from the published entrants (``selectors.draw_result``)."""
    require(actor, Perm.MANAGE, activity.org_path)
    now = _now(now)
    if activity.mode != Mode.LOTTERY:
        raise refuse("not_lottery")
    if activity.drawn_at is not None:
        raise refuse("already_drawn")
    if activity.closes_at and now < activity.closes_at:
        raise refuse("draw_too_early")
    seed = (seed or "").strip() or secrets.token_hex(16)
    if len(seed) > 64:
        raise refuse("invalid", _("The seed is at most 64 characters."), field="seed")
    with transaction.atomic():
        if not Activity.objects.filter(pk=activity.pk, drawn_at__isnull=True).update(
                drawn_at=now, draw_seed=seed, draw_method=rules.DRAW_METHOD):
            raise refuse("already_drawn")
        entrants = list(Registration.objects.filter(activity_id=activity.pk, status=RegStatus.APPLIED)
                        .values_list("ticket", "priority", "id"))
        ids = {ticket: pk for ticket, _p, pk in entrants}
        order = rules.draw_order(seed, [(t, p) for t, p, _pk in entrants])
        places = activity.capacity or 0
        rows = [(RegStatus.CONFIRMED if rank <= places else RegStatus.WAITING, rank,
                 rank if rank > places else None, ids[ticket]) for rank, ticket in enumerate(order, start=1)]
        _write_draw(rows)
        winners = min(places, len(order))
        Activity.objects.filter(pk=activity.pk).update(taken=winners)
        audit.record(actor=actor, action="activities.draw", obj=activity, org_path=activity.org_path,
                     data={"seed": seed, "entrants": len(order), "winners": winners})
    activity.refresh_from_db()
    return {"seed": seed, "entrants": len(order), "winners": winners}


# --- allocation -------------------------------------------------------------------------------


def share_set(*, actor, activity: Activity, org: Org, places: int) -> AllocationShare:
    """Give ``places`` of an allocated activity to ``org`` (a union under the organiser)."""
    require(actor, Perm.MANAGE, activity.org_path)
    if activity.mode != Mode.ALLOCATED:
        raise refuse("not_allocated")
    if not org.path.startswith(activity.org_path) or org.path == activity.org_path:
        raise refuse("outside_share", _("Shares go to unions under the organising union."), field="org")
    if places < 0:
        raise refuse("invalid", _("Places cannot be negative."), field="places")
    with transaction.atomic():
        _lock(activity.pk)
        others = sum(AllocationShare.objects.filter(activity=activity).exclude(org=org)
                     .values_list("places", flat=True))
        if others + places > (activity.capacity or 0):
            raise refuse("shares_exceed", field="places")
        share, _created = AllocationShare.objects.get_or_create(activity=activity, org=org,
                                                                defaults={"org_path": org.path, "places": places})
        if not AllocationShare.objects.filter(pk=share.pk, taken__lte=places).update(places=places):
            raise refuse("share_below_named", field="places")
        audit.record(actor=actor, action="activities.share_set", obj=share, org_path=activity.org_path,
                     data={"activity": activity.pk, "org": org.code, "places": places})
    share.refresh_from_db()
    return share


def share_name(*, actor, share: AllocationShare, member: Member, now: dt.datetime | None = None) -> Registration:
    """A union names one of its members for a place of its share."""
    require(actor, Perm.MANAGE, share.org_path)
    activity = share.activity
    if activity.cancelled_at:
        raise refuse("cancelled_activity")
    if not member.org_path.startswith(share.org_path):
        raise refuse("outside_share")
    audience_check(activity, member)
    now = _now(now)
    try:
        with transaction.atomic():
            if not AllocationShare.objects.filter(pk=share.pk, taken__lt=F("places")).update(taken=F("taken") + 1):
                raise refuse("share_full")
            Activity.objects.filter(pk=activity.pk).update(taken=F("taken") + 1)
            registration = Registration.objects.create(
                activity_id=activity.pk, member_id=member.pk, org_path=member.org_path, status=RegStatus.CONFIRMED,
                share=share, ticket=_ticket(), named_by=actor)
            _deltas(activity, member.org_path, _day(now), "registrations")
            audit.record(actor=actor, action="activities.share_name", obj=registration, org_path=share.org_path,
                         data={"activity": activity.pk, "member": member.pk, "share": share.pk})
    except IntegrityError:
        raise refuse("duplicate", _("This member already holds a place.")) from None
    return registration


# --- attendance -------------------------------------------------------------------------------


def _attend(*, actor, session: ActivitySession, member: Member, method: str) -> tuple[Attendance, bool]:
    activity = session.activity
    with transaction.atomic():
        try:
            with transaction.atomic():
                attendance = Attendance.objects.create(session=session, member=member, org_path=member.org_path,
                                                       method=method, by=actor)
        except IntegrityError:  # a repeated scan counts once
            return Attendance.objects.get(session=session, member=member), False
        ActivitySession.objects.filter(pk=session.pk).update(attended=F("attended") + 1)
        day = _day(session.starts_at)
        if ActivitySession.objects.filter(pk=session.pk, held=False).update(held=True):
            _deltas(activity, activity.org_path, day, "activities_held")
        _deltas(activity, member.org_path, day, "participants")
        audit.record(actor=actor, action="activities.check_in", obj=attendance, org_path=activity.org_path,
                     data={"session": session.pk, "member": member.pk, "method": method})
    return attendance, True


def _may_attend(activity: Activity, member: Member) -> None:
    if activity.mode == Mode.OPEN:
        audience_check(activity, member)
    elif not Registration.objects.filter(activity_id=activity.pk, member_id=member.pk,
                                         status=RegStatus.CONFIRMED).exists():
        raise refuse("not_registered")


def check_in_card(*, actor, session: ActivitySession, code: str) -> tuple[Attendance, bool]:
    """A cadre scans a member's signed card code at ``session``. Returns (attendance, first time)."""
    require(actor, Perm.MANAGE, session.activity.org_path)
    if codes.is_portal_card(code):
        raise refuse("portal_card", field="code")
    try:
        member_id = codes.read_member_code(code)
    except codes.BadCode:
        raise refuse("forged_code", field="code") from None
    member = Member.objects.filter(pk=member_id).first()
    if member is None:
        raise refuse("forged_code", field="code")
    _may_attend(session.activity, member)
    return _attend(actor=actor, session=session, member=member, method=Attendance.Method.CARD)


def check_in_self(*, actor, code: str) -> tuple[Attendance, bool]:
    """A member scans the session's code shown by the organiser."""
    try:
        session_id = codes.read_session_code(code)
    except codes.BadCode:
        raise refuse("forged_code") from None
    session = ActivitySession.objects.select_related("activity__kind").filter(pk=session_id).first()
    member = Member.objects.filter(user_id=getattr(actor, "pk", None)).first()
    if session is None:
        raise refuse("forged_code")
    if member is None:
        raise refuse("not_member")
    _may_attend(session.activity, member)
    return _attend(actor=actor, session=session, member=member, method=Attendance.Method.CODE)


def return_record(*, actor, session: ActivitySession, headcount: int, note: str = "") -> AttendanceReturn:
    """An organiser's return for a mass event: the people present, counted, not named."""
    activity = session.activity
    require(actor, Perm.MANAGE, activity.org_path)
    if headcount < 1 or headcount > 1_000_000:
        raise refuse("invalid", _("Give the number of people present (1 to 1,000,000)."), field="headcount")
    if session.starts_at > timezone.now():
        raise refuse("invalid", _("A return is entered once the session has taken place."), field="session")
    with transaction.atomic():
        entry = AttendanceReturn.objects.create(session=session, headcount=headcount, note=note, entered_by=actor)
        ActivitySession.objects.filter(pk=session.pk).update(attended=F("attended") + headcount)
        day = _day(session.starts_at)
        if ActivitySession.objects.filter(pk=session.pk, held=False).update(held=True):
            _deltas(activity, activity.org_path, day, "activities_held")
        _deltas(activity, activity.org_path, day, "participants", n=headcount)
        audit.record(actor=actor, action="activities.return", obj=entry, org_path=activity.org_path,
                     data={"session": session.pk, "headcount": headcount})
    return entry


# --- standing eligibility ---------------------------------------------------------------------


def eligibility_set(*, actor, member: Member, kind: str, valid_until: dt.date | None = None,
                    note: str = "") -> StandingEligibility:
    require(actor, Perm.MANAGE, member.org_path)
    if kind not in Eligibility.values:
        raise refuse("invalid", _("Unknown standing eligibility."), field="kind")
    with transaction.atomic():
        row, _created = StandingEligibility.objects.update_or_create(
            member=member, kind=kind, defaults={"valid_until": valid_until, "note": note, "recorded_by": actor})
        audit.record(actor=actor, action="activities.eligibility_set", obj=row, org_path=member.org_path,
                     data={"member": member.pk, "kind": kind, "until": valid_until})
    return row
