"""Background tasks of the member database (Django's tasks API, see settings.TASKS)."""

from django_tasks import task

from gonghui.members.import_jobs import import_job_run


@task()
def run_import_job(job_id: int) -> str:
    """Import the roster file of an ImportJob; the job row carries progress and outcome."""
    return import_job_run(job_id=job_id)


@task()
def run_export_job(job_id: int) -> str:
    """Write the workbook of a long member list export (ExportJob)."""
    from gonghui.members.export_jobs import export_job_run

    return export_job_run(job_id=job_id)
