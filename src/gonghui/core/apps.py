from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "gonghui.core"
    label = "core"
    verbose_name = _("Access and audit")

    def ready(self):
        from django.db.backends.signals import connection_created

        import gonghui.core.checks  # noqa: F401 - registers the system checks
        from gonghui.core import audit, cleanup, pii

        connection_created.connect(audit.add_sqlite_functions, dispatch_uid="gonghui.audit.sqlite_functions")

        account_phone, sms_code = self.get_model("AccountPhone"), self.get_model("SmsCode")
        pii.register_fields(account_phone, pii.Value("phone", "phone_hash", "phone_cipher"))
        pii.register_fields(sms_code, pii.Value("phone", "phone_hash"))
        pii.register_other_digests(sms_code, "code_hash", why="an HMAC of the one-time code under SECRET_KEY")
        pii.register_other_digests(self.get_model("ApiToken"), "key_hash", why="the SHA-256 of a bearer token")
        pii.register_other_digests(self.get_model("AuditEntry"), "hash", "prev_hash", why="the audit chain")
        pii.register_other_digests(self.get_model("AuditHead"), "hash", why="the audit chain")
        if apps.is_installed("axes"):
            pii.register_other_digests(apps.get_model("axes", "AccessLog"), "session_hash",
                                       why="django-axes: a hash of the session key")

        cleanup.register(cleanup.CleanupJob("sms_codes", "expired SMS codes", cleanup.stale_sms_codes))
        cleanup.register(cleanup.CleanupJob("api_tokens", "expired API tokens", cleanup.expired_api_tokens))
        cleanup.register(cleanup.CleanupJob("accounts", "abandoned sign-ups", cleanup.abandoned_sign_ups,
                                            removed_note="(mobile removed, account deactivated)"))
