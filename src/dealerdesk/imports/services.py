"""Writes of imports: upload, mapping, starting a dry run or the import, and running it batch by batch.

The run (`import_run`, called by the task) streams the stored file through `core.tabular`, hands the importer of
the job's kind batches of mapped rows, each batch in its own transaction together with its rejected rows, the
job's progress and (when importing) one audit entry. A dry run goes through the same code with
`dry_run=True`: the importer validates and classifies every row exactly as it would import it, writing nothing
but the rejected rows and the counts. A dry run is not a rolled-back import, so it holds no write lock while it
reads the file, and rows repeated later in the file are recognised from the importer's memory of the run.
"""

import gc
import logging
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from itertools import islice
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dealerdesk.accounts.models import Store, User
from dealerdesk.accounts.permissions import user_can
from dealerdesk.core.audit import access_record, audit_record
from dealerdesk.core.errors import DomainError, NotPermitted, TransitionRefused
from dealerdesk.core.tabular import TableError, map_headers, read_table, write_xlsx

from .choices import BUSY_STATUSES, STATUS_MOVES, ImportStatus
from .models import ImportJob, ImportRowError, ImportRowWarning
from .registry import BatchResult, Importer, Row, importer_for

logger = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024
MAX_COLUMNS = 200
BATCH_ATTEMPTS = 3
STALLED_AFTER = timedelta(minutes=5)  # a run shows a sign of life at every batch (well under a second)
COUNT_FIELDS = (
    "total",
    "created",
    "updated",
    "merged",
    "unchanged",
    "rejected",
    "warned",
    "skipped_empty",
    "progress",
)


# ---------------------------------------------------------------- helpers


def _importer(kind: str) -> type[Importer]:
    try:
        return importer_for(kind)
    except KeyError:
        raise DomainError(_("This kind of import is not available."), code="unknown_kind", field="kind") from None


def _require_import(actor: User, job_or_store, kind: str) -> type[Importer]:
    importer = _importer(kind)
    if not user_can(actor, importer.permission, job_or_store):
        raise NotPermitted()
    return importer


def _move(job: ImportJob, status: str) -> None:
    if status not in STATUS_MOVES[job.status]:
        raise TransitionRefused(
            gettext("This import is “%(status)s”; that step is not possible now.")
            % {"status": job.get_status_display()},
            code="import_status",
        )
    job.status = status


def _read(fileobj: IO[bytes], filename: str):
    return read_table(fileobj, filename=filename, max_bytes=MAX_BYTES, max_columns=MAX_COLUMNS)


def _language(code: str | None) -> str | None:
    """`code` when it is one of the interface's languages, else None."""
    return code if code in dict(settings.LANGUAGES) else None


def report_language(job: ImportJob) -> str:
    """The one language of a job's report (issue #11.13): that of whoever started the run, else of the uploader,
    else the site's. Never "no language": the run would then write Django's English messages next to the
    importer's fields and a Chinese file's columns."""
    return _language(job.language) or _language(job.created_by.language) or settings.LANGUAGE_CODE


# ---------------------------------------------------------------- upload and mapping


def import_upload(*, actor: User, store: Store, kind: str, upload: File) -> ImportJob:
    """Check an uploaded file (format, size ≤ 20 MB, encoding, header row) and open a job with a suggested mapping.

    A file that cannot be read leaves a failed job with the reason (and no stored file) and raises `TableError`
    with the job's id in `extra`.
    """
    importer = _require_import(actor, store, kind)
    filename = os.path.basename(upload.name or "") or "upload"
    size = upload.size or 0
    try:
        table = _read(upload, filename)
    except TableError as exc:
        with transaction.atomic():
            job = ImportJob.objects.create(
                store=store,
                kind=kind,
                created_by=actor,
                original_name=filename[:255],
                size=size,
                status=ImportStatus.FAILED,
                error_code=exc.code,
                error_summary=str(exc.message),
                finished_at=timezone.now(),
            )
            audit_record(actor=actor, action="import.failed", target=job, diff={"error": exc.code})
        exc.extra["job_id"] = job.pk
        raise
    suggested, _unmapped = map_headers(table.headers, importer.aliases())
    with transaction.atomic():
        job = ImportJob.objects.create(
            store=store,
            kind=kind,
            created_by=actor,
            original_name=filename[:255],
            size=size,
            encoding=table.encoding or "",
            headers=table.headers,
            mapping={header: suggested.get(header) for header in table.headers},
        )
        upload.seek(0)
        job.file.save(filename, upload, save=False)
        try:
            job.save(update_fields=["file"])
            audit_record(
                actor=actor,
                action="import.uploaded",
                target=job,
                diff={"file": [None, filename], "columns": [None, len(table.headers)]},
            )
        except Exception:
            job.file.delete(save=False)
            raise
    return job


def clean_mapping(importer: type[Importer], headers: list[str], mapping: dict) -> dict[str, str | None]:
    """{file column: field or None}, every column present; raises ValidationError({"mapping": [...]})."""
    errors: list[str] = []
    fields = set(importer.field_names())
    if not isinstance(mapping, dict):
        raise ValidationError({"mapping": [_("Send the mapping as {column: field or null}.")]})
    unknown_columns = [column for column in mapping if column not in headers]
    if unknown_columns:
        errors.append(gettext("The file has no column “%(column)s”.") % {"column": unknown_columns[0]})
    cleaned: dict[str, str | None] = {}
    for header in headers:
        field = mapping.get(header) or None
        if field is not None and field not in fields:
            errors.append(gettext("“%(field)s” is not a field of this import.") % {"field": field})
            field = None
        cleaned[header] = field
    used: dict[str, str] = {}
    for header, field in cleaned.items():
        if field is None:
            continue
        if field in used:
            label = next(str(spec.label) for spec in importer.fields if spec.name == field)
            errors.append(
                gettext("Both “%(first)s” and “%(second)s” are mapped to %(field)s; choose one and ignore the other.")
                % {"first": used[field], "second": header, "field": label}
            )
        used[field] = header
    for spec in importer.required_fields():
        if spec.name not in used:
            errors.append(gettext("Choose the column that holds %(field)s.") % {"field": spec.label})
    if errors:
        raise ValidationError({"mapping": errors})
    return cleaned


@transaction.atomic
def import_set_mapping(*, actor: User, job: ImportJob, mapping: dict) -> ImportJob:
    """Save which file column feeds which field ("ignore" = None); possible until the import starts."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    importer = _require_import(actor, job, job.kind)
    _move(job, ImportStatus.MAPPED)
    cleaned = clean_mapping(importer, job.headers, mapping)
    before = job.mapping
    job.mapping = cleaned
    job.save(update_fields=["status", "mapping", "updated_at"])
    if before != cleaned:
        audit_record(actor=actor, action="import.mapped", target=job, diff={"mapping": [before, cleaned]})
    return job


@transaction.atomic
def import_start(*, actor: User, job: ImportJob, dry_run: bool) -> ImportJob:
    """Queue a dry run or the import itself; the worker picks it up once this transaction commits."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    _require_import(actor, job, job.kind)
    if job.status == ImportStatus.UPLOADED:
        raise TransitionRefused(_("Map the columns first."), code="import_not_mapped")
    _move(job, ImportStatus.CHECKING if dry_run else ImportStatus.RUNNING)
    job.language = _language(actor.language) or ""  # the worker writes the reasons in it
    for name in COUNT_FIELDS:
        setattr(job, name, job.total if name == "total" else 0)
    job.started_at, job.finished_at, job.error_code, job.error_summary = None, None, "", ""
    _enqueue(job, dry_run=dry_run)
    return job


def _enqueue(job: ImportJob, *, dry_run: bool) -> None:
    """Hand the run to a worker under a new token: only the task holding the job's current token may write."""
    from .tasks import run_import

    job.run_token = secrets.token_hex(16)
    job.heartbeat_at = timezone.now()
    job.save()
    job_id, token = job.pk, job.run_token
    transaction.on_commit(lambda: run_import.enqueue(job_id, dry_run, token))


def imports_resume_stalled(*, now: datetime | None = None) -> int:
    """Queue again the runs whose worker stopped (no sign of life for STALLED_AFTER); returns how many.

    An import continues after its last committed batch; a dry run starts over. A task of the old token that is
    merely slow stops at its next batch, so a run never has two writers.
    """
    now = now or timezone.now()
    resumed = 0
    stalled = ImportJob.objects.filter(status__in=BUSY_STATUSES, heartbeat_at__lt=now - STALLED_AFTER)
    for job_id in stalled.values_list("pk", flat=True):
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().filter(pk=job_id, status__in=BUSY_STATUSES).first()
            if job is None or job.heartbeat_at >= now - STALLED_AFTER:
                continue
            logger.warning("import job %s stalled since %s; queued again", job.pk, job.heartbeat_at.isoformat())
            _enqueue(job, dry_run=job.status == ImportStatus.CHECKING)
            resumed += 1
    return resumed


# ---------------------------------------------------------------- the run


class _Superseded(Exception):
    """This task's token is no longer the job's: a newer run took over."""


def _batches(rows: Iterator, size: int) -> Iterator[list]:
    while batch := list(islice(rows, size)):
        yield batch


def _beat(job: ImportJob, token: str, **fields) -> None:
    """Record progress (and that this run is alive); raises _Superseded when another run owns the job."""
    if not ImportJob.objects.filter(pk=job.pk, run_token=token).update(heartbeat_at=timezone.now(), **fields):
        raise _Superseded


def import_run(job_id: int, *, dry_run: bool, token: str) -> ImportJob | None:
    """Run a queued dry run or import to its end (the task's body). Never raises: failures end the job as failed."""
    job = ImportJob.objects.select_related("store", "created_by").filter(pk=job_id).first()
    expected = ImportStatus.CHECKING if dry_run else ImportStatus.RUNNING
    if job is None or job.status != expected or job.run_token != token:
        return job  # finished, or a newer run owns it (a re-delivered or superseded task)
    with translation.override(report_language(job)):
        try:
            _beat(job, token)
            with _long_run():
                _run_file(job, token, dry_run=dry_run)
        except _Superseded:
            logger.info("import job %s: run superseded by a newer one", job.pk)
        except TableError as exc:
            _fail(job, token, exc.code, str(exc.message))
        except Exception as exc:
            # Only the type: the message of a database error can quote a row's personal data.
            logger.error("import job %s stopped: %s", job.pk, type(exc).__name__)
            _fail(
                job,
                token,
                "internal",
                gettext(
                    "The import stopped because of an unexpected error. Batches written before it are kept; "
                    "upload the file again to finish: rows already imported are recognised and not duplicated."
                ),
            )
    job.refresh_from_db()
    return job


@contextmanager
def _long_run():
    """Keep the objects alive before the run out of the cyclic garbage collector's full passes.

    A run allocates millions of short-lived objects; each full collection would otherwise walk every object the
    process holds (the whole of Django), which made batches several times slower in the benchmark.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _run_file(job: ImportJob, token: str, *, dry_run: bool) -> None:
    importer = importer_for(job.kind)(job, dry_run=dry_run)
    # An import resumed after its worker stopped keeps the batches already committed and skips their rows.
    done_rows = 0 if dry_run else job.progress
    counts = {name: getattr(job, name) for name in COUNT_FIELDS}
    if not done_rows:
        counts = dict.fromkeys(COUNT_FIELDS, 0)
        counts["total"] = 0 if dry_run else job.total  # the dry run counted this very file
        ImportRowError.objects.filter(job=job).delete()
        ImportRowWarning.objects.filter(job=job).delete()
        _beat(job, token, started_at=timezone.now(), **counts)
    field_of = {header: field for header, field in job.mapping.items() if field}
    header_of = {field: header for header, field in field_of.items()}
    importer.start()
    with job.file.open("rb") as fileobj:
        table = _read(fileobj, job.original_name)
        if table.headers != job.headers:
            raise TableError(_("The stored file no longer matches this import; upload it again."), code="changed")
        if not counts["total"]:
            counts["total"] = _count(table, job, token)
            _beat(job, token, total=counts["total"])
        rows = islice(table.rows(), done_rows, None)
        for batch in _batches(rows, importer.batch_size):
            mapped: list[Row] = [
                (number, {field_of[h]: value for h, value in values.items() if h in field_of})
                for number, values in batch
            ]
            _run_batch(job, token, importer, mapped, dict(batch), header_of, counts, dry_run=dry_run)
            importer.batch_done()
        counts["skipped_empty"] = table.skipped_empty
    final = ImportStatus.DRY_RUN_DONE if dry_run else ImportStatus.DONE
    with transaction.atomic():
        _beat(job, token, status=final, finished_at=timezone.now(), **counts)
        if not dry_run:
            job.refresh_from_db()
            audit_record(
                actor=job.created_by,
                action="import.completed",
                target=job,
                diff={name: counts[name] for name in COUNT_FIELDS if name != "progress"},
            )


def _count(table, job: ImportJob, token: str) -> int:
    """The file's non-empty rows, for the progress bar; a sign of life every 20,000 rows (large workbooks are slow)."""
    total = 0
    for total, _row in enumerate(table.rows(), start=1):
        if total % 20_000 == 0:
            _beat(job, token)
    return total


def _run_batch(
    job: ImportJob,
    token: str,
    importer: Importer,
    rows: list[Row],
    raw: dict[int, dict[str, str]],
    header_of: dict[str, str],
    counts: dict[str, int],
    *,
    dry_run: bool,
) -> BatchResult:
    """One batch in one transaction: the importer's writes, the rejected rows, the job's progress, one audit entry."""
    for attempt in range(1, BATCH_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                _batch_commit_without_flush()
                result = importer.process_batch(rows)
                ImportRowError.objects.bulk_create(
                    ImportRowError(
                        job_id=job.pk,
                        row_number=error.row_number,
                        column=header_of.get(error.field, "")[:200],
                        field=error.field[:40],
                        reason=str(error.reason),
                        raw=raw.get(error.row_number, {}),
                    )
                    for error in result.errors
                )
                ImportRowWarning.objects.bulk_create(
                    ImportRowWarning(
                        job_id=job.pk,
                        row_number=warning.row_number,
                        column=header_of.get(warning.field, "")[:200],
                        field=warning.field[:40],
                        reason=str(warning.reason),
                    )
                    for warning in result.warnings
                )
                after = {
                    **counts,
                    "created": counts["created"] + result.created,
                    "updated": counts["updated"] + result.updated,
                    "merged": counts["merged"] + result.merged,
                    "unchanged": counts["unchanged"] + result.unchanged,
                    "rejected": counts["rejected"] + result.rejected,
                    "warned": counts["warned"] + result.warned,
                    "progress": counts["progress"] + len(rows),
                }
                # Progress commits with the batch: a resumed run continues exactly after it.
                _beat(job, token, **{k: after[k] for k in COUNT_FIELDS if k != "skipped_empty"})
                if not dry_run:
                    audit_record(
                        actor=job.created_by,
                        action="import.batch_committed",
                        target=job,
                        diff={
                            "rows": [rows[0][0], rows[-1][0]],
                            "created": result.created,
                            "updated": result.updated,
                            "merged": result.merged,
                            "unchanged": result.unchanged,
                            "rejected": result.rejected,
                            "warned": result.warned,
                        },
                    )
        except IntegrityError:
            # A customer with one of this batch's mobiles or IDs was written meanwhile by someone else:
            # the batch is rolled back whole and looked up again.
            importer.batch_failed()
            if attempt == BATCH_ATTEMPTS:
                raise
            continue
        counts.update(after)
        return result
    raise AssertionError("unreachable")


def _batch_commit_without_flush() -> None:
    """PostgreSQL: let this batch's commit return before its WAL reaches the disk (`synchronous_commit = off`).

    The commit stays atomic and visible to everyone at once; only its durability is delayed (at most a few hundred
    milliseconds). A database crash in that window loses whole batches together with the progress committed with
    them, so the run resumes exactly before them, or a re-run recognises the rows already imported. The job's final
    commit is synchronous, which flushes every batch before it. Without this each batch waited for its WAL flush.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _fail(job: ImportJob, token: str, code: str, message: str) -> None:
    with transaction.atomic():
        updated = ImportJob.objects.filter(pk=job.pk, run_token=token).update(
            status=ImportStatus.FAILED, error_code=code[:40], error_summary=message, finished_at=timezone.now()
        )
        if updated:
            audit_record(actor=job.created_by, action="import.failed", target=job, diff={"error": code})


# ---------------------------------------------------------------- error report


def field_labels(job: ImportJob) -> dict[str, str]:
    """{field name: its label} of the job's importer, in the report's language (`report_language`)."""
    with translation.override(report_language(job)):
        return {spec.name: capfirst(str(spec.label)) for spec in _importer(job.kind).fields}


def error_field_label(error: ImportRowError, job: ImportJob, labels: dict[str, str]) -> str:
    """What a rejected row's reason is about, in the report's language: the importer's field ("手机号" / "Mobile",
    not the file's own column header, which may be in another language); "" for the whole row. A row rejected
    before rows kept their field is named by the column's field in the mapping, else by the column itself."""
    field = error.field or (job.mapping.get(error.column) or "" if error.column else "")
    return labels.get(field, error.column)


def import_error_report(*, actor: User, job: ImportJob) -> bytes:
    """The rejected rows as XLSX (row, original columns, reasons); logged as an export of personal data.

    Written in the report's language (`report_language`, the language the reasons were written in): the headers
    of its own columns, the sheet's name and each reason's field. The file's columns keep their headers, so that the
    corrected workbook maps as the file did.
    """
    _require_import(actor, job, job.kind)
    labels = field_labels(job)
    grouped: dict[int, tuple[dict[str, str], list[str]]] = {}
    for error in ImportRowError.objects.filter(job=job).order_by("row_number", "id").iterator(chunk_size=2000):
        _values, reasons = grouped.setdefault(error.row_number, (error.raw, []))
        label = error_field_label(error, job, labels)
        reasons.append(f"{label}: {error.reason}" if label else error.reason)
    access_record(
        actor=actor,
        kind="export",
        target_type=job._meta.label_lower,
        target_id=str(job.pk),
        store_id=job.store_id,
        fields=list(job.headers),
        row_count=len(grouped),
        reason="import error report",
    )
    headers = list(job.headers)
    with translation.override(report_language(job)):
        own = [gettext("Row"), gettext("Reasons")]
        title = gettext("Rejected rows")
    rows = (
        [number, *(values.get(header, "") for header in headers), "; ".join(reasons)]
        for number, (values, reasons) in grouped.items()
    )
    return write_xlsx(rows, [own[0], *headers, own[1]], sheet_title=title)
