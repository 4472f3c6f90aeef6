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
from .lead_sources import lead_source_create, lead_source_update, lead_sources_for_admin
from .models import IntentGradePolicy, LeadSource
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


@login_required
def lead_source_settings(request: HttpRequest) -> HttpResponse:
    """The dealer group's lead sources, for a store administrator: add, rename, reorder, switch off (never delete)."""
    stores = [s for s in store_visible_to(request.user) if user_can(request.user, "store.manage", s)]
    if not stores:
        raise Http404
    store = next((s for s in stores if s.code == request.GET.get("store")), stores[0])
    row_errors: dict[int, dict] = {}
    add_errors: dict = {}
    posted: dict = {}
    if request.method == "POST":
        store = next((s for s in stores if s.code == request.POST.get("store")), store)
        posted = request.POST
        try:
            if request.POST.get("action") == "add":
                source = lead_source_create(
                    actor=request.user,
                    store=store,
                    name=request.POST.get("name", ""),
                    name_en=request.POST.get("name_en", ""),
                )
                messages.success(request, _("Lead source “%(name)s” added.") % {"name": source.name})
            else:
                source = LeadSource.objects.filter(group_id=store.group_id, pk=request.POST.get("source")).first()
                if source is None:
                    raise Http404
                try:
                    position = int(request.POST.get("position", ""))
                except ValueError:
                    position = -1
                try:
                    lead_source_update(
                        actor=request.user,
                        store=store,
                        source=source,
                        name=request.POST.get("name", ""),
                        name_en=request.POST.get("name_en", ""),
                        is_active=request.POST.get("is_active") == "on",
                        position=position,
                    )
                except ValidationError as exc:
                    row_errors[source.pk] = exc.message_dict
                    raise
                messages.success(request, _("Lead source “%(name)s” saved.") % {"name": source.name})
            return redirect(f"{request.path}?store={store.code}")
        except ValidationError as exc:
            if not row_errors:
                add_errors = exc.message_dict
        except DomainError as exc:
            messages.error(request, exc.message)
    rows = [
        {"source": source, "used": used, "errors": row_errors.get(source.pk, {})}
        for source, used in lead_sources_for_admin(request.user, store)
    ]
    context = {"rows": rows, "store": store, "stores": stores, "add_errors": add_errors, "posted": posted}
    return render(
        request,
        "customer_settings/lead_sources.html",
        context,
        status=400 if row_errors or add_errors else 200,
    )
