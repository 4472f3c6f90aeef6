"""Pages of imports: the list, upload, column mapping, the job page (live progress, dry-run result, errors)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dealerdesk.accounts.permissions import user_can
from dealerdesk.core.errors import DomainError
from dealerdesk.core.pagination import keyset_page
from dealerdesk.core.tabular import TableError

from . import selectors, services
from .choices import MAPPABLE_STATUSES, ImportStatus
from .forms import MappingForm, UploadForm
from .models import ImportJob, ImportRowError
from .registry import importers

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_some_import(user) -> None:
    if not any(user_can(user, importer.permission) for importer in importers().values()):
        raise PermissionDenied


def _job(request: HttpRequest, pk: int) -> ImportJob:
    try:
        return selectors.import_job_get(request.user, pk)
    except ImportJob.DoesNotExist:
        raise Http404 from None


@login_required
def import_list(request: HttpRequest) -> HttpResponse:
    """Imports of the user's stores, newest first, keyset pages."""
    _require_some_import(request.user)
    page = keyset_page(selectors.import_job_visible_to(request.user), cursor=request.GET.get("after"), size=50)
    return render(request, "imports/list.html", {"page": page})


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    """Upload a file; a readable one continues to the mapping, an unreadable one is explained here."""
    _require_some_import(request.user)
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                job = services.import_upload(
                    actor=request.user,
                    store=form.cleaned_data["store"],
                    kind=form.cleaned_data["kind"],
                    upload=form.cleaned_data["file"],
                )
            except TableError as exc:
                form.add_error("file", str(exc.message))
            except DomainError as exc:
                form.add_error(None, str(exc.message))
            else:
                return redirect("import_mapping", pk=job.pk)
        status = 400
    return render(request, "imports/upload.html", {"form": form}, status=status)


@login_required
def import_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose the field of each file column; saving starts the dry run."""
    job = _job(request, pk)
    if job.status not in MAPPABLE_STATUSES:
        return redirect("import_detail", pk=job.pk)
    importer = selectors.importer_of(job)
    form = MappingForm(request.POST or None, job=job, importer=importer)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                job = services.import_set_mapping(actor=request.user, job=job, mapping=form.mapping())
                services.import_start(actor=request.user, job=job, dry_run=True)
            except ValidationError as exc:
                for message in exc.message_dict.get("mapping", exc.messages):
                    form.add_error(None, message)
            except DomainError as exc:
                form.add_error(None, str(exc.message))
            else:
                return redirect("import_detail", pk=job.pk)
        status = 400
    context = {"job": job, "form": form, "importer": importer, "required": importer.required_fields()}
    return render(request, "imports/mapping.html", context, status=status)


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The job: live progress while it runs, then the (dry-run) counts and the rejected rows."""
    job = _job(request, pk)
    if job.status == ImportStatus.UPLOADED:
        return redirect("import_mapping", pk=job.pk)
    errors, error_counts, warnings = [], [], []
    if not job.is_busy:
        # Each reason under the importer's field, in the language the reasons were written in (issue #11.13).
        labels = services.field_labels(job)
        with translation.override(services.report_language(job)):
            whole_row = _("whole row")
        errors = selectors.import_errors(job)
        for error in errors:
            error.label = services.error_field_label(error, job, labels) or whole_row
        totals: dict[str, int] = {}
        for row in selectors.import_error_counts(job):
            label = services.error_field_label(ImportRowError(field=row["field"], column=row["column"]), job, labels)
            totals[label or whole_row] = totals.get(label or whole_row, 0) + row["count"]
        error_counts = [{"label": label, "count": count} for label, count in sorted(totals.items(), key=_most)]
        warnings = selectors.import_warnings(job)
        for warning in warnings:
            warning.label = labels.get(warning.field, warning.column) or whole_row
    context = {
        "job": job,
        "importer": selectors.importer_of(job),
        "errors": errors,
        "error_counts": error_counts,
        "warnings": warnings,
        "errors_shown": selectors.ERRORS_SHOWN,
    }
    return render(request, "imports/detail.html", context)


def _most(item: tuple[str, int]) -> int:
    return -item[1]


@login_required
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar, polled by htmx every second; once the run ends the page reloads to show the result."""
    job = _job(request, pk)
    response = render(request, "imports/_progress.html", {"job": job})
    if not job.is_busy:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def import_dry_run(request: HttpRequest, pk: int) -> HttpResponse:
    """Check the file again with the current mapping."""
    return _start(request, pk, dry_run=True)


@login_required
@require_POST
def import_commit(request: HttpRequest, pk: int) -> HttpResponse:
    """Import the file for real."""
    return _start(request, pk, dry_run=False)


def _start(request: HttpRequest, pk: int, *, dry_run: bool) -> HttpResponse:
    job = _job(request, pk)
    try:
        services.import_start(actor=request.user, job=job, dry_run=dry_run)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The dry run has started.") if dry_run else _("The import has started."))
    return redirect("import_detail", pk=job.pk)


@login_required
def import_errors_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    """The rejected rows with an error column, as an Excel workbook to correct and upload again."""
    job = _job(request, pk)
    try:
        content = services.import_error_report(actor=request.user, job=job)
    except DomainError as exc:
        raise PermissionDenied(str(exc.message)) from exc
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.xlsx"'
    return response
