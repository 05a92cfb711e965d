from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RoleKind(models.TextChoices):
    CADRE = "cadre", _("Union cadre")
    VIEWER = "viewer", _("Viewer")
    MEDIATOR = "mediator", _("Mediator")
    LAWYER = "lawyer", _("Station lawyer")


class Role(models.Model):
    """A role held on one org; it grants its rights on that org and its whole subtree."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="roles")
    org = models.ForeignKey("orgs.Org", verbose_name=_("union"), on_delete=models.CASCADE, related_name="roles")
    kind = models.CharField(_("role"), max_length=16, choices=RoleKind.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [models.UniqueConstraint(fields=["user", "org", "kind"], name="role_unique_per_org")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()} · {self.org}"


class AuditEntry(models.Model):
    """One append-only line of the audit log, chained to the previous one by hash."""

    seq = models.BigIntegerField(_("sequence number"), unique=True)
    at = models.DateTimeField(_("recorded at"))
    # PROTECT: SET_NULL would rewrite entries, which the append-only trigger refuses (and the chain would
    # break); a person who acted is deactivated, not deleted.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, on_delete=models.PROTECT,
                              related_name="+")
    actor_name = models.CharField(_("actor's name"), max_length=150, blank=True)
    action = models.CharField(_("operation"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object number"), max_length=64, blank=True)
    org_path = models.CharField(_("union path"), max_length=255, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("The audit log is append-only.")


class AuditHead(models.Model):
    """The last sequence number and hash of the chain; locked while a line is appended."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)


class ApiToken(models.Model):
    """A bearer token for the API; only its SHA-256 is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="api_tokens")
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")


class AccountPhone(models.Model):
    """The verified mobile of an account: members log in with it and an SMS code (no password needed).

    One account per mobile and one mobile per account. Kept like a member's phone: keyed hash
    (lookups), ciphertext bound to the hash, masked form.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="phone")
    phone_hash = models.CharField(max_length=64, unique=True)
    phone_cipher = models.BinaryField()
    phone_masked = models.CharField(_("mobile"), max_length=11)
    pii_key_id = models.CharField(max_length=16)
    verified_at = models.DateTimeField()

    class Meta:
        verbose_name = _("verified mobile")
        verbose_name_plural = _("verified mobiles")

    def __str__(self) -> str:
        return f"{self.user} · {self.phone_masked}"


class SmsCode(models.Model):
    """A one-time code sent by SMS. Only a keyed hash of the code is stored."""

    phone_hash = models.CharField(max_length=64)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    tries = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("SMS code")
        verbose_name_plural = _("SMS codes")
        indexes = [models.Index(fields=["phone_hash", "-created_at"], name="smscode_phone_idx")]


class WorkCalendarDay(models.Model):
    """A day whose status the calendar package does not know, or knows wrongly: the year's holiday
    schedule (放假) and make-up working weekends (调休) that the State Council publishes each
    November, entered here until a release of the package carries them (``gonghui.core.workdays``)."""

    day = models.DateField(_("day"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=60, blank=True, help_text=_("e.g. 春节, 国庆节调休"))

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {'上班' if self.is_workday else '休息'} {self.note}".strip()
