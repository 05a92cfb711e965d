"""困难职工帮扶: hardship files, grading, notice and approval, help paid once, yearly review, lifting out."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistanceConfig(AppConfig):
    name = "gonghui.assistance"
    label = "assistance"
    verbose_name = _("Hardship help")

    def ready(self):
        """What this module contributes to the platform is registered here (see docs/decisions.md,
        "Platform: how modules plug in")."""
        from gonghui.assistance.stats import SOURCE
        from gonghui.core import pii
        from gonghui.stats import activity
        from gonghui.workbench import menu, portal, routes

        activity.register(SOURCE)
        pii.register_fields(self.get_model("HouseholdMember"), pii.Value("id", "id_hash", "id_cipher"))
        # The person a grant belongs to: the member's ID hash, city-wide (help once a cycle).
        pii.register_fields(self.get_model("Grant"), pii.Value("id", "person_hash"))
        menu.register(menu.MenuEntry("assistance", _("Hardship help"), "staff:assistance:home", "house-heart",
                                     group="unions", order=70, badge=_waiting))
        portal.register_tile(portal.Tile("assistance", _("Hardship help"), "house-heart", "portal:assistance:cover",
                                         order=50))
        routes.register_staff_urls("hardship/", "gonghui.assistance.staff_urls")
        routes.register_portal_urls("hardship/", "gonghui.assistance.portal_urls")
        routes.register_api_router("/hardship", "gonghui.assistance.api:router")


def _waiting(user, org) -> int:
    from gonghui.assistance.selectors import waiting_count

    return waiting_count(user, org)
