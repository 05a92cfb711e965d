"""Signed codes for check-in (django.core.signing; no personal data inside).

- The member's card code ``GHA:M:<member id>:<signature>`` lives in the members layer
  (``gonghui.members.cards``, which every module may use); the names below are kept for this
  module's callers. The portal's card QR shows it too. The old unsigned card-number QR
  (``GONGHUI:CARD:<number>``) is refused here, with a message saying which code to show (see
  docs/activities.md).
- A session's code, for members to scan themselves: ``GHA:S:<session id>:<signature>``, shown by
  the organiser; it leads to the member's check-in page.

Signatures are HMAC-SHA256 with SECRET_KEY under a salt of their own (SECRET_KEY_FALLBACKS keeps
old codes valid while keys rotate). The codes do not expire: a printed card keeps working.
"""

from __future__ import annotations

from django.core import signing

from gonghui.members import cards
from gonghui.members.cards import BadCode

_SESSION = signing.Signer(salt="gonghui.activities.session", algorithm="sha256")
MEMBER_PREFIX = cards.PREFIX
SESSION_PREFIX = "GHA:S:"


__all__ = ["MEMBER_PREFIX", "SESSION_PREFIX", "BadCode", "is_portal_card", "member_code", "read_member_code",
           "read_session_code", "session_code"]


def member_code(member_id: int) -> str:
    return cards.card_code(member_id)


def session_code(session_id: int) -> str:
    return SESSION_PREFIX + _SESSION.sign(str(int(session_id)))


def read_session_code(code: str) -> int:
    return cards.read_signed_id(_SESSION, SESSION_PREFIX, code)


def read_member_code(code: str) -> int:
    """The member id in a signed card code; BadCode when it is forged, altered or not ours."""
    return cards.read_card_code(code)


def is_portal_card(code: str) -> bool:
    """The portal's unsigned card QR (GONGHUI:CARD:…), which check-in does not trust."""
    return cards.is_legacy_card(code)
