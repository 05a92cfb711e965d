"""Service stations (驿站, 骑手之家, 妈咪暖心小屋, 职工书屋…): map, nearest search, visits, star review."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StationsConfig(AppConfig):
    name = "gonghui.stations"
    label = "stations"
    verbose_name = _("Service stations")

    def ready(self):
        """What this module contributes to the platform is registered here (see docs/decisions.md,
        "Platform: how modules plug in")."""
        from gonghui.core import pii
        from gonghui.stations.stats import source
        from gonghui.stats import activity
        from gonghui.workbench import routes

        activity.register(source())

        # The contact's mobile number of a station: protected at rest like every phone.
        pii.register_fields(self.get_model("Station"), pii.Value("phone", "phone_hash", "phone_cipher"))
        routes.register_api_router("/stations", "gonghui.stations.api:router")
