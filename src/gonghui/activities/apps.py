from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "gonghui.activities"
    label = "activities"
    verbose_name = _("Activities and benefits")

    def ready(self):
        """What this module contributes to the platform is registered here (see docs/decisions.md,
        "Platform: how modules plug in")."""
        from gonghui.activities.stats import SOURCE
        from gonghui.core import cleanup
        from gonghui.stats import activity
        from gonghui.workbench import menu, portal, routes

        activity.register(SOURCE)
        cleanup.register(cleanup.CleanupJob("activity_offers", "lapsed waiting-list offers passed on", _pass_on))
        menu.register(menu.MenuEntry("activities", _("Activities"), "staff:activities:home", "calendar-heart",
                                     group="unions", order=80))
        portal.register_tile(portal.Tile("benefits", _("Benefits and activities"), "gift", "portal:activities:home",
                                         order=70))
        portal.register_section(portal.Section("activities", "activities/portal/_services_section.html",
                                               _my_registrations, order=40))
        routes.register_staff_urls("activities/", "gonghui.activities.staff_urls")
        routes.register_portal_urls("activities/", "gonghui.activities.portal_urls")
        routes.register_api_router("/activities", "gonghui.activities.api:router")


def _pass_on(window, *, dry_run: bool):
    from gonghui.activities.models import Registration, RegStatus
    from gonghui.activities.services import offers_pass_on
    from gonghui.core.cleanup import Found

    if dry_run:
        return Found(count=Registration.objects.filter(status=RegStatus.OFFERED,
                                                       offer_expires_at__lte=window.now).count())
    return Found(count=offers_pass_on(now=window.now))


def _my_registrations(user):
    from gonghui.activities.portal_views import registrations_in_progress  # the views load with the URLconf

    return registrations_in_progress(user=user)
