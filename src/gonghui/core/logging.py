"""A logging filter that keeps personal data and secrets out of every log line.

Personal data: anything shaped like an ID number or a phone number. Secrets: API tokens
(``gh_…``, and whatever follows ``Bearer``/``Token``/``Basic``), session ids and CSRF tokens,
values of secret-looking parameters (``token=``, ``password=``, ``code=``…) and SMS codes (the
digits after 验证码 / "code"). Besides the shapes, the exact secrets of the request being served
are replaced wherever they appear: its ``Authorization`` header (in any scheme, or bare), its
session and CSRF cookies, and the SMS codes sent or checked while it runs (``keep_secret``). They
come from the record's ``request`` (Django's request log lines carry it) and from a context
variable that ``LogSecretsMiddleware`` fills for the request.

It redacts the message, and also the traceback and stack text, which the handler would
otherwise format later from the live exception (a DB error or a repr can carry a number).
Full-width digits count as digits: people type them, and they are the same number.
"""

from __future__ import annotations

import contextvars
import logging
import re

_D = "[0-9０-９]"
_NOT_D = "(?<![0-9０-９])"
_NOT_D_AFTER = "(?![0-9０-９])"
# 18-character ID numbers (birth years 18xx–20xx), the old 15-digit ones, and mainland mobile
# numbers, with or without the +86 / 0086 prefix and the usual 3-4-4 separators.
_ID = re.compile(rf"{_NOT_D}{_D}{{6}}(?:1[89]|20|１[８９]|２０){_D}{{9}}[0-9０-９XxＸｘ]{_NOT_D_AFTER}")
_ID15 = re.compile(rf"{_NOT_D}{_D}{{15}}{_NOT_D_AFTER}")
_PHONE = re.compile(
    rf"(?:(?:\+|＋|00)?(?:86|８６)[ -]?|{_NOT_D})[1１][3-9３-９]{_D}[ -]?{_D}{{4}}[ -]?{_D}{{4}}{_NOT_D_AFTER}"
)

# Our API tokens (gonghui.core.services.api_token_issue: "gh_" + 43 URL-safe characters).
_API_TOKEN = re.compile(r"gh_[A-Za-z0-9_-]{16,}")
# Credentials after an authentication scheme, as in an Authorization header.
_SCHEME = re.compile(r"(?i)\b(bearer|token|basic)(\s+|=)([A-Za-z0-9._~+/=-]{16,})")
# name=value and "name": "value" pairs whose value is a secret (query strings, cookies, form bodies, JSON).
_SECRET_NAMES = r"sessionid|session_key|csrftoken|csrfmiddlewaretoken|token|access_token|api_key|password|passwd"
_PAIR = re.compile(rf"(?i)\b({_SECRET_NAMES})(=|[\"']?\s*:\s*[\"']?)([^&\s;,'\"]+)")
# An SMS code: the digits after 验证码 or "code" (code=123456, sms_code, "your code is 123456").
_SMS_CODE = re.compile(rf"(?i)(验证码|(?<![a-z])code)([^0-9０-９]{{0,12}}){_D}{{4,8}}{_NOT_D_AFTER}")

# Secrets of the request being served (LogSecretsMiddleware), and those a service adds (SMS codes).
_request_secrets: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "gonghui_log_secrets", default=())
MIN_SECRET_LENGTH = 6  # shorter values would blank out ordinary words and numbers
MAX_KEPT = 32  # outside a request nothing resets the list: keep the newest only


def keep_secret(value: str) -> None:
    """Redact ``value`` from every log line for the rest of the current request (or command)."""
    if value and len(value) >= MIN_SECRET_LENGTH:
        _request_secrets.set((*_request_secrets.get(), value)[-MAX_KEPT:])


def request_secrets(request) -> tuple[str, ...]:
    """The secrets a request carries: its Authorization header (and each word of it), its cookies
    that identify or protect a session."""
    from django.conf import settings

    found: list[str] = []
    authorization = request.META.get("HTTP_AUTHORIZATION", "")
    if authorization:
        found += [authorization, *authorization.split()]
    for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
        found.append(request.COOKIES.get(name, ""))
    return tuple(value for value in found if len(value) >= MIN_SECRET_LENGTH)


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    for secret in sorted(set(secrets), key=len, reverse=True):  # the whole header before its words
        text = text.replace(secret, "[secret]")
    text = _API_TOKEN.sub("[token]", text)
    text = _SCHEME.sub(lambda m: f"{m[1]}{m[2]}[token]", text)
    text = _PAIR.sub(lambda m: f"{m[1]}{m[2]}[secret]", text)
    text = _SMS_CODE.sub(lambda m: f"{m[1]}{m[2]}[code]", text)
    text = _ID.sub("[id-number]", text)
    text = _ID15.sub("[id-number]", text)
    return _PHONE.sub("[phone]", text)


_plain_formatter = logging.Formatter()


class RedactPIIFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        secrets = _request_secrets.get()
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "META"):
            try:
                secrets = (*secrets, *request_secrets(request))
            except Exception:  # noqa: BLE001 - a half-built request must not lose the line
                pass
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not lose the line
            # …nor let logging print the raw arguments to stderr as it reports the error.
            message = f"{record.msg} {record.args!r}"
            record.msg, record.args = message, None
        cleaned = redact(message, secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _plain_formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, secrets)
        return True


class LogSecretsMiddleware:
    """Tells the log filter the secrets of the request being served, for as long as it runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_secrets.set(request_secrets(request))
        try:
            return self.get_response(request)
        finally:
            _request_secrets.reset(token)


class ClientErrorWithoutTraceback(logging.Filter):
    """A 4xx is the client's doing (a 403 on a page outside one's reach, a 400 of a malformed
    request): Django logs it with the exception's traceback, which buries the real errors. Keep
    one line, with the exception's own words; tracebacks stay for 5xx and everything else."""

    LOGGERS = ("django.request", "django.security")

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if (record.exc_info and isinstance(status, int) and 400 <= status < 500
                and record.name.startswith(self.LOGGERS)):
            reason = str(record.exc_info[1] or "").strip()
            message = record.getMessage()
            record.msg, record.args = (f"{message} ({reason})" if reason and reason not in message else message), None
            record.exc_info, record.exc_text = None, None
        return True
