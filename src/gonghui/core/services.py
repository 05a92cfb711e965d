"""Account-level writes: API tokens, accounts that log in with their mobile and an SMS code."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.core import audit, pii
from gonghui.core.ids import mask_phone, parse_phone
from gonghui.core.models import AccountPhone, ApiToken, Role

TOKEN_LIFETIME = timedelta(days=30)


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_issue(*, user) -> str:
    """A new bearer token for ``user``; only its digest is kept."""
    raw = "gh_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        ApiToken.objects.create(user=user, key_hash=token_digest(raw), expires_at=timezone.now() + TOKEN_LIFETIME)
        audit.record(actor=user, action="auth.token_issue", obj=user)
    return raw


def api_token_get(raw: str) -> ApiToken | None:
    """The live token (not expired, not revoked, of an active user) with this value; None otherwise."""
    return (
        ApiToken.objects.select_related("user")
        .filter(key_hash=token_digest(raw), expires_at__gt=timezone.now(), user__is_active=True)
        .first()
    )


def api_token_revoke(*, token: ApiToken) -> bool:
    """Revoke a token (its holder logs out of the API): the row goes. False when it was gone already."""
    with transaction.atomic():
        deleted, _rows = ApiToken.objects.filter(pk=token.pk).delete()
        if deleted:
            audit.record(actor=token.user, action="auth.token_revoke", obj=token.user,
                         data={"issued": token.created_at.isoformat()})
    return bool(deleted)


# --- accounts by mobile ------------------------------------------------------------------------
# A worker's mobile is their account (as in the 甬工惠 app): the first verified SMS code creates an
# account with a generated username and no password; later codes log into it. Accounts that hold a
# role (cadres) or staff rights never log in by SMS: they keep their password (and django-axes).


def _password_only(user) -> bool:
    return user.is_staff or user.is_superuser or Role.objects.filter(user=user).exists()


def _phone_fields(phone: str) -> dict:
    protected = pii.protect("phone", phone, mask_phone(phone))
    return {"phone_hash": protected.hash, "phone_cipher": protected.cipher, "phone_masked": protected.masked,
            "pii_key_id": protected.key_id, "verified_at": timezone.now()}


def account_phone_of(*, user) -> AccountPhone | None:
    if user is None or not user.is_authenticated:
        return None
    return AccountPhone.objects.filter(user=user).first()


def account_for_verified_phone(*, phone: str, user=None):
    """The account of a mobile whose SMS code was just accepted (``gonghui.core.sms.sms_code_check``).

    - the mobile belongs to an account: that account (refused when someone else is logged in, or
      when it is a cadre's account, which logs in with its password);
    - it belongs to nobody and ``user`` is logged in: the mobile is verified for ``user``;
    - otherwise a new account is made for it.
    Returns ``(account, created)``.
    """
    phone = parse_phone(phone)
    phone_hash = pii.digest("phone", phone)
    current = user if user is not None and user.is_authenticated else None
    User = get_user_model()
    with transaction.atomic():
        held = AccountPhone.objects.select_related("user").filter(phone_hash=phone_hash).first()
        if held is not None:
            if current is not None and held.user_id != current.pk:
                raise ValidationError(_("This mobile belongs to another account. Log out, then log in with it."),
                                      code="phone_taken")
            if current is None and (_password_only(held.user) or not held.user.is_active):
                raise ValidationError(_("This account logs in with its username and password."),
                                      code="password_only")
            return held.user, False
        if current is not None:
            fields = _phone_fields(phone)
            AccountPhone.objects.update_or_create(user=current, defaults=fields)
            audit.record(actor=current, action="account.phone_verified", obj=current,
                         data={"phone_masked": fields["phone_masked"]})
            return current, False
        for _attempt in range(3):
            try:
                with transaction.atomic():
                    account = User.objects.create_user(username=f"m{secrets.token_hex(6)}")  # unusable password
                    break
            except IntegrityError:  # the generated name was taken: draw again
                continue
        else:
            raise RuntimeError("could not draw a free username")
        fields = _phone_fields(phone)
        AccountPhone.objects.create(user=account, **fields)
        audit.record(actor=account, action="account.create", obj=account,
                     data={"phone_masked": fields["phone_masked"], "via": "sms"})
    return account, True
