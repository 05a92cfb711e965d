from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisputesConfig(AppConfig):
    name = "gonghui.disputes"
    label = "disputes"
    verbose_name = _("Labour-dispute mediation")

    def ready(self):
        from gonghui.core import pii
        from gonghui.disputes import selectors, services
        from gonghui.stats import activity
        from gonghui.workbench import home, menu, portal, routes

        activity.register(activity.Source(name="disputes", metrics=services.METRICS, recount=services.recount))
        pii.register_fields(self.get_model("Case"), pii.Value("id", "id_hash", "id_cipher"),
                            pii.Value("phone", "phone_hash", "phone_cipher"))
        # Room staff (mediators, lawyers) hold no union role: the entry shows for them too, and the
        # workbench's home sends them to their rooms' cases.
        menu.register(menu.MenuEntry("disputes", _("Labour disputes"), "staff:disputes:home", "shield-check",
                                     group="unions", order=50, shown=menu.always))
        home.register_landing(home.Landing("disputes", "staff:disputes:home", selectors.is_dispute_staff))
        portal.register_tile(portal.Tile("legal", _("Legal aid and mediation"), "shield-check", "portal:disputes:list",
                                         order=60))
        portal.register_section(portal.Section("disputes", "disputes/portal/_services_section.html",
                                               lambda user: selectors.case_list(user=user, mine=True), order=10))
        routes.register_staff_urls("disputes/", "gonghui.disputes.staff_urls")
        routes.register_portal_urls("disputes/", "gonghui.disputes.portal_urls")
        routes.register_api_router("/disputes", "gonghui.disputes.api:router")
