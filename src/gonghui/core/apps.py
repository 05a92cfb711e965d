from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "gonghui.core"
    label = "core"

    def ready(self):
        from gonghui.core import checks  # noqa: F401 - registers the system checks
