"""Third-party apps under the project's names: their own configuration with a translated
``verbose_name``, so the /admin/ headings read in the user's language."""

from axes.apps import AppConfig as AxesConfigBase
from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


class AxesConfig(AxesConfigBase):
    default = False
    verbose_name = _("Login lockout")


class TasksConfig(TasksAppConfig):
    default = False
    verbose_name = _("Background tasks")
