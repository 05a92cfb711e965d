from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "gonghui.orgs"
    label = "orgs"
    verbose_name = _("Union tree")

    def ready(self):
        from gonghui.orgs import tallies as org_tallies
        from gonghui.stats import tallies

        tallies.register_recount(org_tallies.RECOUNT)
