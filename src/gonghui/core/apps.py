from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "gonghui.core"
    label = "core"

    def ready(self):
        from django.db.backends.signals import connection_created

        from gonghui.core import audit, checks  # noqa: F401 - checks registers the system checks

        connection_created.connect(audit.add_sqlite_functions, dispatch_uid="gonghui.audit.sqlite_functions")
