from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "gonghui.staff"
    label = "staff"
