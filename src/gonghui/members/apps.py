from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "gonghui.members"
    label = "members"
    verbose_name = _("Member roster")

    def ready(self):
        from gonghui.core import cleanup, pii
        from gonghui.members import cleanup as stale

        for model in (self.get_model("Member"), self.get_model("JoinApplication")):
            pii.register_fields(model, pii.Value("id", "id_hash", "id_cipher"),
                                pii.Value("phone", "phone_hash", "phone_cipher"))
        cleanup.register(cleanup.CleanupJob("import_jobs", "roster import jobs", stale.old_import_jobs))
        cleanup.register(cleanup.CleanupJob("export_jobs", "member export jobs", stale.old_export_jobs))
        for folder in stale.FOLDERS:
            cleanup.register_folder(cleanup.PrivateFolder(folder, referenced=stale.referenced_files))

