from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "gonghui.disputes"
    label = "disputes"
    verbose_name = "Labour-dispute mediation"
