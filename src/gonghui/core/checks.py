"""System checks of the project (`gonghui check --deploy`)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

from gonghui.core import pii


@register(Tags.security, deploy=True)
def pii_keys_check(app_configs=None, **kwargs) -> list[Error]:
    """Without DEBUG the PII keys must be set and well formed: say so before the first member is read.

    A deployment check only, so that `gonghui pii_keys` (which prints fresh keys) still runs
    where none are set yet.
    """
    if settings.DEBUG:
        return []
    try:
        keys = pii.keys()
    except ImproperlyConfigured as exc:
        problem = str(exc)
    else:
        if not keys.derived:
            return []
        problem = "The PII keys are derived from SECRET_KEY (development keys)."
    return [Error(
        f"Personal data cannot be protected: {problem}",
        hint="Set PII_HMAC_KEY and PII_ENCRYPTION_KEYS (`gonghui pii_keys` prints fresh values; see README, "
             "Configuration). Keep them: without them no ID number or phone can be matched or read back.",
        id="gonghui.E001",
    )]
