from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "gonghui.portal"
    label = "portal"
    verbose_name = _("Member pages")

    def ready(self):
        from gonghui.workbench import portal

        # The portal's own services of the home grid, and the places of those still to come: a
        # module that ships one registers its tile under the same key (with its URL name).
        for order, key, label, icon, url in [
            (10, "card", _("Member card"), "credit-card-2-front", "portal:me"),
            (20, "membership", _("My union"), "people", "portal:union"),
            (30, "join", _("Join the union"), "person-plus", "portal:join"),
            (50, "assistance", _("Hardship help"), "house-heart", None),
            (70, "benefits", _("Benefits and activities"), "gift", None),
            (80, "stations", _("Service stations"), "geo-alt", None),
            (90, "voice", _("Raise a matter"), "chat-dots", None),
        ]:
            portal.register_tile(portal.Tile(key, label, icon, url, order=order))
