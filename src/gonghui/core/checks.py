"""System checks of the project (`gonghui check --deploy`)."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from gonghui.core import audit, pii


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


@register(Tags.security, deploy=True)
def secret_key_check(app_configs=None, **kwargs) -> list[Error]:
    """The development SECRET_KEY is published with the code: with it anyone forges sessions and
    signed values, and derives the development PII keys. Refused whatever DEBUG says, since a
    deployment check is about the deployment."""
    published = getattr(settings, "DEV_SECRET_KEY", None)
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if not published or published not in keys:
        return []
    return [Error(
        "SECRET_KEY (or one of SECRET_KEY_FALLBACKS) is the development key published in the repository.",
        hint="Set SECRET_KEY to 50 or more random characters, e.g. the output of "
             "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`, and keep it out of the repository.",
        id="gonghui.E003",
    )]


@register(Tags.security, deploy=True)
def sms_sender_check(app_configs=None, **kwargs) -> list[Error]:
    """Without DEBUG the SMS sender must reach phones: the console sender (the default) writes every
    login and joining code to the log and texts nobody."""
    if settings.DEBUG:
        return []
    hint = ("Set SMS_BACKEND to the dotted path of a gonghui.core.sms.SmsSender subclass that calls "
            "your SMS gateway (see README, Configuration).")
    try:
        sender = import_string(settings.SMS_BACKEND)
    except ImportError as exc:
        return [Error(f"SMS_BACKEND cannot be imported: {exc}", hint=hint, id="gonghui.E002")]
    if getattr(sender, "development_only", False):
        return [Error(f"SMS_BACKEND is {settings.SMS_BACKEND}, a development sender: no code reaches a phone "
                      "(the console sender writes them to the log).", hint=hint, id="gonghui.E002")]
    return []


@register(Tags.models)
def pii_registry_check(app_configs=None, **kwargs) -> list[Error]:
    """Every field that looks like protected personal data is registered (``pii.register_fields``), so
    that key rotation and every other PII feature reach it."""
    from django.apps import apps

    configs = app_configs or apps.get_app_configs()
    models = [m for config in configs for m in config.get_models(include_auto_created=True)]
    return [Error(
        f"{name} looks like protected personal data (a ciphertext or keyed hash) but is not registered.",
        hint="Declare it in its app's AppConfig.ready() with gonghui.core.pii.register_fields (or "
             "register_other_digests for a digest of something that is not personal data).",
        id="gonghui.E005",
    ) for name in pii.unregistered_fields(models)]


@register(Tags.security, deploy=True)
def audit_anchor_check(app_configs=None, **kwargs) -> list[Error]:
    """Without DEBUG the audit checkpoints need their own key and a file they can be appended to:
    with a development key (derived from SECRET_KEY) anyone
    with the database could sign checkpoints for a rewritten chain."""
    if settings.DEBUG:
        return []
    hint = ("Set AUDIT_ANCHOR_KEY to 32 or more random characters kept outside the database, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`, and AUDIT_ANCHOR_FILE to a path on "
            "storage the database server cannot write (see README, Configuration).")
    try:
        _key, derived = audit.anchor_key()
    except ImproperlyConfigured as exc:
        problem = str(exc)
    else:
        problem = "AUDIT_ANCHOR_KEY is not set (a development key is derived from SECRET_KEY)." if derived else ""
    if not problem:
        folder = audit.anchor_path().parent
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            problem = f"the folder of AUDIT_ANCHOR_FILE ({folder}) does not exist or cannot be written."
    if not problem:
        return []
    return [Error(f"The audit log cannot be anchored outside the database: {problem}", hint=hint,
                  id="gonghui.E004")]
