"""Background work of imports, run by the worker (`dealerdesk db_worker`)."""

from django.tasks import task


@task()
def run_import(job_id: int, dry_run: bool, token: str) -> str:
    """Run a queued dry run or import of one job to its end; returns the job's final status."""
    from .services import import_run

    job = import_run(job_id, dry_run=dry_run, token=token)
    return job.status if job else "missing"
