from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "gonghui.stats"
    label = "stats"
