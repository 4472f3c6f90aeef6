"""Reads of imports, always scoped to the stores where the user may run that kind of import."""

from django.db.models import Count, Q, QuerySet

from dealerdesk.accounts.permissions import user_can
from dealerdesk.accounts.selectors import store_visible_to

from .models import ImportJob, ImportRowError, ImportRowWarning
from .registry import Importer, importers

ERRORS_SHOWN = 200


def import_stores_for(user, kind: str) -> list:
    """Stores where the user may run imports of `kind`."""
    importer = importers().get(kind)
    if importer is None:
        return []
    return [
        store
        for store in store_visible_to(user).order_by("group_id", "code")
        if user_can(user, importer.permission, store)
    ]


def import_job_visible_to(user) -> QuerySet[ImportJob]:
    """Jobs of the stores where the user holds the permission of the job's kind (a manager: the store's imports)."""
    if not getattr(user, "is_authenticated", False):
        return ImportJob.objects.none()
    store_ids = user.visible_store_ids()
    q = Q(pk__in=[])
    for kind, importer in importers().items():
        if store_ids is None:
            q |= Q(kind=kind)
            continue
        allowed = [sid for sid in store_ids if user_can(user, importer.permission, sid)]
        if allowed:
            q |= Q(kind=kind, store_id__in=allowed)
    return ImportJob.objects.filter(q).select_related("store", "created_by")


def import_job_get(user, pk: int) -> ImportJob:
    """One visible job, or ImportJob.DoesNotExist (shown as 404)."""
    return import_job_visible_to(user).get(pk=pk)


def import_errors(job: ImportJob, *, limit: int = ERRORS_SHOWN) -> list[ImportRowError]:
    """The first rejected rows' reasons, in file order."""
    return list(ImportRowError.objects.filter(job=job).order_by("row_number", "id")[:limit])


def import_warnings(job: ImportJob, *, limit: int = ERRORS_SHOWN) -> list[ImportRowWarning]:
    """The first warnings of rows that were imported all the same (e.g. an unknown lead source), in file order."""
    return list(ImportRowWarning.objects.filter(job=job).order_by("row_number", "id")[:limit])


def import_error_counts(job: ImportJob) -> list[dict]:
    """How many reasons each field (and file column) gave, most first (the error summary of the job page)."""
    return list(
        ImportRowError.objects.filter(job=job)
        .values("field", "column")
        .annotate(count=Count("id"))
        .order_by("-count", "field", "column")
    )


def importer_of(job: ImportJob) -> type[Importer]:
    return importers()[job.kind]
