from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StationsConfig(AppConfig):
    name = "gonghui.stations"
    label = "stations"
    verbose_name = _("Service stations")

    def ready(self):
        """What this module contributes to the platform is registered here (see docs/decisions.md,
        "Platform: how modules plug in")."""
