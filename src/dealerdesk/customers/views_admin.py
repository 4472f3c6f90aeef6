"""Store settings for customers (intent grades) and the export of the visible customer list."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dealerdesk.accounts.permissions import user_can
from dealerdesk.accounts.selectors import store_visible_to
from dealerdesk.core.errors import DomainError

from .exports import customers_export
from .filters import CustomerFilter
from .grade_settings import grade_policies_for_admin, grade_policy_update
from .models import IntentGradePolicy
from .selectors import customer_visible_to


@login_required
@require_GET
def customer_export(request: HttpRequest) -> HttpResponse:
    """The visible customer list, with the list's filters, as CSV (UTF-8 BOM) or XLSX."""
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    queryset = CustomerFilter(request.GET, queryset=customer_visible_to(request.user), request=request).qs
    try:
        body, content_type, filename = customers_export(actor=request.user, queryset=queryset, fmt=fmt)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("customer_list")
    response_class = StreamingHttpResponse if fmt == "csv" else HttpResponse
    response = response_class(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def grade_settings(request: HttpRequest) -> HttpResponse:
    """A store administrator's table of intent grades, one form per grade."""
    stores = [s for s in store_visible_to(request.user) if user_can(request.user, "store.manage", s)]
    if not stores:
        raise Http404
    store = next((s for s in stores if s.code == request.GET.get("store")), stores[0])
    errors: dict[int, dict] = {}
    if request.method == "POST":
        policy = IntentGradePolicy.objects.filter(store__in=stores, pk=request.POST.get("policy")).first()
        if policy is None:
            raise Http404
        try:
            hours = int(request.POST.get("follow_up_days", "0")) * 24 + int(request.POST.get("follow_up_hours", "0"))
        except ValueError:
            hours = -1
        try:
            grade_policy_update(
                actor=request.user,
                policy=policy,
                label=request.POST.get("label", ""),
                purchase_window=request.POST.get("purchase_window", ""),
                follow_up_hours=hours,
                is_active=request.POST.get("is_active") == "on",
            )
            messages.success(request, _("Grade %(code)s saved.") % {"code": policy.code})
            return redirect(f"{request.path}?store={policy.store.code}")
        except ValidationError as exc:
            errors[policy.pk] = exc.message_dict
            store = policy.store
        except DomainError as exc:
            messages.error(request, exc.message)
    policies = grade_policies_for_admin(request.user, store)
    rows = [
        {"policy": p, "days": p.follow_up_hours // 24, "hours": p.follow_up_hours % 24, "errors": errors.get(p.pk, {})}
        for p in policies
    ]
    status = 400 if errors else 200
    return render(
        request, "customer_settings/grades.html", {"rows": rows, "store": store, "stores": stores}, status=status
    )
