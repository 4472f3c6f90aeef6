"""The care desk's pages: the day (calls due and overdue), one call with its script and the completion form, and the
call scripts. Reads through `selectors`, writes through the one follow-up service and `services`.

Not allowed: the pages answer 403; a call or a store out of reach answers 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dealerdesk.accounts.permissions import user_can
from dealerdesk.core.errors import DomainError
from dealerdesk.customers import services as customer_services
from dealerdesk.customers import visibility
from dealerdesk.customers.choices import FollowUpChannel, FollowUpStatus
from dealerdesk.customers.forms import FollowUpCompleteForm, apply_errors
from dealerdesk.customers.models import FollowUp
from dealerdesk.testdrives.choices import TestDriveStatus
from dealerdesk.testdrives.selectors import testdrive_visible_to

from . import selectors, services
from .choices import CallType, Due
from .forms import CallScriptForm
from .scripts import fill


@login_required
@require_GET
def care_day(request: HttpRequest) -> HttpResponse:
    """The care specialist's day: calls due today and overdue in their stores, oldest first, with counts."""
    if not selectors.care_stores(request.user):
        raise PermissionDenied
    due = request.GET.get("due", Due.ALL)
    due = due if due in Due.values else Due.ALL
    call_type = request.GET.get("type", "")
    call_type = call_type if call_type in CallType.values else ""
    day = selectors.care_day(request.user, due=due, call_type=call_type, cursor=request.GET.get("after"))
    for row in day.rows:
        row.mobile_masked = visibility.value(request.user, visibility.CUSTOMER, row.customer, "mobile") or ""
    context = {
        "day": day,
        "page": day,  # the shared keyset pager
        "due": due,
        "dues": Due.choices,
        "call_type": call_type,
        "call_types": CallType.choices,
        "today_date": timezone.localtime(timezone.now(), day.stores[0].tz).date() if day.stores else None,
        "many_stores": len(day.stores) > 1,
    }
    return render(request, "care/day.html", context)


def _call_or_404(request: HttpRequest, pk: int) -> FollowUp:
    try:
        return selectors.call_get(request.user, pk)
    except FollowUp.DoesNotExist:
        raise Http404 from None


def _call_context(request: HttpRequest, call: FollowUp, form: FollowUpCompleteForm | None = None) -> dict:
    user = request.user
    customer = call.customer
    script = selectors.script_for(call.store_id, call.call_type)
    owner = customer.owner
    values = {
        "customer": visibility.value(user, visibility.CUSTOMER, customer, "name") or "",
        "consultant": (owner.full_name or owner.username) if owner else _("your consultant"),
        "store": call.store.name,
        "me": user.full_name or user.username,
    }
    may_complete = call.status == FollowUpStatus.OPEN and customer_services.followup_may_complete(user, call)
    if may_complete and form is None:
        form = FollowUpCompleteForm(policies={}, care=True, initial={"channel": FollowUpChannel.PHONE})
    test_drive = None
    if call.call_type == CallType.AFTER_TEST_DRIVE:
        test_drive = (
            testdrive_visible_to(user)
            .filter(customer_id=customer.pk, status=TestDriveStatus.COMPLETED)
            .order_by("-start_at")
            .first()
        )
    return {
        "call": call,
        "customer": customer,
        "mobile_masked": visibility.value(user, visibility.CUSTOMER, customer, "mobile") or "",
        "script": script,
        "script_text": fill(script.body, values),
        "call_type_label": CallType(call.call_type).label,
        "form": form if may_complete else None,
        "test_drive": test_drive,
        "is_overdue": selectors.call_is_overdue(call),
    }


@login_required
@require_GET
def care_call(request: HttpRequest, pk: int) -> HttpResponse:
    """One call: the customer, why and when, the store's script for this kind of call, and the completion form."""
    call = _call_or_404(request, pk)
    return render(request, "care/call.html", _call_context(request, call))


@login_required
@require_POST
def care_call_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the call: outcome, satisfaction 1–5, the customer's comment, the next step (and the next call)."""
    call = _call_or_404(request, pk)
    form = FollowUpCompleteForm(request.POST, policies={}, care=True)
    if form.is_valid():
        data = form.cleaned_data
        try:
            _done, following = customer_services.followup_complete(
                actor=request.user,
                follow_up=call,
                channel=data["channel"],
                outcome=data["outcome"],
                notes=data["comment"],
                next_due_at=data["next_due_at"],
                score=data["score"],
                next_step=data["next_step"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except DomainError as exc:
            messages.error(request, exc.message)
            return render(request, "care/call.html", _call_context(request, call, form), status=exc.status)
        else:
            message = _("The call with %(name)s is recorded.") % {"name": call.customer.name}
            if following is not None:
                when = date_format(timezone.localtime(following.due_at), "Y-m-d H:i")
                message += " " + _("Next call: %(when)s.") % {"when": when}
            if customer_services.is_dissatisfied(_done):
                message += " " + _("The sales manager has been alerted.")
            messages.success(request, message)
            return redirect("care_day")
    return render(request, "care/call.html", _call_context(request, call, form), status=400)


# ---------------------------------------------------------------- call scripts


def _script_store(request: HttpRequest, store_code: str):
    for store in selectors.script_stores(request.user):
        if store.code == store_code:
            return store
    raise Http404


@login_required
@require_GET
def script_list(request: HttpRequest) -> HttpResponse:
    """The call scripts of each store the user may edit: the store's own or the default, per kind of call."""
    stores = selectors.script_stores(request.user)
    if not stores:
        raise PermissionDenied
    context = {
        "stores": [(store, selectors.scripts_of(store)) for store in stores],
        "on_care_desk": user_can(request.user, "care.manage"),  # a store admin has no care day to go back to
    }
    return render(request, "care/scripts.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def script_edit(request: HttpRequest, store_code: str, call_type: str) -> HttpResponse:
    """Edit the store's script for one kind of call (the default is the starting text)."""
    store = _script_store(request, store_code)
    if call_type not in CallType.values:
        raise Http404
    current = selectors.script_for(store.pk, call_type)
    status = 200
    if request.method == "POST":
        form = CallScriptForm(request.POST)
        if form.is_valid():
            try:
                services.script_save(
                    actor=request.user,
                    store=store,
                    call_type=call_type,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            except DomainError as exc:
                messages.error(request, exc.message)
                status = exc.status
            else:
                messages.success(request, _("The script is saved."))
                return redirect(reverse("care_script_list") + f"#script-{store.code}-{call_type}")
        if status == 200:
            status = 400
    else:
        form = CallScriptForm(initial={"title": current.title, "body": current.body})
    context = {
        "store": store,
        "call_type": call_type,
        "call_type_label": CallType(call_type).label,
        "form": form,
        "current": current,
    }
    return render(request, "care/script_edit.html", context, status=status)
