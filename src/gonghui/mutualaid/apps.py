from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MutualAidConfig(AppConfig):
    name = "gonghui.mutualaid"
    label = "mutualaid"
    verbose_name = _("Medical mutual aid")

    def ready(self) -> None:
        from gonghui.core import pii
        from gonghui.mutualaid.stats import SOURCE
        from gonghui.stats import activity
        from gonghui.workbench import menu, portal, routes

        activity.register(SOURCE)
        pii.register_fields(self.get_model("SettlementRecord"), pii.Value("id", "id_hash", "id_cipher"))
        pii.register_fields(self.get_model("Claim"), pii.Value("id", "patient_hash", "patient_cipher"))
        # The person a payout and a yearly ledger belong to: the member's or a dependant's ID hash.
        pii.register_fields(self.get_model("Ledger"), pii.Value("id", "person_hash"))
        pii.register_fields(self.get_model("Payout"), pii.Value("id", "person_hash"))
        menu.register(menu.MenuEntry("aid", _("Mutual aid"), "staff:mutualaid:home", "heart-pulse",
                                     group="unions", order=60))
        portal.register_tile(portal.Tile("mutual_aid", _("Mutual medical aid"), "heart-pulse", "portal:mutualaid:cover",
                                         order=40))
        portal.register_section(portal.Section("aid", "mutualaid/portal/_services_section.html", _claims_in_progress,
                                               order=20))
        routes.register_staff_urls("aid/", "gonghui.mutualaid.staff_urls")
        routes.register_portal_urls("aid/", "gonghui.mutualaid.portal_urls")
        routes.register_api_router("/aid", "gonghui.mutualaid.api:router")


def _claims_in_progress(user):
    from gonghui.mutualaid.portal_views import claims_in_progress  # the views load with the URLconf

    return claims_in_progress(user=user)
