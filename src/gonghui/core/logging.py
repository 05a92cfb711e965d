"""A logging filter that keeps ID numbers and phone numbers out of every log line.

It redacts the message, and also the traceback and stack text, which the handler would
otherwise format later from the live exception (a DB error or a repr can carry a number).
Full-width digits count as digits: people type them, and they are the same number.
"""

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


def redact(text: str) -> str:
    text = _ID.sub("[id-number]", text)
    text = _ID15.sub("[id-number]", text)
    return _PHONE.sub("[phone]", text)


_plain_formatter = logging.Formatter()


class RedactPIIFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not lose the line
            # …nor let logging print the raw arguments to stderr as it reports the error.
            message = f"{record.msg} {record.args!r}"
            record.msg, record.args = message, None
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _plain_formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
