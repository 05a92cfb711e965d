"""Writes to the real-name member database. One transaction and one audit line each.

The plain ID number and phone exist only in memory while a service runs: they are hashed,
encrypted and masked before anything touches the database or the audit log.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.core import audit, pii
from gonghui.core.ids import luhn_check_digit, mask_phone, parse_id_number, parse_phone
from gonghui.core.scope import Perm, require, scope_for
from gonghui.members.models import Category, Member, MemberStatus
from gonghui.orgs.models import Org
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
            tallies.apply(tallies.member_tally_delta(member, +1))
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
            counted_before = tallies.member_tally_delta(member, -1) if member.status == MemberStatus.ACTIVE else None
            for key, value in changes.items():
                setattr(member, key, value)
            member.save()
            if counted_before is not None:
                tallies.apply(tallies.combine(counted_before, tallies.member_tally_delta(member, +1)))
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


def member_reencrypt(*, member: Member) -> bool:
    """Move one row's ciphertexts to the current key (key rotation); False when already there.

    Not an audited business write: the values do not change, only the key that protects them.
    """
    current = pii.current_key_id()
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        if member.pii_key_id == current:
            return False
        fields = {"pii_key_id": current}
        plain = pii.decrypt(member.id_cipher, key_id=member.pii_key_id, bound_to=member.id_hash)
        fields["id_cipher"], _kid = pii.encrypt(plain, bound_to=member.id_hash)
        if member.phone_cipher:
            plain = pii.decrypt(member.phone_cipher, key_id=member.pii_key_id, bound_to=member.phone_hash)
            fields["phone_cipher"], _kid = pii.encrypt(plain, bound_to=member.phone_hash)
        Member.objects.filter(pk=member.pk).update(**fields)
    return True


def member_reveal_id_number(*, actor, member: Member) -> str:
    """The full ID number, for a role that may see it; every reveal is audited."""
    require(actor, Perm.REVEAL, member.org_path)
    with transaction.atomic():
        audit.record(actor=actor, action="member.reveal_id", obj=member, org_path=member.org_path,
                     data={"id_masked": member.id_masked})
    return pii.decrypt(member.id_cipher, key_id=member.pii_key_id, bound_to=member.id_hash)
