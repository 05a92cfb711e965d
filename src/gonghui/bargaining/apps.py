"""Collective bargaining (集体协商): rounds with the law's deadlines, contracts in force, coverage, 能级工资."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BargainingConfig(AppConfig):
    name = "gonghui.bargaining"
    label = "bargaining"
    verbose_name = _("Collective contracts")

    def ready(self):
        """What this module contributes to the platform is registered here (see docs/decisions.md,
        "Platform: how modules plug in")."""
        from gonghui.bargaining.stats import SOURCE
        from gonghui.stats import activity
        from gonghui.workbench import menu, routes

        activity.register(SOURCE)
        menu.register(menu.MenuEntry("bargaining", _("Collective contracts"), "staff:bargaining:home",
                                     "file-earmark-text", group="unions", order=100, badge=_overdue_badge))
        routes.register_staff_urls("bargaining/", "gonghui.bargaining.staff_urls")
        routes.register_api_router("/bargaining", "gonghui.bargaining.api:router")


def _overdue_badge(user, org) -> int:
    """Rounds of the current union's subtree past a legal deadline: the work waiting."""
    from django.utils import timezone

    from gonghui.bargaining.selectors import overdue_count

    return overdue_count(user=user, org=org, today=timezone.localdate())
