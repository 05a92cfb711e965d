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
        from gonghui.workbench import menu, portal, routes

        activity.register(source())

        # The contact's mobile number of a station: protected at rest like every phone.
        pii.register_fields(self.get_model("Station"), pii.Value("phone", "phone_hash", "phone_cipher"))
        menu.register(menu.MenuEntry("stations", _("Service stations"), "staff:stations:home", "geo-alt",
                                     group="unions", order=90, badge=_open_reports))
        portal.register_tile(portal.Tile("stations", _("Service stations"), "geo-alt", "portal:stations:near",
                                         order=80))
        routes.register_staff_urls("stations/", "gonghui.stations.staff_urls")
        routes.register_portal_urls("stations/", "gonghui.stations.portal_urls")
        routes.register_api_router("/stations", "gonghui.stations.api:router")


def _open_reports(user, org) -> int:
    from gonghui.stations.selectors import open_reports_count

    return open_reports_count(user=user, org=org)
