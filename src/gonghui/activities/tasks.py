"""Background tasks of the activities engine (Django's tasks API, see settings.TASKS)."""

from django_tasks import task

from gonghui.activities.services import offers_pass_on


@task()
def pass_on_offers() -> int:
    """Lapse the waiting-list offers whose time ran out and offer the places on; run it hourly."""
    return offers_pass_on()
