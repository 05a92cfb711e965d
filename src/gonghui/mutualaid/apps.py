from django.apps import AppConfig


class MutualAidConfig(AppConfig):
    name = "gonghui.mutualaid"
    label = "mutualaid"
    verbose_name = "Medical mutual aid"

    def ready(self) -> None:
        from gonghui.mutualaid.stats import SOURCE
        from gonghui.stats import activity

        activity.register(SOURCE)
        from gonghui.demo import extensions
        from gonghui.mutualaid import demo

        extensions.register(extensions.Extension("mutualaid", load=demo.load, remove=demo.remove))
