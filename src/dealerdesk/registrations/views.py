"""Registration pages: the tracker and the overdue list, opening a case, the case with its checklist and the forms
for each step, and the printable checklist (HTML and PDF).

Reads go through selectors (not visible → 404), writes through services; a ValidationError re-renders the case with
the messages under the fields (400); a refused move is shown as a message.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from dealerdesk.accounts.models import User
from dealerdesk.accounts.permissions import user_can
from dealerdesk.accounts.selectors import store_visible_to
from dealerdesk.core.errors import DomainError
from dealerdesk.customers.privacy import can_reveal, masked_id_number

from . import selectors, services, workdays
from .choices import DEFAULT_HOLDER, OPEN_STATUSES, RegistrationStatus, moves_for
from .forms import (
    AssignForm,
    CancelForm,
    CaseForm,
    OpenForm,
    PlateForm,
    PolicyForm,
    ReceiveForm,
    SubmitForm,
    local_value,
)
from .models import Registration
from .pdf import case_lines, checklist_pdf

LIST_SIZE = 50
S = RegistrationStatus


def _working_stores(user) -> list:
    return [
        s for s in store_visible_to(user) if user_can(user, "paperwork.manage", s) or user_can(user, "sales.sell", s)
    ]


# ---------------------------------------------------------------- tracker


def _tracker(request: HttpRequest, *, overdue_only: bool) -> HttpResponse:
    user = request.user
    stores = _working_stores(user)
    if not stores:
        raise PermissionDenied
    status = request.GET.get("status", "")
    status = status if status in S.values else ""
    clerk = request.GET.get("clerk", "")
    clerk_id = user.pk if clerk == "me" else (int(clerk) if clerk.isdigit() else None)
    overdue = overdue_only or request.GET.get("overdue") == "1"
    qs = selectors.registration_tracker(user, stores, status=status, clerk_id=clerk_id, overdue=overdue)
    store_code = request.GET.get("store", "")
    if store_code:
        qs = qs.filter(store_id__in=[s.pk for s in stores if s.code == store_code])
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(number__istartswith=q) | Q(plate__istartswith=q.upper()) | Q(customer__name__startswith=q))
    page = selectors.tracker_page(qs, stores, cursor=request.GET.get("after"), size=LIST_SIZE)
    context = {
        "page": page,
        "statuses": [(v, label) for v, label in S.choices if v != S.CANCELLED],
        "status": status,
        "clerk": clerk,
        "overdue": overdue,
        "overdue_only": overdue_only,
        "stores": stores,
        "store_code": store_code,
        "q": q,
        "can_open": any(user_can(user, "paperwork.manage", s) or user_can(user, "sales.sell", s) for s in stores),
        "is_clerk": any(user_can(user, "paperwork.manage", s) for s in stores),
        "managed_stores": [s for s in stores if user_can(user, "store.manage", s)],
        # translated and reversed once, not once per row
        "detail_base": reverse("registration_list"),
        "missing_word": _("missing"),
        "overdue_word": _("Overdue"),
        "by_customer_word": _("By the customer"),
        "calendar_missing_year": _first_year_without_calendar(),
    }
    return render(request, "registrations/list.html", context)


def _first_year_without_calendar() -> int | None:
    """This year or next, when the official holiday calendar for it is not known yet (targets then skip weekends)."""
    this_year = timezone.localdate().year
    return next((y for y in (this_year, this_year + 1) if not workdays.calendar_covers(y)), None)


@login_required
def registration_list(request: HttpRequest) -> HttpResponse:
    """The registration tracker: open cases with status, clerk and target date, overdue ones highlighted."""
    return _tracker(request, overdue_only=False)


@login_required
def registration_overdue(request: HttpRequest) -> HttpResponse:
    """Open cases of the store service past their target date."""
    return _tracker(request, overdue_only=True)


# ---------------------------------------------------------------- opening


@login_required
@require_http_methods(["GET", "POST"])
def registration_open(request: HttpRequest) -> HttpResponse:
    """Open the registration of a signed or delivered order (by the store, or recorded as by the customer)."""
    user = request.user
    if not _working_stores(user):
        raise PermissionDenied
    orders = selectors.orders_awaiting_registration(user)
    if request.method == "GET":
        wanted = request.GET.get("order", "")
        form = OpenForm(orders=orders, initial={"order": int(wanted)} if wanted.isdigit() else None)
        return render(request, "registrations/open.html", {"form": form, "orders": orders})
    form = OpenForm(request.POST, orders=orders)
    if not form.is_valid():
        return render(request, "registrations/open.html", {"form": form, "orders": orders}, status=400)
    data = form.cleaned_data
    order = next(o for o in orders if o.pk == data["order"])
    try:
        registration = services.registration_open(
            actor=user,
            order=order,
            by_customer=data["by_customer"],
            owner_kind=data["owner_kind"],
            company_name=data["company_name"],
            local=local_value(data["local"]),
            note=data["note"],
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return render(request, "registrations/open.html", {"form": form, "orders": orders}, status=400)
    except DomainError as exc:
        form.add_error(None, str(exc.message))
        return render(request, "registrations/open.html", {"form": form, "orders": orders}, status=409)
    messages.success(request, _("Registration opened for order %(number)s.") % {"number": registration.number})
    return redirect("registration_detail", pk=registration.pk)


# ---------------------------------------------------------------- the case


def _get_or_404(user, pk: int) -> Registration:
    try:
        return selectors.registration_get(user, pk)
    except Registration.DoesNotExist:
        raise Http404 from None


def _detail_context(request: HttpRequest, registration: Registration, forms: dict | None = None) -> dict:
    user = request.user
    r = registration
    clerk = user_can(user, "paperwork.manage", r.store_id)
    moves = moves_for(r.by_customer)[r.status]
    may_plate = (S.PLATE_ISSUED in moves and clerk) or (
        r.by_customer and S.COMPLETED in moves and services.may_work_on(user, r.order)
    )
    documents = list(r.documents.all())
    collecting = r.status == S.COLLECTING_DOCUMENTS and not r.by_customer
    forms = forms or {}
    receive_forms = {
        d.kind: forms.get(("receive", d.kind))
        or ReceiveForm(initial={"kind": d.kind, "holder": DEFAULT_HOLDER.get(d.kind)}, prefix=d.kind)
        for d in documents
        if d.received_at is None
    }
    return {
        "r": r,
        "documents": [(d, receive_forms.get(d.kind)) for d in documents],
        "missing": [d for d in documents if d.received_at is None],
        "case": case_lines(r),
        "delivery": selectors.delivery_of(r),
        "overdue": selectors.is_overdue(r),
        "id_masked": masked_id_number(r.customer),
        "may_reveal": bool(r.customer.id_number) and can_reveal(user, r.customer),
        "may_receive": clerk and collecting,
        "may_submit": clerk and S.SUBMITTED in moves,
        "may_plate": may_plate,
        "may_complete": clerk and not r.by_customer and S.COMPLETED in moves,
        "may_cancel": S.CANCELLED in moves and (clerk or services.may_work_on(user, r.order)),
        "may_change_case": clerk and collecting,
        "may_assign": clerk and r.status in OPEN_STATUSES and not r.by_customer,
        "submit_form": forms.get("submit") or SubmitForm(initial={"office": r.office}),
        "plate_form": forms.get("plate") or PlateForm(),
        "cancel_form": forms.get("cancel") or CancelForm(),
        "case_form": forms.get("case")
        or CaseForm(
            initial={
                "owner_kind": r.owner_kind,
                "company_name": r.company_name,
                "local": "yes" if r.is_local else "no",
            }
        ),
        "assign_form": forms.get("assign")
        or AssignForm(clerks=selectors.clerks_of(r.store_id), initial={"clerk": r.clerk_id}),
        "steps": [
            (S.COLLECTING_DOCUMENTS.label, r.opened_at),
            (S.SUBMITTED.label, r.submitted_at),
            (S.PLATE_ISSUED.label, r.plate_issued_at),
            (S.COMPLETED.label, r.completed_at),
        ],
    }


@login_required
def registration_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One case: the facts, the checklist with receipt forms, and the forms of the allowed next steps."""
    registration = _get_or_404(request.user, pk)
    return render(request, "registrations/detail.html", _detail_context(request, registration))


def _rerender(request: HttpRequest, pk: int, key, form) -> HttpResponse:
    registration = _get_or_404(request.user, pk)
    return render(request, "registrations/detail.html", _detail_context(request, registration, {key: form}), status=400)


def _run(request: HttpRequest, pk: int, key, form, call, success: str, *, inline: bool = True) -> HttpResponse:
    """Run a service for a parsed form: field errors back on the page (400), refusals as a message."""
    try:
        call()
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        for field, messages_ in errors.items():
            form.add_error(field if field in form.fields else None, messages_)
        return _rerender(request, pk, key, form)
    except DomainError as exc:
        if inline and getattr(exc, "field", None) and exc.field in form.fields:
            form.add_error(exc.field, str(exc.message))
            response = _rerender(request, pk, key, form)
            response.status_code = exc.status
            return response
        messages.error(request, exc.message)
        return redirect("registration_detail", pk=pk)
    messages.success(request, success)
    return redirect("registration_detail", pk=pk)


@login_required
@require_POST
def registration_receive(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one document received."""
    registration = _get_or_404(request.user, pk)
    kind = request.POST.get("kind", "")
    form = ReceiveForm(request.POST, prefix=kind or None)
    if not form.is_valid():
        return _rerender(request, pk, ("receive", kind), form)
    data = form.cleaned_data
    return _run(
        request,
        pk,
        ("receive", kind),
        form,
        lambda: services.registration_document_receive(
            actor=request.user,
            registration=registration,
            kind=data["kind"],
            holder=data["holder"],
            note=data["note"],
            id_number=data["id_number"],
        ),
        _("Document received."),
        inline=False,  # a document already received has no form left to show the clash under
    )


@login_required
@require_POST
def registration_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Submit the file to the vehicle office."""
    registration = _get_or_404(request.user, pk)
    form = SubmitForm(request.POST)
    form.is_valid()
    return _run(
        request,
        pk,
        "submit",
        form,
        lambda: services.registration_submit(
            actor=request.user, registration=registration, office=form.cleaned_data.get("office", "")
        ),
        _("Submitted to the vehicle office; the customer is told."),
    )


@login_required
@require_POST
def registration_plate(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the plate and the licence issue date."""
    registration = _get_or_404(request.user, pk)
    form = PlateForm(request.POST)
    if not form.is_valid():
        return _rerender(request, pk, "plate", form)
    return _run(
        request,
        pk,
        "plate",
        form,
        lambda: services.registration_record_plate(
            actor=request.user,
            registration=registration,
            plate=form.cleaned_data["plate"],
            licence_issued_on=form.cleaned_data["licence_issued_on"],
        ),
        _("Plate recorded on the vehicle and in the customer's vehicles."),
    )


@login_required
@require_POST
def registration_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """The licence and plates were handed to the customer."""
    registration = _get_or_404(request.user, pk)
    return _run(
        request,
        pk,
        "complete",
        CancelForm(),
        lambda: services.registration_complete(actor=request.user, registration=registration),
        _("Registration completed: licence and plates handed over."),
    )


@login_required
@require_POST
def registration_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel an unfinished case, saying why."""
    registration = _get_or_404(request.user, pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _rerender(request, pk, "cancel", form)
    return _run(
        request,
        pk,
        "cancel",
        form,
        lambda: services.registration_cancel(
            actor=request.user, registration=registration, reason=form.cleaned_data["reason"]
        ),
        _("Registration cancelled."),
    )


@login_required
@require_POST
def registration_case(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct the case; the checklist follows."""
    registration = _get_or_404(request.user, pk)
    form = CaseForm(request.POST)
    if not form.is_valid():
        return _rerender(request, pk, "case", form)
    data = form.cleaned_data
    return _run(
        request,
        pk,
        "case",
        form,
        lambda: services.registration_set_case(
            actor=request.user,
            registration=registration,
            owner_kind=data["owner_kind"],
            company_name=data["company_name"],
            local=local_value(data["local"]),
        ),
        _("Case changed; the checklist was updated."),
    )


@login_required
@require_POST
def registration_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Make a clerk responsible."""
    registration = _get_or_404(request.user, pk)
    form = AssignForm(request.POST, clerks=selectors.clerks_of(registration.store_id))
    if not form.is_valid():
        return _rerender(request, pk, "assign", form)
    clerk = User.objects.get(pk=form.cleaned_data["clerk"])
    return _run(
        request,
        pk,
        "assign",
        form,
        lambda: services.registration_assign(actor=request.user, registration=registration, clerk=clerk),
        _("Clerk assigned."),
    )


# ---------------------------------------------------------------- the store's target


@login_required
@require_http_methods(["GET", "POST"])
def registration_settings(request: HttpRequest, store_code: str) -> HttpResponse:
    """A store administrator sets the registration target (working days from delivery)."""
    store = next(
        (
            s
            for s in store_visible_to(request.user)
            if s.code == store_code and user_can(request.user, "store.manage", s)
        ),
        None,
    )
    if store is None:
        raise Http404
    policy = selectors.registration_policy_for(store)
    form = PolicyForm(request.POST or None, initial={"target_working_days": policy.target_working_days})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.registration_policy_update(
                    actor=request.user, store=store, target_working_days=form.cleaned_data["target_working_days"]
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("The registration target is saved; it applies to new cases."))
                return redirect("registration_list")
    return render(request, "registrations/settings.html", {"form": form, "store": store}, status=status)


# ---------------------------------------------------------------- printing


@login_required
def registration_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The checklist as a printable page for the customer (print CSS hides the navigation)."""
    registration = _get_or_404(request.user, pk)
    context = {
        "r": registration,
        "documents": list(registration.documents.all()),
        "case": case_lines(registration),
        "id_masked": masked_id_number(registration.customer),
    }
    return render(request, "registrations/print.html", context)


@login_required
def registration_checklist_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The checklist as a PDF in Chinese."""
    registration = _get_or_404(request.user, pk)
    response = HttpResponse(checklist_pdf(registration), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="registration-{registration.number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
