from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BargainingConfig(AppConfig):
    name = "gonghui.bargaining"
    label = "bargaining"
    verbose_name = _("Collective contracts")

    def ready(self):
        """What this module contributes to the platform is registered here (see docs/decisions.md,
        "Platform: how modules plug in")."""
