"""Background tasks of collective bargaining (Django's tasks API, see settings.TASKS)."""

from django_tasks import task

from gonghui.bargaining.services import overdue_reminders


@task()
def send_overdue_reminders() -> dict:
    """Text the cadres of unions with rounds past a legal deadline; enqueue it daily from a scheduler."""
    return overdue_reminders()
