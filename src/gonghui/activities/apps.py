from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "gonghui.activities"
    label = "activities"
    verbose_name = _("Activities and benefits")

    def ready(self):
        """What this module contributes to the platform is registered here (see docs/decisions.md,
        "Platform: how modules plug in")."""
