from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "gonghui.members"
    label = "members"
    verbose_name = _("Member roster")

    def ready(self):
        from gonghui.core import cleanup, pii
        from gonghui.members import cleanup as stale, dimensions
        from gonghui.stats import tallies

        tallies.register_recount(dimensions.RECOUNT)

        for model in (self.get_model("Member"), self.get_model("JoinApplication")):
            pii.register_fields(model, pii.Value("id", "id_hash", "id_cipher"),
                                pii.Value("phone", "phone_hash", "phone_cipher"))
        cleanup.register(cleanup.CleanupJob("import_jobs", "roster import jobs", stale.old_import_jobs))
        cleanup.register(cleanup.CleanupJob("export_jobs", "member export jobs", stale.old_export_jobs))
        for folder in stale.FOLDERS:
            cleanup.register_folder(cleanup.PrivateFolder(folder, referenced=stale.referenced_files))

        self._register_pages()

    def _register_pages(self):
        from django.urls import reverse

        from gonghui.members import selectors
        from gonghui.workbench import menu, routes

        def page(name):
            return lambda org: reverse(name, args=[org.code])

        def waiting(count):  # the badge: requests waiting in the current union's subtree
            return lambda user, org: count(user=user, org=org) if org is not None else 0

        menu.register(menu.MenuEntry("members", _("Member roster"), page("staff:members"), "person-vcard",
                                     group="unions", order=20))
        menu.register(menu.MenuEntry("joins", _("Join approvals"), page("staff:joins"), "person-plus",
                                     group="unions", order=30, badge=waiting(selectors.join_pending_count)))
        menu.register(menu.MenuEntry("transfers", _("Member transfers"), page("staff:transfers"), "arrow-left-right",
                                     group="unions", order=40, badge=waiting(selectors.transfer_pending_count)))
        routes.register_staff_urls("", "gonghui.members.staff_urls")
        routes.register_api_router("/orgs", "gonghui.members.stats_api:router")  # /orgs/{code}/stats
        routes.register_api_router("/members", "gonghui.members.api:router")
        routes.register_api_router("/joins", "gonghui.members.requests_api:joins_router")
        routes.register_api_router("/transfers", "gonghui.members.requests_api:transfers_router")
