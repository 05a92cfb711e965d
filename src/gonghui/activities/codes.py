"""Signed codes for check-in (django.core.signing; no personal data inside).

- The member's check-in card code: ``GHA:M:<member id>:<signature>``. The member pages of this module
  show it as a QR code; a staff scanner page verifies the signature before anything is looked up, so
  a forged or altered code is refused at once and cannot probe member ids. The portal's card QR
  (``GONGHUI:CARD:<number>``) is unsigned and is refused here, with a message saying which code to
  show (see docs/activities.md).
- A session's code, for members to scan themselves: ``GHA:S:<session id>:<signature>``, shown by
  the organiser; it leads to the member's check-in page.

Signatures are HMAC-SHA256 with SECRET_KEY under a salt of their own (SECRET_KEY_FALLBACKS keeps
old codes valid while keys rotate). The codes do not expire: a printed card keeps working.
"""

from __future__ import annotations

from django.core import signing

_MEMBER = signing.Signer(salt="gonghui.activities.member-card", algorithm="sha256")
_SESSION = signing.Signer(salt="gonghui.activities.session", algorithm="sha256")
MEMBER_PREFIX = "GHA:M:"
SESSION_PREFIX = "GHA:S:"


class BadCode(ValueError):
    """Not a code of ours, or its signature does not match."""


def member_code(member_id: int) -> str:
    return MEMBER_PREFIX + _MEMBER.sign(str(int(member_id)))


def session_code(session_id: int) -> str:
    return SESSION_PREFIX + _SESSION.sign(str(int(session_id)))


def _read(signer: signing.Signer, prefix: str, code: str) -> int:
    code = (code or "").strip()
    if not code.startswith(prefix) or len(code) > 120:
        raise BadCode(code[:20])
    try:
        value = signer.unsign(code[len(prefix):])
    except signing.BadSignature:
        raise BadCode("signature") from None
    if not value.isdigit():
        raise BadCode("value")
    return int(value)


def read_member_code(code: str) -> int:
    """The member id in a signed card code; BadCode when it is forged, altered or not ours."""
    return _read(_MEMBER, MEMBER_PREFIX, code)


def read_session_code(code: str) -> int:
    return _read(_SESSION, SESSION_PREFIX, code)


def is_portal_card(code: str) -> bool:
    """The portal's unsigned card QR (GONGHUI:CARD:…), which check-in does not trust."""
    return (code or "").strip().startswith("GONGHUI:CARD:")
