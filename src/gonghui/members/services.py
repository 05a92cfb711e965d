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
from gonghui.members.models import Category, Member
from gonghui.orgs.models import Org

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
    if out.get("joined_on") and out["joined_on"] > timezone.localdate():
        raise ValidationError({"joined_on": _("The joining date cannot be in the future.")})
    if "employer" in out:
        out["employer"] = (out["employer"] or "").strip()
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
            audit.record(actor=actor, action="member.create", obj=member, org_path=org.path,
                         data={"org": org.code, "id_masked": ident.masked, "card_number": member.card_number})
    except IntegrityError:
        # Another request added the same person between our check and our insert.
        existing = Member.objects.select_related("org").get(id_hash=ident.hash)
        _refuse_duplicate(actor, existing)
    return member


def member_update(*, actor, member: Member, id_number: str | None = None, phone: str | None = None,
                  **profile_changes) -> Member:
    require(actor, Perm.MANAGE, member.org_path)
    changes = _clean_profile(profile_changes)
    diff: dict[str, object] = {}
    if id_number:
        try:
            ident, info = protect_id_number(id_number)
        except ValidationError as exc:
            raise _field_errors("id_number", exc) from None
        if ident.hash != member.id_hash:
            other = Member.objects.select_related("org").filter(id_hash=ident.hash).exclude(pk=member.pk).first()
            if other is not None:
                _refuse_duplicate(actor, other)
            changes.update(id_hash=ident.hash, id_cipher=ident.cipher, id_masked=ident.masked,
                           birth_date=info.birth_date, sex=info.sex, region_code=info.region_code,
                           pii_key_id=ident.key_id)
            diff["id_masked"] = [member.id_masked, ident.masked]
    if phone is not None:
        if phone.strip():
            try:
                tel = protect_phone(phone)
            except ValidationError as exc:
                raise _field_errors("phone", exc) from None
            changes.update(phone_hash=tel.hash, phone_cipher=tel.cipher, phone_masked=tel.masked)
            if tel.key_id != changes.get("pii_key_id", member.pii_key_id):
                # One key id per row: re-encrypt the ID number under the phone's (current) key.
                plain = pii.decrypt(member.id_cipher, key_id=member.pii_key_id, bound_to=member.id_hash)
                cipher, key_id = pii.encrypt(plain, bound_to=member.id_hash)
                changes.update(id_cipher=cipher, pii_key_id=key_id)
        else:
            changes.update(phone_hash="", phone_cipher=None, phone_masked="")
        if changes["phone_masked"] != member.phone_masked:
            diff["phone_masked"] = [member.phone_masked, changes["phone_masked"]]
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        for key in ("name", "category", "is_new_form", "employer", "joined_on"):
            if key in changes and getattr(member, key) != changes[key]:
                diff[key] = [getattr(member, key), changes[key]]
        for key, value in changes.items():
            setattr(member, key, value)
        member.save()
        audit.record(actor=actor, action="member.update", obj=member, org_path=member.org_path,
                     data={"changes": diff})
    return member


def member_reveal_id_number(*, actor, member: Member) -> str:
    """The full ID number, for a role that may see it; every reveal is audited."""
    require(actor, Perm.REVEAL, member.org_path)
    with transaction.atomic():
        audit.record(actor=actor, action="member.reveal_id", obj=member, org_path=member.org_path,
                     data={"id_masked": member.id_masked})
    return pii.decrypt(member.id_cipher, key_id=member.pii_key_id, bound_to=member.id_hash)
