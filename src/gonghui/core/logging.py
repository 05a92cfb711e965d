"""A logging filter that keeps ID numbers and phone numbers out of every log line."""

import logging
import re

# 17 digits + digit/X (ID numbers), and mainland mobile numbers, not inside longer digit runs.
_ID = re.compile(r"(?<![0-9])[0-9]{6}(?:19|20)[0-9]{9}[0-9Xx](?![0-9])")
_PHONE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def redact(text: str) -> str:
    return _PHONE.sub("[phone]", _ID.sub("[id-number]", text))


class RedactPIIFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
