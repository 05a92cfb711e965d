from django.apps import AppConfig


class MutualAidConfig(AppConfig):
    name = "gonghui.mutualaid"
    label = "mutualaid"
    verbose_name = "Medical mutual aid"

    def ready(self) -> None:
        from gonghui.mutualaid.stats import SOURCE
        from gonghui.stats import activity

        activity.register(SOURCE)
