"""Background tasks of the mediation module (Django's tasks API, see settings.TASKS)."""

from django_tasks import task

from gonghui.disputes.services import overdue_reminders


@task()
def send_overdue_reminders() -> dict:
    """Text the mediators of rooms with overdue cases; enqueue it daily from a scheduler."""
    return overdue_reminders()
