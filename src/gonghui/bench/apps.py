from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Performance figures measured in this process (`gonghui bench`); nothing of it runs at start-up."""

    name = "gonghui.bench"
    label = "bench"
