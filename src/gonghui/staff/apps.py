from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "gonghui.staff"
    label = "staff"
    verbose_name = _("Union workbench")

    def ready(self):
        from django.urls import reverse

        from gonghui.workbench import menu

        # The groups of the menu, and the shell's own pages; modules add theirs from their ready().
        menu.register_group(menu.MenuGroup("unions", _("Unions and members"), order=100))
        menu.register_group(menu.MenuGroup("stats", _("Statistics"), order=200))
        menu.register_group(menu.MenuGroup("system", _("System"), order=900, shown=menu.always))
        menu.register(menu.MenuEntry("home", _("Workbench"), "staff:home", "speedometer2", order=0,
                                     shown=menu.always))
        menu.register(menu.MenuEntry("orgs", _("Union tree"), lambda org: reverse("staff:org", args=[org.code]),
                                     "diagram-3", group="unions", order=10))
        menu.register(menu.MenuEntry("stats", _("Figures at a glance"), "staff:stats", "bar-chart-line",
                                     group="stats", order=10))
        menu.register(menu.MenuEntry("admin", _("Administration"), "admin:index", "gear", group="system", order=10,
                                     shown=lambda user, org: user.is_superuser))
