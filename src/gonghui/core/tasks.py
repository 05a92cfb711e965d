"""Background tasks of the kernel (Django's tasks API, see settings.TASKS)."""

from django_tasks import task

from gonghui.core.cleanup import cleanup


@task()
def run_cleanup() -> dict:
    """`gonghui cleanup` as a task (enqueue it daily from a scheduler); returns what was removed."""
    return cleanup().as_data()
