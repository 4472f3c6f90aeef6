"""The customer page's secondary panel: feedback, data-subject requests (export, erase), merging duplicates.

Loaded lazily (htmx) so the customer page itself keeps its fixed query count; also a page of its own.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dealerdesk.accounts.permissions import user_can
from dealerdesk.core.errors import DomainError

from . import privacy, services
from .choices import FeedbackKind, SubjectRequestKind
from .merge import customer_merge
from .models import Customer, FeedbackItem, SubjectRequest
from .selectors import customer_visible_to


def _customer(request: HttpRequest, pk: int) -> Customer:
    customer = customer_visible_to(request.user).select_related("store").filter(pk=pk).first()
    if customer is None or (
        not user_can(request.user, "customers.view_store", customer) and customer.owner_id != request.user.pk
    ):
        raise Http404
    return customer


def _back(customer: Customer) -> HttpResponse:
    return redirect(f"/customers/{customer.pk}/#more")


@login_required
@require_GET
def customer_more(request: HttpRequest, pk: int) -> HttpResponse:
    """Feedback, data requests and merge for one customer (the panel, or a full page without htmx)."""
    customer = _customer(request, pk)
    user = request.user
    context = {
        "customer": customer,
        "feedback": list(FeedbackItem.objects.filter(customer=customer).select_related("created_by")[:20]),
        "requests": list(SubjectRequest.objects.filter(customer=customer).select_related("handled_by")[:20]),
        "feedback_kinds": FeedbackKind.choices,
        "request_kinds": SubjectRequestKind.choices,
        "can_handle_requests": user_can(user, "customers.view_store", customer),
        "can_export": user_can(user, "customers.reveal", customer) and user_can(user, "customers.view_store", customer),
        "can_erase": user_can(user, "customers.approve_lost", customer),
        "can_merge": user_can(user, "customers.assign", customer),
    }
    template = "customer_settings/_more_panel.html" if request.htmx else "customer_settings/more_page.html"
    return render(request, template, context)


@login_required
@require_POST
def customer_feedback_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    try:
        services.feedback_add(
            actor=request.user, customer=customer, kind=request.POST.get("kind", ""), body=request.POST.get("body", "")
        )
        messages.success(request, _("Feedback recorded; the manager sees it on the manager desk."))
    except ValidationError as exc:
        messages.error(request, " ".join(m for msgs in exc.message_dict.values() for m in msgs))
    except DomainError as exc:
        messages.error(request, exc.message)
    return _back(customer)


@login_required
@require_POST
def customer_subject_request(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    try:
        opened = privacy.subject_request_open(
            actor=request.user,
            customer=customer,
            kind=request.POST.get("kind", ""),
            details=request.POST.get("details", ""),
        )
        messages.success(request, _("Request logged; answer it by %(due)s.") % {"due": f"{opened.due_at:%Y-%m-%d}"})
    except DomainError as exc:
        messages.error(request, exc.message)
    return _back(customer)


@login_required
@require_GET
def customer_subject_export(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "json"
    try:
        body, content_type = privacy.customer_subject_export(actor=request.user, customer=customer, fmt=fmt)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back(customer)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}.{fmt}"'
    return response


@login_required
@require_POST
def customer_erase(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm: erasing personal data cannot be undone."))
        return _back(customer)
    try:
        privacy.customer_erase(actor=request.user, customer=customer, reason=request.POST.get("reason", ""))
        messages.success(request, _("Personal data erased; sales records under legal hold are kept."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return _back(customer)


@login_required
@require_POST
def customer_merge_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge another record (by its customer number) into this one."""
    customer = _customer(request, pk)
    other_id = request.POST.get("merged_id", "").strip().lstrip("#")
    other = customer_visible_to(request.user).filter(pk=other_id).first() if other_id.isdigit() else None
    if other is None:
        messages.error(request, _("No customer with that number in your stores."))
        return _back(customer)
    try:
        customer_merge(actor=request.user, survivor=customer, merged=other)
        messages.success(request, _("%(other)s was merged into this customer.") % {"other": other.name})
    except DomainError as exc:
        messages.error(request, exc.message)
    return _back(customer)
