"""Work pages: the consultant's day, the manager's desk (loss approvals, feedback, handovers) and the customer
report with its XLSX export. Reads go through selectors, writes through services.

Not allowed: the pages themselves answer 403 (a plain "forbidden" page), objects behind them answer 404.
"""

import io
from itertools import groupby
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, WriteOnlyCell
from openpyxl.styles import Font

from dealerdesk.accounts.models import Store
from dealerdesk.accounts.permissions import user_can
from dealerdesk.accounts.queues import waiting_for
from dealerdesk.core.audit import access_record
from dealerdesk.core.errors import DomainError
from dealerdesk.core.pagination import keyset_page

from . import reports, selectors, services
from .choices import FeedbackStatus
from .models import FeedbackItem, LossRequest

OVERDUE_SHOWN = 300
LIST_CAP = 100
MAX_REPORT_DAYS = 5 * 366


def _pick_store(request: HttpRequest, stores: list[Store]) -> Store:
    """The store chosen with ?store=<code> (remembered in the session like the home page), else the first one."""
    wanted = request.GET.get("store") or request.session.get("store_code")
    for store in stores:
        if store.code == wanted:
            request.session["store_code"] = store.code
            return store
    return stores[0]


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Redirect to the posted `next` when it is a local URL, else to `default`."""
    next_url = request.POST.get("next") or ""
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect(default)


def _desk_url(store_id: int | None = None, code: str | None = None) -> str:
    url = reverse("manager_desk")
    if code is None and store_id is not None:
        code = Store.objects.filter(pk=store_id).values_list("code", flat=True).first()
    return f"{url}?store={code}" if code else url


def _error_messages(request: HttpRequest, exc: ValidationError | DomainError) -> None:
    if isinstance(exc, DomainError):
        messages.error(request, exc.message)
        return
    for message in exc.messages:
        messages.error(request, message)


# ---------------------------------------------------------------- my day


@login_required
@require_GET
def my_day(request: HttpRequest) -> HttpResponse:
    """The consultant's open follow-ups, overdue first, then today's (store-local day), and customers by grade."""
    stores = reports.stores_with(request.user, "sales.sell")
    if not stores:
        if user_can(request.user, "care.manage"):
            # the care specialist's day is the care desk (calls due and overdue): "my day" takes them there
            try:
                return redirect(reverse("care_day"))
            except NoReverseMatch:
                pass
        raise PermissionDenied
    with timezone.override(stores[0].tz):
        day = selectors.followups_my_day(request.user)
        context = {
            "overdue": day["overdue"],
            "today": day["today"],
            "grades": reports.grade_counts_for_owner(request.user),
            "today_date": timezone.localdate(),
        }
        return render(request, "customers/work_my_day.html", context)


# ---------------------------------------------------------------- manager desk


@login_required
@require_GET
def manager_desk(request: HttpRequest) -> HttpResponse:
    """Per store: overdue follow-ups by consultant, loss requests to decide, open feedback, the handover tool."""
    user = request.user
    stores = reports.stores_with(user, "customers.assign")
    if not stores:
        raise PermissionDenied
    store = _pick_store(request, stores)
    with timezone.override(store.tz):
        overdue = list(selectors.followups_overdue_for_store(user, store)[:OVERDUE_SHOWN])
        overdue_counts = reports.overdue_counts_by_assignee(user, store)
        consultants = reports.store_consultants(user, store)
        context = {
            "stores": stores,
            "store": store,
            "overdue_groups": _group_by_assignee(overdue, overdue_counts),
            "overdue_total": sum(overdue_counts.values()),
            "overdue_capped": sum(overdue_counts.values()) > len(overdue),
            "loss_requests": list(selectors.loss_requests_pending(user, store)[:LIST_CAP]),
            "feedback": list(reports.feedback_open_for_store(user, store)[:LIST_CAP]),
            "feedback_statuses": FeedbackStatus.choices,
            "consultants": consultants,
            "waiting": [w for w in waiting_for(user) if w.queue.nav == "manager_desk"],
            **_handover_context(request, store, consultants),
        }
        return render(request, "customers/desk_manager.html", context)


def _group_by_assignee(overdue: list, counts: dict[int | None, int]) -> list[dict[str, Any]]:
    """Overdue follow-ups grouped by consultant, the consultant with most overdue first, oldest first inside."""
    groups = []
    rows = sorted(overdue, key=lambda f: f.assignee_id or 0)
    for assignee_id, items in groupby(rows, key=lambda f: f.assignee_id):
        items = list(items)
        groups.append({"assignee": items[0].assignee, "count": counts.get(assignee_id, len(items)), "items": items})
    groups.sort(key=lambda g: (-g["count"], str(g["assignee"] or "")))
    return groups


def _handover_context(request: HttpRequest, store: Store, consultants: list) -> dict[str, Any]:
    """The handover tool: the chosen consultant's customers (or the unassigned ones), one keyset page."""
    chosen = request.GET.get("from_owner", "")
    if chosen == "none":
        owner_id = None
    elif chosen.isdigit():
        owner_id = int(chosen)
    else:
        return {"from_owner": "", "handover_page": None}
    qs = reports.customers_for_handover(request.user, store, owner_id=owner_id)
    page = keyset_page(qs, cursor=request.GET.get("after"), size=50)
    return {"from_owner": chosen, "handover_page": page}


@login_required
@require_POST
def loss_request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve or reject a pending loss (战败) request; rejecting needs a note."""
    loss = LossRequest.objects.filter(pk=pk, customer__in=selectors.customer_visible_to(request.user)).first()
    if loss is None or not user_can(request.user, "customers.approve_lost", loss.store_id):
        raise Http404
    decision = request.POST.get("decision")
    if decision not in ("approve", "reject"):
        messages.error(request, gettext("Choose approve or reject."))
        return _back(request, _desk_url(loss.store_id))
    try:
        services.loss_request_decide(
            actor=request.user, request=loss, approve=decision == "approve", note=request.POST.get("note", "").strip()
        )
    except (ValidationError, DomainError) as exc:
        _error_messages(request, exc)
    else:
        if decision == "approve":
            messages.success(request, gettext("Approved: %(name)s is marked lost.") % {"name": loss.customer.name})
        else:
            messages.success(
                request, gettext("Rejected: %(name)s stays with the consultant.") % {"name": loss.customer.name}
            )
    return _back(request, _desk_url(loss.store_id))


@login_required
@require_POST
def feedback_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a feedback item to in progress or done (done needs what was done)."""
    item = FeedbackItem.objects.filter(pk=pk, customer__in=selectors.customer_visible_to(request.user)).first()
    if item is None or not user_can(request.user, "customers.view_store", item.store_id):
        raise Http404
    try:
        services.feedback_set_status(
            actor=request.user,
            item=item,
            status=request.POST.get("status", ""),
            resolution=request.POST.get("resolution", "").strip(),
        )
    except (ValidationError, DomainError) as exc:
        _error_messages(request, exc)
    else:
        messages.success(request, gettext("Feedback status saved."))
    return _back(request, _desk_url(item.store_id))


@login_required
@require_POST
def customers_reassign(request: HttpRequest) -> HttpResponse:
    """Hand one or many customers over to another consultant of their store, with a reason."""
    user = request.user
    if not user_can(user, "customers.assign"):
        raise PermissionDenied
    raw_ids = request.POST.getlist("customer_ids")
    default = reverse("manager_desk")
    if not raw_ids:
        messages.error(request, gettext("Select the customers to hand over."))
        return _back(request, default)
    if not all(raw.strip().isdigit() for raw in raw_ids):
        raise Http404
    ids = {int(raw) for raw in raw_ids}
    customers = list(selectors.customer_visible_to(user).filter(pk__in=ids).select_related("store"))
    if len(customers) != len(ids):
        raise Http404
    store_ids = {c.store_id for c in customers}
    if not all(user_can(user, "customers.assign", store_id) for store_id in store_ids):
        raise Http404
    default = _desk_url(code=customers[0].store.code) if len(store_ids) == 1 else default
    new_owner_id = request.POST.get("new_owner", "").strip()
    new_owner = reports.store_member(user, store_ids, int(new_owner_id)) if new_owner_id.isdigit() else None
    if new_owner is None:
        messages.error(request, gettext("Choose the consultant who takes the customers over."))
        return _back(request, default)
    try:
        moved = services.customers_assign(
            actor=user, customers=customers, new_owner=new_owner, reason=request.POST.get("reason", "")
        )
    except (ValidationError, DomainError) as exc:
        _error_messages(request, exc)
        return _back(request, default)
    if moved:
        messages.success(
            request,
            ngettext("%(count)d customer handed over", "%(count)d customers handed over", moved) % {"count": moved},
        )
    else:
        messages.info(request, gettext("The selected customers already belong to %(name)s.") % {"name": new_owner})
    return _back(request, default)


# ---------------------------------------------------------------- customer report


class ReportFilterForm(forms.Form):
    """Store and date range of the customer report (customers by creation date, store-local)."""

    store = forms.CharField(required=False)
    date_from = forms.DateField(label=_("From"), required=False)
    date_to = forms.DateField(label=_("To"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if date_from and date_to:
            if date_from > date_to:
                self.add_error("date_to", _("The end date must not be before the start date."))
            elif (date_to - date_from).days > MAX_REPORT_DAYS:
                self.add_error("date_from", _("Choose a range of at most five years."))
        return data


def _report_for(request: HttpRequest) -> tuple[reports.CustomerReport, ReportFilterForm, list[Store]]:
    stores = reports.stores_with(request.user, "reports.view_store")
    if not stores:
        raise PermissionDenied
    store = _pick_store(request, stores)
    form = ReportFilterForm(request.GET or None)
    default_from, default_to = reports.default_report_range(store)
    date_from, date_to = default_from, default_to
    if form.is_bound and form.is_valid():
        date_to = form.cleaned_data["date_to"] or default_to
        date_from = form.cleaned_data["date_from"] or reports.default_report_range(store, today=date_to)[0]
    report = reports.customer_report(request.user, store, date_from=date_from, date_to=date_to)
    return report, form, stores


@login_required
@require_GET
def customer_report(request: HttpRequest) -> HttpResponse:
    """Customer figures of one store: tables (the accessible version) and Chart.js charts drawn from the same data."""
    report, form, stores = _report_for(request)
    query = request.GET.copy()
    query["store"] = report.store.code
    context = {
        "report": report,
        "form": form,
        "stores": stores,
        "charts": reports.report_charts(report),
        "export_query": query.urlencode(),
    }
    return render(request, "customers/report_customers.html", context)


@login_required
@require_GET
def customer_report_xlsx(request: HttpRequest) -> HttpResponse:
    """The report's tables as an XLSX workbook, one sheet per table; the export is logged."""
    report, _form, _stores = _report_for(request)
    tables = reports.report_tables(report)
    content = _workbook(tables)
    access_record(
        actor=request.user,
        kind="export",
        target_type="customers.report",
        target_id=report.store.code,
        store_id=report.store.pk,
        fields=[title for title, _headers, _rows in tables],
        row_count=sum(len(rows) for _title, _headers, rows in tables),
        reason=f"{report.date_from.isoformat()}..{report.date_to.isoformat()}",
    )
    filename = f"customer-report-{report.store.code}-{report.date_from:%Y%m%d}-{report.date_to:%Y%m%d}.xlsx"
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _workbook(tables: list[tuple[str, list[str], list[list[Any]]]]) -> bytes:
    """Several tables, one sheet each (`core.tabular.write_xlsx` writes a single sheet)."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, headers, rows in tables:
        sheet = workbook.create_sheet(title[:31])
        sheet.freeze_panes = "A2"
        header_cells = []
        for header in headers:
            cell = WriteOnlyCell(sheet, value=_cell(header))
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in rows:
            sheet.append([_cell(value) for value in row])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _cell(value: Any) -> Any:
    """Numbers stay numbers; text never becomes a formula (staff names are typed by people)."""
    if value is None or isinstance(value, int | float):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return "'" + text if text.startswith(("=", "+", "-", "@")) else text
