"""One-time codes by SMS: a worker proves a mobile number is theirs (online joining, member login).

A code is six digits, stored only as a keyed hash bound to the mobile's hash, good for
``SMS_CODE_TTL_SECONDS`` and void after ``SMS_CODE_MAX_TRIES`` wrong entries; a mobile gets at
most one code every ``SMS_RESEND_SECONDS`` and ``SMS_DAILY_LIMIT`` in 24 hours. Only the newest
code of a mobile counts. Who delivers the text is pluggable (``SMS_BACKEND``, a dotted path):

- ``ConsoleSender`` writes the text to the server's standard error (development: it stands for the
  phone; it is not a log line, which never holds a code), with the mobile masked;
- ``LocmemSender`` keeps the texts in ``LocmemSender.outbox`` (tests read the code there);
- a production sender subclasses ``SmsSender`` and calls the operator's SMS gateway.

The text is sent while the caller waits, not after commit: "code sent" must be true when the page
says so, and a failed delivery voids the code at once so the worker may ask again.
"""

from __future__ import annotations

import logging
import re
import secrets
import sys
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from gonghui.core import pii
from gonghui.core.ids import mask_phone, normalise, parse_phone
from gonghui.core.logging import keep_secret
from gonghui.core.models import SmsCode

logger = logging.getLogger(__name__)

CODE_RE = re.compile(r"^\d{6}$")


class SmsSender:
    """Delivers one text to one mobile; raise on failure."""

    # A sender that never reaches a phone: `gonghui check --deploy` refuses it without DEBUG.
    development_only = False

    def send(self, *, phone: str, text: str) -> None:
        raise NotImplementedError


class ConsoleSender(SmsSender):
    """Development: the text goes to standard error, where the developer reads the code.

    Not through logging: log lines never carry a code (the log filter removes them), and log
    handlers may ship lines elsewhere. `check --deploy` refuses this sender (gonghui.E002).
    """

    development_only = True

    def send(self, *, phone: str, text: str) -> None:
        sys.stderr.write(f"[development SMS] to {mask_phone(phone)}: {text}\n")
        sys.stderr.flush()


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    text: str

    @property
    def code(self) -> str:
        found = re.search(r"\d{6}", self.text)
        return found.group(0) if found else ""


class LocmemSender(SmsSender):
    """Tests: texts are kept in memory, newest last."""

    development_only = True

    outbox: list[SmsMessage] = []

    def send(self, *, phone: str, text: str) -> None:
        LocmemSender.outbox.append(SmsMessage(phone, text))

    @classmethod
    def last_code(cls, phone: str) -> str:
        for message in reversed(cls.outbox):
            if message.phone == phone:
                return message.code
        return ""


def sender() -> SmsSender:
    return import_string(settings.SMS_BACKEND)()


def _code_hash(phone_hash: str, code: str) -> str:
    return salted_hmac("gonghui.core.sms", f"{phone_hash}:{code}", algorithm="sha256").hexdigest()


def _lock_phone(phone_hash: str) -> None:
    """Serialise code requests for one mobile (SQLite's IMMEDIATE transactions already are)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(phone_hash[:15], 16)])


def sms_code_send(*, phone: str) -> str:
    """Send a new code to ``phone``; return the normalised mobile. ValidationError when refused."""
    phone = parse_phone(phone)
    phone_hash = pii.digest("phone", phone)
    now = timezone.now()
    code = f"{secrets.randbelow(10**6):06d}"
    keep_secret(code)  # should a gateway's error repeat the text, the log line will not
    with transaction.atomic():
        _lock_phone(phone_hash)
        mine = SmsCode.objects.filter(phone_hash=phone_hash)
        last = mine.order_by("-created_at").values_list("created_at", flat=True).first()
        if last is not None and (wait := settings.SMS_RESEND_SECONDS - (now - last).total_seconds()) > 0:
            raise ValidationError(
                _("A code was sent a moment ago; you can ask for another in %(seconds)d seconds.")
                % {"seconds": max(1, int(wait + 0.999))}, code="sms_too_soon")
        if mine.filter(created_at__gt=now - timedelta(days=1)).count() >= settings.SMS_DAILY_LIMIT:
            raise ValidationError(_("Too many codes were sent to this mobile today; please try again tomorrow."),
                                  code="sms_daily_limit")
        row = SmsCode.objects.create(phone_hash=phone_hash, code_hash=_code_hash(phone_hash, code), created_at=now,
                                     expires_at=now + timedelta(seconds=settings.SMS_CODE_TTL_SECONDS))
    minutes = max(1, settings.SMS_CODE_TTL_SECONDS // 60)
    text = _("[Yong Gong Hui] Your code is %(code)s, valid for %(minutes)d minutes. Never tell it to anyone.") % {
        "code": code, "minutes": minutes}
    try:
        sender().send(phone=phone, text=text)
    except Exception:
        logger.exception("The SMS gateway refused a code")
        SmsCode.objects.filter(pk=row.pk).delete()  # not sent: do not hold the mobile back
        raise ValidationError(_("The text message could not be sent; please try again later."),
                              code="sms_send_failed") from None
    return phone


def sms_code_check(*, phone: str, code: str) -> str:
    """Accept ``code`` for ``phone`` once; return the normalised mobile. ValidationError otherwise.

    Each wrong entry counts against the code in its own committed update, so a refused attempt
    is counted even though this function raises.
    """
    phone = parse_phone(phone)
    code = normalise(code or "")
    if not CODE_RE.match(code):
        raise ValidationError(_("Enter the 6-digit code from the text message."), code="sms_code_format")
    keep_secret(code)
    phone_hash = pii.digest("phone", phone)
    now = timezone.now()
    row = SmsCode.objects.filter(phone_hash=phone_hash).order_by("-created_at").first()
    if row is None or row.used_at is not None:
        raise ValidationError(_("Ask for a code first."), code="sms_no_code")
    if row.expires_at <= now:
        raise ValidationError(_("The code has expired; ask for a new one."), code="sms_expired")
    max_tries = settings.SMS_CODE_MAX_TRIES
    # Count the try before comparing: racing guesses cannot exceed the limit.
    if not SmsCode.objects.filter(pk=row.pk, tries__lt=max_tries, used_at__isnull=True).update(tries=F("tries") + 1):
        raise ValidationError(_("Too many wrong codes; ask for a new one."), code="sms_too_many_tries")
    if not constant_time_compare(row.code_hash, _code_hash(phone_hash, code)):
        left = max_tries - row.tries - 1
        if left <= 0:
            raise ValidationError(_("The code is wrong and can no longer be used; ask for a new one."),
                                  code="sms_too_many_tries")
        raise ValidationError(_("The code is wrong; %(left)d tries left.") % {"left": left}, code="sms_wrong")
    if not SmsCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now):
        raise ValidationError(_("Ask for a code first."), code="sms_no_code")  # used by a racing request
    return phone
