"""Account-level writes: API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from gonghui.core import audit
from gonghui.core.models import ApiToken

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


def api_token_user(raw: str):
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=token_digest(raw), expires_at__gt=timezone.now(), user__is_active=True)
        .first()
    )
    return token.user if token else None
