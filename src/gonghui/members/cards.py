"""The member card's signed code, which every module can trust (django.core.signing).

``GHA:M:<member id>:<signature>``: the 5·1服务卡's QR code on the portal card page, scanned at
events (activities' check-in), by merchants (benefits) and at stations. It holds no personal data
(a row id) and does not expire: a printed card keeps working. A scanner verifies the signature
before anything is looked up, so a forged or altered code is refused at once and cannot probe
member ids.

The signature is HMAC-SHA256 with SECRET_KEY under the salt ``gonghui.activities.member-card``
(where the code was first made; kept so already printed codes stay valid). SECRET_KEY_FALLBACKS
keeps old codes valid while keys rotate.

The card number QR the portal showed before (``GONGHUI:CARD:<number>``) was unsigned: anyone can
make one, so scanners refuse it (``is_legacy_card`` tells it apart, to say which code to show).
"""

from __future__ import annotations

from django.core import signing

PREFIX = "GHA:M:"
LEGACY_PREFIX = "GONGHUI:CARD:"
SALT = "gonghui.activities.member-card"
_MAX_LENGTH = 120


def _signer() -> signing.Signer:
    # Made per call, so the keys are the settings' of the moment (rotation, tests).
    return signing.Signer(salt=SALT, algorithm="sha256")


class BadCode(ValueError):
    """Not a code of ours, or its signature does not match."""


def card_code(member_id: int) -> str:
    """The signed code of the member's card (what its QR code holds)."""
    return PREFIX + _signer().sign(str(int(member_id)))


def read_signed_id(signer: signing.Signer, prefix: str, code: str) -> int:
    """The row id in a code ``<prefix><id>:<signature>`` made by ``signer`` (the card's, or another
    module's signed codes of the same shape); BadCode when it is forged, altered or not ours."""
    code = (code or "").strip()
    if not code.startswith(prefix) or len(code) > _MAX_LENGTH:
        raise BadCode(code[:20])
    try:
        value = signer.unsign(code[len(prefix):])
    except signing.BadSignature:
        raise BadCode("signature") from None
    if not value.isdigit():
        raise BadCode("value")
    return int(value)


def read_card_code(code: str) -> int:
    """The member id in a signed card code; BadCode when it is forged, altered or not ours."""
    return read_signed_id(_signer(), PREFIX, code)


def is_legacy_card(code: str) -> bool:
    """The old unsigned card-number QR (GONGHUI:CARD:…), which scanners do not trust."""
    return (code or "").strip().startswith(LEGACY_PREFIX)
