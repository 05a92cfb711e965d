from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistanceConfig(AppConfig):
    name = "gonghui.assistance"
    label = "assistance"
    verbose_name = _("Hardship help")

    def ready(self):
        """What this module contributes to the platform is registered here (see docs/decisions.md,
        "Platform: how modules plug in")."""
