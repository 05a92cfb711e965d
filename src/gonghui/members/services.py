"""Writes to the real-name member database. One transaction and one audit line each.

The plain ID number and phone exist only in memory while a service runs: they are hashed,
encrypted and masked before anything touches the database or the audit log.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.core import audit, pii
from gonghui.core.ids import luhn_check_digit, mask_phone, parse_id_number, parse_phone
from gonghui.core.models import AccountPhone
from gonghui.core.scope import Perm, require, scope_for
from gonghui.members.dimensions import member_tally_delta
from gonghui.members.models import (
    Category,
    JoinApplication,
    JoinStatus,
    Member,
    MembershipPeriod,
    MemberStatus,
    PeriodEnd,
    Transfer,
    TransferSource,
    TransferStatus,
)
from gonghui.orgs.models import FEDERATION_KINDS, Org, OrgKind
from gonghui.stats import tallies

CARD_PREFIX = "5105"  # 5·1服务卡; the card number is prefix + 11-digit serial + Luhn digit


class AlreadyAMember(ValidationError):
    """The person (by ID number) is already in the database, in this or another union."""


def card_number_for(serial: int) -> str:
    body = f"{CARD_PREFIX}{serial:011d}"
    return body + luhn_check_digit(body)


def protect_id_number(raw: str) -> tuple[pii.Protected, "object"]:
    info = parse_id_number(raw)
    return pii.protect("id", info.number, info.masked), info


def protect_phone(raw: str) -> pii.Protected:
    phone = parse_phone(raw)
    return pii.protect("phone", phone, mask_phone(phone))


def _field_errors(field: str, exc: ValidationError) -> ValidationError:
    return ValidationError({field: exc.error_list})


def _refuse_duplicate(actor, existing: Member) -> None:
    if scope_for(actor, Perm.READ).covers(existing.org_path):
        message = _("This person is already a member of %(org)s.") % {"org": existing.org.name}
    else:
        # Do not tell a cadre which union outside their subtree holds the person.
        message = _("This person is already a member of another union; a transfer is needed to move them.")
    raise AlreadyAMember({"id_number": ValidationError(message, code="already_member")})


def _clean_profile(fields: dict) -> dict:
    out = {}
    if "name" in fields:
        name = " ".join((fields["name"] or "").split())
        if not name:
            raise ValidationError({"name": _("Enter the member's real name.")})
        if len(name) > 50:
            raise ValidationError({"name": _("A name has at most 50 characters.")})
        out["name"] = name
    if "category" in fields:
        category = fields["category"] or ""
        if category and category not in Category.values:
            raise ValidationError({"category": _("Unknown group.")})
        out["category"] = category
    for key in ("is_new_form", "employer", "joined_on"):
        if key in fields:
            out[key] = fields[key]
    if "joined_on" in out:
        if not isinstance(out["joined_on"], dt.date) or isinstance(out["joined_on"], dt.datetime):
            raise ValidationError({"joined_on": _("Enter the joining date as a date.")})
        if out["joined_on"] > timezone.localdate():
            raise ValidationError({"joined_on": _("The joining date cannot be in the future.")})
    if "is_new_form" in out:
        out["is_new_form"] = bool(out["is_new_form"])
    if "employer" in out:
        out["employer"] = " ".join((out["employer"] or "").split())
        if len(out["employer"]) > 200:
            raise ValidationError({"employer": _("The employer has at most 200 characters.")})
    return out


def member_create(*, actor, org: Org, name: str, id_number: str, phone: str = "", category: str = "",
                  is_new_form: bool = False, employer: str = "", joined_on: dt.date | None = None) -> Member:
    require(actor, Perm.MANAGE, org.path)
    profile = _clean_profile(dict(name=name, category=category, is_new_form=is_new_form, employer=employer,
                                  joined_on=joined_on or timezone.localdate()))
    try:
        ident, info = protect_id_number(id_number)
    except ValidationError as exc:
        raise _field_errors("id_number", exc) from None
    if profile["joined_on"] < info.birth_date:
        raise ValidationError({"joined_on": _("The joining date is before the birth date in the ID number.")})
    try:
        tel = protect_phone(phone) if phone else None
    except ValidationError as exc:
        raise _field_errors("phone", exc) from None
    existing = Member.objects.select_related("org").filter(id_hash=ident.hash).first()
    if existing is not None:
        _refuse_duplicate(actor, existing)
    try:
        with transaction.atomic():
            member = Member.objects.create(
                org=org, org_path=org.path, id_hash=ident.hash, id_cipher=ident.cipher, id_masked=ident.masked,
                birth_date=info.birth_date, sex=info.sex, region_code=info.region_code,
                phone_hash=tel.hash if tel else "", phone_cipher=tel.cipher if tel else None,
                phone_masked=tel.masked if tel else "", pii_key_id=ident.key_id, **profile,
            )
            member.card_number = card_number_for(member.pk)
            member.save(update_fields=["card_number"])
            tallies.apply(member_tally_delta(member, +1))
            audit.record(actor=actor, action="member.create", obj=member, org_path=org.path,
                         data={"org": org.code, "id_masked": ident.masked, "card_number": member.card_number})
    except IntegrityError:
        # Another request added the same person between our check and our insert.
        existing = Member.objects.select_related("org").filter(id_hash=ident.hash).first()
        if existing is None:
            raise
        _refuse_duplicate(actor, existing)
    return member


def member_update(*, actor, member: Member, id_number: str | None = None, phone: str | None = None,
                  **profile_changes) -> Member:
    """Change a member's details; ``phone=""`` removes the phone, ``None`` leaves it."""
    require(actor, Perm.MANAGE, member.org_path)
    changes = _clean_profile(profile_changes)
    ident = info = tel = None
    if id_number:
        try:
            ident, info = protect_id_number(id_number)
        except ValidationError as exc:
            raise _field_errors("id_number", exc) from None
    if phone is not None and phone.strip():
        try:
            tel = protect_phone(phone)
        except ValidationError as exc:
            raise _field_errors("phone", exc) from None
    try:
        with transaction.atomic():
            member = Member.objects.select_for_update().get(pk=member.pk)
            require(actor, Perm.MANAGE, member.org_path)  # as stored, not as the caller's copy says
            diff: dict[str, object] = {}
            if ident is not None and ident.hash != member.id_hash:
                other = Member.objects.select_related("org").filter(id_hash=ident.hash).exclude(pk=member.pk).first()
                if other is not None:
                    _refuse_duplicate(actor, other)
                changes.update(id_hash=ident.hash, id_cipher=ident.cipher, id_masked=ident.masked,
                               birth_date=info.birth_date, sex=info.sex, region_code=info.region_code)
                diff["id_masked"] = [member.id_masked, ident.masked]
            if tel is not None and tel.hash != member.phone_hash:
                changes.update(phone_hash=tel.hash, phone_cipher=tel.cipher, phone_masked=tel.masked)
            elif phone is not None and not phone.strip() and member.phone_hash:
                changes.update(phone_hash="", phone_cipher=None, phone_masked="")
            if "phone_masked" in changes:
                diff["phone_masked"] = [member.phone_masked, changes["phone_masked"]]
            changes.update(_rekeyed(member, changes))
            for key in ("name", "category", "is_new_form", "employer", "joined_on"):
                if key in changes and getattr(member, key) != changes[key]:
                    diff[key] = [getattr(member, key), changes[key]]
            if changes.get("joined_on") and member.left_on and changes["joined_on"] > member.left_on:
                raise ValidationError({"joined_on": _("The joining date must be before the leaving date.")})
            if changes.get("joined_on") and (first := _first_period_start(member)) and changes["joined_on"] > first:
                raise ValidationError({"joined_on": _(
                    "The joining date must be on or before %(day)s, the start of the member's first period in a union.")
                    % {"day": first.isoformat()}})
            counted_before = member_tally_delta(member, -1) if member.status == MemberStatus.ACTIVE else None
            for key, value in changes.items():
                setattr(member, key, value)
            member.save()
            if counted_before is not None:
                tallies.apply(tallies.combine(counted_before, member_tally_delta(member, +1)))
            audit.record(actor=actor, action="member.update", obj=member, org_path=member.org_path,
                         data={"changes": diff})
    except IntegrityError:
        # Another request gave this ID number to someone else meanwhile.
        other = Member.objects.select_related("org").filter(id_hash=ident.hash).first() if ident else None
        if other is None:
            raise
        _refuse_duplicate(actor, other)
    return member


def _rekeyed(member: Member, changes: dict) -> dict:
    """One key id per row: when a value was just encrypted under the current key, the row's other
    ciphertext moves to that key too (decrypted and encrypted again), or it could not be read."""
    fresh = [field for field in ("id_cipher", "phone_cipher") if changes.get(field) is not None]
    current = pii.current_key_id()
    if not fresh or member.pii_key_id == current:
        return {"pii_key_id": current} if fresh else {}
    out: dict[str, object] = {"pii_key_id": current}
    if "id_cipher" not in fresh:
        plain = pii.decrypt(member.id_cipher, key_id=member.pii_key_id, bound_to=member.id_hash)
        out["id_cipher"], _kid = pii.encrypt(plain, bound_to=member.id_hash)
    if "phone_cipher" not in fresh and changes.get("phone_hash", member.phone_hash) and member.phone_cipher:
        plain = pii.decrypt(member.phone_cipher, key_id=member.pii_key_id, bound_to=member.phone_hash)
        out["phone_cipher"], _kid = pii.encrypt(plain, bound_to=member.phone_hash)
    return out


def member_reveal_id_number(*, actor, member: Member) -> str:
    """The full ID number, for a role that may see it; every reveal is audited."""
    require(actor, Perm.REVEAL, member.org_path)
    with transaction.atomic():
        audit.record(actor=actor, action="member.reveal_id", obj=member, org_path=member.org_path,
                     data={"id_masked": member.id_masked})
    return pii.decrypt(member.id_cipher, key_id=member.pii_key_id, bound_to=member.id_hash)


# ---------------------------------------------------------------------------------------------
# Leaving (退会), transfers (会员转移) and online joining (入会申请)
#
# A member's current period in a union runs from ``period_start`` (org_since, else joined_on) to
# left_on (open while a member). Moving to another union or coming back after leaving closes it
# into a MembershipPeriod row, so counts "as of a day" stay right (members.selectors.members_on).
# Every decision locks its request row first (select_for_update): two cadres deciding at once
# decide once.

# Unions a worker joins directly: grassroots unions, not the federations of the main line.
JOINABLE_KINDS = tuple(kind for kind in OrgKind if kind not in FEDERATION_KINDS)
MIN_JOIN_AGE = 16  # the legal minimum working age


def _first_period_start(member: Member) -> dt.date | None:
    first = member.periods.order_by("started_on").values_list("started_on", flat=True).first()
    return first or member.org_since


def _clean_reason(reason: str, *, required: bool) -> str:
    reason = " ".join((reason or "").split())
    if required and not reason:
        raise ValidationError({"reason": _("Give the reason; the person concerned will see it.")}, code="reason_missing")
    if len(reason) > 200:
        raise ValidationError({"reason": _("A reason has at most 200 characters.")}, code="reason_too_long")
    return reason


def _require_pending(status: str, pending: str = "pending") -> None:
    if status != pending:
        raise ValidationError(_("This request has already been decided or withdrawn."), code="not_pending")


def _decide(request: Transfer | JoinApplication, *, actor, status: str, **fields) -> None:
    """Close a locked, pending request: the outcome, who decided and when, plus what the outcome
    brings (the refusal's reason, the member made on approval)."""
    request.status, request.decided_by, request.decided_at = status, actor, timezone.now()
    for name, value in fields.items():
        setattr(request, name, value)
    request.save(update_fields=["status", *fields, "decided_by", "decided_at"])


def _end_current_period(member: Member, *, until: dt.date, ended_by: str) -> None:
    """Keep the current period as history; a period that lasted no day leaves nothing."""
    if until > member.period_start:
        MembershipPeriod.objects.create(member=member, org_id=member.org_id, org_path=member.org_path,
                                        started_on=member.period_start, ended_on=until, ended_by=ended_by)


def _profile_from_changes(changes: dict) -> dict:
    out = {}
    if changes.get("employer"):
        out["employer"] = changes["employer"]
    if "category" in changes:
        out["category"] = changes["category"]
        out["is_new_form"] = bool(changes.get("is_new_form")) or bool(changes["category"])
    return out


def _move(member: Member, *, to_org: Org, on: dt.date, changes: dict) -> bool:
    """Put a locked member into ``to_org`` from ``on``: a transfer, or a re-joining after leaving.

    Returns True when the member had left (re-joining). Tallies: -1 where and as they were
    counted, +1 where and as they are now.
    """
    rejoined = member.status != MemberStatus.ACTIVE
    before = member_tally_delta(member, -1) if not rejoined else tallies.combine()
    if rejoined:
        _end_current_period(member, until=member.left_on or on, ended_by=PeriodEnd.LEFT)
    else:
        _end_current_period(member, until=on, ended_by=PeriodEnd.TRANSFER)
    member.org, member.org_path = to_org, to_org.path
    member.org_since = on if on > member.joined_on else None
    member.status, member.left_on, member.left_reason = MemberStatus.ACTIVE, None, ""
    for key, value in _profile_from_changes(changes).items():
        setattr(member, key, value)
    member.save()
    tallies.apply(tallies.combine(before, member_tally_delta(member, +1)))
    return rejoined


def _link_account(member: Member, user) -> None:
    """The member card follows the account that asked, unless that account has a membership already."""
    if user is None or member.user_id == user.pk or Member.objects.filter(user=user).exists():
        return
    member.user = user
    member.save(update_fields=["user", "updated_at"])


def member_leave(*, actor, member: Member, on: dt.date | None = None, reason: str) -> Member:
    """退会: the member leaves their union on ``on`` (today when None). History is kept."""
    require(actor, Perm.MANAGE, member.org_path)
    reason = _clean_reason(reason, required=True)
    on = on or timezone.localdate()
    if not isinstance(on, dt.date) or isinstance(on, dt.datetime):
        raise ValidationError({"on": _("Enter the leaving date as a date.")})
    if on > timezone.localdate():
        raise ValidationError({"on": _("The leaving date cannot be in the future.")})
    with transaction.atomic():
        member = Member.objects.select_for_update().select_related("org").get(pk=member.pk)
        require(actor, Perm.MANAGE, member.org_path)
        if member.status != MemberStatus.ACTIVE:
            raise ValidationError(_("This person has already left the union."), code="not_active")
        if on < member.period_start:
            raise ValidationError({"on": _("The leaving date cannot be before %(day)s, when the member came to "
                                           "this union.") % {"day": member.period_start.isoformat()}})
        counted = member_tally_delta(member, -1)
        member.status, member.left_on, member.left_reason = MemberStatus.LEFT, on, reason
        member.save(update_fields=["status", "left_on", "left_reason", "updated_at"])
        tallies.apply(counted)
        audit.record(actor=actor, action="member.leave", obj=member, org_path=member.org_path,
                     data={"on": on, "reason": reason})
    return member


def speaks_for_sender(actor, member: Member, *, by_the_worker: bool = False) -> bool:
    """Whether a transfer asked by ``actor`` needs no separate consent of the union the member is
    in: a cadre who may manage both unions, the worker themself (their verified mobile is the
    member's), or a person who has left (no union to ask)."""
    if member.status != MemberStatus.ACTIVE or by_the_worker:
        return True
    return bool(actor and actor.is_authenticated) and scope_for(actor, Perm.MANAGE).covers(member.org_path)


def _transfer_create(*, actor, member: Member, to_org: Org, source: str, note: str = "",
                     changes: dict | None = None, by_the_worker: bool = False) -> Transfer:
    if Transfer.objects.filter(member=member, status=TransferStatus.PENDING).exists():
        raise ValidationError(_("A transfer of this person is already waiting for a decision."),
                              code="transfer_pending")
    released = speaks_for_sender(actor, member, by_the_worker=by_the_worker)
    try:
        with transaction.atomic():
            transfer = Transfer.objects.create(
                member=member, from_org_id=member.org_id, to_org=to_org, from_path=member.org_path,
                to_path=to_org.path, source=source, note=" ".join((note or "").split())[:200],
                requested_by=actor, changes=changes or {},
                released_at=timezone.now() if released else None, released_by=actor if released else None,
            )
            audit.record(actor=actor, action="transfer.request", obj=transfer, org_path=to_org.path,
                         data={"member": member.pk, "to": to_org.code, "source": source,
                               "rejoining": member.status != MemberStatus.ACTIVE, "released": released})
    except IntegrityError:
        raise ValidationError(_("A transfer of this person is already waiting for a decision."),
                              code="transfer_pending") from None
    return transfer


def transfer_request(*, actor, org: Org, id_number: str, note: str = "") -> Transfer:
    """A cadre of ``org`` asks for a person of the member database, found by ID number, to move in.

    The union the person is in now is not named to a cadre outside its subtree.
    """
    require(actor, Perm.MANAGE, org.path)
    try:
        ident, _info = protect_id_number(id_number)
    except ValidationError as exc:
        raise _field_errors("id_number", exc) from None
    member = Member.objects.filter(id_hash=ident.hash).first()
    if member is None:
        raise ValidationError({"id_number": ValidationError(
            _("Nobody with this ID number is in the member database; add the person as a new member."),
            code="not_a_member")})
    if member.org_id == org.pk and member.status == MemberStatus.ACTIVE:
        raise ValidationError({"id_number": ValidationError(_("This person is already a member of this union."),
                                                            code="already_here")})
    return _transfer_create(actor=actor, member=member, to_org=org, source=TransferSource.MANUAL, note=note)


def _lock_awaiting_release(actor, transfer: Transfer) -> Transfer:
    """The transfer, locked, still waiting for the consent of the sending union ``actor`` speaks for
    (call inside a transaction)."""
    transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
    require(actor, Perm.MANAGE, transfer.from_path)
    _require_pending(transfer.status)
    if transfer.released_at is not None:
        raise ValidationError(_("The sending union has already agreed to this transfer."), code="released")
    return transfer


def transfer_release(*, actor, transfer: Transfer) -> Transfer:
    """The sending union agrees to let its member go (转出); the receiving union may then approve."""
    with transaction.atomic():
        transfer = _lock_awaiting_release(actor, transfer)
        transfer.released_at, transfer.released_by = timezone.now(), actor
        transfer.save(update_fields=["released_at", "released_by"])
        audit.record(actor=actor, action="transfer.release", obj=transfer, org_path=transfer.from_path,
                     data={"member": transfer.member_id})
    return transfer


def transfer_object(*, actor, transfer: Transfer, reason: str) -> Transfer:
    """The sending union objects, with a reason: the request is refused and the member stays."""
    reason = _clean_reason(reason, required=True)
    with transaction.atomic():
        transfer = _lock_awaiting_release(actor, transfer)
        _decide(transfer, actor=actor, status=TransferStatus.REFUSED, reason=reason)
        audit.record(actor=actor, action="transfer.object", obj=transfer, org_path=transfer.from_path,
                     data={"member": transfer.member_id, "reason": reason})
    return transfer


def transfer_approve(*, actor, transfer: Transfer) -> Transfer:
    """The receiving union agrees: the member moves (or comes back) from today, history kept.

    A member of another union moves only once that union has agreed (``transfer_release``); a
    cadre who may manage both unions agrees for both by approving."""
    with transaction.atomic():
        transfer = Transfer.objects.select_for_update().select_related("to_org").get(pk=transfer.pk)
        require(actor, Perm.MANAGE, transfer.to_path)
        _require_pending(transfer.status)
        member = Member.objects.select_for_update().select_related("org").get(pk=transfer.member_id)
        if transfer.released_at is None:
            if not speaks_for_sender(actor, member):
                raise ValidationError(_("The union the person is in has not agreed to the transfer yet; it was "
                                        "told and can agree or object in its outgoing transfers."),
                                      code="not_released")
            transfer.released_at, transfer.released_by = timezone.now(), actor
            transfer.save(update_fields=["released_at", "released_by"])
        if member.status == MemberStatus.ACTIVE and member.org_id == transfer.to_org_id:
            raise ValidationError(_("This person is already a member of this union; refuse the request instead."),
                                  code="already_here")
        from_code = member.org.code
        rejoined = _move(member, to_org=transfer.to_org, on=timezone.localdate(), changes=transfer.changes)
        if transfer.source == TransferSource.JOIN:
            _link_account(member, transfer.requested_by)
        _decide(transfer, actor=actor, status=TransferStatus.APPROVED)
        audit.record(actor=actor, action="member.transfer", obj=member, org_path=transfer.to_path,
                     data={"transfer": transfer.pk, "from": from_code, "to": transfer.to_org.code,
                           "rejoined": rejoined})
    return transfer


def transfer_refuse(*, actor, transfer: Transfer, reason: str) -> Transfer:
    reason = _clean_reason(reason, required=True)
    with transaction.atomic():
        transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
        require(actor, Perm.MANAGE, transfer.to_path)
        _require_pending(transfer.status)
        _decide(transfer, actor=actor, status=TransferStatus.REFUSED, reason=reason)
        audit.record(actor=actor, action="transfer.refuse", obj=transfer, org_path=transfer.to_path,
                     data={"member": transfer.member_id, "reason": reason})
    return transfer


def transfer_cancel(*, actor, transfer: Transfer) -> Transfer:
    """Whoever asked withdraws the request while it waits."""
    with transaction.atomic():
        transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
        if not actor.is_authenticated or transfer.requested_by_id != actor.pk:
            raise PermissionDenied(_("Only whoever asked can withdraw this request."))
        _require_pending(transfer.status)
        transfer.status, transfer.decided_at = TransferStatus.CANCELLED, timezone.now()
        transfer.save(update_fields=["status", "decided_at"])
        audit.record(actor=actor, action="transfer.cancel", obj=transfer, org_path=transfer.to_path,
                     data={"member": transfer.member_id})
    return transfer


def join_apply(*, applicant, org: Org, name: str, employer: str, id_number: str = "", category: str = "",
               is_new_form: bool = False) -> JoinApplication | Transfer:
    """A worker with a verified mobile asks to join ``org`` (入会申请).

    Someone already in the member database (by ID number) is not entered twice: their request
    becomes a transfer to ``org`` (a re-joining when they had left), decided by that union. They
    are told they are registered, never in which union. An account linked to a member is known
    already: it needs no SMS step, and without an ``id_number`` the member's own is used.
    """
    phone = AccountPhone.objects.filter(user=applicant).first() if applicant.is_authenticated else None
    own = Member.objects.filter(user=applicant).first() if applicant.is_authenticated else None
    if phone is None and own is None:
        raise PermissionDenied(_("Verify your mobile number with an SMS code first (on the 甬工惠 pages)."))
    if own is not None and not (id_number or "").strip():
        id_number = pii.decrypt(own.id_cipher, key_id=own.pii_key_id, bound_to=own.id_hash)
    if org.kind not in JOINABLE_KINDS:
        raise ValidationError({"org": ValidationError(
            _("Choose the union of your workplace or trade; federations do not take members directly."),
            code="not_joinable")})
    employer = " ".join((employer or "").split())
    if not employer:
        raise ValidationError({"employer": _("Enter your employer, or your trade if you work for platforms.")})
    profile = _clean_profile(dict(name=name, category=category, is_new_form=is_new_form, employer=employer))
    profile["is_new_form"] = profile["is_new_form"] or bool(profile["category"])
    try:
        ident, info = protect_id_number(id_number)
    except ValidationError as exc:
        raise _field_errors("id_number", exc) from None
    today = timezone.localdate()
    if (today.year - info.birth_date.year - ((today.month, today.day) < (info.birth_date.month, info.birth_date.day))
            < MIN_JOIN_AGE):
        raise ValidationError({"id_number": _("Workers can join a union from the age of %(age)d.")
                               % {"age": MIN_JOIN_AGE}})
    if own is not None and own.id_hash != ident.hash:
        raise ValidationError({"id_number": _("Your account belongs to a member with another ID number.")})
    existing = Member.objects.filter(id_hash=ident.hash).first()
    if existing is not None:
        if existing.status == MemberStatus.ACTIVE and existing.org_id == org.pk:
            raise ValidationError({"org": ValidationError(_("You are already a member of this union."),
                                                          code="already_member")})
        changes = {"name": profile["name"], "employer": employer, "category": profile["category"],
                   "is_new_form": profile["is_new_form"]}
        # The worker speaks for themself when the account is the member's own, or the mobile they
        # verified is the member's.
        by_the_worker = existing.user_id == applicant.pk or (
            phone is not None and bool(existing.phone_hash) and existing.phone_hash == phone.phone_hash)
        return _transfer_create(actor=applicant, member=existing, to_org=org, source=TransferSource.JOIN,
                                note=employer, changes=changes, by_the_worker=by_the_worker)
    pending = _("An application with this ID number is already waiting for a decision.")
    if JoinApplication.objects.filter(id_hash=ident.hash, status=JoinStatus.PENDING).exists():
        raise ValidationError({"id_number": ValidationError(pending, code="join_pending")})
    plain_phone = pii.decrypt(phone.phone_cipher, key_id=phone.pii_key_id, bound_to=phone.phone_hash)
    tel = pii.protect("phone", plain_phone, phone.phone_masked)  # under the same key as the ID number
    try:
        with transaction.atomic():
            application = JoinApplication.objects.create(
                applicant=applicant, org=org, org_path=org.path, name=profile["name"], id_hash=ident.hash,
                id_cipher=ident.cipher, id_masked=ident.masked, phone_hash=tel.hash, phone_cipher=tel.cipher,
                phone_masked=tel.masked, pii_key_id=ident.key_id, employer=employer, category=profile["category"],
                is_new_form=profile["is_new_form"],
            )
            audit.record(actor=applicant, action="join.apply", obj=application, org_path=org.path,
                         data={"org": org.code, "id_masked": ident.masked})
    except IntegrityError:
        raise ValidationError({"id_number": ValidationError(pending, code="join_pending")}) from None
    return application


def join_approve(*, actor, application: JoinApplication) -> Member:
    """The union agrees: the applicant becomes a member (through member_create) with a card number."""
    with transaction.atomic():
        application = (JoinApplication.objects.select_for_update().select_related("org", "applicant")
                       .get(pk=application.pk))
        require(actor, Perm.MANAGE, application.org_path)
        _require_pending(application.status)
        key = dict(key_id=application.pii_key_id)
        member = member_create(
            actor=actor, org=application.org, name=application.name,
            id_number=pii.decrypt(application.id_cipher, bound_to=application.id_hash, **key),
            phone=pii.decrypt(application.phone_cipher, bound_to=application.phone_hash, **key),
            category=application.category, is_new_form=application.is_new_form, employer=application.employer,
        )
        _link_account(member, application.applicant)
        _decide(application, actor=actor, status=JoinStatus.APPROVED, member=member)
        audit.record(actor=actor, action="join.approve", obj=application, org_path=application.org_path,
                     data={"member": member.pk, "card_number": member.card_number})
    return member


def join_refuse(*, actor, application: JoinApplication, reason: str) -> JoinApplication:
    reason = _clean_reason(reason, required=True)
    with transaction.atomic():
        application = JoinApplication.objects.select_for_update().get(pk=application.pk)
        require(actor, Perm.MANAGE, application.org_path)
        _require_pending(application.status)
        _decide(application, actor=actor, status=JoinStatus.REFUSED, reason=reason)
        audit.record(actor=actor, action="join.refuse", obj=application, org_path=application.org_path,
                     data={"reason": reason})
    return application


def join_cancel(*, actor, application: JoinApplication) -> JoinApplication:
    """The applicant withdraws while the application waits."""
    with transaction.atomic():
        application = JoinApplication.objects.select_for_update().get(pk=application.pk)
        if not actor.is_authenticated or application.applicant_id != actor.pk:
            raise PermissionDenied(_("Only the applicant can withdraw this application."))
        _require_pending(application.status)
        application.status, application.decided_at = JoinStatus.CANCELLED, timezone.now()
        application.save(update_fields=["status", "decided_at"])
        audit.record(actor=actor, action="join.cancel", obj=application, org_path=application.org_path)
    return application
