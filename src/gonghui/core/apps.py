from django.apps import AppConfig, apps


class CoreConfig(AppConfig):
    name = "gonghui.core"
    label = "core"

    def ready(self):
        from gonghui.core import checks  # noqa: F401 - registers the system checks
        from gonghui.core import pii

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
