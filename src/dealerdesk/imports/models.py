"""Spreadsheet imports: one job per uploaded file, and every row it rejected."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import BUSY_STATUSES, ImportStatus


def import_upload_to(job: "ImportJob", filename: str) -> str:
    """MEDIA_ROOT/imports/<job id>/<original name>: the job row exists before its file is stored."""
    return f"imports/{job.pk}/{filename}"


class ImportJob(models.Model):
    """One uploaded file being mapped, checked (dry run) and imported, with live progress and counts."""

    store = models.ForeignKey("accounts.Store", verbose_name=_("store"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("what is imported"), max_length=30)
    status = models.CharField(_("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.UPLOADED)
    file = models.FileField(_("file"), upload_to=import_upload_to, max_length=300, blank=True)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    encoding = models.CharField(_("text encoding"), max_length=20, blank=True)
    headers = models.JSONField(_("columns"), default=list, blank=True)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    total = models.PositiveIntegerField(_("rows in the file"), default=0)
    created = models.PositiveIntegerField(_("records created"), default=0)
    updated = models.PositiveIntegerField(_("records updated"), default=0)
    merged = models.PositiveIntegerField(_("records merged"), default=0)
    unchanged = models.PositiveIntegerField(_("rows unchanged"), default=0)
    rejected = models.PositiveIntegerField(_("rows rejected"), default=0)
    warned = models.PositiveIntegerField(_("rows imported with a warning"), default=0)
    skipped_empty = models.PositiveIntegerField(_("empty rows skipped"), default=0)
    progress = models.PositiveIntegerField(_("rows processed"), default=0)
    error_code = models.CharField(_("error code"), max_length=40, blank=True)
    error_summary = models.TextField(_("error message"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    run_token = models.CharField(max_length=32, blank=True, editable=False)  # the run allowed to write (see services)
    # The language of whoever started the run: the worker writes every reason of the report in it (issue #11.13).
    language = models.CharField(_("language of the report"), max_length=10, blank=True, editable=False)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True, editable=False)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [models.Index(fields=["store", "-id"], name="importjob_store_recent")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.original_name}"

    @property
    def is_busy(self) -> bool:
        return self.status in BUSY_STATUSES

    @property
    def percent(self) -> int:
        """Progress for the progress bar, 0–100 (the row total is known only after the first pass)."""
        if self.status in (ImportStatus.DONE, ImportStatus.DRY_RUN_DONE):
            return 100
        if not self.total:
            return 0
        return min(100, self.progress * 100 // self.total)


class ImportRowError(models.Model):
    """A rejected row: where (row as the spreadsheet numbers it, file column), why, and the row as read."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="errors")
    row_number = models.PositiveIntegerField(_("row number"))
    column = models.CharField(_("column"), max_length=200, blank=True)
    # The importer's field the column was mapped to ("" for the whole row): the report names it in its own language.
    field = models.CharField(_("field"), max_length=40, blank=True)
    reason = models.TextField(_("reason"))
    raw = models.JSONField(_("row as read"), default=dict)

    class Meta:
        verbose_name = _("rejected row")
        verbose_name_plural = _("rejected rows")
        ordering = ["row_number", "id"]
        indexes = [models.Index(fields=["job", "row_number"], name="importrowerror_job_row")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.row_number} {self.column}"


class ImportRowWarning(models.Model):
    """A row imported (or to be, in a dry run) with something to check, e.g. a lead source that is not in the list
    and was recorded as "other" with its text kept. Kept apart from the rejected rows: the row is not refused."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="warnings")
    row_number = models.PositiveIntegerField(_("row number"))
    column = models.CharField(_("column"), max_length=200, blank=True)
    field = models.CharField(_("field"), max_length=40, blank=True)
    reason = models.TextField(_("warning"))

    class Meta:
        verbose_name = _("row imported with a warning")
        verbose_name_plural = _("rows imported with a warning")
        ordering = ["row_number", "id"]
        indexes = [models.Index(fields=["job", "row_number"], name="importrowwarning_job_row")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.row_number} {self.column}"
