from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisputesConfig(AppConfig):
    name = "gonghui.disputes"
    label = "disputes"
    verbose_name = _("Labour-dispute mediation")

    def ready(self):
        from gonghui.core import pii
        from gonghui.disputes import services
        from gonghui.stats import activity

        activity.register(activity.Source(name="disputes", metrics=services.METRICS, recount=services.recount))
        pii.register_fields(self.get_model("Case"), pii.Value("id", "id_hash", "id_cipher"),
                            pii.Value("phone", "phone_hash", "phone_cipher"))
