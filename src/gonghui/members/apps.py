from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "gonghui.members"
    label = "members"

    def ready(self):
        from gonghui.core import pii

        for model in (self.get_model("Member"), self.get_model("JoinApplication")):
            pii.register_fields(model, pii.Value("id", "id_hash", "id_cipher"),
                                pii.Value("phone", "phone_hash", "phone_cipher"))

        from gonghui.demo import extensions
        from gonghui.members import demo

        extensions.register(extensions.Extension("members", load=demo.load, remove=demo.remove))
