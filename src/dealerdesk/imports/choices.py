"""Import job statuses and the allowed moves between them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    MAPPED = "mapped", _("Columns mapped")
    CHECKING = "checking", _("Dry run in progress")
    DRY_RUN_DONE = "dry_run_done", _("Dry run done")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Import complete")
    FAILED = "failed", _("Failed to import")


# from → allowed next statuses. The mapping may change until the import starts; a finished job is final.
STATUS_MOVES: dict[str, set[str]] = {
    ImportStatus.UPLOADED: {ImportStatus.MAPPED, ImportStatus.FAILED},
    ImportStatus.MAPPED: {ImportStatus.MAPPED, ImportStatus.CHECKING, ImportStatus.RUNNING, ImportStatus.FAILED},
    ImportStatus.CHECKING: {ImportStatus.DRY_RUN_DONE, ImportStatus.FAILED},
    ImportStatus.DRY_RUN_DONE: {
        ImportStatus.MAPPED,
        ImportStatus.CHECKING,
        ImportStatus.RUNNING,
        ImportStatus.FAILED,
    },
    ImportStatus.RUNNING: {ImportStatus.DONE, ImportStatus.FAILED},
    ImportStatus.DONE: set(),
    ImportStatus.FAILED: set(),
}

BUSY_STATUSES = {ImportStatus.CHECKING, ImportStatus.RUNNING}
MAPPABLE_STATUSES = {ImportStatus.UPLOADED, ImportStatus.MAPPED, ImportStatus.DRY_RUN_DONE}
