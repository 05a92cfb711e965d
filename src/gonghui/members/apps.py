from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "gonghui.members"
    label = "members"

    def ready(self):
        from gonghui.demo import extensions
        from gonghui.members import demo

        extensions.register(extensions.Extension("members", load=demo.load, remove=demo.remove))
