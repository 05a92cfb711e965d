from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data set and its command (`gonghui demo`). The modules' own demo data lives in their
    ``<app>.demo`` modules, imported only when a demo is loaded (see ``extensions``)."""

    name = "gonghui.demo"
    label = "demo"
